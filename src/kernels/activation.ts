/** TFLite's fused activation functions, applied in place to float results. */
import { ActivationFunctionType } from '../../generated/tflite/activation-function-type.js';
import type { NumericArray } from './value.js';

export function activationFn(act: ActivationFunctionType): ((x: number) => number) | null {
  switch (act) {
    case ActivationFunctionType.NONE:
      return null;
    case ActivationFunctionType.RELU:
      return (x) => (x < 0 ? 0 : x);
    case ActivationFunctionType.RELU_N1_TO_1:
      return (x) => (x < -1 ? -1 : x > 1 ? 1 : x);
    case ActivationFunctionType.RELU6:
      return (x) => (x < 0 ? 0 : x > 6 ? 6 : x);
    case ActivationFunctionType.TANH:
      return Math.tanh;
    case ActivationFunctionType.SIGN_BIT:
      return (x) => (x < 0 ? 1 : 0);
  }
}

export function applyActivation(data: NumericArray, act: ActivationFunctionType): void {
  // The common clamps as plain loops (the same expressions as activationFn's): a call per
  // element through a closure costs more than the clamp itself on large activations.
  if (act === ActivationFunctionType.RELU) {
    for (let i = 0; i < data.length; i++) if (data[i]! < 0) data[i] = 0;
    return;
  }
  if (act === ActivationFunctionType.RELU6) {
    for (let i = 0; i < data.length; i++) {
      const x = data[i]!;
      data[i] = x < 0 ? 0 : x > 6 ? 6 : x;
    }
    return;
  }
  const fn = activationFn(act);
  if (fn === null) return;
  for (let i = 0; i < data.length; i++) data[i] = fn(data[i]!);
}

/**
 * applyActivation for float32 results, the fast kernels' case. A separate function so that its
 * array accesses only ever see Float32Array: applyActivation is called with every array type,
 * and V8's polymorphic element accesses there cost several times the clamp on large activations.
 */
export function applyActivationF32(data: Float32Array, act: ActivationFunctionType): void {
  if (act === ActivationFunctionType.RELU) {
    for (let i = 0; i < data.length; i++) if (data[i]! < 0) data[i] = 0;
  } else if (act === ActivationFunctionType.RELU6) {
    for (let i = 0; i < data.length; i++) {
      const x = data[i]!;
      data[i] = x < 0 ? 0 : x > 6 ? 6 : x;
    }
  } else if (act === ActivationFunctionType.RELU_N1_TO_1) {
    for (let i = 0; i < data.length; i++) {
      const x = data[i]!;
      data[i] = x < -1 ? -1 : x > 1 ? 1 : x;
    }
  } else {
    applyActivation(data, act);
  }
}

/** A fused activation that is a clamp to [lo, hi] (either may be infinite). */
export interface Clamp {
  lo: number;
  hi: number;
}

/** The clamp a fused activation is (RELU, RELU6, RELU_N1_TO_1), or null (NONE, TANH, SIGN_BIT). */
export function activationClamp(act: ActivationFunctionType): Clamp | null {
  switch (act) {
    case ActivationFunctionType.RELU:
      return { lo: 0, hi: Infinity };
    case ActivationFunctionType.RELU6:
      return { lo: 0, hi: 6 };
    case ActivationFunctionType.RELU_N1_TO_1:
      return { lo: -1, hi: 1 };
    default:
      return null;
  }
}

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

/**
 * Small matchers the rewrite passes share (this module is not a pass): reading constants of a
 * given form and an op's fused activation.
 */
import { ActivationFunctionType } from '../../generated/tflite/activation-function-type.js';
import type { TflOp } from '../ir/op.js';
import { bytesOf, constValues, Tensor } from '../ir/tensor.js';

/**
 * The values of a float32 constant holding exactly one value per channel, laid out along its
 * last axis ([C], [1, C], [1, 1, 1, C]); null for anything else.
 */
export function perChannelConstant(t: Tensor | null | undefined, channels: number): Float32Array | null {
  if (!t || t.data === null || t.dtype !== 'float32' || t.shape === null) return null;
  const count = t.shape.reduce((n, d) => n * d, 1);
  if (count !== channels || t.shape[t.shape.length - 1] !== channels) return null;
  return constValues(t.data, 'float32') as Float32Array;
}

/** The value of a float32 constant holding one number (any shape of size 1). */
export function scalarConstant(t: Tensor | null | undefined): number | null {
  // Checked by shape first: viewing a large misaligned weight would copy it.
  if (!t || t.data === null || t.dtype !== 'float32' || t.shape === null || t.shape.some((d) => d !== 1)) return null;
  const values = constValues(t.data, 'float32');
  return values.length === 1 ? (values[0] as number) : null;
}

type WithActivation = { fusedActivationFunction: ActivationFunctionType };

/** The options object of an op that has a fused_activation_function field; null otherwise. */
export function activationSlot(op: TflOp): WithActivation | null {
  const value = op.options?.value as Partial<WithActivation> | undefined;
  return value !== undefined && typeof value.fusedActivationFunction === 'number' ? (value as WithActivation) : null;
}

/** True when the op applies no fused activation (or cannot have one). */
export function hasNoActivation(op: TflOp): boolean {
  return (activationSlot(op)?.fusedActivationFunction ?? ActivationFunctionType.NONE) === ActivationFunctionType.NONE;
}

/** A new float32 constant (not registered with any graph). */
export function float32Constant(name: string, shape: number[], values: Float32Array): Tensor {
  const t = new Tensor(name, 'float32', shape);
  t.data = { kind: 'bytes', bytes: bytesOf(values) };
  return t;
}

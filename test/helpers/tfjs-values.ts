/**
 * Kernel values next to tfjs-core: seeded random Values, conversion between Values and tfjs
 * tensors, and the closeness check the kernel conformance tests (test/unit/ops-*.test.ts) use.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import type { DType } from '../../src/ir/dtype.js';
import { makeValue, type Value } from '../../src/kernels/value.js';
import { mulberry32 } from '../harness/random-inputs.js';
import { maxAbs, numbers } from './compare.js';

/**
 * A value of `dtype` and `shape` from mulberry32(seed): x uniform in [lo, hi); float32 keeps x,
 * bool is x > 0, integer types (int64 too) floor it.
 */
export function randomValue(dtype: DType, shape: number[], seed: number, lo = -1, hi = 1): Value {
  const random = mulberry32(seed);
  const v = makeValue(dtype, shape);
  for (let i = 0; i < v.data.length; i++) {
    const x = lo + random() * (hi - lo);
    if (v.data instanceof BigInt64Array) v.data[i] = BigInt(Math.floor(x));
    else (v.data as Float32Array)[i] = dtype === 'float32' ? x : dtype === 'bool' ? +(x > 0) : Math.floor(x);
  }
  return v;
}

/** The value as a tfjs tensor: float32 and bool as such, every integer type (int64 too) as int32. */
export function toTf(v: Value): tf.Tensor {
  if (v.dtype === 'bool') return tf.tensor(Array.from(v.data as Uint8Array, (b) => b !== 0), v.shape, 'bool');
  if (v.dtype === 'float32') return tf.tensor(v.data as Float32Array, v.shape, 'float32');
  return tf.tensor(numbers(v.data as ArrayLike<number | bigint>), v.shape, 'int32');
}

/** A float32 tfjs tensor as a value. */
export const fromTf = (t: tf.Tensor): Value => ({ dtype: 'float32', shape: t.shape, data: t.dataSync() as Float32Array });

/**
 * Our kernel's output against tfjs's: the same shape, the same number of elements, and
 * max |ours − ref| ≤ tol · max(max |ref|, 1) (absolute for small values, relative for large).
 */
export function expectClose(ours: Value, ref: tf.Tensor, tol: number): void {
  expect(ours.shape).toEqual(ref.shape);
  const want = ref.dataSync();
  const got = numbers(ours.data as ArrayLike<number | bigint>);
  expect(got).toHaveLength(want.length);
  const { err, scale } = maxAbs(got, want);
  expect(err).toBeLessThanOrEqual(tol * Math.max(scale, 1));
}

/** expectClose with a test file's default tolerance: `const expectClose = closeWithin(1e-5)`. */
export const closeWithin =
  (defaultTol: number) =>
  (ours: Value, ref: tf.Tensor, tol = defaultTol): void =>
    expectClose(ours, ref, tol);

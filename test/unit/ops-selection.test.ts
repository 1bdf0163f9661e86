/**
 * Conformance of the selection kernels (src/ops/selection.ts evaluate: PRELU, ADD_N, TOPK_V2)
 * against tfjs-core on seeded random data with odd sizes on every dimension, plus the integer
 * types tfjs lacks against a plain reference, shape inference with unknown dimensions, and the
 * op versions TFLite's op_version.cc asks for.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, test } from 'vitest';
import { AddNOptionsT } from '../../generated/tflite/add-noptions.js';
import { BuiltinOperator } from '../../generated/tflite/builtin-operator.js';
import { BuiltinOptions } from '../../generated/tflite/builtin-options.js';
import { TopKV2OptionsT } from '../../generated/tflite/top-kv2options.js';
import type { DType } from '../../src/ir/dtype.js';
import type { TflOp } from '../../src/ir/op.js';
import { bytesOf, Tensor, type Shape } from '../../src/ir/tensor.js';
import type { Value } from '../../src/kernels/value.js';
import { options } from '../../src/ops/op-def.js';
import { REGISTRY } from '../../src/ops/registry.js';
import { GraphError } from '../../src/util/errors.js';
import { makeOp } from '../helpers/tfl-ops.js';
import { closeWithin, randomValue, toTf } from '../helpers/tfjs-values.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// ---------------------------------------------------------------------------------------------
// Building ops and values.

function tensor(dtype: DType, shape: Shape, values?: number[]): Tensor {
  const t = new Tensor('t', dtype, shape);
  if (values !== undefined) t.data = { kind: 'bytes', bytes: bytesOf(Int32Array.from(values)) };
  return t;
}

/** Runs the kernel and checks its outputs agree with shape inference on the same op. */
function evaluate(op: TflOp, values: (Value | null)[]): Value[] {
  const def = REGISTRY.def(op.builtin)!;
  const outs = def.evaluate!(op, values);
  const inferred = def.infer(op);
  expect(outs).toHaveLength(inferred.length);
  outs.forEach((out, i) => {
    expect(out.shape).toEqual(inferred[i]!.shape);
    expect(out.dtype).toBe(inferred[i]!.dtype);
  });
  return outs;
}

const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

const numbers = (v: Value) => Array.from(v.data as ArrayLike<number | bigint>, Number);

const expectClose = closeWithin(1e-6);

// ---------------------------------------------------------------------------------------------
// PRELU

describe('PRELU', () => {
  const prelu = (x: Value, alpha: Value) => evaluate(makeOp(BuiltinOperator.PRELU, [tensor(x.dtype, x.shape), tensor(alpha.dtype, alpha.shape)], null), [x, alpha])[0]!;

  const CASES: { x: number[]; alpha: number[] }[] = [
    { x: [3, 5, 7, 11], alpha: [11] }, // per channel, as Keras PReLU(shared_axes=[1, 2])
    { x: [3, 5, 7, 11], alpha: [1, 1, 11] }, // tfjs's fused form
    { x: [3, 5, 7, 11], alpha: [5, 1, 11] },
    { x: [3, 5, 7, 11], alpha: [5, 7, 11] }, // Keras PReLU without shared axes
    { x: [3, 5, 7, 11], alpha: [3, 5, 7, 11] },
    { x: [3, 5, 7, 11], alpha: [] }, // one alpha
    { x: [9, 13], alpha: [13] },
    { x: [17], alpha: [1] },
    { x: [5, 3, 7], alpha: [3, 1] },
  ];

  test.each(CASES)('x [$x], alpha [$alpha] as tfjs', ({ x, alpha }) => {
    const xv = randomValue('float32', x, count(x), -2, 2);
    const av = randomValue('float32', alpha, 7 + alpha.length, -1, 1);
    expectClose(prelu(xv, av), tf.prelu(toTf(xv), toTf(av)));
  });

  test('x ≥ 0 passes through (0 and -0 included), NaN stays NaN', () => {
    const x: Value = { dtype: 'float32', shape: [5], data: Float32Array.of(0, -0, 2, -3, NaN) };
    const alpha: Value = { dtype: 'float32', shape: [1], data: Float32Array.of(0.5) };
    const out = Array.from(prelu(x, alpha).data as Float32Array);
    expect(Object.is(out[1], -0)).toBe(true);
    expect(out.slice(0, 4)).toEqual([0, -0, 2, -1.5]);
    expect(out[4]).toBeNaN();
  });

  test('infers the input shape with unknown dimensions and ranks', () => {
    const def = REGISTRY.def(BuiltinOperator.PRELU)!;
    const infer = (x: Shape, a: Shape) => def.infer(makeOp(BuiltinOperator.PRELU, [tensor('float32', x), tensor('float32', a)], null))[0]!;
    expect(infer([-1, 5, 7, 11], [1, 1, 11])).toEqual({ dtype: 'float32', shape: [-1, 5, 7, 11] });
    expect(infer(null, [11]).shape).toBeNull();
    expect(infer([-1, 7, 11], null).shape).toEqual([-1, 7, 11]);
    expect(def.version?.(makeOp(BuiltinOperator.PRELU, [], null)) ?? 1).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------
// ADD_N

describe('ADD_N', () => {
  const addNOp = (values: Value[]) => makeOp(BuiltinOperator.ADD_N, values.map((v) => tensor(v.dtype, v.shape)), options(BuiltinOptions.AddNOptions, new AddNOptionsT()));
  const addN = (values: Value[]) => evaluate(addNOp(values), values)[0]!;

  test.each([
    { n: 2, shape: [3, 5, 7] },
    { n: 3, shape: [1, 9, 5, 3] },
    { n: 5, shape: [11] },
    { n: 7, shape: [] },
  ])('float32, $n inputs of [$shape] as tfjs', ({ n, shape }) => {
    const values = Array.from({ length: n }, (_, i) => randomValue('float32', shape, 100 + i, -3, 3));
    // tfjs also accumulates in float32, in input order: the sums agree to the last bit.
    expectClose(addN(values), tf.addN(values.map(toTf)), 0);
  });

  test('int32 as tfjs', () => {
    const values = Array.from({ length: 4 }, (_, i) => randomValue('int32', [3, 7, 5], 200 + i, -1000, 1000));
    expectClose(addN(values), tf.addN(values.map(toTf)), 0);
  });

  test('int32 wraps like the runtime; int64 sums exactly beyond 2^53', () => {
    const big: Value = { dtype: 'int32', shape: [2], data: Int32Array.of(2 ** 31 - 1, -(2 ** 31)) };
    const one: Value = { dtype: 'int32', shape: [2], data: Int32Array.of(1, -1) };
    expect(numbers(addN([big, one]))).toEqual([-(2 ** 31), 2 ** 31 - 1]);
    const a: Value = { dtype: 'int64', shape: [3], data: BigInt64Array.of(2n ** 60n, -5n, 7n) };
    const b: Value = { dtype: 'int64', shape: [3], data: BigInt64Array.of(3n, 5n, -9n) };
    expect(Array.from(addN([a, b, b]).data as BigInt64Array)).toEqual([2n ** 60n + 6n, 5n, -11n]);
  });

  test('mismatched shapes are an error', () => {
    const def = REGISTRY.def(BuiltinOperator.ADD_N)!;
    const a = randomValue('float32', [3, 5], 1);
    const b = randomValue('float32', [5, 3], 2);
    expect(() => def.evaluate!(addNOp([a, b]), [a, b])).toThrow(GraphError);
  });

  test('infers the best-known shape from all inputs', () => {
    const def = REGISTRY.def(BuiltinOperator.ADD_N)!;
    const op = makeOp(BuiltinOperator.ADD_N, [tensor('float32', [-1, 5, -1]), tensor('float32', null), tensor('float32', [3, -1, 7])], null);
    expect(def.infer(op)[0]).toEqual({ dtype: 'float32', shape: [3, 5, 7] });
    expect(def.infer(makeOp(BuiltinOperator.ADD_N, [tensor('float32', null), tensor('float32', null)], null))[0]!.shape).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------
// TOPK_V2

/** A plain reference: stable sort of each row by descending value. */
function naiveTopK(v: Value, k: number): { values: number[]; indices: number[] } {
  const row = v.shape[v.shape.length - 1]!;
  const data = numbers(v);
  const values: number[] = [];
  const indices: number[] = [];
  for (let r = 0; r < data.length / row; r++) {
    const order = Array.from({ length: row }, (_, i) => i).sort((a, b) => data[r * row + b]! - data[r * row + a]! || a - b);
    for (const i of order.slice(0, k)) {
      indices.push(i);
      values.push(data[r * row + i]!);
    }
  }
  return { values, indices };
}

describe('TOPK_V2', () => {
  const topKOp = (x: Value, k: number) =>
    makeOp(BuiltinOperator.TOPK_V2, [tensor(x.dtype, x.shape), tensor('int32', [], [k])], options(BuiltinOptions.TopKV2Options, new TopKV2OptionsT()), 2);
  const topK = (x: Value, k: number) => evaluate(topKOp(x, k), [x, { dtype: 'int32', shape: [], data: Int32Array.of(k) }]) as [Value, Value];

  test.each([
    { shape: [13], k: 5 },
    { shape: [3, 5, 13], k: 1 },
    { shape: [3, 5, 13], k: 7 },
    { shape: [3, 5, 13], k: 13 },
    { shape: [7, 9], k: 0 },
  ])('float32 [$shape], k = $k as tfjs', ({ shape, k }) => {
    const x = randomValue('float32', shape, 300 + k, -5, 5);
    const [values, indices] = topK(x, k);
    const ref = tf.topk(toTf(x), k, true);
    expectClose(values, ref.values, 0);
    expect(indices.dtype).toBe('int32');
    expect(numbers(indices)).toEqual(Array.from(ref.indices.dataSync()));
  });

  test('ties keep the lower index first, as tfjs and TFLite', () => {
    // Values from {-2..2} over rows of 11: every row has ties.
    const x = randomValue('int32', [5, 3, 11], 17, -2, 3);
    const [values, indices] = topK(x, 6);
    const ref = tf.topk(toTf(x), 6, true);
    expect(numbers(values)).toEqual(Array.from(ref.values.dataSync()));
    expect(numbers(indices)).toEqual(Array.from(ref.indices.dataSync()));
  });

  test.each(['int8', 'uint8', 'int16', 'int64'] as DType[])('%s against a plain reference', (dtype) => {
    const [lo, hi] = dtype === 'uint8' ? [0, 256] : [-128, 128];
    const x = randomValue(dtype, [3, 7, 9], 41, lo, hi);
    const [values, indices] = topK(x, 4);
    const ref = naiveTopK(x, 4);
    expect(values.dtype).toBe(dtype);
    expect(numbers(values)).toEqual(ref.values);
    expect(numbers(indices)).toEqual(ref.indices);
  });

  test('int64 values beyond 2^53 keep their order and bits', () => {
    const x: Value = { dtype: 'int64', shape: [3], data: BigInt64Array.of(2n ** 62n, 2n ** 62n + 1n, -1n) };
    const [values, indices] = topK(x, 2);
    expect(Array.from(values.data as BigInt64Array)).toEqual([2n ** 62n + 1n, 2n ** 62n]);
    expect(numbers(indices)).toEqual([1, 0]);
  });

  test('k outside [0, last dimension] is an error', () => {
    const def = REGISTRY.def(BuiltinOperator.TOPK_V2)!;
    const x = randomValue('float32', [3, 5], 1);
    expect(() => def.evaluate!(topKOp(x, 6), [x, { dtype: 'int32', shape: [], data: Int32Array.of(6) }])).toThrow(/k = 6/);
    expect(() => def.evaluate!(topKOp(x, -1), [x, { dtype: 'int32', shape: [], data: Int32Array.of(-1) }])).toThrow(GraphError);
  });

  test('infers [..., k] and int32 indices; unknown k or rank stay unknown', () => {
    const def = REGISTRY.def(BuiltinOperator.TOPK_V2)!;
    const infer = (x: Shape, k: Tensor) => def.infer(makeOp(BuiltinOperator.TOPK_V2, [tensor('float32', x), k], null, 2));
    expect(infer([-1, 5, 13], tensor('int32', [], [4]))).toEqual([
      { dtype: 'float32', shape: [-1, 5, 4] },
      { dtype: 'int32', shape: [-1, 5, 4] },
    ]);
    expect(infer([3, 13], tensor('int32', []))[0]!.shape).toEqual([3, -1]);
    expect(infer(null, tensor('int32', [], [4]))[1]).toEqual({ dtype: 'int32', shape: null });
  });

  test('versions follow op_version.cc: int8 → 2, int16 → 3, otherwise 1', () => {
    const def = REGISTRY.def(BuiltinOperator.TOPK_V2)!;
    const version = (dtype: DType) => {
      const op = makeOp(BuiltinOperator.TOPK_V2, [tensor(dtype, [3, 5]), tensor('int32', [], [2])], null, 2);
      REGISTRY.inferInto(op);
      return def.version!(op);
    };
    expect(['float32', 'uint8', 'int32', 'int64', 'int8', 'int16'].map((t) => version(t as DType))).toEqual([1, 1, 1, 1, 2, 3]);
  });
});

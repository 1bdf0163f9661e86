/**
 * Conformance of the reduction and normalization kernels (src/ops/reduce.ts evaluate) against
 * tfjs-core on seeded random data with odd sizes on every dimension, plus shape inference with
 * unknown dimensions and the op versions TFLite's op_version.cc asks for.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, test } from 'vitest';
import { ActivationFunctionType } from '../../generated/tflite/activation-function-type.js';
import { ArgMaxOptionsT } from '../../generated/tflite/arg-max-options.js';
import { ArgMinOptionsT } from '../../generated/tflite/arg-min-options.js';
import { BuiltinOperator } from '../../generated/tflite/builtin-operator.js';
import { BuiltinOptions } from '../../generated/tflite/builtin-options.js';
import { L2NormOptionsT } from '../../generated/tflite/l2norm-options.js';
import { LogSoftmaxOptionsT } from '../../generated/tflite/log-softmax-options.js';
import { ReducerOptionsT } from '../../generated/tflite/reducer-options.js';
import { SoftmaxOptionsT } from '../../generated/tflite/softmax-options.js';
import { TensorType } from '../../generated/tflite/tensor-type.js';
import type { DType } from '../../src/ir/dtype.js';
import type { TflOp } from '../../src/ir/op.js';
import { bytesOf, Tensor, type Shape } from '../../src/ir/tensor.js';
import { makeValue, type Value } from '../../src/kernels/value.js';
import { options } from '../../src/ops/op-def.js';
import { REGISTRY } from '../../src/ops/registry.js';
import { evaluateChecked, makeOp } from '../helpers/tfl-ops.js';
import { closeWithin, randomValue, toTf } from '../helpers/tfjs-values.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// ---------------------------------------------------------------------------------------------
// Building ops and values.

function tensor(dtype: DType, shape: Shape, values?: ArrayLike<number>): Tensor {
  const t = new Tensor('t', dtype, shape);
  if (values !== undefined) t.data = { kind: 'bytes', bytes: bytesOf(dtype === 'int64' ? BigInt64Array.from(Array.from(values), BigInt) : Int32Array.from(values)) };
  return t;
}

const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

const expectClose = closeWithin(1e-5);

// ---------------------------------------------------------------------------------------------
// Reductions.

type Reducer = 'MEAN' | 'SUM' | 'REDUCE_PROD' | 'REDUCE_MAX' | 'REDUCE_MIN' | 'REDUCE_ANY' | 'REDUCE_ALL';

const TFJS: Record<Reducer, (x: tf.Tensor, axes: number[], keep: boolean) => tf.Tensor> = {
  MEAN: (x, a, k) => tf.mean(x, a, k),
  SUM: (x, a, k) => tf.sum(x, a, k),
  REDUCE_PROD: (x, a, k) => tf.prod(x, a, k),
  REDUCE_MAX: (x, a, k) => tf.max(x, a, k),
  REDUCE_MIN: (x, a, k) => tf.min(x, a, k),
  REDUCE_ANY: (x, a, k) => tf.any(x, a, k),
  REDUCE_ALL: (x, a, k) => tf.all(x, a, k),
};

function reduceOp(name: Reducer, x: Value, axes: number[], keepDims: boolean, axisDtype: DType = 'int32'): TflOp {
  const opts = options(BuiltinOptions.ReducerOptions, new ReducerOptionsT(keepDims));
  return makeOp(BuiltinOperator[name], [tensor(x.dtype, x.shape), tensor(axisDtype, [axes.length], axes)], opts);
}

function runReduce(name: Reducer, x: Value, axes: number[], keepDims: boolean): Value {
  const axisValue: Value = { dtype: 'int32', shape: [axes.length], data: Int32Array.from(axes) };
  return evaluateChecked(reduceOp(name, x, axes, keepDims), [x, axisValue]);
}

/** Axis lists, with the distinct positive axes tfjs is given (tfjs rejects repeated axes). */
const AXES: { axes: number[]; tfjs: number[] }[] = [
  { axes: [0], tfjs: [0] },
  { axes: [1], tfjs: [1] },
  { axes: [-1], tfjs: [2] },
  { axes: [0, 2], tfjs: [0, 2] },
  { axes: [2, 0], tfjs: [0, 2] },
  { axes: [-1, 2, 1], tfjs: [1, 2] },
  { axes: [0, 1, 2], tfjs: [0, 1, 2] },
  { axes: [-3, -2], tfjs: [0, 1] },
];

const SHAPE = [3, 5, 7];

describe('reductions match tfjs', () => {
  const floatOps: Reducer[] = ['MEAN', 'SUM', 'REDUCE_MAX', 'REDUCE_MIN', 'REDUCE_PROD'];
  for (const name of floatOps) {
    for (const keep of [false, true]) {
      test.each(AXES)(`${name} float32 keepDims=${keep} axes=$axes`, ({ axes, tfjs }) => {
        // Products of 7 values stay well conditioned near 1.
        const x = name === 'REDUCE_PROD' ? randomValue('float32', SHAPE, 11, 0.5, 1.5) : randomValue('float32', SHAPE, 7);
        expectClose(runReduce(name, x, axes, keep), TFJS[name](toTf(x), tfjs, keep));
      });
    }
  }

  for (const name of ['SUM', 'REDUCE_MAX', 'REDUCE_MIN', 'REDUCE_PROD'] as const) {
    test.each(AXES)(`${name} int32 axes=$axes`, ({ axes, tfjs }) => {
      const x = name === 'REDUCE_PROD' ? randomValue('int32', SHAPE, 5, -3, 4) : randomValue('int32', SHAPE, 5, -100, 100);
      const ours = runReduce(name, x, axes, false);
      expect(ours.dtype).toBe('int32');
      expectClose(ours, TFJS[name](toTf(x), tfjs, false), 0);
    });
  }

  test.each(AXES)('MEAN int32 truncates toward zero, axes=$axes', ({ axes, tfjs }) => {
    const x = randomValue('int32', SHAPE, 9, -100, 100);
    const ours = runReduce('MEAN', x, axes, true);
    const ref = tf.tidy(() => {
      const mean = tf.mean(tf.cast(toTf(x), 'float32'), tfjs, true);
      return tf.mul(tf.sign(mean), tf.floor(tf.add(tf.abs(mean), 1e-4)));
    });
    expectClose(ours, ref, 0);
  });

  test.each(['SUM', 'MEAN', 'REDUCE_MAX', 'REDUCE_MIN', 'REDUCE_PROD'] as const)('%s int64 equals the int32 result', (name) => {
    const x32 = randomValue('int32', SHAPE, 13, -3, 4);
    const x64: Value = { dtype: 'int64', shape: SHAPE, data: BigInt64Array.from(x32.data as Int32Array, BigInt) };
    const a = runReduce(name, x32, [0, -1], false);
    const b = runReduce(name, x64, [0, -1], false);
    expect(b.dtype).toBe('int64');
    expect(Array.from(b.data as BigInt64Array, Number)).toEqual(Array.from(a.data as Int32Array));
  });

  for (const name of ['REDUCE_ANY', 'REDUCE_ALL'] as const) {
    for (const keep of [false, true]) {
      test.each(AXES)(`${name} bool keepDims=${keep} axes=$axes`, ({ axes, tfjs }) => {
        // Mostly one value, so some rows are uniform and both answers occur.
        const x = randomValue('bool', SHAPE, 3, name === 'REDUCE_ANY' ? -8 : -0.15, 1);
        const ours = runReduce(name, x, axes, keep);
        expect(ours.dtype).toBe('bool');
        expectClose(ours, TFJS[name](toTf(x), tfjs, keep), 0);
      });
    }
  }

  test('rank 4 with odd sizes, two middle axes kept (global pooling)', () => {
    const x = randomValue('float32', [3, 5, 7, 9], 21);
    expectClose(runReduce('MEAN', x, [1, 2], true), tf.mean(toTf(x), [1, 2], true));
    expectClose(runReduce('REDUCE_MAX', x, [-3, -2], false), tf.max(toTf(x), [1, 2], false));
  });

  test('an empty axis list is the identity, and a scalar reduces to itself', () => {
    const x = randomValue('float32', [3, 5], 4);
    for (const name of ['MEAN', 'SUM', 'REDUCE_MAX', 'REDUCE_PROD'] as const) {
      const out = runReduce(name, x, [], false);
      expect(out.shape).toEqual([3, 5]);
      expect(Array.from(out.data as Float32Array)).toEqual(Array.from(x.data as Float32Array));
    }
    const scalar: Value = { dtype: 'float32', shape: [], data: Float32Array.of(2.5) };
    expect(Array.from(runReduce('SUM', scalar, [], true).data)).toEqual([2.5]);
  });

  test('-inf survives REDUCE_MAX; integer sums wrap like int32', () => {
    const x: Value = { dtype: 'float32', shape: [2, 3], data: Float32Array.of(-Infinity, -Infinity, -Infinity, 1, 2, 3) };
    expect(Array.from(runReduce('REDUCE_MAX', x, [1], false).data)).toEqual([-Infinity, 3]);
    const big: Value = { dtype: 'int32', shape: [2], data: Int32Array.of(2 ** 31 - 1, 1) };
    expect(Array.from(runReduce('SUM', big, [0], false).data)).toEqual([-(2 ** 31)]);
  });

  test('out-of-range axes are rejected', () => {
    const x = randomValue('float32', [3, 5], 4);
    expect(() => runReduce('SUM', x, [2], false)).toThrow(/out of range/);
  });
});

// ---------------------------------------------------------------------------------------------
// ARG_MAX / ARG_MIN.

function argOp(isMax: boolean, x: Value, axis: number, outType: TensorType, axisDtype: DType = 'int32'): TflOp {
  const opts = isMax
    ? options(BuiltinOptions.ArgMaxOptions, new ArgMaxOptionsT(outType))
    : options(BuiltinOptions.ArgMinOptions, new ArgMinOptionsT(outType));
  return makeOp(isMax ? BuiltinOperator.ARG_MAX : BuiltinOperator.ARG_MIN, [tensor(x.dtype, x.shape), tensor(axisDtype, [1], [axis])], opts);
}

describe('ARG_MAX / ARG_MIN match tfjs', () => {
  const cases = [0, 1, 2, -1, -3].flatMap((axis) =>
    (['float32', 'int32'] as const).flatMap((dtype) => [true, false].map((isMax) => ({ axis, dtype, isMax }))),
  );
  test.each(cases)('axis $axis $dtype max=$isMax', ({ axis, dtype, isMax }) => {
    // int32 data from a small range has many ties: both sides must pick the first index.
    const x = dtype === 'float32' ? randomValue('float32', SHAPE, 17) : randomValue('int32', SHAPE, 17, 0, 3);
    const axisValue: Value = { dtype: 'int32', shape: [1], data: Int32Array.of(axis) };
    const ours = evaluateChecked(argOp(isMax, x, axis, TensorType.INT32), [x, axisValue]);
    expect(ours.dtype).toBe('int32');
    expectClose(ours, isMax ? tf.argMax(toTf(x), axis) : tf.argMin(toTf(x), axis), 0);
  });

  test('int64 output and int64 axis; ties keep the first index', () => {
    const x: Value = { dtype: 'float32', shape: [2, 4], data: Float32Array.of(1, 3, 3, 0, 5, 5, 5, 5) };
    const axisValue: Value = { dtype: 'int64', shape: [1], data: BigInt64Array.of(-1n) };
    const max = evaluateChecked(argOp(true, x, -1, TensorType.INT64, 'int64'), [x, axisValue]);
    expect(max.dtype).toBe('int64');
    expect(Array.from(max.data as BigInt64Array)).toEqual([1n, 0n]);
    const min = evaluateChecked(argOp(false, x, -1, TensorType.INT64, 'int64'), [x, axisValue]);
    expect(Array.from(min.data as BigInt64Array)).toEqual([3n, 0n]);
  });

  test('bool input', () => {
    const x: Value = { dtype: 'bool', shape: [3], data: Uint8Array.of(0, 1, 1) };
    const axisValue: Value = { dtype: 'int32', shape: [1], data: Int32Array.of(0) };
    expect(Array.from(evaluateChecked(argOp(true, x, 0, TensorType.INT32), [x, axisValue]).data)).toEqual([1]);
  });
});

// ---------------------------------------------------------------------------------------------
// Normalizations over the last axis.

describe('SOFTMAX / LOG_SOFTMAX / L2_NORMALIZATION match tfjs', () => {
  const shapes = [[7], [3, 5], [3, 5, 7], [1, 3, 5, 7], [3, 1]].map((shape) => ({ shape }));
  test.each(shapes)('SOFTMAX $shape', ({ shape }) => {
    const x = randomValue('float32', shape, 23, -4, 4);
    for (const beta of [1, 0.5, 2.5]) {
      const op = makeOp(BuiltinOperator.SOFTMAX, [tensor('float32', shape)], options(BuiltinOptions.SoftmaxOptions, new SoftmaxOptionsT(beta)));
      expectClose(evaluateChecked(op, [x]), tf.tidy(() => tf.softmax(tf.mul(toTf(x), beta))), 1e-6);
    }
  });

  test.each(shapes)('LOG_SOFTMAX $shape', ({ shape }) => {
    const x = randomValue('float32', shape, 29, -4, 4);
    const op = makeOp(BuiltinOperator.LOG_SOFTMAX, [tensor('float32', shape)], options(BuiltinOptions.LogSoftmaxOptions, new LogSoftmaxOptionsT()));
    expectClose(evaluateChecked(op, [x]), tf.logSoftmax(toTf(x)), 1e-6);
  });

  test.each(shapes)('L2_NORMALIZATION $shape', ({ shape }) => {
    const x = randomValue('float32', shape, 31);
    const op = makeOp(BuiltinOperator.L2_NORMALIZATION, [tensor('float32', shape)], options(BuiltinOptions.L2NormOptions, new L2NormOptionsT()));
    const ref = tf.tidy(() => {
      const t = toTf(x);
      return tf.div(t, tf.maximum(tf.sqrt(tf.sum(tf.square(t), -1, true)), 1e-6));
    });
    expectClose(evaluateChecked(op, [x]), ref, 1e-6);
  });

  test('L2_NORMALIZATION of a zero row divides by the 1e-6 floor', () => {
    const x: Value = { dtype: 'float32', shape: [2, 2], data: Float32Array.of(0, 0, 3e-7, 4e-7) };
    const opts = options(BuiltinOptions.L2NormOptions, new L2NormOptionsT(ActivationFunctionType.NONE));
    const out = evaluateChecked(makeOp(BuiltinOperator.L2_NORMALIZATION, [tensor('float32', [2, 2])], opts), [x]);
    expect(Array.from(out.data as Float32Array).map((v) => Math.round(v * 1000) / 1000)).toEqual([0, 0, 0.3, 0.4]);
  });
});

// ---------------------------------------------------------------------------------------------
// Shape inference with partial knowledge, and versions.

describe('inference and versions', () => {
  const infer = (op: TflOp) => REGISTRY.def(op.builtin)!.infer(op)[0]!;
  const reducer = (x: Tensor, axis: Tensor, keepDims: boolean) =>
    makeOp(BuiltinOperator.SUM, [x, axis], options(BuiltinOptions.ReducerOptions, new ReducerOptionsT(keepDims)));

  test('constant axes with unknown dimensions elsewhere', () => {
    expect(infer(reducer(tensor('float32', [-1, 5, 7]), tensor('int32', [2], [-1, 1]), false)).shape).toEqual([-1]);
    expect(infer(reducer(tensor('float32', [-1, 5, 7]), tensor('int32', [2], [-1, 1]), true)).shape).toEqual([-1, 1, 1]);
    expect(infer(reducer(tensor('float32', [-1, 5, 7]), tensor('int64', [1], [0]), false)).shape).toEqual([5, 7]);
  });

  test('computed axes', () => {
    expect(infer(reducer(tensor('float32', [3, 5, 7]), tensor('int32', [2]), true)).shape).toEqual([-1, -1, -1]);
    expect(infer(reducer(tensor('float32', [3, 5, 7]), tensor('int32', []), false)).shape).toEqual([-1, -1]);
    expect(infer(reducer(tensor('float32', [3, 5, 7]), tensor('int32', [2]), false)).shape).toBeNull();
    expect(infer(reducer(tensor('float32', null), tensor('int32', [1], [0]), false)).shape).toBeNull();
    expect(infer(reducer(tensor('float32', [1, 5, 7]), tensor('int32', [2]), true)).shape).toEqual([1, -1, -1]);
    expect(infer(reducer(tensor('float32', []), tensor('int32', [2]), false)).shape).toEqual([]);
  });

  test('ARG_MAX shapes and output types', () => {
    const x = tensor('float32', [-1, 5, 7]);
    expect(infer(argOp(true, { dtype: 'float32', shape: [1, 5, 7], data: new Float32Array(35) }, -1, TensorType.INT64))).toEqual({ dtype: 'int64', shape: [1, 5] });
    const op = argOp(false, { dtype: 'float32', shape: [1], data: new Float32Array(1) }, 0, TensorType.INT32);
    op.inputs = [x, tensor('int32', [1])];
    expect(infer(op)).toEqual({ dtype: 'int32', shape: [-1, -1] });
  });

  test('versions follow op_version.cc', () => {
    const version = (op: TflOp) => REGISTRY.def(op.builtin)!.version?.(op) ?? 1;
    const mean = (dtype: DType) => reduceOp('MEAN', makeValue(dtype, [3]), [0], false);
    expect([version(mean('float32')), version(mean('int8')), version(mean('int16'))]).toEqual([1, 2, 3]);
    expect(version(reduceOp('SUM', makeValue('int8', [3]), [0], false))).toBe(2);
    expect(version(reduceOp('REDUCE_PROD', makeValue('int16', [3]), [0], false))).toBe(2);
    expect(version(argOp(true, makeValue('bool', [3]), 0, TensorType.INT32))).toBe(3);
    expect(version(argOp(true, makeValue('float32', [3]), 0, TensorType.INT32))).toBe(1);
  });
});

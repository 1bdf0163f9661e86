/**
 * Conformance of the creation, cast, select, resize and space/depth kernels (src/ops/generate.ts
 * evaluate) against tfjs-core on seeded random data with odd sizes on every dimension; where tfjs
 * has no such op (SpaceToDepth) or computes it differently (TF1 Select with a vector condition),
 * the reference is built from other tfjs ops. Also shape inference with unknown dimensions and the
 * op versions TFLite's op_version.cc asks for.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, test } from 'vitest';
import { BuiltinOperator } from '../../generated/tflite/builtin-operator.js';
import { BuiltinOptions } from '../../generated/tflite/builtin-options.js';
import { CastOptionsT } from '../../generated/tflite/cast-options.js';
import { DepthToSpaceOptionsT } from '../../generated/tflite/depth-to-space-options.js';
import { ResizeBilinearOptionsT } from '../../generated/tflite/resize-bilinear-options.js';
import { ResizeNearestNeighborOptionsT } from '../../generated/tflite/resize-nearest-neighbor-options.js';
import { ShapeOptionsT } from '../../generated/tflite/shape-options.js';
import { SpaceToDepthOptionsT } from '../../generated/tflite/space-to-depth-options.js';
import { TensorType } from '../../generated/tflite/tensor-type.js';
import type { DType } from '../../src/ir/dtype.js';
import type { TflOp } from '../../src/ir/op.js';
import { bytesOf, Tensor, type Shape } from '../../src/ir/tensor.js';
import { fromNumbers, type Value } from '../../src/kernels/value.js';
import { options } from '../../src/ops/op-def.js';
import { REGISTRY } from '../../src/ops/registry.js';
import { tfliteTypeOf } from '../../src/ops/tflite-schema.js';
import { evaluateChecked, makeOp } from '../helpers/tfl-ops.js';
import { closeWithin, randomValue, toTf } from '../helpers/tfjs-values.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// ---------------------------------------------------------------------------------------------
// Building ops and values.

const B = BuiltinOperator;

/** A graph tensor for an op input: constant (data attached) or only typed. */
function tensorOf(v: Value | { dtype: DType; shape: Shape }, constant: boolean): Tensor {
  const t = new Tensor('t', v.dtype, v.shape);
  if (constant && 'data' in v) t.data = { kind: 'bytes', bytes: bytesOf(v.data) };
  return t;
}

/**
 * Evaluates `builtin` on `values`; inputs at `constants` are constant tensors for inference. The
 * kernel's output must agree with shape inference on the same op.
 */
function run(builtin: BuiltinOperator, values: Value[], opts: TflOp['options'] = null, constants: number[] = []): Value {
  return evaluateChecked(makeOp(builtin, values.map((v, i) => tensorOf(v, constants.includes(i))), opts), values);
}

const int32 = (values: number[], shape = [values.length]): Value => fromNumbers('int32', shape, values);
const scalar = (dtype: DType, value: number): Value => fromNumbers(dtype, [], [value]);

const expectClose = closeWithin(0);

const numbers = (v: Value) => Array.from(v.data as ArrayLike<number | bigint>, Number);

// ---------------------------------------------------------------------------------------------
// CAST

const castOpts = (from: DType, to: DType) => options(BuiltinOptions.CastOptions, new CastOptionsT(tfliteTypeOf(from), tfliteTypeOf(to)));
const cast = (x: Value, to: DType) => run(B.CAST, [x], castOpts(x.dtype, to));

describe('CAST', () => {
  test.each(['int32', 'bool'] as const)('float32 → %s matches tfjs (truncation toward zero, != 0)', (to) => {
    const x = randomValue('float32', [3, 5, 7], 1, -9, 9);
    (x.data as Float32Array).set([-2.5, -0.5, -0.0, 0, 0.5, 1.999, -1.999], 0);
    expectClose(cast(x, to), tf.cast(toTf(x), to));
  });

  test.each([
    ['int32', 'float32'],
    ['int32', 'bool'],
    ['bool', 'float32'],
    ['bool', 'int32'],
  ] as const)('%s → %s matches tfjs', (from, to) => {
    const x = randomValue(from, [5, 7], 2, -50, 50);
    expectClose(cast(x, to), tf.cast(toTf(x), to));
  });

  test('float32 → int32 / int16 / uint8 saturate (cast.cc), NaN → INT32_MAX for int32', () => {
    const x = fromNumbers('float32', [6], [3e9, -3e9, NaN, 70000.7, -70000.7, 300.9]);
    expect(numbers(cast(x, 'int32'))).toEqual([2147483647, -2147483648, 2147483647, 70000, -70000, 300]);
    expect(numbers(cast(x, 'int16'))).toEqual([32767, -32768, 0, 32767, -32768, 300]);
    expect(numbers(cast(x, 'uint8'))).toEqual([255, 0, 0, 255, 0, 255]);
  });

  test('integers narrow modulo 2^bits; int64 is exact beyond 2^53', () => {
    const big: Value = { dtype: 'int64', shape: [3], data: BigInt64Array.from([2n ** 60n + 5n, -1n, 2n ** 31n]) };
    expect(numbers(cast(big, 'int32'))).toEqual([5, -1, -(2 ** 31)]);
    expect(numbers(cast(big, 'uint8'))).toEqual([5, 255, 0]);
    expect(Array.from(cast(fromNumbers('int32', [2], [-7, 9]), 'int64').data as BigInt64Array)).toEqual([-7n, 9n]);
    expect(numbers(cast(fromNumbers('float32', [3], [-7.9, 300.5, 2 ** 40]), 'int64'))).toEqual([-7, 300, 2 ** 40]);
    expect(numbers(cast(fromNumbers('float32', [2], [-7.9, 300.5]), 'int8'))).toEqual([-7, 44]);
  });

  test('to float16 / bfloat16 rounds to nearest even, and back', () => {
    const x = fromNumbers('float32', [5], [1, -2.5, 65504, 1 + 2 ** -11, 1 + 3 * 2 ** -11]);
    const half = cast(x, 'float16');
    expect(Array.from(half.data as Uint16Array)).toEqual([0x3c00, 0xc100, 0x7bff, 0x3c00, 0x3c02]);
    expect(numbers(cast(half, 'float32'))).toEqual([1, -2.5, 65504, 1, 1 + 2 ** -9]);
    const bf = cast(fromNumbers('float32', [3], [1, 1 + 2 ** -8, 1 + 3 * 2 ** -8]), 'bfloat16');
    expect(Array.from(bf.data as Uint16Array)).toEqual([0x3f80, 0x3f80, 0x3f82]);
    expect(numbers(cast(bf, 'float32'))).toEqual([1, 1, 1 + 2 ** -6]);
  });

  test('versions follow op_version.cc', () => {
    const version = (from: DType, to: DType) => REGISTRY.def(B.CAST)!.version!(makeOp(B.CAST, [tensorOf({ dtype: from, shape: [2] }, false)], castOpts(from, to)));
    expect(version('float32', 'int32')).toBe(1);
    expect(version('uint32', 'float32')).toBe(2);
    expect(version('int8', 'float32')).toBe(3);
    expect(version('float32', 'uint16')).toBe(4);
    expect(version('float16', 'float32')).toBe(5);
    expect(version('float32', 'bfloat16')).toBe(7);
  });

  test('without CastOptions (a .tflite written without them) the output dtype is the target', () => {
    const op = makeOp(B.CAST, [tensorOf({ dtype: 'float32', shape: [2, -1] }, false)]);
    op.outputs[0]!.dtype = 'int32';
    expect(REGISTRY.def(B.CAST)!.infer(op)).toEqual([{ dtype: 'int32', shape: [2, -1] }]);
  });
});

// ---------------------------------------------------------------------------------------------
// SHAPE, FILL, ZEROS_LIKE, RANGE

describe('creation ops', () => {
  test.each([
    [TensorType.INT32, 'int32'],
    [TensorType.INT64, 'int64'],
  ] as const)('SHAPE out_type %s', (type, dtype) => {
    const opts = options(BuiltinOptions.ShapeOptions, new ShapeOptionsT(type));
    const out = run(B.SHAPE, [randomValue('float32', [3, 1, 5], 1)], opts);
    expect(out.dtype).toBe(dtype);
    expect(numbers(out)).toEqual([3, 1, 5]);
    const unknown = makeOp(B.SHAPE, [tensorOf({ dtype: 'float32', shape: null }, false)], opts);
    expect(REGISTRY.def(B.SHAPE)!.infer(unknown)).toEqual([{ dtype, shape: [-1] }]);
  });

  test.each([
    ['float32', -1.5],
    ['int32', 7],
    ['bool', 1],
  ] as const)('FILL %s matches tfjs', (dtype, value) => {
    const out = run(B.FILL, [int32([3, 1, 5]), scalar(dtype, value)], null, [0]);
    expectClose(out, tf.fill([3, 1, 5], dtype === 'bool' ? 1 : value, dtype === 'bool' ? 'bool' : dtype));
  });

  test('FILL with int64 dims and int64 value; unknown dims infer from the dims length', () => {
    const dims: Value = { dtype: 'int64', shape: [2], data: BigInt64Array.from([3n, 5n]) };
    const out = run(B.FILL, [dims, { dtype: 'int64', shape: [], data: BigInt64Array.from([-4n]) }], null, [0]);
    expect(out.shape).toEqual([3, 5]);
    expect(new Set(out.data as BigInt64Array)).toEqual(new Set([-4n]));
    const op = makeOp(B.FILL, [tensorOf({ dtype: 'int32', shape: [4] }, false), tensorOf({ dtype: 'float32', shape: [] }, false)]);
    expect(REGISTRY.def(B.FILL)!.infer(op)).toEqual([{ dtype: 'float32', shape: [-1, -1, -1, -1] }]);
    expect(REGISTRY.def(B.FILL)!.version!(makeOp(B.FILL, [null, tensorOf({ dtype: 'bool', shape: [] }, false)]))).toBe(2);
  });

  test.each(['float32', 'int32', 'bool'] as const)('ZEROS_LIKE %s matches tfjs', (dtype) => {
    const x = randomValue(dtype, [3, 5, 7], 3, -5, 5);
    expectClose(run(B.ZEROS_LIKE, [x]), tf.zerosLike(toTf(x)));
  });

  const RANGES: [number, number, number][] = [
    [0, 10, 3],
    [10, 0, -3],
    [-2.5, 4.1, 0.7],
    [5, -3.2, -0.45],
    [1, 1, 1],
    [0.1, 1, 0.1],
  ];
  test.each(RANGES)('RANGE float32 %s..%s by %s matches tfjs', (start, limit, delta) => {
    const out = run(B.RANGE, [scalar('float32', start), scalar('float32', limit), scalar('float32', delta)], null, [0, 1, 2]);
    expectClose(out, tf.range(Math.fround(start), Math.fround(limit), Math.fround(delta), 'float32'), 1e-6);
  });

  test.each([
    [0, 10, 3],
    [10, 0, -3],
    [-7, 8, 5],
    [9, -4, -2],
    [3, 3, -1],
  ])('RANGE int32 %s..%s by %s matches tfjs', (start, limit, delta) => {
    const out = run(B.RANGE, [scalar('int32', start), scalar('int32', limit), scalar('int32', delta)], null, [0, 1, 2]);
    expectClose(out, tf.range(start, limit, delta, 'int32'));
  });

  test('RANGE int64 (version 2), unknown length when not constant, and the kernel errors', () => {
    const big = (n: number): Value => ({ dtype: 'int64', shape: [], data: BigInt64Array.from([BigInt(n)]) });
    const out = run(B.RANGE, [big(-3), big(4), big(2)], null, [0, 1, 2]);
    expect(Array.from(out.data as BigInt64Array)).toEqual([-3n, -1n, 1n, 3n]);
    const op = makeOp(B.RANGE, [0, 1, 2].map(() => tensorOf({ dtype: 'int64', shape: [] }, false)));
    expect(REGISTRY.def(B.RANGE)!.infer(op)).toEqual([{ dtype: 'int64', shape: [-1] }]);
    expect(REGISTRY.def(B.RANGE)!.version!(op)).toBe(2);
    const def = REGISTRY.def(B.RANGE)!;
    expect(() => def.evaluate!(op, [scalar('int32', 0), scalar('int32', 5), scalar('int32', 0)])).toThrow(/delta/);
    expect(() => def.evaluate!(op, [scalar('int32', 0), scalar('int32', 5), scalar('int32', -1)])).toThrow(/never ends/);
  });
});

// ---------------------------------------------------------------------------------------------
// SELECT, SELECT_V2

describe('SELECT and SELECT_V2', () => {
  const SHAPES: [number[], number[], number[]][] = [
    [[3, 5, 7], [3, 5, 7], [3, 5, 7]],
    [[5, 1], [3, 5, 7], [7]],
    [[], [3, 5], [1, 5]],
    [[3, 1, 7], [1, 5, 1], [3, 5, 7]],
    [[1, 3, 1, 5, 1], [2, 1, 3, 1, 5], [5]],
  ];
  test.each(SHAPES)('SELECT_V2 cond %j x %j y %j matches tf.where', (cs, xs, ys) => {
    const [c, x, y] = [randomValue('bool', cs, 1), randomValue('float32', xs, 2), randomValue('float32', ys, 3)];
    expectClose(run(B.SELECT_V2, [c, x, y]), tf.where(toTf(c) as tf.Tensor, toTf(x), toTf(y)));
  });

  test.each(['int32', 'bool'] as const)('SELECT_V2 on %s', (dtype) => {
    const [c, x, y] = [randomValue('bool', [3, 1], 4), randomValue(dtype, [3, 5], 5, -9, 9), randomValue(dtype, [5], 6, -9, 9)];
    expectClose(run(B.SELECT_V2, [c, x, y]), tf.where(toTf(c), toTf(x), toTf(y)));
  });

  test('SELECT elementwise and with a scalar condition', () => {
    const [x, y] = [randomValue('float32', [3, 5, 7], 7), randomValue('float32', [3, 5, 7], 8)];
    const c = randomValue('bool', [3, 5, 7], 9);
    expectClose(run(B.SELECT, [c, x, y]), tf.where(toTf(c), toTf(x), toTf(y)));
    expectClose(run(B.SELECT, [fromNumbers('bool', [], [0]), x, y]), toTf(y));
    expectClose(run(B.SELECT, [fromNumbers('bool', [], [1]), x, y]), toTf(x));
  });

  test('SELECT with a vector condition picks whole rows (TF1 Select)', () => {
    const [x, y] = [randomValue('float32', [5, 3, 7], 10), randomValue('float32', [5, 3, 7], 11)];
    const c = randomValue('bool', [5], 12);
    // tfjs's select kernel indexes rows wrongly; broadcasting the condition as [5, 1, 1] is TF's meaning.
    const ref = tf.where(tf.reshape(toTf(c), [5, 1, 1]) as tf.Tensor, toTf(x), toTf(y));
    expectClose(run(B.SELECT, [c, x, y]), ref);
    expect(() => run(B.SELECT, [randomValue('bool', [3], 1), x, y])).toThrow(/does not fit/);
  });

  test('versions: SELECT with a 5-D input is 3', () => {
    const t = (shape: number[], dtype: DType = 'float32') => tensorOf({ dtype, shape }, false);
    expect(REGISTRY.def(B.SELECT)!.version!(makeOp(B.SELECT, [t([2], 'bool'), t([2, 3]), t([2, 3])]))).toBe(1);
    expect(REGISTRY.def(B.SELECT)!.version!(makeOp(B.SELECT, [t([1, 1, 1, 1, 2], 'bool'), t([1, 1, 1, 1, 2]), t([1, 1, 1, 1, 2])]))).toBe(3);
    const unknown = makeOp(B.SELECT_V2, [t([3, 1], 'bool'), tensorOf({ dtype: 'float32', shape: [-1, 5] }, false), t([5])]);
    // The unknown dim could be 1 or 3.
    expect(REGISTRY.def(B.SELECT_V2)!.infer(unknown)).toEqual([{ dtype: 'float32', shape: [-1, 5] }]);
  });
});

// ---------------------------------------------------------------------------------------------
// SPACE_TO_DEPTH, DEPTH_TO_SPACE, SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND

describe('space, depth and batch rearrangements', () => {
  /** TF's SpaceToDepth as reshapes and a transpose (tfjs has no spaceToDepth). */
  function tfSpaceToDepth(x: tf.Tensor, bs: number): tf.Tensor {
    const [b, h, w, c] = x.shape as [number, number, number, number];
    const blocks = tf.reshape(x, [b, h / bs, bs, w / bs, bs, c]);
    return tf.reshape(tf.transpose(blocks, [0, 1, 3, 2, 4, 5]), [b, h / bs, w / bs, bs * bs * c]);
  }

  test.each([
    [2, [3, 6, 10, 3]],
    [3, [1, 9, 15, 5]],
  ] as const)('SPACE_TO_DEPTH block %i of %j', (bs, shape) => {
    const x = randomValue('float32', [...shape], 1);
    expectClose(run(B.SPACE_TO_DEPTH, [x], options(BuiltinOptions.SpaceToDepthOptions, new SpaceToDepthOptionsT(bs))), tfSpaceToDepth(toTf(x), bs));
  });

  test.each([
    [2, [3, 3, 5, 12]],
    [3, [1, 5, 7, 27]],
  ] as const)('DEPTH_TO_SPACE block %i of %j matches tfjs', (bs, shape) => {
    const x = randomValue('float32', [...shape], 2);
    expectClose(run(B.DEPTH_TO_SPACE, [x], options(BuiltinOptions.DepthToSpaceOptions, new DepthToSpaceOptionsT(bs))), tf.depthToSpace(toTf(x) as tf.Tensor4D, bs));
  });

  test('DEPTH_TO_SPACE undoes SPACE_TO_DEPTH on int64; unknown dims infer as -1', () => {
    const x: Value = { dtype: 'int64', shape: [1, 4, 6, 3], data: BigInt64Array.from({ length: 72 }, (_, i) => BigInt(i) * 3n ** 30n) };
    const s2d = run(B.SPACE_TO_DEPTH, [x], options(BuiltinOptions.SpaceToDepthOptions, new SpaceToDepthOptionsT(2)));
    const back = run(B.DEPTH_TO_SPACE, [s2d], options(BuiltinOptions.DepthToSpaceOptions, new DepthToSpaceOptionsT(2)));
    expect(back.data).toEqual(x.data);
    const op = makeOp(B.SPACE_TO_DEPTH, [tensorOf({ dtype: 'float32', shape: [-1, 6, -1, 3] }, false)], options(BuiltinOptions.SpaceToDepthOptions, new SpaceToDepthOptionsT(3)));
    expect(REGISTRY.def(B.SPACE_TO_DEPTH)!.infer(op)[0]!.shape).toEqual([-1, 2, -1, 27]);
  });

  const ND: { shape: number[]; block: number[]; pads: number[] }[] = [
    { shape: [3, 5, 7, 3], block: [2, 3], pads: [1, 0, 2, 0] },
    { shape: [1, 4, 6, 5], block: [2, 2], pads: [0, 0, 0, 0] },
    { shape: [3, 7, 5], block: [3], pads: [1, 1] },
    { shape: [2, 3, 5, 3, 5], block: [2, 3], pads: [0, 1, 2, 2] },
    { shape: [3, 5, 4, 3], block: [3, 2, 3], pads: [1, 0, 0, 0, 0, 0] },
  ];
  test.each(ND)('SPACE_TO_BATCH_ND $shape block $block pads $pads matches tfjs', ({ shape, block, pads }) => {
    const x = randomValue('float32', shape, 3);
    const padPairs = block.map((_, i) => [pads[2 * i]!, pads[2 * i + 1]!]);
    const out = run(B.SPACE_TO_BATCH_ND, [x, int32(block), int32(pads, [block.length, 2])], null, [1, 2]);
    expectClose(out, tf.spaceToBatchND(toTf(x), block, padPairs));
  });

  test.each(ND)('BATCH_TO_SPACE_ND inverts it, $shape block $block crops $pads, matches tfjs', ({ shape, block, pads }) => {
    const padded = shape.map((d, i) => (i === 0 || i > block.length ? d : d + pads[2 * (i - 1)]! + pads[2 * (i - 1) + 1]!));
    const batched = [shape[0]! * block.reduce((a, b) => a * b, 1), ...padded.slice(1, block.length + 1).map((d, i) => d / block[i]!), ...shape.slice(block.length + 1)];
    const x = randomValue('int32', batched, 4, -100, 100);
    const crops = block.map((_, i) => [pads[2 * i]!, pads[2 * i + 1]!]);
    const out = run(B.BATCH_TO_SPACE_ND, [x, int32(block), int32(pads, [block.length, 2])], null, [1, 2]);
    expect(out.shape).toEqual(shape);
    expectClose(out, tf.batchToSpaceND(toTf(x), block, crops));
  });

  test('SPACE_TO_BATCH_ND pads quantized tensors with the zero point; inference with unknown inputs', () => {
    const x = randomValue('int32', [1, 2, 2, 1], 5, 1, 9);
    const op = makeOp(B.SPACE_TO_BATCH_ND, [tensorOf(x, false), tensorOf(int32([2, 2]), true), tensorOf(int32([1, 1, 0, 0], [2, 2]), true)]);
    op.outputs[0]!.quant = { scale: [0.5], zeroPoint: [-3], axis: 0 };
    const [out] = REGISTRY.def(B.SPACE_TO_BATCH_ND)!.evaluate!(op, [x, int32([2, 2]), int32([1, 1, 0, 0], [2, 2])]);
    expect(out!.shape).toEqual([4, 2, 1, 1]);
    expect(numbers(out!).filter((v) => v === -3)).toHaveLength(4);
    const dynamic = makeOp(B.BATCH_TO_SPACE_ND, [tensorOf({ dtype: 'float32', shape: [-1, 4, 4, 3] }, false), tensorOf({ dtype: 'int32', shape: [2] }, false), tensorOf({ dtype: 'int32', shape: [2, 2] }, false)]);
    expect(REGISTRY.def(B.BATCH_TO_SPACE_ND)!.infer(dynamic)[0]!.shape).toEqual([-1, -1, -1, 3]);
    expect(REGISTRY.def(B.BATCH_TO_SPACE_ND)!.version!(dynamic)).toBe(1);
    expect(REGISTRY.def(B.SPACE_TO_BATCH_ND)!.version!(makeOp(B.SPACE_TO_BATCH_ND, [tensorOf({ dtype: 'float32', shape: [1, 4, 3] }, false)]))).toBe(3);
  });
});

// ---------------------------------------------------------------------------------------------
// RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR

describe('resizing', () => {
  const MODES = [
    { alignCorners: false, halfPixelCenters: false },
    { alignCorners: true, halfPixelCenters: false },
    { alignCorners: false, halfPixelCenters: true },
  ];
  /** Up and down by non-integer factors, integer factors, to and from a single pixel. */
  const SIZES: [number[], [number, number]][] = [
    [[3, 5, 7, 3], [8, 11]],
    [[1, 9, 13, 5], [4, 6]],
    [[2, 5, 7, 1], [10, 21]],
    [[1, 7, 5, 3], [1, 1]],
    [[1, 1, 1, 3], [3, 5]],
    [[1, 6, 4, 2], [9, 3]],
  ];
  const bilinearOpts = (m: (typeof MODES)[number]) => options(BuiltinOptions.ResizeBilinearOptions, new ResizeBilinearOptionsT(m.alignCorners, m.halfPixelCenters));
  const nearestOpts = (m: (typeof MODES)[number]) => options(BuiltinOptions.ResizeNearestNeighborOptions, new ResizeNearestNeighborOptionsT(m.alignCorners, m.halfPixelCenters));

  for (const mode of MODES) {
    test.each(SIZES)(`RESIZE_BILINEAR ${JSON.stringify(mode)} %j → %j matches tfjs`, (shape, size) => {
      const x = randomValue('float32', shape, 1);
      const out = run(B.RESIZE_BILINEAR, [x, int32(size)], bilinearOpts(mode), [1]);
      expectClose(out, tf.image.resizeBilinear(toTf(x) as tf.Tensor4D, size, mode.alignCorners, mode.halfPixelCenters), 1e-6);
    });

    test.each(SIZES)(`RESIZE_NEAREST_NEIGHBOR ${JSON.stringify(mode)} %j → %j matches tfjs`, (shape, size) => {
      const x = randomValue('float32', shape, 2);
      const out = run(B.RESIZE_NEAREST_NEIGHBOR, [x, int32(size)], nearestOpts(mode), [1]);
      expectClose(out, tf.image.resizeNearestNeighbor(toTf(x) as tf.Tensor4D, size, mode.alignCorners, mode.halfPixelCenters));
    });

    test(`RESIZE_BILINEAR ${JSON.stringify(mode)} on uint8 and int8 stays within one step of the float result`, () => {
      const x = randomValue('int32', [1, 5, 7, 2], 3, 0, 120);
      const asType = (dtype: DType): Value => fromNumbers(dtype, x.shape, numbers(x));
      const float = numbers(run(B.RESIZE_BILINEAR, [asType('float32'), int32([8, 3])], bilinearOpts(mode), [1]));
      for (const dtype of ['uint8', 'int8', 'int16'] as const) {
        const out = numbers(run(B.RESIZE_BILINEAR, [asType(dtype), int32([8, 3])], bilinearOpts(mode), [1]));
        out.forEach((v, i) => expect(Math.abs(v - float[i]!)).toBeLessThanOrEqual(1));
      }
    });
  }

  test('inference keeps batch and depth with an unknown size; versions follow op_version.cc', () => {
    const x = tensorOf({ dtype: 'int8', shape: [-1, 5, 7, 3] }, false);
    const size = tensorOf({ dtype: 'int32', shape: [2] }, false);
    const nn = REGISTRY.def(B.RESIZE_NEAREST_NEIGHBOR)!;
    const bl = REGISTRY.def(B.RESIZE_BILINEAR)!;
    const op = (builtin: BuiltinOperator, opts: TflOp['options']) => makeOp(builtin, [x, size], opts);
    expect(bl.infer(op(B.RESIZE_BILINEAR, bilinearOpts(MODES[0]!)))).toEqual([{ dtype: 'int8', shape: [-1, -1, -1, 3] }]);
    expect(bl.version!(op(B.RESIZE_BILINEAR, bilinearOpts(MODES[0]!)))).toBe(2);
    expect(bl.version!(op(B.RESIZE_BILINEAR, bilinearOpts(MODES[2]!)))).toBe(3);
    expect(nn.version!(op(B.RESIZE_NEAREST_NEIGHBOR, nearestOpts(MODES[1]!)))).toBe(3);
    expect(nn.version!(op(B.RESIZE_NEAREST_NEIGHBOR, nearestOpts(MODES[0]!)))).toBe(2);
  });
});

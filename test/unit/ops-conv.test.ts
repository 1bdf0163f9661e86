/**
 * Conformance of the convolution, pooling and padding kernels (src/ops/conv.ts, pool.ts, pad.ts
 * evaluate) against tfjs-core on seeded random data with odd sizes on every dimension; shape
 * inference with unknown dimensions; the op versions TFLite's op_version.cc asks for.
 * tfjs refuses stride > 1 together with dilation > 1, so dilated cases compare with tfjs run on
 * the equivalent zero-stuffed filter, which is the definition of dilation.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, test } from 'vitest';
import { ActivationFunctionType } from '../../generated/tflite/activation-function-type.js';
import { BuiltinOperator } from '../../generated/tflite/builtin-operator.js';
import { BuiltinOptions } from '../../generated/tflite/builtin-options.js';
import { Conv2DOptionsT } from '../../generated/tflite/conv2doptions.js';
import { DepthwiseConv2DOptionsT } from '../../generated/tflite/depthwise-conv2doptions.js';
import { MirrorPadMode } from '../../generated/tflite/mirror-pad-mode.js';
import { MirrorPadOptionsT } from '../../generated/tflite/mirror-pad-options.js';
import { PadOptionsT } from '../../generated/tflite/pad-options.js';
import { PadV2OptionsT } from '../../generated/tflite/pad-v2options.js';
import { Padding } from '../../generated/tflite/padding.js';
import { Pool2DOptionsT } from '../../generated/tflite/pool2doptions.js';
import { TransposeConvOptionsT } from '../../generated/tflite/transpose-conv-options.js';
import type { DType } from '../../src/ir/dtype.js';
import type { TflOp } from '../../src/ir/op.js';
import { bytesOf, Tensor, type Shape } from '../../src/ir/tensor.js';
import type { Value } from '../../src/kernels/value.js';
import { options } from '../../src/ops/op-def.js';
import { REGISTRY } from '../../src/ops/registry.js';
import { evaluateChecked, makeOp } from '../helpers/tfl-ops.js';
import { closeWithin, fromTf, randomValue, toTf } from '../helpers/tfjs-values.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// ---------------------------------------------------------------------------------------------
// Building ops and values.

/** An op input of the value's type; integer arguments (shapes, paddings) also carry their data. */
function input(v: Value | null, withData = false): Tensor | null {
  if (v === null) return null;
  const t = new Tensor('t', v.dtype, v.shape);
  if (withData) t.data = { kind: 'bytes', bytes: bytesOf(v.data) };
  return t;
}

/** Evaluates the op and checks that shape inference on the same op agrees with the kernel. */
function run(builtin: BuiltinOperator, values: (Value | null)[], opts: TflOp['options'], constIdx: number[] = []): Value {
  return evaluateChecked(makeOp(builtin, values.map((v, i) => input(v, constIdx.includes(i))), opts), values);
}

const ints = (values: number[], shape = [values.length]): Value => ({ dtype: 'int32', shape, data: Int32Array.from(values) });
const expectClose = closeWithin(1e-5);

/** An HWIO / HWCM filter with zeros between taps: dilation spelled out. */
function dilate(f: tf.Tensor4D, dh: number, dw: number): tf.Tensor4D {
  const [kh, kw, a, b] = f.shape;
  const out = tf.buffer([(kh - 1) * dh + 1, (kw - 1) * dw + 1, a, b]);
  const src = f.bufferSync();
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < a; i++) for (let j = 0; j < b; j++) out.set(src.get(y, x, i, j), y * dh, x * dw, i, j);
  return out.toTensor() as tf.Tensor4D;
}

const ACT: Record<string, (t: tf.Tensor) => tf.Tensor> = {
  NONE: (t) => t,
  RELU: (t) => tf.relu(t),
  RELU6: (t) => tf.relu6(t),
  RELU_N1_TO_1: (t) => tf.clipByValue(t, -1, 1),
  TANH: (t) => tf.tanh(t),
};
const pad = (p: Padding) => (p === Padding.SAME ? 'same' : 'valid');

// ---------------------------------------------------------------------------------------------
// CONV_2D

interface ConvCase {
  x: [number, number, number, number];
  k: [number, number];
  out: number;
  stride: [number, number];
  dilation: [number, number];
  padding: Padding;
  act: keyof typeof ACT;
}

const CONV_CASES: ConvCase[] = [
  { x: [1, 7, 9, 3], k: [3, 3], out: 5, stride: [1, 1], dilation: [1, 1], padding: Padding.SAME, act: 'NONE' },
  { x: [2, 7, 9, 3], k: [3, 2], out: 5, stride: [1, 1], dilation: [1, 1], padding: Padding.VALID, act: 'RELU' },
  { x: [2, 7, 9, 3], k: [3, 3], out: 5, stride: [2, 2], dilation: [1, 1], padding: Padding.SAME, act: 'RELU6' },
  { x: [1, 9, 7, 5], k: [2, 3], out: 3, stride: [2, 3], dilation: [1, 1], padding: Padding.SAME, act: 'NONE' },
  { x: [1, 9, 7, 5], k: [2, 3], out: 3, stride: [3, 2], dilation: [1, 1], padding: Padding.VALID, act: 'RELU_N1_TO_1' },
  { x: [1, 11, 9, 3], k: [3, 3], out: 4, stride: [1, 1], dilation: [2, 2], padding: Padding.SAME, act: 'NONE' },
  { x: [1, 11, 9, 3], k: [3, 2], out: 4, stride: [2, 1], dilation: [2, 3], padding: Padding.VALID, act: 'TANH' },
  { x: [3, 5, 5, 1], k: [5, 5], out: 1, stride: [2, 2], dilation: [1, 1], padding: Padding.SAME, act: 'NONE' },
  { x: [1, 3, 3, 2], k: [5, 5], out: 3, stride: [1, 1], dilation: [1, 1], padding: Padding.SAME, act: 'NONE' },
];

const caseName = (c: ConvCase) => `x=[${c.x}] k=${c.k} s=${c.stride} d=${c.dilation} ${pad(c.padding)} ${c.act}`;

describe('CONV_2D matches tfjs', () => {
  test.each(CONV_CASES.map((c) => [caseName(c), c] as const))('%s', (_name, c) => {
    const x = randomValue('float32', c.x, 1);
    const hwio = randomValue('float32', [...c.k, c.x[3], c.out], 2);
    const bias = randomValue('float32', [c.out], 3);
    const ohwi = fromTf(tf.transpose(toTf(hwio), [3, 0, 1, 2]));
    const opts = options(BuiltinOptions.Conv2DOptions, new Conv2DOptionsT(c.padding, c.stride[1], c.stride[0], ActivationFunctionType[c.act], c.dilation[1], c.dilation[0]));
    const ours = run(BuiltinOperator.CONV_2D, [x, ohwi, bias], opts);
    const filter = dilate(toTf(hwio) as tf.Tensor4D, ...c.dilation);
    const ref = ACT[c.act]!(tf.add(tf.conv2d(toTf(x) as tf.Tensor4D, filter, c.stride, pad(c.padding)), toTf(bias)));
    expectClose(ours, ref);
  });

  test('without a bias input', () => {
    const x = randomValue('float32', [1, 5, 7, 3], 4);
    const hwio = randomValue('float32', [3, 3, 3, 2], 5);
    const opts = options(BuiltinOptions.Conv2DOptions, new Conv2DOptionsT(Padding.SAME, 1, 1));
    const ours = run(BuiltinOperator.CONV_2D, [x, fromTf(tf.transpose(toTf(hwio), [3, 0, 1, 2])), null], opts);
    expectClose(ours, tf.conv2d(toTf(x) as tf.Tensor4D, toTf(hwio) as tf.Tensor4D, 1, 'same'));
  });

  test('grouped: 6 input channels, filters of 2, 3 groups of 3 outputs (version 6)', () => {
    const x = randomValue('float32', [1, 5, 7, 6], 6);
    const hwio = randomValue('float32', [3, 3, 2, 9], 7);
    const opts = options(BuiltinOptions.Conv2DOptions, new Conv2DOptionsT(Padding.SAME, 2, 1));
    const values = [x, fromTf(tf.transpose(toTf(hwio), [3, 0, 1, 2])), null];
    const ours = run(BuiltinOperator.CONV_2D, values, opts);
    const parts = [0, 1, 2].map((g) =>
      tf.conv2d(tf.slice(toTf(x), [0, 0, 0, 2 * g], [-1, -1, -1, 2]) as tf.Tensor4D, tf.slice(toTf(hwio), [0, 0, 0, 3 * g], [-1, -1, -1, 3]) as tf.Tensor4D, [1, 2], 'same'),
    );
    expectClose(ours, tf.concat(parts, 3));
    expect(REGISTRY.def(BuiltinOperator.CONV_2D)!.version!(makeOp(BuiltinOperator.CONV_2D, values.map((v) => input(v)), opts))).toBe(6);
  });
});

// ---------------------------------------------------------------------------------------------
// DEPTHWISE_CONV_2D

describe('DEPTHWISE_CONV_2D matches tfjs', () => {
  const cases = [
    { x: [1, 7, 9, 3], k: [3, 3], m: 1, stride: [1, 1], dilation: [1, 1], padding: Padding.SAME, act: 'NONE' },
    { x: [2, 7, 9, 3], k: [3, 2], m: 2, stride: [2, 2], dilation: [1, 1], padding: Padding.SAME, act: 'RELU6' },
    { x: [1, 9, 7, 5], k: [2, 3], m: 3, stride: [2, 3], dilation: [1, 1], padding: Padding.VALID, act: 'RELU' },
    { x: [1, 11, 9, 3], k: [3, 3], m: 2, stride: [1, 1], dilation: [2, 2], padding: Padding.SAME, act: 'NONE' },
    { x: [1, 11, 9, 2], k: [3, 2], m: 1, stride: [2, 1], dilation: [2, 3], padding: Padding.VALID, act: 'NONE' },
  ] as const;
  test.each(cases.map((c) => [`x=[${c.x}] k=${c.k} m=${c.m} s=${c.stride} d=${c.dilation} ${pad(c.padding)} ${c.act}`, c] as const))('%s', (_n, c) => {
    const x = randomValue('float32', [...c.x], 8);
    const hwcm = randomValue('float32', [...c.k, c.x[3], c.m], 9);
    const bias = randomValue('float32', [c.x[3] * c.m], 10);
    const filter: Value = { ...hwcm, shape: [1, ...c.k, c.x[3] * c.m] };
    const opts = new DepthwiseConv2DOptionsT(c.padding, c.stride[1], c.stride[0], c.m, ActivationFunctionType[c.act], c.dilation[1], c.dilation[0]);
    const ours = run(BuiltinOperator.DEPTHWISE_CONV_2D, [x, filter, bias], options(BuiltinOptions.DepthwiseConv2DOptions, opts));
    const dilated = dilate(toTf(hwcm) as tf.Tensor4D, c.dilation[0], c.dilation[1]);
    const conv = tf.depthwiseConv2d(toTf(x) as tf.Tensor4D, dilated, [c.stride[0], c.stride[1]], pad(c.padding));
    expectClose(ours, ACT[c.act]!(tf.add(conv, toTf(bias))));
    const version = REGISTRY.def(BuiltinOperator.DEPTHWISE_CONV_2D)!.version!(makeOp(BuiltinOperator.DEPTHWISE_CONV_2D, [], options(BuiltinOptions.DepthwiseConv2DOptions, opts)));
    expect(version).toBe(c.dilation[0] === 1 && c.dilation[1] === 1 ? 1 : 2);
  });
});

// ---------------------------------------------------------------------------------------------
// TRANSPOSE_CONV

describe('TRANSPOSE_CONV matches tfjs conv2dTranspose', () => {
  const cases = [
    { x: [1, 5, 4, 3], k: [3, 3], out: [1, 9, 7, 2], stride: [2, 2], padding: Padding.SAME, bias: false, act: 'NONE' },
    { x: [2, 5, 4, 3], k: [3, 3], out: [2, 10, 8, 2], stride: [2, 2], padding: Padding.SAME, bias: true, act: 'NONE' },
    { x: [1, 4, 5, 2], k: [3, 2], out: [1, 9, 11, 3], stride: [2, 2], padding: Padding.VALID, bias: true, act: 'RELU' },
    // TF allows an output up to stride - 1 larger than VALID needs; the rest is zeros (tfjs
    // returns NaN there, so its reference is computed at the exact size and padded).
    { x: [1, 4, 5, 2], k: [3, 2], out: [1, 10, 12, 3], stride: [2, 2], padding: Padding.VALID, bias: false, act: 'NONE', extra: [1, 2] },
    { x: [1, 3, 5, 3], k: [2, 3], out: [1, 3, 5, 4], stride: [1, 1], padding: Padding.SAME, bias: false, act: 'NONE' },
    { x: [1, 3, 4, 1], k: [3, 3], out: [1, 9, 11, 1], stride: [3, 3], padding: Padding.SAME, bias: true, act: 'RELU6' },
  ] as const;
  test.each(cases.map((c) => [`x=[${c.x}] → [${c.out}] k=${c.k} s=${c.stride} ${pad(c.padding)} bias=${c.bias} ${c.act}`, c] as const))('%s', (_n, c) => {
    const x = randomValue('float32', [...c.x], 11);
    // tfjs: [H, W, out, in]; TFLite: [out, H, W, in].
    const hwoi = randomValue('float32', [...c.k, c.out[3], c.x[3]], 12);
    const bias = c.bias ? randomValue('float32', [c.out[3]], 13) : null;
    const weights = fromTf(tf.transpose(toTf(hwoi), [2, 0, 1, 3]));
    const opts = options(BuiltinOptions.TransposeConvOptions, new TransposeConvOptionsT(c.padding, c.stride[1], c.stride[0], ActivationFunctionType[c.act]));
    const values = [ints([...c.out]), weights, x, bias];
    const ours = run(BuiltinOperator.TRANSPOSE_CONV, values, opts, [0]);
    const [eh, ew] = 'extra' in c ? c.extra : [0, 0];
    const exact: [number, number, number, number] = [c.out[0], c.out[1] - eh, c.out[2] - ew, c.out[3]];
    let ref = tf.conv2dTranspose(toTf(x) as tf.Tensor4D, toTf(hwoi) as tf.Tensor4D, exact, [c.stride[0], c.stride[1]], pad(c.padding));
    ref = tf.pad(ref, [[0, 0], [0, eh], [0, ew], [0, 0]]);
    if (bias) ref = tf.add(ref, toTf(bias));
    expectClose(ours, ACT[c.act]!(ref));
    const version = REGISTRY.def(BuiltinOperator.TRANSPOSE_CONV)!.version!(makeOp(BuiltinOperator.TRANSPOSE_CONV, values.map((v) => input(v)), opts));
    expect(version).toBe(c.act !== 'NONE' ? 4 : c.bias ? 3 : 1);
  });
});

// ---------------------------------------------------------------------------------------------
// Pooling

describe('MAX_POOL_2D and AVERAGE_POOL_2D match tfjs', () => {
  const cases = [
    { x: [1, 7, 9, 3], k: [3, 3], stride: [2, 2], padding: Padding.SAME, act: 'NONE' },
    { x: [2, 7, 9, 3], k: [3, 2], stride: [2, 3], padding: Padding.VALID, act: 'NONE' },
    { x: [1, 9, 7, 5], k: [2, 2], stride: [2, 2], padding: Padding.SAME, act: 'RELU' },
    { x: [1, 9, 7, 5], k: [3, 3], stride: [1, 1], padding: Padding.SAME, act: 'RELU6' },
    { x: [3, 3, 3, 1], k: [5, 5], stride: [1, 1], padding: Padding.SAME, act: 'NONE' },
    { x: [1, 13, 13, 5], k: [7, 7], stride: [3, 3], padding: Padding.SAME, act: 'NONE' },
    { x: [1, 5, 5, 2], k: [1, 1], stride: [2, 2], padding: Padding.VALID, act: 'RELU_N1_TO_1' },
  ] as const;
  for (const kind of ['max', 'avg'] as const) {
    test.each(cases.map((c) => [`${kind} x=[${c.x}] k=${c.k} s=${c.stride} ${pad(c.padding)} ${c.act}`, c] as const))('%s', (_n, c) => {
      const x = randomValue('float32', [...c.x], 14, -3, 3);
      const opts = options(BuiltinOptions.Pool2DOptions, new Pool2DOptionsT(c.padding, c.stride[1], c.stride[0], c.k[1], c.k[0], ActivationFunctionType[c.act]));
      const builtin = kind === 'max' ? BuiltinOperator.MAX_POOL_2D : BuiltinOperator.AVERAGE_POOL_2D;
      const ours = run(builtin, [x], opts);
      const poolFn = kind === 'max' ? tf.maxPool : tf.avgPool;
      expectClose(ours, ACT[c.act]!(poolFn(toTf(x) as tf.Tensor4D, [c.k[0], c.k[1]], [c.stride[0], c.stride[1]], pad(c.padding))));
    });
  }

  test('the average divides by the real elements under the window, not the window size', () => {
    const x: Value = { dtype: 'float32', shape: [1, 2, 2, 1], data: Float32Array.of(1, 2, 3, 4) };
    const opts = options(BuiltinOptions.Pool2DOptions, new Pool2DOptionsT(Padding.SAME, 1, 1, 3, 3));
    // Every 3×3 window around a 2×2 input covers all four values.
    expect(Array.from(run(BuiltinOperator.AVERAGE_POOL_2D, [x], opts).data)).toEqual([2.5, 2.5, 2.5, 2.5]);
  });
});

// ---------------------------------------------------------------------------------------------
// PAD, PADV2, MIRROR_PAD

describe('padding matches tfjs', () => {
  const shapes: { shape: number[]; paddings: number[] }[] = [
    { shape: [5], paddings: [2, 3] },
    { shape: [3, 5], paddings: [1, 0, 2, 2] },
    { shape: [2, 3, 5], paddings: [0, 1, 2, 0, 1, 3] },
    { shape: [1, 3, 5, 3], paddings: [0, 0, 1, 2, 2, 1, 0, 0] },
    { shape: [2, 1, 3, 3, 2], paddings: [1, 0, 0, 1, 2, 2, 0, 1, 1, 0] },
  ];
  const pairs = (p: number[]) => Array.from({ length: p.length / 2 }, (_, i) => [p[2 * i]!, p[2 * i + 1]!] as [number, number]);

  test.each(shapes)('PAD float32 and int32 rank $shape.length', ({ shape, paddings }) => {
    for (const dtype of ['float32', 'int32'] as const) {
      const x = randomValue(dtype, shape, 15, -50, 50);
      const ours = run(BuiltinOperator.PAD, [x, ints(paddings, [shape.length, 2])], options(BuiltinOptions.PadOptions, new PadOptionsT()), [1]);
      expect(ours.dtype).toBe(dtype);
      expectClose(ours, tf.pad(toTf(x), pairs(paddings)), 0);
    }
    const version = REGISTRY.def(BuiltinOperator.PAD)!.version!(makeOp(BuiltinOperator.PAD, [input(randomValue('float32', shape, 1))], null));
    expect(version).toBe(shape.length > 4 ? 4 : 1);
  });

  test.each(shapes)('PADV2 with a constant, rank $shape.length', ({ shape, paddings }) => {
    const x = randomValue('float32', shape, 16);
    const c: Value = { dtype: 'float32', shape: [], data: Float32Array.of(-2.5) };
    const ours = run(BuiltinOperator.PADV2, [x, ints(paddings, [shape.length, 2]), c], options(BuiltinOptions.PadV2Options, new PadV2OptionsT()), [1]);
    expectClose(ours, tf.pad(toTf(x), pairs(paddings), -2.5), 0);
  });

  test('PAD int64 and bool, int64 paddings', () => {
    const x32 = randomValue('int32', [3, 4], 17, -9, 9);
    const x64: Value = { dtype: 'int64', shape: [3, 4], data: BigInt64Array.from(x32.data as Int32Array, BigInt) };
    const p64: Value = { dtype: 'int64', shape: [2, 2], data: BigInt64Array.of(1n, 2n, 0n, 1n) };
    const ours = run(BuiltinOperator.PAD, [x64, p64], null, [1]);
    expect(ours.dtype).toBe('int64');
    expectClose(ours, tf.pad(toTf(x32), [[1, 2], [0, 1]]), 0);
    const b = randomValue('bool', [2, 3], 18);
    const padded = run(BuiltinOperator.PADV2, [b, ints([0, 1, 1, 0], [2, 2]), { dtype: 'bool', shape: [], data: Uint8Array.of(1) }], null, [1]);
    expect(padded.shape).toEqual([3, 4]);
    expect(Array.from(padded.data)).toEqual([1, ...b.data.slice(0, 3), 1, ...b.data.slice(3, 6), 1, 1, 1, 1]);
  });

  for (const mode of ['reflect', 'symmetric'] as const) {
    const limit = mode === 'reflect' ? 1 : 0;
    // The largest paddings each mode allows: size - 1 (REFLECT) or size (SYMMETRIC).
    const cases = [
      { shape: [5], paddings: [5 - limit, 2] },
      { shape: [3, 5], paddings: [3 - limit, 1, 3, 5 - limit] },
      { shape: [2, 3, 5], paddings: [2 - limit, 1, 0, 3 - limit, 2, 1] },
      { shape: [1, 4, 3, 3], paddings: [0, 0, 4 - limit, 1, 3 - limit, 3 - limit, 1, 0] },
    ];
    test.each(cases)(`MIRROR_PAD ${mode} float32 and int32 rank $shape.length`, ({ shape, paddings }) => {
      const opts = options(BuiltinOptions.MirrorPadOptions, new MirrorPadOptionsT(mode === 'reflect' ? MirrorPadMode.REFLECT : MirrorPadMode.SYMMETRIC));
      for (const dtype of ['float32', 'int32'] as const) {
        const x = randomValue(dtype, shape, 19, -50, 50);
        const ours = run(BuiltinOperator.MIRROR_PAD, [x, ints(paddings, [shape.length, 2])], opts, [1]);
        expectClose(ours, tf.mirrorPad(toTf(x), pairs(paddings), mode), 0);
      }
    });
  }

  test('MIRROR_PAD REFLECT rejects a padding as large as the dimension', () => {
    const opts = options(BuiltinOptions.MirrorPadOptions, new MirrorPadOptionsT(MirrorPadMode.REFLECT));
    expect(() => run(BuiltinOperator.MIRROR_PAD, [randomValue('float32', [3], 1), ints([3, 0], [1, 2])], opts, [1])).toThrow(/exceed/);
  });
});

// ---------------------------------------------------------------------------------------------
// Shape inference with unknown dimensions

describe('shape inference tolerates unknown shapes', () => {
  const infer = (builtin: BuiltinOperator, inputs: (Tensor | null)[], opts: TflOp['options']) => REGISTRY.def(builtin)!.infer(makeOp(builtin, inputs, opts))[0]!;
  const t = (shape: Shape, dtype: DType = 'float32') => new Tensor('t', dtype, shape);

  test('CONV_2D keeps known dims and the filter count', () => {
    const opts = options(BuiltinOptions.Conv2DOptions, new Conv2DOptionsT(Padding.SAME, 2, 2));
    expect(infer(BuiltinOperator.CONV_2D, [t([-1, 9, -1, 3]), t([8, 3, 3, 3]), null], opts).shape).toEqual([-1, 5, -1, 8]);
    expect(infer(BuiltinOperator.CONV_2D, [t(null), t([8, 3, 3, 3]), null], opts).shape).toEqual([-1, -1, -1, 8]);
    expect(infer(BuiltinOperator.CONV_2D, [t([1, 9, 9, 3]), t(null), null], opts).shape).toEqual([1, 5, 5, -1]);
  });

  test('pools and depthwise', () => {
    const pool = options(BuiltinOptions.Pool2DOptions, new Pool2DOptionsT(Padding.VALID, 2, 2, 3, 3));
    expect(infer(BuiltinOperator.MAX_POOL_2D, [t([-1, 9, 8, 4])], pool).shape).toEqual([-1, 4, 3, 4]);
    const dw = options(BuiltinOptions.DepthwiseConv2DOptions, new DepthwiseConv2DOptionsT(Padding.SAME, 1, 1, 2));
    expect(infer(BuiltinOperator.DEPTHWISE_CONV_2D, [t([-1, -1, 7, 3]), t([1, 3, 3, 6]), null], dw).shape).toEqual([-1, -1, 7, 6]);
  });

  test('PAD with computed paddings knows only the rank; TRANSPOSE_CONV with a computed shape only the channels', () => {
    expect(infer(BuiltinOperator.PAD, [t([2, 3]), t([2, 2], 'int32')], null).shape).toEqual([-1, -1]);
    expect(infer(BuiltinOperator.PAD, [t(null), t([3, 2], 'int32')], null).shape).toEqual([-1, -1, -1]);
    const tc = options(BuiltinOptions.TransposeConvOptions, new TransposeConvOptionsT(Padding.SAME, 2, 2));
    expect(infer(BuiltinOperator.TRANSPOSE_CONV, [t([4], 'int32'), t([5, 3, 3, 2]), t([1, 4, 4, 2])], tc).shape).toEqual([1, -1, -1, 5]);
  });
});

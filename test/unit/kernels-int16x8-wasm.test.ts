/**
 * The 16x8 CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED kernels on WebAssembly SIMD (int16
 * inputs, int8 weights, int64 bias or none, int64 accumulator and requantization, int16 outputs;
 * src/kernels/conv-int8-wasm.ts conv2d16 / depthwise16 / fullyConnected16) against the plain JS
 * path (TFLITE_CONVERT_KERNELS=js: conv.ts's exact double sums and requantize's
 * multiplyByQuantizedMultiplierInt64): integer arithmetic, so the int16 outputs must be exactly
 * equal. Seeded random cases over odd sizes, strides 1-3, dilations 1-3, SAME and VALID, groups,
 * depth multipliers, batch 2, inputs including -32768 and 32767, weights including -128, -127 and
 * 127, int64 biases up to ±2^47, int32 biases taken as int64, per-channel and single multipliers
 * and shifts including TFLite's extremes, clamps inside int16; and reductions long enough (k > 512,
 * depthwise windows of 289-625 taps) with inputs aligned with the weights' signs, so that int32
 * sums would overflow without the GEMM's spill into int64 or the depthwise int64 path. Parameters outside the range the
 * module is exact for (biases past 2^47, shifts outside [−32, 14], a non-zero input zero point)
 * are left to the JS path.
 */
import { describe, expect, test } from 'vitest';
import { Padding } from '../../generated/tflite/padding.js';
import type { Requantization } from '../../src/kernels/affine-int8.js';
import type { ConvGeometry } from '../../src/kernels/conv.js';
import { conv2dInt8, depthwiseConv2dInt8 } from '../../src/kernels/conv-int8.js';
import { createInt8WasmKernels, type WideBias } from '../../src/kernels/conv-int8-wasm.js';
import { quantizeMultiplier } from '../../src/kernels/fixed-point.js';
import { fullyConnectedInt8 } from '../../src/kernels/matmul-int8.js';
import type { Value } from '../../src/kernels/value.js';
import { int, rng } from '../helpers/kernel-cases.js';
import { expectSame, onJs } from '../helpers/js-kernels.js';

type Random = () => number;

const pick = <T>(r: Random, items: readonly T[]): T => items[Math.floor(r() * items.length)]!;

/** int8 weights over [lo, hi] with a share of the extremes. */
function weights(r: Random, shape: number[], lo = -127, hi = 127): Value {
  const count = shape.reduce((a, b) => a * b, 1);
  return { dtype: 'int8', shape, data: Int8Array.from({ length: count }, () => (r() < 0.1 ? pick(r, [lo, hi]) : int(r, lo, hi))) };
}

/**
 * int16 inputs: uniform with a share of −32768 / 32767, or (saturated) all at the extremes, so
 * that the sums of a layer whose weights share a sign are as large as they get.
 */
function input(r: Random, shape: number[], saturated: boolean): Value {
  const count = shape.reduce((a, b) => a * b, 1);
  const data = Int16Array.from({ length: count }, () => (saturated ? (r() < 0.95 ? 32767 : -32768) : r() < 0.1 ? pick(r, [-32768, 32767]) : int(r, -32768, 32767)));
  return { dtype: 'int16', shape, data };
}

/** Weights all of one sign (per output channel) near ±127: with saturated inputs, sums far past 2^31. */
function alignedWeights(r: Random, shape: number[], channelAxisLast: boolean): Value {
  const count = shape.reduce((a, b) => a * b, 1);
  const channels = channelAxisLast ? shape[shape.length - 1]! : shape[0]!;
  const per = count / channels;
  const sign = Array.from({ length: channels }, () => (r() < 0.5 ? -1 : 1));
  const data = Int8Array.from({ length: count }, (_, i) => sign[channelAxisLast ? i % channels : Math.floor(i / per)]! * int(r, 120, 127));
  return { dtype: 'int8', shape, data };
}

/** An int64 bias (small, or large up to ±2^47), an int32 one, or none. */
function bias(r: Random, channels: number): Value | null {
  const kind = r();
  if (kind < 0.2) return null;
  if (kind < 0.3) return { dtype: 'int32', shape: [channels], data: Int32Array.from({ length: channels }, () => int(r, -2147483648, 2147483647)) };
  const big = kind > 0.75;
  const limit = 2 ** 47;
  const data = BigInt64Array.from({ length: channels }, () => {
    if (!big) return BigInt(int(r, -5_000_000, 5_000_000));
    const v = pick(r, [limit, -limit, limit - int(r, 0, 1e9), -limit + int(r, 0, 1e9), int(r, -1e13, 1e13)]);
    return BigInt(v);
  });
  return { dtype: 'int64', shape: [channels], data };
}

/**
 * A 16x8 requantization whose multipliers bring sums of about `typical` to about 10^4 (so most
 * outputs are not clamped), per channel or one; a share of channels take extreme fixed-point
 * multipliers (0x7FFF0000 and up, 2^30, 0) and shifts (−31, −32, 14). A clamp inside int16 in a
 * share of cases, and the output zero point 0 (16x8) or not.
 */
function requantization(r: Random, channels: number, typical: number, single = false): Requantization {
  const count = single ? 1 : channels;
  const multipliers = new Int32Array(count);
  const shifts = new Int32Array(count);
  for (let c = 0; c < count; c++) {
    const q = quantizeMultiplier((1e4 / Math.max(typical, 1)) * (0.1 + r() * 3));
    multipliers[c] = q.multiplier;
    shifts[c] = q.shift;
    if (r() < 0.08) multipliers[c] = pick(r, [0x7fff0000, 0x7fff8000 - 1, 0x7fffffff, 1 << 30, 0, 0x7ffeffff]);
    if (r() < 0.05) shifts[c] = pick(r, [-31, -32, 14, 0]);
  }
  const lo = r() < 0.6 ? -32768 : int(r, -32768, 0);
  const hi = r() < 0.6 ? 32767 : int(r, lo, 32767);
  return { outputZeroPoint: r() < 0.7 ? 0 : int(r, -300, 300), channels: { multipliers, shifts }, activationMin: lo, activationMax: hi, wideAccumulator: true };
}

const wideBias = (b: Value | null): WideBias | null => (b === null ? null : (b.data as WideBias));

// The kernels' own entry points on an instance of their own, to check they take the case (rather
// than returning null for the JS path); the public kernels use this thread's instance.
const available = createInt8WasmKernels();

function geometry(r: Random): ConvGeometry {
  return {
    padding: pick(r, [Padding.SAME, Padding.VALID]),
    h: { stride: int(r, 1, 3), dilation: r() < 0.7 ? 1 : int(r, 2, 3) },
    w: { stride: int(r, 1, 3), dilation: r() < 0.7 ? 1 : int(r, 2, 3) },
  };
}

const describeGeometry = (g: ConvGeometry): string => `stride ${g.h.stride},${g.w.stride} dilation ${g.h.dilation},${g.w.dilation} ${Padding[g.padding]}`;

/** The typical |sum| of k products: all aligned (saturated) or random. */
const typicalSum = (k: number, saturated: boolean): number => (saturated ? k * 32767 * 123 : Math.sqrt(k) * 19000 * 75);

function checkConv(x: Value, f: Value, b: Value | null, g: ConvGeometry, q: Requantization, where: string, expectWasm: boolean): void {
  const direct = available!.conv2d16(x, f, wideBias(b), g, 0, q);
  if (expectWasm) expect(direct, where).not.toBeNull();
  else expect(direct, where).toBeNull();
  const args = { ...g, ...q, inputZeroPoint: 0 };
  const js = onJs(() => conv2dInt8(x, f, b, args));
  const got = conv2dInt8(x, f, b, args);
  expect(got.dtype, where).toBe('int16');
  expect(got.shape, where).toEqual(js.shape);
  expectSame(got.data as Int16Array, js.data as Int16Array, `${where} (outputs)`);
  if (direct !== null) {
    expect(direct.shape, where).toEqual(js.shape);
    expectSame(direct.data, js.data as Int16Array, `${where} (module)`);
  }
}

function checkDepthwise(x: Value, f: Value, b: Value | null, g: ConvGeometry & { multiplier: number }, q: Requantization, where: string, expectWasm: boolean): void {
  const direct = available!.depthwise16(x, f, wideBias(b), g, 0, q);
  if (expectWasm) expect(direct, where).not.toBeNull();
  else expect(direct, where).toBeNull();
  const args = { ...g, ...q, inputZeroPoint: 0 };
  const js = onJs(() => depthwiseConv2dInt8(x, f, b, args));
  const got = depthwiseConv2dInt8(x, f, b, args);
  expect(got.shape, where).toEqual(js.shape);
  expectSame(got.data as Int16Array, js.data as Int16Array, `${where} (outputs)`);
  if (direct !== null) expectSame(direct.data, js.data as Int16Array, `${where} (module)`);
}

describe('CONV_2D 16x8 on WebAssembly', () => {
  test.each(Array.from({ length: 100 }, (_, i) => i))('random case %i: outputs equal the JS path', (seed) => {
    const r = rng(seed + 21_000);
    const n = int(r, 1, 2);
    const groups = r() < 0.25 ? int(r, 2, 3) : 1;
    const ci = pick(r, [int(r, 1, 5), int(r, 6, 24), int(r, 25, 70)]);
    const o = groups * pick(r, [int(r, 1, 9), int(r, 10, 40)]);
    const pointwise = groups === 1 && r() < 0.3;
    const g = geometry(r);
    if (pointwise) g.h.stride = g.w.stride = 1;
    const [kh, kw] = pointwise ? [1, 1] : [int(r, 1, 5), int(r, 1, 5)];
    const x = input(r, [n, int(r, 1, 11), int(r, 1, 11), ci * groups], false);
    const f = weights(r, [o, kh, kw, ci], ...pick(r, [[-127, 127], [-128, 127]] as const));
    const q = requantization(r, o, typicalSum(kh * kw * ci, false));
    const where = `conv seed ${seed}: x [${x.shape}] filter [${f.shape}] ${describeGeometry(g)}`;
    checkConv(x, f, bias(r, o), g, q, where, true);
  });

  test.each(Array.from({ length: 12 }, (_, i) => i))('long reduction %i (k > 512, sums past 2^31): outputs equal the JS path', (seed) => {
    const r = rng(seed + 23_000);
    const pointwise = seed % 3 === 0;
    const ci = pointwise ? int(r, 513, 1300) : int(r, 60, 150);
    const [kh, kw] = pointwise ? [1, 1] : [3, 3];
    const o = int(r, 1, 20);
    const g: ConvGeometry = pointwise
      ? { padding: Padding.VALID, h: { stride: 1, dilation: 1 }, w: { stride: 1, dilation: 1 } }
      : { padding: pick(r, [Padding.SAME, Padding.VALID]), h: { stride: int(r, 1, 2), dilation: 1 }, w: { stride: int(r, 1, 2), dilation: 1 } };
    const saturated = seed % 2 === 0;
    const x = input(r, [int(r, 1, 2), int(r, 2, 7), int(r, 2, 7), ci], saturated);
    const f = saturated ? alignedWeights(r, [o, kh, kw, ci], false) : weights(r, [o, kh, kw, ci]);
    const q = requantization(r, o, typicalSum(kh * kw * ci, saturated));
    checkConv(x, f, r() < 0.5 ? null : bias(r, o), g, q, `long conv seed ${seed}: x [${x.shape}] filter [${f.shape}] saturated ${saturated}`, true);
  });

  test('a MobileNet-sized pointwise layer and a strided 3×3 one', () => {
    const r = rng(7);
    for (const [shape, fShape, stride] of [
      [[1, 14, 14, 96], [24, 1, 1, 96], 1],
      [[1, 14, 14, 5], [24, 1, 1, 5], 1],
      [[1, 29, 29, 3], [32, 3, 3, 3], 2],
    ] as const) {
      const x = input(r, [...shape], false);
      const f = weights(r, [...fShape]);
      const g: ConvGeometry = { padding: Padding.SAME, h: { stride, dilation: 1 }, w: { stride, dilation: 1 } };
      checkConv(x, f, bias(r, fShape[0]), g, requantization(r, fShape[0], typicalSum(fShape[1] * fShape[2] * fShape[3], false)), `[${shape}] * [${fShape}]`, true);
    }
  });
});

describe('DEPTHWISE_CONV_2D 16x8 on WebAssembly', () => {
  test.each(Array.from({ length: 100 }, (_, i) => i))('random case %i: outputs equal the JS path', (seed) => {
    const r = rng(seed + 25_000);
    const c = pick(r, [int(r, 1, 9), int(r, 10, 41)]);
    const m = r() < 0.6 ? 1 : int(r, 2, 3);
    const g = { ...geometry(r), multiplier: r() < 0.5 ? 0 : m };
    const x = input(r, [int(r, 1, 2), int(r, 1, 12), int(r, 1, 12), c], false);
    const [kh, kw] = [int(r, 1, 5), int(r, 1, 5)];
    const f = weights(r, [1, kh, kw, c * m], ...pick(r, [[-127, 127], [-128, 127]] as const));
    const q = requantization(r, c * m, typicalSum(kh * kw, false));
    checkDepthwise(x, f, bias(r, c * m), g, q, `depthwise seed ${seed}: x [${x.shape}] filter [${f.shape}] ${describeGeometry(g)}`, true);
  });

  test.each(Array.from({ length: 8 }, (_, i) => i))('windows past 256 taps %i (int64 sums; past 512 saturated ones overflow int32): outputs equal the JS path', (seed) => {
    const r = rng(seed + 27_000);
    const c = pick(r, [int(r, 1, 7), int(r, 16, 24)]);
    const m = seed % 3 === 2 ? 2 : 1;
    const k = seed < 2 ? int(r, 17, 20) : int(r, 23, 25);
    const g = { padding: pick(r, [Padding.SAME, Padding.VALID]), h: { stride: int(r, 1, 3), dilation: 1 }, w: { stride: int(r, 1, 3), dilation: 1 }, multiplier: m };
    const saturated = seed % 2 === 0;
    const x = input(r, [1, int(r, k, k + 4), int(r, k, k + 4), c], saturated);
    const f = saturated ? alignedWeights(r, [1, k, k, c * m], true) : weights(r, [1, k, k, c * m]);
    const q = requantization(r, c * m, typicalSum(k * k, saturated));
    checkDepthwise(x, f, bias(r, c * m), g, q, `large depthwise seed ${seed}: x [${x.shape}] filter [${f.shape}]`, true);
  });

  test('256-tap windows of saturated inputs (the int32 sums at their largest)', () => {
    const r = rng(5);
    const x = input(r, [1, 16, 16, 24], true);
    const f = alignedWeights(r, [1, 16, 16, 24], true);
    const g = { padding: Padding.VALID, h: { stride: 1, dilation: 1 }, w: { stride: 1, dilation: 1 }, multiplier: 1 };
    checkDepthwise(x, f, null, g, requantization(r, 24, typicalSum(256, true)), 'depthwise 16×16 saturated', true);
  });
});

describe('FULLY_CONNECTED 16x8 on WebAssembly', () => {
  function checkFc(x: Value, w: Value, b: Value | null, q: Requantization, keepNumDims: boolean, where: string, expectWasm: boolean): void {
    const [units, inner] = w.shape as [number, number];
    const rows = x.data.length / inner;
    const direct = available!.fullyConnected16(x.data as Int16Array, rows, w.data as Int8Array, units, inner, wideBias(b), 0, 0, q);
    if (expectWasm) expect(direct, where).not.toBeNull();
    else expect(direct, where).toBeNull();
    const args = { ...q, keepNumDims, inputZeroPoint: 0, weightsZeroPoint: 0 };
    const js = onJs(() => fullyConnectedInt8(x, w, b, args));
    const got = fullyConnectedInt8(x, w, b, args);
    expect(got.shape, where).toEqual(js.shape);
    expectSame(got.data as Int16Array, js.data as Int16Array, `${where} (outputs)`);
    if (direct !== null) expectSame(direct, js.data as Int16Array, `${where} (module)`);
  }

  test.each(Array.from({ length: 80 }, (_, i) => i))('random case %i: outputs equal the JS path', (seed) => {
    const r = rng(seed + 29_000);
    const saturated = seed % 5 === 4;
    const inner = saturated ? int(r, 513, 3000) : pick(r, [int(r, 1, 9), int(r, 10, 80), int(r, 81, 700), int(r, 513, 2100)]);
    const units = pick(r, [int(r, 1, 9), int(r, 10, 50)]);
    const lead = pick(r, [[1], [int(r, 2, 9)], [2, int(r, 1, 5)]]);
    const x = input(r, [...lead, inner], saturated);
    const w = saturated ? alignedWeights(r, [units, inner], false) : weights(r, [units, inner], ...pick(r, [[-127, 127], [-128, 127]] as const));
    const q = requantization(r, units, typicalSum(inner, saturated), r() < 0.3);
    checkFc(x, w, bias(r, units), q, r() < 0.5, `FC seed ${seed}: x [${x.shape}] weights [${w.shape}] saturated ${saturated}`, true);
  });
});

describe('16x8 parameters outside the module\'s exact range take the JS path', () => {
  const g: ConvGeometry = { padding: Padding.SAME, h: { stride: 1, dilation: 1 }, w: { stride: 1, dilation: 1 } };

  test('biases past ±2^47', () => {
    const r = rng(11);
    const x = input(r, [1, 5, 5, 4], false);
    const f = weights(r, [3, 3, 3, 4]);
    const b: Value = { dtype: 'int64', shape: [3], data: BigInt64Array.of(2n ** 47n + 1n, -5n, 7n) };
    const q = requantization(r, 3, typicalSum(36, false));
    checkConv(x, f, b, g, q, 'conv, bias past 2^47', false);
    checkConv(x, f, { ...b, data: BigInt64Array.of(2n ** 47n, -(2n ** 47n), 0n) }, g, q, 'conv, bias ±2^47', true);
    const dw = weights(r, [1, 3, 3, 4]);
    checkDepthwise(x, dw, { dtype: 'int64', shape: [4], data: BigInt64Array.of(0n, -(2n ** 47n) - 1n, 1n, 2n) }, { ...g, multiplier: 1 }, requantization(r, 4, typicalSum(9, false)), 'depthwise, bias past 2^47', false);
  });

  test('shifts outside [−32, 14]', () => {
    const r = rng(12);
    const x = input(r, [2, 4, 4, 3], false);
    const f = weights(r, [2, 2, 2, 3]);
    for (const shift of [-33, -40, 15, 20]) {
      const q = requantization(r, 2, typicalSum(12, false));
      q.channels.shifts[0] = shift;
      checkConv(x, f, null, g, q, `conv, shift ${shift}`, false);
    }
    for (const shift of [-32, 14]) {
      const q = requantization(r, 2, typicalSum(12, false));
      q.channels.shifts[q.channels.shifts.length - 1] = shift;
      checkConv(x, f, null, g, q, `conv, shift ${shift}`, true);
    }
  });

  test('a non-zero input zero point, an int32 accumulator, FULLY_CONNECTED\'s weights zero point', () => {
    const r = rng(13);
    const x = input(r, [1, 3, 3, 2], false);
    const f = weights(r, [2, 1, 1, 2]);
    const q = requantization(r, 2, typicalSum(2, false));
    expect(available!.conv2d16(x, f, null, g, 3, q)).toBeNull();
    expect(available!.conv2d16(x, f, null, g, 0, { ...q, wideAccumulator: false })).toBeNull();
    expect(available!.fullyConnected16(x.data as Int16Array, 9, f.data as Int8Array, 2, 2, null, 0, 1, q)).toBeNull();
    expect(available!.fullyConnected16(x.data as Int16Array, 9, f.data as Int8Array, 2, 2, null, 0, 0, q)).not.toBeNull();
  });
});

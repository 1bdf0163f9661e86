/**
 * The WebAssembly SIMD int32 accumulation and requantization of the integer CONV_2D,
 * DEPTHWISE_CONV_2D and FULLY_CONNECTED kernels (src/kernels/conv-int8-wasm.ts) against the plain
 * JS path (TFLITE_CONVERT_KERNELS=js) and requantize, which stay the reference: everything is
 * integer arithmetic, so both the raw int32 sums (bias included, wrapped like C++ int32) and the
 * requantized int8 outputs must be exactly equal. The module's requantization is also checked
 * alone against requantize on extreme accumulators, multipliers and shifts, and on ties. Seeded random cases over odd sizes, strides 1-3, dilations 1-3, SAME
 * and VALID, groups, depth multipliers, batch 2, input zero points including -128 and 127,
 * weights including -128, -127 and 127, biases near the int32 limits (wrapping), FULLY_CONNECTED's
 * legacy asymmetric weights, sums that overflow int32, and a resident-weight store small enough
 * to be dropped and refilled.
 */
import { describe, expect, test } from 'vitest';
import { Padding } from '../../generated/tflite/padding.js';
import { offsetInput, perChannelMultipliers, requantize, type Requantization } from '../../src/kernels/affine-int8.js';
import { conv2dAccumulate, depthwiseAccumulate, type ConvGeometry } from '../../src/kernels/conv.js';
import { conv2dInt8, depthwiseConv2dInt8 } from '../../src/kernels/conv-int8.js';
import { createInt8WasmKernels, int8WasmKernels, type Int8WasmKernels } from '../../src/kernels/conv-int8-wasm.js';
import { fullyConnectedInt8 } from '../../src/kernels/matmul-int8.js';
import { saturatingRoundingDoublingHighMul } from '../../src/kernels/fixed-point.js';
import type { Value } from '../../src/kernels/value.js';
import { int, rng } from '../helpers/kernel-cases.js';
import { expectSame, onJs } from '../helpers/js-kernels.js';

type Random = () => number;

const pick = <T>(r: Random, items: readonly T[]): T => items[Math.floor(r() * items.length)]!;

/** An int8 value, uniform over [lo, hi] with a share of the extremes. */
function int8(r: Random, shape: number[], lo = -128, hi = 127): Value {
  const count = shape.reduce((a, b) => a * b, 1);
  const data = Int8Array.from({ length: count }, () => (r() < 0.1 ? pick(r, [lo, hi]) : int(r, lo, hi)));
  return { dtype: 'int8', shape, data };
}

/** An int32 bias: small, none, or near the int32 limits so that sums wrap. */
function bias(r: Random, channels: number): Value | null {
  const kind = r();
  if (kind < 0.2) return null;
  const big = kind > 0.8;
  const data = Int32Array.from({ length: channels }, () => (big ? pick(r, [2147483647 - int(r, 0, 50000), -2147483648 + int(r, 0, 50000)]) : int(r, -30000, 30000)));
  return { dtype: 'int32', shape: [channels], data };
}

const zeroPoint = (r: Random): number => pick(r, [-128, 127, 0, int(r, -128, 127)]);

/** A requantization with random per-channel (or one) multipliers and a random clamp. */
function requantization(r: Random, channels: number): Requantization {
  const perChannel = r() < 0.7;
  const scales = Array.from({ length: perChannel ? channels : 1 }, () => 0.0005 + r() * 0.02);
  const lo = pick(r, [-128, int(r, -128, 0)]);
  return {
    outputZeroPoint: zeroPoint(r),
    channels: perChannelMultipliers(0.01 + r() * 0.04, scales, 0.02 + r() * 0.3, channels),
    activationMin: lo,
    activationMax: pick(r, [127, int(r, lo, 127)]),
  };
}

/** The JS sums (exact doubles) plus bias, wrapped to int32 as requantize's `| 0` does. */
function wrapped(acc: Float64Array, b: Value | null): Int32Array {
  const o = b?.data.length ?? 1;
  return Int32Array.from(acc, (s, i) => (b === null ? s : s + (b.data as Int32Array)[i % o]!) | 0);
}

// The raw sums are checked on an instance of their own; the kernels' public entry points use
// this thread's (int8WasmKernels), which a whole run under TFLITE_CONVERT_KERNELS=js turns off.
const available = createInt8WasmKernels();

test('WebAssembly SIMD is available here, and TFLITE_CONVERT_KERNELS=js turns it off', () => {
  expect(available).not.toBeNull();
  if (process.env.TFLITE_CONVERT_KERNELS !== 'js') expect(int8WasmKernels()).not.toBeNull();
  expect(onJs(() => int8WasmKernels())).toBeNull();
});

interface ConvCase {
  x: Value;
  f: Value;
  b: Value | null;
  g: ConvGeometry;
  zp: number;
  q: Requantization;
  where: string;
}

function geometry(r: Random): ConvGeometry {
  return {
    padding: pick(r, [Padding.SAME, Padding.VALID]),
    h: { stride: int(r, 1, 3), dilation: r() < 0.7 ? 1 : int(r, 2, 3) },
    w: { stride: int(r, 1, 3), dilation: r() < 0.7 ? 1 : int(r, 2, 3) },
  };
}

function convCase(seed: number): ConvCase {
  const r = rng(seed + 7100);
  const n = int(r, 1, 2);
  const groups = r() < 0.25 ? int(r, 2, 3) : 1;
  const ci = pick(r, [int(r, 1, 5), int(r, 6, 24), int(r, 25, 70)]);
  const o = groups * pick(r, [int(r, 1, 9), int(r, 10, 40)]);
  // 1×1 at stride 1 (the pointwise path) in a share of the cases.
  const pointwise = groups === 1 && r() < 0.3;
  const g = geometry(r);
  if (pointwise) g.h.stride = g.w.stride = 1;
  const [kh, kw] = pointwise ? [1, 1] : [int(r, 1, 5), int(r, 1, 5)];
  const x = int8(r, [n, int(r, 1, 13), int(r, 1, 13), ci * groups]);
  const f = int8(r, [o, kh, kw, ci], ...pick(r, [[-127, 127], [-128, 127]] as const));
  const zp = zeroPoint(r);
  const where = `conv seed ${seed}: x [${x.shape}] filter [${f.shape}] stride ${g.h.stride},${g.w.stride} dilation ${g.h.dilation},${g.w.dilation} ${Padding[g.padding]} zp ${zp}`;
  return { x, f, b: bias(r, o), g, zp, q: requantization(r, o), where };
}

function depthwiseCase(seed: number): ConvCase & { m: number } {
  const r = rng(seed + 9300);
  const c = pick(r, [int(r, 1, 9), int(r, 10, 41)]);
  const m = r() < 0.6 ? 1 : int(r, 2, 3);
  const g = geometry(r);
  const x = int8(r, [int(r, 1, 2), int(r, 1, 13), int(r, 1, 13), c]);
  const f = int8(r, [1, int(r, 1, 5), int(r, 1, 5), c * m], ...pick(r, [[-127, 127], [-128, 127]] as const));
  const zp = zeroPoint(r);
  const where = `depthwise seed ${seed}: x [${x.shape}] filter [${f.shape}] stride ${g.h.stride},${g.w.stride} dilation ${g.h.dilation},${g.w.dilation} ${Padding[g.padding]} zp ${zp}`;
  return { x, f, b: bias(r, c * m), g, zp, q: requantization(r, c * m), where, m };
}

describe('CONV_2D int8 on WebAssembly', () => {
  test.each(Array.from({ length: 120 }, (_, i) => i))('random case %i: sums and outputs equal the JS path', (seed) => {
    const { x, f, b, g, zp, q, where } = convCase(seed);
    const want = wrapped(conv2dAccumulate(x, offsetInput(x, zp), f, g).acc, b);
    const sums = available!.conv2d(x, f, b === null ? null : (b.data as Int32Array), g, zp);
    expect(sums, where).not.toBeNull();
    expectSame(sums!.acc, want, `${where} (sums)`);
    const args = { ...g, ...q, inputZeroPoint: zp };
    const js = onJs(() => conv2dInt8(x, f, b, args));
    const got = conv2dInt8(x, f, b, args);
    expect(got.shape, where).toEqual(js.shape);
    expect(sums!.shape, where).toEqual(js.shape);
    expectSame(got.data as Int8Array, js.data as Int8Array, `${where} (outputs)`);
  });

  test('a MobileNet-sized pointwise layer and a strided 3×3 one', () => {
    const r = rng(42);
    for (const [shape, fShape, stride] of [
      [[1, 14, 14, 96], [24, 1, 1, 96], 1],
      [[1, 29, 29, 3], [32, 3, 3, 3], 2],
    ] as const) {
      const x = int8(r, [...shape]);
      const f = int8(r, [...fShape], -127, 127);
      const b = bias(r, fShape[0]);
      const g: ConvGeometry = { padding: Padding.SAME, h: { stride, dilation: 1 }, w: { stride, dilation: 1 } };
      const want = wrapped(conv2dAccumulate(x, offsetInput(x, -5), f, g).acc, b);
      expectSame(available!.conv2d(x, f, b === null ? null : (b.data as Int32Array), g, -5)!.acc, want, `[${shape}] * [${fShape}]`);
    }
  });

  test('int16 inputs (16x8) and non-int32 biases are left to the JS path', () => {
    const g: ConvGeometry = { padding: Padding.VALID, h: { stride: 1, dilation: 1 }, w: { stride: 1, dilation: 1 } };
    const x: Value = { dtype: 'int16', shape: [1, 2, 2, 1], data: Int16Array.of(1, 2, 3, 4) };
    const f: Value = { dtype: 'int8', shape: [1, 1, 1, 1], data: Int8Array.of(3) };
    expect(available!.conv2d(x, f, null, g, 0)).toBeNull();
    expect(available!.depthwise(x, f, null, { ...g, multiplier: 1 }, 0)).toBeNull();
    // The 16x8 kernel with an int64 bias: the JS path, its int64 accumulator.
    const q = { ...requantization(rng(1), 1), wideAccumulator: true, inputZeroPoint: 0 };
    const b: Value = { dtype: 'int64', shape: [1], data: BigInt64Array.of(5n) };
    const got = conv2dInt8(x, f, b, { ...g, ...q });
    expect(got.data).toEqual(onJs(() => conv2dInt8(x, f, b, { ...g, ...q })).data);
  });
});

describe('DEPTHWISE_CONV_2D int8 on WebAssembly', () => {
  test.each(Array.from({ length: 120 }, (_, i) => i))('random case %i: sums and outputs equal the JS path', (seed) => {
    const { x, f, b, g, zp, q, where, m } = depthwiseCase(seed);
    const p = { ...g, multiplier: m };
    const want = wrapped(depthwiseAccumulate(x, offsetInput(x, zp), f, p).acc, b);
    const sums = available!.depthwise(x, f, b === null ? null : (b.data as Int32Array), p, zp);
    expect(sums, where).not.toBeNull();
    expectSame(sums!.acc, want, `${where} (sums)`);
    const args = { ...p, ...q, inputZeroPoint: zp };
    const js = onJs(() => depthwiseConv2dInt8(x, f, b, args));
    const got = depthwiseConv2dInt8(x, f, b, args);
    expect(got.shape, where).toEqual(js.shape);
    expectSame(got.data as Int8Array, js.data as Int8Array, `${where} (outputs)`);
  });

  test('shape errors are the JS kernel\'s', () => {
    const r = rng(3);
    const x = int8(r, [1, 4, 4, 3]);
    const f = int8(r, [1, 3, 3, 7]);
    const args = { padding: Padding.SAME, h: { stride: 1, dilation: 1 }, w: { stride: 1, dilation: 1 }, multiplier: 0, ...requantization(r, 7), inputZeroPoint: 0 };
    expect(() => depthwiseConv2dInt8(x, f, null, args)).toThrow(/7 channels for 3 inputs/);
  });
});

describe('FULLY_CONNECTED int8 on WebAssembly', () => {
  /** (w − wzp) · (x − zp) summed per row and unit, plus bias, wrapped to int32. */
  function reference(x: Value, w: Value, b: Value | null, zp: number, wzp: number): Int32Array {
    const [units, inner] = w.shape as [number, number];
    const rows = x.data.length / inner;
    const out = new Int32Array(rows * units);
    for (let r = 0; r < rows; r++)
      for (let u = 0; u < units; u++) {
        let s = b === null ? 0 : (b.data as Int32Array)[u]!;
        for (let k = 0; k < inner; k++) s += ((w.data as Int8Array)[u * inner + k]! - wzp) * ((x.data as Int8Array)[r * inner + k]! - zp);
        out[r * units + u] = s | 0;
      }
    return out;
  }

  test.each(Array.from({ length: 80 }, (_, i) => i))('random case %i: sums and outputs equal the JS path', (seed) => {
    const r = rng(seed + 11_000);
    const inner = pick(r, [int(r, 1, 9), int(r, 10, 80), int(r, 81, 700)]);
    const units = pick(r, [int(r, 1, 9), int(r, 10, 50)]);
    const lead = pick(r, [[1], [int(r, 2, 9)], [2, int(r, 1, 5)]]);
    const x = int8(r, [...lead, inner]);
    const w = int8(r, [units, inner], ...pick(r, [[-127, 127], [-128, 127]] as const));
    const b = bias(r, units);
    const zp = zeroPoint(r);
    // Legacy per-tensor asymmetric weights in a share of the cases.
    const wzp = r() < 0.25 ? pick(r, [-128, 127, int(r, -128, 127)]) : 0;
    const rows = x.data.length / inner;
    const where = `FC seed ${seed}: x [${x.shape}] weights [${w.shape}] zp ${zp} weights zp ${wzp}`;
    const sums = available!.fullyConnected(x.data as Int8Array, rows, w.data as Int8Array, units, inner, b === null ? null : (b.data as Int32Array), zp, wzp);
    expectSame(sums, reference(x, w, b, zp, wzp), `${where} (sums)`);
    const q = requantization(r, units);
    const args = { ...q, keepNumDims: r() < 0.5, inputZeroPoint: zp, weightsZeroPoint: wzp };
    const js = onJs(() => fullyConnectedInt8(x, w, b, args));
    const got = fullyConnectedInt8(x, w, b, args);
    expect(got.shape, where).toEqual(js.shape);
    expectSame(got.data as Int8Array, js.data as Int8Array, `${where} (outputs)`);
  });

  test('sums past the int32 range wrap as C++ int32 does', () => {
    // 70,000 products of (−128 − 127) · −128 = 32640: 2.28e9, past 2^31.
    const inner = 70_000;
    const x: Value = { dtype: 'int8', shape: [1, inner], data: new Int8Array(inner).fill(-128) };
    const w: Value = { dtype: 'int8', shape: [2, inner], data: new Int8Array(2 * inner).fill(-128) };
    const sums = available!.fullyConnected(x.data as Int8Array, 1, w.data as Int8Array, 2, inner, null, 127, 0);
    expect(sums[0]).toBe((inner * 32640) | 0);
    expect(sums[0]).toBeLessThan(0);
    const args = { ...requantization(rng(5), 2), keepNumDims: false, inputZeroPoint: 127, weightsZeroPoint: 0 };
    expect(fullyConnectedInt8(x, w, null, args).data).toEqual(onJs(() => fullyConnectedInt8(x, w, null, args)).data);
  });
});

test('a resident-weight store too small for the weights is dropped and refilled, sums unchanged', () => {
  const kernels: Int8WasmKernels = createInt8WasmKernels(4096)!;
  for (let round = 0; round < 2; round++) {
    for (let seed = 0; seed < 30; seed++) {
      const { x, f, b, g, zp, where } = convCase(seed);
      const want = wrapped(conv2dAccumulate(x, offsetInput(x, zp), f, g).acc, b);
      expectSame(kernels.conv2d(x, f, b === null ? null : (b.data as Int32Array), g, zp)!.acc, want, `${where}, round ${round}`);
      const d = depthwiseCase(seed);
      const p = { ...d.g, multiplier: d.m };
      const dwant = wrapped(depthwiseAccumulate(d.x, offsetInput(d.x, d.zp), d.f, p).acc, d.b);
      expectSame(kernels.depthwise(d.x, d.f, d.b === null ? null : (d.b.data as Int32Array), p, d.zp)!.acc, dwant, `${d.where}, round ${round}`);
    }
  }
});

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const TWO_30 = 1073741824;

/** A random int32. */
const int32 = (r: Random): number => (Math.floor(r() * 4294967296) - 2147483648) | 0;

/** A fixed-point multiplier as QuantizeMultiplier makes them, [2^30, 2^31), extremes included. */
const qMultiplier = (r: Random): number => pick(r, [TWO_30, TWO_30 + 1, INT32_MAX, INT32_MAX - 1, int(r, TWO_30, INT32_MAX)]);

/**
 * Per-channel multipliers and shifts over the whole range QuantizeMultiplier yields ([2^30, 2^31),
 * shifts −31 to 30), mostly shifts that keep outputs inside int8 for the kernels' sums.
 */
function extremeRequantization(r: Random, channels: number, single = false): Requantization {
  const count = single ? 1 : channels;
  const lo = pick(r, [-128, int(r, -128, 0)]);
  return {
    outputZeroPoint: zeroPoint(r),
    channels: {
      multipliers: Int32Array.from({ length: count }, () => qMultiplier(r)),
      shifts: Int32Array.from({ length: count }, () => (r() < 0.7 ? int(r, -20, -6) : int(r, -31, 30))),
    },
    activationMin: lo,
    activationMax: pick(r, [127, int(r, lo, 127)]),
  };
}

describe('requantization on WebAssembly', () => {
  /** requantize (affine-int8.ts) of every element, channel i % channels (or the one), as int8. */
  function jsRequantized(acc: Int32Array, channels: number, q: Requantization): Int8Array {
    const single = q.channels.multipliers.length === 1;
    return Int8Array.from(acc, (v, i) => requantize(v, single ? 0 : i % channels, q));
  }

  function check(acc: Int32Array, channels: number, q: Requantization, where: string): void {
    const got = available!.requantize(acc, channels, q);
    expect(got, where).not.toBeNull();
    expectSame(got!, jsRequantized(acc, channels, q), where);
  }

  const clamps: [number, number, number][] = [
    [0, -128, 127],
    [-128, -128, 127],
    [127, -128, 127],
    [-5, -20, 90],
    [3, 0, 0],
    [-128, -128, -128],
    [127, 127, 127],
  ];

  // Shifts −31 to 30 take the module's vector path; any shift past −31 sends the call to the
  // scalar one (both checked).
  test.each([[-40, 40], [-31, 30]])('every extreme accumulator × every extreme multiplier × shifts %i to %i, zero points and clamps', (from, to) => {
    const r = rng(77);
    // Beyond QuantizeMultiplier's range too: 0, ±1, negative and INT32_MIN multipliers (the
    // INT32_MIN · INT32_MIN saturation), shifts past ±31 (both sides shift mod 32 alike).
    const multipliers = [TWO_30, TWO_30 + 1, INT32_MAX, INT32_MAX - 1, INT32_MIN, INT32_MIN + 1, 0, 1, -1, -TWO_30, ...Array.from({ length: 6 }, () => int(r, TWO_30, INT32_MAX)), int32(r), int32(r)];
    const shifts = Array.from({ length: to - from + 1 }, (_, i) => i + from);
    const mult: number[] = [];
    const shift: number[] = [];
    for (const m of multipliers) for (const s of shifts) (mult.push(m), shift.push(s));
    const channels = mult.length;
    const accs = [INT32_MIN, INT32_MAX, INT32_MIN + 1, INT32_MAX - 1, 0, 1, -1, 2, -2, 3, -3, TWO_30, -TWO_30, TWO_30 - 1, 1 - TWO_30, 65535, -65536, ...Array.from({ length: 12 }, () => int32(r)), ...Array.from({ length: 12 }, () => int(r, -100000, 100000))];
    const acc = new Int32Array(accs.length * channels);
    for (let a = 0; a < accs.length; a++) acc.fill(accs[a]!, a * channels, (a + 1) * channels);
    for (const [zp, lo, hi] of clamps) {
      const q: Requantization = { outputZeroPoint: zp, channels: { multipliers: Int32Array.from(mult), shifts: Int32Array.from(shift) }, activationMin: lo, activationMax: hi };
      check(acc, channels, q, `shifts ${from}..${to}, zp ${zp} clamp [${lo}, ${hi}]`);
    }
  });

  test('ties: values exactly half-way after the shift, and their neighbours, round as requantize does', () => {
    // With the multiplier 2^30 (one half), SaturatingRoundingDoublingHighMul(2h, 2^30) = h exactly,
    // so acc = 2h reaches RoundingDivideByPOT with h; h = k·2^e ± 2^(e−1) is a tie for the shift −e.
    const accs: number[] = [];
    const mult: number[] = [];
    const shift: number[] = [];
    for (let e = 1; e <= 31; e++) {
      for (let k = -3; k <= 3; k++) {
        for (const half of [2 ** (e - 1), -(2 ** (e - 1))]) {
          for (const d of [-1, 0, 1]) {
            const h = k * 2 ** e + half + d;
            if (2 * h < INT32_MIN || 2 * h > INT32_MAX) continue;
            expect(saturatingRoundingDoublingHighMul(2 * h, TWO_30)).toBe(h);
            accs.push(2 * h);
            mult.push(TWO_30);
            shift.push(-e);
          }
        }
      }
    }
    // Ties of the high multiply itself: odd · 2^30 / 2^31 is x.5, for shift 0, small and large.
    for (let a = -301; a <= 301; a += 2) {
      for (const s of [0, -1]) {
        accs.push(a, a * 65536 + 1, INT32_MAX - 2 * (a + 301));
        mult.push(TWO_30, TWO_30, TWO_30);
        shift.push(s, s - 16, s - 24);
      }
    }
    // One channel per element: acc i goes with multiplier i and shift i.
    const acc = Int32Array.from(accs);
    const q = (zp: number): Requantization => ({ outputZeroPoint: zp, channels: { multipliers: Int32Array.from(mult), shifts: Int32Array.from(shift) }, activationMin: -128, activationMax: 127 });
    for (const zp of [0, -128, 127, -3]) check(acc, acc.length, q(zp), `ties, zp ${zp}`);
    // Most of these land inside the clamp, so the rounding is what is compared.
    const inside = jsRequantized(acc, acc.length, q(0)).filter((v) => v > -128 && v < 127).length;
    expect(inside).toBeGreaterThan(acc.length * 0.9);
  });

  test.each(Array.from({ length: 20 }, (_, i) => i))('random case %i: accumulators, multipliers, shifts, zero points, clamps', (seed) => {
    const r = rng(seed + 13_000);
    const channels = pick(r, [1, int(r, 2, 9), int(r, 10, 300)]);
    const rows = int(r, 1, 200);
    const single = channels > 1 && r() < 0.3;
    const q = extremeRequantization(r, channels, single || channels === 1);
    const scale = pick(r, [255, 65536, 2 ** 24, 2 ** 31]);
    const acc = Int32Array.from({ length: rows * channels }, () => (r() < 0.05 ? pick(r, [INT32_MIN, INT32_MAX, 0, 1, -1]) : int(r, -scale, scale - 1) | 0));
    check(acc, channels, q, `seed ${seed}: ${rows} × ${channels}${single ? ' (one multiplier)' : ''}`);
  });

  test('multipliers that are not one per channel (or one) are left to the JS path', () => {
    const q = extremeRequantization(rng(1), 3);
    expect(available!.requantize(new Int32Array(8), 4, q)).toBeNull();
    const x = int8(rng(2), [1, 3, 3, 2]);
    const f = int8(rng(3), [4, 1, 1, 2]);
    const g: ConvGeometry = { padding: Padding.VALID, h: { stride: 1, dilation: 1 }, w: { stride: 1, dilation: 1 } };
    expect(available!.conv2dRequantized(x, f, null, g, 0, q)).toBeNull();
    expect(available!.conv2dRequantized(x, f, null, g, 0, extremeRequantization(rng(1), 4))).not.toBeNull();
  });

  describe('the kernels with extreme requantizations equal the JS path', () => {
    test.each(Array.from({ length: 40 }, (_, i) => i))('case %i', (seed) => {
      const r = rng(seed + 15_000);
      const c = convCase(seed + 500);
      const cq = { ...c.g, ...extremeRequantization(r, c.f.shape[0]!), inputZeroPoint: c.zp };
      expectSame(conv2dInt8(c.x, c.f, c.b, cq).data as Int8Array, onJs(() => conv2dInt8(c.x, c.f, c.b, cq)).data as Int8Array, `${c.where} (extreme)`);
      const d = depthwiseCase(seed + 500);
      const dq = { ...d.g, multiplier: d.m, ...extremeRequantization(r, d.f.shape[3]!), inputZeroPoint: d.zp };
      expectSame(depthwiseConv2dInt8(d.x, d.f, d.b, dq).data as Int8Array, onJs(() => depthwiseConv2dInt8(d.x, d.f, d.b, dq)).data as Int8Array, `${d.where} (extreme)`);
      const inner = int(r, 1, 300);
      const units = int(r, 1, 40);
      const x = int8(r, [int(r, 1, 6), inner]);
      const w = int8(r, [units, inner]);
      const b = bias(r, units);
      const fq = { ...extremeRequantization(r, units, r() < 0.4), keepNumDims: false, inputZeroPoint: zeroPoint(r), weightsZeroPoint: 0 };
      expectSame(fullyConnectedInt8(x, w, b, fq).data as Int8Array, onJs(() => fullyConnectedInt8(x, w, b, fq)).data as Int8Array, `FC seed ${seed} (extreme)`);
    });
  });
});

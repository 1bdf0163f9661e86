/**
 * int8 BATCH_MATMUL and TRANSPOSE_CONV on WebAssembly SIMD (int8-wasm-matmul.ts) against the plain
 * JS kernels (TFLITE_CONVERT_KERNELS=js), which stay the reference: integer arithmetic, so the
 * int8 outputs must be exactly equal. Seeded random cases: odd sizes, adj_x / adj_y, broadcast
 * batch dims (missing, 1 against n), zero points including -128 and 127, extreme multipliers and
 * shifts, clamps; TRANSPOSE_CONV over strides 1-3, SAME / VALID, requested output shapes larger
 * and smaller than the natural one, biases near the int32 limits (wrapping), per-channel
 * multipliers; sums past 2^31; and the cases left to the JS path.
 */
import { describe, expect, test } from 'vitest';
import { Padding } from '../../generated/tflite/padding.js';
import { perChannelMultipliers, type Requantization } from '../../src/kernels/affine-int8.js';
import { transposeConvInt8 } from '../../src/kernels/conv-int8.js';
import { createInt8WasmKernels, int8WasmKernels } from '../../src/kernels/conv-int8-wasm.js';
import { batchMatMulInt8, type QuantizedBatchMatMulArgs } from '../../src/kernels/matmul-int8.js';
import type { Value } from '../../src/kernels/value.js';
import { int, rng } from '../helpers/kernel-cases.js';
import { expectSame, onJs } from '../helpers/js-kernels.js';

type Random = () => number;

const pick = <T>(r: Random, items: readonly T[]): T => items[Math.floor(r() * items.length)]!;

function int8(r: Random, shape: number[]): Value {
  const count = shape.reduce((a, b) => a * b, 1);
  const data = Int8Array.from({ length: count }, () => (r() < 0.1 ? pick(r, [-128, 127]) : int(r, -128, 127)));
  return { dtype: 'int8', shape, data };
}

const zeroPoint = (r: Random): number => pick(r, [-128, 127, 0, int(r, -128, 127)]);

/** One multiplier and shift: QuantizeMultiplier's usual range, or its extremes. */
function multiplier(r: Random): [number, number] {
  const kind = r();
  if (kind < 0.5) return [int(r, 1 << 30, 2147483647), int(r, -12, 0)];
  return [pick(r, [2147483647, 1 << 30, 1, int(r, 1, 2147483647), -2147483648, -int(r, 1, 1 << 30)]), pick(r, [-31, -20, -1, 0, 1, 3, int(r, -31, 4)])];
}

function clamp(r: Random): [number, number, number] {
  const lo = pick(r, [-128, -128, int(r, -128, 0)]);
  return [zeroPoint(r), lo, pick(r, [127, 127, int(r, lo, 127)])];
}

// An instance of its own, to check the module takes each case (the public entry points use this
// thread's, which a run under TFLITE_CONVERT_KERNELS=js turns off).
const available = createInt8WasmKernels();

test('WebAssembly SIMD is available here', () => {
  expect(available).not.toBeNull();
  if (process.env.TFLITE_CONVERT_KERNELS !== 'js') expect(int8WasmKernels()).not.toBeNull();
});

interface BmmCase {
  lhs: Value;
  rhs: Value;
  a: QuantizedBatchMatMulArgs;
  where: string;
}

function bmmCase(seed: number): BmmCase {
  const r = rng(seed + 31000);
  const [m, k, n] = [0, 0, 0].map(() => pick(r, [1, int(r, 1, 9), int(r, 10, 40), int(r, 41, 70)])) as [number, number, number];
  const adjX = r() < 0.5;
  const adjY = r() < 0.5;
  // Batch dims: none, one or two; each side may miss leading dims or have 1 where the other has d.
  const rank = int(r, 0, 2);
  const full = Array.from({ length: rank }, () => int(r, 1, 4));
  const side = (): number[] => {
    const drop = r() < 0.25 ? int(r, 0, rank) : 0;
    return full.slice(drop).map((d) => (r() < 0.3 ? 1 : d));
  };
  const lhs = int8(r, [...side(), ...(adjX ? [k, m] : [m, k])]);
  const rhs = int8(r, [...side(), ...(adjY ? [n, k] : [k, n])]);
  const [mult, shift] = multiplier(r);
  const [outputZeroPoint, activationMin, activationMax] = clamp(r);
  const a: QuantizedBatchMatMulArgs = {
    adjX, adjY, lhsZeroPoint: zeroPoint(r), rhsZeroPoint: zeroPoint(r),
    outputZeroPoint, activationMin, activationMax,
    channels: { multipliers: Int32Array.of(mult), shifts: Int32Array.of(shift) },
  };
  const where = `bmm seed ${seed}: [${lhs.shape}] adj ${adjX} x [${rhs.shape}] adj ${adjY} zp ${a.lhsZeroPoint},${a.rhsZeroPoint} m ${mult} s ${shift}`;
  return { lhs, rhs, a, where };
}

function checkBmm({ lhs, rhs, a, where }: BmmCase): void {
  const js = onJs(() => batchMatMulInt8(lhs, rhs, a));
  const direct = available!.batchMatMulRequantized(lhs, rhs, a);
  expect(direct, where).not.toBeNull();
  expect(direct!.shape, where).toEqual(js.shape);
  expectSame(direct!.data, js.data as Int8Array, where);
  const got = batchMatMulInt8(lhs, rhs, a);
  expect(got.shape, where).toEqual(js.shape);
  expectSame(got.data as Int8Array, js.data as Int8Array, `${where} (entry point)`);
}

describe('BATCH_MATMUL int8 on WebAssembly', () => {
  test.each(Array.from({ length: 200 }, (_, i) => i))('random case %i equals the JS path', (seed) => checkBmm(bmmCase(seed)));

  test('sums past 2^31 wrap like the JS path', () => {
    for (const [adjX, adjY] of [[false, false], [true, true], [false, true]] as const) {
      const k = 34001;
      const lhs: Value = { dtype: 'int8', shape: adjX ? [k, 2] : [2, k], data: new Int8Array(2 * k).fill(-128) };
      const rhs: Value = { dtype: 'int8', shape: adjY ? [3, k] : [k, 3], data: new Int8Array(3 * k).fill(-128) };
      (lhs.data as Int8Array)[5] = 127;
      const channels = { multipliers: Int32Array.of(1 << 30), shifts: Int32Array.of(-20) };
      const a = { adjX, adjY, lhsZeroPoint: 127, rhsZeroPoint: 127, outputZeroPoint: 3, activationMin: -128, activationMax: 127, channels };
      checkBmm({ lhs, rhs, a, where: `k ${k} adj ${adjX} ${adjY}` });
    }
  });

  test('the attention-sized case [8, 128, 64] x [8, 64, 128] and a broadcast rhs', () => {
    const r = rng(5);
    const channels = { multipliers: Int32Array.of(1518500250), shifts: Int32Array.of(-9) };
    const a = { adjX: false, adjY: false, lhsZeroPoint: -3, rhsZeroPoint: 11, outputZeroPoint: -7, activationMin: -128, activationMax: 127, channels };
    checkBmm({ lhs: int8(r, [8, 128, 64]), rhs: int8(r, [8, 64, 128]), a, where: 'attention' });
    checkBmm({ lhs: int8(r, [2, 4, 33, 17]), rhs: int8(r, [1, 19, 17]), a: { ...a, adjY: true }, where: 'broadcast rhs' });
  });

  test('the int64 accumulator, wide zero points and shape errors are the JS path\'s', () => {
    const r = rng(9);
    const q = { outputZeroPoint: 0, activationMin: -128, activationMax: 127, channels: { multipliers: Int32Array.of(1 << 30), shifts: Int32Array.of(-3) } };
    const base = { adjX: false, adjY: false, lhsZeroPoint: 0, rhsZeroPoint: 0, ...q };
    const lhs = int8(r, [2, 3]);
    expect(available!.batchMatMulRequantized(lhs, int8(r, [3, 2]), { ...base, wideAccumulator: true })).toBeNull();
    expect(available!.batchMatMulRequantized(lhs, int8(r, [3, 2]), { ...base, lhsZeroPoint: 300 })).toBeNull();
    expect(available!.batchMatMulRequantized({ dtype: 'int16', shape: [2, 3], data: new Int16Array(6) }, int8(r, [3, 2]), base)).toBeNull();
    expect(available!.batchMatMulRequantized(lhs, int8(r, [4, 2]), base)).toBeNull();
    expect(() => batchMatMulInt8(lhs, int8(r, [4, 2]), base)).toThrow(/inner dimensions/);
    expect(() => batchMatMulInt8(int8(r, [2, 2, 3]), int8(r, [3, 3, 2]), base)).toThrow(/broadcast/);
  });
});

interface TconvCase {
  outShape: number[];
  w: Value;
  x: Value;
  b: Value | null;
  args: Requantization & { padding: Padding; strideH: number; strideW: number; inputZeroPoint: number };
  where: string;
}

function tconvCase(seed: number): TconvCase {
  const r = rng(seed + 47000);
  const n = int(r, 1, 2);
  const ci = pick(r, [int(r, 1, 5), int(r, 6, 24), int(r, 25, 50)]);
  const o = pick(r, [int(r, 1, 9), int(r, 10, 33)]);
  const [kh, kw] = [int(r, 1, 5), int(r, 1, 5)];
  const [strideH, strideW] = [int(r, 1, 3), int(r, 1, 3)];
  const padding = pick(r, [Padding.SAME, Padding.VALID]);
  const [h, w] = [int(r, 1, 11), int(r, 1, 11)];
  // The natural output size, or one that is not (the kernel takes any requested shape).
  const size = (i: number, k: number, s: number): number => {
    const natural = padding === Padding.SAME ? i * s : (i - 1) * s + k;
    return r() < 0.7 ? natural : Math.max(1, natural + int(r, -3, 3));
  };
  const outShape = [n, size(h, kh, strideH), size(w, kw, strideW), o];
  const x = int8(r, [n, h, w, ci]);
  const wv = int8(r, [o, kh, kw, ci]);
  let b: Value | null = null;
  const kind = r();
  if (kind > 0.2) {
    const big = kind > 0.8;
    b = { dtype: 'int32', shape: [o], data: Int32Array.from({ length: o }, () => (big ? pick(r, [2147483647 - int(r, 0, 50000), -2147483648 + int(r, 0, 50000)]) : int(r, -30000, 30000))) };
  }
  let channels;
  if (r() < 0.6) {
    channels = perChannelMultipliers(0.01 + r() * 0.04, Array.from({ length: o }, () => 0.0005 + r() * 0.02), 0.02 + r() * 0.3, o);
  } else {
    const pairs = Array.from({ length: o }, () => multiplier(r));
    channels = { multipliers: Int32Array.from(pairs, (p) => p[0]), shifts: Int32Array.from(pairs, (p) => p[1]) };
  }
  const [outputZeroPoint, activationMin, activationMax] = clamp(r);
  const args = { padding, strideH, strideW, inputZeroPoint: zeroPoint(r), outputZeroPoint, activationMin, activationMax, channels };
  const where = `tconv seed ${seed}: x [${x.shape}] w [${wv.shape}] out [${outShape}] stride ${strideH},${strideW} ${Padding[padding]} zp ${args.inputZeroPoint}`;
  return { outShape, w: wv, x, b, args, where };
}

function checkTconv({ outShape, w, x, b, args, where }: TconvCase): void {
  const js = onJs(() => transposeConvInt8(outShape, w, x, b, args));
  const direct = available!.transposeConvRequantized(outShape, w, x, b === null ? null : (b.data as Int32Array), args, args.inputZeroPoint, args);
  expect(direct, where).not.toBeNull();
  expectSame(direct!, js.data as Int8Array, where);
  const got = transposeConvInt8(outShape, w, x, b, args);
  expect(got.shape, where).toEqual(js.shape);
  expectSame(got.data as Int8Array, js.data as Int8Array, `${where} (entry point)`);
}

describe('TRANSPOSE_CONV int8 on WebAssembly', () => {
  test.each(Array.from({ length: 200 }, (_, i) => i))('random case %i equals the JS path', (seed) => checkTconv(tconvCase(seed)));

  test('a decoder-sized layer, and a store small enough to be refilled', () => {
    const r = rng(77);
    const x = int8(r, [1, 16, 16, 64]);
    const w = int8(r, [32, 3, 3, 64]);
    const channels = perChannelMultipliers(0.02, Array.from({ length: 32 }, () => 0.001 + r() * 0.01), 0.1, 32);
    const args = { padding: Padding.SAME, strideH: 2, strideW: 2, inputZeroPoint: -128, outputZeroPoint: 5, activationMin: -128, activationMax: 127, channels };
    const b: Value = { dtype: 'int32', shape: [32], data: Int32Array.from({ length: 32 }, () => int(r, -5000, 5000)) };
    checkTconv({ outShape: [1, 32, 32, 32], w, x, b, args, where: 'decoder' });
    const small = createInt8WasmKernels(4096)!;
    for (let i = 0; i < 3; i++) {
      const c = tconvCase(1000 + i);
      const js = onJs(() => transposeConvInt8(c.outShape, c.w, c.x, c.b, c.args));
      const bias = c.b === null ? null : (c.b.data as Int32Array);
      expectSame(small.transposeConvRequantized(c.outShape, c.w, c.x, bias, c.args, c.args.inputZeroPoint, c.args)!, js.data as Int8Array, c.where);
      expectSame(small.transposeConvRequantized([1, 32, 32, 32], w, x, null, args, -128, args)!, onJs(() => transposeConvInt8([1, 32, 32, 32], w, x, null, args)).data as Int8Array, 'decoder, refilled');
    }
  });

  test('the int64 accumulator, mismatched multipliers and shape errors are the JS path\'s', () => {
    const c = tconvCase(3);
    const bias = c.b === null ? null : (c.b.data as Int32Array);
    expect(available!.transposeConvRequantized(c.outShape, c.w, c.x, bias, c.args, 0, { ...c.args, wideAccumulator: true })).toBeNull();
    const two = { multipliers: Int32Array.of(1 << 30, 1 << 30), shifts: Int32Array.of(0, 0) };
    if (c.outShape[3] !== 2) expect(available!.transposeConvRequantized(c.outShape, c.w, c.x, bias, c.args, 0, { ...c.args, channels: two })).toBeNull();
    const bad = [c.outShape[0]!, c.outShape[1]!, c.outShape[2]!, c.outShape[3]! + 1];
    expect(available!.transposeConvRequantized(bad, c.w, c.x, null, c.args, 0, c.args)).toBeNull();
    expect(() => transposeConvInt8(bad, c.w, c.x, null, c.args)).toThrow(/output shape/);
  });
});

/**
 * The 16x8 entry points of the WebAssembly integer kernels (conv-int8-wasm.ts assembles them with
 * the int8 ones of int8-wasm-8x8.ts on one module instance, int8-wasm-module.ts): CONV_2D,
 * DEPTHWISE_CONV_2D and FULLY_CONNECTED on int16 inputs (zero point 0) with int8 weights and an
 * int64 bias (or none), whose accumulator is int64, running the module's gemm16, copyRows16,
 * im2col16, depthwise16 and requantize16 (src/kernels/wasm/int16x8.as.ts). They reuse the int8
 * kernels' packed weights (the same keys in the resident store) and give int16 outputs, bit for
 * bit the JS loops' exact sums requantized by requantize, wherever wide16Limits guarantees the
 * module's arithmetic is exact; null (the JS path) elsewhere.
 */
import { outputSize, paddingBefore, type ConvGeometry } from './conv.js';
import type { Requantization } from './affine-int8.js';
import type { Value } from './value.js';
import { align16, residentConvFilter, residentDepthwiseFilter, residentFcWeights, type IntHeap } from './int8-wasm-memory.js';
import { isInt32, PATCH_BYTES, type Int8WasmModule } from './int8-wasm-module.js';

/** A 16x8 convolution's int16 outputs, [N, OH, OW, O] row-major. */
export interface Int16ConvOutput {
  data: Int16Array;
  shape: [number, number, number, number];
}

/** A 16x8 kernel's bias: int64 (BigInt64Array), or int32 taken as int64. */
export type WideBias = BigInt64Array | Int32Array;

/**
 * The 16x8 kernels (int16 input with zero point 0, int8 weights, an int64 bias or none, q with
 * wideAccumulator): int16 outputs, bit for bit the JS loops' exact sums requantized by
 * requantize. Null (the JS path) for anything else, and where exactness is not guaranteed
 * (wide16Limits): a bias beyond ±2^47, more than 2^24 taps, a shift outside [−32, 14].
 */
export interface Int16x8WasmKernels {
  conv2d16(x: Value, filter: Value, bias: WideBias | null, g: ConvGeometry, inputZeroPoint: number, q: Requantization): Int16ConvOutput | null;
  depthwise16(x: Value, filter: Value, bias: WideBias | null, g: ConvGeometry & { multiplier: number }, inputZeroPoint: number, q: Requantization): Int16ConvOutput | null;
  fullyConnected16(x: Int16Array, rows: number, weights: Int8Array, units: number, inner: number, bias: WideBias | null, inputZeroPoint: number, weightsZeroPoint: number, q: Requantization): Int16Array | null;
}

const BIAS_LIMIT = 2n ** 47n;

/**
 * Whether the 16x8 kernels are exact for these: q's wide accumulator with one multiplier per
 * channel (or `single`), integer zero point and clamp, a bias (if any) of `channels` values within
 * ±2^47 (TFLite's assumed range; the JS path's doubles hold such sums exactly), at most 2^24
 * taps per sum (so |sum| ≤ 1.5 · 2^47 and sum · multiplier stays within int64), and total
 * shifts 15 − shift in [1, 47] (TFLite's shifts are ≥ −31; ≥ 15 is undefined in C++).
 */
function wide16Limits(q: Requantization, channels: number, single: boolean, bias: WideBias | null, taps: number): boolean {
  const count = q.channels.multipliers.length;
  if (q.wideAccumulator !== true || !(count === channels || (single && count === 1)) || q.channels.shifts.length !== count) return false;
  if (!isInt32(q.outputZeroPoint) || !isInt32(q.activationMin) || !isInt32(q.activationMax) || taps > 2 ** 24) return false;
  for (const s of q.channels.shifts) if (s < -32 || s > 14) return false;
  if (bias === null) return true;
  if (bias.length !== channels) return false;
  if (bias instanceof BigInt64Array) {
    for (const b of bias) if (b > BIAS_LIMIT || b < -BIAS_LIMIT) return false;
  }
  return true;
}

/** The 16x8 entry points on one instance of the module. */
export function int16x8WasmKernels(module: Int8WasmModule): Int16x8WasmKernels {
  const { exports, memory, packs } = module;

  /** Writes bias values [from, from + n) as int64 at byte `at` (zeros without a bias), then zeros up to np. */
  const setBias64 = (heap: IntHeap, at: number, bias: WideBias | null, from: number, n: number, np: number) => {
    const i = at >> 3;
    heap.i64.fill(0n, i, i + np);
    if (bias instanceof BigInt64Array) heap.i64.set(bias.subarray(from, from + n), i);
    else if (bias !== null) for (let j = 0; j < n; j++) heap.i64[i + j] = BigInt(bias[from + j]!);
  };

  /**
   * Writes the reduced 16-bit multipliers ((m + 2^15) >> 16, 0x7FFF from 0x7FFF0000 up, as
   * multiplyByQuantizedMultiplierInt64) then the total shifts 15 − shift of output channels
   * [from, from + n) (q's one channel repeated when it has one) as int32 at byte `at`, np values
   * each; returns the total shifts' byte offset.
   */
  const setChannels16 = (heap: IntHeap, at: number, q: Requantization, from: number, n: number, np: number): number => {
    const totalAt = at + np * 4;
    const { multipliers, shifts } = q.channels;
    const r = at >> 2;
    const t = totalAt >> 2;
    for (let j = 0; j < n; j++) {
      const c = multipliers.length === 1 ? 0 : from + j;
      const m = multipliers[c]!;
      heap.i32[r + j] = m < 0x7fff0000 ? (m + (1 << 15)) >> 16 : 0x7fff;
      heap.i32[t + j] = 15 - shifts[c]!;
    }
    return totalAt;
  };

  /** CONV_2D 16x8: int16 outputs, or null (the JS path). */
  function conv2d16(x: Value, filter: Value, bias: WideBias | null, g: ConvGeometry, zp: number, q: Requantization): Int16ConvOutput | null {
    if (zp !== 0 || x.shape.length !== 4 || filter.shape.length !== 4 || !(x.data instanceof Int16Array) || !(filter.data instanceof Int8Array)) return null;
    const [n, h, w, c] = x.shape as [number, number, number, number];
    const [o, kh, kw, ci] = filter.shape as [number, number, number, number];
    const groups = c / ci;
    if (!Number.isInteger(groups) || o % groups !== 0) return null;
    const k = kh * kw * ci;
    if (!wide16Limits(q, o, false, bias, k)) return null;
    const perGroup = o / groups;
    const oh = outputSize(g.padding, h, kh, g.h);
    const ow = outputSize(g.padding, w, kw, g.w);
    const padT = paddingBefore(g.padding, h, kh, g.h);
    const padL = paddingBefore(g.padding, w, kw, g.w);
    const pixels = n * oh * ow;
    const shape: [number, number, number, number] = [n, oh, ow, o];
    if (pixels === 0 || o === 0) return { data: new Int16Array(pixels * o), shape };
    // The same packing (and resident block) as the int8 kernels' CONV_2D.
    const { at: bAt, kp, np, groupBytes } = residentConvFilter(packs, filter.data as Int8Array, o, k, groups);
    const pointwise = kh === 1 && kw === 1 && g.h.stride === 1 && g.w.stride === 1 && groups === 1;
    // A 1×1 convolution over an even number of channels multiplies the input itself.
    const direct = pointwise && k === kp;
    const block = Math.max(4, Math.min(pixels, Math.floor(PATCH_BYTES / (kp * 2) / 4) * 4));
    const xAt = packs.top;
    const xCount = n * h * w * c;
    const biasAt = align16(xAt + xCount * 2);
    const multAt = align16(biasAt + np * 8);
    const patchesAt = align16(multAt + np * 8);
    const cAt = align16(patchesAt + (direct ? 0 : block * kp * 2));
    const outAt = align16(cAt + block * np * 8);
    const heap = memory.reserve(outAt + pixels * o * 2);
    heap.i16.set(x.data.subarray(0, xCount), xAt >> 1);
    for (let gi = 0; gi < groups; gi++) {
      setBias64(heap, biasAt, bias, gi * perGroup, perGroup, np);
      const totalAt = setChannels16(heap, multAt, q, gi * perGroup, perGroup, np);
      for (let p0 = 0; p0 < pixels; p0 += block) {
        const rows = Math.min(block, pixels - p0);
        let aAt = patchesAt;
        if (direct) aAt = xAt + p0 * c * 2;
        else if (pointwise) exports.copyRows16(xAt + p0 * c * 2, rows, c, kp, patchesAt);
        else exports.im2col16(xAt, h, w, c, gi * ci, ci, kh, kw, g.h.stride, g.w.stride, g.h.dilation, g.w.dilation, padT, padL, oh, ow, p0, rows, kp, patchesAt);
        exports.gemm16(rows, np, kp, aAt, bAt + gi * groupBytes, cAt, biasAt);
        exports.requantize16(cAt, rows, perGroup, np, multAt, totalAt, q.outputZeroPoint, q.activationMin, q.activationMax, outAt + (p0 * o + gi * perGroup) * 2, o);
      }
    }
    return { data: heap.i16.slice(outAt >> 1, (outAt >> 1) + pixels * o), shape };
  }

  /** DEPTHWISE_CONV_2D 16x8: int16 outputs, or null (the JS path). */
  function depthwise16(x: Value, filter: Value, bias: WideBias | null, g: ConvGeometry & { multiplier: number }, zp: number, q: Requantization): Int16ConvOutput | null {
    if (zp !== 0 || x.shape.length !== 4 || filter.shape.length !== 4 || !(x.data instanceof Int16Array) || !(filter.data instanceof Int8Array)) return null;
    const [n, h, w, c] = x.shape as [number, number, number, number];
    const [, kh, kw, oc] = filter.shape as [number, number, number, number];
    const m = oc / c;
    if (!Number.isInteger(m) || (g.multiplier > 0 && g.multiplier !== m)) return null;
    if (!wide16Limits(q, oc, false, bias, kh * kw)) return null;
    const oh = outputSize(g.padding, h, kh, g.h);
    const ow = outputSize(g.padding, w, kw, g.w);
    const total = n * oh * ow * oc;
    const shape: [number, number, number, number] = [n, oh, ow, oc];
    if (total === 0) return { data: new Int16Array(0), shape };
    const taps = kh * kw * oc;
    // The same widened filter (and resident block) as the int8 kernels' DEPTHWISE_CONV_2D.
    const fAt = residentDepthwiseFilter(packs, filter.data as Int8Array, taps);
    const count = n * h * w * c;
    const xAt = packs.top;
    const biasAt = align16(xAt + count * 2);
    const multAt = align16(biasAt + oc * 8);
    const sumsAt = align16(multAt + oc * 8);
    const outAt = align16(sumsAt + oc * 8);
    const heap = memory.reserve(outAt + total * 2);
    heap.i16.set(x.data.subarray(0, count), xAt >> 1);
    setBias64(heap, biasAt, bias, 0, oc, oc);
    const totalAt = setChannels16(heap, multAt, q, 0, oc, oc);
    exports.depthwise16(
      n, h, w, c, m, kh, kw, oh, ow,
      g.h.stride, g.w.stride, g.h.dilation, g.w.dilation, paddingBefore(g.padding, h, kh, g.h), paddingBefore(g.padding, w, kw, g.w),
      xAt, fAt, biasAt, sumsAt, multAt, totalAt, q.outputZeroPoint, q.activationMin, q.activationMax, outAt,
    );
    return { data: heap.i16.slice(outAt >> 1, (outAt >> 1) + total), shape };
  }

  /** FULLY_CONNECTED 16x8: int16 outputs [rows, units], or null (the JS path). */
  function fullyConnected16(x: Int16Array, rows: number, weights: Int8Array, units: number, inner: number, bias: WideBias | null, zp: number, weightsZp: number, q: Requantization): Int16Array | null {
    if (zp !== 0 || weightsZp !== 0 || !wide16Limits(q, units, true, bias, inner)) return null;
    if (rows === 0 || units === 0) return new Int16Array(rows * units);
    // The same packing (and resident block) as the int8 kernels' FULLY_CONNECTED with symmetric weights.
    const { at: bAt, kp, np } = residentFcWeights(packs, weights, units, inner, 0);
    const rawAt = packs.top;
    const aAt = inner === kp ? rawAt : align16(rawAt + rows * inner * 2);
    const biasAt = align16(aAt + rows * kp * 2);
    const multAt = align16(biasAt + np * 8);
    const cAt = align16(multAt + np * 8);
    const outAt = align16(cAt + rows * np * 8);
    const heap = memory.reserve(outAt + rows * units * 2);
    heap.i16.set(x.subarray(0, rows * inner), rawAt >> 1);
    if (inner !== kp) exports.copyRows16(rawAt, rows, inner, kp, aAt);
    setBias64(heap, biasAt, bias, 0, units, np);
    const totalAt = setChannels16(heap, multAt, q, 0, units, np);
    exports.gemm16(rows, np, kp, aAt, bAt, cAt, biasAt);
    exports.requantize16(cAt, rows, units, np, multAt, totalAt, q.outputZeroPoint, q.activationMin, q.activationMax, outAt, units);
    return heap.i16.slice(outAt >> 1, (outAt >> 1) + rows * units);
  }

  return { conv2d16, depthwise16, fullyConnected16 };
}

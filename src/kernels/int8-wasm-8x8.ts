/**
 * The int8 entry points of the WebAssembly integer kernels (conv-int8-wasm.ts assembles them with
 * the 16x8 ones of int8-wasm-16x8.ts on one module instance, int8-wasm-module.ts): CONV_2D,
 * DEPTHWISE_CONV_2D and FULLY_CONNECTED on int8 inputs with int8 weights and an int32 bias (or
 * none), running the module's gemm, offsetRows, im2col, depthwise and requantize
 * (src/kernels/wasm/gemm-int8.as.ts, depthwise-int8.as.ts, requantize-int8.as.ts).
 *
 * The sums are exact integer arithmetic, equal to the JS kernels' bit for bit: int32 sums of
 * (x − input zero point) · w wrapping like C++'s int32 accumulator, plus the int32 bias (the JS
 * path wraps acc + bias with requantize's `| 0`; the same value modulo 2^32).
 *
 * The requantization is integer arithmetic too (exact i64 products in the module), equal to
 * requantize's: MultiplyByQuantizedMultiplier with the channel's multiplier and shift, the output
 * zero point, the clamp, stored as int8. Only the int32 accumulator (int8 inputs) is done here.
 *
 * Per call, above the resident packed weights (int8-wasm-memory.ts): the int8 input copied in,
 * the bias, the channels' multipliers and shifts, then patches, sums and the int8 outputs.
 * CONV_2D makes its patches in the module (im2col, (x − zp) as int16) block by block, multiplies
 * them with i32x4.dot_i16x8_s (gemm) and requantizes each block of sums while it is in cache; the
 * depthwise kernel requantizes each pixel's sums as it makes them.
 */
import { outputSize, paddingBefore, type ConvGeometry } from './conv.js';
import type { Requantization } from './affine-int8.js';
import type { Value } from './value.js';
import { align16, residentConvFilter, residentDepthwiseFilter, residentFcWeights, type IntHeap } from './int8-wasm-memory.js';
import { isInt32, PATCH_BYTES, type Int8WasmModule } from './int8-wasm-module.js';

/** A convolution's int32 sums, bias included, [N, OH, OW, O] row-major. */
export interface Int8ConvSums {
  acc: Int32Array;
  shape: [number, number, number, number];
}

/** A convolution's int8 outputs, [N, OH, OW, O] row-major. */
export interface Int8ConvOutput {
  data: Int8Array;
  shape: [number, number, number, number];
}

/**
 * The int8 kernels; each sum includes the bias. The *Requantized ones return the int8 outputs
 * instead (requantize's arithmetic with q, per output channel), or null where q does not fit:
 * per-channel multipliers and shifts that are not one per output channel (FULLY_CONNECTED also
 * takes a single one), or a zero point or clamp that is not an int32.
 */
export interface Int8x8WasmKernels {
  /**
   * CONV_2D: input [N, H, W, C] int8, filter [O, KH, KW, I] int8 (C a multiple of I: groups),
   * bias [O] int32 or null. Null when the data are not int8 or the shapes do not fit.
   */
  conv2d(x: Value, filter: Value, bias: Int32Array | null, g: ConvGeometry, inputZeroPoint: number): Int8ConvSums | null;
  /** DEPTHWISE_CONV_2D: input [N, H, W, C] int8, filter [1, KH, KW, C·M] int8, bias [C·M] or null. Null as conv2d. */
  depthwise(x: Value, filter: Value, bias: Int32Array | null, g: ConvGeometry & { multiplier: number }, inputZeroPoint: number): Int8ConvSums | null;
  /** FULLY_CONNECTED: `rows` rows of `inner` int8 inputs times weights [units, inner] (offset by weightsZeroPoint), bias [units] or null; sums [rows, units]. */
  fullyConnected(x: Int8Array, rows: number, weights: Int8Array, units: number, inner: number, bias: Int32Array | null, inputZeroPoint: number, weightsZeroPoint: number): Int32Array;
  conv2dRequantized(x: Value, filter: Value, bias: Int32Array | null, g: ConvGeometry, inputZeroPoint: number, q: Requantization): Int8ConvOutput | null;
  depthwiseRequantized(x: Value, filter: Value, bias: Int32Array | null, g: ConvGeometry & { multiplier: number }, inputZeroPoint: number, q: Requantization): Int8ConvOutput | null;
  fullyConnectedRequantized(x: Int8Array, rows: number, weights: Int8Array, units: number, inner: number, bias: Int32Array | null, inputZeroPoint: number, weightsZeroPoint: number, q: Requantization): Int8Array | null;
  /** The module's requantization alone (for tests): rows of `channels` int32 sums to int8 outputs. Null as fullyConnectedRequantized. */
  requantize(acc: Int32Array, channels: number, q: Requantization): Int8Array | null;
}

/** The int32 sums of a kernel run without requantization, as Int8ConvSums. */
const sumsOf = (r: { data: Int32Array | Int8Array; shape: [number, number, number, number] } | null): Int8ConvSums | null =>
  r === null ? null : { acc: r.data as Int32Array, shape: r.shape };

/** Bytes of the module's per-call requantization constants for n channels (prepareChannels). */
export const paramsBytes = (n: number): number => 20 * ((n + 3) & ~3);

/** Whether the module can requantize `channels` output channels with q (see Int8x8WasmKernels). */
export function requantizable(q: Requantization, channels: number, single: boolean): boolean {
  const count = q.channels.multipliers.length;
  return (
    q.wideAccumulator !== true &&
    (count === channels || (single && count === 1)) &&
    q.channels.shifts.length === count &&
    isInt32(q.outputZeroPoint) && isInt32(q.activationMin) && isInt32(q.activationMax)
  );
}

/** The int8 entry points on one instance of the module. */
export function int8x8WasmKernels(module: Int8WasmModule): Int8x8WasmKernels {
  const { exports, memory, packs } = module;

  /** Writes n bias values (zeros without a bias), then zeros up to np, as int32 at byte `at`. */
  const setBias = (heap: IntHeap, at: number, bias: Int32Array | null, from: number, n: number, np: number) => {
    const i = at >> 2;
    heap.i32.fill(0, i, i + np);
    if (bias !== null) heap.i32.set(bias.subarray(from, from + n), i);
  };

  /** Rows [0, rows) of C (np int32 apart, n used) at byte `at` into out rows `stride` apart from element `to`. */
  const copyOut = (heap: IntHeap, at: number, rows: number, n: number, np: number, out: Int32Array, to: number, stride: number) => {
    const c = heap.i32;
    const from = at >> 2;
    if (n === np && n === stride) {
      out.set(c.subarray(from, from + rows * n), to);
      return;
    }
    for (let r = 0; r < rows; r++) {
      const src = from + r * np;
      const dst = to + r * stride;
      for (let j = 0; j < n; j++) out[dst + j] = c[src + j]!;
    }
  };

  /**
   * Writes the multipliers then the shifts of output channels [from, from + n) (q's one channel
   * repeated when it has one) as int32 at byte `at`, np values each; returns the shifts' byte offset.
   */
  const setChannels = (heap: IntHeap, at: number, q: Requantization, from: number, n: number, np: number): number => {
    const shiftAt = at + np * 4;
    const { multipliers, shifts } = q.channels;
    const m = at >> 2;
    const s = shiftAt >> 2;
    if (multipliers.length === 1) {
      heap.i32.fill(multipliers[0]!, m, m + n);
      heap.i32.fill(shifts[0]!, s, s + n);
    } else {
      heap.i32.set(multipliers.subarray(from, from + n), m);
      heap.i32.set(shifts.subarray(from, from + n), s);
    }
    return shiftAt;
  };

  /** CONV_2D: int32 sums (q null) or int8 outputs. */
  function conv2d(x: Value, filter: Value, bias: Int32Array | null, g: ConvGeometry, zp: number, q: Requantization | null): { data: Int32Array | Int8Array; shape: [number, number, number, number] } | null {
    if (x.shape.length !== 4 || filter.shape.length !== 4 || !(x.data instanceof Int8Array) || !(filter.data instanceof Int8Array)) return null;
    const [n, h, w, c] = x.shape as [number, number, number, number];
    const [o, kh, kw, ci] = filter.shape as [number, number, number, number];
    const groups = c / ci;
    if (!Number.isInteger(groups) || o % groups !== 0 || (bias !== null && bias.length !== o)) return null;
    if (q !== null && !requantizable(q, o, false)) return null;
    const perGroup = o / groups;
    const oh = outputSize(g.padding, h, kh, g.h);
    const ow = outputSize(g.padding, w, kw, g.w);
    const padT = paddingBefore(g.padding, h, kh, g.h);
    const padL = paddingBefore(g.padding, w, kw, g.w);
    const pixels = n * oh * ow;
    const shape: [number, number, number, number] = [n, oh, ow, o];
    if (pixels === 0 || o === 0) return { data: q === null ? new Int32Array(pixels * o) : new Int8Array(pixels * o), shape };
    const k = kh * kw * ci;
    // Every group's B, one after the other, in one resident block.
    const { at: bAt, kp, np, groupBytes } = residentConvFilter(packs, filter.data as Int8Array, o, k, groups);
    // A 1×1 window at stride 1 over all channels reads each pixel's channels as they are.
    const pointwise = kh === 1 && kw === 1 && g.h.stride === 1 && g.w.stride === 1 && groups === 1;
    const block = Math.max(4, Math.min(pixels, Math.floor(PATCH_BYTES / (kp * 2) / 4) * 4));
    const xAt = packs.top;
    const xBytes = n * h * w * c;
    const biasAt = align16(xAt + xBytes);
    const multAt = align16(biasAt + np * 4);
    const paramsAt = align16(multAt + np * 8);
    const patchesAt = align16(paramsAt + paramsBytes(np));
    const cAt = align16(patchesAt + block * kp * 2);
    const outAt = align16(cAt + block * np * 4);
    const heap = memory.reserve(outAt + (q === null ? 0 : pixels * o));
    heap.i8.set(x.data.subarray(0, xBytes), xAt);
    const out = q === null ? new Int32Array(pixels * o) : null;
    for (let gi = 0; gi < groups; gi++) {
      setBias(heap, biasAt, bias, gi * perGroup, perGroup, np);
      const shiftAt = q === null ? 0 : setChannels(heap, multAt, q, gi * perGroup, perGroup, np);
      for (let p0 = 0; p0 < pixels; p0 += block) {
        const rows = Math.min(block, pixels - p0);
        if (pointwise) exports.offsetRows(xAt + p0 * c, rows, c, kp, zp, patchesAt);
        else exports.im2col(xAt, h, w, c, gi * ci, ci, kh, kw, g.h.stride, g.w.stride, g.h.dilation, g.w.dilation, padT, padL, oh, ow, p0, rows, kp, zp, patchesAt);
        exports.gemm(rows, np, kp, patchesAt, bAt + gi * groupBytes, cAt, biasAt);
        if (q === null) copyOut(heap, cAt, rows, perGroup, np, out!, p0 * o + gi * perGroup, o);
        else exports.requantize(cAt, rows, perGroup, np, multAt, shiftAt, q.outputZeroPoint, q.activationMin, q.activationMax, outAt + p0 * o + gi * perGroup, o, paramsAt);
      }
    }
    return { data: out ?? heap.i8.slice(outAt, outAt + pixels * o), shape };
  }

  /** DEPTHWISE_CONV_2D: int32 sums (q null) or int8 outputs. */
  function depthwise(x: Value, filter: Value, bias: Int32Array | null, g: ConvGeometry & { multiplier: number }, zp: number, q: Requantization | null): { data: Int32Array | Int8Array; shape: [number, number, number, number] } | null {
    if (x.shape.length !== 4 || filter.shape.length !== 4 || !(x.data instanceof Int8Array) || !(filter.data instanceof Int8Array)) return null;
    const [n, h, w, c] = x.shape as [number, number, number, number];
    const [, kh, kw, oc] = filter.shape as [number, number, number, number];
    const m = oc / c;
    if (!Number.isInteger(m) || (g.multiplier > 0 && g.multiplier !== m) || (bias !== null && bias.length !== oc)) return null;
    if (q !== null && !requantizable(q, oc, false)) return null;
    const oh = outputSize(g.padding, h, kh, g.h);
    const ow = outputSize(g.padding, w, kw, g.w);
    const total = n * oh * ow * oc;
    const shape: [number, number, number, number] = [n, oh, ow, oc];
    if (total === 0) return { data: q === null ? new Int32Array(0) : new Int8Array(0), shape };
    const taps = kh * kw * oc;
    const fAt = residentDepthwiseFilter(packs, filter.data as Int8Array, taps);
    const count = n * h * w * c;
    const rawAt = packs.top;
    const xAt = align16(rawAt + count);
    const biasAt = align16(xAt + count * 2);
    const multAt = align16(biasAt + oc * 4);
    // The sums: all of them, or one pixel's (scratch) when requantized as they are made.
    const paramsAt = align16(multAt + oc * 8);
    const outAt = align16(paramsAt + paramsBytes(oc));
    const out8At = align16(outAt + (q === null ? total : oc) * 4);
    const heap = memory.reserve(out8At + (q === null ? 0 : total));
    heap.i8.set(x.data.subarray(0, count), rawAt);
    exports.offsetRows(rawAt, 1, count, count, zp, xAt);
    setBias(heap, biasAt, bias, 0, oc, oc);
    const shiftAt = q === null ? 0 : setChannels(heap, multAt, q, 0, oc, oc);
    exports.depthwise(
      n, h, w, c, m, kh, kw, oh, ow,
      g.h.stride, g.w.stride, g.h.dilation, g.w.dilation, paddingBefore(g.padding, h, kh, g.h), paddingBefore(g.padding, w, kw, g.w),
      xAt, fAt, biasAt, outAt,
      q === null ? 0 : 1, multAt, shiftAt, q?.outputZeroPoint ?? 0, q?.activationMin ?? 0, q?.activationMax ?? 0, out8At, paramsAt,
    );
    return { data: q === null ? heap.i32.slice(outAt >> 2, (outAt >> 2) + total) : heap.i8.slice(out8At, out8At + total), shape };
  }

  /** FULLY_CONNECTED: int32 sums [rows, units] (q null) or int8 outputs. */
  function fullyConnected(x: Int8Array, rows: number, weights: Int8Array, units: number, inner: number, bias: Int32Array | null, zp: number, weightsZp: number, q: Requantization | null): Int32Array | Int8Array {
    if (rows === 0 || units === 0) return q === null ? new Int32Array(rows * units) : new Int8Array(rows * units);
    const { at: bAt, kp, np } = residentFcWeights(packs, weights, units, inner, weightsZp);
    const rawAt = packs.top;
    const aAt = align16(rawAt + rows * inner);
    const biasAt = align16(aAt + rows * kp * 2);
    const multAt = align16(biasAt + np * 4);
    const paramsAt = align16(multAt + np * 8);
    const cAt = align16(paramsAt + paramsBytes(np));
    const outAt = align16(cAt + rows * np * 4);
    const heap = memory.reserve(outAt + (q === null ? 0 : rows * units));
    heap.i8.set(x.subarray(0, rows * inner), rawAt);
    exports.offsetRows(rawAt, rows, inner, kp, zp, aAt);
    setBias(heap, biasAt, bias, 0, units, np);
    exports.gemm(rows, np, kp, aAt, bAt, cAt, biasAt);
    if (q === null) {
      const out = new Int32Array(rows * units);
      copyOut(heap, cAt, rows, units, np, out, 0, units);
      return out;
    }
    const shiftAt = setChannels(heap, multAt, q, 0, units, np);
    exports.requantize(cAt, rows, units, np, multAt, shiftAt, q.outputZeroPoint, q.activationMin, q.activationMax, outAt, units, paramsAt);
    return heap.i8.slice(outAt, outAt + rows * units);
  }

  return {
    conv2d: (x, filter, bias, g, zp) => sumsOf(conv2d(x, filter, bias, g, zp, null)),
    depthwise: (x, filter, bias, g, zp) => sumsOf(depthwise(x, filter, bias, g, zp, null)),
    fullyConnected: (x, rows, weights, units, inner, bias, zp, weightsZp) => fullyConnected(x, rows, weights, units, inner, bias, zp, weightsZp, null) as Int32Array,
    conv2dRequantized: (x, filter, bias, g, zp, q) => conv2d(x, filter, bias, g, zp, q) as Int8ConvOutput | null,
    depthwiseRequantized: (x, filter, bias, g, zp, q) => depthwise(x, filter, bias, g, zp, q) as Int8ConvOutput | null,
    fullyConnectedRequantized: (x, rows, weights, units, inner, bias, zp, weightsZp, q) =>
      requantizable(q, units, true) ? (fullyConnected(x, rows, weights, units, inner, bias, zp, weightsZp, q) as Int8Array) : null,
    requantize(acc, channels, q) {
      if (channels === 0 || acc.length % channels !== 0 || !requantizable(q, channels, true)) return null;
      const accAt = packs.top;
      const multAt = align16(accAt + acc.length * 4);
      const paramsAt = align16(multAt + channels * 8);
      const outAt = align16(paramsAt + paramsBytes(channels));
      const heap = memory.reserve(outAt + acc.length);
      heap.i32.set(acc, accAt >> 2);
      const shiftAt = setChannels(heap, multAt, q, 0, channels, channels);
      exports.requantize(accAt, acc.length / channels, channels, channels, multAt, shiftAt, q.outputZeroPoint, q.activationMin, q.activationMax, outAt, channels, paramsAt);
      return heap.i8.slice(outAt, outAt + acc.length);
    },
  };
}

/**
 * The int8 BATCH_MATMUL and TRANSPOSE_CONV of the WebAssembly integer kernels (conv-int8-wasm.ts
 * assembles them with the others on one module instance, int8-wasm-module.ts), on the module's
 * gemm (int16 pairs, i32x4.dot_i16x8_s) and requantize, with the packing and col2im of
 * src/kernels/wasm/matmul-int8.as.ts. Integer arithmetic throughout, so the int8 outputs are the
 * JS kernels' bit for bit (matmul-int8.ts batchMatMulInt8, conv-int8.ts transposeConvInt8):
 * offset values fit int16, a pair of their products fits int32, the int32 sums wrap like the
 * JS path's `acc | 0` (its doubles are exact), and requantize is requantize's arithmetic.
 *
 * BATCH_MATMUL: per batch, A = (lhs − lhs zero point) as int16 rows (transposed in the module for
 * adj_x), B = (rhs − rhs zero point) in the pair layout (from rows, or from columns for adj_y),
 * C = A · B, requantized with the one multiplier. Both operands are usually activations, so they
 * are packed per call (per distinct broadcast batch), never kept resident.
 *
 * TRANSPOSE_CONV: the input pixels' channels, offset, times the weights as a [I, KH·KW·O] matrix
 * (columns ordered tap by tap, packed once and kept resident like the other kernels' weights),
 * block by block; col2im adds each tap's O sums into the output pixel it reaches, onto sums that
 * start at the bias; then the per-channel requantization.
 *
 * Each returns null (the JS path) where it does not apply: data not int8, the int64 accumulator,
 * zero points beyond ±255 (int16 offsets), requantizations that do not fit (int8-wasm-8x8.ts
 * requantizable; BATCH_MATMUL uses the first multiplier, as the JS loop does), and shapes the JS
 * kernels reject, so their errors are the ones raised.
 */
import { broadcastIndex, broadcastShapes } from './broadcast.js';
import { paddingBefore } from './conv.js';
import type { Padding } from '../../generated/tflite/padding.js';
import type { Requantization } from './affine-int8.js';
import type { Value } from './value.js';
import { align16, type IntHeap } from './int8-wasm-memory.js';
import { isInt32, PATCH_BYTES, type Int8WasmModule } from './int8-wasm-module.js';
import { paramsBytes, requantizable } from './int8-wasm-8x8.js';

/** BATCH_MATMUL's options and zero points (matmul-int8.ts QuantizedBatchMatMulArgs). */
export interface Int8BatchMatMulArgs extends Requantization {
  adjX: boolean;
  adjY: boolean;
  lhsZeroPoint: number;
  rhsZeroPoint: number;
}

/** TRANSPOSE_CONV's geometry. */
export interface Int8TransposeConvGeometry {
  padding: Padding;
  strideH: number;
  strideW: number;
}

export interface Int8MatmulWasmKernels {
  /** BATCH_MATMUL: the int8 output [...batch, M, N] and its shape, or null (the JS path). */
  batchMatMulRequantized(lhs: Value, rhs: Value, a: Int8BatchMatMulArgs): { data: Int8Array; shape: number[] } | null;
  /**
   * TRANSPOSE_CONV: output shape [N, OH, OW, O], weights [O, KH, KW, I] int8, input [N, H, W, I]
   * int8, bias [O] int32 or null; the int8 output, or null (the JS path).
   */
  transposeConvRequantized(outShape: readonly number[], weights: Value, x: Value, bias: Int32Array | null, g: Int8TransposeConvGeometry, inputZeroPoint: number, q: Requantization): Int8Array | null;
}

/** Zero points whose offset int8 values fit int16 with room: |x − zp| ≤ 383. */
const smallZeroPoint = (zp: number): boolean => Number.isInteger(zp) && zp >= -255 && zp <= 255;

const product = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * Writes multiplier m and shift s of q's channels [0, n) (channel 0's repeated when `single`)
 * as int32 at byte `at`, np values each; returns the shifts' byte offset.
 */
function setChannels(heap: IntHeap, at: number, q: Requantization, n: number, np: number, single: boolean): number {
  const shiftAt = at + np * 4;
  const { multipliers, shifts } = q.channels;
  if (single) {
    heap.i32.fill(multipliers[0]!, at >> 2, (at >> 2) + n);
    heap.i32.fill(shifts[0]!, shiftAt >> 2, (shiftAt >> 2) + n);
  } else {
    heap.i32.set(multipliers.subarray(0, n), at >> 2);
    heap.i32.set(shifts.subarray(0, n), shiftAt >> 2);
  }
  return shiftAt;
}

export function int8MatmulWasmKernels(module: Int8WasmModule): Int8MatmulWasmKernels {
  const { exports, memory, packs } = module;

  function batchMatMulRequantized(lhs: Value, rhs: Value, a: Int8BatchMatMulArgs): { data: Int8Array; shape: number[] } | null {
    if (!(lhs.data instanceof Int8Array) || !(rhs.data instanceof Int8Array) || lhs.dtype !== 'int8') return null;
    if (a.wideAccumulator === true || !smallZeroPoint(a.lhsZeroPoint) || !smallZeroPoint(a.rhsZeroPoint)) return null;
    const { multipliers, shifts } = a.channels;
    if (multipliers.length === 0 || shifts.length === 0 || !isInt32(a.outputZeroPoint) || !isInt32(a.activationMin) || !isInt32(a.activationMax)) return null;
    // matmul.ts matrixDims: the last two dims, 1 where missing.
    const dims = (shape: readonly number[], adj: boolean): [number, number] => {
      const r = shape[shape.length - 2] ?? 1;
      const c = shape[shape.length - 1] ?? 1;
      return adj ? [c, r] : [r, c];
    };
    const [m, k] = dims(lhs.shape, a.adjX);
    const [k2, n] = dims(rhs.shape, a.adjY);
    if (k !== k2) return null;
    const lhsBatch = lhs.shape.slice(0, -2);
    const rhsBatch = rhs.shape.slice(0, -2);
    const batch = broadcastShapes(lhsBatch, rhsBatch);
    if (batch === null || lhs.data.length !== product(lhsBatch) * m * k || rhs.data.length !== product(rhsBatch) * k * n) return null;
    const shape = [...batch, m, n];
    const batches = product(batch);
    const total = batches * m * n;
    if (total === 0) return { data: new Int8Array(total), shape };
    const li = broadcastIndex(lhsBatch, batch);
    const ri = broadcastIndex(rhsBatch, batch);
    const kp = (k + 1) & ~1;
    const np = (n + 7) & ~7;
    const lhsAt = packs.top;
    const rhsAt = align16(lhsAt + lhs.data.length);
    const aAt = align16(rhsAt + rhs.data.length);
    const bAt = align16(aAt + m * kp * 2);
    const cAt = align16(bAt + (kp / 2) * np * 4);
    const biasAt = align16(cAt + m * np * 4);
    const multAt = align16(biasAt + np * 4);
    const paramsAt = align16(multAt + np * 8);
    const outAt = align16(paramsAt + paramsBytes(np));
    const heap = memory.reserve(outAt + total);
    heap.i8.set(lhs.data, lhsAt);
    heap.i8.set(rhs.data, rhsAt);
    heap.i32.fill(0, biasAt >> 2, (biasAt >> 2) + np);
    const shiftAt = setChannels(heap, multAt, a, n, np, true);
    let packedA = -1;
    let packedB = -1;
    for (let b = 0; b < batches; b++) {
      const l = li[b]!;
      const r = ri[b]!;
      if (l !== packedA) {
        const src = lhsAt + l * m * k;
        if (a.adjX) exports.transposeRows(src, m, k, a.lhsZeroPoint, kp, aAt);
        else exports.offsetRows(src, m, k, kp, a.lhsZeroPoint, aAt);
        packedA = l;
      }
      if (r !== packedB) {
        const src = rhsAt + r * k * n;
        if (a.adjY) exports.packCols(src, k, n, a.rhsZeroPoint, np, bAt);
        else exports.packRows(src, k, n, a.rhsZeroPoint, np, bAt);
        packedB = r;
      }
      exports.gemm(m, np, kp, aAt, bAt, cAt, biasAt);
      exports.requantize(cAt, m, n, np, multAt, shiftAt, a.outputZeroPoint, a.activationMin, a.activationMax, outAt + b * m * n, n, paramsAt);
    }
    return { data: heap.i8.slice(outAt, outAt + total), shape };
  }

  function transposeConvRequantized(outShape: readonly number[], weights: Value, x: Value, bias: Int32Array | null, g: Int8TransposeConvGeometry, zp: number, q: Requantization): Int8Array | null {
    if (!(x.data instanceof Int8Array) || !(weights.data instanceof Int8Array) || x.shape.length !== 4 || weights.shape.length !== 4 || outShape.length !== 4) return null;
    const [n, h, w, ci] = x.shape as [number, number, number, number];
    const [o, kh, kw, wi] = weights.shape as [number, number, number, number];
    const [on, oh, ow, oo] = outShape as [number, number, number, number];
    if (wi !== ci || on !== n || oo !== o || (bias !== null && bias.length !== o) || !smallZeroPoint(zp) || !requantizable(q, o, false)) return null;
    if (![oh, ow, h, w].every((d) => Number.isInteger(d) && d >= 0) || x.data.length !== n * h * w * ci || weights.data.length !== o * kh * kw * ci) return null;
    const pixelsOut = n * oh * ow;
    const total = pixelsOut * o;
    if (total === 0) return new Int8Array(0);
    const padT = paddingBefore(g.padding, oh, kh, { stride: g.strideH, dilation: 1 });
    const padL = paddingBefore(g.padding, ow, kw, { stride: g.strideW, dilation: 1 });
    const cols = kh * kw * o;
    const kp = (ci + 1) & ~1;
    const np = (cols + 7) & ~7;
    const wd = weights.data;
    // B[kk][(fy·kw + fx)·o + oc] = weights[oc, fy, fx, kk]: a tap's o columns side by side.
    const bAt = packs.offsetOf(wd, `tconv/${o}/${kh}/${kw}/${ci}`, (kp / 2) * np * 4, (heap, at) => {
      const h16 = heap.i16;
      const base = at >> 1;
      const pairRow = np * 2;
      for (let oc = 0; oc < o; oc++) {
        for (let tap = 0; tap < kh * kw; tap++) {
          const src = (oc * kh * kw + tap) * ci;
          const col = base + (tap * o + oc) * 2;
          for (let kk = 0; kk < ci; kk++) h16[col + (kk >> 1) * pairRow + (kk & 1)] = wd[src + kk]!;
        }
      }
    });
    const pixels = n * h * w;
    // Blocks of input pixels whose patches and sums stay in cache.
    const block = Math.max(4, Math.min(pixels, Math.floor(Math.min(PATCH_BYTES / (kp * 2 || 2), (2 * PATCH_BYTES) / (np * 4)) / 4) * 4));
    const xAt = packs.top;
    const biasAt = align16(xAt + pixels * ci);
    const zeroAt = align16(biasAt + o * 4);
    const multAt = align16(zeroAt + np * 4);
    const paramsAt = align16(multAt + o * 8);
    const aAt = align16(paramsAt + paramsBytes(o));
    const cAt = align16(aAt + block * kp * 2);
    const accAt = align16(cAt + block * np * 4);
    const outAt = align16(accAt + total * 4);
    const heap = memory.reserve(outAt + total);
    heap.i8.set(x.data, xAt);
    heap.i32.fill(0, biasAt >> 2, (zeroAt >> 2) + np);
    if (bias !== null) heap.i32.set(bias, biasAt >> 2);
    const shiftAt = setChannels(heap, multAt, q, o, o, false);
    exports.repeatRow(biasAt, o, pixelsOut, accAt);
    if (ci > 0) {
      for (let p0 = 0; p0 < pixels; p0 += block) {
        const rows = Math.min(block, pixels - p0);
        exports.offsetRows(xAt + p0 * ci, rows, ci, kp, zp, aAt);
        exports.gemm(rows, np, kp, aAt, bAt, cAt, zeroAt);
        exports.col2im(cAt, rows, np, p0, h, w, o, kh, kw, g.strideH, g.strideW, padT, padL, oh, ow, accAt);
      }
    }
    exports.requantize(accAt, pixelsOut, o, o, multAt, shiftAt, q.outputZeroPoint, q.activationMin, q.activationMax, outAt, o, paramsAt);
    return heap.i8.slice(outAt, outAt + total);
  }

  return { batchMatMulRequantized, transposeConvRequantized };
}

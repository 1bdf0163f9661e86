/**
 * The float32 matrix product the fast convolution and matmul kernels share:
 * C[i, j] = bias[j] + Σ_p A[i, p] · B[j, p], "NT" form (both operands row-major with the
 * reduction index p contiguous). It is the layout of FULLY_CONNECTED's weights [out, in] and of
 * CONV_2D's filters [O, KH·KW·I] against im2col patches, so neither needs a transpose.
 *
 * Why this shape of loop: plain JS has no SIMD, so the speed comes from keeping accumulators in
 * registers and reusing each load. A 4×4 block of C is computed at once: per step of p, 4 loads
 * from A and 4 from B feed 16 multiply-adds (the naive loop does 2 loads per multiply-add). The
 * 4 rows of A stay in L1 while B streams; blocking B over p keeps its 4-row slices in L1 too.
 * Sums are JS numbers (doubles), rounded to float32 once when stored, like the reference kernels;
 * only the order of the additions differs (bias last here, first there).
 *
 * gemmNT is the entry point the kernels call; it runs the selected implementation: the
 * WebAssembly SIMD one (gemm-wasm.ts) when available, else this plain JS one; useGemm switches.
 */

import type { Clamp } from './activation.js';
import type { DepthwiseGeometry } from './depthwise-wasm.js';
import { createWasmGemm } from './gemm-wasm.js';
import { widenRangeByRows, type ValueRange } from './value.js';

/** Where a row-major matrix lives: data, the offset of element [0, 0], and the row stride. */
export interface MatrixView {
  data: Float32Array;
  offset: number;
  stride: number;
}

/**
 * C = A·Bᵀ + bias, clamped to [clamp.lo, clamp.hi] when a clamp is given (a fused RELU-like
 * activation, applied as C is stored). B's values must not change while its array lives: an implementation may keep
 * a repacked copy of B per array (B is a weight matrix in every hot use). When `range` is given,
 * it is widened to cover every element of C stored (see Value.range).
 */
export type GemmNT = ((
  m: number,
  n: number,
  k: number,
  a: MatrixView,
  b: MatrixView,
  c: MatrixView,
  bias: Float32Array | null,
  clamp?: Clamp | null,
  range?: ValueRange | null,
) => void) & {
  /**
   * CONV_2D's im2col and GEMM in one call, where an implementation gathers the patches faster
   * than the caller could (the WebAssembly one makes them in its own memory, where its GEMM reads
   * them); without it the caller gathers them (conv-fast.ts).
   */
  im2colGemm?: Im2colGemm;
};

/** Where CONV_2D's windows go: the depthwise kernel's window geometry plus the filter size. */
export interface PatchGeometry extends DepthwiseGeometry {
  kh: number;
  kw: number;
}

/**
 * out (pixels × n, pixels = N·OH·OW) = im2col(x channels [c0, c0 + ci)) · filterᵀ + bias, clamped
 * and range-widened as GemmNT does; filter is n × KH·KW·ci (OHWI rows of one group).
 */
export type Im2colGemm = (
  x: Float32Array,
  xShape: readonly [number, number, number, number],
  c0: number,
  ci: number,
  g: PatchGeometry,
  filter: MatrixView,
  n: number,
  bias: Float32Array | null,
  clamp: Clamp | null,
  out: MatrixView,
  range: ValueRange | null,
) => void;

/** C (m×n) = A (m×k) · Bᵀ (B is n×k) + bias (n, or none), in plain JS. */
export const gemmNTScalar: GemmNT = (m, n, k, a, b, c, bias, clamp, range) => {
  gemmNTScalarUnclamped(m, n, k, a, b, c, bias);
  const cd = c.data;
  if (clamp !== undefined && clamp !== null) {
    const { lo, hi } = clamp;
    for (let i = 0; i < m; i++) {
      const row = c.offset + i * c.stride;
      for (let j = row; j < row + n; j++) {
        const x = cd[j]!;
        cd[j] = x < lo ? lo : x > hi ? hi : x;
      }
    }
  }
  if (range !== undefined && range !== null) widenRangeByRows(range, cd, c.offset, c.stride, m, n);
};

function gemmNTScalarUnclamped(m: number, n: number, k: number, a: MatrixView, b: MatrixView, c: MatrixView, bias: Float32Array | null): void {
  const ad = a.data;
  const bd = b.data;
  const cd = c.data;
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const a0 = a.offset + i * a.stride;
    const a1 = a0 + a.stride;
    const a2 = a1 + a.stride;
    const a3 = a2 + a.stride;
    const c0 = c.offset + i * c.stride;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const b0 = b.offset + j * b.stride;
      const b1 = b0 + b.stride;
      const b2 = b1 + b.stride;
      const b3 = b2 + b.stride;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0;
      let s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0;
      let s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      for (let p = 0; p < k; p++) {
        const x0 = ad[a0 + p]!, x1 = ad[a1 + p]!, x2 = ad[a2 + p]!, x3 = ad[a3 + p]!;
        const y0 = bd[b0 + p]!, y1 = bd[b1 + p]!, y2 = bd[b2 + p]!, y3 = bd[b3 + p]!;
        s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2; s03 += x0 * y3;
        s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2; s13 += x1 * y3;
        s20 += x2 * y0; s21 += x2 * y1; s22 += x2 * y2; s23 += x2 * y3;
        s30 += x3 * y0; s31 += x3 * y1; s32 += x3 * y2; s33 += x3 * y3;
      }
      const z0 = bias ? bias[j]! : 0, z1 = bias ? bias[j + 1]! : 0, z2 = bias ? bias[j + 2]! : 0, z3 = bias ? bias[j + 3]! : 0;
      let o = c0 + j;
      cd[o] = s00 + z0; cd[o + 1] = s01 + z1; cd[o + 2] = s02 + z2; cd[o + 3] = s03 + z3;
      o += c.stride;
      cd[o] = s10 + z0; cd[o + 1] = s11 + z1; cd[o + 2] = s12 + z2; cd[o + 3] = s13 + z3;
      o += c.stride;
      cd[o] = s20 + z0; cd[o + 1] = s21 + z1; cd[o + 2] = s22 + z2; cd[o + 3] = s23 + z3;
      o += c.stride;
      cd[o] = s30 + z0; cd[o + 1] = s31 + z1; cd[o + 2] = s32 + z2; cd[o + 3] = s33 + z3;
    }
    for (; j < n; j++) {
      const b0 = b.offset + j * b.stride;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let p = 0; p < k; p++) {
        const y = bd[b0 + p]!;
        s0 += ad[a0 + p]! * y; s1 += ad[a1 + p]! * y; s2 += ad[a2 + p]! * y; s3 += ad[a3 + p]! * y;
      }
      const z = bias ? bias[j]! : 0;
      cd[c0 + j] = s0 + z;
      cd[c0 + c.stride + j] = s1 + z;
      cd[c0 + 2 * c.stride + j] = s2 + z;
      cd[c0 + 3 * c.stride + j] = s3 + z;
    }
  }
  // Leftover rows (and matrix-vector products, m = 1): one row against 4 columns at a time.
  for (; i < m; i++) {
    const a0 = a.offset + i * a.stride;
    const c0 = c.offset + i * c.stride;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const b0 = b.offset + j * b.stride;
      const b1 = b0 + b.stride;
      const b2 = b1 + b.stride;
      const b3 = b2 + b.stride;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let p = 0; p < k; p++) {
        const x = ad[a0 + p]!;
        s0 += x * bd[b0 + p]!; s1 += x * bd[b1 + p]!; s2 += x * bd[b2 + p]!; s3 += x * bd[b3 + p]!;
      }
      cd[c0 + j] = s0 + (bias ? bias[j]! : 0);
      cd[c0 + j + 1] = s1 + (bias ? bias[j + 1]! : 0);
      cd[c0 + j + 2] = s2 + (bias ? bias[j + 2]! : 0);
      cd[c0 + j + 3] = s3 + (bias ? bias[j + 3]! : 0);
    }
    for (; j < n; j++) {
      const b0 = b.offset + j * b.stride;
      let s = 0;
      for (let p = 0; p < k; p++) s += ad[a0 + p]! * bd[b0 + p]!;
      cd[c0 + j] = s + (bias ? bias[j]! : 0);
    }
  }
}

/**
 * The WebAssembly SIMD GEMM where the runtime has it (Node ≥ 16 does), else plain JS;
 * TFLITE_CONVERT_KERNELS=js in the environment forces plain JS.
 */
function defaultGemm(): GemmNT {
  if (process.env.TFLITE_CONVERT_KERNELS === 'js') return gemmNTScalar;
  return createWasmGemm() ?? gemmNTScalar;
}

let selected: GemmNT = defaultGemm();

/** The implementation gemmNT runs now. */
export function currentGemm(): GemmNT {
  return selected;
}

/** Selects the implementation gemmNT runs (tests and the bench compare them). */
export function useGemm(implementation: GemmNT): void {
  selected = implementation;
}

/** C (m×n) = A (m×k) · Bᵀ (B is n×k) + bias, with the selected implementation. */
export const gemmNT: GemmNT = (m, n, k, a, b, c, bias, clamp, range) => selected(m, n, k, a, b, c, bias, clamp, range);

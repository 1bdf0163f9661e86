// AssemblyScript source of the WebAssembly SIMD int32 accumulation and requantization of the
// integer CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, BATCH_MATMUL and TRANSPOSE_CONV kernels
// (src/kernels/conv-int8-wasm.ts runs it).
// Built by `npm run build:wasm` (asc) into src/kernels/gemm-int8-wasm-binary.ts, committed, so
// installs need no compiler; test/unit/kernels-wasm.test.ts checks the committed build is current.
//
// This entry file holds the int8 GEMM and its patches (gemm, offsetRows, im2col) and re-exports
// the module's other parts: the int8 depthwise kernel (depthwise-int8.as.ts), the int32
// requantization (requantize-int8.as.ts), the 16x8 kernels (int16x8.as.ts) and the operand
// packing of BATCH_MATMUL and col2im of TRANSPOSE_CONV (matmul-int8.as.ts); int16-rows.as.ts and
// window.as.ts hold inlined helpers.
//
// Everything here is integer arithmetic, so it is exact: the same int32 sums, wrapping like C++'s
// int32 accumulator, as the plain JS kernels (conv.ts conv2dAccumulate / depthwiseAccumulate,
// matmul-int8.ts), whose doubles are exact and wrapped by requantize's `| 0`. Offset inputs
// (x − zero point, x int8) lie in [−255, 255] and weights in [−128, 127] (or [−255, 255] for
// FULLY_CONNECTED's legacy asymmetric weights), so they fit int16 and a pair of products fits
// int32: i32x4.dot_i16x8_s cannot overflow before the (wrapping) i32x4.add.
//
// Layouts (all little-endian in linear memory):
// - patches A: int16 [m, kp], kp = k rounded up to even, the extra column zero;
// - packed B:  int16 [kp / 2, np, 2]: for each pair of rows 2p, 2p + 1 of the k × n weight
//   matrix, column j's two weights side by side; np = n rounded up to 8, extra columns zero.
//   B's rows are np · 4 bytes apart, like the float GEMM's (gemm.as.ts) k × np float32 rows;
// - C: int32 [m, np] = bias (int32 [np]) + A · B.
// One step of the GEMM broadcasts a pair of A's int16 (one int32 load, splat) and dots it with a
// B vector of 4 columns' pairs: i32x4.dot_i16x8_s gives 4 columns' a₀·b₀ + a₁·b₁ at once, so
// no horizontal sums are needed. A 4 × 8 block of C is held in 8 v128 accumulators, which with
// the 2 B vectors and the broadcast pair fits the 16 SIMD registers of x86-64.

import { offsetCopy, zeroShorts } from './int16-rows.as';

export { depthwise } from './depthwise-int8.as';
export { prepareChannels, requantize } from './requantize-int8.as';
export { copyRows16, depthwise16, gemm16, im2col16, requantize16 } from './int16x8.as';
export { col2im, packCols, packRows, repeatRow, transposeRows } from './matmul-int8.as';

export function gemm(m: i32, np: i32, kp: i32, a: usize, b: usize, c: usize, bias: usize): void {
  const rowA = <usize>kp << 1;
  const rowB = <usize>np << 2;
  const pairs = kp >> 1;
  // Columns go in blocks whose slice of B (pairs × width × 4 bytes) fits in about 128 KiB, so it
  // stays in L2 while every row of A passes over it.
  const width = max<i32>(8, (32768 / max<i32>(pairs, 1)) & ~7);
  for (let jc = 0; jc < np; jc += width) {
    const jEnd = min<i32>(jc + width, np);
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      const a0 = a + <usize>i * rowA;
      const a1 = a0 + rowA;
      const a2 = a1 + rowA;
      const a3 = a2 + rowA;
      for (let j = jc; j < jEnd; j += 8) {
        const col = <usize>j << 2;
        let c00 = v128.load(bias + col);
        let c01 = v128.load(bias + col, 16);
        let c10 = c00, c11 = c01, c20 = c00, c21 = c01, c30 = c00, c31 = c01;
        let bp = b + col;
        for (let p = 0; p < pairs; p++) {
          const b0 = v128.load(bp);
          const b1 = v128.load(bp, 16);
          const off = <usize>p << 2;
          let x = v128.load32_splat(a0 + off);
          c00 = i32x4.add(c00, i32x4.dot_i16x8_s(x, b0));
          c01 = i32x4.add(c01, i32x4.dot_i16x8_s(x, b1));
          x = v128.load32_splat(a1 + off);
          c10 = i32x4.add(c10, i32x4.dot_i16x8_s(x, b0));
          c11 = i32x4.add(c11, i32x4.dot_i16x8_s(x, b1));
          x = v128.load32_splat(a2 + off);
          c20 = i32x4.add(c20, i32x4.dot_i16x8_s(x, b0));
          c21 = i32x4.add(c21, i32x4.dot_i16x8_s(x, b1));
          x = v128.load32_splat(a3 + off);
          c30 = i32x4.add(c30, i32x4.dot_i16x8_s(x, b0));
          c31 = i32x4.add(c31, i32x4.dot_i16x8_s(x, b1));
          bp += rowB;
        }
        const out = c + <usize>i * rowB + col;
        v128.store(out, c00);
        v128.store(out, c01, 16);
        v128.store(out + rowB, c10);
        v128.store(out + rowB, c11, 16);
        v128.store(out + 2 * rowB, c20);
        v128.store(out + 2 * rowB, c21, 16);
        v128.store(out + 3 * rowB, c30);
        v128.store(out + 3 * rowB, c31, 16);
      }
    }
    // Leftover rows, one at a time.
    for (; i < m; i++) {
      const a0 = a + <usize>i * rowA;
      for (let j = jc; j < jEnd; j += 8) {
        const col = <usize>j << 2;
        let c00 = v128.load(bias + col);
        let c01 = v128.load(bias + col, 16);
        let bp = b + col;
        for (let p = 0; p < pairs; p++) {
          const x = v128.load32_splat(a0 + (<usize>p << 2));
          c00 = i32x4.add(c00, i32x4.dot_i16x8_s(x, v128.load(bp)));
          c01 = i32x4.add(c01, i32x4.dot_i16x8_s(x, v128.load(bp, 16)));
          bp += rowB;
        }
        const out = c + <usize>i * rowB + col;
        v128.store(out, c00);
        v128.store(out, c01, 16);
      }
    }
  }
}

// `rows` rows of k int8 values, k apart, at src as int16 x − zp rows kp apart at dst (kp ≥ k; the
// columns from k to kp zero). FULLY_CONNECTED's A, a 1×1 convolution's patches, and (one row)
// the depthwise kernel's offset input.
export function offsetRows(src: usize, rows: i32, k: i32, kp: i32, zp: i32, dst: usize): void {
  const vzp = i16x8.splat(<i16>zp);
  if (k == kp) {
    // Contiguous: one run. Rows of int8 and of int16 can be longer than an i32 count, so by row.
    for (let r = 0; r < rows; r++) offsetCopy(dst + ((<usize>r * <usize>k) << 1), src + <usize>r * <usize>k, k, zp, vzp);
    return;
  }
  for (let r = 0; r < rows; r++) {
    const d = dst + ((<usize>r * <usize>kp) << 1);
    offsetCopy(d, src + <usize>r * <usize>k, k, zp, vzp);
    zeroShorts(d + (<usize>k << 1), kp - k);
  }
}

// im2col for CONV_2D (int8-wasm-8x8.ts pairs it with gemm): rows [p0, p0 + rows) of the
// [pixels, kp] int16 patch matrix of input channels [c0, c0 + ci) of the NHWC int8 input
// x [·, h, w, c], each value offset by −zp, row-major at out. Taps where the window overhangs the
// input are zero: the reference skips them, and a zero offset value adds nothing. Columns from
// kh·kw·ci to kp are zero (B's matching row is zero too; zeroing keeps the patches well
// defined). Pixels count row-major over [batch, oh, ow]. A window row wholly inside the input,
// without groups or horizontal dilation, is kw·c contiguous values, converted at once.
export function im2col(
  x: usize, h: i32, w: i32, c: i32, c0: i32, ci: i32, kh: i32, kw: i32,
  strideH: i32, strideW: i32, dilationH: i32, dilationW: i32, padT: i32, padL: i32,
  oh: i32, ow: i32, p0: i32, rows: i32, kp: i32, zp: i32, out: usize,
): void {
  const vzp = i16x8.splat(<i16>zp);
  const tail = kp - kh * kw * ci;
  let ox = p0 % ow;
  let oy = (p0 / ow) % oh;
  let b = p0 / ow / oh;
  let at = out;
  const tapBytes = <usize>ci << 1;
  for (let r = 0; r < rows; r++) {
    const ix0 = ox * strideW - padL;
    const rowContiguous = ci == c && dilationW == 1 && ix0 >= 0 && ix0 + kw <= w;
    for (let fy = 0; fy < kh; fy++) {
      const iy = oy * strideH - padT + fy * dilationH;
      if (iy < 0 || iy >= h) {
        zeroShorts(at, kw * ci);
        at += <usize>kw * tapBytes;
        continue;
      }
      const row = x + <usize>(b * h + iy) * <usize>w * <usize>c + <usize>c0;
      if (rowContiguous) {
        offsetCopy(at, row + <usize>ix0 * <usize>c, kw * c, zp, vzp);
        at += <usize>kw * tapBytes;
        continue;
      }
      for (let fx = 0; fx < kw; fx++) {
        const ix = ix0 + fx * dilationW;
        if (ix >= 0 && ix < w) offsetCopy(at, row + <usize>ix * <usize>c, ci, zp, vzp);
        else zeroShorts(at, ci);
        at += tapBytes;
      }
    }
    if (tail > 0) {
      zeroShorts(at, tail);
      at += <usize>tail << 1;
    }
    if (++ox == ow) {
      ox = 0;
      if (++oy == oh) {
        oy = 0;
        b++;
      }
    }
  }
}

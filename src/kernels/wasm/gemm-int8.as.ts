// AssemblyScript source of the WebAssembly SIMD int32 accumulation and requantization of the
// integer CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED kernels (src/kernels/conv-int8-wasm.ts
// runs it).
// Built by `npm run build:wasm` (asc) into src/kernels/gemm-int8-wasm-binary.ts, committed, so
// installs need no compiler; test/unit/kernels-wasm.test.ts checks the committed build is current.
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
//
// Requantization (requantize, and depthwise given an int8 output): TFLite's int32
// MultiplyByQuantizedMultiplier in its default double-rounding form (src/kernels/fixed-point.ts is
// the readable JS of it), the output zero point and the activation clamp, per output channel,
// stored as int8. The high multiply is an exact i64 product, so no 16-bit halves are needed.
// Channel parameters are int32 arrays [n]: multipliers and shifts (a per-tensor multiplier is the
// one channel repeated by the caller).

import { endInside, firstInside } from './window.as';

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

/** Stores `count` int16 values x − zp at dst for the int8 values at src: 8 at a time, then one at a time. */
@inline
function offsetCopy(dst: usize, src: usize, count: i32, zp: i32, vzp: v128): void {
  let i = 0;
  for (; i + 8 <= count; i += 8) v128.store(dst + (<usize>i << 1), i16x8.sub(v128.load8x8_s(src + <usize>i), vzp));
  for (; i < count; i++) store<i16>(dst + (<usize>i << 1), <i32>load<i8>(src + <usize>i) - zp);
}

/** Stores `count` zero int16 values at dst. */
@inline
function zeroShorts(dst: usize, count: i32): void {
  let i = 0;
  for (; i + 8 <= count; i += 8) v128.store(dst + (<usize>i << 1), i16x8.splat(0));
  for (; i < count; i++) store<i16>(dst + (<usize>i << 1), 0);
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

// im2col for CONV_2D (conv-int8-wasm.ts pairs it with gemm): rows [p0, p0 + rows) of the
// [pixels, kp] int16 patch matrix of input channels [c0, c0 + ci) of the NHWC int8 input
// x [·, h, w, c], each value offset by −zp, row-major at out. Taps where the window overhangs the
// input are zero: the reference skips them, and a zero offset value adds nothing. Columns from
// kh·kw·ci to kp are zero (B's matching row is zero too; zeroing keeps the patches well defined). Pixels count row-major over [batch, oh, ow]. A window row wholly
// inside the input, without groups or horizontal dilation, is kw·c contiguous values, converted
// at once.
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

// DEPTHWISE_CONV_2D's sums: the offset input x (int16 x − zp, NHWC [n, h, w, c], from
// offsetRows), filter f (int16 [kh, kw, c·m]), bias (int32 [c·m], zeros when the op has none),
// output int32 [n, oh, ow, c·m] = bias + the window's sums. Output channel ch reads input channel
// ch / m. Per output pixel the in-bounds window is the rectangle of taps [fy0, fy1) × [fx0, fx1)
// (out-of-bounds taps are skipped, as the reference does), so the inner loops have no bounds
// tests. With m = 1 input and output channels line up and are contiguous in NHWC: int16 vectors
// run over 16 channels (i32x4.extmul of 8 lanes, 4 int32 accumulators) while they last, then 8,
// then single channels. Other multipliers take a scalar loop: exact, not tuned.
// With requant non-zero the sums are not kept: out is scratch for one pixel's c·m sums, which
// are requantized (requantize's arithmetic, channel parameters mult and shift [c·m], zp, lo, hi,
// params its scratch) into int8 outputs [n, oh, ow, c·m] at out8 while they are in cache.
export function depthwise(
  n: i32, h: i32, w: i32, c: i32, m: i32,
  kh: i32, kw: i32, oh: i32, ow: i32,
  strideH: i32, strideW: i32, dilationH: i32, dilationW: i32, padT: i32, padL: i32,
  x: usize, f: usize, bias: usize, out: usize,
  requant: i32, mult: usize, shift: usize, zp: i32, lo: i32, hi: i32, out8: usize, params: usize,
): void {
  const vector = requant != 0 && prepareChannels(mult, shift, c * m, zp, lo, hi, params) != 0;
  const zp64 = <i64>zp;
  const lo64 = <i64>lo;
  const hi64 = <i64>hi;
  let q = out8;
  const oc = c * m;
  const pixelX = <usize>c << 1;
  const rowX = <usize>w * pixelX;
  const pixelF = <usize>oc << 1;
  const rowF = <usize>kw * pixelF;
  const tapStepY = <usize>dilationH * rowX;
  const tapStepX = <usize>dilationW * pixelX;
  let o = out;
  for (let b = 0; b < n; b++) {
    const image = x + <usize>b * <usize>h * rowX;
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * strideH - padT;
      const fy0 = firstInside(iy0, dilationH);
      const fy1 = endInside(iy0, dilationH, h, kh);
      for (let ox = 0; ox < ow; ox++) {
        const ix0 = ox * strideW - padL;
        const fx0 = firstInside(ix0, dilationW);
        const fx1 = endInside(ix0, dilationW, w, kw);
        // Byte addresses of the first in-bounds tap, in x (channel 0) and in f (output channel 0).
        const xTap0 = image + <usize>(iy0 + fy0 * dilationH) * rowX + <usize>(ix0 + fx0 * dilationW) * pixelX;
        const fTap0 = f + <usize>fy0 * rowF + <usize>fx0 * pixelF;
        if (m == 1) {
          let ch = 0;
          for (; ch + 16 <= c; ch += 16) {
            const acc = <usize>ch << 2;
            let s0 = v128.load(bias + acc);
            let s1 = v128.load(bias + acc, 16);
            let s2 = v128.load(bias + acc, 32);
            let s3 = v128.load(bias + acc, 48);
            let xr = xTap0 + (<usize>ch << 1);
            let fr = fTap0 + (<usize>ch << 1);
            for (let fy = fy0; fy < fy1; fy++) {
              let xp = xr;
              let fp = fr;
              for (let fx = fx0; fx < fx1; fx++) {
                const x0 = v128.load(xp);
                const x1 = v128.load(xp, 16);
                const f0 = v128.load(fp);
                const f1 = v128.load(fp, 16);
                s0 = i32x4.add(s0, i32x4.extmul_low_i16x8_s(x0, f0));
                s1 = i32x4.add(s1, i32x4.extmul_high_i16x8_s(x0, f0));
                s2 = i32x4.add(s2, i32x4.extmul_low_i16x8_s(x1, f1));
                s3 = i32x4.add(s3, i32x4.extmul_high_i16x8_s(x1, f1));
                xp += tapStepX;
                fp += pixelF;
              }
              xr += tapStepY;
              fr += rowF;
            }
            v128.store(o + acc, s0);
            v128.store(o + acc, s1, 16);
            v128.store(o + acc, s2, 32);
            v128.store(o + acc, s3, 48);
          }
          for (; ch + 8 <= c; ch += 8) {
            const acc = <usize>ch << 2;
            let s0 = v128.load(bias + acc);
            let s1 = v128.load(bias + acc, 16);
            let xr = xTap0 + (<usize>ch << 1);
            let fr = fTap0 + (<usize>ch << 1);
            for (let fy = fy0; fy < fy1; fy++) {
              let xp = xr;
              let fp = fr;
              for (let fx = fx0; fx < fx1; fx++) {
                const x0 = v128.load(xp);
                const f0 = v128.load(fp);
                s0 = i32x4.add(s0, i32x4.extmul_low_i16x8_s(x0, f0));
                s1 = i32x4.add(s1, i32x4.extmul_high_i16x8_s(x0, f0));
                xp += tapStepX;
                fp += pixelF;
              }
              xr += tapStepY;
              fr += rowF;
            }
            v128.store(o + acc, s0);
            v128.store(o + acc, s1, 16);
          }
          for (; ch < c; ch++) {
            let s = load<i32>(bias + (<usize>ch << 2));
            let xr = xTap0 + (<usize>ch << 1);
            let fr = fTap0 + (<usize>ch << 1);
            for (let fy = fy0; fy < fy1; fy++) {
              let xp = xr;
              let fp = fr;
              for (let fx = fx0; fx < fx1; fx++) {
                s += <i32>load<i16>(xp) * <i32>load<i16>(fp);
                xp += tapStepX;
                fp += pixelF;
              }
              xr += tapStepY;
              fr += rowF;
            }
            store<i32>(o + (<usize>ch << 2), s);
          }
        } else {
          for (let ch = 0; ch < oc; ch++) {
            let s = load<i32>(bias + (<usize>ch << 2));
            let xr = xTap0 + (<usize>(ch / m) << 1);
            let fr = fTap0 + (<usize>ch << 1);
            for (let fy = fy0; fy < fy1; fy++) {
              let xp = xr;
              let fp = fr;
              for (let fx = fx0; fx < fx1; fx++) {
                s += <i32>load<i16>(xp) * <i32>load<i16>(fp);
                xp += tapStepX;
                fp += pixelF;
              }
              xr += tapStepY;
              fr += rowF;
            }
            store<i32>(o + (<usize>ch << 2), s);
          }
        }
        if (requant != 0) {
          if (vector) requantizeRowVector(out, oc, mult, shift, params, zp, lo, hi, q);
          else requantizeRow(out, oc, mult, shift, zp64, lo64, hi64, q);
          q += <usize>oc;
        } else {
          o += <usize>oc << 2;
        }
      }
    }
  }
}

/**
 * One int32 accumulator scaled into the int8 output: clamp(zp + MultiplyByQuantizedMultiplier(acc,
 * m, s), lo, hi), bit for bit fixed-point.ts's multiplyByQuantizedMultiplier + affine-int8.ts's
 * requantize. Every step mirrors the JS one, shift counts included (wasm's i32 shifts take the
 * count mod 32 as JS's do), so even shifts outside TFLite's range agree.
 */
@inline
function requantizeOne(acc: i32, m: i32, s: i32, zp: i64, lo: i64, hi: i64): i32 {
  const left = s > 0 ? s : 0;
  const right = s > 0 ? 0 : -s;
  // Math.imul(acc, 1 << left): the left shift wraps like int32.
  const a = acc << left;
  // SaturatingRoundingDoublingHighMul: (a·m + nudge) / 2^31, C++ int64 division truncating
  // toward zero, the nudge ±2^30 rounding half away from zero; a = m = INT32_MIN saturates.
  let high: i32;
  if (a == i32.MIN_VALUE && m == i32.MIN_VALUE) {
    high = i32.MAX_VALUE;
  } else {
    const ab = <i64>a * <i64>m;
    const nudged = ab + (ab >= 0 ? <i64>(1 << 30) : <i64>(1 - (1 << 30)));
    // Truncating division by 2^31: floor after adding 2^31 − 1 to negatives.
    high = <i32>((nudged + ((nudged >> 63) & 0x7fffffff)) >> 31);
  }
  // RoundingDivideByPOT(high, right): the shift, plus one when the remainder is past half
  // (half itself goes away from zero: the threshold is one more for negatives).
  const mask = right >= 31 ? i32.MAX_VALUE : (1 << right) - 1;
  const remainder = high & mask;
  const threshold = (mask >> 1) + (high < 0 ? 1 : 0);
  // The rounding bit, then the zero point, added without wrapping as the JS doubles are (only a
  // shift count past 31, outside TFLite's range, can carry INT32_MAX + 1), then the clamp.
  const v = <i64>(high >> right) + <i64>(remainder > threshold ? 1 : 0) + zp;
  return <i32>(v < lo ? lo : v > hi ? hi : v);
}

/** n int32 sums at src (channels 0..n−1) requantized into n int8 values at dst. */
@inline
function requantizeRow(src: usize, n: i32, mult: usize, shift: usize, zp: i64, lo: i64, hi: i64, dst: usize): void {
  for (let j = 0; j < n; j++) {
    const at = <usize>j << 2;
    store<i8>(dst + <usize>j, requantizeOne(load<i32>(src + at), load<i32>(mult + at), load<i32>(shift + at), zp, lo, hi));
  }
}

// The vector form of requantizeOne, 4 channels at a time, needs per-channel constants, which
// prepareChannels derives from mult and shift once per call into `params`, arrays of n4 = n
// rounded up to 4: left (i32, 1 << max(shift, 0): Math.imul's factor), mask and threshold (i32,
// RoundingDivideByPOT's (1 << e) − 1 and its half, e = max(−shift, 0)), then scale (f64, 2^−e).
// WebAssembly has no per-lane variable shift, so x >> e is floor(x · 2^−e) in f64, exact for an
// int32 x. It returns 1 when the vector path is exact for these parameters: right shifts up to 31
// (TFLite's range; past it the JS shift counts wrap), lo ≤ hi within int8 (the int8 narrowing
// saturates where a store wraps), and lo − zp, hi − zp within int32 (the clamp is applied before
// the zero point is added, so nothing wraps). Otherwise the scalar requantizeOne does it all.
export function prepareChannels(mult: usize, shift: usize, n: i32, zp: i32, lo: i32, hi: i32, params: usize): i32 {
  const n4 = <usize>((n + 3) & ~3);
  let ok = lo <= hi && lo >= -128 && hi <= 127 && <i64>lo - <i64>zp >= <i64>i32.MIN_VALUE && <i64>hi - <i64>zp <= <i64>i32.MAX_VALUE;
  for (let j = 0; j < n; j++) {
    const s = load<i32>(shift + (<usize>j << 2));
    const left = s > 0 ? s : 0;
    const right = s > 0 ? 0 : -s;
    if (right > 31) ok = false;
    const at = params + (<usize>j << 2);
    store<i32>(at, 1 << left);
    const mask = right >= 31 ? i32.MAX_VALUE : (1 << right) - 1;
    store<i32>(at + (n4 << 2), mask);
    store<i32>(at + (n4 << 3), mask >> 1);
    store<f64>(params + n4 * 12 + (<usize>j << 3), reinterpret<f64>(<u64>(1023 - (right & 31)) << 52));
  }
  return ok ? 1 : 0;
}

/** requantizeOne on 4 channels: acc, and their constants (vlo, vhi: lo − zp, hi − zp). The int32 results. */
@inline
function requantize4(acc: v128, m: v128, left: v128, mask: v128, thr: v128, scaleLo: v128, scaleHi: v128, vlo: v128, vhi: v128, vzp: v128): v128 {
  const a = i32x4.mul(acc, left);
  const nudge = i64x2.splat(1 << 30);
  // 1 − 2^30 for negative products: 2^30 plus (1 − 2^31) where the sign mask is set.
  const nudgeNegative = i64x2.splat(1 - (<i64>1 << 31));
  const roundDown = i64x2.splat(0x7fffffff);
  let p0 = i64x2.extmul_low_i32x4_s(a, m);
  let p1 = i64x2.extmul_high_i32x4_s(a, m);
  p0 = i64x2.add(p0, i64x2.add(nudge, v128.and(i64x2.shr_s(p0, 63), nudgeNegative)));
  p1 = i64x2.add(p1, i64x2.add(nudge, v128.and(i64x2.shr_s(p1, 63), nudgeNegative)));
  p0 = i64x2.shr_s(i64x2.add(p0, v128.and(i64x2.shr_s(p0, 63), roundDown)), 31);
  p1 = i64x2.shr_s(i64x2.add(p1, v128.and(i64x2.shr_s(p1, 63), roundDown)), 31);
  let high = i8x16.shuffle(p0, p1, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
  const min = i32x4.splat(i32.MIN_VALUE);
  high = v128.bitselect(i32x4.splat(i32.MAX_VALUE), high, v128.and(i32x4.eq(a, min), i32x4.eq(m, min)));
  const f0 = f64x2.floor(f64x2.mul(f64x2.convert_low_i32x4_s(high), scaleLo));
  const f1 = f64x2.floor(f64x2.mul(f64x2.convert_low_i32x4_s(i8x16.shuffle(high, high, 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15)), scaleHi));
  const shifted = i8x16.shuffle(i32x4.trunc_sat_f64x2_s_zero(f0), i32x4.trunc_sat_f64x2_s_zero(f1), 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
  const remainder = v128.and(high, mask);
  // The threshold is one more for negatives: minus the sign mask (−1).
  const threshold = i32x4.sub(thr, i32x4.shr_s(high, 31));
  // Plus one past the threshold: minus the comparison's mask (−1).
  const scaled = i32x4.sub(shifted, i32x4.gt_s(remainder, threshold));
  return i32x4.add(i32x4.min_s(i32x4.max_s(scaled, vlo), vhi), vzp);
}

/**
 * n int32 sums at src requantized into n int8 values at dst, 4 channels at a time with
 * requantize4 (params from prepareChannels, which said the vector path is exact), the rest with
 * requantizeOne.
 */
@inline
function requantizeRowVector(src: usize, n: i32, mult: usize, shift: usize, params: usize, zp: i32, lo: i32, hi: i32, dst: usize): void {
  const n4 = <usize>((n + 3) & ~3);
  const maskAt = params + (n4 << 2);
  const thrAt = params + (n4 << 3);
  const scaleAt = params + n4 * 12;
  const vlo = i32x4.splat(lo - zp);
  const vhi = i32x4.splat(hi - zp);
  const vzp = i32x4.splat(zp);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const at = <usize>j << 2;
    const r = requantize4(
      v128.load(src + at), v128.load(mult + at), v128.load(params + at), v128.load(maskAt + at), v128.load(thrAt + at),
      v128.load(scaleAt + (<usize>j << 3)), v128.load(scaleAt + (<usize>j << 3), 16), vlo, vhi, vzp,
    );
    const r16 = i16x8.narrow_i32x4_s(r, r);
    v128.store32_lane(dst + <usize>j, i8x16.narrow_i16x8_s(r16, r16), 0);
  }
  for (; j < n; j++) {
    const at = <usize>j << 2;
    store<i8>(dst + <usize>j, requantizeOne(load<i32>(src + at), load<i32>(mult + at), load<i32>(shift + at), <i64>zp, <i64>lo, <i64>hi));
  }
}

// `rows` rows of n int32 sums (channel j in column j; rows srcStride int32 apart from src) as
// int8 outputs (rows dstStride bytes apart from dst): channel j takes multiplier mult[j] and
// shift shift[j] (int32 arrays), then the output zero point zp and the clamp to [lo, hi].
// params: scratch for prepareChannels (20 · n4 bytes, 16-aligned).
export function requantize(
  src: usize, rows: i32, n: i32, srcStride: i32, mult: usize, shift: usize,
  zp: i32, lo: i32, hi: i32, dst: usize, dstStride: i32, params: usize,
): void {
  if (prepareChannels(mult, shift, n, zp, lo, hi, params) != 0) {
    for (let r = 0; r < rows; r++) {
      requantizeRowVector(src + ((<usize>r * <usize>srcStride) << 2), n, mult, shift, params, zp, lo, hi, dst + <usize>r * <usize>dstStride);
    }
    return;
  }
  for (let r = 0; r < rows; r++) {
    requantizeRow(src + ((<usize>r * <usize>srcStride) << 2), n, mult, shift, <i64>zp, <i64>lo, <i64>hi, dst + <usize>r * <usize>dstStride);
  }
}

// ---------------------------------------------------------------------------------------------
// 16x8: int16 inputs (zero point 0, so used as they are), int8 weights widened to int16 (packed
// and resident exactly as above), int64 bias and accumulator, TFLite's int64
// MultiplyByQuantizedMultiplier, int16 outputs (reference_integer_ops ConvPerChannel,
// DepthwiseConvPerChannel and FullyConnected on int16 inputs; fixed-point.ts
// multiplyByQuantizedMultiplierInt64 and affine-int8.ts requantize are the readable JS).
//
// A product int16 · int8 lies within ±2^22 and i32x4.dot_i16x8_s adds two of them, so an int32
// lane stays exact over SPILL_PAIRS = 128 dot steps (|sum| ≤ 2^30): the GEMM accumulates blocks
// of at most that many pairs of k in int32 lanes, then adds them, widened, into the int64 sums
// (which start at the bias). The depthwise kernel adds single products (extmul), exact in int32
// over 256 taps; larger windows accumulate in int64 directly. The caller (conv-int8-wasm.ts)
// keeps |bias| ≤ 2^47 and k ≤ 2^24 taps, so every sum is within ±1.5 · 2^47 and the scaling
// below stays inside int64; it derives each channel's reduced 16-bit multiplier and the total
// shift s = 15 − shift (1 ≤ s ≤ 47) once per call.

const SPILL_PAIRS = 128;

/** Adds two int32x4 accumulators (8 columns), widened, to the 8 int64 sums at `from` and stores them at `to`. */
@inline
function spill8(acc0: v128, acc1: v128, from: usize, to: usize): void {
  v128.store(to, i64x2.add(v128.load(from), i64x2.extend_low_i32x4_s(acc0)));
  v128.store(to, i64x2.add(v128.load(from, 16), i64x2.extend_high_i32x4_s(acc0)), 16);
  v128.store(to, i64x2.add(v128.load(from, 32), i64x2.extend_low_i32x4_s(acc1)), 32);
  v128.store(to, i64x2.add(v128.load(from, 48), i64x2.extend_high_i32x4_s(acc1)), 48);
}

// C (int64 [m, np]) = bias (int64 [np]) + A · B, with A and B as in gemm (int16 patches [m, kp],
// packed pairs [kp / 2, np, 2]). The same 4 × 8 register tile, its int32 lanes restarted every
// SPILL_PAIRS pairs after being added into C (the first block adds them to the bias).
export function gemm16(m: i32, np: i32, kp: i32, a: usize, b: usize, c: usize, bias: usize): void {
  const rowA = <usize>kp << 1;
  const rowB = <usize>np << 2;
  const rowC = <usize>np << 3;
  const pairs = kp >> 1;
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
        const out = c + <usize>i * rowC + (<usize>j << 3);
        const biasAt = bias + (<usize>j << 3);
        // At least one block, so that k = 0 still writes the bias.
        for (let p0 = 0; p0 == 0 || p0 < pairs; p0 += SPILL_PAIRS) {
          const pEnd = min<i32>(p0 + SPILL_PAIRS, pairs);
          let c00 = i32x4.splat(0);
          let c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
          let bp = b + (<usize>j << 2) + <usize>p0 * rowB;
          for (let p = p0; p < pEnd; p++) {
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
          const first = p0 == 0;
          spill8(c00, c01, first ? biasAt : out, out);
          spill8(c10, c11, first ? biasAt : out + rowC, out + rowC);
          spill8(c20, c21, first ? biasAt : out + 2 * rowC, out + 2 * rowC);
          spill8(c30, c31, first ? biasAt : out + 3 * rowC, out + 3 * rowC);
        }
      }
    }
    // Leftover rows, one at a time.
    for (; i < m; i++) {
      const a0 = a + <usize>i * rowA;
      for (let j = jc; j < jEnd; j += 8) {
        const out = c + <usize>i * rowC + (<usize>j << 3);
        for (let p0 = 0; p0 == 0 || p0 < pairs; p0 += SPILL_PAIRS) {
          const pEnd = min<i32>(p0 + SPILL_PAIRS, pairs);
          let c00 = i32x4.splat(0);
          let c01 = c00;
          let bp = b + (<usize>j << 2) + <usize>p0 * rowB;
          for (let p = p0; p < pEnd; p++) {
            const x = v128.load32_splat(a0 + (<usize>p << 2));
            c00 = i32x4.add(c00, i32x4.dot_i16x8_s(x, v128.load(bp)));
            c01 = i32x4.add(c01, i32x4.dot_i16x8_s(x, v128.load(bp, 16)));
            bp += rowB;
          }
          spill8(c00, c01, p0 == 0 ? bias + (<usize>j << 3) : out, out);
        }
      }
    }
  }
}

// `rows` rows of k int16 values, k apart, at src as rows kp apart at dst (kp ≥ k; the columns
// from k to kp zero): FULLY_CONNECTED's A and a 1×1 convolution's patches when k is odd.
export function copyRows16(src: usize, rows: i32, k: i32, kp: i32, dst: usize): void {
  for (let r = 0; r < rows; r++) {
    const d = dst + ((<usize>r * <usize>kp) << 1);
    memory.copy(d, src + ((<usize>r * <usize>k) << 1), <usize>k << 1);
    zeroShorts(d + (<usize>k << 1), kp - k);
  }
}

// im2col (above) for an int16 input x, whose values are copied as they are (zero point 0).
export function im2col16(
  x: usize, h: i32, w: i32, c: i32, c0: i32, ci: i32, kh: i32, kw: i32,
  strideH: i32, strideW: i32, dilationH: i32, dilationW: i32, padT: i32, padL: i32,
  oh: i32, ow: i32, p0: i32, rows: i32, kp: i32, out: usize,
): void {
  const tail = kp - kh * kw * ci;
  let ox = p0 % ow;
  let oy = (p0 / ow) % oh;
  let b = p0 / ow / oh;
  let at = out;
  const tapBytes = <usize>ci << 1;
  const pixelBytes = <usize>c << 1;
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
      const row = x + <usize>(b * h + iy) * <usize>w * pixelBytes + (<usize>c0 << 1);
      if (rowContiguous) {
        memory.copy(at, row + <usize>ix0 * pixelBytes, <usize>kw * tapBytes);
        at += <usize>kw * tapBytes;
        continue;
      }
      for (let fx = 0; fx < kw; fx++) {
        const ix = ix0 + fx * dilationW;
        if (ix >= 0 && ix < w) memory.copy(at, row + <usize>ix * pixelBytes, tapBytes);
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

/**
 * One int64 sum scaled into the int16 output: clamp((x · r + 2^(s−1)) >> s + zp, lo, hi), r the
 * channel's reduced multiplier and s its total shift (multiplyByQuantizedMultiplierInt64, whose
 * floor is the arithmetic shift), the clamp in requantize's order of comparisons; stored as int16
 * (the low 16 bits, as an Int16Array store wraps).
 */
@inline
function requantizeOne16(x: i64, r: i32, s: i32, zp: i64, lo: i64, hi: i64): i32 {
  const v = ((x * <i64>r + (<i64>1 << <i64>(s - 1))) >> <i64>s) + zp;
  return <i32>(v < lo ? lo : v > hi ? hi : v);
}

/** n int64 sums at src (channels 0..n−1) requantized into n int16 values at dst. */
@inline
function requantizeRow16(src: usize, n: i32, reduced: usize, total: usize, zp: i64, lo: i64, hi: i64, dst: usize): void {
  for (let j = 0; j < n; j++) {
    const at = <usize>j << 2;
    store<i16>(dst + (<usize>j << 1), <i16>requantizeOne16(load<i64>(src + (<usize>j << 3)), load<i32>(reduced + at), load<i32>(total + at), zp, lo, hi));
  }
}

// `rows` rows of n int64 sums (rows srcStride int64 apart from src) as int16 outputs (rows
// dstStride int16 apart from dst): channel j takes reduced[j] and total[j] (int32 arrays).
export function requantize16(
  src: usize, rows: i32, n: i32, srcStride: i32, reduced: usize, total: usize,
  zp: i32, lo: i32, hi: i32, dst: usize, dstStride: i32,
): void {
  for (let r = 0; r < rows; r++) {
    requantizeRow16(src + ((<usize>r * <usize>srcStride) << 3), n, reduced, total, <i64>zp, <i64>lo, <i64>hi, dst + ((<usize>r * <usize>dstStride) << 1));
  }
}

// DEPTHWISE_CONV_2D on int16 inputs: x int16 [n, h, w, c] as it is, f int16 [kh, kw, c·m] (the
// widened filter), bias int64 [c·m] (zeros without one), sums int64 scratch [c·m] for one pixel,
// out int16 [n, oh, ow, c·m]. The window rectangle as in depthwise; with windows of at most 256
// taps the products are summed in int32 (16 or 8 channels at a time with m = 1, else one at a
// time), then widened onto the bias; larger windows sum in int64, one channel at a time. Each
// pixel's sums are requantized while they are in cache.
export function depthwise16(
  n: i32, h: i32, w: i32, c: i32, m: i32,
  kh: i32, kw: i32, oh: i32, ow: i32,
  strideH: i32, strideW: i32, dilationH: i32, dilationW: i32, padT: i32, padL: i32,
  x: usize, f: usize, bias: usize, sums: usize,
  reduced: usize, total: usize, zp: i32, lo: i32, hi: i32, out: usize,
): void {
  const narrow = kh * kw <= 256;
  const zp64 = <i64>zp;
  const lo64 = <i64>lo;
  const hi64 = <i64>hi;
  const oc = c * m;
  const pixelX = <usize>c << 1;
  const rowX = <usize>w * pixelX;
  const pixelF = <usize>oc << 1;
  const rowF = <usize>kw * pixelF;
  const tapStepY = <usize>dilationH * rowX;
  const tapStepX = <usize>dilationW * pixelX;
  let q = out;
  for (let b = 0; b < n; b++) {
    const image = x + <usize>b * <usize>h * rowX;
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * strideH - padT;
      const fy0 = firstInside(iy0, dilationH);
      const fy1 = endInside(iy0, dilationH, h, kh);
      for (let ox = 0; ox < ow; ox++) {
        const ix0 = ox * strideW - padL;
        const fx0 = firstInside(ix0, dilationW);
        const fx1 = endInside(ix0, dilationW, w, kw);
        const xTap0 = image + <usize>(iy0 + fy0 * dilationH) * rowX + <usize>(ix0 + fx0 * dilationW) * pixelX;
        const fTap0 = f + <usize>fy0 * rowF + <usize>fx0 * pixelF;
        let ch = 0;
        if (narrow && m == 1) {
          for (; ch + 16 <= c; ch += 16) {
            let s0 = i32x4.splat(0);
            let s1 = s0, s2 = s0, s3 = s0;
            let xr = xTap0 + (<usize>ch << 1);
            let fr = fTap0 + (<usize>ch << 1);
            for (let fy = fy0; fy < fy1; fy++) {
              let xp = xr;
              let fp = fr;
              for (let fx = fx0; fx < fx1; fx++) {
                const x0 = v128.load(xp);
                const x1 = v128.load(xp, 16);
                const f0 = v128.load(fp);
                const f1 = v128.load(fp, 16);
                s0 = i32x4.add(s0, i32x4.extmul_low_i16x8_s(x0, f0));
                s1 = i32x4.add(s1, i32x4.extmul_high_i16x8_s(x0, f0));
                s2 = i32x4.add(s2, i32x4.extmul_low_i16x8_s(x1, f1));
                s3 = i32x4.add(s3, i32x4.extmul_high_i16x8_s(x1, f1));
                xp += tapStepX;
                fp += pixelF;
              }
              xr += tapStepY;
              fr += rowF;
            }
            const at = <usize>ch << 3;
            spill8(s0, s1, bias + at, sums + at);
            spill8(s2, s3, bias + at + 64, sums + at + 64);
          }
          for (; ch + 8 <= c; ch += 8) {
            let s0 = i32x4.splat(0);
            let s1 = s0;
            let xr = xTap0 + (<usize>ch << 1);
            let fr = fTap0 + (<usize>ch << 1);
            for (let fy = fy0; fy < fy1; fy++) {
              let xp = xr;
              let fp = fr;
              for (let fx = fx0; fx < fx1; fx++) {
                const x0 = v128.load(xp);
                const f0 = v128.load(fp);
                s0 = i32x4.add(s0, i32x4.extmul_low_i16x8_s(x0, f0));
                s1 = i32x4.add(s1, i32x4.extmul_high_i16x8_s(x0, f0));
                xp += tapStepX;
                fp += pixelF;
              }
              xr += tapStepY;
              fr += rowF;
            }
            const at = <usize>ch << 3;
            spill8(s0, s1, bias + at, sums + at);
          }
        }
        for (; ch < oc; ch++) {
          let xr = xTap0 + (<usize>(ch / m) << 1);
          let fr = fTap0 + (<usize>ch << 1);
          let s: i64 = 0;
          if (narrow) {
            let s32 = 0;
            for (let fy = fy0; fy < fy1; fy++) {
              let xp = xr;
              let fp = fr;
              for (let fx = fx0; fx < fx1; fx++) {
                s32 += <i32>load<i16>(xp) * <i32>load<i16>(fp);
                xp += tapStepX;
                fp += pixelF;
              }
              xr += tapStepY;
              fr += rowF;
            }
            s = <i64>s32;
          } else {
            for (let fy = fy0; fy < fy1; fy++) {
              let xp = xr;
              let fp = fr;
              for (let fx = fx0; fx < fx1; fx++) {
                s += <i64>(<i32>load<i16>(xp) * <i32>load<i16>(fp));
                xp += tapStepX;
                fp += pixelF;
              }
              xr += tapStepY;
              fr += rowF;
            }
          }
          const at = <usize>ch << 3;
          store<i64>(sums + at, load<i64>(bias + at) + s);
        }
        requantizeRow16(sums, oc, reduced, total, zp64, lo64, hi64, q);
        q += <usize>oc << 1;
      }
    }
  }
}

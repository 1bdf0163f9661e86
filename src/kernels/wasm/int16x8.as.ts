// AssemblyScript source of the 16x8 integer kernels on WebAssembly SIMD (part of the module built
// from gemm-int8.as.ts, which re-exports gemm16, copyRows16, im2col16, requantize16 and
// depthwise16; src/kernels/int8-wasm-16x8.ts runs them).
//
// 16x8: int16 inputs (zero point 0, so used as they are), int8 weights widened to int16 (packed
// and resident exactly as for gemm in gemm-int8.as.ts), int64 bias and accumulator, TFLite's int64
// MultiplyByQuantizedMultiplier, int16 outputs (reference_integer_ops ConvPerChannel,
// DepthwiseConvPerChannel and FullyConnected on int16 inputs; fixed-point.ts
// multiplyByQuantizedMultiplierInt64 and affine-int8.ts requantize are the readable JS).
//
// A product int16 · int8 lies within ±2^22 and i32x4.dot_i16x8_s adds two of them, so an int32
// lane stays exact over SPILL_PAIRS = 128 dot steps (|sum| ≤ 2^30): the GEMM accumulates blocks
// of at most that many pairs of k in int32 lanes, then adds them, widened, into the int64 sums
// (which start at the bias). The depthwise kernel adds single products (extmul), exact in int32
// over 256 taps; larger windows accumulate in int64 directly. The caller (int8-wasm-16x8.ts)
// keeps |bias| ≤ 2^47 and k ≤ 2^24 taps, so every sum is within ±1.5 · 2^47 and the scaling
// below stays inside int64; it derives each channel's reduced 16-bit multiplier and the total
// shift s = 15 − shift (1 ≤ s ≤ 47) once per call.

import { endInside, firstInside } from './window.as';
import { zeroShorts } from './int16-rows.as';

const SPILL_PAIRS = 128;

/** Adds two int32x4 accumulators (8 columns), widened, to the 8 int64 sums at `from` and stores them at `to`. */
@inline
function spill8(acc0: v128, acc1: v128, from: usize, to: usize): void {
  v128.store(to, i64x2.add(v128.load(from), i64x2.extend_low_i32x4_s(acc0)));
  v128.store(to, i64x2.add(v128.load(from, 16), i64x2.extend_high_i32x4_s(acc0)), 16);
  v128.store(to, i64x2.add(v128.load(from, 32), i64x2.extend_low_i32x4_s(acc1)), 32);
  v128.store(to, i64x2.add(v128.load(from, 48), i64x2.extend_high_i32x4_s(acc1)), 48);
}

// C (int64 [m, np]) = bias (int64 [np]) + A · B, with A and B as in gemm (gemm-int8.as.ts: int16
// patches [m, kp], packed pairs [kp / 2, np, 2]). The same 4 × 8 register tile, its int32 lanes
// restarted every SPILL_PAIRS pairs after being added into C (the first block adds them to the
// bias).
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

// im2col (gemm-int8.as.ts) for an int16 input x, whose values are copied as they are (zero point 0).
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
// out int16 [n, oh, ow, c·m]. The window rectangle as in depthwise (depthwise-int8.as.ts); with
// windows of at most 256 taps the products are summed in int32 (16 or 8 channels at a time with
// m = 1, else one at a time), then widened onto the bias; larger windows sum in int64, one channel
// at a time. Each pixel's sums are requantized while they are in cache.
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

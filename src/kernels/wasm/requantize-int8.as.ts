// AssemblyScript source of the int32 requantization of the integer kernels (part of the module
// built from gemm-int8.as.ts, which re-exports prepareChannels and requantize; the int8 depthwise
// kernel of depthwise-int8.as.ts requantizes each pixel's sums with requantizeRow and
// requantizeRowVector as it makes them).
//
// TFLite's int32 MultiplyByQuantizedMultiplier in its default double-rounding form
// (src/kernels/fixed-point.ts is the readable JS of it), the output zero point and the activation
// clamp, per output channel, stored as int8. The high multiply is an exact i64 product, so no
// 16-bit halves are needed. Channel parameters are int32 arrays [n]: multipliers and shifts (a
// per-tensor multiplier is the one channel repeated by the caller).

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
export function requantizeRow(src: usize, n: i32, mult: usize, shift: usize, zp: i64, lo: i64, hi: i64, dst: usize): void {
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
export function requantizeRowVector(src: usize, n: i32, mult: usize, shift: usize, params: usize, zp: i32, lo: i32, hi: i32, dst: usize): void {
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

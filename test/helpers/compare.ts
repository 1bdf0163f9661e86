/**
 * Numeric comparisons the tests share: relative error against a reference, SQNR, and the int8
 * quantize-dequantize error of a range. Each function states exactly what it measures, since the
 * tests' tolerances are written against these definitions.
 */
import { expect } from 'vitest';

/** Flat data as plain numbers (int64 as Number). */
export const numbers = (data: ArrayLike<number | bigint>): number[] => Array.from(data, Number);

/**
 * max |ours[i] − ref[i]| (`err`) and max |ref[i]| (`scale`) over ref's indices. A missing ours[i]
 * (ours shorter than ref) makes `err` NaN, which fails any ≤ check.
 */
export function maxAbs(ours: ArrayLike<number | bigint>, ref: ArrayLike<number | bigint>): { err: number; scale: number } {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    err = Math.max(err, Math.abs(Number(ours[i]) - Number(ref[i])));
    scale = Math.max(scale, Math.abs(Number(ref[i])));
  }
  return { err, scale };
}

/**
 * max |ours − ref| / max |ref|, over ref's indices (see maxAbs); the denominator is floored at
 * `floor` (1e-30 unless given: an all-zero reference then needs an exact match). No length check:
 * use relErr for that.
 */
export function maxRelErr(ours: ArrayLike<number | bigint>, ref: ArrayLike<number | bigint>, floor = 1e-30): number {
  const { err, scale } = maxAbs(ours, ref);
  return err / Math.max(scale, floor);
}

/** maxRelErr after asserting that ours and ref have the same length. */
export function relErr(ours: ArrayLike<number | bigint>, ref: ArrayLike<number | bigint>): number {
  const a = numbers(ours);
  const b = numbers(ref);
  expect(a).toHaveLength(b.length);
  return maxRelErr(a, b);
}

/**
 * Signal-to-noise ratio in dB of `got` against `ref`: 10·log10(Σ ref² / Σ (ref − got)²), summed
 * over every pair (ref[k], got[k]) (e.g. all outputs of all runs) and over ref[k]'s indices.
 */
export function sqnr(ref: readonly ArrayLike<number>[], got: readonly ArrayLike<number>[]): number {
  let signal = 0;
  let noise = 0;
  for (let k = 0; k < ref.length; k++) {
    const r = ref[k]!;
    for (let i = 0; i < r.length; i++) {
      signal += r[i]! ** 2;
      noise += (r[i]! - got[k]![i]!) ** 2;
    }
  }
  return 10 * Math.log10(signal / noise);
}

/** Mean squared error of TFLite's asymmetric int8 quantize-dequantize of `data` over `range`. */
export function int8Mse(data: Float32Array, range: { min: number; max: number }): number {
  const min = Math.min(range.min, 0);
  const max = Math.max(range.max, 0);
  const scale = (max - min) / 255;
  const zeroPoint = Math.min(127, Math.max(-128, Math.round(-128 - min / scale)));
  let sum = 0;
  for (const x of data) {
    const q = Math.min(127, Math.max(-128, Math.round(x / scale) + zeroPoint));
    const d = x - (q - zeroPoint) * scale;
    sum += d * d;
  }
  return sum / data.length;
}

/** Random cases for the fast-kernel tests: seeded generators, float32 values, magnitude bounds. */
import type { Value } from '../../src/kernels/value.js';
import { mulberry32 } from '../harness/random-inputs.js';

/** A seeded uniform [0, 1) generator (the harness's mulberry32). */
export const rng = mulberry32;

/** A whole number in [lo, hi]. */
export const int = (r: () => number, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

/** A float32 value of the shape, uniform in [-1, 1). */
export function value(r: () => number, shape: number[]): Value {
  const count = shape.reduce((a, b) => a * b, 1);
  return { dtype: 'float32', shape, data: Float32Array.from({ length: count }, () => r() * 2 - 1) };
}

/** The elementwise magnitudes, for rounding-error bounds (sum of |terms|). */
export const abs = (v: Value | null): Value | null => (v === null ? null : { ...v, data: (v.data as Float32Array).map(Math.abs) });

// Deterministic pseudo-random tensor data, so that a test run with the same seed feeds the same
// inputs every time (randomInputsFor in litert.ts applies this to a model's inputs).
import { ARRAY_TYPES, type TfliteDType, type TypedArray } from './litert-types.js';

/** mulberry32: tiny, well-distributed 32-bit PRNG; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `length` floats uniform in [lo, hi), from mulberry32(seed). */
export function randomFloats(length: number, seed: number, lo = -1, hi = 1): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length }, () => lo + random() * (hi - lo));
}

/** Inclusive integer ranges used by randomInputsFor (float32 is uniform in [-1, 1)). */
export const RANDOM_INT_RANGES: Readonly<Record<Exclude<TfliteDType, 'float32'>, readonly [number, number]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-1024, 1023],
  int32: [-100, 100],
  int64: [-100, 100],
  bool: [0, 1],
};

/** Fills an array of `dtype` and `length` from `random` with the ranges above. */
export function randomTypedArray(dtype: TfliteDType, length: number, random: () => number): TypedArray {
  if (dtype === 'float32') return Float32Array.from({ length }, () => random() * 2 - 1);
  const [lo, hi] = RANDOM_INT_RANGES[dtype];
  const draw = () => lo + Math.floor(random() * (hi - lo + 1));
  if (dtype === 'int64') return BigInt64Array.from({ length }, () => BigInt(draw()));
  const array = new ARRAY_TYPES[dtype](length) as Exclude<TypedArray, BigInt64Array>;
  for (let i = 0; i < length; i++) array[i] = draw();
  return array;
}

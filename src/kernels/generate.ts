/**
 * Kernels that create or pick values without arithmetic on them: CAST, FILL, RANGE, ZEROS_LIKE,
 * SELECT / SELECT_V2. Each follows TFLite's kernel (tensorflow/lite/kernels/<op>.cc and
 * reference_ops) for every element type it accepts, so folding a constant gives what the runtime
 * would have computed.
 */
import type { DType } from '../ir/dtype.js';
import { GraphError } from '../util/errors.js';
import { broadcastIndex, broadcastShapes } from './broadcast.js';
import { floatToHalf, halfToFloat } from './float16.js';
import { makeValue, type Value } from './value.js';

/** Element access shared by every TypedArray, so copies work for int64 (BigInt) like the rest. */
type Indexable = { [i: number]: number | bigint; length: number };

const view = (v: Value) => v.data as unknown as Indexable;

// ---------------------------------------------------------------------------------------------
// CAST

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

function bfloat16ToFloat(bits: number): number {
  u32[0] = bits << 16;
  return f32[0]!;
}

/** Eigen's float_to_bfloat16_rtne: round to nearest even; NaN stays a (quiet) NaN. */
function floatToBfloat16(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  if (Number.isNaN(f32[0])) return ((bits >>> 16) & 0x8000) | 0x7fc0;
  return (bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16;
}

/** Element i of a value as a number, or a bigint for 64-bit integers (exact beyond 2^53). */
function reader(x: Value): (i: number) => number | bigint {
  const src = view(x);
  if (x.dtype === 'float16') return (i) => halfToFloat(src[i] as number);
  if (x.dtype === 'bfloat16') return (i) => bfloat16ToFloat(src[i] as number);
  return (i) => src[i]!;
}

const INT_BITS: Partial<Record<DType, [bits: number, signed: boolean]>> = {
  int8: [8, true],
  int16: [16, true],
  int32: [32, true],
  int64: [64, true],
  uint8: [8, false],
  uint16: [16, false],
  uint32: [32, false],
};

/** The dtypes CAST converts between: cast.cc's, less complex64 and the packed int4 / int2 / uint4. */
export const CAST_DTYPES: ReadonlySet<DType> = new Set<DType>([
  'float16',
  'bfloat16',
  'float32',
  'float64',
  'bool',
  ...(Object.keys(INT_BITS) as DType[]),
]);

/** Integer conversion of a float: C++'s static_cast truncates toward zero; NaN and ±∞ have no value, we give 0. */
function truncated(x: number): bigint {
  return Number.isFinite(x) ? BigInt(Math.trunc(x)) : 0n;
}

/**
 * TFLite's CAST: static_cast per element, except that float32 → int32 / int16 / uint8 saturate
 * (cast.cc's copyCast specializations; NaN → INT32_MAX for int32, as there). Integers narrow
 * modulo 2^bits; to bool is "!= 0"; to float16 / bfloat16 goes through float32 and rounds to
 * nearest even.
 */
export function castValue(x: Value, to: DType): Value {
  if (!CAST_DTYPES.has(x.dtype) || !CAST_DTYPES.has(to)) throw new GraphError(`CAST from ${x.dtype} to ${to} is not supported`);
  const out = makeValue(to, x.shape.slice());
  const dst = view(out);
  const read = reader(x);
  const n = out.data.length;
  const int = INT_BITS[to];
  if (to === 'bool') {
    for (let i = 0; i < n; i++) dst[i] = Number(read(i)) !== 0 ? 1 : 0; // NaN is true, as in C++
  } else if (to === 'float16' || to === 'bfloat16') {
    const convert = to === 'float16' ? floatToHalf : floatToBfloat16;
    for (let i = 0; i < n; i++) dst[i] = convert(Math.fround(Number(read(i))));
  } else if (int === undefined) {
    for (let i = 0; i < n; i++) dst[i] = Number(read(i)); // float32/float64: the array rounds
  } else if (x.dtype === 'float32' && (to === 'int32' || to === 'int16' || to === 'uint8')) {
    const [lo, hi] = to === 'int32' ? [-(2 ** 31), 2147483520] : to === 'int16' ? [-32768, 32767] : [0, 255];
    for (let i = 0; i < n; i++) {
      const v = read(i) as number;
      if (to === 'int32' && !(v <= hi)) dst[i] = 2147483647; // above the largest float below 2^31, or NaN
      else dst[i] = Number.isNaN(v) ? 0 : Math.trunc(Math.min(Math.max(v, lo), hi));
    }
  } else {
    const [bits, signed] = int;
    const wrap = signed ? BigInt.asIntN : BigInt.asUintN; // 64 bits is int64 only (no uint64 CAST)
    for (let i = 0; i < n; i++) {
      const v = read(i);
      if (typeof v === 'bigint') dst[i] = bits === 64 ? wrap(64, v) : Number(wrap(bits, v));
      else if (bits === 64) dst[i] = wrap(64, truncated(v));
      else dst[i] = v; // the typed array truncates toward zero and wraps modulo 2^bits (NaN, ±∞ → 0)
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// FILL, ZEROS_LIKE, RANGE

/** A tensor of `shape` holding `value`'s single element everywhere. */
export function fillValue(shape: readonly number[], value: Value): Value {
  if (value.data.length !== 1) throw new GraphError(`FILL needs a scalar value, got shape [${value.shape}]`);
  const out = makeValue(value.dtype, shape.slice());
  (out.data as unknown as { fill(v: number | bigint): unknown }).fill(view(value)[0]!);
  return out;
}

export function zerosLike(x: Value): Value {
  return makeValue(x.dtype, x.shape.slice());
}

/**
 * RANGE's length, as range.cc's GetSize computes it: integers by integer division, floats as
 * ceil(|(limit - start) / delta|) in float32. Errors where the kernel fails.
 */
export function rangeLength(start: number, limit: number, delta: number, integral: boolean): number {
  if (delta === 0) throw new GraphError('RANGE delta must not be 0');
  if (!((start >= limit && delta < 0) || (start <= limit && delta > 0))) {
    throw new GraphError(`RANGE from ${start} to ${limit} never ends with delta ${delta}`);
  }
  if (integral) return Math.floor((Math.abs(limit - start) + Math.abs(delta) - 1) / Math.abs(delta));
  return Math.ceil(Math.abs(Math.fround(Math.fround(limit - start) / delta)));
}

/** start, start + delta, ...: accumulated like the kernel (value += delta), in float32 for floats. */
export function rangeValue(dtype: DType, start: number, limit: number, delta: number): Value {
  const integral = dtype !== 'float32';
  const length = rangeLength(start, limit, delta, integral);
  const out = makeValue(dtype, [length]);
  const dst = view(out);
  let value = integral ? start : Math.fround(start);
  for (let i = 0; i < length; i++) {
    dst[i] = dtype === 'int64' ? BigInt(value) : value;
    value = integral ? value + delta : Math.fround(value + delta);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// SELECT, SELECT_V2

/** SELECT_V2's output shape: the three inputs broadcast together (null when they do not). */
export function selectV2Shape(cond: readonly number[], x: readonly number[], y: readonly number[]): number[] | null {
  const cx = broadcastShapes(cond, x);
  return cx === null ? null : broadcastShapes(cx, y);
}

/**
 * SELECT (TF1's Select): `cond` has the shape of x and y, or is a scalar, or is a vector that
 * picks whole rows (dim 0) of x or y. SELECT_V2 broadcasts all three.
 */
export function selectValue(cond: Value, x: Value, y: Value, broadcast: boolean): Value {
  const c = cond.data as Uint8Array;
  let shape: number[] | null;
  let ic: (i: number) => number;
  let ix: (i: number) => number = (i) => i;
  let iy: (i: number) => number = (i) => i;
  if (broadcast) {
    shape = selectV2Shape(cond.shape, x.shape, y.shape);
    if (shape === null) throw new GraphError(`SELECT_V2 shapes [${cond.shape}], [${x.shape}], [${y.shape}] do not broadcast`);
    const bc = broadcastIndex(cond.shape, shape);
    const bx = broadcastIndex(x.shape, shape);
    const by = broadcastIndex(y.shape, shape);
    [ic, ix, iy] = [(i) => bc[i]!, (i) => bx[i]!, (i) => by[i]!];
  } else {
    shape = x.shape.slice();
    const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
    if (!same(x.shape, y.shape)) throw new GraphError(`SELECT needs x and y of one shape, got [${x.shape}] and [${y.shape}]`);
    if (same(cond.shape, x.shape) || c.length === 1) ic = c.length === 1 ? () => 0 : (i) => i;
    else if (cond.shape.length === 1 && cond.shape[0] === x.shape[0]) {
      const inner = x.data.length / Math.max(1, cond.shape[0]!);
      ic = (i) => Math.floor(i / inner);
    } else throw new GraphError(`SELECT condition of shape [${cond.shape}] does not fit inputs of shape [${x.shape}]`);
  }
  const out = makeValue(x.dtype, shape);
  const [dst, xs, ys] = [view(out), view(x), view(y)];
  for (let i = 0; i < out.data.length; i++) dst[i] = c[ic(i)] ? xs[ix(i)]! : ys[iy(i)]!;
  return out;
}

/**
 * Reference kernels for reductions (MEAN, SUM, REDUCE_PROD/MAX/MIN/ANY/ALL), ARG_MAX/ARG_MIN and
 * the last-axis normalizations (SOFTMAX, LOG_SOFTMAX, L2_NORMALIZATION), with TFLite's semantics:
 * axes may be negative and repeated; integer MEAN truncates toward zero; integer SUM/PROD wrap
 * like the C++ kernels' fixed-width arithmetic; ARG_MAX/MIN keep the first index on ties.
 */
import { isFloat, type DType } from '../ir/dtype.js';
import { GraphError } from '../util/errors.js';
import { makeValue, stridesOf, type NumericArray, type Value } from './value.js';

export type ReduceKind = 'sum' | 'mean' | 'prod' | 'max' | 'min' | 'any' | 'all';

/**
 * The distinct axes in [0, rank), sorted. A scalar reduces to itself whatever the axes say, as
 * TFLite's kernel does.
 */
export function normalizeAxes(rank: number, axes: readonly number[]): number[] {
  if (rank === 0) return [];
  const out = new Set<number>();
  for (const a of axes) {
    const axis = a < 0 ? a + rank : a;
    if (!(axis >= 0 && axis < rank)) throw new GraphError(`reduction axis ${a} is out of range for rank ${rank}`);
    out.add(axis);
  }
  return [...out].sort((x, y) => x - y);
}

/** The output shape: reduced dims become 1 (keepDims) or disappear. `axes` are normalized. */
export function reducedShape(shape: readonly number[], axes: readonly number[], keepDims: boolean): number[] {
  const reduced = new Set(axes);
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!reduced.has(i)) out.push(d);
    else if (keepDims) out.push(1);
  });
  return out;
}

/**
 * For each input dimension, the step the output's flat index takes when that coordinate grows by
 * one: 0 along reduced axes. The output's order is the input's with reduced axes dropped, so the
 * keep_dims and squeezed layouts share one flat index.
 */
function outputSteps(shape: readonly number[], axes: readonly number[]): number[] {
  const reduced = new Set(axes);
  const kept = shape.filter((_, i) => !reduced.has(i));
  const keptStrides = stridesOf(kept);
  let k = 0;
  return shape.map((_, i) => (reduced.has(i) ? 0 : keptStrides[k++]!));
}

/** Calls `visit(inputIndex, outputIndex)` for every input element, in row-major order. */
function forEachElement(shape: readonly number[], steps: readonly number[], visit: (i: number, o: number) => void): void {
  const count = shape.reduce((n, d) => n * d, 1);
  const coords = new Array<number>(shape.length).fill(0);
  let at = 0;
  for (let i = 0; i < count; i++) {
    visit(i, at);
    for (let d = shape.length - 1; d >= 0; d--) {
      coords[d]!++;
      at += steps[d]!;
      if (coords[d]! < shape[d]!) break;
      at -= steps[d]! * coords[d]!;
      coords[d] = 0;
    }
  }
}

/** TFLite's initial value for an empty reduction: numeric_limits<T>::lowest() / max(). */
function emptyExtreme(dtype: DType, kind: 'max' | 'min'): number {
  const limits: Partial<Record<DType, [number, number]>> = {
    float32: [-3.4028234663852886e38, 3.4028234663852886e38],
    float64: [-Number.MAX_VALUE, Number.MAX_VALUE],
    int8: [-128, 127],
    uint8: [0, 255],
    int16: [-32768, 32767],
    uint16: [0, 65535],
    int32: [-2147483648, 2147483647],
    uint32: [0, 4294967295],
    bool: [0, 1],
  };
  const [lo, hi] = limits[dtype] ?? [-Infinity, Infinity];
  return kind === 'max' ? lo : hi;
}

export function reduce(x: Value, axesIn: readonly number[], keepDims: boolean, kind: ReduceKind): Value {
  const axes = normalizeAxes(x.shape.length, axesIn);
  const shape = reducedShape(x.shape, axes, keepDims);
  const out = makeValue(x.dtype, shape);
  const steps = outputSteps(x.shape, axes);
  const perOutput = axes.reduce((n, a) => n * x.shape[a]!, 1);
  if (x.data instanceof BigInt64Array || x.data instanceof BigUint64Array) {
    reduceBig(x.data, out.data as BigInt64Array | BigUint64Array, x.shape, steps, perOutput, kind);
    return out;
  }
  const src = x.data as NumericArray;
  const acc = new Float64Array(out.data.length);
  const seen = new Uint8Array(out.data.length);
  const intProd = kind === 'prod' && !isFloat(x.dtype);
  switch (kind) {
    case 'sum':
    case 'mean':
      // Exact in doubles for integer inputs (below 2^53); float inputs gain precision.
      forEachElement(x.shape, steps, (i, o) => (acc[o] = acc[o]! + src[i]!));
      break;
    case 'prod':
      acc.fill(1);
      // Integer products wrap modulo 2^32 (then to the narrower type on store), like C++.
      forEachElement(x.shape, steps, (i, o) => (acc[o] = intProd ? Math.imul(acc[o]!, src[i]!) : acc[o]! * src[i]!));
      break;
    case 'max':
    case 'min': {
      // The first element seeds the result (TF's semantics and TFLite's all-axes path): -inf
      // stays -inf, and a NaN is only kept when it comes first, as in TFLite's `in > cur`.
      const better = kind === 'max' ? (a: number, b: number) => a > b : (a: number, b: number) => a < b;
      acc.fill(emptyExtreme(x.dtype, kind));
      forEachElement(x.shape, steps, (i, o) => {
        if (!seen[o] || better(src[i]!, acc[o]!)) acc[o] = src[i]!;
        seen[o] = 1;
      });
      break;
    }
    case 'any':
      forEachElement(x.shape, steps, (i, o) => (acc[o] = acc[o] || src[i] ? 1 : 0));
      break;
    case 'all':
      acc.fill(1);
      forEachElement(x.shape, steps, (i, o) => (acc[o] = acc[o] && src[i] ? 1 : 0));
      break;
  }
  const dst = out.data as NumericArray;
  for (let o = 0; o < dst.length; o++) {
    let v = acc[o]!;
    if (kind === 'mean') {
      // TFLite fills an empty mean with NaN (0 for integer outputs once stored).
      v = perOutput === 0 ? NaN : isFloat(x.dtype) ? v / perOutput : Math.trunc(v / perOutput);
    }
    dst[o] = x.dtype === 'bool' ? +(v !== 0) : v;
  }
  return out;
}

function reduceBig(
  src: BigInt64Array | BigUint64Array,
  dst: BigInt64Array | BigUint64Array,
  shape: readonly number[],
  steps: readonly number[],
  perOutput: number,
  kind: ReduceKind,
): void {
  const wrap = src instanceof BigInt64Array ? (v: bigint) => BigInt.asIntN(64, v) : (v: bigint) => BigInt.asUintN(64, v);
  const seen = new Uint8Array(dst.length);
  dst.fill(kind === 'prod' || kind === 'all' ? 1n : 0n);
  forEachElement(shape, steps, (i, o) => {
    const v = src[i]!;
    const cur = dst[o]!;
    switch (kind) {
      case 'sum':
      case 'mean':
        dst[o] = wrap(cur + v);
        break;
      case 'prod':
        dst[o] = wrap(cur * v);
        break;
      case 'max':
        if (!seen[o] || v > cur) dst[o] = v;
        break;
      case 'min':
        if (!seen[o] || v < cur) dst[o] = v;
        break;
      case 'any':
        dst[o] = cur !== 0n || v !== 0n ? 1n : 0n;
        break;
      case 'all':
        dst[o] = cur !== 0n && v !== 0n ? 1n : 0n;
        break;
    }
    seen[o] = 1;
  });
  if (kind === 'mean' && perOutput > 0) {
    // BigInt division truncates toward zero, as C++ integer division does.
    for (let o = 0; o < dst.length; o++) dst[o] = dst[o]! / BigInt(perOutput);
  }
}

/** ARG_MAX / ARG_MIN along `axis` (negative counts from the end); ties keep the first index. */
export function argMinMax(x: Value, axisIn: number, outDtype: 'int32' | 'int64', isMax: boolean): Value {
  const rank = x.shape.length;
  const axis = axisIn < 0 ? axisIn + rank : axisIn;
  if (!(axis >= 0 && axis < rank)) throw new GraphError(`arg ${isMax ? 'max' : 'min'} axis ${axisIn} is out of range for rank ${rank}`);
  const outer = x.shape.slice(0, axis).reduce((n, d) => n * d, 1);
  const size = x.shape[axis]!;
  const inner = x.shape.slice(axis + 1).reduce((n, d) => n * d, 1);
  const out = makeValue(outDtype, [...x.shape.slice(0, axis), ...x.shape.slice(axis + 1)]);
  const src = x.data as ArrayLike<number | bigint>;
  const better = isMax ? (a: number | bigint, b: number | bigint) => a > b : (a: number | bigint, b: number | bigint) => a < b;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      let best = 0;
      for (let k = 1; k < size; k++) if (better(src[base + k * inner]!, src[base + best * inner]!)) best = k;
      if (out.data instanceof BigInt64Array) out.data[o * inner + i] = BigInt(best);
      else (out.data as Int32Array)[o * inner + i] = best;
    }
  }
  return out;
}

/** Applies `fn` to each row of the last axis: `fn(src, dst, offset, depth)`. */
function lastAxisRows(x: Value, fn: (src: NumericArray, dst: NumericArray, at: number, depth: number) => void): Value {
  const out = makeValue(x.dtype, x.shape.slice());
  const depth = x.shape[x.shape.length - 1] ?? 1;
  const src = x.data as NumericArray;
  const dst = out.data as NumericArray;
  if (depth > 0) for (let at = 0; at < src.length; at += depth) fn(src, dst, at, depth);
  return out;
}

function rowMax(src: NumericArray, at: number, depth: number): number {
  let max = src[at]!;
  for (let c = 1; c < depth; c++) if (src[at + c]! > max) max = src[at + c]!;
  return max;
}

/** SOFTMAX: exp(beta·(x − max)) / Σ exp(beta·(x − max)) over the last axis. */
export function softmax(x: Value, beta: number): Value {
  return lastAxisRows(x, (src, dst, at, depth) => {
    const max = rowMax(src, at, depth);
    let sum = 0;
    for (let c = 0; c < depth; c++) sum += Math.exp((src[at + c]! - max) * beta);
    for (let c = 0; c < depth; c++) dst[at + c] = Math.exp((src[at + c]! - max) * beta) / sum;
  });
}

/** LOG_SOFTMAX: (x − max) − log Σ exp(x − max) over the last axis. */
export function logSoftmax(x: Value): Value {
  return lastAxisRows(x, (src, dst, at, depth) => {
    const max = rowMax(src, at, depth);
    let sum = 0;
    for (let c = 0; c < depth; c++) sum += Math.exp(src[at + c]! - max);
    const logSum = Math.log(sum);
    for (let c = 0; c < depth; c++) dst[at + c] = src[at + c]! - max - logSum;
  });
}

/** TFLite's L2_NORMALIZATION floor on the norm (fixed in the kernel, not an option). */
export const L2_NORM_EPSILON = 1e-6;

/** L2_NORMALIZATION: x / max(‖x‖₂, 1e-6) over the last axis. */
export function l2Normalize(x: Value): Value {
  return lastAxisRows(x, (src, dst, at, depth) => {
    let squares = 0;
    for (let c = 0; c < depth; c++) squares += src[at + c]! * src[at + c]!;
    const norm = Math.max(Math.sqrt(squares), L2_NORM_EPSILON);
    for (let c = 0; c < depth; c++) dst[at + c] = src[at + c]! / norm;
  });
}

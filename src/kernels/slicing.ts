/**
 * Reference kernels for joining and slicing: CONCATENATION, PACK, UNPACK, SPLIT(_V), SLICE, TILE,
 * GATHER, GATHER_ND. They only move elements, so every dtype with a dense array works the same
 * (float32, int32, int64 as BigInt, bool as 0/1 bytes, the quantized integer types).
 *
 * Most of them are one primitive with different index lists: `selectIndices` takes, per input
 * dimension, the list of coordinates to keep (a range for SLICE and SPLIT, a strided range for
 * STRIDED_SLICE, a repeated range for TILE) and gathers their outer product.
 */
import { elementCount } from '../ir/tensor.js';
import { GraphError } from '../util/errors.js';
import { gatherNdShape, gatherShape } from './slicing-shapes.js';
import { makeValue, stridesOf, toNumbers, type Value } from './value.js';

/** Element access common to every TypedArray (numbers, or BigInt for 64-bit integers). */
type Elements = { [i: number]: number | bigint; readonly length: number };

function elements(v: Value): Elements {
  return v.data as unknown as Elements;
}

/**
 * Copies `length` elements from `src` at `srcAt` to `dst` at `dstAt`. Both values have the same
 * dtype and therefore the same TypedArray class, which `set` needs; the cast only hides the union.
 */
function copyRun(dst: Value, dstAt: number, src: Value, srcAt: number, length: number): void {
  if (length <= 0) return;
  const from = (src.data as Float32Array).subarray(srcAt, srcAt + length);
  (dst.data as Float32Array).set(from, dstAt);
}

/** [start, start + step, ...) up to (not including) stop, for either sign of step. */
export function range(start: number, stop: number, step = 1): number[] {
  const out: number[] = [];
  if (step > 0) for (let i = start; i < stop; i += step) out.push(i);
  else for (let i = start; i > stop; i += step) out.push(i);
  return out;
}

function isContiguous(list: readonly number[]): boolean {
  for (let i = 1; i < list.length; i++) if (list[i] !== list[i - 1]! + 1) return false;
  return list.length > 0;
}

/**
 * out[i0, ..., ik] = x[lists[0][i0], ..., lists[k][ik]]: the outer product of per-dimension
 * coordinate lists. The result's shape is the lists' lengths.
 */
export function selectIndices(x: Value, lists: readonly (readonly number[])[]): Value {
  if (lists.length !== x.shape.length) throw new GraphError(`index lists for rank ${lists.length} on a value of rank ${x.shape.length}`);
  const shape = lists.map((l) => l.length);
  const out = makeValue(x.dtype, shape);
  const count = out.data.length;
  if (count === 0) return out;
  const rank = shape.length;
  if (rank === 0) {
    elements(out)[0] = elements(x)[0]!;
    return out;
  }
  const strides = stridesOf(x.shape);
  const offsets = lists.map((list, d) => list.map((i) => i * strides[d]!));
  // The innermost list is often a plain range: copy it as one run.
  const last = lists[rank - 1]!;
  const run = isContiguous(last) ? last.length : 1;
  const outer = rank - (run > 1 ? 1 : 0);
  const coords = new Array<number>(outer).fill(0);
  let base = 0;
  for (let d = 0; d < outer; d++) base += offsets[d]![0]!;
  const src = elements(x);
  const dst = elements(out);
  const runStart = run > 1 ? last[0]! : 0;
  for (let at = 0; at < count; at += run) {
    if (run > 1) copyRun(out, at, x, base + runStart, run);
    else dst[at] = src[base]!;
    for (let d = outer - 1; d >= 0; d--) {
      const o = offsets[d]!;
      base -= o[coords[d]!]!;
      coords[d]!++;
      if (coords[d]! < o.length) {
        base += o[coords[d]!]!;
        break;
      }
      coords[d] = 0;
      base += o[0]!;
    }
  }
  return out;
}

/** Normalizes a possibly negative axis into [0, rank). */
export function normalizeAxis(axis: number, rank: number, what: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!(a >= 0 && a < rank)) throw new GraphError(`${what}: axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Concatenates values of equal rank along `axis`; every other dimension must agree. */
export function concatValues(values: readonly Value[], axis: number, what: string): Value {
  const first = values[0];
  if (first === undefined) throw new GraphError(`${what}: nothing to concatenate`);
  const rank = first.shape.length;
  const a = normalizeAxis(axis, rank, what);
  const shape = first.shape.slice();
  shape[a] = 0;
  for (const v of values) {
    if (v.shape.length !== rank || v.shape.some((d, i) => i !== a && d !== first.shape[i])) {
      throw new GraphError(`${what}: shapes [${first.shape}] and [${v.shape}] do not concatenate on axis ${a}`);
    }
    if (v.dtype !== first.dtype) throw new GraphError(`${what}: inputs of dtypes ${first.dtype} and ${v.dtype}`);
    shape[a]! += v.shape[a]!;
  }
  const out = makeValue(first.dtype, shape);
  const outer = elementCount(shape.slice(0, a));
  const chunks = values.map((v) => elementCount(v.shape.slice(a)));
  let at = 0;
  for (let o = 0; o < outer; o++) {
    values.forEach((v, k) => {
      copyRun(out, at, v, o * chunks[k]!, chunks[k]!);
      at += chunks[k]!;
    });
  }
  return out;
}

/** PACK: stacks values of one shape along a new `axis` (in [-(rank+1), rank]). */
export function packValues(values: readonly Value[], axis: number, what: string): Value {
  const first = values[0];
  if (first === undefined) throw new GraphError(`${what}: nothing to pack`);
  const a = normalizeAxis(axis, first.shape.length + 1, what);
  for (const v of values) {
    if (v.shape.length !== first.shape.length || v.shape.some((d, i) => d !== first.shape[i])) {
      throw new GraphError(`${what}: shapes [${first.shape}] and [${v.shape}] cannot be packed`);
    }
  }
  const expanded = values.map((v) => ({ ...v, shape: [...v.shape.slice(0, a), 1, ...v.shape.slice(a)] }));
  return concatValues(expanded, a, what);
}

/** Splits `x` along `axis` into pieces of the given sizes (which sum to the axis' size). */
export function splitValue(x: Value, axis: number, sizes: readonly number[]): Value[] {
  let start = 0;
  return sizes.map((size) => {
    const lists = x.shape.map((d, i) => (i === axis ? range(start, start + size) : range(0, d)));
    start += size;
    return selectIndices(x, lists);
  });
}

/** UNPACK: the `num` slices of `x` along `axis`, with that axis removed. */
export function unpackValue(x: Value, axis: number): Value[] {
  const shape = x.shape.filter((_, i) => i !== axis);
  return splitValue(x, axis, new Array<number>(x.shape[axis]!).fill(1)).map((v) => ({ ...v, shape: shape.slice() }));
}

/** SPLIT: `num` equal parts of a dimension of `size`. */
export function equalSplit(size: number, num: number, what: string): number[] {
  if (size % num !== 0) throw new GraphError(`${what}: a dimension of ${size} does not split into ${num} equal parts`);
  return new Array<number>(num).fill(size / num);
}

/**
 * SPLIT_V's sizes, where one -1 takes what the others leave: null while the dimension's size
 * `total` is unknown (-1) and a -1 needs it; a GraphError when they cannot fit.
 */
export function splitVSizes(sizes: readonly number[], total: number, what: string): number[] | null {
  const unknown = sizes.filter((s) => s === -1).length;
  const known = sizes.reduce((n, s) => (s >= 0 ? n + s : n), 0);
  const fits = unknown <= 1 && sizes.every((s) => s >= -1) && (total < 0 || (unknown === 0 ? known === total : known <= total));
  if (!fits) throw new GraphError(`${what}: sizes [${sizes}] do not split a dimension of ${total}`);
  if (unknown === 0) return sizes.slice();
  return total < 0 ? null : sizes.map((s) => (s === -1 ? total - known : s));
}

/** SLICE: `size[i]` elements from `begin[i]` on each dimension; size -1 takes the rest. */
export function sliceBounds(shape: readonly number[], begin: readonly number[], size: readonly number[], what: string): number[][] {
  if (begin.length !== shape.length || size.length !== shape.length) {
    throw new GraphError(`${what}: begin and size need ${shape.length} entries, got ${begin.length} and ${size.length}`);
  }
  return shape.map((d, i) => {
    const b = begin[i]!;
    const s = size[i] === -1 ? d - b : size[i]!;
    if (b < 0 || s < 0 || b + s > d) throw new GraphError(`${what}: slice [${b}, ${b + s}) is out of range for dimension ${i} of size ${d}`);
    return range(b, b + s);
  });
}

export function sliceValue(x: Value, begin: readonly number[], size: readonly number[], what: string): Value {
  return selectIndices(x, sliceBounds(x.shape, begin, size, what));
}

/** TILE: each dimension repeated `multiples[i]` times. */
export function tileValue(x: Value, multiples: readonly number[], what: string): Value {
  if (multiples.length !== x.shape.length) throw new GraphError(`${what}: ${multiples.length} multiples for rank ${x.shape.length}`);
  const lists = x.shape.map((d, i) => {
    const m = multiples[i]!;
    if (m < 0) throw new GraphError(`${what}: negative multiple ${m}`);
    const one = range(0, d);
    return new Array<number[]>(m).fill(one).flat();
  });
  return selectIndices(x, lists);
}


/**
 * GATHER with TF's batch_dims: the first `batchDims` dimensions of params and indices are paired,
 * and within each batch, indices pick slices of params along `axis` (axis >= batchDims).
 */
export function gatherValue(params: Value, indices: Value, axis: number, batchDims: number, what: string): Value {
  const shape = gatherShape(params.shape, indices.shape, axis, batchDims);
  const out = makeValue(params.dtype, shape);
  const batch = elementCount(params.shape.slice(0, batchDims));
  const outer = elementCount(params.shape.slice(batchDims, axis));
  const axisSize = params.shape[axis]!;
  const inner = elementCount(params.shape.slice(axis + 1));
  const perBatch = elementCount(indices.shape.slice(batchDims));
  const idx = toNumbers(indices);
  let at = 0;
  for (let b = 0; b < batch; b++) {
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < perBatch; j++) {
        const i = idx[b * perBatch + j]!;
        if (!(i >= 0 && i < axisSize)) throw new GraphError(`${what}: index ${i} is out of range [0, ${axisSize})`);
        copyRun(out, at, params, ((b * outer + o) * axisSize + i) * inner, inner);
        at += inner;
      }
    }
  }
  return out;
}


/** GATHER_ND: each row of the last indices dimension addresses a slice of params. */
export function gatherNdValue(params: Value, indices: Value, what: string): Value {
  const depth = indices.shape[indices.shape.length - 1];
  if (depth === undefined || depth > params.shape.length) {
    throw new GraphError(`${what}: indices of shape [${indices.shape}] do not address params of rank ${params.shape.length}`);
  }
  const out = makeValue(params.dtype, gatherNdShape(params.shape, indices.shape));
  const strides = stridesOf(params.shape);
  const inner = elementCount(params.shape.slice(depth));
  const rows = elementCount(indices.shape.slice(0, -1));
  const idx = toNumbers(indices);
  for (let r = 0; r < rows; r++) {
    let from = 0;
    for (let k = 0; k < depth; k++) {
      const i = idx[r * depth + k]!;
      if (!(i >= 0 && i < params.shape[k]!)) throw new GraphError(`${what}: index ${i} is out of range [0, ${params.shape[k]}) on dimension ${k}`);
      from += i * strides[k]!;
    }
    copyRun(out, r * inner, params, from, inner);
  }
  return out;
}

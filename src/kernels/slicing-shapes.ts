/**
 * Output shapes of the joining and slicing ops, from input shapes that may be partly unknown
 * (-1 dimensions, null ranks) and index arguments that may not be constant (null): each function
 * returns what it can, -1 where a dimension depends on something unknown.
 */
import type { Shape } from '../ir/tensor.js';
import { normalizeAxis } from './slicing.js';

/** A dimension known in any of `dims`, else -1. */
function known(dims: readonly (number | undefined)[]): number {
  return dims.find((d) => d !== undefined && d >= 0) ?? -1;
}

/** CONCATENATION: the shapes agree except on `axis`, whose sizes add up. */
export function concatShape(shapes: readonly Shape[], axis: number, what: string): Shape {
  const ranked = shapes.find((s) => s !== null);
  if (ranked === undefined || ranked === null) return null;
  const a = normalizeAxis(axis, ranked.length, what);
  return ranked.map((_, i) =>
    i === a ? shapes.reduce((n, s) => (n < 0 || s === null || s[i]! < 0 ? -1 : n + s[i]!), 0) : known(shapes.map((s) => s?.[i])),
  );
}

/** PACK: the common shape with the count of values inserted at `axis`. */
export function packShape(shapes: readonly Shape[], axis: number, what: string): Shape {
  const ranked = shapes.find((s) => s !== null);
  if (ranked === undefined || ranked === null) return null;
  const a = normalizeAxis(axis, ranked.length + 1, what);
  const dims = ranked.map((_, i) => known(shapes.map((s) => s?.[i])));
  return [...dims.slice(0, a), shapes.length, ...dims.slice(a)];
}

/** SPLIT / SPLIT_V: one shape per piece; `axis` null when not constant, sizes null when unknown. */
export function splitShapes(shape: Shape, axis: number | null, sizes: readonly (number | null)[], what: string): Shape[] {
  if (shape === null) return sizes.map(() => null);
  const a = axis === null ? -1 : normalizeAxis(axis, shape.length, what);
  return sizes.map((size) => shape.map((d, i) => (a < 0 ? -1 : i === a ? (size ?? -1) : d)));
}

/** The size of the dimension `axis` names (-1 when either is unknown). */
export function axisSize(shape: Shape, axis: number | null, what: string): number {
  return shape === null || axis === null ? -1 : shape[normalizeAxis(axis, shape.length, what)]!;
}

/** SLICE: `size` where given, the rest of the dimension for -1; `rank` when the input's is unknown. */
export function sliceShape(shape: Shape, begin: readonly number[] | null, size: readonly number[] | null, rank: number | undefined): Shape {
  const r = shape?.length ?? size?.length ?? rank;
  if (r === undefined || r < 0) return null;
  return Array.from({ length: r }, (_, i) => {
    const s = size?.[i] ?? -2;
    if (s >= 0) return s;
    const d = shape?.[i] ?? -1;
    const b = begin?.[i];
    return s === -1 && b !== undefined && d >= 0 ? d - b : -1;
  });
}

/** TILE: each dimension times its multiple. */
export function tileShape(shape: Shape, multiples: readonly number[] | null): Shape {
  return shape === null ? null : shape.map((d, i) => (d >= 0 && multiples !== null ? d * multiples[i]! : -1));
}

/** GATHER: params[:axis] + indices[batchDims:] + params[axis+1:]. */
export function gatherShape(params: readonly number[], indices: readonly number[], axis: number, batchDims: number): number[] {
  return [...params.slice(0, axis), ...indices.slice(batchDims), ...params.slice(axis + 1)];
}

/** GATHER_ND: indices[:-1] + params[indices[-1]:]. */
export function gatherNdShape(params: readonly number[], indices: readonly number[]): number[] {
  const depth = indices[indices.length - 1] ?? 0;
  return [...indices.slice(0, -1), ...params.slice(depth)];
}

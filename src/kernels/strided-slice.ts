/**
 * STRIDED_SLICE with TensorFlow's full semantics (ValidateStridedSliceOp in
 * tensorflow/core/util/strided_slice_op.cc, which TFLite's kernel follows since version 6):
 *
 * - The sparse spec (begin/end/strides of length n, five bit masks) is first made dense: one entry
 *   per input dimension. The ellipsis bit expands to as many full dimensions as the input has
 *   beyond the other entries (an implicit ellipsis follows the last entry), new-axis bits add
 *   size-1 output dimensions without consuming an input dimension, shrink bits pick one index and
 *   drop the dimension. Ellipsis wins over new-axis, new-axis over everything else at one position.
 * - Each dense dimension then resolves begin/end: negative values count from the end, values are
 *   clamped to [0, size] going forward and [-1, size-1] going backward, and a begin/end mask bit
 *   selects the fullest range in the stride's direction. TFLite's `offset` option makes end
 *   relative to the resolved begin.
 *
 * The dense form is also what the legalization emits, so the runtime needs no ellipsis or new-axis
 * support (they become a full-range entry and a RESHAPE).
 */
import { GraphError } from '../util/errors.js';
import { range, selectIndices } from './slicing.js';
import type { Value } from './value.js';

export interface StridedSliceMasks {
  beginMask: number;
  endMask: number;
  ellipsisMask: number;
  newAxisMask: number;
  shrinkAxisMask: number;
}

/** One input dimension of the dense spec: `index` is the sparse entry it came from, or -1 for an ellipsis fill. */
export interface DenseDim {
  index: number;
  beginMasked: boolean;
  endMasked: boolean;
  shrink: boolean;
}

export interface DenseSpec {
  dims: DenseDim[];
  /** Output dimensions in order: the input dimension each comes from, or -1 for a new axis. */
  outputDims: number[];
}

const bit = (mask: number, i: number) => ((mask >>> i) & 1) === 1;

/** The dense spec for `entries` sparse entries on an input of rank `rank` (TF's BuildDenseSpec). */
export function denseSpec(masks: StridedSliceMasks, entries: number, rank: number, what: string): DenseSpec {
  let ellipsisAt = -1;
  for (let i = 0; i < entries; i++) {
    if (!bit(masks.ellipsisMask, i)) continue;
    if (ellipsisAt >= 0) throw new GraphError(`${what}: more than one ellipsis in ellipsis_mask ${masks.ellipsisMask}`);
    ellipsisAt = i;
  }
  let sparse = entries;
  if (ellipsisAt < 0) ellipsisAt = sparse++; // an implicit ellipsis after the last entry
  let newAfterEllipsis = 0;
  for (let i = ellipsisAt + 1; i < entries; i++) if (bit(masks.newAxisMask, i)) newAfterEllipsis++;

  const dims: DenseDim[] = [];
  const outputDims: number[] = [];
  for (let i = 0; i < sparse; i++) {
    if (i === ellipsisAt) {
      const next = Math.min(rank - (sparse - i) + 1 + newAfterEllipsis, rank);
      while (dims.length < next) {
        outputDims.push(dims.length);
        dims.push({ index: -1, beginMasked: true, endMasked: true, shrink: false });
      }
    } else if (bit(masks.newAxisMask, i)) {
      outputDims.push(-1);
    } else {
      if (dims.length >= rank) throw new GraphError(`${what}: slice entry ${i} indexes beyond the input's rank ${rank}`);
      const shrink = bit(masks.shrinkAxisMask, i);
      if (!shrink) outputDims.push(dims.length);
      dims.push({ index: i, beginMasked: bit(masks.beginMask, i), endMasked: bit(masks.endMask, i), shrink });
    }
  }
  return { dims, outputDims };
}

/** The coordinates one dense dimension keeps, and whether it is dropped from the output. */
export interface ResolvedDim {
  start: number;
  stride: number;
  length: number;
}

/** Resolves one dense dimension on an axis of `size` elements (TFLite StartForAxis / EndForAxis). */
export function resolveDim(
  dim: DenseDim,
  begin: number,
  end: number,
  stride: number,
  size: number,
  offset: boolean,
  what: string,
): ResolvedDim {
  if (stride === 0) throw new GraphError(`${what}: stride 0`);
  if (dim.shrink) {
    if (stride < 0) throw new GraphError(`${what}: a shrunk axis needs a positive stride`);
    const at = dim.beginMasked ? 0 : begin < 0 ? begin + size : begin;
    if (at < 0 || at >= size) throw new GraphError(`${what}: index ${begin} is out of range for a dimension of size ${size}`);
    return { start: at, stride: 1, length: 1 };
  }
  const forward = stride > 0;
  const lo = forward ? 0 : -1;
  const hi = forward ? size : size - 1;
  const clamp = (x: number) => {
    const fwd = x < 0 ? x + size : x;
    return fwd < lo ? lo : fwd > hi ? hi : fwd;
  };
  const start = dim.beginMasked ? (forward ? 0 : size - 1) : clamp(begin);
  const stop = dim.endMasked ? (forward ? size : -1) : clamp(offset ? end + start : end);
  const span = forward ? stop - start : start - stop;
  const step = Math.abs(stride);
  return { start, stride, length: span <= 0 ? 0 : Math.ceil(span / step) };
}

export interface StridedSliceArgs extends StridedSliceMasks {
  begin: readonly number[];
  end: readonly number[];
  strides: readonly number[];
  offset: boolean;
}

function checkLengths(args: StridedSliceArgs, what: string): void {
  const n = args.begin.length;
  if (args.end.length !== n || args.strides.length !== n) {
    throw new GraphError(`${what}: begin, end and strides have ${n}, ${args.end.length} and ${args.strides.length} entries`);
  }
}

/** Every dense dimension resolved on a fully known input shape. */
export function resolveAll(args: StridedSliceArgs, shape: readonly number[], what: string): { spec: DenseSpec; dims: ResolvedDim[] } {
  checkLengths(args, what);
  const spec = denseSpec(args, args.begin.length, shape.length, what);
  const dims = spec.dims.map((d, i) => {
    const full = d.index < 0;
    const begin = full ? 0 : args.begin[d.index]!;
    const end = full ? 0 : args.end[d.index]!;
    const stride = full ? 1 : args.strides[d.index]!;
    return resolveDim(d, begin, end, stride, shape[i]!, args.offset, what);
  });
  return { spec, dims };
}

/** Begin, end and strides where they are constant (null where they are computed at run time). */
export interface KnownBounds {
  begin: readonly number[] | null;
  end: readonly number[] | null;
  strides: readonly number[] | null;
  offset: boolean;
}

/**
 * The output shape, as far as it is known: a dimension needs its stride, and its begin and end
 * unless masked (so x[b:, ::2] with a computed b still knows its second dimension); -1 input
 * dimensions stay unknown. `entries` is the length of begin/end/strides.
 */
export function stridedSliceShape(masks: StridedSliceMasks, bounds: KnownBounds, entries: number, shape: readonly number[], what: string): number[] {
  const spec = denseSpec(masks, entries, shape.length, what);
  const sizes = spec.dims.map((d, i) => {
    const size = shape[i]!;
    if (d.index < 0) return size;
    const stride = bounds.strides?.[d.index];
    const begin = d.beginMasked ? 0 : bounds.begin?.[d.index];
    const end = d.endMasked || d.shrink ? 0 : bounds.end?.[d.index];
    if (size < 0 || stride === undefined || begin === undefined || end === undefined) return d.shrink ? 1 : -1;
    // Resolving also rejects a shrink index out of range.
    return resolveDim(d, begin, end, stride, size, bounds.offset, what).length;
  });
  return spec.outputDims.map((i) => (i < 0 ? 1 : sizes[i]!));
}

export function stridedSliceValue(x: Value, args: StridedSliceArgs, what: string): Value {
  const { spec, dims } = resolveAll(args, x.shape, what);
  const lists = dims.map((d) => range(d.start, d.start + d.length * d.stride, d.stride));
  const picked = selectIndices(x, lists);
  // Shrunk dimensions have one element and new axes are size 1: only the shape changes.
  return { ...picked, shape: spec.outputDims.map((i) => (i < 0 ? 1 : dims[i]!.length)) };
}

/** The equivalent slice without ellipsis or new axes, on every input dimension (what the legalization emits). */
export interface CanonicalSlice {
  begin: number[];
  end: number[];
  strides: number[];
  beginMask: number;
  endMask: number;
  shrinkAxisMask: number;
  /** The final output's dimensions, new axes included, as input dimensions or -1 for a new axis. */
  outputDims: number[];
}

export function canonicalSlice(args: StridedSliceArgs, rank: number, what: string): CanonicalSlice {
  checkLengths(args, what);
  const spec = denseSpec(args, args.begin.length, rank, what);
  const out: CanonicalSlice = { begin: [], end: [], strides: [], beginMask: 0, endMask: 0, shrinkAxisMask: 0, outputDims: spec.outputDims };
  spec.dims.forEach((d, i) => {
    const full = d.index < 0;
    out.begin.push(full ? 0 : args.begin[d.index]!);
    out.end.push(full ? 0 : args.end[d.index]!);
    out.strides.push(full ? 1 : args.strides[d.index]!);
    if (d.shrink) {
      // TF reads a shrunk entry's begin even under a begin mask, TFLite honours the mask: leaving
      // the mask out makes TFLite do what TF does.
      out.shrinkAxisMask |= 1 << i;
    } else {
      if (d.beginMasked) out.beginMask |= 1 << i;
      if (d.endMasked) out.endMask |= 1 << i;
    }
  });
  return out;
}

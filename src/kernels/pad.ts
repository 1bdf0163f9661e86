/**
 * PAD / PADV2 / MIRROR_PAD on any element type: elements are copied, never converted, so int64
 * (BigInt64Array) and bool (Uint8Array) work like floats. Paddings are [rank][before, after].
 */
import { MirrorPadMode } from '../../generated/tflite/mirror-pad-mode.js';
import { makeValue, stridesOf, type Value } from './value.js';

type Indexable = { [i: number]: number | bigint; length: number; fill(value: never): unknown };

function paddedShape(shape: readonly number[], paddings: readonly number[]): number[] {
  return shape.map((d, i) => d + paddings[2 * i]! + paddings[2 * i + 1]!);
}

/**
 * Walks the output; `source(axis, coord)` maps an output coordinate to the input coordinate on
 * that axis, or -1 for a padded position (which keeps the fill value).
 */
function gather(x: Value, paddings: readonly number[], fill: Value | null, source: (axis: number, coord: number) => number): Value {
  const shape = paddedShape(x.shape, paddings);
  const out = makeValue(x.dtype, shape);
  const dst = out.data as unknown as Indexable;
  const src = x.data as unknown as Indexable;
  if (fill !== null && fill.data.length > 0) dst.fill((fill.data as unknown as Indexable)[0] as never);
  const inStrides = stridesOf(x.shape);
  const rank = shape.length;
  // Per axis, the input offset each output coordinate contributes (-1: padding).
  const maps = shape.map((size, axis) => Int32Array.from({ length: size }, (_, i) => source(axis, i)));
  const coords = new Array<number>(rank).fill(0);
  for (let i = 0; i < dst.length; i++) {
    let at = 0;
    let inside = true;
    for (let d = 0; d < rank; d++) {
      const s = maps[d]![coords[d]!]!;
      if (s < 0) {
        inside = false;
        break;
      }
      at += s * inStrides[d]!;
    }
    if (inside) dst[i] = src[at]!;
    for (let d = rank - 1; d >= 0; d--) {
      if (++coords[d]! < shape[d]!) break;
      coords[d] = 0;
    }
  }
  return out;
}

/** PAD (fill 0) and PADV2 (fill `constant`, a one-element value of x's dtype). */
export function padConstant(x: Value, paddings: readonly number[], constant: Value | null): Value {
  for (const p of paddings) if (p < 0) throw new RangeError(`PAD: negative padding ${p}`);
  return gather(x, paddings, constant, (axis, i) => {
    const j = i - paddings[2 * axis]!;
    return j >= 0 && j < x.shape[axis]! ? j : -1;
  });
}

/**
 * MIRROR_PAD: REFLECT mirrors around the edge element (excluding it), SYMMETRIC including it, as
 * tensorflow/lite/kernels/mirror_pad.cc. TF limits paddings to size-1 (REFLECT) or size
 * (SYMMETRIC); within those, one reflection suffices.
 */
export function mirrorPad(x: Value, paddings: readonly number[], mode: MirrorPadMode): Value {
  const offset = mode === MirrorPadMode.REFLECT ? 1 : 0;
  x.shape.forEach((size, axis) => {
    const limit = size - offset;
    const [before, after] = [paddings[2 * axis]!, paddings[2 * axis + 1]!];
    if (before < 0 || after < 0 || before > limit || after > limit) {
      throw new RangeError(`MIRROR_PAD: paddings [${before}, ${after}] exceed ${limit} on axis ${axis} of size ${size}`);
    }
  });
  return gather(x, paddings, null, (axis, i) => {
    const size = x.shape[axis]!;
    const j = i - paddings[2 * axis]!;
    if (j < 0) return -j - 1 + offset;
    if (j >= size) return 2 * size - 1 - j - offset;
    return j;
  });
}

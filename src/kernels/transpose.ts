/**
 * Transpose of a dense value. Weight layouts are what the converter transposes most (a Keras
 * kernel [in, out] becomes TFLite's [out, in]; conv filters HWIO → OHWI), often hundreds of MB,
 * so the common case, a permutation that swaps two blocks of axes, runs as a cache-blocked 2-D
 * transpose over an integer view of the element bytes; anything else walks elements.
 */
import { makeValue, stridesOf, type Value } from './value.js';

type Lanes = Uint8Array | Uint16Array | Uint32Array | Float64Array;

const BLOCK = 32;

/** A same-sized integer view of the value's elements (bit-exact copies, NaN payloads included). */
function lanesOf(data: Value['data']): Lanes | null {
  const { buffer, byteOffset, byteLength } = data;
  switch (data.BYTES_PER_ELEMENT) {
    case 1:
      return new Uint8Array(buffer, byteOffset, byteLength);
    case 2:
      return byteOffset % 2 === 0 ? new Uint16Array(buffer, byteOffset, byteLength / 2) : null;
    case 4:
      return byteOffset % 4 === 0 ? new Uint32Array(buffer, byteOffset, byteLength / 4) : null;
    case 8:
      return byteOffset % 8 === 0 ? new Float64Array(buffer, byteOffset, byteLength / 8) : null;
    default:
      return null;
  }
}

/** rows × cols → cols × rows, in BLOCK × BLOCK tiles so both sides stay in cache. */
function transpose2d(src: Lanes, dst: Lanes, rows: number, cols: number): void {
  for (let r0 = 0; r0 < rows; r0 += BLOCK) {
    const r1 = Math.min(r0 + BLOCK, rows);
    for (let c0 = 0; c0 < cols; c0 += BLOCK) {
      const c1 = Math.min(c0 + BLOCK, cols);
      for (let r = r0; r < r1; r++) {
        const rowBase = r * cols;
        for (let c = c0; c < c1; c++) dst[c * rows + r] = src[rowBase + c]!;
      }
    }
  }
}

/**
 * When `perm` moves a leading block of axes behind the trailing block ([k..n-1, 0..k-1], e.g.
 * [1, 0] or HWIO → OHWI's [3, 0, 1, 2]), the transpose is a 2-D one: the split point k.
 */
function blockSwapSplit(perm: readonly number[]): number | null {
  const n = perm.length;
  const k = n - perm[0]!;
  if (perm[0] === 0) return null;
  for (let i = 0; i < n; i++) if (perm[i] !== (i + n - k) % n) return null;
  return k;
}

export function transposeValue(x: Value, perm: readonly number[]): Value {
  const shape = perm.map((p) => x.shape[p]!);
  const out = makeValue(x.dtype, shape);
  const k = blockSwapSplit(perm);
  const src = lanesOf(x.data);
  const dst = lanesOf(out.data);
  if (k !== null && src !== null && dst !== null && src.constructor === dst.constructor) {
    const rows = x.shape.slice(0, perm.length - k).reduce((a, b) => a * b, 1);
    transpose2d(src, dst, rows, x.data.length / Math.max(rows, 1));
    return out;
  }
  const inStrides = stridesOf(x.shape);
  const strides = perm.map((p) => inStrides[p]!);
  const coords = new Array<number>(shape.length).fill(0);
  const from = x.data as unknown as { [i: number]: number | bigint };
  const to = out.data as unknown as { [i: number]: number | bigint };
  let at = 0;
  for (let i = 0; i < out.data.length; i++) {
    to[i] = from[at]!;
    for (let d = shape.length - 1; d >= 0; d--) {
      coords[d]!++;
      at += strides[d]!;
      if (coords[d]! < shape[d]!) break;
      at -= strides[d]! * coords[d]!;
      coords[d] = 0;
    }
  }
  return out;
}

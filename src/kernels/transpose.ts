/**
 * Transpose of a dense value. Weight layouts are what the converter transposes most (a Keras
 * kernel [in, out] becomes TFLite's [out, in]; conv filters HWIO → OHWI), often hundreds of MB,
 * so the common case, a permutation that swaps two blocks of axes, runs as the cache-blocked 2-D
 * transpose of the element bytes in util/byte-transpose.ts; anything else walks elements.
 */
import { blockSwapSplit, TransposedBytes, type ElementSize } from '../util/byte-transpose.js';
import { makeValue, stridesOf, type Value } from './value.js';

export function transposeValue(x: Value, perm: readonly number[]): Value {
  const shape = perm.map((p) => x.shape[p]!);
  const out = makeValue(x.dtype, shape);
  const k = blockSwapSplit(perm);
  const rows = k === null ? 0 : x.shape.slice(0, perm.length - k).reduce((a, b) => a * b, 1);
  if (k !== null && rows > 0 && x.data.length > 0) {
    // The same blocked 2-D transpose of the element bytes that folded weights use
    // (util/byte-transpose.ts): bit-exact, NaN payloads included.
    const bytes = (v: Value) => new Uint8Array(v.data.buffer, v.data.byteOffset, v.data.byteLength);
    const size = x.data.BYTES_PER_ELEMENT as ElementSize;
    new TransposedBytes(bytes(x), rows, x.data.length / rows, size).produce(bytes(out), 0);
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

/**
 * NumPy/TF broadcasting for elementwise kernels: shapes align from the right, and a dimension of
 * 1 stretches to the other's size.
 */
import { GraphError } from '../util/errors.js';
import { fromNumbers, makeValue, stridesOf, toNumbers, type NumericArray, type Value } from './value.js';
import type { DType } from '../ir/dtype.js';

/** The broadcast result shape, or null when the shapes are incompatible. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] | null {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da === db || db === 1) out[i] = da;
    else if (da === 1) out[i] = db;
    else if (da < 0 || db < 0) out[i] = -1;
    else return null;
  }
  return out;
}

/** For each output element, the flat index into an input of `shape` broadcast to `outShape`. */
export function broadcastIndex(shape: readonly number[], outShape: readonly number[]): Int32Array {
  const count = outShape.reduce((n, d) => n * d, 1);
  const index = new Int32Array(count);
  const offset = outShape.length - shape.length;
  const inStrides = stridesOf(shape);
  const effective = outShape.map((_, i) => {
    const d = i - offset;
    return d < 0 || shape[d] === 1 ? 0 : inStrides[d]!;
  });
  const coords = new Array<number>(outShape.length).fill(0);
  let at = 0;
  for (let i = 0; i < count; i++) {
    index[i] = at;
    for (let d = outShape.length - 1; d >= 0; d--) {
      coords[d]!++;
      at += effective[d]!;
      if (coords[d]! < outShape[d]!) break;
      at -= effective[d]! * coords[d]!;
      coords[d] = 0;
    }
  }
  return index;
}

/** Applies `fn` elementwise with broadcasting; the result has dtype `outDtype`. */
export function binaryElementwise(
  a: Value,
  b: Value,
  outDtype: DType,
  fn: (x: number, y: number) => number,
): Value {
  const shape = broadcastShapes(a.shape, b.shape);
  if (shape === null) throw new GraphError(`shapes [${a.shape}] and [${b.shape}] do not broadcast`);
  if (isBig(a) || isBig(b) || isBigDtype(outDtype)) {
    // int64 (shape arithmetic): exact in doubles for the magnitudes shapes take.
    const wide = binaryElementwise(asFloat64(a), asFloat64(b), 'float64', fn);
    return fromNumbers(outDtype, shape, wide.data as Float64Array);
  }
  const out = makeValue(outDtype, shape);
  const x = a.data as NumericArray;
  const y = b.data as NumericArray;
  const o = out.data as NumericArray;
  const same = (s: readonly number[]) => s.length === shape.length && s.every((d, i) => d === shape[i]);
  if (same(a.shape) && same(b.shape)) {
    for (let i = 0; i < o.length; i++) o[i] = fn(x[i]!, y[i]!);
  } else {
    const ia = broadcastIndex(a.shape, shape);
    const ib = broadcastIndex(b.shape, shape);
    for (let i = 0; i < o.length; i++) o[i] = fn(x[ia[i]!]!, y[ib[i]!]!);
  }
  return out;
}

export function unaryElementwise(a: Value, outDtype: DType, fn: (x: number) => number): Value {
  if (isBig(a) || isBigDtype(outDtype)) {
    return fromNumbers(outDtype, a.shape.slice(), unaryElementwise(asFloat64(a), 'float64', fn).data as Float64Array);
  }
  const out = makeValue(outDtype, a.shape.slice());
  const x = a.data as NumericArray;
  const o = out.data as NumericArray;
  for (let i = 0; i < o.length; i++) o[i] = fn(x[i]!);
  return out;
}

function isBig(v: Value): boolean {
  return v.data instanceof BigInt64Array || v.data instanceof BigUint64Array;
}

function asFloat64(v: Value): Value {
  return isBig(v) ? { dtype: 'float64', shape: v.shape, data: Float64Array.from(toNumbers(v)) } : v;
}

function isBigDtype(dtype: DType): boolean {
  return dtype === 'int64' || dtype === 'uint64';
}

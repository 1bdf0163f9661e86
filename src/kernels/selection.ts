/**
 * Kernels that pick or combine values: PRELU, ADD_N, TOPK_V2. Each follows TFLite's kernel
 * (tensorflow/lite/kernels/activations.cc PreluEval, add_n.cc, topk_v2.cc) for every element type
 * it accepts, so folding a constant gives what the runtime would have computed.
 */
import { GraphError } from '../util/errors.js';
import { binaryElementwise } from './broadcast.js';
import { makeValue, type NumericArray, type Value } from './value.js';

/** Element access shared by every TypedArray, so int64 (BigInt) goes through the same code. */
type Indexable = { [i: number]: number | bigint; length: number };

const view = (v: Value) => v.data as unknown as Indexable;

// ---------------------------------------------------------------------------------------------
// PRELU

/**
 * x where x ≥ 0, else x·alpha, with alpha broadcast against x (TFLite's ApplyPrelu tests
 * `x >= 0`). The output array rounds each product to the element type, as the kernel does.
 */
export function preluValue(x: Value, alpha: Value): Value {
  return binaryElementwise(x, alpha, x.dtype, (v, a) => (v >= 0 ? v : v * a));
}

// ---------------------------------------------------------------------------------------------
// ADD_N

/**
 * The elementwise sum of same-shaped inputs, accumulated in input order in the element type
 * (reference_ops::AddN): float32 rounds after every addition, int32 wraps.
 */
export function addNValue(inputs: readonly Value[]): Value {
  const first = inputs[0];
  if (first === undefined) throw new GraphError('ADD_N needs at least one input');
  for (const v of inputs) {
    if (v.dtype !== first.dtype) throw new GraphError(`ADD_N inputs mix ${first.dtype} and ${v.dtype}`);
    if (v.shape.length !== first.shape.length || v.shape.some((d, i) => d !== first.shape[i])) {
      throw new GraphError(`ADD_N inputs have different shapes [${first.shape}] and [${v.shape}]`);
    }
  }
  const out = makeValue(first.dtype, first.shape.slice());
  if (out.data instanceof BigInt64Array || out.data instanceof BigUint64Array) {
    const o = out.data;
    o.set(first.data as typeof o);
    for (const v of inputs.slice(1)) {
      const d = v.data as typeof o;
      for (let i = 0; i < o.length; i++) o[i] = o[i]! + d[i]!; // the array wraps to 64 bits
    }
    return out;
  }
  const o = out.data as NumericArray;
  o.set(first.data as NumericArray);
  for (const v of inputs.slice(1)) {
    const d = v.data as NumericArray;
    // Storing into the typed array rounds (float32) or wraps (int32) after each addition.
    for (let i = 0; i < o.length; i++) o[i] = o[i]! + d[i]!;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// TOPK_V2

/** The output shape: the input's, with the last dimension k. */
export function topKShape(shape: readonly number[], k: number): number[] {
  if (shape.length === 0) throw new GraphError('TOPK_V2 needs an input of rank 1 or more');
  return [...shape.slice(0, -1), k];
}

/**
 * The k largest entries of every row (the last dimension), largest first; equal values keep
 * their index order (topk_v2.cc's compare_fun breaks ties towards the lower index). Returns the
 * values (input dtype) and their int32 indices within the row.
 */
export function topKValue(x: Value, k: number): [Value, Value] {
  const row = x.shape[x.shape.length - 1];
  if (row === undefined) throw new GraphError('TOPK_V2 needs an input of rank 1 or more');
  if (!Number.isInteger(k) || k < 0 || k > row) {
    throw new GraphError(`TOPK_V2 k = ${k} is outside [0, ${row}] (the input's last dimension)`);
  }
  const shape = topKShape(x.shape, k);
  const values = makeValue(x.dtype, shape);
  const indices = makeValue('int32', shape.slice());
  const src = view(x);
  const dst = view(values);
  const idx = indices.data as Int32Array;
  const rows = row === 0 ? 0 : src.length / row;
  const order = Array.from({ length: row }, (_, i) => i);
  for (let r = 0; r < rows; r++) {
    const base = r * row;
    for (let i = 0; i < row; i++) order[i] = i;
    // Array.prototype.sort is stable, so ties stay in index order.
    order.sort((a, b) => {
      const va = src[base + a]!;
      const vb = src[base + b]!;
      return va > vb ? -1 : va < vb ? 1 : 0;
    });
    for (let j = 0; j < k; j++) {
      idx[r * k + j] = order[j]!;
      dst[r * k + j] = src[base + order[j]!]!;
    }
  }
  return [values, indices];
}

/**
 * A concrete tensor value for the reference kernels: constant folding evaluates ops on these, and
 * the executor runs whole graphs on them. Data is a dense row-major TypedArray of `dtype`'s array
 * type (see DTYPES), or a list of byte strings for string tensors.
 */
import { DTYPES, type DType, type TypedArray } from '../ir/dtype.js';
import { elementCount } from '../ir/tensor.js';

export interface Value {
  dtype: DType;
  shape: number[];
  data: TypedArray;
}

export type NumericArray = Exclude<TypedArray, BigInt64Array | BigUint64Array>;

export function makeValue(dtype: DType, shape: number[], data?: TypedArray): Value {
  const info = DTYPES[dtype];
  if (info.array === null) throw new TypeError(`no dense values of dtype ${dtype}`);
  const count = elementCount(shape) * info.lanes;
  const array = data ?? new info.array(count);
  if (array.length !== count) throw new RangeError(`value of shape [${shape}] needs ${count} elements, got ${array.length}`);
  return { dtype, shape, data: array };
}

/** Element i as a JS number (int64 via Number(): exact up to 2^53, which indices and shapes are). */
export function toNumbers(value: Value): number[] {
  return Array.from(value.data as ArrayLike<number | bigint>, Number);
}

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

/** Writes numbers into a new array of `dtype` (int64 as BigInt, bool as 0/1). */
export function fromNumbers(dtype: DType, shape: number[], numbers: ArrayLike<number>): Value {
  const value = makeValue(dtype, shape);
  if (value.data instanceof BigInt64Array || value.data instanceof BigUint64Array) {
    for (let i = 0; i < numbers.length; i++) value.data[i] = BigInt(Math.trunc(numbers[i]!));
  } else {
    (value.data as NumericArray).set(numbers as ArrayLike<number>);
  }
  return value;
}

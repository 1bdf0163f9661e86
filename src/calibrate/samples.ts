/**
 * What a representative-dataset sample may be, turned into one Value per model input, checked
 * against the inputs' shapes and dtypes. A sample is, as with TFLite's Python
 * representative_dataset: a TypedArray, an ndarray or a nested number array (single-input models);
 * an array of those, one per input in input order; or an object keyed by input name.
 * The batch dimension may be given as 1 or left out.
 */
import { DTYPES, type DType, type TypedArray } from '../ir/dtype.js';
import { fromNumbers, type Value } from '../kernels/value.js';
import { DatasetError } from '../util/errors.js';
import { decodeImageSample, type ImageSample } from './images.js';

export interface InputSpec {
  name: string;
  dtype: DType;
  shape: number[];
}

/** ndarray's shape: data plus shape (and possibly strides/offset we do not support). */
interface NdArrayLike {
  data: ArrayLike<number>;
  shape: number[];
  stride?: number[];
  offset?: number;
}

function isTypedArray(x: unknown): x is TypedArray {
  return ArrayBuffer.isView(x) && !(x instanceof DataView);
}

function isNdArray(x: unknown): x is NdArrayLike {
  return typeof x === 'object' && x !== null && 'data' in x && 'shape' in x && Array.isArray((x as NdArrayLike).shape);
}

function isTensorLike(x: unknown): boolean {
  return isTypedArray(x) || isNdArray(x) || Array.isArray(x) || typeof x === 'number';
}

/** Flattens a nested number array, returning its shape; throws on ragged nesting. */
function flattenNested(x: unknown, where: string): { values: number[]; shape: number[] } {
  const shape: number[] = [];
  for (let level: unknown = x; Array.isArray(level); level = level[0]) shape.push(level.length);
  const values: number[] = [];
  const walk = (node: unknown, depth: number) => {
    if (depth === shape.length) {
      if (typeof node !== 'number') throw new DatasetError(`${where}: expected a number, found ${typeof node}`);
      values.push(node);
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) throw new DatasetError(`${where}: nested arrays are ragged`);
    for (const child of node) walk(child, depth + 1);
  };
  walk(x, 0);
  return { values, shape };
}

/** A sample's tensor for one input: values and the shape they were given with (null: flat). */
function tensorOf(x: unknown, where: string): { values: ArrayLike<number | bigint>; shape: number[] | null } {
  if (isTypedArray(x)) return { values: x as ArrayLike<number | bigint>, shape: null };
  if (isNdArray(x)) {
    if ((x.offset ?? 0) !== 0) throw new DatasetError(`${where}: ndarray views with an offset are not supported`);
    const count = x.shape.reduce((a, b) => a * b, 1);
    if (x.data.length !== count) throw new DatasetError(`${where}: ndarray data holds ${x.data.length} values for shape [${x.shape}] (strided views are not supported)`);
    return { values: x.data, shape: x.shape };
  }
  if (typeof x === 'number') return { values: [x], shape: [] };
  if (Array.isArray(x)) return flattenNested(x, where);
  throw new DatasetError(`${where}: expected a TypedArray, an ndarray or a nested number array, found ${describe(x)}`);
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'object';
  return typeof x;
}

/** Shapes match when equal, or equal after dropping a leading batch dimension of 1. */
function shapeFits(given: number[], expected: number[]): boolean {
  const same = (a: number[], b: number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
  return same(given, expected) || (expected[0] === 1 && same(given, expected.slice(1)));
}

function toValue(x: unknown, spec: InputSpec, index: number): Value {
  const where = `sample ${index}, input "${spec.name}"`;
  const { values, shape } = tensorOf(x, where);
  const count = spec.shape.reduce((a, b) => a * b, 1);
  if (shape !== null ? !shapeFits(shape, spec.shape) : values.length !== count) {
    const given = shape !== null ? `[${shape}]` : `${values.length} values`;
    throw new DatasetError(`${where}: shape ${given} does not match the input's [${spec.shape}]`);
  }
  const direct = values.length === count ? sameTypeCopy(values, spec) : null;
  if (direct !== null) {
    const bad = firstNonFinite(direct);
    if (bad >= 0) throw new DatasetError(`${where}: element ${bad} is ${direct[bad]}`);
    return { dtype: spec.dtype, shape: spec.shape.slice(), data: direct };
  }
  const numbers = Array.from(values, Number);
  const bad = numbers.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new DatasetError(`${where}: element ${bad} is ${numbers[bad]}`);
  if (DTYPES[spec.dtype].array === null) throw new DatasetError(`${where}: inputs of dtype ${spec.dtype} cannot be fed`);
  return fromNumbers(spec.dtype, spec.shape.slice(), numbers);
}

/** Dtypes whose samples may come as their own TypedArray, taken by a copy without conversion. */
const DIRECT_DTYPES: ReadonlySet<DType> = new Set(['float32', 'float64', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32']);

/**
 * A copy of `values` when they already are the input's array type (a Float32Array for a float32
 * input, ...): the usual sample, which then skips the element-by-element conversion through a JS
 * array (6.5 ms for a 224×224×3 image, a tenth of a MobileNetV2 forward pass, on the thread that
 * also hands samples out). Copied (~0.1 ms), not viewed: a sample is often a view into a whole
 * dataset (a .npy file's rows), and handing a view to a worker would clone its whole buffer.
 */
function sameTypeCopy(values: ArrayLike<number | bigint>, spec: InputSpec): TypedArray | null {
  const array = DTYPES[spec.dtype].array;
  if (!DIRECT_DTYPES.has(spec.dtype) || array === null || !(values instanceof array)) return null;
  return values.slice();
}

/** The index of the first NaN or infinity of a float array, -1 if none (integer arrays: -1). */
function firstNonFinite(data: TypedArray): number {
  if (!(data instanceof Float32Array || data instanceof Float64Array)) return -1;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v - v !== 0) return i;
  }
  return -1;
}

/** One Value per input, in input order. */
export function normalizeSample(sample: unknown, inputs: readonly InputSpec[], index: number): Value[] {
  if (inputs.length === 1 && isTensorLike(sample)) {
    // A one-element list holding a TypedArray/ndarray is the "one per input" form.
    const wrapped = Array.isArray(sample) && sample.length === 1 && (isTypedArray(sample[0]) || isNdArray(sample[0]));
    return [toValue(wrapped ? (sample as unknown[])[0] : sample, inputs[0]!, index)];
  }
  if (Array.isArray(sample)) {
    if (sample.length !== inputs.length) {
      throw new DatasetError(`sample ${index}: ${sample.length} tensors for ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')})`);
    }
    return inputs.map((spec, i) => toValue(sample[i], spec, index));
  }
  if (typeof sample === 'object' && sample !== null) {
    const record = sample as Record<string, unknown>;
    const unknown = Object.keys(record).filter((k) => !inputs.some((i) => i.name === k));
    if (unknown.length > 0) throw new DatasetError(`sample ${index}: no input named ${unknown.map((k) => `"${k}"`).join(', ')}`);
    return inputs.map((spec) => {
      if (!(spec.name in record)) throw new DatasetError(`sample ${index}: input "${spec.name}" is missing`);
      return toValue(record[spec.name], spec, index);
    });
  }
  throw new DatasetError(`sample ${index}: expected a tensor, an array of tensors or an object by input name, found ${describe(sample)}`);
}

/**
 * A sample given as a description instead of tensors: an image file to decode and preprocess
 * (images.ts). It is plain data, so calibrate() can hand it to a worker thread, which decodes it
 * there: decoding a photo (13 ms for 500×375, most of a second for a 12 MP JPEG in jpeg-js) then
 * runs on every core instead of on the one thread that reads the dataset.
 */
export interface DeferredSample {
  deferred: ImageSample;
  inputs: InputSpec[];
  /** Position in the dataset, for error messages. */
  index: number;
}

/** What calibrate() takes: one Value per input, or a sample still to be made (DeferredSample). */
export type CalibrationSample = Value[] | DeferredSample;

/** The sample's tensors, one per input, making a deferred sample's on this thread. */
export function sampleValues(sample: CalibrationSample): Value[] {
  if (Array.isArray(sample)) return sample;
  return normalizeSample(decodeImageSample(sample.deferred), sample.inputs, sample.index);
}

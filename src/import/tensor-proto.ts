/**
 * TF's TensorProto and DataType into IR values. Every encoding TF writes is handled: raw
 * little-endian `tensor_content` (kept as a view of the file bytes) and the typed repeated
 * fields, with TF's rule that fewer values than elements repeat the last one (a splat).
 */
import { byteSize, DTYPES, type DType, type TypedArray } from '../ir/dtype.js';
import type { TfTensorValue } from '../ir/op.js';
import { bytesOf, elementCount, type Shape } from '../ir/tensor.js';
import { ModelFormatError, UnsupportedError } from '../util/errors.js';
import { int64ToNumber, type Int64, type TensorProtoMsg, type TensorShapeMsg } from './tf-protos.js';

/** TF DataType enum values (tensorflow/core/framework/types.proto) we map; refs are +100. */
const TF_DTYPES: Readonly<Record<number, DType>> = {
  1: 'float32',
  2: 'float64',
  3: 'int32',
  4: 'uint8',
  5: 'int16',
  6: 'int8',
  7: 'string',
  8: 'complex64',
  9: 'int64',
  10: 'bool',
  11: 'int8', // qint8
  12: 'uint8', // quint8
  13: 'int32', // qint32
  14: 'bfloat16',
  15: 'int16', // qint16
  16: 'uint16', // quint16
  17: 'uint16',
  18: 'complex128',
  19: 'float16',
  20: 'resource',
  21: 'variant',
  22: 'uint32',
  23: 'uint64',
  24: 'float8e5m2',
  25: 'float8e4m3fn',
  29: 'int4',
  30: 'uint4',
};

const TF_DTYPE_NAMES: Readonly<Record<number, string>> = { 0: 'DT_INVALID', 26: 'DT_FLOAT8_E4M3FNUZ' };

/** Constants bigger than this are refused rather than allocated (a corrupt shape, usually). */
const MAX_CONST_BYTES = 2 ** 31;

export function dtypeFromTf(code: number): DType {
  const dtype = TF_DTYPES[code >= 100 ? code - 100 : code];
  if (dtype === undefined) {
    throw new UnsupportedError(`unsupported TensorFlow dtype ${TF_DTYPE_NAMES[code] ?? `enum ${code}`}`);
  }
  return dtype;
}

/** A TensorShapeProto as a Shape. An absent message is the default instance: a scalar. */
export function shapeFromTf(msg: TensorShapeMsg | null | undefined): Shape {
  if (!msg) return [];
  if (msg.unknown_rank) return null;
  return (msg.dim ?? []).map((d) => {
    const size = int64ToNumber(d.size);
    return size < 0 ? -1 : size;
  });
}

export function decodeTensorProto(msg: TensorProtoMsg): TfTensorValue {
  const dtype = dtypeFromTf(msg.dtype ?? 0);
  const shape = shapeFromTf(msg.tensor_shape);
  if (shape === null || shape.some((d) => d < 0)) {
    throw new ModelFormatError('constant tensor has an unknown shape');
  }
  const count = elementCount(shape);
  if (dtype === 'string') {
    if (count > MAX_CONST_BYTES / 8) throw new UnsupportedError(`string constant of ${count} elements is too large`);
    const values = msg.string_val ?? [];
    return { dtype, shape, data: { kind: 'strings', values: splat(values, count, new Uint8Array(0)) } };
  }
  const size = byteSize(dtype, count);
  if (size > MAX_CONST_BYTES) throw new UnsupportedError(`constant of ${size} bytes is too large`);
  const content = msg.tensor_content;
  if (content !== undefined && content.length > 0) {
    if (content.length !== size) {
      throw new ModelFormatError(
        `constant ${dtype} [${shape.join(',')}] has ${content.length} bytes of tensor_content, expected ${size}`,
      );
    }
    return { dtype, shape, data: { kind: 'bytes', bytes: content } };
  }
  return { dtype, shape, data: { kind: 'bytes', bytes: bytesOf(fromRepeated(msg, dtype, count)) } };
}

/** Repeat the last value to fill `count` (TF's compact form for splats); zeros when empty. */
function splat<T>(values: readonly T[], count: number, zero: T): T[] {
  if (values.length > count) throw new ModelFormatError(`constant has ${values.length} values for ${count} elements`);
  const out = values.slice();
  const last = values.length > 0 ? values[values.length - 1]! : zero;
  while (out.length < count) out.push(last);
  return out;
}

function fillFrom(target: TypedArray, values: ArrayLike<number> | undefined, convert = (v: number) => v): TypedArray {
  const n = values?.length ?? 0;
  if (n > target.length) throw new ModelFormatError(`constant has ${n} values for ${target.length} elements`);
  const numeric = target as Exclude<TypedArray, BigInt64Array | BigUint64Array>;
  for (let i = 0; i < n; i++) numeric[i] = convert(values![i]!);
  if (n > 0 && n < target.length) numeric.fill(convert(values![n - 1]!), n);
  return target;
}

function fillBig(target: BigInt64Array | BigUint64Array, values: Int64[] | undefined): TypedArray {
  const n = values?.length ?? 0;
  if (n > target.length) throw new ModelFormatError(`constant has ${n} values for ${target.length} elements`);
  const big = (v: Int64) => BigInt(typeof v === 'number' ? v : v.toString());
  for (let i = 0; i < n; i++) target[i] = big(values![i]!);
  if (n > 0 && n < target.length) target.fill(big(values![n - 1]!), n);
  return target;
}

function fromRepeated(msg: TensorProtoMsg, dtype: DType, count: number): TypedArray {
  const info = DTYPES[dtype];
  if (info.array === null) throw new UnsupportedError(`constants of dtype ${dtype} are not supported`);
  switch (dtype) {
    case 'float32':
      return fillFrom(new Float32Array(count), msg.float_val);
    case 'float64':
      return fillFrom(new Float64Array(count), msg.double_val);
    case 'float16':
    case 'bfloat16':
      // half_val holds the 16-bit patterns of both half and bfloat16 values.
      return fillFrom(new Uint16Array(count), msg.half_val);
    case 'int8':
      return fillFrom(new Int8Array(count), msg.int_val);
    case 'int16':
      return fillFrom(new Int16Array(count), msg.int_val);
    case 'int32':
      return fillFrom(new Int32Array(count), msg.int_val);
    case 'uint8':
      return fillFrom(new Uint8Array(count), msg.int_val);
    case 'uint16':
      return fillFrom(new Uint16Array(count), msg.int_val);
    case 'uint32':
      return fillFrom(new Uint32Array(count), msg.uint32_val);
    case 'bool':
      return fillFrom(new Uint8Array(count), msg.bool_val?.map(Number));
    case 'int64':
      return fillBig(new BigInt64Array(count), msg.int64_val);
    case 'uint64':
      return fillBig(new BigUint64Array(count), msg.uint64_val);
    case 'complex64':
      return fillPairs(new Float32Array(2 * count), msg.scomplex_val);
    case 'complex128':
      return fillPairs(new Float64Array(2 * count), msg.dcomplex_val);
    default:
      throw new UnsupportedError(`constants of dtype ${dtype} in repeated-field form are not supported`);
  }
}

/** Complex values come as (re, im) pairs; the splat rule repeats the last pair. */
function fillPairs(target: Float32Array | Float64Array, values: number[] | undefined): TypedArray {
  const n = values?.length ?? 0;
  if (n % 2 !== 0 || n > target.length) throw new ModelFormatError(`complex constant has ${n} values`);
  target.set(values ?? []);
  for (let i = n; n > 0 && i < target.length; i += 2) {
    target[i] = values![n - 2]!;
    target[i + 1] = values![n - 1]!;
  }
  return target;
}

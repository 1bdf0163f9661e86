/**
 * How the IR's element types map onto the TFLite schema's TensorType, both ways. Shared by the
 * .tflite reader and writer so the two can never disagree.
 */
import { TensorType } from '../../generated/tflite/tensor-type.js';
import type { DType } from '../ir/dtype.js';

const TO_DTYPE: Readonly<Record<TensorType, DType>> = {
  [TensorType.FLOAT32]: 'float32',
  [TensorType.FLOAT16]: 'float16',
  [TensorType.INT32]: 'int32',
  [TensorType.UINT8]: 'uint8',
  [TensorType.INT64]: 'int64',
  [TensorType.STRING]: 'string',
  [TensorType.BOOL]: 'bool',
  [TensorType.INT16]: 'int16',
  [TensorType.COMPLEX64]: 'complex64',
  [TensorType.INT8]: 'int8',
  [TensorType.FLOAT64]: 'float64',
  [TensorType.COMPLEX128]: 'complex128',
  [TensorType.UINT64]: 'uint64',
  [TensorType.RESOURCE]: 'resource',
  [TensorType.VARIANT]: 'variant',
  [TensorType.UINT32]: 'uint32',
  [TensorType.UINT16]: 'uint16',
  [TensorType.INT4]: 'int4',
  [TensorType.BFLOAT16]: 'bfloat16',
  [TensorType.INT2]: 'int2',
  [TensorType.UINT4]: 'uint4',
  [TensorType.FLOAT8_E4M3FN]: 'float8e4m3fn',
  [TensorType.FLOAT8_E5M2]: 'float8e5m2',
};

const FROM_DTYPE = new Map<DType, TensorType>(
  Object.entries(TO_DTYPE).map(([code, dtype]) => [dtype, Number(code) as TensorType]),
);

/** The IR dtype of a TFLite TensorType, or undefined for a code this schema does not know. */
export function dtypeFromTflite(type: number): DType | undefined {
  return TO_DTYPE[type as TensorType];
}

export function tfliteTypeOf(dtype: DType): TensorType {
  const type = FROM_DTYPE.get(dtype);
  if (type === undefined) throw new TypeError(`dtype ${dtype} has no TFLite tensor type`);
  return type;
}

/** TFLite's BuiltinOperator codes above this live only in builtin_code (the byte field caps). */
export const PLACEHOLDER_FOR_GREATER_OP_CODES = 127;

/** The file_identifier of every .tflite flatbuffer, at bytes 4..8. */
export const TFLITE_FILE_IDENTIFIER = 'TFL3';

/**
 * TFLite's packed string-tensor buffer: int32 count N, N+1 int32 byte offsets from the buffer
 * start, then the string bytes.
 */
export function decodeTfliteStrings(buffer: Uint8Array): Uint8Array[] {
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const count = view.getInt32(0, true);
  if (count < 0 || 4 * (count + 2) > buffer.length) throw new RangeError(`string tensor claims ${count} strings`);
  const values: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const start = view.getInt32(4 + 4 * i, true);
    const end = view.getInt32(8 + 4 * i, true);
    if (start < 0 || end < start || end > buffer.length) throw new RangeError(`string ${i} has bad offsets`);
    values.push(buffer.subarray(start, end));
  }
  return values;
}

export function encodeTfliteStrings(values: readonly Uint8Array[]): Uint8Array {
  const header = 4 * (values.length + 2);
  const total = header + values.reduce((n, v) => n + v.length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setInt32(0, values.length, true);
  let at = header;
  values.forEach((v, i) => {
    view.setInt32(4 + 4 * i, at, true);
    out.set(v, at);
    at += v.length;
  });
  view.setInt32(4 + 4 * values.length, at, true);
  return out;
}

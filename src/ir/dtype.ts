/**
 * Element types of the IR. One table maps each to its storage size and the TypedArray that views
 * its raw little-endian bytes; the importers and the exporter translate TF's DataType and
 * TFLite's TensorType to and from these names.
 */

export type DType =
  | 'float16'
  | 'bfloat16'
  | 'float32'
  | 'float64'
  | 'float8e4m3fn'
  | 'float8e5m2'
  | 'int2'
  | 'int4'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint4'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'bool'
  | 'string'
  | 'complex64'
  | 'complex128'
  | 'resource'
  | 'variant';

export type TypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array;

type TypedArrayConstructor = {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): TypedArray;
  new (length: number): TypedArray;
  readonly BYTES_PER_ELEMENT: number;
};

interface DTypeInfo {
  /** Bytes per element in a dense buffer; 0 for types with no fixed size (string, resource). */
  readonly bytes: number;
  /**
   * The array that views the raw bytes. float16 and bfloat16 are held as their bit patterns in a
   * Uint16Array; complex as interleaved (re, im); int4/uint4 packed two per byte (int2 four) in a Uint8Array; float8 as bit patterns.
   */
  readonly array: TypedArrayConstructor | null;
  /** Values per element in `array` (2 for complex). */
  readonly lanes: number;
}

export const DTYPES: Readonly<Record<DType, DTypeInfo>> = {
  float16: { bytes: 2, array: Uint16Array, lanes: 1 },
  bfloat16: { bytes: 2, array: Uint16Array, lanes: 1 },
  float32: { bytes: 4, array: Float32Array, lanes: 1 },
  float64: { bytes: 8, array: Float64Array, lanes: 1 },
  float8e4m3fn: { bytes: 1, array: Uint8Array, lanes: 1 },
  float8e5m2: { bytes: 1, array: Uint8Array, lanes: 1 },
  int2: { bytes: 0.25, array: Uint8Array, lanes: 1 },
  int4: { bytes: 0.5, array: Uint8Array, lanes: 1 },
  uint4: { bytes: 0.5, array: Uint8Array, lanes: 1 },
  int8: { bytes: 1, array: Int8Array, lanes: 1 },
  int16: { bytes: 2, array: Int16Array, lanes: 1 },
  int32: { bytes: 4, array: Int32Array, lanes: 1 },
  int64: { bytes: 8, array: BigInt64Array, lanes: 1 },
  uint8: { bytes: 1, array: Uint8Array, lanes: 1 },
  uint16: { bytes: 2, array: Uint16Array, lanes: 1 },
  uint32: { bytes: 4, array: Uint32Array, lanes: 1 },
  uint64: { bytes: 8, array: BigUint64Array, lanes: 1 },
  bool: { bytes: 1, array: Uint8Array, lanes: 1 },
  string: { bytes: 0, array: null, lanes: 1 },
  complex64: { bytes: 8, array: Float32Array, lanes: 2 },
  complex128: { bytes: 16, array: Float64Array, lanes: 2 },
  resource: { bytes: 0, array: null, lanes: 1 },
  variant: { bytes: 0, array: null, lanes: 1 },
};

export function isFloat(dtype: DType): boolean {
  return (
    dtype === 'float16' ||
    dtype === 'bfloat16' ||
    dtype === 'float32' ||
    dtype === 'float64' ||
    dtype === 'float8e4m3fn' ||
    dtype === 'float8e5m2'
  );
}

/** Bytes a dense tensor of `count` elements takes (sub-byte types round up to whole bytes). */
export function byteSize(dtype: DType, count: number): number {
  return Math.ceil(DTYPES[dtype].bytes * count);
}

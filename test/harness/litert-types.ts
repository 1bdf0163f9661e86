// Data types of the LiteRT.js harness API (re-exported by litert.ts), and the typed-array class
// that holds each tensor dtype.

/** Typed arrays the harness accepts and returns; `bool` tensors use Uint8Array (0 / 1). */
export type TypedArray = Float32Array | Int32Array | Uint8Array | Int8Array | Int16Array | BigInt64Array;

/** Tensor data types LiteRT.js reports once patched (see patches/README.md). */
export type TfliteDType = 'float32' | 'int32' | 'uint8' | 'int8' | 'int16' | 'int64' | 'bool';

export interface TfliteQuantization {
  scale: number[];
  zeroPoint: number[];
  /** Only meaningful when scale has more than one element (per-channel). */
  quantizedDimension: number;
}

export interface TfliteTensorInfo {
  /** Signature name (SignatureDef key) when the model has a signature, else the tensor name. */
  name: string;
  dtype: TfliteDType;
  /** Static shape as LiteRT.js sees it (after pinning -1 dimensions, see `pinnedDynamicDims`). */
  shape: number[];
  /** From the flatbuffer, when the tensor has quantization parameters. */
  quantization?: TfliteQuantization;
}

export interface TfliteModelDescription {
  /** In the order runTflite expects positional inputs. */
  inputs: TfliteTensorInfo[];
  /** In the order runTflite returns outputs. */
  outputs: TfliteTensorInfo[];
  /** True when some shape_signature had -1 entries that the harness replaced by `shape`. */
  pinnedDynamicDims: boolean;
}

export interface TfliteOutput extends TfliteTensorInfo {
  data: TypedArray;
}

export interface TfliteRunResult {
  inputs: TfliteTensorInfo[];
  /** In the order of LiteRT.js's default signature (signature 0, else subgraph 0's outputs). */
  outputs: TfliteOutput[];
  pinnedDynamicDims: boolean;
  /** Every line the runtime printed during this call (INFO lines included), for debugging. */
  log: string[];
}

export const ARRAY_TYPES: Record<TfliteDType, { new (length: number): TypedArray; name: string }> = {
  float32: Float32Array,
  int32: Int32Array,
  uint8: Uint8Array,
  int8: Int8Array,
  int16: Int16Array,
  int64: BigInt64Array,
  bool: Uint8Array,
};

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

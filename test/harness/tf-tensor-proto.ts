// Decoding a Const's TensorProto into the bytes of a tfjs weight. tfjs has only float32 / int32 /
// bool / string / complex64 tensors, so (as tfjs's own converter does) DT_DOUBLE, DT_HALF and
// DT_BFLOAT16 become float32 and every integer type becomes int32.

import { dtypeName, type PbTensor } from './tf-graphdef-proto.js';

// TensorFlow DataType enum numbers (tensorflow/core/framework/types.proto).
const DT = {
  FLOAT: 1, DOUBLE: 2, INT32: 3, UINT8: 4, INT16: 5, INT8: 6, STRING: 7, COMPLEX64: 8, INT64: 9,
  BOOL: 10, QINT8: 11, QUINT8: 12, QINT32: 13, BFLOAT16: 14, QINT16: 15, QUINT16: 16, UINT16: 17,
  COMPLEX128: 18, HALF: 19, RESOURCE: 20, VARIANT: 21, UINT32: 22, UINT64: 23,
} as const;

type NumericWeight = { dtype: 'float32' | 'int32' | 'bool'; shape: number[]; bytes: Uint8Array };
type StringWeight = { dtype: 'string'; shape: number[]; bytes: Uint8Array };

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;

/** tfjs int32 cannot hold int64; TF graphs use INT64_MAX/MIN as "to the end" sentinels (e.g. in
 *  StridedSlice), so saturating keeps their meaning where wrapping would not. */
function saturateInt32(v: bigint): number {
  if (v > BigInt(INT32_MAX)) return INT32_MAX;
  if (v < BigInt(INT32_MIN)) return INT32_MIN;
  return Number(v);
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** IEEE binary16 bit pattern → number. */
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** bfloat16 bit pattern → number (it is the upper half of a float32). */
function bfloat16ToNumber(h: number): number {
  u32Scratch[0] = (h & 0xffff) << 16;
  return f32Scratch[0] as number;
}

/** The tfjs dtype a TF dtype becomes, or undefined when tfjs has no counterpart. */
function tfjsDtypeOf(dtype: number): 'float32' | 'int32' | 'bool' | 'string' | undefined {
  switch (dtype) {
    case DT.FLOAT: case DT.DOUBLE: case DT.HALF: case DT.BFLOAT16:
      return 'float32';
    case DT.INT32: case DT.INT64: case DT.INT16: case DT.INT8: case DT.UINT8: case DT.UINT16:
    case DT.UINT32: case DT.UINT64: case DT.QINT8: case DT.QUINT8: case DT.QINT16: case DT.QUINT16:
    case DT.QINT32:
      // Quantized types keep their raw integer values; tfjs has no op that consumes them, but
      // loading the graph must not fail just because such a Const exists.
      return 'int32';
    case DT.BOOL:
      return 'bool';
    case DT.STRING:
      return 'string';
    default:
      return undefined;
  }
}

/** Byte size of one element inside tensor_content. */
function contentElementSize(dtype: number): number {
  switch (dtype) {
    case DT.DOUBLE: case DT.INT64: case DT.UINT64:
      return 8;
    case DT.FLOAT: case DT.INT32: case DT.UINT32: case DT.QINT32:
      return 4;
    case DT.HALF: case DT.BFLOAT16: case DT.INT16: case DT.UINT16: case DT.QINT16: case DT.QUINT16:
      return 2;
    case DT.INT8: case DT.UINT8: case DT.QINT8: case DT.QUINT8: case DT.BOOL:
      return 1;
    default:
      throw new Error(`tensor_content of ${dtypeName(dtype)} is not supported`);
  }
}

/** Read element i of little-endian tensor_content as a number. */
function readContent(view: DataView, dtype: number, i: number): number {
  switch (dtype) {
    case DT.FLOAT: return view.getFloat32(i * 4, true);
    case DT.DOUBLE: return view.getFloat64(i * 8, true);
    case DT.HALF: return halfToNumber(view.getUint16(i * 2, true));
    case DT.BFLOAT16: return bfloat16ToNumber(view.getUint16(i * 2, true));
    case DT.INT32: case DT.QINT32: return view.getInt32(i * 4, true);
    case DT.UINT32: return saturateInt32(BigInt(view.getUint32(i * 4, true)));
    case DT.INT64: return saturateInt32(view.getBigInt64(i * 8, true));
    case DT.UINT64: return saturateInt32(view.getBigUint64(i * 8, true));
    case DT.INT16: case DT.QINT16: return view.getInt16(i * 2, true);
    case DT.UINT16: case DT.QUINT16: return view.getUint16(i * 2, true);
    case DT.INT8: case DT.QINT8: return view.getInt8(i);
    case DT.UINT8: case DT.QUINT8: return view.getUint8(i);
    case DT.BOOL: return view.getUint8(i) !== 0 ? 1 : 0;
    default: throw new Error(`tensor_content of ${dtypeName(dtype)} is not supported`);
  }
}

/** The typed *_val field a dtype uses, converted to numbers. */
function repeatedValues(t: PbTensor, dtype: number): number[] {
  switch (dtype) {
    case DT.FLOAT: return t.float_val ?? [];
    case DT.DOUBLE: return t.double_val ?? [];
    // half_val holds the 16-bit patterns in int32 slots (both for half and bfloat16).
    case DT.HALF: return (t.half_val ?? []).map(halfToNumber);
    case DT.BFLOAT16: return (t.half_val ?? []).map(bfloat16ToNumber);
    case DT.INT32: case DT.INT16: case DT.INT8: case DT.UINT8: case DT.UINT16:
    case DT.QINT8: case DT.QUINT8: case DT.QINT16: case DT.QUINT16: case DT.QINT32:
      return t.int_val ?? [];
    case DT.INT64: return (t.int64_val ?? []).map((s) => saturateInt32(BigInt(s)));
    case DT.UINT32: return (t.uint32_val ?? []).map((v) => saturateInt32(BigInt(v)));
    case DT.UINT64: return (t.uint64_val ?? []).map((s) => saturateInt32(BigInt(s)));
    case DT.BOOL: return (t.bool_val ?? []).map((b) => (b ? 1 : 0));
    default: throw new Error(`values of ${dtypeName(dtype)} are not supported`);
  }
}

/**
 * Decode a Const's TensorProto into the bytes of a tfjs weight, or undefined if tfjs has no dtype
 * for it. Encodings (tensor.proto): `tensor_content` holds all elements as raw little-endian bytes;
 * otherwise the typed `*_val` field holds them, and if it holds fewer than the element count the
 * last value repeats (a single value fills the tensor); no values at all means zeros.
 */
export function decodeTensorForTfjs(t: PbTensor, nodeName: string): NumericWeight | StringWeight | undefined {
  const dtype = t.dtype ?? 0;
  const tfjsDtype = tfjsDtypeOf(dtype);
  if (tfjsDtype === undefined) return undefined;
  if (t.tensor_shape?.unknown_rank === true) throw new Error(`Const '${nodeName}' has unknown rank`);
  const shape = (t.tensor_shape?.dim ?? []).map((d) => Number(d.size ?? '0'));
  const count = shape.reduce((a, b) => a * b, 1);

  if (tfjsDtype === 'string') {
    // tfjs string weights: per element a uint32 little-endian byte length, then the bytes.
    const values = t.string_val ?? [];
    if (values.length > count) throw new Error(`Const '${nodeName}': ${values.length} strings for ${count} elements`);
    const parts: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const s = values[Math.min(i, values.length - 1)] ?? new Uint8Array(0);
      const len = new Uint8Array(4);
      new DataView(len.buffer).setUint32(0, s.byteLength, true);
      parts.push(len, s);
    }
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    let o = 0;
    for (const p of parts) {
      bytes.set(p, o);
      o += p.byteLength;
    }
    return { dtype: 'string', shape, bytes };
  }

  const values = new Float64Array(count);
  const content = t.tensor_content;
  if (content !== undefined && content.byteLength > 0) {
    const size = contentElementSize(dtype);
    if (content.byteLength !== count * size) {
      throw new Error(
        `Const '${nodeName}': tensor_content has ${content.byteLength} bytes, expected ${count} × ${size}`,
      );
    }
    const view = new DataView(content.buffer, content.byteOffset, content.byteLength);
    for (let i = 0; i < count; i++) values[i] = readContent(view, dtype, i);
  } else {
    const vals = repeatedValues(t, dtype);
    if (vals.length > count) throw new Error(`Const '${nodeName}': ${vals.length} values for ${count} elements`);
    if (vals.length > 0) {
      for (let i = 0; i < count; i++) values[i] = vals[Math.min(i, vals.length - 1)] as number;
    } // else: zeros, already there
  }

  // Little-endian typed arrays match tfjs's decodeWeights (it views the bytes with host order,
  // and every platform Node runs on is little-endian).
  switch (tfjsDtype) {
    case 'float32':
      return { dtype: 'float32', shape, bytes: new Uint8Array(Float32Array.from(values).buffer) };
    case 'int32':
      return { dtype: 'int32', shape, bytes: new Uint8Array(Int32Array.from(values).buffer) };
    case 'bool':
      return { dtype: 'bool', shape, bytes: Uint8Array.from(values) };
  }
}

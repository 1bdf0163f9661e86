/**
 * NumPy .npy files (format versions 1, 2 and 3): the header is a Python dict literal giving
 * `descr` (dtype, e.g. '<f4'), `fortran_order` and `shape`; the data follows, 64-byte aligned in
 * files NumPy writes. Little-endian and single-byte dtypes are read; Fortran order and
 * big-endian data are refused rather than silently transposed or byte-swapped.
 */
import type { DType } from '../ir/dtype.js';
import { makeValue, type Value } from '../kernels/value.js';
import { ModelFormatError } from '../util/errors.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const DESCR_TO_DTYPE: Record<string, DType> = {
  f4: 'float32',
  f8: 'float64',
  f2: 'float16',
  i1: 'int8',
  i2: 'int16',
  i4: 'int32',
  i8: 'int64',
  u1: 'uint8',
  u2: 'uint16',
  u4: 'uint32',
  u8: 'uint64',
  b1: 'bool',
};

const DTYPE_TO_DESCR = Object.fromEntries(Object.entries(DESCR_TO_DTYPE).map(([d, t]) => [t, d])) as Record<DType, string>;

export function readNpy(bytes: Uint8Array): Value {
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) throw new ModelFormatError('not a .npy file (no \\x93NUMPY magic)');
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  if (headerStart + headerLength > bytes.length) throw new ModelFormatError('.npy header runs past the end of the file');
  const header = new TextDecoder().decode(bytes.subarray(headerStart, headerStart + headerLength));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new ModelFormatError(`.npy header is not a NumPy array header: ${header.trim()}`);
  }
  if (fortran === 'True') throw new ModelFormatError('.npy array is in Fortran order; save it with numpy.ascontiguousarray first');
  const order = descr[0];
  const code = descr.slice(1);
  const dtype = DESCR_TO_DTYPE[code];
  if (dtype === undefined) throw new ModelFormatError(`.npy dtype ${descr} is not supported`);
  if (order === '>' && !code.endsWith('1')) throw new ModelFormatError(`.npy data is big-endian (${descr}); convert it to little-endian`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new ModelFormatError(`.npy shape (${shapeText}) is not valid`);
  const dataStart = headerStart + headerLength;
  const value = makeValue(dtype, shape);
  const needed = value.data.byteLength;
  if (dataStart + needed > bytes.length) {
    throw new ModelFormatError(`.npy data is truncated: ${bytes.length - dataStart} bytes for ${needed}`);
  }
  new Uint8Array(value.data.buffer).set(bytes.subarray(dataStart, dataStart + needed));
  return value;
}

/** A version 1.0 .npy file holding the value, as numpy.save writes it. */
export function writeNpy(value: Value): Uint8Array {
  const descr = DTYPE_TO_DESCR[value.dtype];
  if (descr === undefined) throw new TypeError(`no .npy dtype for ${value.dtype}`);
  const order = descr.endsWith('1') ? '|' : '<';
  const shape = value.shape.length === 1 ? `(${value.shape[0]},)` : `(${value.shape.join(', ')})`;
  let header = `{'descr': '${order}${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  // Pad with spaces so the data starts 64-byte aligned; the header ends with a newline.
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + value.data.byteLength);
  out.set(MAGIC);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(value.data.buffer, value.data.byteOffset, value.data.byteLength), 10 + header.length);
  return out;
}

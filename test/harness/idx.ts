// Reader for IDX tensor files (the format of MNIST and of uTensor's test fixtures).
//
// Layout: magic `00 00 <type> <ndim>`, then `ndim` big-endian uint32 dimensions, then the
// elements in big-endian byte order, row-major. uTensor's fixtures only use float32 (0x0D) and
// int32 (0x0C); the other type codes are part of the format and cost one line each.

export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxTensor {
  dtype: 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
  shape: number[];
  data: IdxData;
}

/** Element type code → dtype name, element size and a big-endian DataView reader. */
const IDX_TYPES: Record<number, { dtype: IdxTensor['dtype']; size: number }> = {
  0x08: { dtype: 'uint8', size: 1 },
  0x09: { dtype: 'int8', size: 1 },
  0x0b: { dtype: 'int16', size: 2 },
  0x0c: { dtype: 'int32', size: 4 },
  0x0d: { dtype: 'float32', size: 4 },
  0x0e: { dtype: 'float64', size: 8 },
};

export function readIdx(bytes: Uint8Array): IdxTensor {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    throw new Error('not an IDX file: magic must start with two zero bytes');
  }
  const typeCode = bytes[2] as number;
  const ndim = bytes[3] as number;
  const type = IDX_TYPES[typeCode];
  if (type === undefined) throw new Error(`IDX: unknown element type 0x${typeCode.toString(16)}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerSize = 4 + 4 * ndim;
  if (bytes.length < headerSize) throw new Error('IDX: truncated header');
  const shape: number[] = [];
  for (let d = 0; d < ndim; d++) shape.push(view.getUint32(4 + 4 * d, false));
  const count = shape.reduce((a, b) => a * b, 1);
  const expected = headerSize + count * type.size;
  if (bytes.length !== expected) {
    throw new Error(`IDX: expected ${expected} bytes for shape [${shape.join(',')}], got ${bytes.length}`);
  }
  // DataView reads with littleEndian=false, so the result is right on any host byte order.
  const at = (i: number): number => headerSize + i * type.size;
  let data: IdxData;
  switch (type.dtype) {
    case 'uint8':
      data = bytes.slice(headerSize, expected);
      break;
    case 'int8':
      data = Int8Array.from({ length: count }, (_, i) => view.getInt8(at(i)));
      break;
    case 'int16':
      data = Int16Array.from({ length: count }, (_, i) => view.getInt16(at(i), false));
      break;
    case 'int32':
      data = Int32Array.from({ length: count }, (_, i) => view.getInt32(at(i), false));
      break;
    case 'float32':
      data = Float32Array.from({ length: count }, (_, i) => view.getFloat32(at(i), false));
      break;
    case 'float64':
      data = Float64Array.from({ length: count }, (_, i) => view.getFloat64(at(i), false));
      break;
  }
  return { dtype: type.dtype, shape, data };
}

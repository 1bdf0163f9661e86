/**
 * Representative data from a NumPy .npy file whose first axis indexes samples (what
 * `numpy.save('calibration-data.npy', np.stack(samples))` writes), with a hook to transform each
 * row: cast, rescale, reorder. Without a transform, `--representative_dataset FILE.npy` (or a
 * .npz keyed by input name) needs no script.
 *
 *   CALIBRATION_DATA  the .npy file (default: calibration-data.npy)
 *
 * The file is read whole; for data larger than memory see binary-records.mjs.
 */
import { readFileSync } from 'node:fs';

const FILE = process.env.CALIBRATION_DATA ?? 'calibration-data.npy';

/** Little-endian (or byte) dtypes → a reader of element i of a DataView. */
const READERS = {
  f4: (view, i) => view.getFloat32(i * 4, true),
  f8: (view, i) => view.getFloat64(i * 8, true),
  i1: (view, i) => view.getInt8(i),
  u1: (view, i) => view.getUint8(i),
  i2: (view, i) => view.getInt16(i * 2, true),
  u2: (view, i) => view.getUint16(i * 2, true),
  i4: (view, i) => view.getInt32(i * 4, true),
  u4: (view, i) => view.getUint32(i * 4, true),
};

/** The header is a Python dict literal: {'descr': '<f4', 'fortran_order': False, 'shape': (n, ...), }. */
function parseNpy(bytes) {
  if (bytes[0] !== 0x93 || String.fromCharCode(...bytes.subarray(1, 6)) !== 'NUMPY') throw new Error(`${FILE}: not a .npy file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerStart = bytes[6] === 1 ? 10 : 12;
  const headerLength = bytes[6] === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const header = new TextDecoder().decode(bytes.subarray(headerStart, headerStart + headerLength));
  const descr = /'descr'\s*:\s*'([<|=]?)(\w+)'/.exec(header);
  const read = descr && READERS[descr[2]];
  if (!read) throw new Error(`${FILE}: unsupported dtype in ${header.trim()} (little-endian numbers only)`);
  if (/'fortran_order'\s*:\s*True/.test(header)) throw new Error(`${FILE}: Fortran order; save np.ascontiguousarray(x)`);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)[1].split(',').filter((s) => s.trim() !== '').map(Number);
  const dataStart = headerStart + headerLength;
  const data = new DataView(bytes.buffer, bytes.byteOffset + dataStart, bytes.byteLength - dataStart);
  const itemBytes = Number(descr[2].slice(1));
  if (data.byteLength < shape.reduce((a, b) => a * b, 1) * itemBytes) throw new Error(`${FILE}: truncated (${data.byteLength} data bytes for shape (${shape}))`);
  return { shape, read, data };
}

/** One row as the model input gets it. Edit this: e.g. uint8 pixels → [0, 1] with `value / 255`. */
function transform(value) {
  return value;
}

export default function* representativeDataset() {
  const { shape, read, data } = parseNpy(readFileSync(FILE));
  const [count, ...rowShape] = shape;
  const rowSize = rowShape.reduce((a, b) => a * b, 1);
  for (let row = 0; row < count; row++) {
    const sample = new Float32Array(rowSize);
    for (let i = 0; i < rowSize; i++) sample[i] = transform(read(data, row * rowSize + i));
    yield sample;
  }
}

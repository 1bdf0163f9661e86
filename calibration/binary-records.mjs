/**
 * Representative data streamed from a large binary file of raw little-endian float32 records,
 * one record per sample, without loading the file whole: each record is read with its own
 * readSync when the calibrator asks for the next sample, so memory stays at one record however
 * large the file is. (Such files come from e.g. `np.asarray(x, '<f4').tofile(f)` per sample.)
 *
 *   CALIBRATION_DATA          the file (default: calibration-data.f32)
 *   CALIBRATION_SHAPE         one record's input shapes, as --input_shapes writes them
 *                             (default: 1,224,224,3); several inputs (1,128:1,128) are stored
 *                             one after the other in each record, in input order
 *   CALIBRATION_HEADER_BYTES  bytes to skip at the start of the file (default: 0)
 *
 * --calibration_samples N stops after N records; the rest of the file is never read.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const FILE = process.env.CALIBRATION_DATA ?? 'calibration-data.f32';
const SHAPES = (process.env.CALIBRATION_SHAPE ?? '1,224,224,3').split(':').map((s) => s.split(',').map(Number));
const HEADER_BYTES = Number(process.env.CALIBRATION_HEADER_BYTES ?? 0);

const SIZES = SHAPES.map((shape) => shape.reduce((a, b) => a * b, 1));
const RECORD_BYTES = SIZES.reduce((a, b) => a + b, 0) * 4;

export default function* representativeDataset() {
  const fd = openSync(FILE, 'r');
  // finally closes the file also when the calibrator stops early (generator.return()).
  try {
    const payload = fstatSync(fd).size - HEADER_BYTES;
    if (payload % RECORD_BYTES !== 0) {
      throw new Error(`${FILE}: ${payload} bytes after the header is not a whole number of ${RECORD_BYTES}-byte records (shape ${SHAPES.join(':')})`);
    }
    const record = new Uint8Array(RECORD_BYTES);
    const view = new DataView(record.buffer);
    for (let position = HEADER_BYTES; position < HEADER_BYTES + payload; position += RECORD_BYTES) {
      const read = readSync(fd, record, 0, RECORD_BYTES, position);
      if (read !== RECORD_BYTES) throw new Error(`${FILE}: short read at byte ${position}`);
      let offset = 0;
      const tensors = SIZES.map((size) => {
        const values = new Float32Array(size);
        for (let i = 0; i < size; i++, offset += 4) values[i] = view.getFloat32(offset, true);
        return values;
      });
      yield tensors.length === 1 ? tensors[0] : tensors;
    }
  } finally {
    closeSync(fd);
  }
}

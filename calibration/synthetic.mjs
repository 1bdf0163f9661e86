/**
 * Synthetic representative data for smoke tests: checks that calibration and quantization run
 * end to end before real data is at hand. The ranges it measures are those of the synthetic
 * values, not of real inputs, so never ship a model calibrated on it.
 *
 *   CALIBRATION_SHAPE    input shapes, one per input, as --input_shapes writes them
 *                        (default: 1,224,224,3; two inputs: 1,128:1,128)
 *   CALIBRATION_SAMPLES  how many samples (default: 16)
 *   CALIBRATION_RANGE    the values' range (default: 0,1)
 *
 * The values are deterministic (a seeded generator), so two runs give the same ranges.
 */
const SHAPES = (process.env.CALIBRATION_SHAPE ?? '1,224,224,3').split(':').map((s) => s.split(',').map(Number));
const SAMPLES = Number(process.env.CALIBRATION_SAMPLES ?? 16);
const [LOW, HIGH] = (process.env.CALIBRATION_RANGE ?? '0,1').split(',').map(Number);

/** mulberry32: a small seeded generator of uniform numbers in [0, 1). */
function seededRandom(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Half smooth gradient, half noise: a little closer to natural data than white noise alone.
 * For integer inputs (token ids), yield Math.floor(LOW + (HIGH - LOW) * random()) instead.
 */
function syntheticTensor(shape, random) {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  const phase = random() * Math.PI * 2;
  for (let i = 0; i < size; i++) {
    const smooth = 0.5 + 0.5 * Math.sin(phase + (i / size) * Math.PI * 4);
    values[i] = LOW + (HIGH - LOW) * (0.5 * smooth + 0.5 * random());
  }
  return values;
}

export default function* representativeDataset() {
  const random = seededRandom(42);
  for (let i = 0; i < SAMPLES; i++) {
    const tensors = SHAPES.map((shape) => syntheticTensor(shape, random));
    // One input: the tensor itself; several: a list in input order.
    yield tensors.length === 1 ? tensors[0] : tensors;
  }
}

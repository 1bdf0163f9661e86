/**
 * Quantization arithmetic shared by the post-training modes, following TensorFlow's MLIR quantizer
 * (tensorflow/compiler/mlir/quantization/common/quantization_lib/quantization_utils.cc and the
 * quant dialect's FakeQuantSupport / UniformSupport) so our parameters and integers match the
 * official converter's bit for bit:
 *
 * - weights are symmetric and narrow-range: int8 in [-127, 127], zero point 0, and a channel's
 *   scale is max|w| / 127, computed in double precision (ExtractMinMaxFromAttr with
 *   `symmetric`, then getNudgedScaleAndZeroPoint's (rmax - rmin) / (qmax - qmin));
 * - a channel whose range is at most 1e-6 wide (all zeros, or nearly) is widened to
 *   [-5e-7, 5e-7] first (ExpandVerySmallRange), so its scale is 1e-6 / 254 rather than 0 or 1;
 * - values are quantized against the double-precision scale, rounded half away from zero
 *   (std::round) and clamped (UniformQuantizedValueConverter); the file stores the scale as
 *   float32, as every TFLite tensor does.
 */

/** kNearZeroTolerance: ranges narrower than this are widened before a scale is derived. */
const NEAR_ZERO_TOLERANCE = 1.0e-6;

/** Narrow-range signed 8 bits: TFLite's weight range, so that -q is always representable. */
export const INT8_WEIGHT_MAX = 127;

/** std::round: halves go away from zero (Math.round sends -2.5 to -2). */
export function roundHalfAwayFromZero(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/**
 * The largest |w| of each channel along `axis` (axis null: one value for the whole tensor).
 * Shape is row-major; a channel is every element whose index along `axis` is that channel.
 */
export function absMaxPerChannel(values: ArrayLike<number>, shape: readonly number[], axis: number | null): number[] {
  if (axis === null) {
    let m = 0;
    for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]!));
    return [m];
  }
  const channels = shape[axis]!;
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const maxes = new Array<number>(channels).fill(0);
  for (let i = 0; i < values.length; i++) {
    const c = Math.floor(i / inner) % channels;
    const a = Math.abs(values[i]!);
    if (a > maxes[c]!) maxes[c] = a;
  }
  return maxes;
}

/**
 * The scale (in double precision) of a symmetric range [-absMax, absMax] over [-qmax, qmax].
 * (2·m) / (2·qmax) is m / qmax exactly; written as upstream computes it to make that evident.
 */
export function symmetricScale(absMax: number, qmax: number = INT8_WEIGHT_MAX): number {
  const half = 2 * absMax > NEAR_ZERO_TOLERANCE ? absMax : Math.max(absMax, NEAR_ZERO_TOLERANCE / 2);
  return (half - -half) / (qmax - -qmax);
}

export interface SymmetricQuantized {
  values: Int8Array;
  /** Per channel (one entry when per-tensor), as float32 — what the file and the runtime use. */
  scale: number[];
}

/**
 * Symmetric narrow-range int8 quantization of float weights, per channel along `axis` or per
 * tensor (axis null).
 */
export function quantizeSymmetricInt8(values: ArrayLike<number>, shape: readonly number[], axis: number | null): SymmetricQuantized {
  const scales = absMaxPerChannel(values, shape, axis).map((m) => symmetricScale(m));
  const channels = scales.length;
  const inner = axis === null ? values.length : shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const out = new Int8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const scale = scales[Math.floor(i / inner) % channels]!;
    const q = roundHalfAwayFromZero(values[i]! / scale);
    out[i] = Math.min(INT8_WEIGHT_MAX, Math.max(-INT8_WEIGHT_MAX, q));
  }
  return { values: out, scale: scales.map((s) => Math.fround(s)) };
}

/**
 * The int16 forms of LOGISTIC, TANH and SOFTMAX (16x8 quantization), as TFLite's builtin
 * kernels run them:
 * - LOGISTIC / TANH: reference_integer_ops::Logistic / Tanh on int16, which interpolate a
 *   256-entry table of sigmoid(i/24) in unsigned Q0.16 (tanh(x) = 2·sigmoid(2x) − 1), after
 *   rescaling the input to steps of 1/(3·4096) (activations.cc SigmoidPrepare / TanhPrepare).
 *   TFLite takes those reference kernels whenever the input scale is not the power of two the
 *   table expects directly (input_multiplier > 0), which is every scale our quantizer writes
 *   (a power-of-two scale, 2^-12 or for TANH also 2^-11, runs optimized_ops' gemmlowp form in
 *   TFLite instead; we run the reference's table form for it too);
 * - SOFTMAX int16 → int16: reference_ops::SoftmaxInt16, with the exp and 1/(1+x) lookup tables
 *   SoftmaxPrepare builds (gen_lut, 513 entries with linear interpolation between them).
 * Both inputs and outputs are symmetric (zero point 0), outputs at scale 1/32768.
 *
 * Everything derived from the parameters (multipliers, tables) is built once per parameter set
 * and cached: the kernels run many times per model in `run` and the quantization debugger.
 */
import { UnsupportedError } from '../util/errors.js';
import { multiplyByQuantizedMultiplier, quantizeMultiplier } from './fixed-point.js';
import { makeValue, type Value } from './value.js';

/**
 * sigmoid_table_uint16 of TFLite's kernels/internal/common.h: sigmoid(i/24) in Q0.16 for
 * i = 0..255 (65535 for the last). The spec's constant table; the values are not exactly
 * round(65536·sigmoid(i/24)) for every i, so they are data here rather than computed.
 */
// prettier-ignore
const SIGMOID_TABLE = Uint16Array.of(
  32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149, 40794, 41432, 42064, 42688,
  43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369, 47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409,
  51865, 52311, 52745, 53169, 53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433,
  57724, 58007, 58280, 58544, 58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370, 60565, 60753, 60935, 61110,
  61279, 61441, 61599, 61750, 61896, 62036, 62172, 62302, 62428, 62549, 62666, 62778, 62886, 62990, 63090, 63186,
  63279, 63368, 63454, 63536, 63615, 63691, 63765, 63835, 63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308,
  64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786, 64816, 64845, 64873, 64900,
  64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079, 65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208,
  65221, 65234, 65246, 65258, 65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360, 65367,
  65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425, 65429, 65433, 65438, 65442, 65445, 65449,
  65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474, 65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491,
  65493, 65495, 65497, 65498, 65500, 65501, 65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513,
  65514, 65515, 65516, 65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522, 65523, 65523, 65524, 65524,
  65525, 65525, 65526, 65526, 65526, 65527, 65527, 65528, 65528, 65528, 65529, 65529, 65529, 65529, 65530, 65530,
  65530, 65530, 65531, 65531, 65531, 65531, 65531, 65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533,
  65533, 65533, 65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65535,
);

/** The input rescaling of int16 LOGISTIC / TANH: x · multiplier, rounded right shift. */
export interface Int16ActivationRescale {
  multiplier: number;
  leftShift: number;
}

/** CheckedLog2: log2 of the scale when it is within 1e-3 of an integer. */
function checkedLog2(x: number): number | null {
  const log = Math.log2(x);
  const rounded = Math.round(log);
  return Math.abs(log - rounded) < 1e-3 ? rounded : null;
}

/**
 * SigmoidPrepare / TanhPrepare for int16 input: a power-of-two scale the table takes directly
 * (input_left_shift 0, or 0/1 for tanh) keeps multiplier 3 << shift; any other scale becomes
 * (int)(scale · 3 · 4096 · 2^k) with k the doublings that bring it above 32767/2, shift k.
 */
export function int16ActivationRescale(inputScale: number, isTanh: boolean): Int16ActivationRescale {
  const log2 = checkedLog2(inputScale);
  if (log2 !== null) {
    const shift = 12 + log2;
    if (shift === 0 || (isTanh && shift === 1)) return { multiplier: 3 << shift, leftShift: 0 };
  }
  let multiplier = inputScale * 4096 * 3;
  let leftShift = 0;
  while (multiplier <= 32767 / 2 && leftShift <= 30) {
    leftShift++;
    multiplier *= 2;
  }
  return { multiplier: Math.trunc(multiplier), leftShift };
}

/**
 * The sigmoid table read at |input| (both int16 Logistic and Tanh): entry abs >> bits,
 * interpolated linearly by the low `bits` bits, in units of 2^-bits of an entry; `saturated`
 * past the table's last step.
 */
function sigmoidTableLerp(abs: number, bits: number, saturated: number): number {
  const uh = abs >>> bits;
  if (uh >= 255) return saturated;
  const ua = SIGMOID_TABLE[uh]!;
  return ua * (1 << bits) + (abs & ((1 << bits) - 1)) * (SIGMOID_TABLE[uh + 1]! - ua);
}

/** reference_integer_ops::Logistic on int16 (output 1/32768, zero point 0). */
export function logisticInt16(x: Value, r: Int16ActivationRescale): Value {
  const src = x.data as Int16Array;
  const out = makeValue('int16', x.shape.slice());
  const dst = out.data as Int16Array;
  const { multiplier, leftShift } = r;
  const round = leftShift > 0 ? 1 << (leftShift - 1) : 0;
  for (let i = 0; i < src.length; i++) {
    const input = (src[i]! * multiplier + round) >> leftShift;
    const abs = input < 0 ? -input : input;
    // Steps of 1/(4·128) per table entry: the input is in 1/(3·4096), the table in 1/24.
    let result = sigmoidTableLerp(abs, 9, 0x7fff << 10);
    result = input >= 0 ? result + 512 : (1 << 25) - result + 511;
    dst[i] = result >>> 10;
  }
  return out;
}

/** reference_integer_ops::Tanh on int16 (output 1/32768, zero point 0). */
export function tanhInt16(x: Value, r: Int16ActivationRescale): Value {
  const src = x.data as Int16Array;
  const out = makeValue('int16', x.shape.slice());
  const dst = out.data as Int16Array;
  const { multiplier, leftShift } = r;
  const round = leftShift > 0 ? 1 << (leftShift - 1) : 0;
  for (let i = 0; i < src.length; i++) {
    const input = (src[i]! * multiplier + round) >> leftShift;
    const abs = input < 0 ? -input : input;
    let result = sigmoidTableLerp(abs, 8, 0xffff << 8);
    result = input >= 0 ? result - (1 << 23) + (1 << 7) : -result + (1 << 23) + (1 << 7) - 1;
    dst[i] = result >> 8;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// SOFTMAX int16.

/** std::round / TfLiteRound: halves away from zero. */
function roundAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/**
 * gen_lut<double, int16_t, int16_t> (common.h) with output range [−1, 1]: 512 samples of `fn`
 * over [min, max] in Q0.15, each biased by half the error linear interpolation makes at the
 * step's midpoint, plus fn(max) as the 513th entry (only used for the last slope).
 */
export function int16Lut(fn: (x: number) => number, min: number, max: number): Int16Array {
  const steps = 512;
  const step = (max - min) / steps;
  const halfStep = step / 2;
  const scale = 65536 / 2;
  const lut = new Int16Array(steps + 1);
  const clampQ15 = (v: number) => Math.min(Math.max(v, -32768), 32767);
  for (let i = 0; i < steps; i++) {
    const val = fn(min + i * step);
    const valMidpoint = fn(min + i * step + halfStep);
    const valNext = fn(min + (i + 1) * step);
    const sample = roundAway(val * scale);
    const midpointInterp = roundAway((valNext * scale + roundAway(val * scale)) / 2);
    const midpoint = roundAway(valMidpoint * scale);
    const bias = roundAway((midpointInterp - midpoint) / 2);
    lut[i] = clampQ15(sample - bias);
  }
  lut[steps] = clampQ15(roundAway(fn(max) * scale));
  return lut;
}

/**
 * lut_lookup_with_interpolation for int16 tables: the top 9 bits of the input pick an entry,
 * the low 7 interpolate towards the next (int16 arithmetic, as in the reference).
 */
export function int16LutLookup(value: number, lut: Int16Array): number {
  const index = 256 + (value >> 7);
  const offset = value & 0x7f;
  const base = lut[index]!;
  const slope = ((lut[index + 1]! - base) << 16) >> 16;
  return (((base + ((slope * offset + 64) >> 7)) << 16) >> 16);
}

let expLut: Int16Array | null = null;
let reciprocalLut: Int16Array | null = null;

/** SoftmaxPrepare's tables: exp over [−10, 0] and 1/(1+x) over [0, 1]; the same for every op. */
function softmaxLuts(): { exp: Int16Array; reciprocal: Int16Array } {
  expLut ??= int16Lut(Math.exp, -10, 0);
  reciprocalLut ??= int16Lut((x) => 1 / (1 + x), 0, 1);
  return { exp: expLut, reciprocal: reciprocalLut };
}

/**
 * SoftmaxPrepare for int16: beta · scale rescaled so that [−65535, 0] covers [−10, 0]. The
 * product of the two float fields is a float32 in C++; the division is in double.
 */
export function softmaxInt16Multiplier(inputScale: number, beta: number): { multiplier: number; shift: number } {
  return quantizeMultiplier(Math.fround(Math.fround(inputScale) * Math.fround(beta)) / (10 / 65535));
}

/** CountLeadingZeros of a non-negative int32. */
const clz = Math.clz32;

/** reference_ops::SoftmaxInt16 over the last axis (output 1/32768, zero point 0). */
export function softmaxInt16(x: Value, m: { multiplier: number; shift: number }): Value {
  if (x.shape.length < 1 || x.shape.length > 4) throw new UnsupportedError(`int16 SOFTMAX takes 1-D to 4-D input, not ${x.shape.length}-D`);
  const { exp, reciprocal } = softmaxLuts();
  const src = x.data as Int16Array;
  const out = makeValue('int16', x.shape.slice());
  const dst = out.data as Int16Array;
  const depth = x.shape[x.shape.length - 1]!;
  const outer = depth === 0 ? 0 : src.length / depth;
  for (let i = 0; i < outer; i++) {
    const base = i * depth;
    let max = -32768;
    for (let c = 0; c < depth; c++) if (src[base + c]! > max) max = src[base + c]!;
    // The exps are kept in the output buffer (Q0.15), as the reference does.
    let sum = 0;
    for (let c = 0; c < depth; c++) {
      const scaled = multiplyByQuantizedMultiplier(src[base + c]! - max, m.multiplier, m.shift) + 32767;
      const e = int16LutLookup(scaled < -32768 ? -32768 : scaled > 32767 ? 32767 : scaled, exp);
      dst[base + c] = e;
      sum = (sum + dst[base + c]!) | 0;
    }
    const headroomPlusOne = clz(sum);
    // (sum << (headroom − 1)) + 2^13 >> 14 in int64: sum << (h − 1) < 2^31, so doubles are exact.
    const shiftedSum = Math.floor((sum * 2 ** (headroomPlusOne - 1) + (1 << 13)) / 16384);
    const symShiftedSum = shiftedSum - ((1 << 15) + (1 << 16));
    const reciprocalQ15 = int16LutLookup(symShiftedSum < -32768 ? -32768 : symShiftedSum > 32767 ? 32767 : symShiftedSum, reciprocal);
    const rightShift = 31 - headroomPlusOne;
    const divisor = 2 ** rightShift;
    const round = 2 ** (rightShift - 1);
    for (let c = 0; c < depth; c++) {
      // |e · reciprocal| < 2^30: exact in a double; the shift is a floor like int64 >>.
      const result = Math.floor((dst[base + c]! * reciprocalQ15 + round) / divisor);
      dst[base + c] = result < 0 ? 0 : result > 32767 ? 32767 : result;
    }
  }
  return out;
}

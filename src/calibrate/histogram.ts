/**
 * Bounded-memory activation histograms, and the three clipping searches that read them
 * (percentile, entropy, mse). A histogram holds HISTOGRAM_BINS counts whatever the number of
 * samples or the spread of the values, so calibrating never keeps the activations themselves.
 *
 * Layout, and why a single pass: a representative dataset may be a generator that cannot be
 * restarted, so a two-pass design (minmax first, then histogram) is out. The bins cover
 * [-R, R] in equal steps, R a power of two, 0 always a bin edge. When a sample holds a value
 * beyond R, R doubles (as many times as needed) and every 2^k adjacent bins merge into one:
 * with R a power of two the old edges are a subset of the new ones, so merging is exact, and the
 * histogram is a function of the multiset of values seen, not of how they were batched (one batch
 * with all the data gives the very same counts). ONNX Runtime instead keeps its bin width and adds
 * bins as the range grows; that keeps resolution but lets memory grow with the range. Here the
 * price is resolution: the largest |value| lies in (R/2, R], so at least a quarter of the bins
 * (half of one side) lie within the observed range.
 *
 * Exact zeros (ReLU's clamp, padding) are counted apart: the quantized zero point represents them
 * exactly, so they cost no rounding error (mse) and are not smeared over the level near zero
 * (entropy); percentile counts them at 0.
 *
 * The target grid is TFLite's int8 activation quantization: asymmetric, 256 levels spanning
 * [min, max] with 255 steps. All three searches return a range inside the observed [min, max].
 */
import type { NumericArray } from '../kernels/value.js';

/** Bins per histogram (even, a power of two): 2048 on each side of 0, 32 KiB of counts. */
export const HISTOGRAM_BINS = 4096;
const HALF = HISTOGRAM_BINS / 2;
/** Steps between the 256 levels of an int8 range. */
const INT8_STEPS = 255;
/** Entropy needs at least one bin per int8 level in a candidate window (TensorRT starts at 128 bins for 128 levels). */
const ENTROPY_MIN_WINDOW_BINS = INT8_STEPS + 1;
/**
 * Weight of the uniform distribution mixed into Q, so that a level holding only clipped outliers
 * costs a large but finite KL. Q only: MXNet and ONNX Runtime instead add 1e-4 to every empty
 * entry of both P and Q (normalized) and take it from the others, which on a sparse tail (one
 * count is 1/n, far below 1e-4) outweighs the data and can turn entries negative. On 2^18
 * Laplace(1) values TensorRT's search clips at 7.6 with their smoothing and at 10.7 with this one
 * (this search: 10.6), the latter near where, by a rough calculation, the KL of the exact
 * distribution is smallest (11-12).
 */
const KL_SMOOTHING = 1e-4;

export interface ClipRange {
  min: number;
  max: number;
}

export class ActivationHistogram {
  /** counts[i] holds the non-zero values in [edge(i), edge(i + 1)); the last bin also holds R. */
  counts = new Float64Array(HISTOGRAM_BINS);
  /** R: 0 until a non-zero value arrives, then a power of two at least as large as every |value|. */
  halfRange = 0;
  /** Values exactly 0. */
  zeros = 0;
  min = Infinity;
  max = -Infinity;

  /** Adds the values of one tensor; `min` and `max` are theirs (the caller has scanned them already). */
  add(data: NumericArray, min: number, max: number): void {
    if (data.length === 0) return;
    this.min = Math.min(this.min, min);
    this.max = Math.max(this.max, max);
    const maxAbs = Math.max(-min, max);
    if (maxAbs > this.halfRange) this.growTo(maxAbs);
    // R and HALF are powers of two, so this product is exact: no value lands in a neighbour's bin.
    const binsPerUnit = HALF / this.halfRange;
    const counts = this.counts;
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (v === 0) {
        this.zeros++;
        continue;
      }
      const bin = Math.floor(v * binsPerUnit) + HALF;
      counts[bin < HISTOGRAM_BINS ? bin : HISTOGRAM_BINS - 1]! += 1;
    }
  }

  get binWidth(): number {
    return this.halfRange / HALF;
  }

  /** Lower edge of bin i (edge(HISTOGRAM_BINS) = R). */
  edge(i: number): number {
    return (i - HALF) * this.binWidth;
  }

  /** Number of values seen. */
  get total(): number {
    let n = this.zeros;
    for (const c of this.counts) n += c;
    return n;
  }

  /** Bytes of state: constant, whatever the number of samples. */
  get byteLength(): number {
    return this.counts.byteLength + 5 * 8;
  }

  /**
   * Adds another histogram's values (one collected by a calibration worker). The histogram with
   * the smaller R is first re-binned to the larger (exactly, as growTo does), then counts add, so
   * the result is the histogram of both multisets of values: the same counts one histogram
   * seeing every value would hold, whatever the split.
   */
  merge(other: ActivationHistogram): void {
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
    this.zeros += other.zeros;
    if (other.halfRange === 0) return;
    if (other.halfRange > this.halfRange) this.growTo(other.halfRange);
    let counts = other.counts;
    if (other.halfRange < this.halfRange) {
      const aligned = ActivationHistogram.from(other);
      aligned.growTo(this.halfRange);
      counts = aligned.counts;
    }
    for (let i = 0; i < HISTOGRAM_BINS; i++) this.counts[i]! += counts[i]!;
  }

  /** A histogram with the state of `h` (e.g. a structured clone, which has lost the prototype). */
  static from(h: Pick<ActivationHistogram, 'counts' | 'halfRange' | 'zeros' | 'min' | 'max'>): ActivationHistogram {
    const copy = new ActivationHistogram();
    copy.counts = Float64Array.from(h.counts);
    copy.halfRange = h.halfRange;
    copy.zeros = h.zeros;
    copy.min = h.min;
    copy.max = h.max;
    return copy;
  }

  private growTo(maxAbs: number): void {
    if (this.halfRange === 0) {
      // Nothing binned yet (zeros live apart), so no merging.
      this.halfRange = powerOfTwoAtLeast(maxAbs);
      return;
    }
    let factor = 1;
    while (this.halfRange * factor < maxAbs) factor *= 2;
    this.halfRange *= factor;
    // Old bin i lies inside new bin HALF + floor((i - HALF) / factor): written relative to the
    // centre so that it stays exact when factor is huge.
    const merged = new Float64Array(HISTOGRAM_BINS);
    for (let i = 0; i < HISTOGRAM_BINS; i++) {
      const c = this.counts[i]!;
      if (c !== 0) merged[HALF + Math.floor((i - HALF) / factor)]! += c;
    }
    this.counts = merged;
  }
}

function powerOfTwoAtLeast(x: number): number {
  let r = 2 ** Math.ceil(Math.log2(x));
  while (r < x) r *= 2;
  while (r / 2 >= x) r /= 2;
  return r;
}

/**
 * The range that keeps `percentile`% of the values, cutting (100 - percentile) / 2 % from each
 * tail (ONNX Runtime's non-symmetric percentile). Each tail, not |values|: int8 activations are
 * asymmetric, so a one-sided tensor (ReLU) keeps min 0 and a skewed one is cut on both sides by
 * its own tail. The cut is rounded outward to a bin edge, so at most that share is clipped, and
 * percentile 100 gives minmax exactly.
 */
export function percentileRange(h: ActivationHistogram, percentile: number): ClipRange {
  if (h.halfRange === 0) return { min: h.min, max: h.max };
  const cut = (h.total * (100 - percentile)) / 200;
  const count = (i: number): number => h.counts[i]! + (i === HALF ? h.zeros : 0);
  let lowBin = 0;
  for (let seen = 0; lowBin < HISTOGRAM_BINS - 1; lowBin++) {
    seen += count(lowBin);
    if (seen > cut) break;
  }
  let highBin = HISTOGRAM_BINS - 1;
  for (let seen = 0; highBin > 0; highBin--) {
    seen += count(highBin);
    if (seen > cut) break;
  }
  return clampToObserved(h, h.edge(lowBin), h.edge(highBin + 1));
}

/**
 * The clipping threshold T minimizing KL(P || Q), the TensorRT method (8-bit inference with
 * TensorRT, GTC 2017) adapted to an asymmetric int8 grid. For each candidate T the window is
 * [-T, T] ∩ [min, max] on the bins (so a ReLU output is searched over [0, T]); P is the histogram
 * inside the window with the clipped counts added to its edge bins; Q is the window's histogram
 * with each bin sent to the int8 level nearest its centre (256 levels over the window), each
 * level's count spread evenly over the bins of P that are non-empty, as TensorRT expands its
 * quantized bins. The outliers are left out of Q, which is what makes clipping cost something.
 * Candidates start at one bin per level, as TensorRT's start at 128 bins for 128 levels; so, as
 * in TensorRT, T cannot go below about R / 16 (R / 8 for a one-sided tensor): a lone outlier
 * 1000× the body's spread leaves the body a few bins, and entropy then clips at that floor.
 */
export function entropyRange(h: ActivationHistogram): ClipRange {
  const scratch: KlScratch = {
    p: new Float64Array(HISTOGRAM_BINS),
    level: new Int32Array(HISTOGRAM_BINS),
    levelCount: new Float64Array(INT8_STEPS + 1),
    levelNonEmpty: new Float64Array(INT8_STEPS + 1),
  };
  return searchWindows(h, ENTROPY_MIN_WINDOW_BINS, (lo, hi) => klDivergence(h, lo, hi, scratch));
}

/**
 * The clipping threshold T minimizing the expected squared quantization error over the histogram,
 * over the same windows as entropy (every bin edge is a candidate). A value inside the window
 * costs step² / 12, step = window width / 255 (rounding error of a value spread evenly across a
 * step), except exact zeros, which the zero point represents exactly; a clipped value costs its
 * squared distance to the window edge, taken as spread evenly across its bin.
 */
export function mseRange(h: ActivationHistogram): ClipRange {
  return searchWindows(h, 1, (lo, hi, low, high) => quantizationMse(h, lo, hi, low, high));
}

/**
 * Walks the candidate thresholds T = k · binWidth, k = 1 … (until the window covers every
 * value), and returns the window with the smallest cost. A window is bins [lo, hi) and values
 * [low, high] = [-T, T] ∩ [min, max].
 */
function searchWindows(
  h: ActivationHistogram,
  minBins: number,
  cost: (lo: number, hi: number, low: number, high: number) => number,
): ClipRange {
  if (h.halfRange === 0) return { min: h.min, max: h.max };
  const minBin = h.min < 0 ? binOf(h, h.min) : HALF;
  const maxBin = h.max > 0 ? binOf(h, h.max) : HALF - 1;
  const lastK = Math.max(HALF - minBin, maxBin + 1 - HALF);
  let best: ClipRange = { min: h.min, max: h.max };
  let bestCost = Infinity;
  for (let k = 1; k <= lastK; k++) {
    const lo = Math.max(HALF - k, minBin);
    const hi = Math.min(HALF + k, maxBin + 1);
    if (hi - lo < minBins) continue;
    const threshold = k * h.binWidth;
    const low = Math.max(h.min, -threshold);
    const high = Math.min(h.max, threshold);
    const c = cost(lo, hi, low, high);
    // Strictly smaller: among equal costs the narrowest window wins, as in TensorRT's argmin.
    if (c < bestCost) {
      bestCost = c;
      best = { min: low, max: high };
    }
  }
  return best;
}

function binOf(h: ActivationHistogram, v: number): number {
  return Math.min(HISTOGRAM_BINS - 1, Math.floor(v / h.binWidth) + HALF);
}

function clampToObserved(h: ActivationHistogram, low: number, high: number): ClipRange {
  return { min: Math.max(h.min, low), max: Math.min(h.max, high) };
}

function klDivergence(h: ActivationHistogram, lo: number, hi: number, scratch: KlScratch): number {
  const counts = h.counts;
  const bins = hi - lo;
  const { p, level, levelCount, levelNonEmpty } = scratch;
  levelCount.fill(0);
  levelNonEmpty.fill(0);
  let below = 0;
  for (let i = 0; i < lo; i++) below += counts[i]!;
  let above = 0;
  for (let i = hi; i < HISTOGRAM_BINS; i++) above += counts[i]!;
  let inside = 0;
  for (let j = 0; j < bins; j++) {
    const c = counts[lo + j]!;
    inside += c;
    p[j] = c;
    // The int8 level nearest the bin's centre: 256 levels, the end ones half a step wide.
    const l = Math.round(((j + 0.5) * INT8_STEPS) / bins);
    level[j] = l;
    levelCount[l]! += c;
  }
  p[0]! += below;
  p[bins - 1]! += above;
  for (let j = 0; j < bins; j++) if (p[j]! > 0) levelNonEmpty[level[j]!]! += 1;
  // Exact zeros are one more entry of both P and Q, with the same count.
  const pTotal = below + above + inside + h.zeros;
  const qTotal = inside + h.zeros;
  if (qTotal === 0) return Infinity;
  const entries = bins + 1;
  const smoothQ = (q: number): number => (1 - KL_SMOOTHING) * (q / qTotal) + KL_SMOOTHING / entries;

  let kl = 0;
  for (let j = 0; j < bins; j++) {
    const pj = p[j]!;
    if (pj === 0) continue;
    const l = level[j]!;
    const pn = pj / pTotal;
    kl += pn * Math.log(pn / smoothQ(levelCount[l]! / levelNonEmpty[l]!));
  }
  if (h.zeros > 0) {
    const pn = h.zeros / pTotal;
    kl += pn * Math.log(pn / smoothQ(h.zeros));
  }
  return kl;
}

/** Buffers reused across the candidate windows of one entropy search. */
interface KlScratch {
  p: Float64Array;
  level: Int32Array;
  levelCount: Float64Array;
  levelNonEmpty: Float64Array;
}

/** E[(x - t)²] for x spread evenly over [a, b], t outside it. */
function meanSquaredDistance(a: number, b: number, t: number): number {
  const da = a - t;
  const db = b - t;
  return (da * da + da * db + db * db) / 3;
}

function quantizationMse(h: ActivationHistogram, lo: number, hi: number, low: number, high: number): number {
  const counts = h.counts;
  const step = (high - low) / INT8_STEPS;
  let inside = 0;
  for (let i = lo; i < hi; i++) inside += counts[i]!;
  let error = (inside * step * step) / 12;
  for (let i = 0; i < lo; i++) {
    if (counts[i]! !== 0) error += counts[i]! * meanSquaredDistance(Math.max(h.edge(i), h.min), h.edge(i + 1), low);
  }
  for (let i = hi; i < HISTOGRAM_BINS; i++) {
    if (counts[i]! !== 0) error += counts[i]! * meanSquaredDistance(h.edge(i), Math.min(h.edge(i + 1), h.max), high);
  }
  return error;
}

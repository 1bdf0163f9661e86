/**
 * What the bench's processes share: the shape of the generated network, its seeded weights (so
 * the output check can regenerate them instead of keeping 400 MB around), and the JSON line a
 * measuring child prints for the parent.
 */

/** The generated network: input [1, width] → layers × (MatMul width×width + BiasAdd + Relu). */
export interface DenseSpec {
  layers: number;
  width: number;
}

/** ≈ 403 MB of float32 weights: a large model that still converts in seconds. */
export const DEFAULT_SPEC: DenseSpec = { layers: 6, width: 4096 };

export function weightBytes(spec: DenseSpec): number {
  return spec.layers * (spec.width * spec.width + spec.width) * 4;
}

/**
 * Layer `layer`'s kernel, [in, out] row-major as Keras stores it (MatMul with transpose_b false),
 * or its bias. xorshift32 is fast (≈ 0.1 s for 16 M values) and deterministic, and the values are
 * distinct enough that no two layers compare equal (dedupe must not merge them).
 */
export function layerValues(layer: number, kind: 'kernel' | 'bias', width: number): Float32Array {
  const out = new Float32Array(kind === 'kernel' ? width * width : width);
  let s = (0x9e3779b9 ^ (layer * 2 + (kind === 'bias' ? 1 : 0) + 1) * 0x85ebca6b) >>> 0 || 1;
  // Glorot-uniform-like scale, so the numbers look like a trained dense layer's.
  const scale = (2 * Math.sqrt(6 / (2 * width))) / 2 ** 32;
  for (let i = 0; i < out.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = (s - 2 ** 31) * scale;
  }
  return out;
}

export function layerNames(layer: number): { kernel: string; bias: string; matmul: string; biasAdd: string; relu: string } {
  const p = `sequential/dense_${layer}`;
  return { kernel: `${p}/MatMul/ReadVariableOp`, bias: `${p}/BiasAdd/ReadVariableOp`, matmul: `${p}/MatMul`, biasAdd: `${p}/BiasAdd`, relu: `${p}/Relu` };
}

/** Peak resident set size of this process so far, in KiB (Linux ru_maxrss). */
export function maxRssKiB(): number {
  return process.resourceUsage().maxRSS;
}

/**
 * CPU time (user + system) this process has used, in ms. The machine may be shared: wall time
 * then includes waiting for a core, CPU time does not (but it misses time blocked on the disk).
 */
export function cpuMs(): number {
  const { userCPUTime, systemCPUTime } = process.resourceUsage();
  return (userCPUTime + systemCPUTime) / 1000;
}

/** Milliseconds since `start` (a performance.now() value), rounded to 0.1 ms. */
export function msSince(start: number): number {
  return Math.round((performance.now() - start) * 10) / 10;
}

/** A child's result: one JSON line on stdout, prefixed so stray output cannot be mistaken for it. */
export const RESULT_PREFIX = 'BENCH-RESULT ';

export function emitResult(result: object): void {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}

/**
 * The calibration bench's models: fixture models of different sizes, converted by our own
 * converter, with deterministic random samples and their FLOPs counted from the IR.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { convertGraphDef } from '../../src/api/convert.js';
import { shardReader } from '../../src/api/files.js';
import { modelFlops } from '../../src/exec/flops.js';
import type { Model } from '../../src/ir/graph.js';
import type { Value } from '../../src/kernels/value.js';

export const REPO_ROOT = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../../' : '../../', import.meta.url));

export interface BenchModelSpec {
  name: string;
  /** Relative to test/fixtures/models. */
  file: string;
  /** Batch-1 input shape (the fixtures leave the batch dimension unknown). */
  inputShape: number[];
}

export const BENCH_MODELS: readonly BenchModelSpec[] = [
  { name: 'fc-layers', file: 'tensorflow_onnx/fc-layers/frozen.pb', inputShape: [1, 784] },
  { name: 'cifar10_cnn', file: 'utensor_cgen/deep_cnn/cifar10_cnn.pb', inputShape: [1, 32, 32, 3] },
  { name: 'mobilenet_v2', file: 'nsfwjs_mobilenet_v2_mid/model.json', inputShape: [1, 224, 224, 3] },
];

export interface BenchModel {
  spec: BenchModelSpec;
  /** Absolute path of the source model (.pb or model.json). */
  source: string;
  /** Our converted float model and its .tflite. */
  model: Model;
  tflite: Uint8Array;
  flops: number;
  convertMs: number;
}

export function loadBenchModel(spec: BenchModelSpec): BenchModel {
  const source = path.join(REPO_ROOT, 'test/fixtures/models', spec.file);
  const start = performance.now();
  const bytes = readFileSync(source);
  const readShard = source.endsWith('.json') ? shardReader(source) : undefined;
  const { model, tflite } = convertGraphDef(bytes, source, { inputShapes: [spec.inputShape] }, readShard);
  const convertMs = performance.now() - start;
  return { spec, source, model, tflite, flops: modelFlops(model), convertMs };
}

/** mulberry32: a small seeded generator, so every runner sees the very same samples. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** `count` samples of uniform [0, 1) values (image-like), one float32 input each. */
export function benchSamples(m: BenchModel, count: number): Float32Array[] {
  const size = m.spec.inputShape.reduce((a, b) => a * b, 1);
  const next = random(1234);
  return Array.from({ length: count }, () => Float32Array.from({ length: size }, next));
}

export function asValues(m: BenchModel, sample: Float32Array): Value[] {
  return [{ dtype: 'float32', shape: m.spec.inputShape.slice(), data: sample }];
}

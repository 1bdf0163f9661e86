/**
 * Real tfjs graph models shipped in an npm package (@vladmandic/human 3.3.6, MIT, a pinned
 * devDependency): each models/<name>.json with its .bin shard is converted to .tflite, run in
 * LiteRT.js on a seeded random input of the model's Placeholder shape (unknown batch → 1), and
 * every output is compared with tfjs-converter executing the same model.json, matched by name
 * (the .tflite's signature output names are the tfjs output node names).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import { beforeAll, describe, expect, test } from 'vitest';
import { convertGraphDef } from '../../src/api/convert.js';
import { shardReader } from '../../src/api/files.js';
import { readTflite } from '../../src/import/tflite.js';
import { runTflite, type TypedArray } from '../harness/litert.js';
import { mulberry32 } from '../harness/random-inputs.js';
import { maxRelErr } from '../helpers/compare.js';
import { opHistogram } from '../helpers/tfl-ops.js';
import { loadTfjsGraphModel } from '../helpers/tfjs-model.js';

const MODELS_DIR = path.resolve('node_modules/@vladmandic/human/models');

interface ModelJson {
  modelTopology: { node: { name: string; op: string; attr?: Record<string, { type?: string; shape?: { dim?: { size: string }[] } }> }[] };
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

interface Case {
  name: string;
  /** The converted model's op histogram. */
  ops: Record<string, number>;
}

const CASES: Case[] = [
  { name: 'antispoof', ops: { CONV_2D: 3, MAX_POOL_2D: 3, RESHAPE: 1, FULLY_CONNECTED: 2, LOGISTIC: 1 } },
  { name: 'blazeface', ops: { CONV_2D: 37, DEPTHWISE_CONV_2D: 32, ADD: 31, MAX_POOL_2D: 3, PAD: 2, RESHAPE: 4 } },
  { name: 'emotion', ops: { CONV_2D: 9, DEPTHWISE_CONV_2D: 4, MAX_POOL_2D: 2, ADD: 2, RELU: 1, MEAN: 1, SOFTMAX: 1 } },
  { name: 'liveness', ops: { CONV_2D: 4, MUL: 5, ADD: 5, MAX_POOL_2D: 2, RESHAPE: 1, FULLY_CONNECTED: 2, SOFTMAX: 1 } },
  // Grappler's AddN (ArithmeticOptimizer's AddOpsRewrite of residual adds) → ADD_N.
  { name: 'handlandmark-lite', ops: { CONV_2D: 31, DEPTHWISE_CONV_2D: 16, MAX_POOL_2D: 1, ADD: 10, ADD_N: 9, MEAN: 1, FULLY_CONNECTED: 4, LOGISTIC: 2 } },
  { name: 'faceres', ops: { CONV_2D: 14, MINIMUM: 27, MAXIMUM: 27, DEPTHWISE_CONV_2D: 13, MEAN: 1, FULLY_CONNECTED: 3, LOGISTIC: 1, SOFTMAX: 1 } },
  {
    name: 'movenet-lightning',
    ops: {
      CAST: 5, UNPACK: 3, EXPAND_DIMS: 8, SQUEEZE: 1, SUB: 4, MUL: 5, CONV_2D: 50, DEPTHWISE_CONV_2D: 24, ADD: 19, RESIZE_BILINEAR: 3,
      LOGISTIC: 2, RESHAPE: 8, ARG_MAX: 2, FLOOR_DIV: 2, PACK: 3, GATHER_ND: 4, SQUARED_DIFFERENCE: 2, SQRT: 1, DIV: 1, CONCATENATION: 2,
    },
  },
];

/** Models whose _FusedConv2D fuses a PReLU (fused_ops [BiasAdd, Prelu], alpha as the 4th input). */
const FUSED_PRELU: Case[] = [
  { name: 'iris', ops: { CONV_2D: 55, PRELU: 53, DEPTHWISE_CONV_2D: 26, ADD: 26, MAX_POOL_2D: 6, PAD: 1, CONCATENATION: 1 } },
  { name: 'facemesh', ops: { CONV_2D: 31, PRELU: 28, DEPTHWISE_CONV_2D: 24, ADD: 24, MAX_POOL_2D: 5, PAD: 3, LOGISTIC: 1, RESHAPE: 3 } },
];

function modelFile(name: string): string {
  return path.join(MODELS_DIR, `${name}.json`);
}

/** The model's single Placeholder: its dtype and shape, unknown dimensions (the batch) as 1. */
function placeholder(json: ModelJson): { name: string; dtype: 'float32' | 'int32'; shape: number[] } {
  const inputs = json.modelTopology.node.filter((n) => n.op === 'Placeholder');
  expect(inputs).toHaveLength(1);
  const node = inputs[0]!;
  const dims = node.attr?.shape?.shape?.dim ?? [];
  const dtype = node.attr?.dtype?.type === 'DT_INT32' ? 'int32' : 'float32';
  return { name: node.name, dtype, shape: dims.map((d) => (Number(d.size) < 0 ? 1 : Number(d.size))) };
}

function randomInput(dtype: 'float32' | 'int32', count: number, seed: number): Float32Array | Int32Array {
  const random = mulberry32(seed);
  // Images: float pixels in [0, 1), int32 pixels (movenet) in [0, 255].
  return dtype === 'int32' ? Int32Array.from({ length: count }, () => Math.floor(random() * 256)) : Float32Array.from({ length: count }, () => random());
}

/** tfjs-converter executing model.json from memory: topology, flattened manifest, concatenated shards. */
async function tfjsOutputs(file: string, input: { dtype: 'float32' | 'int32'; shape: number[]; data: Float32Array | Int32Array }, outputs: string[]): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
  await tf.setBackend('cpu');
  const model = await loadTfjsGraphModel(file);
  const x = tf.tensor(input.data, input.shape, input.dtype);
  try {
    const ys = model.execute(x, outputs) as tf.Tensor | tf.Tensor[];
    const list = Array.isArray(ys) ? ys : [ys];
    const result = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [i, y] of list.entries()) {
      result.set(outputs[i]!, { shape: y.shape, data: Float32Array.from(await y.data()) });
    }
    tf.dispose(list);
    return result;
  } finally {
    x.dispose();
    model.dispose();
  }
}

/** The outputs tfjs's GraphModel reports for a model.json (its signature's, else the graph's sinks). */
async function tfjsOutputNames(file: string): Promise<string[]> {
  const json = JSON.parse(readFileSync(file, 'utf8')) as ModelJson & { signature?: object };
  const model = await loadGraphModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: [], signature: json.signature } as tf.io.ModelArtifacts));
  const names = model.outputs.map((o) => o.name);
  model.dispose();
  return names;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Converts one model, runs it in LiteRT.js and tfjs, and compares every .tflite output by name. */
async function checkModel(name: string, ops: Record<string, number>, outputArrays?: string[]): Promise<string[]> {
  const file = modelFile(name);
  const json = JSON.parse(readFileSync(file, 'utf8')) as ModelJson;
  const { tflite } = convertGraphDef(readFileSync(file), file, outputArrays ? { outputArrays } : {}, shardReader(file));
  expect(opHistogram(tflite)).toEqual(ops);
  const outputNames = readTflite(tflite).signatures[0]!.outputs.map((o) => o.name);
  const input = placeholder(json);
  const data = randomInput(input.dtype, input.shape.reduce((a, b) => a * b, 1), 17);
  const ours = await runTflite(tflite, [data as TypedArray]);
  const ref = await tfjsOutputs(file, { ...input, data }, outputNames);
  expect(ours.outputs.map((o) => o.name).sort()).toEqual([...outputNames].sort());
  for (const out of ours.outputs) {
    const r = ref.get(out.name)!;
    expect(out.shape, out.name).toEqual(r.shape);
    expect(maxRelErr(out.data as ArrayLike<number | bigint>, r.data), out.name).toBeLessThanOrEqual(1e-4);
  }
  return outputNames;
}

describe('@vladmandic/human tfjs graph models → .tflite, against tfjs', () => {
  test.each(CASES)('$name', async ({ name, ops }) => {
    const outputs = await checkModel(name, ops);
    // Every output we produce is one tfjs's GraphModel reports (its model.json signature).
    const declared = (await tfjsOutputNames(modelFile(name))).map((n) => n.replace(/:0$/, ''));
    for (const o of outputs) expect(declared).toContain(o);
  }, 180_000);

  test.each(FUSED_PRELU)('$name (fused PReLU)', async ({ name, ops }) => {
    await checkModel(name, ops);
  }, 180_000);

  // The default outputs are the graph's sinks; model.json's signature also names faceres's
  // embedding (global_pooling/Mean), which the classifier heads consume. Requested explicitly, it
  // matches tfjs too.
  test('faceres with its signature\'s three outputs, including the global_pooling/Mean embedding', async () => {
    const ops = { CONV_2D: 14, MINIMUM: 27, MAXIMUM: 27, DEPTHWISE_CONV_2D: 13, MEAN: 1, FULLY_CONNECTED: 3, LOGISTIC: 1, SOFTMAX: 1 };
    const outputs = await checkModel('faceres', ops, ['gender_pred/Sigmoid', 'global_pooling/Mean', 'age_pred/Softmax']);
    expect(outputs).toHaveLength(3);
  }, 180_000);
});

/**
 * A real tfjs graph model (MobileNetV2 from the nsfwjs package: uint8-quantized weights,
 * grappler's _FusedConv2D / FusedDepthwiseConv2dNative / _FusedMatMul) converted to .tflite and
 * run in LiteRT.js, against tfjs-converter executing the same model.json.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, test } from 'vitest';
import { shardReader } from '../../src/api/files.js';
import { convertGraphDef } from '../../src/api/convert.js';
import { runTflite } from '../harness/litert.js';
import { mulberry32 } from '../harness/random-inputs.js';
import { maxRelErr } from '../helpers/compare.js';
import { modelPath } from '../helpers/fixtures.js';
import { opHistogram } from '../helpers/tfl-ops.js';
import { loadTfjsGraphModel } from '../helpers/tfjs-model.js';

const MODEL_JSON = modelPath('nsfwjs_mobilenet_v2_mid/model.json');

/** tfjs loading model.json itself: the topology and the concatenated shards, as its own loader would. */
async function tfjsReference(input: Float32Array): Promise<Float32Array> {
  await tf.setBackend('cpu');
  const model = await loadTfjsGraphModel(MODEL_JSON);
  const x = tf.tensor(input, [1, 224, 224, 3]);
  const y = model.predict(x) as tf.Tensor;
  const out = (await y.data()) as Float32Array;
  tf.dispose([x, y]);
  model.dispose();
  return out;
}

describe('tfjs graph model → .tflite', () => {
  let tflite: Uint8Array;
  beforeAll(() => {
    tflite = convertGraphDef(readFileSync(MODEL_JSON), MODEL_JSON, {}, shardReader(MODEL_JSON)).tflite;
  });

  test('grappler fused ops become fused TFLite convolutions', () => {
    const counts = opHistogram(tflite);
    expect(counts).toMatchObject({ CONV_2D: 35, DEPTHWISE_CONV_2D: 17, FULLY_CONNECTED: 1, SOFTMAX: 1 });
    expect(counts.RELU6).toBeUndefined();
  });

  test('outputs match tfjs on the same image within 1e-4', async () => {
    const random = mulberry32(3);
    const image = Float32Array.from({ length: 224 * 224 * 3 }, () => random());
    const [ours, ref] = await Promise.all([runTflite(tflite, [image]), tfjsReference(image)]);
    const o = ours.outputs[0]!.data as Float32Array;
    expect(o.length).toBe(5);
    // Floor 0: max |err| / max |ref| with nothing under the denominator (a softmax is never all zero).
    expect(maxRelErr(o, ref, 0)).toBeLessThanOrEqual(1e-4);
  }, 120_000);
});

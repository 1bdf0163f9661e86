/**
 * ms per forward pass of whole int8 models in our executor (what `run`, the quantization
 * debugger and --target_sqnr repeat): person_detect (an int8 MobileNet, re-serialized for
 * LiteRT.js's sake like the tests do), cifar10_cnn and MobileNetV2 (the nsfwjs tfjs graph model
 * of test/e2e/quantize-int8-mobilenet.test.ts) quantized by us, and the last two quantized to
 * 16x8 (int16 activations, int8 weights, int64 biases) by us. Run with
 * `npx tsx test/bench/int8-forward.ts`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { shardReader } from '../../src/api/files.js';
import { reserializeTflite } from '../../src/api/index.js';
import { convertGraphDefInt16x8, convertGraphDefInt8 } from '../../src/api/quantize-int8.js';
import { Executor } from '../../src/exec/executor.js';
import { readTflite } from '../../src/import/tflite.js';
import { makeValue, type Value } from '../../src/kernels/value.js';
import { REGISTRY } from '../../src/ops/registry.js';
import { mulberry32 } from '../harness/random-inputs.js';

const MODELS_DIR = path.resolve('test/fixtures/models');

function inputsOf(exec: Executor, seed: number): Value[] {
  const random = mulberry32(seed);
  return exec.inputs.map((t) => {
    const v = makeValue(t.dtype!, t.shape!.map((d) => Math.max(d, 1)));
    const data = v.data as Int8Array | Int16Array | Float32Array;
    for (let i = 0; i < data.length; i++) data[i] = t.dtype === 'int8' ? Math.floor(random() * 256) - 128 : t.dtype === 'int16' ? Math.floor(random() * 65536) - 32768 : random();
    return v;
  });
}

function time(name: string, tflite: Uint8Array, runs: number): void {
  const exec = new Executor(readTflite(tflite), REGISTRY);
  const inputs = inputsOf(exec, 1);
  exec.run(inputs); // warm-up (JIT, lazily built tables)
  const start = performance.now();
  for (let i = 0; i < runs; i++) exec.run(inputs);
  console.log(`${name}: ${((performance.now() - start) / runs).toFixed(1)} ms per forward pass (${runs} runs)`);
}

const person = reserializeTflite(readFileSync(path.join(MODELS_DIR, 'tflite_micro/person_detection/person_detect.tflite')));
time('person_detect int8', person, 10);
const pb = readFileSync(path.join(MODELS_DIR, 'utensor_cgen/deep_cnn/cifar10_cnn.pb'));
const { tflite } = await convertGraphDefInt8(pb, 'cifar10_cnn.pb', {}, { dataset: 'random', inputRange: [0, 1], maxSamples: 8 }, { inferenceInputType: 'int8', inferenceOutputType: 'int8' });
time('cifar10_cnn int8 (ours)', tflite, 20);
const mobilenet = path.join(MODELS_DIR, 'nsfwjs_mobilenet_v2_mid/model.json');
const mobilenetInt8 = await convertGraphDefInt8(readFileSync(mobilenet), mobilenet, {}, { dataset: 'random', inputRange: [0, 1], maxSamples: 4 }, {}, shardReader(mobilenet));
time('MobileNetV2 int8 (ours)', mobilenetInt8.tflite, 3);
const cifar16 = await convertGraphDefInt16x8(pb, 'cifar10_cnn.pb', {}, { dataset: 'random', inputRange: [0, 1], maxSamples: 8 });
time('cifar10_cnn 16x8 (ours)', cifar16.tflite, 10);
const mobilenet16 = await convertGraphDefInt16x8(readFileSync(mobilenet), mobilenet, {}, { dataset: 'random', inputRange: [0, 1], maxSamples: 4 }, {}, shardReader(mobilenet));
time('MobileNetV2 16x8 (ours)', mobilenet16.tflite, 3);

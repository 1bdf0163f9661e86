/**
 * ms per forward pass of whole int8 models in our executor (what `run`, the quantization
 * debugger and --target_sqnr repeat): person_detect (an int8 MobileNet, re-serialized for
 * LiteRT.js's sake like the tests do), cifar10_cnn and MobileNetV2 (the nsfwjs tfjs graph model
 * of test/e2e/quantize-int8-mobilenet.test.ts) quantized by us, and the last two quantized to
 * 16x8 (int16 activations, int8 weights, int64 biases) by us; then the int8 BATCH_MATMUL and
 * TRANSPOSE_CONV kernels alone, JS loops against WebAssembly. Run with
 * `npx tsx test/bench/int8-forward.ts`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { shardReader } from '../../src/api/files.js';
import { reserializeTflite } from '../../src/api/index.js';
import { convertGraphDefInt16x8, convertGraphDefInt8 } from '../../src/api/quantize-int8.js';
import { Executor } from '../../src/exec/executor.js';
import { readTflite } from '../../src/import/tflite.js';
import { Padding } from '../../generated/tflite/padding.js';
import { perChannelMultipliers } from '../../src/kernels/affine-int8.js';
import { transposeConvInt8 } from '../../src/kernels/conv-int8.js';
import { batchMatMulInt8 } from '../../src/kernels/matmul-int8.js';
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

/** ms per call of one kernel on the JS path (TFLITE_CONVERT_KERNELS=js), then on WebAssembly. */
function timeKernel(name: string, fn: () => unknown, runs: number): void {
  const before = process.env.TFLITE_CONVERT_KERNELS;
  const ms = ['js', 'wasm'].map((mode) => {
    if (mode === 'js') process.env.TFLITE_CONVERT_KERNELS = 'js';
    else delete process.env.TFLITE_CONVERT_KERNELS;
    fn();
    const start = performance.now();
    for (let i = 0; i < runs; i++) fn();
    return ((performance.now() - start) / runs).toFixed(2);
  });
  if (before !== undefined) process.env.TFLITE_CONVERT_KERNELS = before;
  console.log(`${name}: ${ms[0]} ms (JS) -> ${ms[1]} ms (WebAssembly)`);
}

const random = mulberry32(2);
const int8 = (shape: number[]): Value => ({ dtype: 'int8', shape, data: Int8Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => Math.floor(random() * 256) - 128) });
const single = { multipliers: Int32Array.of(1518500250), shifts: Int32Array.of(-9) };
const bmm = { adjX: false, adjY: false, lhsZeroPoint: -3, rhsZeroPoint: 11, outputZeroPoint: -7, activationMin: -128, activationMax: 127, channels: single };
const [lhs, rhs] = [int8([8, 128, 64]), int8([8, 64, 128])];
timeKernel('BATCH_MATMUL int8 [8, 128, 64] x [8, 64, 128]', () => batchMatMulInt8(lhs, rhs, bmm), 10);
const [x, w] = [int8([1, 16, 16, 64]), int8([32, 3, 3, 64])];
const tconv = { padding: Padding.SAME, strideH: 2, strideW: 2, inputZeroPoint: -128, outputZeroPoint: 5, activationMin: -128, activationMax: 127, channels: perChannelMultipliers(0.02, [0.005], 0.1, 32) };
timeKernel('TRANSPOSE_CONV int8 [1, 16, 16, 64] -> [1, 32, 32, 32], 3x3 stride 2', () => transposeConvInt8([1, 32, 32, 32], w, x, null, tconv), 10);

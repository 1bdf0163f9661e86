/**
 * Every ready-to-copy script in calibration/ run through the CLI, as its README says, on fixture
 * models and data written here; the ranges file must hold the model's activation tensors with
 * plausible values, and where the same data can be fed another way (the built-in .npy reader,
 * an image folder with --mean_values) the ranges must agree exactly.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, test } from 'vitest';
import { writeNpy } from '../../src/calibrate/npy.js';
import { REPO_ROOT, modelPath } from '../helpers/fixtures.js';

type Ranges = Record<string, { min: number; max: number }>;

const dir = mkdtempSync(path.join(tmpdir(), 'tflite-calibration-scripts-'));
const SCRIPTS = path.join(REPO_ROOT, 'calibration');
const CIFAR = modelPath('utensor_cgen/deep_cnn/cifar10_cnn.pb');
const FC = modelPath('tensorflow_onnx/fc-layers/frozen.pb');
const FC_TENSORS = ['X', 'model/dense/Relu', 'model/dense_1/Relu', 'output'];
const CIFAR_TENSORS = [
  'Placeholder',
  'conv/logits',
  'conv_1/activation',
  'MaxPool',
  'conv_2/logits',
  'conv_3/activation',
  'MaxPool_1',
  'conv_4/activation',
  'conv_5/activation',
  'Reshape',
  'fully_connect/activation',
  'fully_connect_1/activation',
  'fully_connect_2/logits',
];

/** The CLI as the README shows it, with the script's environment variables. */
function calibrate(model: string, dataset: string, env: Record<string, string>, extra: string[] = []): { code: number; stdout: string; stderr: string; ranges: Ranges | null } {
  const output = path.join(dir, `ranges-${Math.random().toString(36).slice(2)}.json`);
  const result = spawnSync(
    process.execPath,
    [path.join(REPO_ROOT, 'bin/tflite-convert.js'), model, '-o', path.join(dir, 'm.tflite'), '--representative_dataset', dataset, '--calibration_output', output, ...extra],
    { cwd: dir, encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } },
  );
  if (result.error) throw result.error;
  const code = result.status ?? -1;
  return { code, stdout: result.stdout, stderr: result.stderr, ranges: code === 0 ? (JSON.parse(readFileSync(output, 'utf8')) as Ranges) : null };
}

/** Activation ranges that could come from a real run: finite, ordered, ReLU outputs from 0. */
function expectPlausible(ranges: Ranges, tensors: string[]): void {
  expect(Object.keys(ranges)).toEqual(tensors);
  for (const [name, { min, max }] of Object.entries(ranges)) {
    expect(Number.isFinite(min) && Number.isFinite(max), name).toBe(true);
    expect(min, name).toBeLessThan(max);
    if (/Relu|activation|MaxPool|Reshape/.test(name)) expect(min, name).toBe(0);
  }
}

function minMax(values: ArrayLike<number>): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    min = Math.min(min, values[i]!);
    max = Math.max(max, values[i]!);
  }
  return { min, max };
}

/** Smooth signed rows of 784 values, different per row. */
function rows(count: number): Float32Array {
  return Float32Array.from({ length: count * 784 }, (_, i) => Math.sin(0.013 * i) * (1 + Math.floor(i / 784) / 4));
}

test('the scripts tested below are all of calibration/, and the README names each', () => {
  const scripts = readdirSync(SCRIPTS).filter((f) => /\.(mjs|js|ts)$/.test(f));
  expect(scripts.sort()).toEqual(['binary-records.mjs', 'images.mjs', 'npy.mjs', 'synthetic.mjs']);
  const readme = readFileSync(path.join(SCRIPTS, 'README.md'), 'utf8');
  for (const script of scripts) expect(readme).toContain(`\`${script}\``);
});

describe('calibration scripts through the CLI', () => {
  test('images.mjs: center crop, resize and [-1, 1] scaling of PNG and JPEG files, compared with the built-in folder reader', () => {
    const images = path.join(dir, 'images');
    mkdirSync(images);
    // 48×40 PNGs: the central 40×40 window the script crops to holds values 64..191; the cropped-
    // away margins are black (left) and white (right). With the crop the input stays inside
    // [64, 191]/127.5 - 1; the built-in reader resizes the whole image, margins included.
    const pixel = (x: number, y: number): [number, number, number] => (x < 4 ? [0, 0, 0] : x >= 44 ? [255, 255, 255] : [64 + (x - 4) * 3, 191 - (y * 3), 128]);
    for (const name of ['a.png', 'c.png']) {
      const image = new PNG({ width: 48, height: 40 });
      for (let y = 0; y < 40; y++) {
        for (let x = 0; x < 48; x++) image.data.set([...pixel(x, y), 255], (y * 48 + x) * 4);
      }
      writeFileSync(path.join(images, name), PNG.sync.write(image));
    }
    const rgba = Buffer.alloc(64 * 48 * 4);
    for (let i = 0; i < rgba.length; i += 4) rgba.set([100 + ((i >> 2) % 50), 120, 140, 255], i);
    writeFileSync(path.join(images, 'b.jpg'), jpeg.encode({ width: 64, height: 48, data: rgba }, 90).data);

    const run = calibrate(CIFAR, path.join(SCRIPTS, 'images.mjs'), { CALIBRATION_DATA: images, CALIBRATION_SHAPE: '1,32,32,3' }, ['--input_shapes', '1,32,32,3']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/calibrated 13 tensors on 3 samples/);
    expectPlausible(run.ranges!, CIFAR_TENSORS);
    const input = run.ranges!.Placeholder!;
    expect(input.min).toBeGreaterThanOrEqual(64 / 127.5 - 1);
    expect(input.max).toBeLessThanOrEqual(191 / 127.5 - 1);
    expect(input.max - input.min).toBeGreaterThan(0.8);

    // The built-in reader, same scaling, no crop: the black and white margins reach the input.
    const builtIn = calibrate(CIFAR, images, {}, ['--input_shapes', '1,32,32,3', '--mean-values', '127.5', '--std-dev-values', '127.5']);
    expect(builtIn.code).toBe(0);
    expectPlausible(builtIn.ranges!, CIFAR_TENSORS);
    expect(builtIn.ranges!.Placeholder).toEqual({ min: -1, max: 1 });
    const viaRange = calibrate(CIFAR, images, {}, ['--input_shapes', '1,32,32,3', '--input-range', '-1,1']);
    expect(viaRange.ranges).toEqual(builtIn.ranges);
  }, 120_000);

  test('npy.mjs: float64 rows read and cast as the built-in .npy reader does, same ranges', () => {
    const data = rows(5);
    const npy = path.join(dir, 'rows.npy');
    writeFileSync(npy, writeNpy({ dtype: 'float64', shape: [5, 784], data: Float64Array.from(data) }));
    const run = calibrate(FC, path.join(SCRIPTS, 'npy.mjs'), { CALIBRATION_DATA: npy });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/calibrated 4 tensors on 5 samples/);
    expectPlausible(run.ranges!, FC_TENSORS);
    expect(run.ranges!.X).toEqual(minMax(data));
    expect(calibrate(FC, npy, {}).ranges).toEqual(run.ranges);
  }, 60_000);

  test('synthetic.mjs: the requested count and range, deterministic', () => {
    const env = { CALIBRATION_SHAPE: '1,784', CALIBRATION_SAMPLES: '8', CALIBRATION_RANGE: '-2,2' };
    const run = calibrate(FC, path.join(SCRIPTS, 'synthetic.mjs'), env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/calibrated 4 tensors on 8 samples/);
    expectPlausible(run.ranges!, FC_TENSORS);
    const x = run.ranges!.X!;
    expect(x.min).toBeGreaterThanOrEqual(-2);
    expect(x.max).toBeLessThanOrEqual(2);
    expect(x.max - x.min).toBeGreaterThan(3);
    expect(calibrate(FC, path.join(SCRIPTS, 'synthetic.mjs'), env).ranges).toEqual(run.ranges);
  }, 60_000);

  test('binary-records.mjs: records after a header, streamed; --calibration_samples stops early; a torn record is an error', () => {
    const data = rows(20);
    const file = path.join(dir, 'records.f32');
    const header = Buffer.from('HEADER..16 bytes');
    const body = Buffer.alloc(data.length * 4);
    data.forEach((v, i) => body.writeFloatLE(v, i * 4));
    writeFileSync(file, Buffer.concat([header, body]));
    const env = { CALIBRATION_DATA: file, CALIBRATION_SHAPE: '1,784', CALIBRATION_HEADER_BYTES: '16' };
    const script = path.join(SCRIPTS, 'binary-records.mjs');

    const all = calibrate(FC, script, env);
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/calibrated 4 tensors on 20 samples/);
    expectPlausible(all.ranges!, FC_TENSORS);
    expect(all.ranges!.X).toEqual(minMax(data));
    const npy = path.join(dir, 'records.npy');
    writeFileSync(npy, writeNpy({ dtype: 'float32', shape: [20, 784], data }));
    expect(calibrate(FC, npy, {}).ranges).toEqual(all.ranges);

    const first = calibrate(FC, script, env, ['--calibration_samples', '5']);
    expect(first.stdout).toMatch(/on 5 samples/);
    expect(first.ranges!.X).toEqual(minMax(data.subarray(0, 5 * 784)));

    const torn = path.join(dir, 'torn.f32');
    writeFileSync(torn, body.subarray(0, body.length - 8));
    const failed = calibrate(FC, script, { ...env, CALIBRATION_DATA: torn, CALIBRATION_HEADER_BYTES: '0' });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/torn\.f32: 62712 bytes after the header is not a whole number of 3136-byte records/);
  }, 60_000);
});

/**
 * Calibration end to end. minmax ranges measured by our executor over a representative dataset
 * must equal (to float32 precision) the min/max of the same tensors computed by tfjs running the
 * source GraphDef on the same samples.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { calibrateModel } from '../../src/api/calibrate.js';
import { convertGraphDef } from '../../src/api/convert.js';
import { loadGraphDef } from '../harness/tfjs-graphdef.js';
import { runCli } from '../helpers/cli.js';
import { modelPath, readModel } from '../helpers/fixtures.js';

const dir = mkdtempSync(path.join(tmpdir(), 'tflite-calibrate-'));

/** A dataset script: `count` deterministic samples of `size` values (a smooth, signed pattern). */
function datasetScript(name: string, size: number, count: number): string {
  const file = path.join(dir, name);
  writeFileSync(
    file,
    `export default function* () {\n  for (let i = 0; i < ${count}; i++) yield Float32Array.from({ length: ${size} }, (_, j) => Math.sin(0.37 * i + 0.011 * j) * (1 + (j % 7) / 7));\n}\n`,
  );
  return file;
}

function samplesOf(size: number, count: number): Float32Array[] {
  return Array.from({ length: count }, (_, i) => Float32Array.from({ length: size }, (_, j) => Math.sin(0.37 * i + 0.011 * j) * (1 + (j % 7) / 7)));
}

const CASES = [
  { file: 'tensorflow_onnx/fc-layers/frozen.pb', input: 'X', shape: [1, 784] },
  { file: 'utensor_cgen/deep_cnn/cifar10_cnn.pb', input: 'Placeholder', shape: [1, 32, 32, 3] },
  { file: 'utensor_cgen/deep_mlp/simple_mnist.pb', input: 'x', shape: [10, 784] },
];

describe('minmax ranges equal tfjs min/max over the same samples', () => {
  test.each(CASES)('$file', async ({ file, input, shape }) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const count = 6;
    const pb = readModel(file);
    const { model } = convertGraphDef(pb, file, { inputArrays: [input], inputShapes: [shape] });
    const { ranges, samples } = await calibrateModel(model, { dataset: datasetScript(`${path.basename(path.dirname(file))}.mjs`, size, count) });
    expect(samples).toBe(count);

    const runner = await loadGraphDef(pb);
    try {
      const tfNodes = new Set(runner.nodes.map((n) => n.name));
      const names = Object.keys(ranges).filter((n) => tfNodes.has(n));
      expect(names.length).toBeGreaterThanOrEqual(3);
      const ref = new Map(names.map((n) => [n, { min: Infinity, max: -Infinity }]));
      for (const x of samplesOf(size, count)) {
        const outs = await runner.run({ [input]: { dtype: 'float32', shape, data: x } }, names);
        outs.forEach((o, i) => {
          const r = ref.get(names[i]!)!;
          for (const v of o.data) {
            r.min = Math.min(r.min, v);
            r.max = Math.max(r.max, v);
          }
        });
      }
      for (const name of names) {
        const ours = ranges[name]!;
        const theirs = ref.get(name)!;
        const scale = Math.max(Math.abs(theirs.min), Math.abs(theirs.max), 1e-6);
        expect(Math.abs(ours.min - theirs.min) / scale, `${name} min`).toBeLessThanOrEqual(1e-5);
        expect(Math.abs(ours.max - theirs.max) / scale, `${name} max`).toBeLessThanOrEqual(1e-5);
      }
    } finally {
      runner.dispose();
    }
  }, 60_000);
});

describe('the calibration command line', () => {
  const FC = modelPath('tensorflow_onnx/fc-layers/frozen.pb');

  test('--calibration_output writes ranges keyed by the .tflite tensor names; --calibration_input overrides them', () => {
    const ds = datasetScript('cli.mjs', 784, 4);
    const out = path.join(dir, 'ranges.json');
    const first = runCli([FC, '-o', path.join(dir, 'a.tflite'), '--representative_dataset', ds, '--calibration_output', out]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/calibrated 4 tensors on 4 samples/);
    const ranges = JSON.parse(readFileSync(out, 'utf8')) as Record<string, { min: number; max: number }>;
    expect(Object.keys(ranges)).toEqual(['X', 'model/dense/Relu', 'model/dense_1/Relu', 'output']);
    expect(ranges['model/dense/Relu']!.min).toBe(0);

    const override = path.join(dir, 'override.json');
    writeFileSync(override, JSON.stringify({ output: { min: -100, max: 100 } }));
    const out2 = path.join(dir, 'ranges2.json');
    expect(runCli([FC, '-o', path.join(dir, 'b.tflite'), '--representative-data', ds, '--calibration_input', override, '--calibration_output', out2]).code).toBe(0);
    const merged = JSON.parse(readFileSync(out2, 'utf8')) as typeof ranges;
    expect(merged.output).toEqual({ min: -100, max: 100 });
    expect(merged['model/dense/Relu']).toEqual(ranges['model/dense/Relu']);
  });

  test('moving_average differs from minmax and stays inside it', () => {
    const ds = datasetScript('ema.mjs', 784, 8);
    const a = path.join(dir, 'mm.json');
    const b = path.join(dir, 'ema.json');
    expect(runCli([FC, '-o', path.join(dir, 'c.tflite'), '--representative_dataset', ds, '--calibration_output', a]).code).toBe(0);
    expect(runCli([FC, '-o', path.join(dir, 'd.tflite'), '--representative_dataset', ds, '--calibration_method', 'moving_average', '--calibration_output', b]).code).toBe(0);
    const mm = JSON.parse(readFileSync(a, 'utf8')) as Record<string, { min: number; max: number }>;
    const ema = JSON.parse(readFileSync(b, 'utf8')) as typeof mm;
    expect(ema.output!.max).toBeLessThan(mm.output!.max);
    expect(ema.output!.min).toBeGreaterThan(mm.output!.min);
  });

  test.each([
    [['--calibration_output', 'x.json'], /--calibration_output needs --representative_dataset/],
    [['--representative_dataset', 'random', '--calibration_method', 'kl'], /--calibration_method kl is not supported/],
    [['--representative_dataset', 'nope.mjs'], /nope\.mjs: representative dataset not found/],
    [['--representative_dataset', 'random', '--calibration_samples', '0'], /--calibration_samples must be a positive whole number/],
  ])('%j is a usage error', (flags, message) => {
    const result = runCli([FC, '-o', path.join(dir, 'e.tflite'), ...flags], dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});

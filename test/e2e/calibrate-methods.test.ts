/**
 * The histogram calibration methods through the command line, on the fc-layers model with a
 * heavy-tailed dataset (Laplace values, and one outlier of 60 in one sample). Every method's
 * ranges must lie inside the minmax ranges (which calibrate.test.ts checks against tfjs); on the
 * input tensor, whose values the test knows, the percentile cut and the int8 error of the mse
 * range are checked against the raw data directly.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { int8Mse } from '../helpers/compare.js';
import { modelPath } from '../helpers/fixtures.js';

type Ranges = Record<string, { min: number; max: number }>;

const FC = modelPath('tensorflow_onnx/fc-layers/frozen.pb');
const OUTLIER = 60;
const dir = mkdtempSync(path.join(tmpdir(), 'tflite-calibrate-methods-'));
const dataset = path.join(dir, 'laplace.mjs');
writeFileSync(
  dataset,
  `// 24 samples of 784 Laplace(1) values from a seeded generator (mulberry32); one outlier.
export default function* () {
  let a = 7;
  const r = () => { a = (a + 0x6d2b79f5) >>> 0; let t = a; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
  for (let i = 0; i < 24; i++) {
    const x = Float32Array.from({ length: 784 }, () => { const u = r() - 0.5; return -Math.sign(u) * Math.log(1 - 2 * Math.abs(u)); });
    if (i === 5) x[100] = ${OUTLIER};
    yield x;
  }
}
`,
);

function calibrateWith(name: string, flags: string[]): Ranges {
  const out = path.join(dir, `${name}.json`);
  const result = runCli([FC, '-o', path.join(dir, `${name}.tflite`), '--representative_dataset', dataset, '--calibration_output', out, ...flags]);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(readFileSync(out, 'utf8')) as Ranges;
}

describe('--calibration_method percentile | entropy | mse', () => {
  const runs: Record<string, Ranges> = {};
  let input = new Float32Array(0);

  beforeAll(async () => {
    runs.minmax = calibrateWith('minmax', []);
    runs.percentile = calibrateWith('percentile', ['--calibration_method', 'percentile']);
    runs.p100 = calibrateWith('p100', ['--calibration_method', 'percentile', '--calibration_percentile', '100']);
    runs['p99.9'] = calibrateWith('p99.9', ['--calibration-method', 'percentile', '--calibration-percentile', '99.9']);
    runs.p99 = calibrateWith('p99', ['--calibration_method', 'percentile', '--calibration_percentile', '99']);
    runs.entropy = calibrateWith('entropy', ['--calibration_method', 'entropy']);
    runs.mse = calibrateWith('mse', ['--calibration_method', 'mse']);
    const generator = (await import(pathToFileURL(dataset).href)) as { default: () => Iterable<Float32Array> };
    const samples = [...generator.default()];
    input = new Float32Array(samples.length * 784);
    samples.forEach((s, i) => input.set(s, i * 784));
  }, 120_000);

  test('every method gives a range for every tensor, inside the minmax range; ReLU outputs keep min 0', () => {
    const minmax = runs.minmax!;
    expect(Object.keys(minmax)).toEqual(['X', 'model/dense/Relu', 'model/dense_1/Relu', 'output']);
    for (const [method, ranges] of Object.entries(runs)) {
      expect(Object.keys(ranges), method).toEqual(Object.keys(minmax));
      for (const [name, range] of Object.entries(ranges)) {
        expect(range.min, `${method} ${name}`).toBeGreaterThanOrEqual(minmax[name]!.min);
        expect(range.max, `${method} ${name}`).toBeLessThanOrEqual(minmax[name]!.max);
        expect(range.min, `${method} ${name}`).toBeLessThan(range.max);
        if (name.endsWith('Relu')) expect(range.min, `${method} ${name}`).toBe(0);
      }
    }
  });

  test('percentiles: 100 is minmax; lower percentiles give nested ranges; the cut matches the raw input', () => {
    expect(runs.p100).toEqual(runs.minmax);
    const order = ['p99', 'p99.9', 'percentile', 'minmax'];
    for (const name of Object.keys(runs.minmax!)) {
      for (let i = 1; i < order.length; i++) {
        const inner = runs[order[i - 1]!]![name]!;
        const outer = runs[order[i]!]![name]!;
        expect(inner.min, `${order[i - 1]} ⊆ ${order[i]} on ${name}`).toBeGreaterThanOrEqual(outer.min);
        expect(inner.max, `${order[i - 1]} ⊆ ${order[i]} on ${name}`).toBeLessThanOrEqual(outer.max);
      }
    }
    // On the input, count what each range clips: at most (100 - p)/2 % per tail, and not far less.
    for (const [run, p] of [['p99', 99], ['p99.9', 99.9]] as const) {
      const { min, max } = runs[run]!.X!;
      const below = input.filter((v) => v < min).length / input.length;
      const above = input.filter((v) => v > max).length / input.length;
      for (const share of [below, above]) {
        expect(share, run).toBeLessThanOrEqual((100 - p) / 200);
        expect(share, run).toBeGreaterThan((100 - p) / 400);
      }
    }
  });

  test('on the input, entropy and percentile 99.9 clip the outlier; mse keeps most of one lone outlier', () => {
    const x = (run: string) => runs[run]!.X!;
    expect(x('minmax').max).toBe(OUTLIER);
    expect(x('entropy').max).toBeLessThan(0.25 * OUTLIER);
    expect(x('p99.9').max).toBeLessThan(0.25 * OUTLIER);
    // One value of 60 among 18,816: its squared clipping error outweighs the rounding error that a
    // narrower range saves on all the others, so the error-minimizing range stays wide.
    expect(x('mse').max).toBeGreaterThan(0.5 * OUTLIER);
    expect(x('entropy').max).toBeLessThan(x('mse').max);
  });

  test('on the input, the mse range has the smallest real int8 error of all ranges, as small as a brute-force search', () => {
    const mse = int8Mse(input, runs.mse!.X!);
    for (const [method, ranges] of Object.entries(runs)) expect(mse, method).toBeLessThanOrEqual(int8Mse(input, ranges.X!) * 1.0001);
    const { min, max } = runs.minmax!.X!;
    let best = Infinity;
    for (let t = 1; t <= OUTLIER; t += 0.1) best = Math.min(best, int8Mse(input, { min: Math.max(min, -t), max: Math.min(max, t) }));
    expect(mse).toBeLessThanOrEqual(best * 1.01);
  });

  test.each([
    [['--calibration_method', 'percentile', '--calibration_percentile', '0'], /--calibration_percentile 0 is not in \(0, 100\]/],
    [['--calibration_method', 'percentile', '--calibration_percentile', '100.5'], /--calibration_percentile 100.5 is not in \(0, 100\]/],
    [['--calibration_percentile', '99'], /--calibration_percentile needs --calibration_method percentile/],
    [['--calibration_method', 'kl'], /--calibration_method kl is not supported \(minmax, moving_average, percentile, entropy, mse\)/],
  ])('%j is a usage error', (flags, message) => {
    const result = runCli([FC, '-o', path.join(dir, 'bad.tflite'), '--representative_dataset', 'random', ...flags], dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});

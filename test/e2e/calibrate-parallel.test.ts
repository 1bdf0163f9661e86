/**
 * Calibration on worker threads gives exactly the ranges of one thread: minmax merges by min and
 * max, the histogram methods by adding aligned counts. Both ways a worker can be started are run:
 * from the TypeScript sources (this vitest process: a bootstrap registers tsx in the worker)
 * and from the compiled dist/ (a child node process running dist/src/api/calibrate-worker.js).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { calibrateModel, calibrationWorkers } from '../../src/api/calibrate.js';
import { convertGraphDef } from '../../src/api/convert.js';
import { calibrate, calibrationThreads, type CalibrateOptions } from '../../src/calibrate/calibrate.js';
import { loadCalibrationDataset } from '../../src/calibrate/dataset.js';
import type { CalibrationMethod } from '../../src/calibrate/ranges.js';
import type { Model } from '../../src/ir/graph.js';
import type { Value } from '../../src/kernels/value.js';
import { REGISTRY } from '../../src/ops/registry.js';
import { DatasetError } from '../../src/util/errors.js';
import { MODELS_DIR, REPO_ROOT } from '../helpers/fixtures.js';

const CIFAR = path.join(MODELS_DIR, 'utensor_cgen/deep_cnn/cifar10_cnn.pb');

function samplesOf(count: number, poison = -1): Value[][] {
  let s = 7;
  const next = () => ((s = (s * 1103515245 + 12345) >>> 0), s / 2 ** 32);
  return Array.from({ length: count }, (_, i) => {
    const data = Float32Array.from({ length: 32 * 32 * 3 }, () => next() * 4 - 2);
    if (i === poison) data[5] = NaN;
    return [{ dtype: 'float32', shape: [1, 32, 32, 3], data }];
  });
}

async function* stream(samples: Value[][]): AsyncGenerator<Value[]> {
  yield* samples;
}

async function ranges(model: Model, samples: Value[][], options: CalibrateOptions) {
  const result = await calibrate(model, REGISTRY, stream(samples), options);
  return { workers: result.workers, samples: result.samples, ranges: Object.fromEntries([...result.ranges].map(([t, r]) => [t.name, r])) };
}

describe('calibration on worker threads', () => {
  let model: Model;
  beforeAll(() => {
    model = convertGraphDef(readFileSync(CIFAR), CIFAR, { inputShapes: [[1, 32, 32, 3]] }).model;
  });

  test.each<CalibrationMethod>(['minmax', 'percentile', 'entropy'])('%s: 2 workers (from the TS sources) = 1 thread, exactly', async (method) => {
    const samples = samplesOf(24);
    const single = await ranges(model, samples, { method, threads: 1 });
    const workers = calibrationWorkers(model)!;
    expect(workers).not.toBeNull();
    // Only the workers run samples, so the merge is really exercised.
    const parallel = await ranges(model, samples, { method, threads: 2, workers, parallelAfterMs: 0, runOnThisThread: false });
    expect(single.workers).toBe(0);
    // Only workers run samples here; under load the first one up may take them all, so at least
    // one (usually both) — the ranges must equal the single-threaded ones either way.
    expect(parallel.workers).toBeGreaterThanOrEqual(1);
    expect(parallel.samples).toBe(24);
    expect(Object.keys(single.ranges).length).toBeGreaterThan(10);
    expect(parallel.ranges).toEqual(single.ranges);
  }, 120_000);

  test('this thread and the workers sharing the samples also give the single-threaded ranges', async () => {
    const samples = samplesOf(40);
    const single = await ranges(model, samples, { threads: 1 });
    const mixed = await ranges(model, samples, { threads: 2, workers: calibrationWorkers(model)!, parallelAfterMs: 0 });
    expect(mixed.ranges).toEqual(single.ranges);
  }, 120_000);

  test('a NaN in a worker stops calibration with a DatasetError naming the sample', async () => {
    const run = ranges(model, samplesOf(6, 4), { threads: 2, workers: calibrationWorkers(model)!, parallelAfterMs: 0, runOnThisThread: false });
    await expect(run).rejects.toThrow(DatasetError);
    await expect(run).rejects.toThrow(/sample 4: tensor "[^"]+" has a NaN value/);
  }, 120_000);

  test('image folders: the workers decode their own images; same ranges as one thread, a corrupt image named', async () => {
    const images = mkdtempSync(path.join(tmpdir(), 'calibrate-parallel-images-'));
    try {
      for (let i = 0; i < 12; i++) {
        const png = new PNG({ width: 40, height: 36 });
        for (let p = 0; p < png.data.length; p++) png.data[p] = (p * (i + 3) * 37) % 256;
        writeFileSync(path.join(images, `img${String(i).padStart(2, '0')}.png`), PNG.sync.write(png));
      }
      const inputs = [{ name: model.main.inputs[0]!.name, dtype: 'float32' as const, shape: [1, 32, 32, 3] }];
      const dataset = () => loadCalibrationDataset(images, inputs, { inputRange: [-1, 1] });
      const run = async (options: CalibrateOptions) => {
        const result = await calibrate(model, REGISTRY, dataset(), options);
        return { workers: result.workers, ranges: Object.fromEntries([...result.ranges].map(([t, r]) => [t.name, r])) };
      };
      // The samples reach calibrate() undecoded: a worker can make them from the file name alone.
      const first = (await dataset().next()).value!;
      expect(Array.isArray(first)).toBe(false);
      expect(structuredClone(first)).toEqual(first);
      const single = await run({ threads: 1 });
      const parallel = await run({ threads: 2, workers: calibrationWorkers(model)!, parallelAfterMs: 0, runOnThisThread: false });
      expect(parallel.workers).toBeGreaterThanOrEqual(1);
      expect(parallel.ranges).toEqual(single.ranges);
      // A corrupt image, decoded by a worker: a DatasetError naming that image file.
      writeFileSync(path.join(images, 'img05.png'), readFileSync(path.join(images, 'img04.png')).subarray(0, 60));
      const err = await run({ threads: 2, workers: calibrationWorkers(model)!, parallelAfterMs: 0, runOnThisThread: false }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DatasetError);
      expect((err as DatasetError).file).toBe(path.join(images, 'img05.png'));
      expect((err as DatasetError).message).toMatch(/^cannot decode the image: /);
    } finally {
      rmSync(images, { recursive: true, force: true });
    }
  }, 120_000);

  test('workers that cannot start leave the samples to this thread', async () => {
    const samples = samplesOf(5);
    const single = await ranges(model, samples, { threads: 1 });
    const missing = { module: new URL('./no-such-worker.js', import.meta.url), data: () => new Uint8Array(0) };
    const result = await ranges(model, samples, { threads: 2, workers: missing, parallelAfterMs: 0, runOnThisThread: false });
    expect(result.workers).toBe(0);
    expect(result.ranges).toEqual(single.ranges);
  }, 60_000);

  test('moving_average stays on one thread; threads come from the option or the environment', async () => {
    const result = await ranges(model, samplesOf(4), { method: 'moving_average', threads: 2, workers: calibrationWorkers(model)!, parallelAfterMs: 0 });
    expect(result.workers).toBe(0);
    expect(calibrationThreads(3)).toBe(3);
    const saved = process.env.TFLITE_CONVERT_CALIBRATION_THREADS;
    try {
      process.env.TFLITE_CONVERT_CALIBRATION_THREADS = '1';
      expect(calibrationThreads(undefined)).toBe(1);
      process.env.TFLITE_CONVERT_CALIBRATION_THREADS = 'two';
      expect(() => calibrationThreads(undefined)).toThrow(/positive integer/);
    } finally {
      if (saved === undefined) delete process.env.TFLITE_CONVERT_CALIBRATION_THREADS;
      else process.env.TFLITE_CONVERT_CALIBRATION_THREADS = saved;
    }
  });

  test('calibrateModel with threads: 1 never starts a worker', async () => {
    const report = await calibrateModel(model, { dataset: 'random', maxSamples: 3, threads: 1 });
    expect(report.samples).toBe(3);
  });
});

test('the compiled worker (dist/) gives the single-threaded ranges too', () => {
  // A child node process on the build `npm test` makes first (tsc), as users run it.
  const dist = (module: string) => pathToFileURL(path.join(REPO_ROOT, 'dist/src', `${module}.js`)).href;
  const script = `
    import { readFileSync } from 'node:fs';
    import { convertGraphDef } from '${dist('api/convert')}';
    import { calibrationWorkers } from '${dist('api/calibrate')}';
    import { calibrate } from '${dist('calibrate/calibrate')}';
    import { REGISTRY } from '${dist('ops/registry')}';
    const model = convertGraphDef(readFileSync(${JSON.stringify(CIFAR)}), 'cifar.pb', { inputShapes: [[1, 32, 32, 3]] }).model;
    const samples = Array.from({ length: 12 }, (_, i) => [{ dtype: 'float32', shape: [1, 32, 32, 3], data: Float32Array.from({ length: 3072 }, (_, j) => Math.sin(i * 3072 + j)) }]);
    async function* stream() { yield* samples; }
    const run = async (options) => { const r = await calibrate(model, REGISTRY, stream(), options); return { workers: r.workers, ranges: Object.fromEntries([...r.ranges].map(([t, v]) => [t.name, v])) }; };
    const single = await run({ threads: 1 });
    const workers = calibrationWorkers(model);
    const parallel = await run({ threads: 2, workers, parallelAfterMs: 0, runOnThisThread: false });
    console.log(JSON.stringify({ module: workers.module.href, workers: parallel.workers, equal: JSON.stringify(single.ranges) === JSON.stringify(parallel.ranges), count: Object.keys(single.ranges).length }));
  `;
  const dir = mkdtempSync(path.join(tmpdir(), 'calibrate-parallel-'));
  const file = path.join(dir, 'run.mjs');
  writeFileSync(file, script);
  const child = spawnSync(process.execPath, [file], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
  rmSync(dir, { recursive: true, force: true });
  expect(child.stderr).toBe('');
  const result = JSON.parse(child.stdout.trim()) as { module: string; workers: number; equal: boolean; count: number };
  expect(result.module).toMatch(/\/dist\/src\/api\/calibrate-worker\.js$/);
  expect(result.equal).toBe(true);
  expect(result.workers).toBeGreaterThanOrEqual(1);
  expect(result.count).toBeGreaterThan(10);
}, 60_000);

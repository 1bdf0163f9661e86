/**
 * Calibration from the API and the CLI: a representative dataset run through the converted float
 * model, ranges written to or read from a JSON file keyed by the .tflite's tensor names
 * (`{"<tensor>": {"min": x, "max": y}}`). Ranges in a --calibration_input file win over measured
 * ones (TOCO's arrays_extra_info, ONNX Runtime's TensorQuantOverrides).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { activationTensors, calibrate, type CalibrationWorkers } from '../calibrate/calibrate.js';
import { loadCalibrationDataset, loadDataset } from '../calibrate/dataset.js';
import { lstmInternalRangeNames } from '../calibrate/lstm-internals.js';
import type { CalibrationMethod, TensorRange } from '../calibrate/ranges.js';
import type { InputSpec } from '../calibrate/samples.js';
import type { Model } from '../ir/graph.js';
import type { Value } from '../kernels/value.js';
import { writeTflite } from '../export/tflite.js';
import { REGISTRY } from '../ops/registry.js';
import { DatasetError, InterruptedError, UsageError } from '../util/errors.js';

export { CALIBRATION_METHODS, DEFAULT_PERCENTILE, type CalibrationMethod, type TensorRange } from '../calibrate/ranges.js';

export interface CalibrationOptions {
  /** A dataset source: script, .npy or .npz file, folder of .npy files or images, or `random`. */
  dataset?: string | undefined;
  maxSamples?: number | undefined;
  method?: CalibrationMethod | undefined;
  /** For method `percentile`: the share of values kept, in (0, 100], half the rest cut from each tail (default 99.99). */
  percentile?: number | undefined;
  /** Range of `random` data; for images, the range pixel values 0..255 map onto. */
  inputRange?: [number, number] | undefined;
  /** Images only: (pixel - mean) / std, one value or one per channel (TF's --mean_values). */
  meanValues?: number[] | undefined;
  stdDevValues?: number[] | undefined;
  /** A ranges JSON file to reuse (alone) or to override measured ranges with. */
  rangesFile?: string | undefined;
  notice?: ((message: string) => void) | undefined;
  onProgress?: ((samples: number) => void) | undefined;
  /** Stops calibration between samples (Ctrl-C in the CLI); it then throws InterruptedError. */
  signal?: AbortSignal | undefined;
}

export interface CalibrationReport {
  /** Tensor name → range, for every float activation of the model. */
  ranges: Record<string, TensorRange>;
  samples: number;
}

/**
 * How calibration workers get the model: as the .tflite bytes (written only when workers start),
 * read back by calibrate-worker. Compiled, the worker is calibrate-worker.js beside this file.
 * Run from the TypeScript sources (vitest, tsx), Node cannot load calibrate-worker.ts by itself:
 * a data: URL bootstrap registers tsx's loader in the worker first (--import in a worker's
 * execArgv does not apply loader hooks there on Node 20). Null when neither is possible, which
 * keeps calibration on the calling thread.
 */
export function calibrationWorkers(model: Model): CalibrationWorkers | null {
  const here = import.meta.url;
  const data = () => writeTflite(model);
  if (!here.endsWith('.ts')) return { module: new URL('./calibrate-worker.js', here), data };
  const tsx = tsxApiUrl(here);
  if (tsx === null) return null;
  const worker = new URL('./calibrate-worker.ts', here).href;
  const bootstrap = `const { register } = await import(${JSON.stringify(tsx)}); register(); await import(${JSON.stringify(worker)});`;
  return { module: new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`), data };
}

/** The file URL of tsx's ESM register API, from its package.json's exports; null without tsx. */
function tsxApiUrl(from: string): string | null {
  try {
    const require = createRequire(from);
    const manifest = require.resolve('tsx/package.json');
    const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { exports?: Record<string, { import?: { default?: string } } | string> };
    const entry = pkg.exports?.['./esm/api'];
    const file = typeof entry === 'object' ? entry.import?.default : undefined;
    return file === undefined ? null : pathToFileURL(path.join(path.dirname(manifest), file)).href;
  } catch {
    return null;
  }
}

function inputSpecs(model: Model): InputSpec[] {
  return model.main.inputs.map((t) => {
    if (t.dtype === null || t.shape === null || t.shape.some((d) => d < 0)) {
      throw new UsageError(`input "${t.name}" needs a static shape and dtype to be calibrated`);
    }
    return { name: t.name, dtype: t.dtype, shape: t.shape };
  });
}

/**
 * The dataset's samples as the float model's input values, at most `limit` of them (the
 * quantization debugger replays the calibration data this way).
 */
export function datasetSamples(model: Model, options: CalibrationOptions, limit?: number): AsyncGenerator<Value[]> {
  if (options.dataset === undefined) throw new UsageError('the quantization debugger needs --representative_dataset');
  const maxSamples = limit === undefined ? options.maxSamples : Math.min(limit, options.maxSamples ?? limit);
  return counted(stopOnAbort(loadDataset(options.dataset, inputSpecs(model), { ...options, maxSamples }), options.signal), options.onProgress);
}

/** The samples, reporting how many have been taken after each one. */
async function* counted<T>(samples: AsyncIterable<T>, onProgress: ((n: number) => void) | undefined): AsyncGenerator<T> {
  let n = 0;
  for await (const sample of samples) {
    yield sample;
    onProgress?.(++n);
  }
}

export function readRangesFile(file: string): Record<string, TensorRange> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`cannot read ranges (${err instanceof Error ? err.message : String(err)})`, { file });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new UsageError('ranges file must hold one JSON object', { file });
  const ranges: Record<string, TensorRange> = {};
  for (const [name, range] of Object.entries(json as Record<string, unknown>)) {
    const r = range as Partial<TensorRange> | null;
    if (typeof r?.min !== 'number' || typeof r.max !== 'number' || !(r.min <= r.max)) {
      throw new UsageError(`tensor "${name}": a range needs numbers "min" <= "max"`, { file });
    }
    ranges[name] = { min: r.min, max: r.max };
  }
  return ranges;
}

/** Passes samples through until the signal fires, then stops with InterruptedError. */
async function* stopOnAbort<T>(samples: AsyncIterable<T>, signal: AbortSignal | undefined): AsyncGenerator<T> {
  for await (const sample of samples) {
    if (signal?.aborted) throw new InterruptedError('interrupted: calibration stopped, nothing was written');
    yield sample;
  }
  if (signal?.aborted) throw new InterruptedError('interrupted: calibration stopped, nothing was written');
}

export async function calibrateModel(model: Model, options: CalibrationOptions): Promise<CalibrationReport> {
  const fromFile = options.rangesFile === undefined ? {} : readRangesFile(options.rangesFile);
  // Besides activations, a ranges file may give the LSTM internal ranges calibration records.
  const known = new Set([...[...activationTensors(model)].map((t) => t.name), ...lstmInternalRangeNames(model)]);
  const unknown = Object.keys(fromFile).filter((n) => !known.has(n));
  if (unknown.length > 0) {
    throw new UsageError(`ranges given for tensors the model does not have: ${unknown.slice(0, 5).join(', ')}`, { file: options.rangesFile });
  }
  if (options.dataset === undefined) {
    if (options.rangesFile === undefined) throw new UsageError('calibration needs --representative_dataset or --calibration_input');
    return { ranges: fromFile, samples: 0 };
  }
  if (options.percentile !== undefined && options.method !== 'percentile') {
    throw new UsageError(`a percentile applies to calibration method percentile, not ${options.method ?? 'minmax'}`);
  }
  if (options.percentile !== undefined && !(options.percentile > 0 && options.percentile <= 100)) {
    throw new UsageError(`percentile ${options.percentile} is not in (0, 100]`);
  }
  const samples = stopOnAbort(loadCalibrationDataset(options.dataset, inputSpecs(model), options), options.signal);
  let result;
  try {
    result = await calibrate(model, REGISTRY, samples, { ...options, workers: calibrationWorkers(model) ?? undefined });
  } catch (err) {
    if (err instanceof DatasetError && err.file === undefined) throw new DatasetError(err.message, { file: options.dataset, cause: err });
    throw err;
  }
  const ranges: Record<string, TensorRange> = {};
  for (const [tensor, range] of result.ranges) ranges[tensor.name] = { min: range.min, max: range.max };
  for (const [name, range] of result.internalRanges) ranges[name] = { min: range.min, max: range.max };
  return { ranges: { ...ranges, ...fromFile }, samples: result.samples };
}

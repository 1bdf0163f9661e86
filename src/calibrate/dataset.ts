/**
 * Representative datasets: where calibration samples come from. A source is
 * - a JS or TS module (.js .mjs .cjs .ts .mts .cts) whose default export is an (async)
 *   generator function, an (async) iterable, or an array of samples (TypeScript runs through
 *   tsx, no build step);
 * - a .npy file (first axis = samples; single-input models) or a folder of .npy files, one per
 *   input, named after the input (`/` and `:` in names written as `_`);
 * - a .npz archive (numpy.savez / savez_compressed) keyed by input name, same layout;
 * - a folder of JPEG/PNG images, for one-image-input models (images.ts preprocesses them);
 * - `random`: uniform values in a range, for smoke tests only (ranges will be wrong).
 * Every sample goes through normalizeSample, so all sources are checked the same way.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { makeValue, type Value } from '../kernels/value.js';
import { DatasetError, UsageError } from '../util/errors.js';
import { imageFiles, imageSamples, type ImagePreprocessing, type ImageSample } from './images.js';
import { readNpy } from './npy.js';
import { readNpz } from './npz.js';
import { normalizeSample, sampleValues, type CalibrationSample, type InputSpec } from './samples.js';

export interface DatasetOptions extends ImagePreprocessing {
  /** At most this many samples (TFLite's num_calibration_steps). */
  maxSamples?: number | undefined;
  /** Range of `random` samples, and what image pixels 0..255 map onto. */
  inputRange?: [number, number] | undefined;
  notice?: ((message: string) => void) | undefined;
}

/** Samples a generator may yield when no limit is given: "all", but an endless one must stop. */
export const DEFAULT_GENERATOR_SAMPLES = 100;

const MODULE_EXTENSIONS = new Set(['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts']);

/** The samples of a dataset, as one Value per model input each. */
export async function* loadDataset(source: string, inputs: readonly InputSpec[], options: DatasetOptions = {}): AsyncGenerator<Value[]> {
  for await (const sample of loadCalibrationDataset(source, inputs, options)) yield sampleValues(sample);
}

/**
 * The samples of a dataset for calibrate(): like loadDataset, except that images stay
 * undecoded (DeferredSample) until a thread runs them, so calibration workers decode their own.
 */
export async function* loadCalibrationDataset(source: string, inputs: readonly InputSpec[], options: DatasetOptions = {}): AsyncGenerator<CalibrationSample> {
  if (source === 'random') {
    yield* randomSamples(inputs, options);
    return;
  }
  if (!existsSync(source)) throw new UsageError(`representative dataset not found`, { file: source });
  let produced = 0;
  for await (const raw of rawSamples(source, inputs, options)) {
    yield raw instanceof ImageItem ? { deferred: raw.sample, inputs: inputs.slice(), index: produced } : normalizeSample(raw, inputs, produced);
    produced++;
  }
  if (produced === 0) throw new DatasetError('the representative dataset yielded no samples', { file: source });
}

/** An image of a folder dataset, as rawSamples yields it (a class of ours: no script can yield one). */
class ImageItem {
  constructor(readonly sample: ImageSample) {}
}

async function* rawSamples(source: string, inputs: readonly InputSpec[], options: DatasetOptions): AsyncGenerator<unknown> {
  const ext = path.extname(source).toLowerCase();
  const isDirectory = statSync(source).isDirectory();
  const images = isDirectory ? imageFiles(source) : [];
  if (images.length === 0 && (options.meanValues !== undefined || options.stdDevValues !== undefined)) {
    throw new UsageError('--mean_values/--std_dev_values apply to a folder of images only', { file: source });
  }
  if (isDirectory) yield* folderSamples(source, inputs, images.length > 0, options);
  else if (ext === '.npy') yield* npySamples(readNpyFile(source), options.maxSamples);
  else if (ext === '.npz') yield* npzSamples(source, inputs, options.maxSamples);
  else if (MODULE_EXTENSIONS.has(ext)) yield* moduleSamples(source, options);
  else throw new UsageError(`cannot read a representative dataset from a ${ext || 'extensionless'} file (use .js/.mjs/.ts, .npy, .npz, a folder of .npy files or images, or random)`, { file: source });
}

function* mapGenerator<T, U>(items: Iterable<T>, f: (item: T) => U): Generator<U> {
  for (const item of items) yield f(item);
}

/** A folder holds either one .npy file per input or images; both at once is ambiguous. */
function folderSamples(dir: string, inputs: readonly InputSpec[], hasImages: boolean, options: DatasetOptions): Generator<unknown> {
  const hasNpy = readdirSync(dir).some((f) => f.endsWith('.npy'));
  if (hasNpy && hasImages) throw new DatasetError('the folder holds both .npy files and images; point at a folder of one kind', { file: dir });
  if (hasImages) return mapGenerator(imageSamples(dir, inputs, options), (sample) => new ImageItem(sample));
  if (!hasNpy) throw new DatasetError('the folder holds no .npy files and no .jpg/.jpeg/.png images', { file: dir });
  return npyFolder(dir, inputs, options.maxSamples);
}

function readNpyFile(file: string): Value {
  try {
    return readNpy(readFileSync(file));
  } catch (err) {
    throw new DatasetError(err instanceof Error ? err.message : String(err), { file });
  }
}

/** Splits an array along its first axis: one sample per row. */
function* npySamples(value: Value, max: number | undefined): Generator<Value> {
  const [count = 0, ...rest] = value.shape;
  const per = rest.reduce((a, b) => a * b, 1);
  for (let i = 0; i < Math.min(count, max ?? Infinity); i++) {
    yield { dtype: value.dtype, shape: rest, data: value.data.subarray(i * per, (i + 1) * per) as Value['data'] };
  }
}

function fileNameFor(input: string): string {
  return `${input.replace(/[/:]/g, '_')}.npy`;
}

function* npyFolder(dir: string, inputs: readonly InputSpec[], max: number | undefined): Generator<Value[]> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.npy'));
  const chosen =
    inputs.length === 1 && files.length === 1
      ? [files[0]!]
      : inputs.map((input) => {
          const name = fileNameFor(input.name);
          if (!files.includes(name)) throw new DatasetError(`no ${name} for input "${input.name}" (found: ${files.join(', ') || 'none'})`, { file: dir });
          return name;
        });
  yield* splitTogether(chosen, chosen.map((f) => readNpyFile(path.join(dir, f))), dir, max);
}

/** An .npz archive: an array per input, keyed by the input's name (or its file-safe spelling). */
function* npzSamples(file: string, inputs: readonly InputSpec[], max: number | undefined): Generator<Value[]> {
  let members;
  try {
    members = readNpz(readFileSync(file));
  } catch (err) {
    throw new DatasetError(err instanceof Error ? err.message : String(err), { file, cause: err });
  }
  const keys = members.map((m) => m.key);
  const chosen =
    inputs.length === 1 && members.length === 1
      ? [members[0]!]
      : inputs.map((input) => {
          const member = members.find((m) => m.key === input.name) ?? members.find((m) => `${m.key}.npy` === fileNameFor(input.name));
          if (member === undefined) throw new DatasetError(`no array for input "${input.name}" in the .npz (found: ${keys.join(', ') || 'none'})`, { file });
          return member;
        });
  const arrays = chosen.map((m) => {
    try {
      return m.read();
    } catch (err) {
      throw new DatasetError(err instanceof Error ? err.message : String(err), { file, cause: err });
    }
  });
  yield* splitTogether(chosen.map((m) => m.key), arrays, file, max);
}

/** Samples from one array per input, split along their first axes in step. */
function* splitTogether(labels: string[], arrays: Value[], file: string, max: number | undefined): Generator<Value[]> {
  const counts = arrays.map((a) => a.shape[0] ?? 0);
  if (counts.some((c) => c !== counts[0])) {
    throw new DatasetError(`the arrays hold different sample counts: ${labels.map((f, i) => `${f} ${counts[i]}`).join(', ')}`, { file });
  }
  const splits = arrays.map((a) => npySamples(a, max));
  for (;;) {
    const next = splits.map((s) => s.next());
    if (next.some((n) => n.done)) return;
    yield next.map((n) => n.value as Value);
  }
}

type DatasetExport = (() => Iterable<unknown> | AsyncIterable<unknown>) | Iterable<unknown> | AsyncIterable<unknown>;

function isDataset(x: unknown): x is DatasetExport {
  return (
    typeof x === 'function' ||
    (typeof x === 'object' && x !== null && (Symbol.iterator in x || Symbol.asyncIterator in x))
  );
}

async function importModule(file: string): Promise<Record<string, unknown>> {
  const ext = path.extname(file).toLowerCase();
  const url = pathToFileURL(path.resolve(file)).href;
  if (ext === '.ts' || ext === '.mts' || ext === '.cts') {
    const { tsImport } = await import('tsx/esm/api');
    return (await tsImport(url, import.meta.url)) as Record<string, unknown>;
  }
  return (await import(url)) as Record<string, unknown>;
}

async function* moduleSamples(file: string, options: DatasetOptions): AsyncGenerator<unknown> {
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(file);
  } catch (err) {
    throw new DatasetError(`the dataset script failed to load: ${err instanceof Error ? err.message : String(err)}`, { file, cause: err });
  }
  // CommonJS and transpiled TS modules put the export one level down.
  const candidates = [mod.default, (mod.default as Record<string, unknown> | undefined)?.default];
  const exported = candidates.find(isDataset);
  if (exported === undefined) {
    throw new DatasetError('the script has no default export that is a generator function, an iterable or an array', { file });
  }
  const isArray = Array.isArray(exported);
  const limit = options.maxSamples ?? (isArray ? Infinity : DEFAULT_GENERATOR_SAMPLES);
  let source: Iterable<unknown> | AsyncIterable<unknown>;
  try {
    source = typeof exported === 'function' ? exported() : exported;
  } catch (err) {
    throw new DatasetError(`the dataset function threw: ${err instanceof Error ? err.message : String(err)}`, { file, cause: err });
  }
  if (!isDataset(source) || typeof source === 'function') {
    throw new DatasetError('the default export did not return an iterable of samples', { file });
  }
  let count = 0;
  const iterator = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : (source as Iterable<unknown>)[Symbol.iterator]();
  try {
    for (;;) {
      if (count >= limit) {
        if (options.maxSamples === undefined) {
          options.notice?.(`stopped after ${limit} samples of the dataset generator; give --calibration_samples to use more or fewer`);
        }
        return;
      }
      let step: IteratorResult<unknown>;
      try {
        step = await iterator.next();
      } catch (err) {
        throw new DatasetError(`the dataset script threw at sample ${count}: ${err instanceof Error ? err.message : String(err)}`, { file, cause: err });
      }
      if (step.done) return;
      count++;
      yield step.value;
    }
  } finally {
    await iterator.return?.();
  }
}

async function* randomSamples(inputs: readonly InputSpec[], options: DatasetOptions): AsyncGenerator<Value[]> {
  const [lo, hi] = options.inputRange ?? [0, 1];
  options.notice?.(`calibrating on RANDOM data in [${lo}, ${hi}]: activation ranges will not match real inputs`);
  let seed = 0x2545f491;
  const random = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 4294967296;
  };
  const count = options.maxSamples ?? DEFAULT_GENERATOR_SAMPLES;
  for (let i = 0; i < count; i++) {
    yield inputs.map((spec) => {
      const value = makeValue(spec.dtype, spec.shape.slice());
      const data = value.data as Float32Array;
      for (let j = 0; j < data.length; j++) data[j] = lo + (hi - lo) * random();
      return value;
    });
  }
}

// Test harness: run a .tflite file in Google's LiteRT.js runtime (@litertjs/core, the real TFLite
// kernels compiled to WASM, with XNNPACK) from vitest in Node.
//
// LiteRT.js is written for browsers and web workers. Three things make it usable here:
//  1. Loading. Its loader (@litertjs/wasm-utils) calls `importScripts(url)` when that function
//     exists, expects the script to define `self.ModuleFactory`, and then calls
//     `self.ModuleFactory(self.Module)`. We provide `self` and an `importScripts` that evaluates
//     the emscripten glue with node:vm, handing it `require` and `__dirname` as closure parameters
//     (the glue's Node branch needs them) so that they never become globals.
//  2. Error reporting. The runtime does not throw when tensors cannot be prepared (an unresolved
//     custom op, say) or a kernel fails at invoke time: it prints `ERROR: ...` lines through
//     emscripten's print/printErr and returns uninitialised memory. `self.Module` is passed to the factory, so we install print/printErr
//     hooks there, capture every line of a call and throw when any line is an ERROR.
//  3. Data types. Its JS wrapper only maps float32/int32/uint8; patches/ extends that table with
//     int8/int16/int64/bool (patch-package, see patches/README.md).
//
// Limits of LiteRT.js 2.5.3 that the harness turns into clear errors: models with variable
// tensors (stateful SVDF/LSTM) are rejected at load time, see LiteRtUnsupportedError. Dimensions
// that are -1 in `shape_signature` cannot be resized; the harness pins them to `shape` (what the
// TFLite interpreter allocates when nothing is resized), see pinDynamicShapeSignatures.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import * as flatbuffers from 'flatbuffers';
import {
  getGlobalLiteRt,
  getGlobalLiteRtPromise,
  loadAndCompile,
  loadLiteRt,
  Tensor,
  type CompiledModel,
  type LiteRt,
  type TypedArray as LiteRtTypedArray,
} from '@litertjs/core';
import { Model } from '../../generated/tflite/model.js';
import type { Tensor as FbTensor } from '../../generated/tflite/tensor.js';

/** Typed arrays the harness accepts and returns; `bool` tensors use Uint8Array (0 / 1). */
export type TypedArray = Float32Array | Int32Array | Uint8Array | Int8Array | Int16Array | BigInt64Array;

/** Tensor data types LiteRT.js reports once patched (see patches/README.md). */
export type TfliteDType = 'float32' | 'int32' | 'uint8' | 'int8' | 'int16' | 'int64' | 'bool';

export interface TfliteQuantization {
  scale: number[];
  zeroPoint: number[];
  /** Only meaningful when scale has more than one element (per-channel). */
  quantizedDimension: number;
}

export interface TfliteTensorInfo {
  /** Signature name (SignatureDef key) when the model has a signature, else the tensor name. */
  name: string;
  dtype: TfliteDType;
  /** Static shape as LiteRT.js sees it (after pinning -1 dimensions, see `pinnedDynamicDims`). */
  shape: number[];
  /** From the flatbuffer, when the tensor has quantization parameters. */
  quantization?: TfliteQuantization;
}

export interface TfliteModelDescription {
  /** In the order runTflite expects positional inputs. */
  inputs: TfliteTensorInfo[];
  /** In the order runTflite returns outputs. */
  outputs: TfliteTensorInfo[];
  /** True when some shape_signature had -1 entries that the harness replaced by `shape`. */
  pinnedDynamicDims: boolean;
}

export interface TfliteOutput extends TfliteTensorInfo {
  data: TypedArray;
}

export interface TfliteRunResult {
  inputs: TfliteTensorInfo[];
  /** In the order of LiteRT.js's default signature (signature 0, else subgraph 0's outputs). */
  outputs: TfliteOutput[];
  pinnedDynamicDims: boolean;
  /** Every line the runtime printed during this call (INFO lines included), for debugging. */
  log: string[];
}

/** The runtime reported an error (an `ERROR:` line, or an exception) for this model. */
export class LiteRtError extends Error {
  constructor(
    message: string,
    readonly log: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LiteRtError';
  }
}

/**
 * The model is valid TFLite but LiteRT.js cannot run it (today: variable tensors). Round-trip tests
 * may catch this to skip a model; it is never thrown for a model LiteRT.js merely fails on.
 */
export class LiteRtUnsupportedError extends LiteRtError {
  constructor(
    message: string,
    log: readonly string[],
    readonly reason: 'variable-tensors',
    options?: { cause?: unknown },
  ) {
    super(message, log, options);
    this.name = 'LiteRtUnsupportedError';
  }
}

// ---------------------------------------------------------------------------------------------
// Loading the runtime (once per worker process).

const require = createRequire(import.meta.url);
const coreDir = path.dirname(require.resolve('@litertjs/core/package.json'));
const wasmDir = path.join(coreDir, 'wasm');

// The print hooks live in the WASM module for the life of the process, while this file may be
// evaluated again (vitest re-imports modules per test file when a worker is reused). The hooks
// therefore call whatever sink is registered under this global key at the time they run.
const SINK_KEY = Symbol.for('tflite-convert.test-harness.litert.print-sink');
type PrintSink = (line: string) => void;
interface HarnessGlobals {
  [SINK_KEY]?: PrintSink;
}
const harnessGlobals = globalThis as typeof globalThis & HarnessGlobals;

// The untyped boundary with the emscripten glue and @litertjs/wasm-utils: only these members.
interface EmscriptenModuleArg {
  print: PrintSink;
  printErr: PrintSink;
}
type ModuleFactoryFn = (moduleArg: EmscriptenModuleArg) => Promise<unknown>;
interface BrowserLikeGlobals {
  self?: unknown;
  importScripts?: (url: string) => void;
  ModuleFactory?: ModuleFactoryFn;
  Module?: EmscriptenModuleArg;
}

let runtime: Promise<LiteRt> | undefined;

/** Loads LiteRT.js's WASM runtime; the promise is cached for the worker process. */
export function loadRuntime(): Promise<LiteRt> {
  runtime ??= loadRuntimeUncached().catch((error: unknown) => {
    runtime = undefined; // let a later call retry instead of caching the failure
    throw error;
  });
  return runtime;
}

async function loadRuntimeUncached(): Promise<LiteRt> {
  // Already loaded by an earlier evaluation of this file in the same process: reuse it.
  const existing = getGlobalLiteRtPromise();
  if (existing) return existing;

  const g = globalThis as typeof globalThis & BrowserLikeGlobals;
  const hadSelf = 'self' in g;
  g.self ??= g;
  g.importScripts = (url: string) => {
    const source = readFileSync(url, 'utf8');
    const wrapped = `(function (require, __dirname, __filename) {\n${source}\nreturn ModuleFactory;\n})`;
    const factory = vm.runInThisContext(wrapped, { filename: url }) as (
      req: NodeJS.Require,
      dirname: string,
      filename: string,
    ) => ModuleFactoryFn;
    g.ModuleFactory = factory(require, path.dirname(url), url);
  };
  g.Module = {
    print: (line) => harnessGlobals[SINK_KEY]?.(line),
    printErr: (line) => harnessGlobals[SINK_KEY]?.(line),
  };
  // Environment.create() probes navigator.gpu, which Node 20 lacks, and console.warns about it once.
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].startsWith('Failed to create default WebGPU device')) return;
    warn(...args);
  };
  try {
    // Node 20 has no relaxed SIMD, so this loads wasm/litert_wasm_compat_internal.js.
    return await loadLiteRt(wasmDir);
  } finally {
    console.warn = warn;
    delete g.importScripts;
    delete g.Module; // createWasmLib already reset it; make sure
    if (!hadSelf) delete g.self;
  }
}

// ---------------------------------------------------------------------------------------------
// One model at a time: the captured log must belong to exactly one call.

let queue: Promise<unknown> = Promise.resolve();

function serialised<T>(task: () => Promise<T>): Promise<T> {
  const result = queue.then(task, task);
  queue = result.catch(() => undefined);
  return result;
}

/** Runs `task` with the runtime's output captured; throws LiteRtError on any ERROR line. */
async function withCapturedLog<T>(label: string, task: (log: string[]) => Promise<T>): Promise<T> {
  await loadRuntime();
  const log: string[] = [];
  harnessGlobals[SINK_KEY] = (line) => log.push(line);
  try {
    let value: T;
    try {
      value = await task(log);
    } catch (error) {
      if (error instanceof LiteRtError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new LiteRtError(`${label}: ${message}${formatLog(log)}`, log, { cause: error });
    }
    const errors = log.filter(isErrorLine);
    if (errors.length > 0) {
      // The non-INFO log holds the ERROR lines with their context ("See instructions: ...").
      throw new LiteRtError(`${label}: LiteRT.js reported ${errors.length} error line(s)${formatLog(log)}`, log);
    }
    return value;
  } finally {
    delete harnessGlobals[SINK_KEY];
  }
}

function isErrorLine(line: string): boolean {
  return /^\s*ERROR\b/.test(line) || line.includes('Encountered unresolved custom op');
}

function formatLog(log: readonly string[]): string {
  const interesting = log.filter((line) => !line.startsWith('INFO:'));
  return interesting.length > 0 ? `\n--- LiteRT.js log ---\n${interesting.join('\n')}` : '';
}

// ---------------------------------------------------------------------------------------------
// Model inspection from the flatbuffer (quantization, variable tensors, shape signatures).

function parseModel(bytes: Uint8Array): Model | undefined {
  // The harness must never crash on a broken file: LiteRT.js gives the authoritative error then.
  try {
    // The generated accessors build typed-array views, which need absolute alignment; files read
    // with readFileSync come out of Node's shared pool at arbitrary offsets.
    const aligned = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
    const model = Model.getRootAsModel(new flatbuffers.ByteBuffer(aligned));
    model.subgraphsLength(); // touches the root table, throws on garbage offsets
    return model;
  } catch {
    return undefined;
  }
}

function* allTensors(model: Model): Generator<{ subgraph: number; index: number; tensor: FbTensor }> {
  for (let s = 0; s < model.subgraphsLength(); s++) {
    const subgraph = model.subgraphs(s);
    if (!subgraph) continue;
    for (let t = 0; t < subgraph.tensorsLength(); t++) {
      const tensor = subgraph.tensors(t);
      if (tensor) yield { subgraph: s, index: t, tensor };
    }
  }
}

/**
 * Returns a copy of `bytes` in which every -1 in a tensor's shape_signature is replaced by the
 * matching entry of its `shape`. LiteRT.js takes the signature as the tensor type and cannot
 * resize, so a [-1, 1] input would never accept a buffer; the TFLite interpreter allocates `shape`
 * when nothing is resized, so this runs the model exactly as the interpreter would by default.
 */
export function pinDynamicShapeSignatures(bytes: Uint8Array): { bytes: Uint8Array; pinned: boolean } {
  const copy = new Uint8Array(bytes); // fresh buffer at offset 0, so int32 vectors are aligned
  const model = parseModel(copy);
  if (!model) return { bytes, pinned: false };
  let pinned = false;
  try {
    for (const { tensor } of allTensors(model)) {
      // Views into `copy`: writing to `signature` edits the flatbuffer in place.
      const signature = tensor.shapeSignatureArray();
      const shape = tensor.shapeArray();
      if (!signature || !shape || signature.length !== shape.length) continue;
      signature.forEach((dim, i) => {
        const fixed = shape[i];
        if (dim < 0 && fixed !== undefined && fixed >= 0) {
          signature[i] = fixed;
          pinned = true;
        }
      });
    }
  } catch {
    return { bytes, pinned: false }; // malformed vectors: leave the file to LiteRT.js
  }
  return pinned ? { bytes: copy, pinned } : { bytes, pinned };
}

interface FlatbufferIo {
  /** name → tensor, for signature names and for tensor names of subgraph 0's inputs/outputs. */
  inputs: Map<string, FbTensor>;
  outputs: Map<string, FbTensor>;
}

function flatbufferIo(model: Model): FlatbufferIo {
  const io: FlatbufferIo = { inputs: new Map(), outputs: new Map() };
  const signature = model.signatureDefsLength() > 0 ? model.signatureDefs(0) : null;
  if (signature) {
    const subgraph = model.subgraphs(signature.subgraphIndex());
    for (let i = 0; i < signature.inputsLength(); i++) {
      const map = signature.inputs(i);
      const tensor = map && subgraph?.tensors(map.tensorIndex());
      if (map?.name() && tensor) io.inputs.set(map.name()!, tensor);
    }
    for (let i = 0; i < signature.outputsLength(); i++) {
      const map = signature.outputs(i);
      const tensor = map && subgraph?.tensors(map.tensorIndex());
      if (map?.name() && tensor) io.outputs.set(map.name()!, tensor);
    }
  }
  const subgraph = model.subgraphs(0);
  if (subgraph) {
    for (const [indices, target] of [
      [subgraph.inputsArray(), io.inputs],
      [subgraph.outputsArray(), io.outputs],
    ] as const) {
      for (const index of indices ?? []) {
        const tensor = subgraph.tensors(index);
        const name = tensor?.name();
        if (tensor && name && !target.has(name)) target.set(name, tensor);
      }
    }
  }
  return io;
}

function quantizationOf(tensor: FbTensor | undefined): TfliteQuantization | undefined {
  const q = tensor?.quantization();
  const scale = q?.scaleArray();
  if (!q || !scale || scale.length === 0) return undefined;
  // zero_point is an int64 vector: read element-wise (bigint) and narrow, values are small.
  const zeroPoint = Array.from(scale, (_, i) => (i < q.zeroPointLength() ? Number(q.zeroPoint(i) ?? 0n) : 0));
  return {
    scale: Array.from(scale),
    zeroPoint,
    quantizedDimension: q.quantizedDimension(),
  };
}

function variableTensorNames(model: Model | undefined): string[] {
  if (!model) return [];
  const names: string[] = [];
  for (const { subgraph, index, tensor } of allTensors(model)) {
    if (tensor.isVariable()) names.push(`subgraph ${subgraph} tensor ${index} '${tensor.name() ?? ''}'`);
  }
  return names;
}

// ---------------------------------------------------------------------------------------------
// Compiling and running.

const ELEMENT_TYPE_BOOL = 6; // litert ElementType::Bool (kLiteRtElementTypeBool)

interface Compiled {
  compiled: CompiledModel;
  description: TfliteModelDescription;
}

async function compile(model: Uint8Array, log: readonly string[]): Promise<Compiled> {
  const { bytes, pinned } = pinDynamicShapeSignatures(model);
  let compiled: CompiledModel;
  try {
    compiled = await loadAndCompile(bytes, { accelerator: 'wasm' });
  } catch (error) {
    if (log.some((line) => line.includes('Variable tensors not yet supported'))) {
      const variables = variableTensorNames(parseModel(model));
      throw new LiteRtUnsupportedError(
        `LiteRT.js cannot run models with variable tensors (stateful ops such as SVDF or ` +
          `UNIDIRECTIONAL_SEQUENCE_LSTM keep their state in them); this model has ${variables.length}: ` +
          `${variables.slice(0, 5).join(', ')}${variables.length > 5 ? ', ...' : ''}${formatLog(log)}`,
        log,
        'variable-tensors',
        { cause: error },
      );
    }
    throw error;
  }
  try {
    const parsed = parseModel(bytes);
    const io = parsed ? flatbufferIo(parsed) : { inputs: new Map<string, FbTensor>(), outputs: new Map<string, FbTensor>() };
    const info = (details: ReturnType<CompiledModel['getInputDetails']>, byName: Map<string, FbTensor>) =>
      details.map((d): TfliteTensorInfo => {
        const quantization = quantizationOf(byName.get(d.name));
        return {
          name: d.name,
          dtype: d.dtype as TfliteDType, // widened by patches/: the .d.ts still lists three dtypes
          shape: Array.from(d.shape),
          ...(quantization ? { quantization } : {}),
        };
      });
    return {
      compiled,
      description: {
        inputs: info(compiled.getInputDetails(), io.inputs),
        outputs: info(compiled.getOutputDetails(), io.outputs),
        pinnedDynamicDims: pinned,
      },
    };
  } catch (error) {
    compiled.delete();
    throw error;
  }
}

const ARRAY_TYPES: Record<TfliteDType, { new (length: number): TypedArray; name: string }> = {
  float32: Float32Array,
  int32: Int32Array,
  uint8: Uint8Array,
  int8: Int8Array,
  int16: Int16Array,
  int64: BigInt64Array,
  bool: Uint8Array,
};

function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function makeInputTensor(info: TfliteTensorInfo, data: TypedArray): Tensor {
  const expected = ARRAY_TYPES[info.dtype];
  if (!(data instanceof expected)) {
    throw new Error(`input '${info.name}' is ${info.dtype}: expected a ${expected.name}, got ${data.constructor.name}`);
  }
  const count = elementCount(info.shape);
  if (data.length !== count) {
    throw new Error(`input '${info.name}' has shape [${info.shape.join(', ')}] (${count} elements), got ${data.length}`);
  }
  if (info.dtype !== 'bool') {
    // The patched dtype table maps the typed array to its element type; the package's .d.ts still
    // lists only Float32Array | Int32Array | Uint8Array, hence the cast.
    return new Tensor(data as unknown as LiteRtTypedArray, info.shape);
  }
  // A Uint8Array maps to uint8, and the Tensor constructor takes no dtype for host data, so a
  // bool tensor buffer is built directly with the WASM bindings (what Tensor does internally).
  const liteRt = getGlobalLiteRt();
  const wasm = liteRt.liteRtWasm;
  const dims = new wasm.VectorInt32();
  for (const d of info.shape) dims.push_back(d);
  const layout = wasm.LiteRtLayout.create(dims);
  dims.delete();
  const tensorType = wasm.LiteRtRankedTensorType.create({ value: ELEMENT_TYPE_BOOL }, layout);
  layout.delete();
  const buffer = wasm.LiteRtTensorBuffer.createManaged(
    liteRt.getDefaultEnvironment().liteRtEnvironment,
    wasm.LiteRtTensorBufferType.HOST_MEMORY,
    tensorType,
    data.byteLength,
  );
  tensorType.delete();
  const ptr = buffer.lock(wasm.LiteRtTensorBufferLockMode.WRITE);
  try {
    wasm.HEAPU8.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), ptr);
  } finally {
    buffer.unlock();
  }
  return new Tensor(buffer);
}

function orderInputs(
  infos: readonly TfliteTensorInfo[],
  inputs: readonly TypedArray[] | Readonly<Record<string, TypedArray>>,
): TypedArray[] {
  if (Array.isArray(inputs)) {
    if (inputs.length !== infos.length) {
      throw new Error(`model has ${infos.length} input(s) [${infos.map((i) => i.name).join(', ')}], got ${inputs.length}`);
    }
    return [...inputs];
  }
  const record = inputs as Readonly<Record<string, TypedArray>>;
  const unknown = Object.keys(record).filter((name) => !infos.some((i) => i.name === name));
  if (unknown.length > 0) {
    throw new Error(`unknown input(s) ${unknown.join(', ')}; model inputs are ${infos.map((i) => i.name).join(', ')}`);
  }
  return infos.map((info) => {
    const data = record[info.name];
    if (!data) throw new Error(`missing input '${info.name}'`);
    return data;
  });
}

/** Input/output names, dtypes, shapes (and quantization) as runTflite sees them. */
export function describeTflite(model: Uint8Array): Promise<TfliteModelDescription> {
  return serialised(async () => {
    return withCapturedLog('describeTflite', async (log) => {
      const { compiled, description } = await compile(model, log);
      compiled.delete();
      return description;
    });
  });
}

/**
 * Runs `model` once on the CPU (XNNPACK + TFLite kernels). `inputs` are flat, row-major arrays,
 * positional (order of describeTflite(model).inputs) or keyed by input name. Rejects with
 * LiteRtError when the runtime prints an ERROR line or throws, so garbage is never returned.
 */
export function runTflite(
  model: Uint8Array,
  inputs: readonly TypedArray[] | Readonly<Record<string, TypedArray>>,
): Promise<TfliteRunResult> {
  return serialised(async () => {
    return withCapturedLog('runTflite', async (log) => {
      const { compiled, description } = await compile(model, log);
      const tensors: Tensor[] = [];
      try {
        const ordered = orderInputs(description.inputs, inputs);
        description.inputs.forEach((info, i) => tensors.push(makeInputTensor(info, ordered[i]!)));
        const outputs = await compiled.run(tensors);
        try {
          if (outputs.length !== description.outputs.length) {
            throw new Error(`expected ${description.outputs.length} outputs, LiteRT.js returned ${outputs.length}`);
          }
          return {
            inputs: description.inputs,
            outputs: outputs.map((tensor, i): TfliteOutput => {
              const info = description.outputs[i]!;
              // toTypedArray() copies out of the WASM heap, so the data outlives the tensor.
              const data = tensor.toTypedArray() as TypedArray;
              return { ...info, shape: Array.from(tensor.type.layout.dimensions), data };
            }),
            pinnedDynamicDims: description.pinnedDynamicDims,
            log,
          };
        } finally {
          for (const tensor of outputs) tensor.delete();
        }
      } finally {
        for (const tensor of tensors) tensor.delete();
        compiled.delete();
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Deterministic random inputs.

/** mulberry32: tiny, well-distributed 32-bit PRNG; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Inclusive integer ranges used by randomInputsFor (float32 is uniform in [-1, 1)). */
export const RANDOM_INT_RANGES: Readonly<Record<Exclude<TfliteDType, 'float32'>, readonly [number, number]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-1024, 1023],
  int32: [-100, 100],
  int64: [-100, 100],
  bool: [0, 1],
};

/** Fills an array of `dtype` and `length` from `random` with the ranges above. */
export function randomTypedArray(dtype: TfliteDType, length: number, random: () => number): TypedArray {
  if (dtype === 'float32') return Float32Array.from({ length }, () => random() * 2 - 1);
  const [lo, hi] = RANDOM_INT_RANGES[dtype];
  const draw = () => lo + Math.floor(random() * (hi - lo + 1));
  if (dtype === 'int64') return BigInt64Array.from({ length }, () => BigInt(draw()));
  const array = new ARRAY_TYPES[dtype](length) as Exclude<TypedArray, BigInt64Array>;
  for (let i = 0; i < length; i++) array[i] = draw();
  return array;
}

/** One deterministic pseudo-random array per model input, in input order (same seed, same data). */
export async function randomInputsFor(model: Uint8Array, seed: number): Promise<TypedArray[]> {
  const { inputs } = await describeTflite(model);
  const random = mulberry32(seed);
  return inputs.map((info) => randomTypedArray(info.dtype, elementCount(info.shape), random));
}

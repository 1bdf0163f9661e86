// Test harness: run a .tflite file in Google's LiteRT.js runtime (@litertjs/core, the real TFLite
// kernels compiled to WASM, with XNNPACK) from vitest in Node. This module compiles and runs
// models; the public API of the harness is exported from here.
//
// LiteRT.js is written for browsers and web workers. Three things make it usable here:
//  1. Loading, with a node:vm `importScripts` shim (litert-runtime.ts).
//  2. Error reporting: the runtime prints ERROR lines instead of throwing, so every call captures
//     them and throws LiteRtError (litert-runtime.ts).
//  3. Data types. Its JS wrapper only maps float32/int32/uint8; patches/ extends that table with
//     int8/int16/int64/bool (patch-package, see patches/README.md).
//
// Limits of LiteRT.js 2.5.3 that the harness turns into clear errors: models with variable
// tensors (stateful SVDF/LSTM) are rejected at load time, see LiteRtUnsupportedError. Dimensions
// that are -1 in `shape_signature` cannot be resized; the harness pins them to `shape` (what the
// TFLite interpreter allocates when nothing is resized), see pinDynamicShapeSignatures
// (tflite-model-info.ts).
import {
  getGlobalLiteRt,
  loadAndCompile,
  Tensor,
  type CompiledModel,
  type TypedArray as LiteRtTypedArray,
} from '@litertjs/core';
import type { Tensor as FbTensor } from '../../generated/tflite/tensor.js';
import { formatLog, LiteRtUnsupportedError, serialised, withCapturedLog } from './litert-runtime.js';
import {
  ARRAY_TYPES,
  elementCount,
  type TfliteDType,
  type TfliteModelDescription,
  type TfliteOutput,
  type TfliteRunResult,
  type TfliteTensorInfo,
  type TypedArray,
} from './litert-types.js';
import { mulberry32, randomTypedArray } from './random-inputs.js';
import {
  flatbufferIo,
  parseModel,
  pinDynamicShapeSignatures,
  quantizationOf,
  variableTensorNames,
} from './tflite-model-info.js';

export { LiteRtError, LiteRtUnsupportedError, loadRuntime } from './litert-runtime.js';
export type {
  TfliteDType,
  TfliteModelDescription,
  TfliteOutput,
  TfliteQuantization,
  TfliteRunResult,
  TfliteTensorInfo,
  TypedArray,
} from './litert-types.js';
export { mulberry32, RANDOM_INT_RANGES, randomTypedArray } from './random-inputs.js';
export { pinDynamicShapeSignatures } from './tflite-model-info.js';

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

/** One deterministic pseudo-random array per model input, in input order (same seed, same data). */
export async function randomInputsFor(model: Uint8Array, seed: number): Promise<TypedArray[]> {
  const { inputs } = await describeTflite(model);
  const random = mulberry32(seed);
  return inputs.map((info) => randomTypedArray(info.dtype, elementCount(info.shape), random));
}

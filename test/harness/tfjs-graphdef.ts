// Independent reference oracle: runs a TensorFlow frozen GraphDef with TensorFlow.js (cpu backend).
//
// Tests compare the .tflite files our converter writes against what this harness computes for the
// source GraphDef. To stay independent it must not import anything from src/: it decodes the
// GraphDef itself (protobufjs + the JSON descriptor in generated/, tf-graphdef-proto.ts), rewrites
// it into the JSON "modelTopology" form that tfjs's Python converter writes (model.json), moves
// every Const value into a weights manifest (tfjs-topology.ts, decoding each TensorProto encoding
// in tf-tensor-proto.ts), and loads that with tfjs-converter's loadGraphModel + tf.io.fromMemory.
//
// tfjs has only float32 / int32 / bool / string / complex64 tensors, so (as tfjs's own converter
// does) DT_DOUBLE, DT_HALF and DT_BFLOAT16 become float32 and every integer type becomes int32.
// Outputs therefore report the tfjs dtype: e.g. ArgMax (TF default output_type int64) comes back
// as int32.

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import { decodeGraphDef } from './tf-graphdef-proto.js';
import { INT32_MAX, INT32_MIN } from './tf-tensor-proto.js';
import { toTfjsArtifacts } from './tfjs-topology.js';

export { decodeGraphDef } from './tf-graphdef-proto.js';
export type {
  PbAttrList,
  PbAttrValue,
  PbGraph,
  PbNameAttrList,
  PbNode,
  PbTensor,
  PbTensorShape,
} from './tf-graphdef-proto.js';

// ---------------------------------------------------------------------------------------------
// Public API

/** Element types accepted for inputs. tfjs computes in float32/int32/bool; the others are
 *  converted (float64 → float32, every integer type → int32) the way tfjs maps TF placeholders. */
export type InputDType = 'float32' | 'float64' | 'int32' | 'int64' | 'int16' | 'int8' | 'uint8' | 'uint16' | 'bool';
export type InputData =
  | Float32Array
  | Float64Array
  | Int32Array
  | BigInt64Array
  | Int16Array
  | Int8Array
  | Uint8Array
  | Uint16Array;

export interface GraphInput {
  dtype: InputDType;
  shape: number[];
  /** Row-major values; for 'bool' a Uint8Array of 0/1. */
  data: InputData;
}

/** The dtypes tfjs can hand back for a numeric tensor. */
export type OutputDType = 'float32' | 'int32' | 'bool';
export type OutputData = Float32Array | Int32Array | Uint8Array;

export interface GraphOutput {
  /** The name as requested ('node' or 'node:k'). */
  name: string;
  dtype: OutputDType;
  shape: number[];
  /** A private copy (safe to keep after the model is disposed); bool as Uint8Array 0/1. */
  data: OutputData;
}

/**
 * Run a frozen GraphDef once and return the requested tensors.
 *
 * @param pb           serialized tensorflow.GraphDef
 * @param inputs       feeds keyed by Placeholder name ('x' or 'x:0')
 * @param outputNames  any tensor of the graph: 'node' (= 'node:0') or 'node:k'; intermediate
 *                     tensors are fine, so tests can compare per-layer values
 */
export async function runGraphDef(
  pb: Uint8Array,
  inputs: Record<string, GraphInput>,
  outputNames: string[],
): Promise<GraphOutput[]> {
  const runner = await loadGraphDef(pb);
  try {
    return await runner.run(inputs, outputNames);
  } finally {
    runner.dispose();
  }
}

/** A loaded graph for repeated runs (building the tfjs model for a big graph costs more than a
 *  run). Call dispose() when done to free the weight tensors. */
export interface GraphDefRunner {
  /** Node names in GraphDef order, with their op types. */
  readonly nodes: ReadonlyArray<{ name: string; op: string }>;
  run(inputs: Record<string, GraphInput>, outputNames: string[]): Promise<GraphOutput[]>;
  dispose(): void;
}

export async function loadGraphDef(pb: Uint8Array): Promise<GraphDefRunner> {
  await ensureCpuBackend();
  const graph = decodeGraphDef(pb);
  const { topology, weightSpecs, weightData, skippedConsts } = toTfjsArtifacts(graph);
  const model = await loadGraphModel(
    tf.io.fromMemory({ modelTopology: topology, weightSpecs, weightData }),
  );
  const nodes = (graph.node ?? []).map((n) => ({ name: n.name ?? '', op: n.op ?? '' }));
  const nodeNames = new Set(nodes.map((n) => n.name));
  let disposed = false;
  return {
    nodes,
    run: (inputs, outputNames) => {
      if (disposed) throw new Error('GraphDefRunner used after dispose()');
      return runModel(model, nodeNames, skippedConsts, inputs, outputNames);
    },
    dispose: () => {
      if (!disposed) model.dispose();
      disposed = true;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Execution

let backendReady: Promise<void> | undefined;

function ensureCpuBackend(): Promise<void> {
  backendReady ??= (async () => {
    const ok = await tf.setBackend('cpu');
    if (!ok) throw new Error('tfjs cpu backend failed to initialise');
    await tf.ready();
  })();
  return backendReady;
}

/** 'node' → ['node', 0]; 'node:2' → ['node', 2]. */
function parseTensorName(name: string): [string, number] {
  const m = /^(.*):(\d+)$/.exec(name);
  return m === null ? [name, 0] : [m[1] as string, Number(m[2])];
}

function toInputTensor(name: string, input: GraphInput): tf.Tensor {
  const count = input.shape.reduce((a, b) => a * b, 1);
  if (input.data.length !== count) {
    throw new Error(`input '${name}': ${input.data.length} values for shape [${input.shape.join(',')}]`);
  }
  switch (input.dtype) {
    case 'float32':
    case 'float64':
      return tf.tensor(Float32Array.from(input.data as Float32Array | Float64Array), input.shape, 'float32');
    case 'bool':
      return tf.tensor(Uint8Array.from(input.data as Uint8Array, (v) => (v !== 0 ? 1 : 0)), input.shape, 'bool');
    case 'int64': {
      const src = input.data as BigInt64Array;
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const v = src[i] as bigint;
        if (v > BigInt(INT32_MAX) || v < BigInt(INT32_MIN)) {
          throw new Error(`input '${name}': int64 value ${v} does not fit tfjs int32`);
        }
        out[i] = Number(v);
      }
      return tf.tensor(out, input.shape, 'int32');
    }
    default:
      return tf.tensor(Int32Array.from(input.data as Int32Array | Int16Array | Int8Array | Uint8Array | Uint16Array), input.shape, 'int32');
  }
}

async function runModel(
  model: GraphModel,
  nodeNames: Set<string>,
  skippedConsts: string[],
  inputs: Record<string, GraphInput>,
  outputNames: string[],
): Promise<GraphOutput[]> {
  if (outputNames.length === 0) throw new Error('runGraphDef: no output names given');
  // Check names up front so a typo gives one clear message instead of a tfjs internal error.
  for (const name of [...outputNames, ...Object.keys(inputs)]) {
    const [node] = parseTensorName(name);
    if (!nodeNames.has(node)) throw new Error(`unknown tensor '${name}': the GraphDef has no node '${node}'`);
  }
  const feeds: tf.NamedTensorMap = {};
  const weightIds = new Set<number>();
  for (const list of Object.values(model.weights)) for (const t of list) weightIds.add(t.id);
  try {
    for (const [name, input] of Object.entries(inputs)) feeds[name] = toInputTensor(name, input);

    let result: tf.Tensor | tf.Tensor[];
    try {
      try {
        result = model.execute(feeds, outputNames);
      } catch (e) {
        // execute() refuses graphs with dynamic ops (control flow, NonMaxSuppression, Where...);
        // executeAsync handles those.
        if (!(e instanceof Error && e.message.includes('executeAsync'))) throw e;
        result = await model.executeAsync(feeds, outputNames);
      }
    } catch (e) {
      throw withSkippedNote(e, skippedConsts);
    }
    const tensors: (tf.Tensor | undefined)[] = Array.isArray(result) ? result : [result];
    try {
      return outputNames.map((name, i) => {
        const t = tensors[i];
        if (t === undefined) throw new Error(`tfjs produced no tensor for '${name}' (does the node have that many outputs?)`);
        if (t.dtype !== 'float32' && t.dtype !== 'int32' && t.dtype !== 'bool') {
          throw new Error(`output '${name}' has dtype ${t.dtype}, which the harness does not return`);
        }
        // dataSync on the cpu backend returns the backing store; copy so callers own their data.
        const data = (t.dataSync() as OutputData).slice();
        return { name, dtype: t.dtype, shape: [...t.shape], data };
      });
    } finally {
      // Outputs that are weights (a Const requested directly) belong to the model; inputs are
      // disposed below.
      const inputIds = new Set(Object.values(feeds).map((t) => t.id));
      for (const t of new Set(tensors)) {
        if (t !== undefined && !weightIds.has(t.id) && !inputIds.has(t.id)) t.dispose();
      }
    }
  } finally {
    for (const t of Object.values(feeds)) t.dispose();
  }
}

function withSkippedNote(e: unknown, skippedConsts: string[]): unknown {
  if (e instanceof Error && skippedConsts.length > 0) {
    e.message += ` (Const nodes tfjs cannot hold were left out: ${skippedConsts.join(', ')})`;
  }
  return e;
}

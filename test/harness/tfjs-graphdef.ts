// Independent reference oracle: runs a TensorFlow frozen GraphDef with TensorFlow.js (cpu backend).
//
// Tests compare the .tflite files our converter writes against what this harness computes for the
// source GraphDef. To stay independent it must not import anything from src/: it decodes the
// GraphDef itself (protobufjs + the JSON descriptor in generated/), rewrites it into the JSON
// "modelTopology" form that tfjs's Python converter writes (model.json), moves every Const value
// into a weights manifest (decoding each TensorProto encoding here), and loads that with
// tfjs-converter's loadGraphModel + tf.io.fromMemory.
//
// What the topology JSON must look like was read from tfjs-converter 4.22's
// operations/operation_mapper.ts (transformGraph, mapNode and the get*Param helpers) and
// executor/graph_model.ts (loadWithWeightMap):
//   graph:  { node: NodeJson[], versions: { producer, minConsumer }, library? }
//   node:   { name, op, input: string[] ('^ctrl' allowed), attr: Record<string, AttrJson> }
//   attr:   { s: base64 } | { i: "decimal" } | { f: number } | { b: boolean }
//           | { type: "DT_FLOAT" } | { shape: { dim: [{ size: "3" }], unknownRank?: true } }
//           | { list: { s?, i?, f?, b?, type?, shape?, func? } } | { func: { name, attr } }
//   Const:  the node stays in the topology (attr dtype only); its value is the weight whose
//           weightSpecs entry has name === node name (GraphExecutor's `Const` case reads
//           weightMap[node.name]).
//
// tfjs has only float32 / int32 / bool / string / complex64 tensors, so (as tfjs's own converter
// does) DT_DOUBLE, DT_HALF and DT_BFLOAT16 become float32 and every integer type becomes int32.
// Outputs therefore report the tfjs dtype: e.g. ArgMax (TF default output_type int64) comes back
// as int32.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import protobuf from 'protobufjs';

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
// Decoded protobuf shapes.
//
// protobufjs' toObject with {longs: String} gives plain objects whose field names are those of the
// .proto (snake_case, because the JSON descriptor was generated with keepCase). Only the fields
// this harness reads are declared; all are optional because proto3 omits defaults.

export interface PbTensorShape {
  dim?: { size?: string; name?: string }[];
  unknown_rank?: boolean;
}

export interface PbTensor {
  dtype?: number;
  tensor_shape?: PbTensorShape;
  tensor_content?: Uint8Array;
  half_val?: number[];
  float_val?: number[];
  double_val?: number[];
  int_val?: number[];
  string_val?: Uint8Array[];
  int64_val?: string[];
  bool_val?: boolean[];
  uint32_val?: number[];
  uint64_val?: string[];
}

export interface PbNameAttrList {
  name?: string;
  attr?: Record<string, PbAttrValue>;
}

export interface PbAttrList {
  s?: Uint8Array[];
  i?: string[];
  f?: number[];
  b?: boolean[];
  type?: number[];
  shape?: PbTensorShape[];
  tensor?: PbTensor[];
  func?: PbNameAttrList[];
}

export interface PbAttrValue {
  s?: Uint8Array;
  i?: string;
  f?: number;
  b?: boolean;
  type?: number;
  shape?: PbTensorShape;
  tensor?: PbTensor;
  list?: PbAttrList;
  func?: PbNameAttrList;
  placeholder?: string;
}

export interface PbNode {
  name?: string;
  op?: string;
  input?: string[];
  device?: string;
  attr?: Record<string, PbAttrValue>;
}

export interface PbGraph {
  node?: PbNode[];
  versions?: { producer?: number; min_consumer?: number };
  library?: { function?: { signature?: { name?: string } }[] };
}

// ---------------------------------------------------------------------------------------------
// tfjs topology JSON shapes (what operation_mapper.ts reads; camelCase like MessageToDict output).

interface TfjsShapeJson {
  dim: { size: string }[];
  unknownRank?: boolean;
}

interface TfjsAttrJson {
  s?: string;
  i?: string;
  f?: number;
  b?: boolean;
  type?: string;
  shape?: TfjsShapeJson;
  list?: {
    s?: string[];
    i?: string[];
    f?: number[];
    b?: boolean[];
    type?: string[];
    shape?: TfjsShapeJson[];
    func?: TfjsFuncJson[];
  };
  func?: TfjsFuncJson;
}

interface TfjsFuncJson {
  name: string;
  attr: Record<string, TfjsAttrJson>;
}

interface TfjsNodeJson {
  name: string;
  op: string;
  input: string[];
  attr: Record<string, TfjsAttrJson>;
}

interface TfjsGraphJson {
  node: TfjsNodeJson[];
  versions: { producer: number; minConsumer: number };
}

// ---------------------------------------------------------------------------------------------
// GraphDef decoding

const PROTO_JSON = fileURLToPath(new URL('../../generated/tf-protos.json', import.meta.url));

let graphDefType: protobuf.Type | undefined;
let dataTypeNames: Record<number, string> | undefined;

function protoTypes(): { graphDef: protobuf.Type; dtypeNames: Record<number, string> } {
  if (graphDefType === undefined || dataTypeNames === undefined) {
    const root = protobuf.Root.fromJSON(JSON.parse(readFileSync(PROTO_JSON, 'utf8')) as protobuf.INamespace);
    graphDefType = root.lookupType('tensorflow.GraphDef');
    dataTypeNames = root.lookupEnum('tensorflow.DataType').valuesById;
  }
  return { graphDef: graphDefType, dtypeNames: dataTypeNames };
}

/** Decode a serialized GraphDef into plain objects (int64 as decimal strings, enums as numbers,
 *  bytes as Uint8Array). */
export function decodeGraphDef(pb: Uint8Array): PbGraph {
  const { graphDef } = protoTypes();
  const message = graphDef.decode(pb);
  // The cast documents the shape we rely on; protobufjs types toObject as a loose record.
  return graphDef.toObject(message, { longs: String, enums: Number }) as PbGraph;
}

function dtypeName(dtype: number | undefined): string {
  const name = protoTypes().dtypeNames[dtype ?? 0];
  if (name === undefined) throw new Error(`unknown TensorFlow DataType enum value ${dtype}`);
  return name;
}

// TensorFlow DataType enum numbers (tensorflow/core/framework/types.proto).
const DT = {
  FLOAT: 1, DOUBLE: 2, INT32: 3, UINT8: 4, INT16: 5, INT8: 6, STRING: 7, COMPLEX64: 8, INT64: 9,
  BOOL: 10, QINT8: 11, QUINT8: 12, QINT32: 13, BFLOAT16: 14, QINT16: 15, QUINT16: 16, UINT16: 17,
  COMPLEX128: 18, HALF: 19, RESOURCE: 20, VARIANT: 21, UINT32: 22, UINT64: 23,
} as const;

// ---------------------------------------------------------------------------------------------
// GraphDef → tfjs artifacts

interface TfjsArtifacts {
  topology: TfjsGraphJson;
  weightSpecs: tf.io.WeightsManifestEntry[];
  weightData: ArrayBuffer;
  /** Const nodes whose dtype tfjs cannot hold (complex, resource, variant, ...); left out of the
   *  weights so the rest of the graph still loads, and named in the error if a run fails. */
  skippedConsts: string[];
}

function toTfjsArtifacts(graph: PbGraph): TfjsArtifacts {
  const nodes = graph.node ?? [];
  rejectFunctionCalls(graph);
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const chunks: Uint8Array[] = [];
  const skippedConsts: string[] = [];
  const topologyNodes: TfjsNodeJson[] = [];
  for (const node of nodes) {
    const name = node.name ?? '';
    const op = node.op ?? '';
    const attr: Record<string, TfjsAttrJson> = {};
    for (const [key, value] of Object.entries(node.attr ?? {})) {
      // A Const's value travels in the weights; other tensor-valued attrs are not read by tfjs
      // (its op mapper skips 'tensor' params), so they are dropped too.
      if (value.tensor !== undefined) continue;
      attr[key] = convertAttr(value);
    }
    if (op === 'Const') {
      const tensor = node.attr?.['value']?.tensor;
      if (tensor === undefined) throw new Error(`Const node '${name}' has no value attr`);
      const weight = decodeTensorForTfjs(tensor, name);
      if (weight === undefined) {
        skippedConsts.push(`${name} (${dtypeName(tensor.dtype)})`);
      } else {
        weightSpecs.push({ name, shape: weight.shape, dtype: weight.dtype });
        chunks.push(weight.bytes);
      }
    }
    topologyNodes.push({ name, op, input: node.input ?? [], attr });
  }
  const total = chunks.reduce((n, c) => n + c.byteLength, 0);
  const weightData = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    weightData.set(c, offset);
    offset += c.byteLength;
  }
  return {
    topology: {
      node: topologyNodes,
      // graph_model.ts reads versions.producer / minConsumer unconditionally.
      versions: { producer: graph.versions?.producer ?? 0, minConsumer: graph.versions?.min_consumer ?? 0 },
    },
    weightSpecs,
    weightData: weightData.buffer,
    skippedConsts,
  };
}

/** TF2 graphs call library functions (StatelessWhile, PartitionedCall, ...). tfjs could run them
 *  but the function bodies would need their own conversion; frozen TF1 graphs never have them. */
function rejectFunctionCalls(graph: PbGraph): void {
  const functionNames = new Set((graph.library?.function ?? []).map((f) => f.signature?.name ?? ''));
  for (const node of graph.node ?? []) {
    const usesFunc =
      functionNames.has(node.op ?? '') ||
      Object.values(node.attr ?? {}).some((a) => a.func !== undefined || (a.list?.func?.length ?? 0) > 0);
    if (usesFunc) {
      throw new Error(`node '${node.name}' (${node.op}) calls a graph function; the tfjs harness does not convert function libraries`);
    }
  }
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function convertShape(shape: PbTensorShape): TfjsShapeJson {
  // Sizes are always written: a missing size means 0, and tfjs would parseInt(undefined) → NaN.
  const out: TfjsShapeJson = { dim: (shape.dim ?? []).map((d) => ({ size: d.size ?? '0' })) };
  if (shape.unknown_rank === true) out.unknownRank = true;
  return out;
}

function convertAttr(value: PbAttrValue): TfjsAttrJson {
  // AttrValue is a oneof; toObject only sets the member that was present on the wire.
  if (value.list !== undefined) {
    const l = value.list;
    // Always emit an object: tfjs reads param.list.f / param.list.i without a null check.
    const list: NonNullable<TfjsAttrJson['list']> = {};
    if (l.s?.length) list.s = l.s.map(base64);
    if (l.i?.length) list.i = l.i;
    if (l.f?.length) list.f = l.f;
    if (l.b?.length) list.b = l.b;
    if (l.type?.length) list.type = l.type.map(dtypeName);
    if (l.shape?.length) list.shape = l.shape.map(convertShape);
    if (l.func?.length) list.func = l.func.map(convertFunc);
    return { list };
  }
  if (value.s !== undefined) return { s: base64(value.s) };
  if (value.i !== undefined) return { i: value.i };
  if (value.f !== undefined) return { f: value.f };
  if (value.b !== undefined) return { b: value.b };
  if (value.type !== undefined) return { type: dtypeName(value.type) };
  if (value.shape !== undefined) return { shape: convertShape(value.shape) };
  if (value.func !== undefined) return { func: convertFunc(value.func) };
  // `placeholder` (function-template attrs) or an empty AttrValue: nothing tfjs can use.
  return {};
}

function convertFunc(f: PbNameAttrList): TfjsFuncJson {
  const attr: Record<string, TfjsAttrJson> = {};
  for (const [k, v] of Object.entries(f.attr ?? {})) attr[k] = convertAttr(v);
  return { name: f.name ?? '', attr };
}

// ---------------------------------------------------------------------------------------------
// TensorProto decoding

type NumericWeight = { dtype: 'float32' | 'int32' | 'bool'; shape: number[]; bytes: Uint8Array };
type StringWeight = { dtype: 'string'; shape: number[]; bytes: Uint8Array };

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** tfjs int32 cannot hold int64; TF graphs use INT64_MAX/MIN as "to the end" sentinels (e.g. in
 *  StridedSlice), so saturating keeps their meaning where wrapping would not. */
function saturateInt32(v: bigint): number {
  if (v > BigInt(INT32_MAX)) return INT32_MAX;
  if (v < BigInt(INT32_MIN)) return INT32_MIN;
  return Number(v);
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** IEEE binary16 bit pattern → number. */
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** bfloat16 bit pattern → number (it is the upper half of a float32). */
function bfloat16ToNumber(h: number): number {
  u32Scratch[0] = (h & 0xffff) << 16;
  return f32Scratch[0] as number;
}

/** The tfjs dtype a TF dtype becomes, or undefined when tfjs has no counterpart. */
function tfjsDtypeOf(dtype: number): 'float32' | 'int32' | 'bool' | 'string' | undefined {
  switch (dtype) {
    case DT.FLOAT: case DT.DOUBLE: case DT.HALF: case DT.BFLOAT16:
      return 'float32';
    case DT.INT32: case DT.INT64: case DT.INT16: case DT.INT8: case DT.UINT8: case DT.UINT16:
    case DT.UINT32: case DT.UINT64: case DT.QINT8: case DT.QUINT8: case DT.QINT16: case DT.QUINT16:
    case DT.QINT32:
      // Quantized types keep their raw integer values; tfjs has no op that consumes them, but
      // loading the graph must not fail just because such a Const exists.
      return 'int32';
    case DT.BOOL:
      return 'bool';
    case DT.STRING:
      return 'string';
    default:
      return undefined;
  }
}

/** Byte size of one element inside tensor_content. */
function contentElementSize(dtype: number): number {
  switch (dtype) {
    case DT.DOUBLE: case DT.INT64: case DT.UINT64:
      return 8;
    case DT.FLOAT: case DT.INT32: case DT.UINT32: case DT.QINT32:
      return 4;
    case DT.HALF: case DT.BFLOAT16: case DT.INT16: case DT.UINT16: case DT.QINT16: case DT.QUINT16:
      return 2;
    case DT.INT8: case DT.UINT8: case DT.QINT8: case DT.QUINT8: case DT.BOOL:
      return 1;
    default:
      throw new Error(`tensor_content of ${dtypeName(dtype)} is not supported`);
  }
}

/** Read element i of little-endian tensor_content as a number. */
function readContent(view: DataView, dtype: number, i: number): number {
  switch (dtype) {
    case DT.FLOAT: return view.getFloat32(i * 4, true);
    case DT.DOUBLE: return view.getFloat64(i * 8, true);
    case DT.HALF: return halfToNumber(view.getUint16(i * 2, true));
    case DT.BFLOAT16: return bfloat16ToNumber(view.getUint16(i * 2, true));
    case DT.INT32: case DT.QINT32: return view.getInt32(i * 4, true);
    case DT.UINT32: return saturateInt32(BigInt(view.getUint32(i * 4, true)));
    case DT.INT64: return saturateInt32(view.getBigInt64(i * 8, true));
    case DT.UINT64: return saturateInt32(view.getBigUint64(i * 8, true));
    case DT.INT16: case DT.QINT16: return view.getInt16(i * 2, true);
    case DT.UINT16: case DT.QUINT16: return view.getUint16(i * 2, true);
    case DT.INT8: case DT.QINT8: return view.getInt8(i);
    case DT.UINT8: case DT.QUINT8: return view.getUint8(i);
    case DT.BOOL: return view.getUint8(i) !== 0 ? 1 : 0;
    default: throw new Error(`tensor_content of ${dtypeName(dtype)} is not supported`);
  }
}

/** The typed *_val field a dtype uses, converted to numbers. */
function repeatedValues(t: PbTensor, dtype: number): number[] {
  switch (dtype) {
    case DT.FLOAT: return t.float_val ?? [];
    case DT.DOUBLE: return t.double_val ?? [];
    // half_val holds the 16-bit patterns in int32 slots (both for half and bfloat16).
    case DT.HALF: return (t.half_val ?? []).map(halfToNumber);
    case DT.BFLOAT16: return (t.half_val ?? []).map(bfloat16ToNumber);
    case DT.INT32: case DT.INT16: case DT.INT8: case DT.UINT8: case DT.UINT16:
    case DT.QINT8: case DT.QUINT8: case DT.QINT16: case DT.QUINT16: case DT.QINT32:
      return t.int_val ?? [];
    case DT.INT64: return (t.int64_val ?? []).map((s) => saturateInt32(BigInt(s)));
    case DT.UINT32: return (t.uint32_val ?? []).map((v) => saturateInt32(BigInt(v)));
    case DT.UINT64: return (t.uint64_val ?? []).map((s) => saturateInt32(BigInt(s)));
    case DT.BOOL: return (t.bool_val ?? []).map((b) => (b ? 1 : 0));
    default: throw new Error(`values of ${dtypeName(dtype)} are not supported`);
  }
}

/**
 * Decode a Const's TensorProto into the bytes of a tfjs weight, or undefined if tfjs has no dtype
 * for it. Encodings (tensor.proto): `tensor_content` holds all elements as raw little-endian bytes;
 * otherwise the typed `*_val` field holds them, and if it holds fewer than the element count the
 * last value repeats (a single value fills the tensor); no values at all means zeros.
 */
function decodeTensorForTfjs(t: PbTensor, nodeName: string): NumericWeight | StringWeight | undefined {
  const dtype = t.dtype ?? 0;
  const tfjsDtype = tfjsDtypeOf(dtype);
  if (tfjsDtype === undefined) return undefined;
  if (t.tensor_shape?.unknown_rank === true) throw new Error(`Const '${nodeName}' has unknown rank`);
  const shape = (t.tensor_shape?.dim ?? []).map((d) => Number(d.size ?? '0'));
  const count = shape.reduce((a, b) => a * b, 1);

  if (tfjsDtype === 'string') {
    // tfjs string weights: per element a uint32 little-endian byte length, then the bytes.
    const values = t.string_val ?? [];
    if (values.length > count) throw new Error(`Const '${nodeName}': ${values.length} strings for ${count} elements`);
    const parts: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const s = values[Math.min(i, values.length - 1)] ?? new Uint8Array(0);
      const len = new Uint8Array(4);
      new DataView(len.buffer).setUint32(0, s.byteLength, true);
      parts.push(len, s);
    }
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    let o = 0;
    for (const p of parts) {
      bytes.set(p, o);
      o += p.byteLength;
    }
    return { dtype: 'string', shape, bytes };
  }

  const values = new Float64Array(count);
  const content = t.tensor_content;
  if (content !== undefined && content.byteLength > 0) {
    const size = contentElementSize(dtype);
    if (content.byteLength !== count * size) {
      throw new Error(
        `Const '${nodeName}': tensor_content has ${content.byteLength} bytes, expected ${count} × ${size}`,
      );
    }
    const view = new DataView(content.buffer, content.byteOffset, content.byteLength);
    for (let i = 0; i < count; i++) values[i] = readContent(view, dtype, i);
  } else {
    const vals = repeatedValues(t, dtype);
    if (vals.length > count) throw new Error(`Const '${nodeName}': ${vals.length} values for ${count} elements`);
    if (vals.length > 0) {
      for (let i = 0; i < count; i++) values[i] = vals[Math.min(i, vals.length - 1)] as number;
    } // else: zeros, already there
  }

  // Little-endian typed arrays match tfjs's decodeWeights (it views the bytes with host order,
  // and every platform Node runs on is little-endian).
  switch (tfjsDtype) {
    case 'float32':
      return { dtype: 'float32', shape, bytes: new Uint8Array(Float32Array.from(values).buffer) };
    case 'int32':
      return { dtype: 'int32', shape, bytes: new Uint8Array(Int32Array.from(values).buffer) };
    case 'bool':
      return { dtype: 'bool', shape, bytes: Uint8Array.from(values) };
  }
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

// GraphDef → the artifacts tfjs-converter's loadGraphModel reads: the JSON "modelTopology" form
// that tfjs's Python converter writes (model.json), plus a weights manifest holding every Const
// value (decoded by tf-tensor-proto.ts).
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

import type * as tf from '@tensorflow/tfjs-core';
import {
  dtypeName,
  type PbAttrValue,
  type PbGraph,
  type PbNameAttrList,
  type PbTensorShape,
} from './tf-graphdef-proto.js';
import { decodeTensorForTfjs } from './tf-tensor-proto.js';

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
// GraphDef → tfjs artifacts

export interface TfjsArtifacts {
  topology: TfjsGraphJson;
  weightSpecs: tf.io.WeightsManifestEntry[];
  weightData: ArrayBuffer;
  /** Const nodes whose dtype tfjs cannot hold (complex, resource, variant, ...); left out of the
   *  weights so the rest of the graph still loads, and named in the error if a run fails. */
  skippedConsts: string[];
}

export function toTfjsArtifacts(graph: PbGraph): TfjsArtifacts {
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

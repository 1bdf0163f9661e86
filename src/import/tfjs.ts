/**
 * tfjs graph model (model.json + binary weight shards) into the IR. The topology is a GraphDef in
 * protobuf's JSON mapping (lowerCamelCase fields, int64 as strings, bytes as base64); the weights
 * live in the shards, in manifest order, possibly quantized (uint8/uint16: min + scale·q;
 * float16). Weights become the Const nodes' values, and the GraphDef reader does the rest.
 */
import type protobuf from 'protobufjs';
import { ModelFormatError, UnsupportedError } from '../util/errors.js';
import { graphDefToModel } from './graphdef.js';
import { tfMessageType, type GraphDefMsg } from './tf-protos.js';
import type { Model } from '../ir/graph.js';
import { halfToFloat } from '../kernels/float16.js';

interface WeightEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; min?: number; scale?: number; original_dtype?: string };
}

interface ManifestGroup {
  paths: string[];
  weights: WeightEntry[];
}

interface SignatureJson {
  outputs?: Record<string, { name?: string }>;
}

interface ModelJson {
  format?: string;
  signature?: SignatureJson;
  userDefinedMetadata?: { signature?: SignatureJson };
  modelTopology?: { node?: unknown[] };
  weightsManifest?: ManifestGroup[];
}

/** Reads one weight shard, by the path written in the manifest (relative to model.json). */
export type ShardReader = (path: string) => Uint8Array;

const DT_NAMES: Record<string, string> = { float32: 'DT_FLOAT', int32: 'DT_INT32', bool: 'DT_BOOL', string: 'DT_STRING' };

export function parseTfjsModelJson(text: string): ModelJson {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ModelFormatError(`not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const model = json as ModelJson;
  if (typeof json !== 'object' || json === null || !Array.isArray(model.modelTopology?.node)) {
    throw new ModelFormatError('not a tfjs graph model: no modelTopology.node list (a tfjs layers model cannot be converted)');
  }
  return model;
}

/** Renames protobuf-JSON (lowerCamelCase) keys to the proto field names the descriptor uses. */
function toProtoFields(value: unknown, type: protobuf.Type): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const field = type.fieldsArray.find((f) => f.name === key || camel(f.name) === key);
    if (field === undefined) throw new ModelFormatError(`unknown field "${key}" in ${type.name}`);
    field.resolve();
    const sub = field.resolvedType;
    const convert = (x: unknown) => (sub !== null && 'fieldsArray' in sub ? toProtoFields(x, sub as protobuf.Type) : x);
    if (field.map) {
      out[field.name] = Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, convert(x)]));
    } else if (field.repeated) {
      out[field.name] = (v as unknown[]).map(convert);
    } else {
      out[field.name] = convert(v);
    }
  }
  return out;
}

function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** The float32 (or int32/bool) little-endian bytes of one weight, dequantized. */
function weightBytes(entry: WeightEntry, raw: Uint8Array): Uint8Array {
  const count = entry.shape.reduce((a, b) => a * b, 1);
  const q = entry.quantization;
  if (q === undefined) {
    if (entry.dtype === 'string') throw new UnsupportedError(`string weight "${entry.name}" is not supported`);
    return raw.slice();
  }
  const out = new Float32Array(count);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (q.dtype === 'float16') {
    for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
  } else {
    const min = q.min ?? 0;
    const scale = q.scale ?? 1;
    for (let i = 0; i < count; i++) out[i] = min + scale * (q.dtype === 'uint8' ? raw[i]! : view.getUint16(2 * i, true));
  }
  if (entry.dtype === 'int32') return new Uint8Array(Int32Array.from(out, Math.round).buffer);
  return new Uint8Array(out.buffer);
}

function storedSize(entry: WeightEntry): number {
  const count = entry.shape.reduce((a, b) => a * b, 1);
  const q = entry.quantization?.dtype;
  if (q === 'uint8') return count;
  if (q === 'uint16' || q === 'float16') return 2 * count;
  return entry.dtype === 'bool' ? count : 4 * count;
}

export function importTfjsGraphModel(json: ModelJson, readShard: ShardReader): { model: Model; graphDef: GraphDefMsg } {
  const graphType = tfMessageType('tensorflow.GraphDef');
  const topology = toProtoFields(json.modelTopology, graphType) as { node: Record<string, unknown>[] };
  const nodes = new Map(topology.node.map((n) => [n.name as string, n]));
  for (const group of json.weightsManifest ?? []) {
    const data = concat(group.paths.map(readShard));
    let offset = 0;
    for (const entry of group.weights) {
      const size = storedSize(entry);
      if (offset + size > data.length) {
        throw new ModelFormatError(`weight "${entry.name}" lies past the end of its shards (${data.length} bytes)`);
      }
      const bytes = weightBytes(entry, data.subarray(offset, offset + size));
      offset += size;
      const node = nodes.get(entry.name);
      if (node === undefined) continue; // tfjs keeps weights of pruned nodes; nothing reads them
      const dtype = entry.quantization?.original_dtype ?? entry.dtype;
      node.attr = {
        ...(node.attr as object),
        dtype: { type: DT_NAMES[dtype] ?? 'DT_FLOAT' },
        value: { tensor: { dtype: DT_NAMES[dtype] ?? 'DT_FLOAT', tensor_shape: { dim: entry.shape.map((size) => ({ size })) }, tensor_content: bytes } },
      };
    }
  }
  let msg: GraphDefMsg;
  try {
    msg = graphType.fromObject(topology) as GraphDefMsg;
  } catch (err) {
    throw new ModelFormatError(`malformed modelTopology (${err instanceof Error ? err.message : String(err)})`);
  }
  const model = graphDefToModel(msg);
  model.sourceFormat = 'tfjs';
  declareSignatureOutputs(model, json.signature ?? json.userDefinedMetadata?.signature);
  return { model, graphDef: msg };
}

/**
 * The outputs model.json's signature names (what tfjs's GraphModel returns), recorded as the
 * model's signature so select-io takes them as the default outputs rather than the graph's sinks
 * (an embedding the heads also read is an output too). Left out when a name is not found.
 */
function declareSignatureOutputs(model: Model, signature: SignatureJson | undefined): void {
  const names = Object.values(signature?.outputs ?? {}).map((o) => (o.name ?? '').replace(/:0$/, ''));
  const graph = model.main;
  const tensors = names.map((n) => graph.tensors.find((t) => t.name === n));
  if (names.length === 0 || tensors.some((t) => t === undefined)) return;
  model.signatures = [
    { key: 'serving_default', subgraph: 0, inputs: [], outputs: tensors.map((t) => ({ name: t!.name, tensor: t! })) },
  ];
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

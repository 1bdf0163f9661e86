/**
 * Model import: detect the format from the bytes (the extension is only a hint), then hand the
 * bytes to the matching reader. Every reader returns the same IR.
 */
import type { Model, Signature } from '../ir/graph.js';
import { ModelFormatError, UnsupportedError, UsageError } from '../util/errors.js';
import { decodeGraphDef, graphDefToModel, parseGraphDefText } from './graphdef.js';
import { tfMessageType, type GraphDefMsg } from './tf-protos.js';
import { importTfjsGraphModel, parseTfjsModelJson, type ShardReader } from './tfjs.js';
import { looksLikeTflite, readTflite } from './tflite.js';

export type ModelFormat = 'tflite' | 'graphdef' | 'pbtxt' | 'saved_model' | 'meta_graph' | 'tfjs';

export interface ImportResult {
  format: ModelFormat;
  model: Model;
  /** The decoded GraphDef, for TF sources (inspect counts its nodes as TF does). */
  graphDef: GraphDefMsg | null;
}

/** Decide what a file holds. `name` (a path or file name) breaks ties the bytes cannot. */
export function detectFormat(bytes: Uint8Array, name = ''): ModelFormat {
  if (bytes.length === 0) throw new ModelFormatError('file is empty');
  if (looksLikeTflite(bytes)) return 'tflite';
  const lower = name.toLowerCase();
  if (lower.endsWith('.tflite')) throw new ModelFormatError('not a .tflite model (no "TFL3" file identifier)');
  const head = bytes.subarray(0, 4096);
  if (isText(head)) {
    const text = new TextDecoder().decode(head).trimStart();
    if (text.startsWith('{')) return 'tfjs';
    return 'pbtxt';
  }
  if (lower.endsWith('.meta')) return 'meta_graph';
  // A SavedModel opens with field 1, saved_model_schema_version, a varint (tag byte 0x08);
  // a GraphDef with field 1, node, a length-delimited message (0x0a).
  if (bytes[0] === 0x08) return 'saved_model';
  return 'graphdef';
}

/** Printable UTF-8 / ASCII with no NUL and few control bytes: a text format. */
function isText(head: Uint8Array): boolean {
  let control = 0;
  for (const byte of head) {
    if (byte === 0) return false;
    if (byte < 9 || (byte > 13 && byte < 32)) control++;
  }
  return control === 0;
}

/** Extensions of the formats we read; anything else that fails to parse gets a plainer error. */
const KNOWN_EXTENSIONS = new Set(['', '.pb', '.pbtxt', '.txt', '.tflite', '.meta', '.json', '.graphdef']);

/** Which meta graph and signature of a SavedModel to take (tflite_convert's --saved_model_tag_set / --saved_model_signature_key). */
export interface SavedModelChoice {
  /** The meta graph whose tags include all of these (default: `serve`, else the only one). */
  tags?: string[] | undefined;
  /** The signature to take inputs and outputs from (default: serving_default, else the only one). */
  signatureKey?: string | undefined;
}

/**
 * Imports a model from its bytes. `name` (the path) helps detection; `readShard` reads the weight
 * files a tfjs graph model's model.json names (relative to it); `savedModel` picks a SavedModel's
 * meta graph and signature, whose inputs and outputs become the model's signature.
 */
export function importModel(bytes: Uint8Array, name = '', readShard?: ShardReader, savedModel: SavedModelChoice = {}): ImportResult {
  try {
    return importDetected(bytes, name, readShard, savedModel);
  } catch (err) {
    const ext = /\.[^./\\]+$/.exec(name)?.[0]?.toLowerCase() ?? '';
    if (err instanceof ModelFormatError && !KNOWN_EXTENSIONS.has(ext)) {
      throw new ModelFormatError(
        `unrecognized model format (extension ${ext}; expected a GraphDef .pb/.pbtxt, a SavedModel or a .tflite): ${err.message}`,
        { cause: err },
      );
    }
    throw err;
  }
}

function importDetected(bytes: Uint8Array, name: string, readShard: ShardReader | undefined, savedModel: SavedModelChoice): ImportResult {
  const format = detectFormat(bytes, name);
  switch (format) {
    case 'tflite':
      return { format, model: readTflite(bytes), graphDef: null };
    case 'graphdef':
      return fromGraphDef(format, decodeGraphDef(bytes));
    case 'pbtxt':
      return fromGraphDef(format, parseGraphDefText(new TextDecoder().decode(bytes)));
    case 'saved_model':
    case 'meta_graph': {
      const chosen = metaGraphInside(bytes, format === 'saved_model' ? 'tensorflow.SavedModel' : 'tensorflow.MetaGraphDef', savedModel);
      const result = fromGraphDef(format, chosen.graphDef);
      if (chosen.signature !== null) attachSignature(result.model, chosen.signature);
      return result;
    }
    case 'tfjs': {
      const json = parseTfjsModelJson(new TextDecoder().decode(bytes));
      if (readShard === undefined) throw new UnsupportedError('a tfjs graph model needs its weight files: load it from its path');
      return { format, ...importTfjsGraphModel(json, readShard) };
    }
  }
}

function fromGraphDef(format: ModelFormat, graphDef: GraphDefMsg): ImportResult {
  return { format, model: graphDefToModel(graphDef), graphDef };
}

interface TensorInfoMsg {
  name?: string | null;
}

interface SignatureDefMsg {
  inputs?: Record<string, TensorInfoMsg> | null;
  outputs?: Record<string, TensorInfoMsg> | null;
}

interface MetaGraphMsg {
  graph_def?: GraphDefMsg | null;
  meta_info_def?: { tags?: string[] } | null;
  signature_def?: Record<string, SignatureDefMsg> | null;
}

/** A signature as the meta graph gives it: its key and, per entry, the graph tensor it names. */
interface SourceSignature {
  key: string;
  inputs: [string, string][];
  outputs: [string, string][];
}

/**
 * The GraphDef of a SavedModel's meta graph (the one tagged `serve`, or as chosen, or the only
 * one) or of a checkpoint's MetaGraphDef, and the chosen signature (null when it has none).
 * Variables stay variables: such graphs convert only when they read none (api/convert.ts).
 */
function metaGraphInside(bytes: Uint8Array, typeName: 'tensorflow.SavedModel' | 'tensorflow.MetaGraphDef', choice: SavedModelChoice): { graphDef: GraphDefMsg; signature: SourceSignature | null } {
  let metaGraphs: MetaGraphMsg[];
  try {
    const msg = tfMessageType(typeName).decode(bytes) as { meta_graphs?: MetaGraphMsg[] } & MetaGraphMsg;
    metaGraphs = typeName === 'tensorflow.SavedModel' ? msg.meta_graphs ?? [] : [msg];
  } catch (err) {
    const what = typeName === 'tensorflow.SavedModel' ? 'SavedModel' : 'MetaGraphDef';
    throw new ModelFormatError(`not a valid ${what} protobuf (${err instanceof Error ? err.message : String(err)})`, {
      cause: err,
    });
  }
  const tagsOf = (m: MetaGraphMsg) => m.meta_info_def?.tags ?? [];
  let chosen: MetaGraphMsg | undefined;
  if (choice.tags !== undefined && choice.tags.length > 0) {
    chosen = metaGraphs.find((m) => choice.tags!.every((t) => tagsOf(m).includes(t)));
    if (chosen === undefined) {
      const have = metaGraphs.map((m) => `[${tagsOf(m).join(',')}]`).join(' ');
      throw new UsageError(`no meta graph is tagged ${choice.tags.join(',')} (the file has ${have || 'none'})`);
    }
  } else {
    chosen = metaGraphs.find((m) => tagsOf(m).includes('serve')) ?? metaGraphs[0];
  }
  const graphDef = chosen?.graph_def;
  if (!graphDef?.node?.length) throw new ModelFormatError('the file holds no graph');
  return { graphDef, signature: chooseSignature(chosen!.signature_def ?? {}, choice.signatureKey) };
}

function chooseSignature(defs: Record<string, SignatureDefMsg>, requested: string | undefined): SourceSignature | null {
  const keys = Object.keys(defs);
  const key = requested ?? (keys.includes('serving_default') ? 'serving_default' : keys.length === 1 ? keys[0]! : undefined);
  if (key === undefined) return null;
  const def = defs[key];
  if (def === undefined) throw new UsageError(`no signature "${key}" (the file has ${keys.map((k) => `"${k}"`).join(', ') || 'none'})`);
  const entries = (m: Record<string, TensorInfoMsg> | null | undefined): [string, string][] =>
    Object.keys(m ?? {})
      .sort()
      .map((k) => [k, m![k]!.name ?? '']);
  return { key, inputs: entries(def.inputs), outputs: entries(def.outputs) };
}

/**
 * The signature's tensors by name ("x:0" is tensor "x"), as the model's signature: select-io
 * takes its inputs and outputs as the defaults. A name that is not a graph tensor leaves the
 * model without one (the graph's placeholders and sinks stay the defaults).
 */
function attachSignature(model: Model, sig: SourceSignature): void {
  const graph = model.main;
  const resolve = ([name, tensorName]: [string, string]) => {
    const tensor = graph.tensors.find((t) => t.name === tensorName.replace(/:0$/, '') || t.name === tensorName);
    return tensor === undefined ? null : { name, tensor };
  };
  const inputs = sig.inputs.map(resolve);
  const outputs = sig.outputs.map(resolve);
  if (inputs.some((e) => e === null) || outputs.some((e) => e === null) || outputs.length === 0) return;
  model.signatures = [{ key: sig.key, subgraph: 0, inputs: inputs as Signature['inputs'], outputs: outputs as Signature['outputs'] }];
}

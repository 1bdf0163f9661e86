/**
 * Model import: detect the format from the bytes (the extension is only a hint), then hand the
 * bytes to the matching reader. Every reader returns the same IR.
 */
import type { Model } from '../ir/graph.js';
import { ModelFormatError, UnsupportedError } from '../util/errors.js';
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

/**
 * Imports a model from its bytes. `name` (the path) helps detection; `readShard` reads the weight
 * files a tfjs graph model's model.json names (relative to it).
 */
export function importModel(bytes: Uint8Array, name = '', readShard?: ShardReader): ImportResult {
  try {
    return importDetected(bytes, name, readShard);
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

function importDetected(bytes: Uint8Array, name: string, readShard: ShardReader | undefined): ImportResult {
  const format = detectFormat(bytes, name);
  switch (format) {
    case 'tflite':
      return { format, model: readTflite(bytes), graphDef: null };
    case 'graphdef':
      return fromGraphDef(format, decodeGraphDef(bytes));
    case 'pbtxt':
      return fromGraphDef(format, parseGraphDefText(new TextDecoder().decode(bytes)));
    case 'saved_model':
      return fromGraphDef(format, graphDefInside(bytes, 'tensorflow.SavedModel'));
    case 'meta_graph':
      return fromGraphDef(format, graphDefInside(bytes, 'tensorflow.MetaGraphDef'));
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

interface MetaGraphMsg {
  graph_def?: GraphDefMsg | null;
  meta_info_def?: { tags?: string[] } | null;
}

/**
 * The GraphDef of a SavedModel's `serve` meta graph (or its only one), or of a checkpoint's
 * MetaGraphDef. Variables stay variables: such graphs can be inspected, not converted, until
 * they are frozen.
 */
function graphDefInside(bytes: Uint8Array, typeName: 'tensorflow.SavedModel' | 'tensorflow.MetaGraphDef'): GraphDefMsg {
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
  const chosen = metaGraphs.find((m) => m.meta_info_def?.tags?.includes('serve')) ?? metaGraphs[0];
  const graphDef = chosen?.graph_def;
  if (!graphDef?.node?.length) throw new ModelFormatError('the file holds no graph');
  return graphDef;
}

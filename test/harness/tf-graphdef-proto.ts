// Decoding a serialized tensorflow.GraphDef with protobufjs and the JSON descriptor in generated/
// (not with the project's src/ readers: the tfjs harness is an independent oracle).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

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
// Decoding

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

/** The DataType enum name of `dtype` ('DT_FLOAT', ...), as tfjs topology attrs spell it. */
export function dtypeName(dtype: number | undefined): string {
  const name = protoTypes().dtypeNames[dtype ?? 0];
  if (name === undefined) throw new Error(`unknown TensorFlow DataType enum value ${dtype}`);
  return name;
}

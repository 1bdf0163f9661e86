/**
 * The TensorFlow protobuf messages we read, loaded once from the generated descriptor, and the
 * shapes of their decoded values. protobufjs decodes int64 fields as Long objects (or numbers)
 * and bytes fields as views of the input buffer.
 */
import protobuf from 'protobufjs';
import { TF_PROTOS_DESCRIPTOR } from '../../generated/tf-protos.js';

export type Int64 = number | { toNumber(): number; toString(): string };

export interface TensorShapeMsg {
  dim?: { size?: Int64; name?: string }[];
  unknown_rank?: boolean;
}

export interface TensorProtoMsg {
  dtype?: number;
  tensor_shape?: TensorShapeMsg | null;
  tensor_content?: Uint8Array;
  half_val?: number[];
  float_val?: number[];
  double_val?: number[];
  int_val?: number[];
  string_val?: Uint8Array[];
  scomplex_val?: number[];
  int64_val?: Int64[];
  bool_val?: boolean[];
  dcomplex_val?: number[];
  uint32_val?: number[];
  uint64_val?: Int64[];
}

export interface NameAttrListMsg {
  name?: string;
  attr?: Record<string, AttrValueMsg>;
}

export interface AttrListMsg {
  s?: Uint8Array[];
  i?: Int64[];
  f?: number[];
  b?: boolean[];
  type?: number[];
  shape?: TensorShapeMsg[];
  tensor?: TensorProtoMsg[];
  func?: NameAttrListMsg[];
}

export interface AttrValueMsg {
  /** protobufjs' virtual oneof member: the name of the field that is set. */
  value?: 's' | 'i' | 'f' | 'b' | 'type' | 'shape' | 'tensor' | 'list' | 'func' | 'placeholder';
  s?: Uint8Array;
  i?: Int64;
  f?: number;
  b?: boolean;
  type?: number;
  shape?: TensorShapeMsg;
  tensor?: TensorProtoMsg;
  list?: AttrListMsg;
  func?: NameAttrListMsg;
  placeholder?: string;
}

export interface NodeDefMsg {
  name?: string;
  op?: string;
  input?: string[];
  device?: string;
  attr?: Record<string, AttrValueMsg>;
}

export interface GraphDefMsg {
  node?: NodeDefMsg[];
  versions?: { producer?: number; min_consumer?: number } | null;
}

let root: protobuf.Root | undefined;

/** The protobufjs type of a TF message, e.g. `tensorflow.GraphDef`. */
export function tfMessageType(name: string): protobuf.Type {
  root ??= protobuf.Root.fromJSON(TF_PROTOS_DESCRIPTOR as unknown as protobuf.INamespace);
  return root.lookupType(name);
}

export function int64ToNumber(v: Int64 | undefined): number {
  if (v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

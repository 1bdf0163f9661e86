import { BuiltinOperator } from '../../generated/tflite/builtin-operator.js';
import type { BuiltinOptions } from '../../generated/tflite/builtin-options.js';
import type { BuiltinOptions2 } from '../../generated/tflite/builtin-options2.js';
import type { DType } from './dtype.js';
import type { ConstData, Shape, Tensor } from './tensor.js';

/**
 * The IR has two dialects, as TensorFlow's MLIR converter does:
 * - `tf`: a GraphDef node as imported, with its TF op name and TF attributes, parsed once into
 *   typed values. Legalization rewrites these into `tfl` ops.
 * - `tfl`: a TFLite operator. Its attributes are the object-API classes generated from the
 *   official schema (Conv2DOptionsT, ...), so the schema is the one source of their types.
 * An op's `inputs` may hold null for an omitted optional input (TFLite's -1).
 */
export type Op = TfOp | TflOp;

interface OpBase {
  /** Node name (tf) or a name derived from the first output (tfl). */
  name: string;
  inputs: (Tensor | null)[];
  outputs: Tensor[];
}

export interface TfOp extends OpBase {
  dialect: 'tf';
  /** TF op type name, e.g. `Conv2D`, `_FusedConv2D`. */
  type: string;
  attrs: Map<string, TfAttr>;
  /** Names of the nodes this one had `^control` edges from; only ordering, no data. */
  controlInputs: string[];
  device: string;
}

/** A decoded TF tensor attribute or Const value. */
export interface TfTensorValue {
  dtype: DType;
  shape: number[];
  data: ConstData;
}

/** TF AttrValue, typed. Strings are byte strings in TF; `text` is their UTF-8 reading. */
export type TfAttr =
  | { kind: 's'; bytes: Uint8Array; text: string }
  | { kind: 'i'; value: number }
  | { kind: 'f'; value: number }
  | { kind: 'b'; value: boolean }
  | { kind: 'type'; value: DType }
  | { kind: 'shape'; value: Shape }
  | { kind: 'tensor'; value: TfTensorValue }
  | { kind: 'func'; name: string; attrs: Map<string, TfAttr> }
  | { kind: 'placeholder'; name: string }
  | { kind: 'list'; value: TfAttrList };

export interface TfAttrList {
  s: string[];
  i: number[];
  f: number[];
  b: boolean[];
  type: DType[];
  shape: Shape[];
  tensor: TfTensorValue[];
  func: { name: string; attrs: Map<string, TfAttr> }[];
}

/** Object-API value of a member of the BuiltinOptions union (e.g. Conv2DOptionsT). */
export interface TflOptions {
  type: BuiltinOptions;
  value: { pack(builder: unknown): number };
}

export interface TflOptions2 {
  type: BuiltinOptions2;
  value: { pack(builder: unknown): number };
}

export interface TflOp extends OpBase {
  dialect: 'tfl';
  builtin: BuiltinOperator;
  /** For BuiltinOperator.CUSTOM: the custom op's name. */
  customCode: string | null;
  /** The operator-code version the runtime must support. */
  version: number;
  options: TflOptions | null;
  options2: TflOptions2 | null;
  customOptions: Uint8Array | null;
  /** Scratch tensors some kernels (LSTM) record quantization parameters on. */
  intermediates: Tensor[];
}

/** The name users know an op by: the TF op type, the TFLite builtin name, or the custom code. */
export function opTypeName(op: Op): string {
  if (op.dialect === 'tf') return op.type;
  if (op.customCode !== null) return op.customCode;
  return builtinName(op.builtin);
}

export function builtinName(code: BuiltinOperator): string {
  return BuiltinOperator[code] ?? `BUILTIN_${code}`;
}

/**
 * A TFLite op with the usual defaults (version 1, no custom code or options2), recorded as the
 * producer of its outputs.
 */
export function createTflOp(
  builtin: BuiltinOperator,
  name: string,
  inputs: (Tensor | null)[],
  outputs: Tensor[],
  options: TflOptions | null = null,
): TflOp {
  const op: TflOp = {
    dialect: 'tfl',
    name,
    builtin,
    customCode: null,
    version: 1,
    inputs,
    outputs,
    options,
    options2: null,
    customOptions: null,
    intermediates: [],
  };
  for (const t of outputs) t.producer = op;
  return op;
}

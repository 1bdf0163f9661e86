/**
 * Frozen GraphDef (binary .pb or text .pbtxt) into the IR's `tf` dialect.
 *
 * - Const nodes become constant tensors (their bytes stay views of the file where TF wrote
 *   tensor_content) and Placeholders become graph inputs; every other node becomes a TfOp with
 *   its attributes parsed once into typed values.
 * - GraphDef does not order its nodes; the ops are sorted topologically (stable: ties keep the
 *   file's order), and a cycle (TF1 while-loop control flow) is reported by node.
 * - How many outputs a node has is not in the GraphDef; it is the highest output index any
 *   consumer reads, at least one (the op registry refines this when legalizing).
 */
import { Graph, Model } from '../ir/graph.js';
import type { TfAttr, TfAttrList, TfOp } from '../ir/op.js';
import { Tensor } from '../ir/tensor.js';
import { ModelFormatError } from '../util/errors.js';
import { parseTextProto } from './pbtxt.js';
import { decodeTensorProto, dtypeFromTf, shapeFromTf } from './tensor-proto.js';
import {
  int64ToNumber,
  tfMessageType,
  type AttrValueMsg,
  type GraphDefMsg,
  type NameAttrListMsg,
  type NodeDefMsg,
} from './tf-protos.js';

/** Ops that produce no data output; anything else has at least output 0. */
const NO_OUTPUT_OPS = new Set(['NoOp', 'Assert', 'SaveV2', 'Save', 'SaveSlices', 'MergeV2Checkpoints']);

/** The dtype attributes a TF op's first output usually takes its type from, by precedence. */
const OUTPUT_DTYPE_ATTRS = ['T', 'dtype', 'out_type', 'DstT', 'Tout', 'output_type'];

export function decodeGraphDef(bytes: Uint8Array): GraphDefMsg {
  let msg: GraphDefMsg;
  try {
    msg = tfMessageType('tensorflow.GraphDef').decode(bytes) as GraphDefMsg;
  } catch (err) {
    throw new ModelFormatError(`not a valid GraphDef protobuf (${err instanceof Error ? err.message : String(err)})`, {
      cause: err,
    });
  }
  return msg;
}

export function parseGraphDefText(text: string): GraphDefMsg {
  const type = tfMessageType('tensorflow.GraphDef');
  return type.fromObject(parseTextProto(text, type)) as GraphDefMsg;
}

/** Random bytes often decode as an "empty" protobuf; a GraphDef has named, typed nodes. */
function checkNodes(msg: GraphDefMsg): void {
  const nodes = msg.node ?? [];
  if (nodes.length === 0) throw new ModelFormatError('GraphDef has no nodes (is this really a TensorFlow graph?)');
  nodes.forEach((node, i) => {
    if (!node.name) throw new ModelFormatError(`GraphDef node ${i} has no name`);
    if (!node.op) throw new ModelFormatError(`GraphDef node "${node.name}" has no op`);
  });
}

/** A node input reference: `name`, `name:2`, or `^name` for a control edge. */
function parseInputRef(ref: string): { node: string; index: number; control: boolean } {
  if (ref.startsWith('^')) return { node: ref.slice(1), index: -1, control: true };
  const m = /^(.*?):(\d+)$/.exec(ref);
  return m ? { node: m[1]!, index: Number(m[2]), control: false } : { node: ref, index: 0, control: false };
}

export function graphDefToModel(msg: GraphDefMsg): Model {
  checkNodes(msg);
  const nodes = msg.node ?? [];
  const byName = new Map<string, NodeDefMsg>();
  for (const node of nodes) {
    if (byName.has(node.name!)) throw new ModelFormatError(`two GraphDef nodes are named "${node.name}"`);
    byName.set(node.name!, node);
  }

  // How many outputs each node needs: the highest index any consumer reads, plus one.
  const outputCounts = new Map<string, number>();
  for (const node of nodes) {
    for (const ref of node.input ?? []) {
      const { node: from, index, control } = parseInputRef(ref);
      if (!byName.has(from)) {
        throw new ModelFormatError(`node "${node.name}" (${node.op}) reads "${ref}", but there is no node "${from}"`);
      }
      if (!control) outputCounts.set(from, Math.max(outputCounts.get(from) ?? 0, index + 1));
    }
  }

  const graph = new Graph();
  const outputsOf = new Map<string, Tensor[]>();
  const opOf = new Map<string, TfOp>();
  for (const node of nodes) {
    const name = node.name!;
    const attrs = parseAttrs(node);
    if (node.op === 'Const') {
      const value = attrs.get('value');
      if (value?.kind !== 'tensor') throw new ModelFormatError(`Const node "${name}" has no tensor value`);
      const tensor = new Tensor(name, value.value.dtype, value.value.shape);
      tensor.data = value.value.data;
      outputsOf.set(name, [graph.addTensor(tensor)]);
      continue;
    }
    if (node.op === 'Placeholder') {
      const dtype = attrs.get('dtype');
      const shape = attrs.get('shape');
      const tensor = new Tensor(
        name,
        dtype?.kind === 'type' ? dtype.value : null,
        shape?.kind === 'shape' ? shape.value : null,
      );
      graph.inputs.push(graph.addTensor(tensor));
      outputsOf.set(name, [tensor]);
      continue;
    }
    const count = Math.max(outputCounts.get(name) ?? 0, NO_OUTPUT_OPS.has(node.op!) ? 0 : 1);
    const dtypeAttr = OUTPUT_DTYPE_ATTRS.map((a) => attrs.get(a)).find((a) => a?.kind === 'type');
    const outputs = Array.from({ length: count }, (_, i) => {
      const tensor = new Tensor(i === 0 ? name : `${name}:${i}`, null, null);
      if (dtypeAttr?.kind === 'type') tensor.dtype = dtypeAttr.value;
      return graph.addTensor(tensor);
    });
    outputsOf.set(name, outputs);
    opOf.set(name, {
      dialect: 'tf',
      name,
      type: node.op!,
      attrs,
      inputs: [],
      outputs,
      controlInputs: [],
      device: node.device ?? '',
    });
  }

  for (const node of nodes) {
    const op = opOf.get(node.name!);
    for (const ref of node.input ?? []) {
      const { node: from, index, control } = parseInputRef(ref);
      if (control) {
        if (op) op.controlInputs.push(from);
        continue;
      }
      if (!op) {
        throw new ModelFormatError(`node "${node.name}" (${node.op}) cannot have inputs, but reads "${ref}"`);
      }
      const tensor = outputsOf.get(from)![index];
      if (tensor === undefined) {
        throw new ModelFormatError(`node "${node.name}" (${node.op}) reads "${ref}", but "${from}" has only one output`);
      }
      op.inputs.push(tensor);
    }
  }

  for (const op of topologicalOrder([...opOf.values()], opOf)) graph.addOp(op);
  const model = new Model('graphdef');
  model.graphs.push(graph);
  return model;
}

/** Kahn's algorithm over data and control edges; ties keep file order so output is stable. */
function topologicalOrder(ops: TfOp[], opOf: Map<string, TfOp>): TfOp[] {
  const producerOf = new Map<Tensor, TfOp>();
  for (const op of ops) for (const t of op.outputs) producerOf.set(t, op);
  const deps = new Map<TfOp, Set<TfOp>>();
  const users = new Map<TfOp, TfOp[]>();
  for (const op of ops) {
    const before = new Set<TfOp>();
    for (const t of op.inputs) {
      const producer = t === null ? undefined : producerOf.get(t);
      if (producer) before.add(producer);
    }
    for (const name of op.controlInputs) {
      const producer = opOf.get(name);
      if (producer) before.add(producer);
    }
    deps.set(op, before);
    for (const p of before) {
      const list = users.get(p);
      if (list) list.push(op);
      else users.set(p, [op]);
    }
  }
  const position = new Map(ops.map((op, i) => [op, i]));
  // A min-heap on file position: among the ops whose inputs are ready, the earliest in the file
  // goes first, so the order is stable and as close to the file's as the edges allow.
  const heap: TfOp[] = [];
  const before = (a: TfOp, b: TfOp) => position.get(a)! < position.get(b)!;
  const push = (op: TfOp) => {
    heap.push(op);
    for (let i = heap.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  };
  const pop = (): TfOp => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  };
  for (const op of ops) if (deps.get(op)!.size === 0) push(op);
  const order: TfOp[] = [];
  while (heap.length > 0) {
    const op = pop();
    order.push(op);
    for (const user of users.get(op) ?? []) {
      const pending = deps.get(user)!;
      pending.delete(op);
      if (pending.size === 0) push(user);
    }
  }
  if (order.length !== ops.length) {
    const stuck = ops.filter((op) => deps.get(op)!.size > 0).slice(0, 5);
    throw new ModelFormatError(
      `graph has a cycle (TF1 while-loop control flow is not supported) through: ${stuck
        .map((op) => `"${op.name}" (${op.type})`)
        .join(', ')}`,
    );
  }
  return order;
}

function parseAttrs(node: NodeDefMsg): Map<string, TfAttr> {
  const attrs = new Map<string, TfAttr>();
  for (const key of Object.keys(node.attr ?? {}).sort()) {
    try {
      attrs.set(key, parseAttr(node.attr![key]!));
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new ModelFormatError(`node "${node.name}" (${node.op}) attribute "${key}": ${reason}`, { cause: err });
    }
  }
  return attrs;
}

const utf8 = new TextDecoder();

function parseAttr(msg: AttrValueMsg): TfAttr {
  switch (msg.value) {
    case 's':
      return { kind: 's', bytes: msg.s!, text: utf8.decode(msg.s!) };
    case 'i':
      return { kind: 'i', value: int64ToNumber(msg.i) };
    case 'f':
      return { kind: 'f', value: msg.f! };
    case 'b':
      return { kind: 'b', value: msg.b! };
    case 'type':
      return { kind: 'type', value: dtypeFromTf(msg.type!) };
    case 'shape':
      return { kind: 'shape', value: shapeFromTf(msg.shape) };
    case 'tensor':
      return { kind: 'tensor', value: decodeTensorProto(msg.tensor!) };
    case 'func':
      return { kind: 'func', ...parseFunc(msg.func!) };
    case 'placeholder':
      return { kind: 'placeholder', name: msg.placeholder! };
    case 'list':
    case undefined: {
      // An unset AttrValue is how TF writes an empty list.
      const list = msg.list ?? {};
      const value: TfAttrList = {
        s: (list.s ?? []).map((b) => utf8.decode(b)),
        i: (list.i ?? []).map(int64ToNumber),
        f: list.f ?? [],
        b: list.b ?? [],
        type: (list.type ?? []).map(dtypeFromTf),
        shape: (list.shape ?? []).map(shapeFromTf),
        tensor: (list.tensor ?? []).map(decodeTensorProto),
        func: (list.func ?? []).map(parseFunc),
      };
      return { kind: 'list', value };
    }
  }
}

function parseFunc(msg: NameAttrListMsg): { name: string; attrs: Map<string, TfAttr> } {
  return { name: msg.name ?? '', attrs: parseAttrs({ name: msg.name ?? '', op: 'func', attr: msg.attr ?? {} }) };
}

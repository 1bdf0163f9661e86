import type { Op } from './op.js';
import type { Tensor } from './tensor.js';

/**
 * One function body: TFLite's SubGraph, or a whole GraphDef. `ops` is kept in topological order
 * (the verifier checks it). `tensors` lists every tensor the graph owns, constants included, in
 * the order they should be written.
 */
export class Graph {
  name: string;
  inputs: Tensor[] = [];
  outputs: Tensor[] = [];
  ops: Op[] = [];
  tensors: Tensor[] = [];

  constructor(name = '') {
    this.name = name;
  }

  addTensor(tensor: Tensor): Tensor {
    this.tensors.push(tensor);
    return tensor;
  }

  /** Appends an op and marks it the producer of its outputs. */
  addOp<T extends Op>(op: T): T {
    for (const out of op.outputs) out.producer = op;
    this.ops.push(op);
    return op;
  }

  /** Makes every reader of `from` (ops and graph outputs) read `to` instead. */
  replaceUses(from: Tensor, to: Tensor): void {
    for (const op of this.ops) {
      op.inputs = op.inputs.map((t) => (t === from ? to : t));
    }
    this.outputs = this.outputs.map((t) => (t === from ? to : t));
  }

  /** Drops tensors nothing refers to any more (after passes removed their producers and readers). */
  pruneTensors(): void {
    const used = new Set<Tensor>([...this.inputs, ...this.outputs]);
    for (const op of this.ops) {
      for (const t of op.inputs) if (t !== null) used.add(t);
      for (const t of op.outputs) used.add(t);
      if (op.dialect === 'tfl') for (const t of op.intermediates) used.add(t);
    }
    this.tensors = this.tensors.filter((t) => used.has(t));
  }

  /** For each tensor, the ops reading it, in op order. Computed on demand: passes edit the graph. */
  consumers(): Map<Tensor, Op[]> {
    const users = new Map<Tensor, Op[]>();
    for (const op of this.ops) {
      for (const t of op.inputs) {
        if (t === null) continue;
        const list = users.get(t);
        if (list) {
          if (list[list.length - 1] !== op) list.push(op);
        } else users.set(t, [op]);
      }
    }
    return users;
  }
}

/** A named signature: TFLite's SignatureDef, TF's serving signature. */
export interface Signature {
  key: string;
  subgraph: number;
  inputs: { name: string; tensor: Tensor }[];
  outputs: { name: string; tensor: Tensor }[];
}

export type SourceFormat = 'graphdef' | 'tflite' | 'tfjs';

/** A whole model: subgraph 0 is the entry point, as in TFLite. */
export class Model {
  sourceFormat: SourceFormat;
  graphs: Graph[] = [];
  description = '';
  /** Schema version of a TFLite source (3 for every current file). */
  version = 3;
  signatures: Signature[] = [];
  /** TFLite metadata entries: name and raw bytes (e.g. `min_runtime_version`). */
  metadata: { name: string; data: Uint8Array }[] = [];
  /** The deprecated `metadata_buffer` list: raw buffers older tools attached, kept as they are. */
  metadataBuffers: Uint8Array[] = [];

  constructor(sourceFormat: SourceFormat) {
    this.sourceFormat = sourceFormat;
  }

  get main(): Graph {
    const g = this.graphs[0];
    if (g === undefined) throw new Error('model has no graph');
    return g;
  }
}

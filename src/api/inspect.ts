/**
 * `inspect`: what TF's summarize_graph tells about a GraphDef, and the same facts for a .tflite:
 * inputs, likely outputs, an op histogram, and the parameter count and bytes of its constants.
 */
import { DTYPES, type DType } from '../ir/dtype.js';
import type { Model } from '../ir/graph.js';
import { opTypeName } from '../ir/op.js';
import { elementCount, type QuantParams, type Shape, type Tensor } from '../ir/tensor.js';
import { importModel, type ImportResult } from '../import/index.js';
import type { GraphDefMsg } from '../import/tf-protos.js';
import { isBookkeepingOp } from '../ops/tf-node-kinds.js';

export interface TensorSummary {
  name: string;
  dtype: DType | null;
  /** null: unknown rank; -1: unknown dimension. */
  shape: Shape;
  quantization?: { scale: number[]; zeroPoint: number[]; axis: number };
}

export interface InspectReport {
  format: 'graphdef' | 'tflite';
  /** The container the graph came in, where it is not a plain GraphDef / .tflite. */
  container?: 'pbtxt' | 'saved_model' | 'meta_graph' | 'tfjs';
  inputs: TensorSummary[];
  outputs: TensorSummary[];
  /** Op type → count: TF op names for GraphDef, BuiltinOperator names or custom codes for TFLite. */
  ops: Record<string, number>;
  /** Elements in all constants. */
  params: number;
  /** Bytes those constants take. */
  bytes: number;
}


export function inspectBytes(bytes: Uint8Array, name = ''): InspectReport {
  return inspectImport(importModel(bytes, name));
}

export function inspectImport(result: ImportResult): InspectReport {
  if (result.graphDef === null) return inspectTflite(result.model);
  const report = inspectGraphDef(result.model, result.graphDef);
  if (result.format !== 'graphdef') report.container = result.format as NonNullable<InspectReport['container']>;
  return report;
}

function summarize(t: Tensor): TensorSummary {
  const summary: TensorSummary = { name: t.name, dtype: t.dtype, shape: t.shape };
  if (t.quant !== null && t.quant.scale.length > 0) summary.quantization = quantSummary(t.quant);
  return summary;
}

function quantSummary(q: QuantParams): NonNullable<TensorSummary['quantization']> {
  return { scale: q.scale, zeroPoint: q.zeroPoint, axis: q.axis };
}

function constantSize(t: Tensor): { params: number; bytes: number } {
  if (t.data === null || t.isVariable || t.dtype === null) return { params: 0, bytes: 0 };
  if (t.data.kind === 'strings') {
    return { params: t.data.values.length, bytes: t.data.values.reduce((n, v) => n + v.length, 0) };
  }
  const count = elementCount(t.shape);
  const size = DTYPES[t.dtype].bytes;
  // Sparse or packed buffers do not match prod(shape); their byte length is the honest count.
  const params = Number.isFinite(count) ? count : size > 0 ? Math.floor(t.data.bytes.length / size) : 0;
  return { params, bytes: t.data.bytes.length };
}

/** Elements and bytes of every constant in every graph of the model. */
function constantTotals(model: Model): { params: number; bytes: number } {
  let params = 0;
  let bytes = 0;
  for (const graph of model.graphs) {
    for (const t of graph.tensors) {
      const size = constantSize(t);
      params += size.params;
      bytes += size.bytes;
    }
  }
  return { params, bytes };
}

function inspectTflite(model: Model): InspectReport {
  const ops: Record<string, number> = {};
  for (const graph of model.graphs) {
    for (const op of graph.ops) {
      const name = opTypeName(op);
      ops[name] = (ops[name] ?? 0) + 1;
    }
  }
  return {
    format: 'tflite',
    inputs: model.main.inputs.map(summarize),
    outputs: model.main.outputs.map(summarize),
    ops: sortedHistogram(ops),
    ...constantTotals(model),
  };
}

function inspectGraphDef(model: Model, graphDef: GraphDefMsg): InspectReport {
  const nodes = graphDef.node ?? [];
  const ops: Record<string, number> = {};
  const consumed = new Set<string>();
  for (const node of nodes) {
    ops[node.op!] = (ops[node.op!] ?? 0) + 1;
    for (const ref of node.input ?? []) consumed.add(ref.replace(/^\^/, '').replace(/:\d+$/, ''));
  }
  const graph = model.main;
  const tensorsByName = new Map(graph.tensors.map((t) => [t.name, t]));
  const outputs = nodes
    .filter((n) => !consumed.has(n.name!) && !isBookkeepingOp(n.op!) && !n.name!.startsWith('save/'))
    .map((n) => {
      const t = tensorsByName.get(n.name!);
      return t ? summarize(t) : { name: n.name!, dtype: null, shape: null };
    });
  return {
    format: 'graphdef',
    inputs: graph.inputs.map(summarize),
    outputs,
    ops: sortedHistogram(ops),
    ...constantTotals(model),
  };
}

/** Most frequent first, then by name: a stable, readable order. */
function sortedHistogram(counts: Record<string, number>): Record<string, number> {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return Object.fromEntries(entries);
}

export function formatShape(shape: Shape): string {
  return shape === null ? '<unknown rank>' : `[${shape.map((d) => (d < 0 ? '?' : String(d))).join(',')}]`;
}

/** The human-readable report `inspect` prints without --json. */
export function formatInspectReport(report: InspectReport, file: string, fileSize: number): string {
  const lines: string[] = [];
  const kind = report.container ? `${report.format} (${report.container})` : report.format;
  lines.push(`${file}: ${kind}, ${fileSize.toLocaleString('en-US')} bytes`);
  const tensorLine = (t: TensorSummary) => {
    let line = `  ${t.name || '<unnamed>'}  ${t.dtype ?? '?'} ${formatShape(t.shape)}`;
    if (t.quantization) {
      const q = t.quantization;
      const scale = q.scale.length === 1 ? String(q.scale[0]) : `${q.scale.length} per-channel scales`;
      line += `  quantized: scale=${scale} zero_point=${q.zeroPoint.length === 1 ? q.zeroPoint[0] : '…'}`;
    }
    return line;
  };
  lines.push(`Inputs (${report.inputs.length}):`, ...report.inputs.map(tensorLine));
  lines.push(`Outputs (${report.outputs.length}):`, ...report.outputs.map(tensorLine));
  const total = Object.values(report.ops).reduce((a, b) => a + b, 0);
  lines.push(`Ops (${total} in ${Object.keys(report.ops).length} types):`);
  const width = Math.max(0, ...Object.keys(report.ops).map((k) => k.length));
  for (const [op, count] of Object.entries(report.ops)) lines.push(`  ${op.padEnd(width)}  ${count}`);
  lines.push(`Parameters: ${report.params.toLocaleString('en-US')} (${formatBytes(report.bytes)})`);
  return lines.join('\n');
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}


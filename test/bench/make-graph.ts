/**
 * Writes the bench's large frozen GraphDef: a Keras-style dense network
 *
 *   input [1, W] → layers × (MatMul [W, W] (transpose_b false) + BiasAdd + Relu) → Identity
 *
 * with seeded float32 weights as tensor_content, as TF's freeze_graph writes them.
 *
 * Encoding a 400 MB GraphDef in one protobufjs call would hold the object tree, the writer's
 * op list and the finished buffer at once; a GraphDef is just its `node` entries (field 1,
 * repeated), and concatenated protobuf messages merge, so each NodeDef is encoded on its own and
 * appended as tag 0x0a + varint length + bytes. `versions` (field 4) is appended the same way.
 * The result is read back and decoded with protobufjs before it is declared good.
 *
 * As a child process: node dist/test/bench/make-graph.js <file> [layers] [width]
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { tfMessageType, type GraphDefMsg } from '../../src/import/tf-protos.js';
import { DEFAULT_SPEC, emitResult, layerNames, layerValues, msSince, weightBytes, type DenseSpec } from './common.js';

const DT_FLOAT = 1;
const INPUT = 'input_1';
const OUTPUT = 'Identity';

type NodeObject = { name: string; op: string; input?: string[]; attr: Record<string, unknown> };

const typeAttr = { type: DT_FLOAT };
const falseAttr = { b: false };

function constNode(name: string, values: Float32Array, shape: number[]): NodeObject {
  const content = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  return {
    name,
    op: 'Const',
    attr: {
      dtype: typeAttr,
      value: { tensor: { dtype: DT_FLOAT, tensor_shape: { dim: shape.map((size) => ({ size })) }, tensor_content: content } },
    },
  };
}

/** The nodes in the order Keras' frozen graphs list them: each layer's constants before its ops. */
function* denseNodes(spec: DenseSpec): Generator<NodeObject> {
  const { width } = spec;
  yield {
    name: INPUT,
    op: 'Placeholder',
    attr: { dtype: typeAttr, shape: { shape: { dim: [{ size: 1 }, { size: width }] } } },
  };
  let x = INPUT;
  for (let layer = 0; layer < spec.layers; layer++) {
    const n = layerNames(layer);
    yield constNode(n.kernel, layerValues(layer, 'kernel', width), [width, width]);
    yield { name: n.matmul, op: 'MatMul', input: [x, n.kernel], attr: { T: typeAttr, transpose_a: falseAttr, transpose_b: falseAttr } };
    yield constNode(n.bias, layerValues(layer, 'bias', width), [width]);
    yield {
      name: n.biasAdd,
      op: 'BiasAdd',
      input: [n.matmul, n.bias],
      attr: { T: typeAttr, data_format: { s: new TextEncoder().encode('NHWC') } },
    };
    yield { name: n.relu, op: 'Relu', input: [n.biasAdd], attr: { T: typeAttr } };
    x = n.relu;
  }
  yield { name: OUTPUT, op: 'Identity', input: [x], attr: { T: typeAttr } };
}

/** Protobuf base-128 varint of a non-negative length (< 2^53). */
function varint(n: number): Uint8Array {
  const bytes: number[] = [];
  while (n >= 0x80) {
    bytes.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  bytes.push(n);
  return Uint8Array.from(bytes);
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let written = 0;
  while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
}

/** Writes the graph to `file`; returns the node count and file size. */
export function writeDenseGraph(file: string, spec: DenseSpec): { nodes: number; bytes: number } {
  const nodeType = tfMessageType('tensorflow.NodeDef');
  const graphType = tfMessageType('tensorflow.GraphDef');
  const fd = openSync(file, 'w');
  let nodes = 0;
  let bytes = 0;
  const field = (tag: number, body: Uint8Array) => {
    const head = Uint8Array.of(tag, ...varint(body.length));
    writeAll(fd, head);
    writeAll(fd, body);
    bytes += head.length + body.length;
  };
  try {
    for (const node of denseNodes(spec)) {
      field(0x0a, nodeType.encode(nodeType.fromObject(node)).finish());
      nodes++;
    }
    // GraphDef.versions (field 4, length-delimited: tag 0x22), as TF 2.x writes it.
    const versions = graphType.encode(graphType.fromObject({ versions: { producer: 1087 } })).finish();
    writeAll(fd, versions);
    bytes += versions.length;
  } finally {
    closeSync(fd);
  }
  return { nodes, bytes };
}

/** Decodes the file with protobufjs and checks it holds what was written. */
export function checkDenseGraph(file: string, spec: DenseSpec, nodes: number): void {
  const msg = tfMessageType('tensorflow.GraphDef').decode(readFileSync(file)) as GraphDefMsg;
  const decoded = msg.node ?? [];
  if (decoded.length !== nodes) throw new Error(`decoded ${decoded.length} nodes, wrote ${nodes}`);
  let content = 0;
  for (const node of decoded) content += node.attr?.value?.tensor?.tensor_content?.length ?? 0;
  if (content !== weightBytes(spec)) throw new Error(`decoded ${content} bytes of tensor_content, wrote ${weightBytes(spec)}`);
  if (msg.versions?.producer !== 1087) throw new Error('GraphDef.versions did not survive');
  if (decoded.at(-1)?.name !== OUTPUT) throw new Error('last node is not the output');
}

function main(argv: string[]): void {
  const [file, layers, width] = argv;
  if (file === undefined) throw new Error('usage: make-graph.js <file> [layers] [width]');
  const spec: DenseSpec = {
    layers: layers === undefined ? DEFAULT_SPEC.layers : Number(layers),
    width: width === undefined ? DEFAULT_SPEC.width : Number(width),
  };
  const start = performance.now();
  const { nodes, bytes } = writeDenseGraph(file, spec);
  const writeMs = msSince(start);
  checkDenseGraph(file, spec, nodes);
  emitResult({ nodes, bytes, weightBytes: weightBytes(spec), writeMs, totalMs: msSince(start) });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main(process.argv.slice(2));

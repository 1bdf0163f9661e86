/**
 * .tflite writer: the IR into a flatbuffer through the bindings generated from the official
 * schema.
 *
 * Layout decisions, each one something the TFLite runtime or its users depend on:
 * - buffer 0 is the empty sentinel; tensors without data point at it;
 * - every buffer's data starts 16-byte aligned (the schema's force_align, which flatc's
 *   TypeScript generator ignores), so kernels can map weights in place;
 * - identical constant buffers are stored once;
 * - the output is a pure function of the IR: same model in, same bytes out;
 * - the builder is sized up front from the weight bytes, so large models are not copied by the
 *   builder's grow-by-doubling;
 * - buffer data is not copied into the builder while the tables are built: each buffer's bytes
 *   get reserved space, filled once the flatbuffer is finished, either in place (`writeTflite`)
 *   or, for large buffers, straight from their source into the output stream
 *   (`writeTfliteStream`), so a weight folded as a `DeferredTranspose` is transposed directly
 *   into the output and a streamed model never holds its weights twice. Both give the same bytes.
 */
import * as flatbuffers from 'flatbuffers';
import { BuiltinOperator } from '../../generated/tflite/builtin-operator.js';
import { Buffer as FbBuffer } from '../../generated/tflite/buffer.js';
import { Metadata as FbMetadata } from '../../generated/tflite/metadata.js';
import { Model as FbModel } from '../../generated/tflite/model.js';
import { OperatorCode as FbOperatorCode } from '../../generated/tflite/operator-code.js';
import { Operator as FbOperator } from '../../generated/tflite/operator.js';
import { QuantizationParameters as FbQuant } from '../../generated/tflite/quantization-parameters.js';
import { SignatureDef as FbSignatureDef } from '../../generated/tflite/signature-def.js';
import { SubGraph as FbSubGraph } from '../../generated/tflite/sub-graph.js';
import { TensorMap as FbTensorMap } from '../../generated/tflite/tensor-map.js';
import { Tensor as FbTensor } from '../../generated/tflite/tensor.js';
import type { Graph, Model } from '../ir/graph.js';
import type { TflOp } from '../ir/op.js';
import { byteSourceLength, DeferredTranspose, sameBytes, type ByteSource } from '../ir/deferred-bytes.js';
import { TransposeWorkspace } from '../util/byte-transpose.js';
import { constByteLength, type Tensor } from '../ir/tensor.js';
import { verifyModel } from '../ir/verify.js';
import {
  encodeTfliteStrings,
  PLACEHOLDER_FOR_GREATER_OP_CODES,
  TFLITE_FILE_IDENTIFIER,
  tfliteTypeOf,
} from '../ops/tflite-schema.js';
import { GraphError } from '../util/errors.js';


const BUFFER_ALIGNMENT = 16;

type Packable = { pack(builder: flatbuffers.Builder): flatbuffers.Offset };

/** The model as .tflite bytes. */
export function writeTflite(model: Model): Uint8Array {
  verifyModel(model, { stage: 'export' });
  const { bytes, placements } = new TfliteWriter(model).write();
  for (const p of placements) fill(bytes.subarray(p.start, p.start + byteSourceLength(p.source)), p.source);
  return bytes;
}

/**
 * Buffers at least this large are streamed from their source by `writeTfliteStream` instead of
 * being filled into the flatbuffer's memory; smaller ones are filled in place, so the stream
 * gets few, large pieces.
 */
export const STREAMED_BUFFER_BYTES = 1 << 16;

/** Pieces a deferred buffer is produced in while streaming. */
const STREAM_PIECE_BYTES = 8 << 20;

/**
 * The model as .tflite bytes passed to `sink` in order, piece by piece: the same bytes as
 * `writeTflite`, but large buffers go from their source (a view of the input file, or a
 * transpose produced piece by piece) to the sink without an in-memory copy of the whole file.
 * Each piece is valid only during its `sink` call. Returns the total byte count.
 */
export function writeTfliteStream(model: Model, sink: (piece: Uint8Array) => void): number {
  let total = 0;
  for (const piece of tflitePieces(model)) {
    sink(piece);
    total += piece.length;
  }
  return total;
}

/**
 * `writeTfliteStream` as a generator. A piece stays valid until two more pieces have been
 * taken, so a writer may have one piece in flight while the next is being computed.
 */
export function* tflitePieces(model: Model): Generator<Uint8Array, void, undefined> {
  verifyModel(model, { stage: 'export' });
  const { bytes, placements } = new TfliteWriter(model).write();
  // The reserved space of the streamed buffers is never touched, so those pages of the
  // builder's allocation never become resident.
  const streamed = placements.filter((p) => byteSourceLength(p.source) >= STREAMED_BUFFER_BYTES).sort((a, b) => a.start - b.start);
  for (const p of placements) {
    if (byteSourceLength(p.source) < STREAMED_BUFFER_BYTES) fill(bytes.subarray(p.start, p.start + byteSourceLength(p.source)), p.source);
  }
  const workspace = new TransposeWorkspace();
  let at = 0;
  for (const p of streamed) {
    if (p.start > at) yield bytes.subarray(at, p.start);
    if (p.source instanceof DeferredTranspose) yield* p.source.pieces(STREAM_PIECE_BYTES, workspace);
    else yield p.source;
    at = p.start + byteSourceLength(p.source);
  }
  if (at < bytes.length) yield bytes.subarray(at);
}

function fill(target: Uint8Array, source: ByteSource): void {
  if (source instanceof DeferredTranspose) source.writeInto(target);
  else target.set(source);
}

/** Where a buffer's data goes in the finished flatbuffer (byte offset from its start). */
interface Placement {
  start: number;
  source: ByteSource;
}

class TfliteWriter {
  private readonly builder: flatbuffers.Builder;
  /** Buffer payloads in index order; index 0 is the empty sentinel. */
  private readonly buffers: (ByteSource | null)[] = [null];
  /** Payloads grouped by length, to find identical ones without hashing every byte. */
  private readonly buffersByLength = new Map<number, number[]>();
  private readonly opCodes: { builtin: BuiltinOperator; customCode: string | null; version: number }[] = [];
  private readonly opCodeIndex = new Map<string, number>();
  /** Reserved data of each non-empty buffer: its distance from the end of the flatbuffer. */
  private readonly reserved: { fromEnd: number; source: ByteSource }[] = [];

  constructor(private readonly model: Model) {
    this.builder = new flatbuffers.Builder(estimateSize(model));
  }

  /** The finished flatbuffer with every buffer's data left unwritten, and where each goes. */
  write(): { bytes: Uint8Array; placements: Placement[] } {
    const b = this.builder;
    const { model } = this;
    const tensorIndexes: Map<Tensor, number>[] = [];
    const subgraphs = model.graphs.map((graph) => {
      const indexes = tensorOrder(graph, model);
      tensorIndexes.push(indexes);
      return this.writeSubgraph(graph, indexes);
    });
    const metadata = model.metadata.map((entry) => {
      const buffer = this.bufferFor(entry.data, false);
      const name = b.createString(entry.name);
      return FbMetadata.createMetadata(b, name, buffer);
    });
    const metadataBuffers = model.metadataBuffers.map((data) => this.bufferFor(data, false));
    const signatures = model.signatures.map((sig) => {
      const indexes = tensorIndexes[sig.subgraph]!;
      const maps = (entries: { name: string; tensor: Tensor }[]) =>
        entries.map((e) => FbTensorMap.createTensorMap(b, b.createString(e.name), indexes.get(e.tensor)!));
      const inputs = FbSignatureDef.createInputsVector(b, maps(sig.inputs));
      const outputs = FbSignatureDef.createOutputsVector(b, maps(sig.outputs));
      const key = b.createString(sig.key);
      FbSignatureDef.startSignatureDef(b);
      FbSignatureDef.addInputs(b, inputs);
      FbSignatureDef.addOutputs(b, outputs);
      FbSignatureDef.addSignatureKey(b, key);
      FbSignatureDef.addSubgraphIndex(b, sig.subgraph);
      return FbSignatureDef.endSignatureDef(b);
    });

    const opCodes = this.opCodes.map((code) => {
      const custom = code.customCode === null ? 0 : b.createString(code.customCode);
      FbOperatorCode.startOperatorCode(b);
      FbOperatorCode.addDeprecatedBuiltinCode(b, Math.min(code.builtin, PLACEHOLDER_FOR_GREATER_OP_CODES));
      if (custom !== 0) FbOperatorCode.addCustomCode(b, custom);
      FbOperatorCode.addVersion(b, code.version);
      FbOperatorCode.addBuiltinCode(b, code.builtin);
      return FbOperatorCode.endOperatorCode(b);
    });
    const buffers = this.writeBuffers();

    const opCodesVec = FbModel.createOperatorCodesVector(b, opCodes);
    const subgraphsVec = FbModel.createSubgraphsVector(b, subgraphs);
    const description = b.createString(model.description);
    const buffersVec = FbModel.createBuffersVector(b, buffers);
    const metadataVec = metadata.length > 0 ? FbModel.createMetadataVector(b, metadata) : 0;
    const signaturesVec = signatures.length > 0 ? FbModel.createSignatureDefsVector(b, signatures) : 0;
    const metadataBufferVec = metadataBuffers.length > 0 ? FbModel.createMetadataBufferVector(b, metadataBuffers) : 0;
    FbModel.startModel(b);
    FbModel.addVersion(b, model.version);
    FbModel.addOperatorCodes(b, opCodesVec);
    FbModel.addSubgraphs(b, subgraphsVec);
    FbModel.addDescription(b, description);
    FbModel.addBuffers(b, buffersVec);
    if (metadataVec !== 0) FbModel.addMetadata(b, metadataVec);
    if (signaturesVec !== 0) FbModel.addSignatureDefs(b, signaturesVec);
    if (metadataBufferVec !== 0) FbModel.addMetadataBuffer(b, metadataBufferVec);
    b.finish(FbModel.endModel(b), TFLITE_FILE_IDENTIFIER);
    const bytes = b.asUint8Array();
    return { bytes, placements: this.reserved.map((r) => ({ start: bytes.length - r.fromEnd, source: r.source })) };
  }

  private writeSubgraph(graph: Graph, indexes: Map<Tensor, number>): flatbuffers.Offset {
    const b = this.builder;
    const index = (t: Tensor | null) => (t === null ? -1 : indexes.get(t)!);
    const tensors = [...indexes.keys()].map((t) => this.writeTensor(t));
    const ops = graph.ops.map((op) => {
      if (op.dialect !== 'tfl') throw new GraphError(`op "${op.name}" is not a TFLite op`);
      return this.writeOperator(op, index);
    });
    const tensorsVec = FbSubGraph.createTensorsVector(b, tensors);
    const inputs = FbSubGraph.createInputsVector(b, graph.inputs.map(index));
    const outputs = FbSubGraph.createOutputsVector(b, graph.outputs.map(index));
    const opsVec = FbSubGraph.createOperatorsVector(b, ops);
    const name = b.createString(graph.name);
    FbSubGraph.startSubGraph(b);
    FbSubGraph.addTensors(b, tensorsVec);
    FbSubGraph.addInputs(b, inputs);
    FbSubGraph.addOutputs(b, outputs);
    FbSubGraph.addOperators(b, opsVec);
    FbSubGraph.addName(b, name);
    return FbSubGraph.endSubGraph(b);
  }

  private writeTensor(t: Tensor): flatbuffers.Offset {
    const b = this.builder;
    let buffer = 0;
    if (t.data !== null) {
      const source = t.data instanceof DeferredTranspose ? t.data : t.data.kind === 'bytes' ? t.data.bytes : encodeTfliteStrings(t.data.values);
      buffer = this.bufferFor(source, true);
    }
    const name = b.createString(t.name);
    // TFLite's convention for dimensions known only at run time: `shape` holds 1 there (what
    // the interpreter allocates before a resize) and `shape_signature` holds -1.
    const dynamic = t.shape !== null && t.shape.some((d) => d < 0);
    const shape = FbTensor.createShapeVector(b, (t.shape ?? []).map((d) => (d < 0 ? 1 : d)));
    const signatureDims = t.shapeSignature ?? (dynamic ? t.shape : null);
    const signature = signatureDims === null ? 0 : FbTensor.createShapeSignatureVector(b, signatureDims);
    const quant = t.quant === null ? 0 : this.writeQuant(t.quant);
    const extras = t.tflite;
    const sparsity = extras?.sparsity === undefined ? 0 : (extras.sparsity as Packable).pack(b);
    const variants =
      extras?.variantTensors === undefined
        ? 0
        : FbTensor.createVariantTensorsVector(b, (extras.variantTensors as Packable[]).map((v) => v.pack(b)));
    FbTensor.startTensor(b);
    FbTensor.addShape(b, shape);
    FbTensor.addType(b, tfliteTypeOf(t.dtype!));
    FbTensor.addBuffer(b, buffer);
    FbTensor.addName(b, name);
    if (quant !== 0) FbTensor.addQuantization(b, quant);
    if (t.isVariable) FbTensor.addIsVariable(b, true);
    if (sparsity !== 0) FbTensor.addSparsity(b, sparsity);
    if (signature !== 0) FbTensor.addShapeSignature(b, signature);
    FbTensor.addHasRank(b, extras?.hasRank ?? t.shape !== null);
    if (variants !== 0) FbTensor.addVariantTensors(b, variants);
    return FbTensor.endTensor(b);
  }

  private writeQuant(q: NonNullable<Tensor['quant']>): flatbuffers.Offset {
    const b = this.builder;
    const min = q.min === undefined ? 0 : FbQuant.createMinVector(b, q.min);
    const max = q.max === undefined ? 0 : FbQuant.createMaxVector(b, q.max);
    const scale = q.scale.length === 0 ? 0 : FbQuant.createScaleVector(b, q.scale);
    const zeroPoint = q.zeroPoint.length === 0 ? 0 : FbQuant.createZeroPointVector(b, q.zeroPoint.map(BigInt));
    FbQuant.startQuantizationParameters(b);
    if (min !== 0) FbQuant.addMin(b, min);
    if (max !== 0) FbQuant.addMax(b, max);
    if (scale !== 0) FbQuant.addScale(b, scale);
    if (zeroPoint !== 0) FbQuant.addZeroPoint(b, zeroPoint);
    FbQuant.addQuantizedDimension(b, q.axis);
    return FbQuant.endQuantizationParameters(b);
  }

  private writeOperator(op: TflOp, index: (t: Tensor | null) => number): flatbuffers.Offset {
    const b = this.builder;
    const opcode = this.opCodeFor(op);
    const inputs = FbOperator.createInputsVector(b, op.inputs.map(index));
    const outputs = FbOperator.createOutputsVector(b, op.outputs.map(index));
    const options = op.options === null ? 0 : (op.options.value as Packable).pack(b);
    const options2 = op.options2 === null ? 0 : (op.options2.value as Packable).pack(b);
    const custom = op.customOptions === null ? 0 : b.createByteVector(op.customOptions);
    const intermediates = op.intermediates.length === 0 ? 0 : FbOperator.createIntermediatesVector(b, op.intermediates.map(index));
    FbOperator.startOperator(b);
    FbOperator.addOpcodeIndex(b, opcode);
    FbOperator.addInputs(b, inputs);
    FbOperator.addOutputs(b, outputs);
    if (op.options !== null) {
      FbOperator.addBuiltinOptionsType(b, op.options.type);
      FbOperator.addBuiltinOptions(b, options);
    }
    if (custom !== 0) FbOperator.addCustomOptions(b, custom);
    if (intermediates !== 0) FbOperator.addIntermediates(b, intermediates);
    if (op.options2 !== null) {
      FbOperator.addBuiltinOptions2Type(b, op.options2.type);
      FbOperator.addBuiltinOptions2(b, options2);
    }
    return FbOperator.endOperator(b);
  }

  private opCodeFor(op: TflOp): number {
    const key = `${op.builtin}/${op.customCode ?? ''}/${op.version}`;
    let index = this.opCodeIndex.get(key);
    if (index === undefined) {
      index = this.opCodes.length;
      this.opCodes.push({ builtin: op.builtin, customCode: op.customCode, version: op.version });
      this.opCodeIndex.set(key, index);
    }
    return index;
  }

  /** The index of a buffer holding `bytes`, shared with an identical earlier one if `dedupe`. */
  private bufferFor(bytes: ByteSource, dedupe: boolean): number {
    const length = byteSourceLength(bytes);
    if (dedupe) {
      const sameLength = this.buffersByLength.get(length);
      for (const i of sameLength ?? []) {
        if (sameBytes(this.buffers[i]!, bytes)) return i;
      }
    }
    const index = this.buffers.length;
    this.buffers.push(bytes);
    if (dedupe) {
      const list = this.buffersByLength.get(length);
      if (list) list.push(index);
      else this.buffersByLength.set(length, [index]);
    }
    return index;
  }

  /**
   * Buffer tables with their data space reserved 16-byte aligned; the data itself is filled
   * (or streamed) once the flatbuffer is finished.
   */
  private writeBuffers(): flatbuffers.Offset[] {
    const b = this.builder;
    return this.buffers.map((source) => {
      const length = source === null ? 0 : byteSourceLength(source);
      if (source === null || length === 0) {
        FbBuffer.startBuffer(b);
        return FbBuffer.endBuffer(b);
      }
      // prep(16, n) pads so that the n bytes written next end on (and so start on) a 16-byte
      // boundary; the vector's own 4-byte prep then adds nothing.
      b.prep(BUFFER_ALIGNMENT, length);
      const data = reserveByteVector(b, length);
      this.reserved.push({ fromEnd: data.dataFromEnd, source });
      FbBuffer.startBuffer(b);
      FbBuffer.addData(b, data.vector);
      return FbBuffer.endBuffer(b);
    });
  }
}

/**
 * A byte vector of `length` bytes whose contents are left as they are (zero, untouched): what
 * `createByteVector` lays out, minus the copy. flatbuffers has no public call for skipping
 * bytes, so this moves the builder's write position, the one field `createByteVector` moves.
 */
function reserveByteVector(b: flatbuffers.Builder, length: number): { vector: flatbuffers.Offset; dataFromEnd: number } {
  b.startVector(1, length, 1);
  const internals = b as unknown as { space: unknown };
  if (typeof internals.space !== 'number') throw new Error('flatbuffers.Builder has no numeric `space` field: the writer needs updating for this flatbuffers version');
  internals.space -= length;
  b.dataBuffer().setPosition(internals.space);
  const dataFromEnd = b.offset();
  return { vector: b.endVector(), dataFromEnd };
}

/**
 * The tensors a subgraph writes, with their indexes: the graph's own tensor order, keeping only
 * tensors something refers to (an op, the graph's inputs/outputs, a signature).
 */
function tensorOrder(graph: Graph, model: Model): Map<Tensor, number> {
  const used = new Set<Tensor>([...graph.inputs, ...graph.outputs]);
  for (const op of graph.ops) {
    for (const t of op.inputs) if (t !== null) used.add(t);
    for (const t of op.outputs) used.add(t);
    if (op.dialect === 'tfl') for (const t of op.intermediates) used.add(t);
  }
  const graphIndex = model.graphs.indexOf(graph);
  for (const sig of model.signatures) {
    if (sig.subgraph !== graphIndex) continue;
    for (const e of [...sig.inputs, ...sig.outputs]) used.add(e.tensor);
  }
  const order = new Map<Tensor, number>();
  for (const t of graph.tensors) if (used.has(t)) order.set(t, order.size);
  return order;
}

/** Bytes the flatbuffer will take, rounded up: weights plus a generous allowance per record. */
function estimateSize(model: Model): number {
  let size = 4096;
  for (const graph of model.graphs) {
    size += graph.ops.length * 256;
    for (const t of graph.tensors) {
      size += 192 + 2 * t.name.length + 8 * (t.shape?.length ?? 0);
      if (t.data?.kind === 'bytes') size += constByteLength(t.data) + BUFFER_ALIGNMENT + 16;
      if (t.quant !== null) size += 16 * (t.quant.scale.length + 4);
    }
  }
  for (const m of model.metadata) size += m.data.length + m.name.length + 64;
  for (const m of model.metadataBuffers) size += m.length + 64;
  // A multiple of 16: the builder aligns from the end of its buffer, so data placed 16-byte
  // aligned in the file is then also aligned in memory (a transpose can write whole lanes).
  return Math.min(Math.ceil(size / 16) * 16, 2 ** 31 - 16);
}

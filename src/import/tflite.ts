/**
 * .tflite reader: a flatbuffer written against schema/tflite/schema.fbs into the IR.
 *
 * Buffers stay views of the file's bytes. The reader trusts nothing in the file: every vector
 * length is bounded by the file size (a corrupt length would otherwise make an accessor loop for
 * billions of entries), every tensor index is range-checked, and any failure inside the
 * generated accessors surfaces as a ModelFormatError.
 */
import * as flatbuffers from 'flatbuffers';
import { BuiltinOperator } from '../../generated/tflite/builtin-operator.js';
import { BuiltinOptions, unionToBuiltinOptions } from '../../generated/tflite/builtin-options.js';
import { BuiltinOptions2, unionToBuiltinOptions2 } from '../../generated/tflite/builtin-options2.js';
import { Model as FbModel } from '../../generated/tflite/model.js';
import type { Operator as FbOperator } from '../../generated/tflite/operator.js';
import type { SubGraph as FbSubGraph } from '../../generated/tflite/sub-graph.js';
import type { Tensor as FbTensor } from '../../generated/tflite/tensor.js';
import { Graph, Model } from '../ir/graph.js';
import type { TflOp, TflOptions, TflOptions2 } from '../ir/op.js';
import { Tensor, type ConstData, type QuantParams } from '../ir/tensor.js';
import { decodeTfliteStrings, dtypeFromTflite, TFLITE_FILE_IDENTIFIER } from '../ops/tflite-schema.js';
import { ModelFormatError } from '../util/errors.js';




/** True when the bytes carry the TFLite file identifier at offset 4. */
export function looksLikeTflite(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 8 &&
    String.fromCharCode(bytes[4]!, bytes[5]!, bytes[6]!, bytes[7]!) === TFLITE_FILE_IDENTIFIER
  );
}

/** A ByteBuffer that refuses vector lengths that cannot fit in the file. */
class BoundedByteBuffer extends flatbuffers.ByteBuffer {
  override __vector_len(offset: number): number {
    const start = offset + this.readInt32(offset);
    if (start < 0 || start + 4 > this.capacity()) {
      throw new ModelFormatError(`truncated or corrupt: a vector at byte ${start} lies outside the ${this.capacity()}-byte file`);
    }
    const length = this.readInt32(start);
    if (length < 0 || start + 4 + length > this.capacity()) {
      throw new ModelFormatError(`truncated or corrupt: a vector at byte ${start} claims ${length} elements`);
    }
    return length;
  }
}

export function readTflite(bytes: Uint8Array): Model {
  if (bytes.length < 8) throw new ModelFormatError(`file is ${bytes.length} bytes, too short for a .tflite model`);
  if (!looksLikeTflite(bytes)) throw new ModelFormatError('not a .tflite model (no "TFL3" file identifier)');
  // The generated accessors make typed-array views (Int32Array shapes, Float32Array scales) that
  // need absolute alignment; flatbuffers only align relative to the file start. Node hands
  // small files out of a shared pool at arbitrary offsets, so re-home those (a copy of a small
  // file); big files come in their own, aligned, allocation and stay views.
  const aligned = bytes.byteOffset % 16 === 0 ? bytes : bytes.slice();
  try {
    return new TfliteReader(aligned).read();
  } catch (err) {
    if (err instanceof ModelFormatError) throw err;
    // The generated accessors throw RangeError/TypeError on offsets that point outside the file.
    throw new ModelFormatError(`corrupt .tflite flatbuffer (${err instanceof Error ? err.message : String(err)})`, {
      cause: err,
    });
  }
}

interface OpCode {
  builtin: BuiltinOperator;
  customCode: string | null;
  version: number;
}

class TfliteReader {
  private readonly fb: FbModel;
  private readonly opCodes: OpCode[] = [];

  constructor(private readonly bytes: Uint8Array) {
    const rootOffset = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
    if (rootOffset < 8 || rootOffset + 4 > bytes.length) {
      throw new ModelFormatError(`corrupt flatbuffer: root table offset ${rootOffset} is outside the file`);
    }
    this.fb = FbModel.getRootAsModel(new BoundedByteBuffer(bytes));
  }

  read(): Model {
    const fb = this.fb;
    const model = new Model('tflite');
    model.version = fb.version();
    model.description = fb.description() ?? '';
    for (let i = 0; i < fb.operatorCodesLength(); i++) {
      const code = fb.operatorCodes(i)!;
      // TFLite's rule: builtin_code is authoritative, except in files older than the field,
      // where only deprecated_builtin_code is set. The larger of the two is right in both cases.
      const builtin = Math.max(code.builtinCode(), code.deprecatedBuiltinCode()) as BuiltinOperator;
      if (BuiltinOperator[builtin] === undefined) {
        throw new ModelFormatError(`operator code ${i} has unknown builtin code ${builtin}`);
      }
      this.opCodes.push({
        builtin,
        customCode: builtin === BuiltinOperator.CUSTOM ? code.customCode() ?? '' : null,
        version: code.version(),
      });
    }
    if (fb.subgraphsLength() === 0) throw new ModelFormatError('model has no subgraphs');
    for (let s = 0; s < fb.subgraphsLength(); s++) model.graphs.push(this.readSubgraph(fb.subgraphs(s)!, s));

    for (let i = 0; i < fb.metadataLength(); i++) {
      const entry = fb.metadata(i)!;
      model.metadata.push({ name: entry.name() ?? '', data: this.bufferBytes(entry.buffer()) ?? new Uint8Array(0) });
    }
    for (const index of fb.metadataBufferArray() ?? []) model.metadataBuffers.push(this.bufferBytes(index) ?? new Uint8Array(0));
    for (let i = 0; i < fb.signatureDefsLength(); i++) {
      const sig = fb.signatureDefs(i)!;
      const index = sig.subgraphIndex();
      const graph = model.graphs[index];
      if (graph === undefined) throw new ModelFormatError(`signature ${i} names subgraph ${index}, which does not exist`);
      const entries = (count: number, at: (j: number) => { name(): string | null; tensorIndex(): number }) =>
        Array.from({ length: count }, (_, j) => {
          const m = at(j);
          return { name: m.name() ?? '', tensor: this.tensorAt(graph, m.tensorIndex(), `signature ${i}`) };
        });
      model.signatures.push({
        key: sig.signatureKey() ?? '',
        subgraph: index,
        inputs: entries(sig.inputsLength(), (j) => sig.inputs(j)!),
        outputs: entries(sig.outputsLength(), (j) => sig.outputs(j)!),
      });
    }
    return model;
  }

  private readSubgraph(sg: FbSubGraph, index: number): Graph {
    const graph = new Graph(sg.name() ?? '');
    for (let t = 0; t < sg.tensorsLength(); t++) graph.addTensor(this.readTensor(sg.tensors(t)!, index, t));
    graph.inputs = Array.from(sg.inputsArray() ?? [], (i) => this.tensorAt(graph, i, `subgraph ${index} inputs`));
    graph.outputs = Array.from(sg.outputsArray() ?? [], (i) => this.tensorAt(graph, i, `subgraph ${index} outputs`));
    for (let o = 0; o < sg.operatorsLength(); o++) {
      graph.addOp(this.readOperator(sg.operators(o)!, graph, `subgraph ${index} operator ${o}`));
    }
    return graph;
  }

  private tensorAt(graph: Graph, index: number, where: string): Tensor {
    const tensor = graph.tensors[index];
    if (tensor === undefined) {
      throw new ModelFormatError(`${where} refers to tensor ${index}, but the subgraph has ${graph.tensors.length}`);
    }
    return tensor;
  }

  private readTensor(fbt: FbTensor, subgraph: number, index: number): Tensor {
    const dtype = dtypeFromTflite(fbt.type());
    const name = fbt.name() ?? '';
    if (dtype === undefined) {
      throw new ModelFormatError(`tensor ${index} ("${name}") of subgraph ${subgraph} has unknown type ${fbt.type()}`);
    }
    const shape = Array.from(fbt.shapeArray() ?? []);
    const tensor = new Tensor(name, dtype, shape);
    const signature = fbt.shapeSignatureArray();
    if (signature !== null) tensor.shapeSignature = Array.from(signature);
    tensor.isVariable = fbt.isVariable();
    const data = this.bufferBytes(fbt.buffer());
    if (data !== null && data.length > 0) {
      tensor.data = dtype === 'string' ? { kind: 'strings', values: decodeTfliteStrings(data) } : bytesData(data);
    }
    const q = fbt.quantization();
    if (q !== null) tensor.quant = readQuant(q, shape.length);
    const sparsity = fbt.sparsity();
    const extras: NonNullable<Tensor['tflite']> = {};
    if (sparsity !== null) extras.sparsity = sparsity.unpack();
    if (fbt.variantTensorsLength() > 0) {
      extras.variantTensors = Array.from({ length: fbt.variantTensorsLength() }, (_, i) => fbt.variantTensors(i)!.unpack());
    }
    if (!fbt.hasRank()) extras.hasRank = false;
    if (Object.keys(extras).length > 0) tensor.tflite = extras;
    return tensor;
  }

  /** The bytes of buffer `index`: a view into the file; null for the empty sentinel or none. */
  private bufferBytes(index: number): Uint8Array | null {
    if (index === 0) return null;
    if (index < 0 || index >= this.fb.buffersLength()) {
      throw new ModelFormatError(`buffer index ${index} is out of range (${this.fb.buffersLength()} buffers)`);
    }
    const buffer = this.fb.buffers(index)!;
    const offset = buffer.offset();
    // Models over 2 GB keep weights after the flatbuffer, addressed by offset/size (1 = unset).
    if (offset > 1n) {
      const end = offset + buffer.size();
      if (end > BigInt(this.bytes.length)) {
        throw new ModelFormatError(`buffer ${index} points past the end of the file (${end} > ${this.bytes.length})`);
      }
      return this.bytes.subarray(Number(offset), Number(end));
    }
    return buffer.dataArray();
  }

  private readOperator(fbo: FbOperator, graph: Graph, where: string): TflOp {
    const code = this.opCodes[fbo.opcodeIndex()];
    if (code === undefined) {
      throw new ModelFormatError(`${where} uses operator code ${fbo.opcodeIndex()}, but there are ${this.opCodes.length}`);
    }
    const optional = (i: number) => (i === -1 ? null : this.tensorAt(graph, i, where));
    const outputs = Array.from(fbo.outputsArray() ?? [], (i) => this.tensorAt(graph, i, where));
    let customOptions = fbo.customOptionsArray();
    const largeOffset = fbo.largeCustomOptionsOffset();
    if (largeOffset > 1n) {
      const end = largeOffset + fbo.largeCustomOptionsSize();
      if (end > BigInt(this.bytes.length)) throw new ModelFormatError(`${where}: custom options point past the end of the file`);
      customOptions = this.bytes.subarray(Number(largeOffset), Number(end));
    }
    return {
      dialect: 'tfl',
      name: outputs[0]?.name ?? '',
      builtin: code.builtin,
      customCode: code.customCode,
      version: code.version,
      inputs: Array.from(fbo.inputsArray() ?? [], optional),
      outputs,
      options: readOptions(fbo),
      options2: readOptions2(fbo),
      customOptions,
      intermediates: Array.from(fbo.intermediatesArray() ?? [], (i) => this.tensorAt(graph, i, where)),
    };
  }
}

function bytesData(bytes: Uint8Array): ConstData {
  return { kind: 'bytes', bytes };
}

function readQuant(q: NonNullable<ReturnType<FbTensor['quantization']>>, rank: number): QuantParams | null {
  const scale = q.scaleArray();
  const min = q.minArray();
  const max = q.maxArray();
  if (scale === null && min === null && max === null) return null;
  const zeroPoint = Array.from({ length: q.zeroPointLength() }, (_, i) => Number(q.zeroPoint(i)));
  const params: QuantParams = {
    scale: Array.from(scale ?? []),
    zeroPoint,
    axis: q.quantizedDimension(),
  };
  // TOCO copied a depthwise filter's quantized_dimension (3) onto its rank-1 per-channel bias.
  // TFLite Micro ignores it; the TFLite interpreter refuses the whole model. A rank-1 tensor
  // (or a per-tensor scale) can only mean axis 0, so read it as that.
  if (rank > 0 && params.axis >= rank && (rank === 1 || params.scale.length <= 1)) params.axis = 0;
  if (min !== null) params.min = Array.from(min);
  if (max !== null) params.max = Array.from(max);
  return params;
}

function readOptions(fbo: FbOperator): TflOptions | null {
  const type = fbo.builtinOptionsType();
  if (type === BuiltinOptions.NONE) return null;
  if (BuiltinOptions[type] === undefined) throw new ModelFormatError(`unknown builtin options type ${type}`);
  const table = unionToBuiltinOptions(type, (obj) => fbo.builtinOptions(obj));
  return table === null ? null : { type, value: table.unpack() };
}

function readOptions2(fbo: FbOperator): TflOptions2 | null {
  const type = fbo.builtinOptions2Type();
  if (type === BuiltinOptions2.NONE) return null;
  if (BuiltinOptions2[type] === undefined) throw new ModelFormatError(`unknown builtin options2 type ${type}`);
  const table = unionToBuiltinOptions2(type, (obj) => fbo.builtinOptions2(obj));
  return table === null ? null : { type, value: table.unpack() };
}

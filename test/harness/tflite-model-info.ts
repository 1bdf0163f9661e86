// What the LiteRT.js harness reads from (or fixes in) the .tflite flatbuffer itself, because
// LiteRT.js does not expose it: quantization parameters, variable tensors, and shape signatures
// with -1 dimensions (which LiteRT.js 2.5.3 cannot resize, see pinDynamicShapeSignatures).
import * as flatbuffers from 'flatbuffers';
import { Model } from '../../generated/tflite/model.js';
import type { Tensor as FbTensor } from '../../generated/tflite/tensor.js';
import type { TfliteQuantization } from './litert-types.js';

export function parseModel(bytes: Uint8Array): Model | undefined {
  // The harness must never crash on a broken file: LiteRT.js gives the authoritative error then.
  try {
    // The generated accessors build typed-array views, which need absolute alignment; files read
    // with readFileSync come out of Node's shared pool at arbitrary offsets.
    const aligned = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
    const model = Model.getRootAsModel(new flatbuffers.ByteBuffer(aligned));
    model.subgraphsLength(); // touches the root table, throws on garbage offsets
    return model;
  } catch {
    return undefined;
  }
}

function* allTensors(model: Model): Generator<{ subgraph: number; index: number; tensor: FbTensor }> {
  for (let s = 0; s < model.subgraphsLength(); s++) {
    const subgraph = model.subgraphs(s);
    if (!subgraph) continue;
    for (let t = 0; t < subgraph.tensorsLength(); t++) {
      const tensor = subgraph.tensors(t);
      if (tensor) yield { subgraph: s, index: t, tensor };
    }
  }
}

/**
 * Returns a copy of `bytes` in which every -1 in a tensor's shape_signature is replaced by the
 * matching entry of its `shape`. LiteRT.js takes the signature as the tensor type and cannot
 * resize, so a [-1, 1] input would never accept a buffer; the TFLite interpreter allocates `shape`
 * when nothing is resized, so this runs the model exactly as the interpreter would by default.
 */
export function pinDynamicShapeSignatures(bytes: Uint8Array): { bytes: Uint8Array; pinned: boolean } {
  const copy = new Uint8Array(bytes); // fresh buffer at offset 0, so int32 vectors are aligned
  const model = parseModel(copy);
  if (!model) return { bytes, pinned: false };
  let pinned = false;
  try {
    for (const { tensor } of allTensors(model)) {
      // Views into `copy`: writing to `signature` edits the flatbuffer in place.
      const signature = tensor.shapeSignatureArray();
      const shape = tensor.shapeArray();
      if (!signature || !shape || signature.length !== shape.length) continue;
      signature.forEach((dim, i) => {
        const fixed = shape[i];
        if (dim < 0 && fixed !== undefined && fixed >= 0) {
          signature[i] = fixed;
          pinned = true;
        }
      });
    }
  } catch {
    return { bytes, pinned: false }; // malformed vectors: leave the file to LiteRT.js
  }
  return pinned ? { bytes: copy, pinned } : { bytes, pinned };
}

export interface FlatbufferIo {
  /** name → tensor, for signature names and for tensor names of subgraph 0's inputs/outputs. */
  inputs: Map<string, FbTensor>;
  outputs: Map<string, FbTensor>;
}

export function flatbufferIo(model: Model): FlatbufferIo {
  const io: FlatbufferIo = { inputs: new Map(), outputs: new Map() };
  const signature = model.signatureDefsLength() > 0 ? model.signatureDefs(0) : null;
  if (signature) {
    const subgraph = model.subgraphs(signature.subgraphIndex());
    for (let i = 0; i < signature.inputsLength(); i++) {
      const map = signature.inputs(i);
      const tensor = map && subgraph?.tensors(map.tensorIndex());
      if (map?.name() && tensor) io.inputs.set(map.name()!, tensor);
    }
    for (let i = 0; i < signature.outputsLength(); i++) {
      const map = signature.outputs(i);
      const tensor = map && subgraph?.tensors(map.tensorIndex());
      if (map?.name() && tensor) io.outputs.set(map.name()!, tensor);
    }
  }
  const subgraph = model.subgraphs(0);
  if (subgraph) {
    for (const [indices, target] of [
      [subgraph.inputsArray(), io.inputs],
      [subgraph.outputsArray(), io.outputs],
    ] as const) {
      for (const index of indices ?? []) {
        const tensor = subgraph.tensors(index);
        const name = tensor?.name();
        if (tensor && name && !target.has(name)) target.set(name, tensor);
      }
    }
  }
  return io;
}

export function quantizationOf(tensor: FbTensor | undefined): TfliteQuantization | undefined {
  const q = tensor?.quantization();
  const scale = q?.scaleArray();
  if (!q || !scale || scale.length === 0) return undefined;
  // zero_point is an int64 vector: read element-wise (bigint) and narrow, values are small.
  const zeroPoint = Array.from(scale, (_, i) => (i < q.zeroPointLength() ? Number(q.zeroPoint(i) ?? 0n) : 0));
  return {
    scale: Array.from(scale),
    zeroPoint,
    quantizedDimension: q.quantizedDimension(),
  };
}

export function variableTensorNames(model: Model | undefined): string[] {
  if (!model) return [];
  const names: string[] = [];
  for (const { subgraph, index, tensor } of allTensors(model)) {
    if (tensor.isVariable()) names.push(`subgraph ${subgraph} tensor ${index} '${tensor.name() ?? ''}'`);
  }
  return names;
}

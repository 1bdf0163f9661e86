/**
 * The converted model must be right, or its timing means nothing: read the .tflite back with the
 * project's reader and check that it is `layers` FULLY_CONNECTED ops (bias and ReLU fused), that
 * its constants are exactly the network's weight bytes, and that every weight is the generated
 * kernel transposed into TFLite's [out, in] layout (regenerated from the seed, not kept around).
 */
import { readFileSync } from 'node:fs';
import { ActivationFunctionType } from '../../generated/tflite/activation-function-type.js';
import { BuiltinOperator } from '../../generated/tflite/builtin-operator.js';
import { FullyConnectedOptionsT } from '../../generated/tflite/fully-connected-options.js';
import { readTflite } from '../../src/import/tflite.js';
import type { Tensor } from '../../src/ir/tensor.js';
import { layerValues, weightBytes, type DenseSpec } from './common.js';

export interface OutputSummary {
  ops: Record<string, number>;
  constantBytes: number;
}

function floats(t: Tensor | null | undefined, what: string): Float32Array {
  if (!t || t.data?.kind !== 'bytes' || t.dtype !== 'float32') throw new Error(`${what} is not a float32 constant`);
  const { bytes } = t.data;
  // The writer aligns buffers to 16 bytes, so this is a view, but a copy would do as well.
  return bytes.byteOffset % 4 === 0 ? new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4) : new Float32Array(bytes.slice().buffer);
}

/** Throws (naming what is wrong) unless `file` is the expected conversion of the network. */
export function checkOutput(file: string, spec: DenseSpec): OutputSummary {
  const model = readTflite(new Uint8Array(readFileSync(file)));
  const graph = model.main;
  const ops: Record<string, number> = {};
  for (const op of graph.ops) {
    const name = op.dialect === 'tfl' ? BuiltinOperator[op.builtin] ?? String(op.builtin) : op.type;
    ops[name] = (ops[name] ?? 0) + 1;
  }
  const constantBytes = graph.tensors.reduce((n, t) => n + (t.data?.kind === 'bytes' ? t.data.bytes.length : 0), 0);
  const summary = { ops, constantBytes };

  const fcs = graph.ops.filter((op) => op.dialect === 'tfl' && op.builtin === BuiltinOperator.FULLY_CONNECTED);
  if (fcs.length !== spec.layers || graph.ops.length !== spec.layers) {
    throw new Error(`expected ${spec.layers} FULLY_CONNECTED ops and nothing else, got ${JSON.stringify(ops)}`);
  }
  if (constantBytes !== weightBytes(spec)) {
    throw new Error(`constants hold ${constantBytes} bytes, the network's weights are ${weightBytes(spec)}`);
  }
  const { width } = spec;
  fcs.forEach((op, layer) => {
    if (op.dialect !== 'tfl') return;
    const opts = op.options?.value;
    if (!(opts instanceof FullyConnectedOptionsT) || opts.fusedActivationFunction !== ActivationFunctionType.RELU) {
      throw new Error(`FULLY_CONNECTED ${layer} has no fused RELU`);
    }
    const w = op.inputs[1];
    if (w?.shape?.join(',') !== `${width},${width}`) throw new Error(`FULLY_CONNECTED ${layer} weights have shape [${w?.shape}]`);
    const weights = floats(w, `FULLY_CONNECTED ${layer} weights`);
    const kernel = layerValues(layer, 'kernel', width);
    for (let n = 0; n < width; n++) {
      for (let k = 0; k < width; k++) {
        if (weights[n * width + k] !== kernel[k * width + n]) {
          throw new Error(`FULLY_CONNECTED ${layer} weight [${n}, ${k}] is not kernel [${k}, ${n}] transposed`);
        }
      }
    }
    const bias = floats(op.inputs[2], `FULLY_CONNECTED ${layer} bias`);
    const expected = layerValues(layer, 'bias', width);
    if (bias.length !== width || bias.some((v, i) => v !== expected[i])) throw new Error(`FULLY_CONNECTED ${layer} bias differs`);
  });
  return summary;
}

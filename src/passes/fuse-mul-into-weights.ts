/**
 * fuse-mul-into-weights: FULLY_CONNECTED / CONV_2D / DEPTHWISE_CONV_2D followed by a MUL with a
 * constant holding one factor per output channel: the factors scale the op's weights (and bias)
 * per channel instead. This is how batch norm folds into the preceding layer: legalization turns
 * it into MUL(scale) then ADD(offset), this pass absorbs the MUL, fuse-bias-add the ADD.
 * The op must be the MUL's input's only reader, have constant float32 weights, and no fused
 * activation yet (scaling after a ReLU is not scaling the weights).
 */
import { BuiltinOperator } from '../../generated/tflite/builtin-operator.js';
import { constValues } from '../ir/tensor.js';
import { float32Constant, hasNoActivation, perChannelConstant } from './match.js';
import type { Pass } from './pass.js';

/** Which axis of each op's weights is the output channel. */
const CHANNEL_AXIS = new Map<BuiltinOperator, 'first' | 'last'>([
  [BuiltinOperator.FULLY_CONNECTED, 'first'],
  [BuiltinOperator.CONV_2D, 'first'],
  [BuiltinOperator.DEPTHWISE_CONV_2D, 'last'],
]);

export const fuseMulIntoWeights: Pass = {
  name: 'fuse-mul-into-weights',
  run(model) {
    const graph = model.main;
    // Recomputed after every rewrite: a fusion changes who reads what.
    let users = graph.consumers();
    let fused = 0;
    for (const mul of [...graph.ops]) {
      if (mul.dialect !== 'tfl' || mul.builtin !== BuiltinOperator.MUL) continue;
      if (!hasNoActivation(mul)) continue;
      for (const side of [0, 1]) {
        const main = mul.inputs[side];
        const op = main?.producer;
        if (!main || op?.dialect !== 'tfl') continue;
        const axis = CHANNEL_AXIS.get(op.builtin);
        const weights = op.inputs[1];
        if (axis === undefined || !weights || weights.data === null || weights.dtype !== 'float32' || weights.shape === null) continue;
        if (users.get(main)?.length !== 1 || graph.outputs.includes(main) || !hasNoActivation(op)) continue;
        const channels = axis === 'first' ? weights.shape[0]! : weights.shape[weights.shape.length - 1]!;
        const factors = perChannelConstant(mul.inputs[1 - side], channels);
        if (factors === null) continue;
        const bias = op.inputs[2] ?? null;
        const biasValues = bias === null ? null : perChannelConstant(bias, channels);
        if (bias !== null && biasValues === null) continue;

        const w = constValues(weights.data, 'float32') as Float32Array;
        const inner = w.length / channels;
        const scaled = Float32Array.from(w, (v, i) => v * factors[axis === 'first' ? Math.floor(i / inner) : i % channels]!);
        op.inputs[1] = graph.addTensor(float32Constant(`${weights.name}/scaled`, weights.shape.slice(), scaled));
        if (bias !== null && biasValues !== null) {
          const b = Float32Array.from(biasValues, (v, i) => v * factors[i]!);
          op.inputs[2] = graph.addTensor(float32Constant(`${bias.name}/scaled`, [channels], b));
        }
        const out = mul.outputs[0]!;
        main.name = out.name;
        graph.replaceUses(out, main);
        graph.ops.splice(graph.ops.indexOf(mul), 1);
        fused++;
        users = graph.consumers();
        break;
      }
    }
    graph.pruneTensors();
    return fused > 0 ? `folded ${fused} per-channel multiplies (batch norms) into weights` : '';
  },
};

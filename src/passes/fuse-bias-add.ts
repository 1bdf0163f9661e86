/**
 * fuse-bias-add: FULLY_CONNECTED / CONV_2D / DEPTHWISE_CONV_2D followed by an ADD of a constant
 * vector with one value per output channel becomes the op's bias (TF's MatMul + BiasAdd, Conv2D +
 * Add). An existing constant bias is summed with it. The ADD must be the op's only reader and
 * carry no fused activation of its own (fuse-activation, which runs next, adds that).
 */
import { BuiltinOperator } from '../../generated/tflite/builtin-operator.js';
import { float32Constant, hasNoActivation, perChannelConstant } from './match.js';
import type { Pass } from './pass.js';

const WITH_BIAS = new Set([BuiltinOperator.FULLY_CONNECTED, BuiltinOperator.CONV_2D, BuiltinOperator.DEPTHWISE_CONV_2D]);

export const fuseBiasAdd: Pass = {
  name: 'fuse-bias-add',
  run(model, ctx) {
    const graph = model.main;
    // Recomputed after every rewrite: a fusion changes who reads what.
    let users = graph.consumers();
    let fused = 0;
    for (const add of [...graph.ops]) {
      if (add.dialect !== 'tfl' || add.builtin !== BuiltinOperator.ADD) continue;
      if (!hasNoActivation(add)) continue;
      for (const side of [0, 1]) {
        const main = add.inputs[side];
        const producer = main?.producer;
        if (!main || producer?.dialect !== 'tfl' || !WITH_BIAS.has(producer.builtin)) continue;
        if (users.get(main)?.length !== 1 || graph.outputs.includes(main)) continue;
        const channels = main.shape?.[main.shape.length - 1];
        const addend = perChannelConstant(add.inputs[1 - side] ?? null, channels ?? -1);
        if (channels === undefined || addend === null || !hasNoActivation(producer)) continue;
        const existing = producer.inputs[2] ?? null;
        let bias: Float32Array = addend;
        if (existing !== null) {
          const current = perChannelConstant(existing, channels);
          if (current === null) continue;
          bias = Float32Array.from(current, (v, i) => v + addend[i]!);
        }
        const biasTensor = add.inputs[1 - side]!;
        const target = existing === null && biasTensor.shape!.length === 1 ? biasTensor : graph.addTensor(float32Constant(biasTensor.name, [bias.length], bias));
        producer.inputs[2] = target;
        // The fused form may need a newer op version (TRANSPOSE_CONV with an activation).
        producer.version = ctx.registry.def(producer.builtin)?.version?.(producer) ?? producer.version;
        const out = add.outputs[0]!;
        main.name = out.name;
        graph.replaceUses(out, main);
        graph.ops.splice(graph.ops.indexOf(add), 1);
        fused++;
        users = graph.consumers();
        break;
      }
    }
    graph.pruneTensors();
    return fused > 0 ? `fused ${fused} bias adds` : '';
  },
};


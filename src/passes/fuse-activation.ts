/**
 * fuse-activation: RELU / RELU6 / RELU_N1_TO_1 reading the only output of an op that has a
 * fused_activation_function (ADD, SUB, MUL, DIV, FULLY_CONNECTED, CONV_2D, DEPTHWISE_CONV_2D, the
 * pools, CONCATENATION) becomes that field. The fused output takes the activation's name, as
 * TFLite's converter names it. TANH is not fused: the schema allows it, but TFLite's float
 * kernels clamp to an activation range, which only the ReLU family has (LiteRT rejects a
 * FULLY_CONNECTED with TANH). Runs after fuse-bias-add: MatMul + BiasAdd + Relu is one op.
 */
import { ActivationFunctionType } from '../../generated/tflite/activation-function-type.js';
import { BuiltinOperator } from '../../generated/tflite/builtin-operator.js';
import { activationSlot } from './match.js';
import type { Pass } from './pass.js';

const ACTIVATIONS = new Map<BuiltinOperator, ActivationFunctionType>([
  [BuiltinOperator.RELU, ActivationFunctionType.RELU],
  [BuiltinOperator.RELU6, ActivationFunctionType.RELU6],
  [BuiltinOperator.RELU_N1_TO_1, ActivationFunctionType.RELU_N1_TO_1],
]);

const FUSABLE = new Set([
  BuiltinOperator.ADD,
  BuiltinOperator.SUB,
  BuiltinOperator.MUL,
  BuiltinOperator.DIV,
  BuiltinOperator.FULLY_CONNECTED,
  BuiltinOperator.CONV_2D,
  BuiltinOperator.DEPTHWISE_CONV_2D,
  BuiltinOperator.TRANSPOSE_CONV,
  BuiltinOperator.MAX_POOL_2D,
  BuiltinOperator.AVERAGE_POOL_2D,
  BuiltinOperator.CONCATENATION,
]);

export const fuseActivation: Pass = {
  name: 'fuse-activation',
  run(model, ctx) {
    const graph = model.main;
    // Recomputed after every rewrite: a fusion changes who reads what.
    let users = graph.consumers();
    let fused = 0;
    for (const act of [...graph.ops]) {
      if (act.dialect !== 'tfl') continue;
      const kind = ACTIVATIONS.get(act.builtin);
      const input = act.inputs[0];
      const producer = input?.producer;
      if (kind === undefined || !input || producer?.dialect !== 'tfl' || !FUSABLE.has(producer.builtin)) continue;
      if (users.get(input)?.length !== 1 || graph.outputs.includes(input) || producer.outputs.length !== 1) continue;
      const slot = activationSlot(producer);
      if (slot === null || slot.fusedActivationFunction !== ActivationFunctionType.NONE) continue;
      slot.fusedActivationFunction = kind;
      // The fused form may need a newer op version (TRANSPOSE_CONV with an activation).
      producer.version = ctx.registry.def(producer.builtin)?.version?.(producer) ?? producer.version;
      const out = act.outputs[0]!;
      input.name = out.name;
      graph.replaceUses(out, input);
      graph.ops.splice(graph.ops.indexOf(act), 1);
      fused++;
      users = graph.consumers();
    }
    graph.pruneTensors();
    return fused > 0 ? `fused ${fused} activations` : '';
  },
};

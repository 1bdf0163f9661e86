/**
 * prune: keeps only the ops the outputs need (training branches, random masks, checkpoint
 * bookkeeping and control-only nodes go), then the tensors still referred to. Control edges do
 * not keep anything alive: --drop_control_dependency is TFLite's default and ours.
 * A needed tensor that nothing computes is a Placeholder the user left out of --input_arrays.
 */
import type { Op } from '../ir/op.js';
import type { Tensor } from '../ir/tensor.js';
import { UsageError } from '../util/errors.js';
import type { Pass } from './pass.js';

export const prune: Pass = {
  name: 'prune',
  run(model, ctx) {
    const graph = model.main;
    const live = new Set<Op>();
    const needed = new Set<Tensor>();
    const stack = [...graph.outputs];
    while (stack.length > 0) {
      const t = stack.pop()!;
      if (needed.has(t)) continue;
      needed.add(t);
      const op = t.producer;
      if (op === null || live.has(op)) continue;
      live.add(op);
      for (const input of op.inputs) if (input !== null) stack.push(input);
    }
    const inputs = new Set(graph.inputs);
    const dangling = [...needed].filter((t) => t.producer === null && t.data === null && !t.isVariable && !inputs.has(t));
    if (dangling.length > 0) {
      throw new UsageError(
        `the outputs depend on ${dangling.map((t) => `"${t.name}"`).join(', ')}, which ${dangling.length > 1 ? 'are' : 'is'} not an input: add ${dangling.length > 1 ? 'them' : 'it'} to --input_arrays`,
      );
    }
    // Placeholders picked by default that nothing needs (keep_prob once dropout is gone) are not
    // inputs of the converted model; ones the user named stay, used or not.
    if (ctx.options.inputArrays === undefined || ctx.options.inputArrays.length === 0) {
      const unused = graph.inputs.filter((t) => !needed.has(t));
      for (const t of unused) ctx.notice(`input "${t.name}" is not needed by the outputs and was dropped`);
      graph.inputs = graph.inputs.filter((t) => needed.has(t));
    }
    const before = graph.ops.length;
    graph.ops = graph.ops.filter((op) => live.has(op));
    graph.pruneTensors();
    const removed = before - graph.ops.length;
    return removed > 0 ? `removed ${removed} ops the outputs do not need` : '';
  },
};

/**
 * resolve-switch-merge: TF1 cond control flow (Switch/Merge) with a predicate that is known at
 * conversion time, which is how Keras models carry their learning phase (dropout and batch norm
 * take the `training` branch only when keras_learning_phase is true). Inference means
 * training = false:
 * - a Switch whose predicate is a constant forwards its data to output 0 (false) or 1 (true); the
 *   other output is dead;
 * - any op reading a dead tensor is dead, except Merge, which forwards its one live input.
 * A `keras_learning_phase` Placeholder that is not a chosen input is taken as false, with a
 * notice. Runs after remove-identity (PlaceholderWithDefault has become its constant default);
 * the dead branches then fall to prune.
 */
import type { Graph } from '../ir/graph.js';
import { constValues, type Tensor } from '../ir/tensor.js';
import { UnsupportedError } from '../util/errors.js';
import type { Pass, PassContext } from './pass.js';

function predicateValue(graph: Graph, t: Tensor | null | undefined, ctx: PassContext): boolean | null {
  if (!t) return null;
  if (t.data !== null && t.data.kind === 'bytes' && t.dtype === 'bool') return constValues(t.data, 'bool')[0] !== 0;
  if (t.producer === null && t.data === null && !graph.inputs.includes(t) && /(^|\/)keras_learning_phase$/.test(t.name)) {
    ctx.notice(`"${t.name}" is taken as false (inference)`);
    return false;
  }
  return null;
}

export const resolveSwitchMerge: Pass = {
  name: 'resolve-switch-merge',
  run(model, ctx) {
    const graph = model.main;
    if (!graph.ops.some((op) => op.dialect === 'tf' && op.type === 'Switch')) return '';
    const dead = new Set<Tensor>();
    const forward = new Map<Tensor, Tensor>();
    const resolve = (t: Tensor): Tensor => forward.get(t) ?? t;
    let switches = 0;
    for (const op of graph.ops) {
      if (op.dialect !== 'tf') continue;
      if (op.type === 'Merge') {
        const live = op.inputs.filter((t): t is Tensor => t !== null && !dead.has(t));
        if (live.length === 1) forward.set(op.outputs[0]!, resolve(live[0]!));
        else if (live.length === 0) op.outputs.forEach((t) => dead.add(t));
        continue;
      }
      if (op.inputs.some((t) => t !== null && dead.has(t))) {
        op.outputs.forEach((t) => dead.add(t));
        continue;
      }
      if (op.type !== 'Switch') continue;
      const value = predicateValue(graph, op.inputs[1], ctx);
      if (value === null) continue;
      const [whenFalse, whenTrue] = [op.outputs[0], op.outputs[1]];
      const taken = value ? whenTrue : whenFalse;
      const other = value ? whenFalse : whenTrue;
      if (taken) forward.set(taken, resolve(op.inputs[0]!));
      if (other) dead.add(other);
      switches++;
    }
    for (const [from, to] of forward) graph.replaceUses(from, to);
    const stuck = graph.outputs.find((t) => dead.has(t));
    if (stuck) throw new UnsupportedError(`output "${stuck.name}" is only computed in the training branch`);
    return switches > 0 ? `resolved ${switches} Switch ops with the learning phase set to inference` : '';
  },
};

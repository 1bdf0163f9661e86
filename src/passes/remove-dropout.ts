/**
 * remove-dropout: training-time dropout left in an inference graph. A dropout multiplies its
 * input by a random mask (computed from RandomUniform through Add/Floor, or GreaterEqual/Cast,
 * or Select) and scales it by 1/keep_prob; at inference keep_prob is 1, so the result is the
 * unscaled input. The rule: Mul(p, mask) or SelectV2(mask, p, _) where the mask depends on a
 * random op and p does not becomes p, with p's own 1/keep_prob scaling (RealDiv or Mul by a
 * constant or by a Placeholder like keep_prob) removed too.
 * Runs before legalization, on TF ops; the random ops and keep_prob then fall to pruning.
 */
import type { Graph } from '../ir/graph.js';
import type { Op } from '../ir/op.js';
import type { Tensor } from '../ir/tensor.js';
import { RANDOM_OPS } from '../ops/tf-node-kinds.js';
import type { Pass } from './pass.js';

const isConstant = (t: Tensor | null | undefined): boolean => !!t && t.data !== null;

/**
 * The keep probability a TF1 mask was drawn with: mask = Floor(Add(keep, random)), where keep
 * may be a Placeholder or computed from one (1 - rate).
 */
function keepProbability(mask: Tensor, random: Set<Tensor>): Tensor | null {
  const floor = mask.producer;
  const add = floor?.dialect === 'tf' && floor.type === 'Floor' ? floor.inputs[0]?.producer : undefined;
  if (add?.dialect !== 'tf' || (add.type !== 'Add' && add.type !== 'AddV2')) return null;
  const [a, b] = add.inputs;
  if (a && b && random.has(b) && !random.has(a)) return a;
  if (a && b && random.has(a) && !random.has(b)) return b;
  return null;
}

/**
 * p without its dropout scaling: TF1 divides by the keep probability the mask used (a
 * Placeholder, or 1 - rate computed from one), TF2 multiplies by the constant 1/(1 - rate); at
 * inference both are 1.
 */
function unscaled(p: Tensor, keep: Tensor | null): Tensor {
  const op = p.producer;
  if (op?.dialect !== 'tf') return p;
  const [a, b] = op.inputs;
  if ((op.type === 'RealDiv' || op.type === 'Div') && a && b && (b === keep || b.producer === null)) return a;
  if (op.type === 'Mul' && a && b) {
    if (isConstant(b) && !isConstant(a)) return a;
    if (isConstant(a) && !isConstant(b)) return b;
  }
  return p;
}

function dropoutInput(op: Op, random: Set<Tensor>): Tensor | null {
  if (op.dialect !== 'tf') return null;
  const [a, b, c] = op.inputs;
  if (op.type === 'Mul' && a && b) {
    if (random.has(b) && !random.has(a)) return unscaled(a, keepProbability(b, random));
    if (random.has(a) && !random.has(b)) return unscaled(b, keepProbability(a, random));
  }
  if ((op.type === 'Select' || op.type === 'SelectV2') && a && b && c && random.has(a) && !random.has(b)) return unscaled(b, null);
  return null;
}

export const removeDropout: Pass = {
  name: 'remove-dropout',
  run(model) {
    const graph = model.main;
    if (!graph.ops.some((op) => op.dialect === 'tf' && RANDOM_OPS.has(op.type))) return '';
    // One topological walk. `random`: computed from a random op. `data`: computed from a
    // placeholder, i.e. the model's data path (a dropout scales data; the mask arithmetic does
    // not count). A recognized dropout's output is its input again, so neither taint spreads
    // past it to the layers after it.
    const random = new Set<Tensor>();
    const data = new Set<Tensor>(graph.tensors.filter((t) => t.producer === null && t.data === null));
    let removed = 0;
    for (const op of graph.ops) {
      const input = dropoutInput(op, random);
      if (input !== null && data.has(input)) {
        const out = op.outputs[0]!;
        const wasOutput = graph.outputs.includes(out);
        graph.replaceUses(out, input);
        if (wasOutput && input.producer !== null) input.name = out.name;
        removed++;
        continue;
      }
      const isRandom = op.dialect === 'tf' && RANDOM_OPS.has(op.type);
      if (isRandom || op.inputs.some((t) => t !== null && random.has(t))) for (const t of op.outputs) random.add(t);
      if (op.inputs.some((t) => t !== null && data.has(t))) for (const t of op.outputs) data.add(t);
    }
    return removed > 0 ? `removed ${removed} dropout layers` : '';
  },
};

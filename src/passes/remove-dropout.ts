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

/** Tensors computed (transitively) from a random op. */
function randomDependent(graph: Graph): Set<Tensor> {
  const random = new Set<Tensor>();
  for (const op of graph.ops) {
    const isRandom = op.dialect === 'tf' && RANDOM_OPS.has(op.type);
    if (isRandom || op.inputs.some((t) => t !== null && random.has(t))) for (const t of op.outputs) random.add(t);
  }
  return random;
}

const isConstant = (t: Tensor | null | undefined): boolean => !!t && t.data !== null;

/**
 * p without its dropout scaling: TF1 divides by keep_prob (a Placeholder or constant), TF2
 * multiplies by the constant 1/(1 - rate); at inference both are 1.
 */
function unscaled(p: Tensor): Tensor {
  const op = p.producer;
  if (op?.dialect !== 'tf') return p;
  const [a, b] = op.inputs;
  if ((op.type === 'RealDiv' || op.type === 'Div') && a && b && b.producer === null) return a;
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
    if (random.has(b) && !random.has(a)) return unscaled(a);
    if (random.has(a) && !random.has(b)) return unscaled(b);
  }
  if ((op.type === 'Select' || op.type === 'SelectV2') && a && b && c && random.has(a) && !random.has(b)) return unscaled(b);
  return null;
}

export const removeDropout: Pass = {
  name: 'remove-dropout',
  run(model) {
    const graph = model.main;
    const random = randomDependent(graph);
    if (random.size === 0) return '';
    let removed = 0;
    for (const op of [...graph.ops]) {
      const input = dropoutInput(op, random);
      if (input === null) continue;
      const out = op.outputs[0]!;
      const wasOutput = graph.outputs.includes(out);
      graph.replaceUses(out, input);
      if (wasOutput && input.producer !== null) input.name = out.name;
      removed++;
    }
    return removed > 0 ? `removed ${removed} dropout layers` : '';
  },
};

/**
 * fuse-activation-patterns: activations TF graphs spell out with arithmetic, recognized and
 * replaced by the TFLite op (one kernel, and one quantization range instead of several):
 * - LEAKY_RELU: MAXIMUM(x, MUL(x, a)) with a constant 0 < a < 1 (either operand order);
 * - HARD_SWISH: x · RELU6(x + 3) / 6, as MUL(MUL(x, RELU6(ADD(x, 3))), 1/6), DIV(…, 6), or
 *   MUL(x, MUL(RELU6(ADD(x, 3)), 1/6)).
 * Runs after fold-constants (the constants are plain values) and before fuse-activation (which
 * would otherwise fold the RELU6 into the ADD and hide the pattern). Intermediate results must
 * have no other readers.
 */
import { BuiltinOperator } from '../../generated/tflite/builtin-operator.js';
import { BuiltinOptions } from '../../generated/tflite/builtin-options.js';
import { LeakyReluOptionsT } from '../../generated/tflite/leaky-relu-options.js';
import type { Graph } from '../ir/graph.js';
import type { Op, TflOp } from '../ir/op.js';
import type { Tensor } from '../ir/tensor.js';
import { hasNoActivation, scalarConstant } from './match.js';
import type { Pass } from './pass.js';

function tflOf(t: Tensor | null | undefined, builtin: BuiltinOperator): TflOp | null {
  const op = t?.producer;
  return op?.dialect === 'tfl' && op.builtin === builtin && hasNoActivation(op) ? op : null;
}

/** For a binary op with one scalar-constant operand: [the other operand, the constant]. */
function splitConst(op: TflOp): [Tensor, number] | null {
  const [a, b] = op.inputs;
  const cb = scalarConstant(b);
  if (a && cb !== null) return [a, cb];
  const ca = scalarConstant(a);
  if (b && ca !== null) return [b, ca];
  return null;
}

const near = (x: number, y: number) => Math.abs(x - y) <= 1e-6 * Math.max(1, Math.abs(y));

/** The tensors an op created on the way to `out` that nothing else may read. */
function privateTo(graph: Graph, users: Map<Tensor, Op[]>, tensors: Tensor[]): boolean {
  return tensors.every((t) => (users.get(t)?.length ?? 0) === 1 && !graph.outputs.includes(t));
}

function matchLeakyRelu(op: TflOp): { x: Tensor; alpha: number; inner: Tensor[] } | null {
  if (op.builtin !== BuiltinOperator.MAXIMUM) return null;
  for (const side of [0, 1]) {
    const x = op.inputs[side];
    const scaled = op.inputs[1 - side];
    const mul = tflOf(scaled, BuiltinOperator.MUL);
    const split = mul === null ? null : splitConst(mul);
    if (x && scaled && split !== null && split[0] === x && split[1] > 0 && split[1] < 1) return { x, alpha: split[1], inner: [scaled] };
  }
  return null;
}

/** RELU6(ADD(x, 3)) → x, with the intermediate tensors. */
function relu6OfXPlus3(t: Tensor | null | undefined): { x: Tensor; inner: Tensor[] } | null {
  const relu6 = tflOf(t, BuiltinOperator.RELU6);
  const add = tflOf(relu6?.inputs[0], BuiltinOperator.ADD);
  const split = add === null ? null : splitConst(add);
  if (!t || relu6 === null || split === null || !near(split[1], 3)) return null;
  return { x: split[0], inner: [t, relu6.inputs[0]!] };
}

function matchHardSwish(op: TflOp): { x: Tensor; inner: Tensor[] } | null {
  const split = splitConst(op);
  // (x · relu6(x+3)) · (1/6)  or  (x · relu6(x+3)) / 6
  const isSixth = split !== null && ((op.builtin === BuiltinOperator.MUL && near(split[1], 1 / 6)) || (op.builtin === BuiltinOperator.DIV && op.inputs[1] !== split[0] && near(split[1], 6)));
  if (isSixth) {
    const product = tflOf(split[0], BuiltinOperator.MUL);
    for (const side of [0, 1]) {
      const r = relu6OfXPlus3(product?.inputs[1 - side]);
      if (product && r && product.inputs[side] === r.x) return { x: r.x, inner: [split[0], ...r.inner] };
    }
  }
  // x · (relu6(x+3) · (1/6))
  if (op.builtin === BuiltinOperator.MUL) {
    for (const side of [0, 1]) {
      const sixth = tflOf(op.inputs[1 - side], BuiltinOperator.MUL);
      const s = sixth === null ? null : splitConst(sixth);
      const r = s !== null && near(s[1], 1 / 6) ? relu6OfXPlus3(s[0]) : null;
      if (r && op.inputs[side] === r.x) return { x: r.x, inner: [op.inputs[1 - side]!, ...r.inner] };
    }
  }
  return null;
}

function replaceWith(op: TflOp, builtin: BuiltinOperator, x: Tensor, opts: TflOp['options']): void {
  op.builtin = builtin;
  op.inputs = [x];
  op.options = opts;
  op.version = 1;
}

export const fuseActivationPatterns: Pass = {
  name: 'fuse-activation-patterns',
  run(model) {
    const graph = model.main;
    let users = graph.consumers();
    let leaky = 0;
    let swish = 0;
    for (const op of graph.ops) {
      if (op.dialect !== 'tfl' || !hasNoActivation(op)) continue;
      const lr = matchLeakyRelu(op);
      if (lr && privateTo(graph, users, lr.inner)) {
        replaceWith(op, BuiltinOperator.LEAKY_RELU, lr.x, { type: BuiltinOptions.LeakyReluOptions, value: new LeakyReluOptionsT(lr.alpha) });
        leaky++;
        users = graph.consumers();
        continue;
      }
      const hs = matchHardSwish(op);
      if (hs && privateTo(graph, users, hs.inner)) {
        replaceWith(op, BuiltinOperator.HARD_SWISH, hs.x, null);
        swish++;
        users = graph.consumers();
      }
    }
    if (leaky + swish === 0) return '';
    // The ops that computed the pattern's pieces now feed nothing; prune removes them.
    return [leaky > 0 ? `${leaky} LEAKY_RELU` : '', swish > 0 ? `${swish} HARD_SWISH` : ''].filter(Boolean).join(', ') + ' recognized';
  },
};

/**
 * TF's Einsum (one or two operands), lowered to existing TFLite ops the way TF's own kernel
 * (core/kernels/linalg/einsum_op_impl.h) computes it. Each label of the equation is classified:
 *   batch     in both operands and the output      (kept apart, BATCH_MATMUL broadcasts them)
 *   contract  in both operands, not the output     (the matrix product's inner dimension)
 *   free      in one operand and the output        (rows of the left, columns of the right)
 *   sum       in one operand only, not the output  (summed away first, with SUM)
 * Each operand is summed, transposed to [batch…, rows…, cols…] (or [batch…, cols…, rows…] with
 * BATCH_MATMUL's adjoint flag) and reshaped to [batch…, M, K] / [batch…, K, N]; BATCH_MATMUL's
 * result is reshaped to [batch…, free left…, free right…] and transposed into the output order.
 * Steps that would be identities are left out, and of the layouts that work (which operand goes
 * left, which label orders) the one with the fewest runtime transposes is taken; transposes of
 * constants cost nothing since fold-constants evaluates them. One operand is SUM then TRANSPOSE.
 * A scalar result squeezes BATCH_MATMUL's [1, 1]. Repeated labels (traces, diagonals, 'i->ii')
 * have no TFLite equivalent here and are rejected, as are int contractions (BATCH_MATMUL computes
 * float32) and reshapes with more than one unknown dim. No new TFLite op is needed, so EINSUM_OPS
 * stays empty.
 */
import { BatchMatMulOptionsT } from '../../generated/tflite/batch-mat-mul-options.js';
import { BuiltinOperator } from '../../generated/tflite/builtin-operator.js';
import { BuiltinOptions } from '../../generated/tflite/builtin-options.js';
import { ReducerOptionsT } from '../../generated/tflite/reducer-options.js';
import { SqueezeOptionsT } from '../../generated/tflite/squeeze-options.js';
import type { DType } from '../ir/dtype.js';
import type { Tensor } from '../ir/tensor.js';
import { GraphError, ModelFormatError, UnsupportedError } from '../util/errors.js';
import { inputOf, options, requireDtype, type OpDef, type TfLegalization } from './op-def.js';
import type { Rewriter } from './rewriter.js';
import { attrInt, attrString } from './tf-attrs.js';

/** Labels per operand and of the output. Before expansion '...' is one token for the broadcast dims. */
export interface EinsumEquation {
  operands: string[][];
  output: string[];
}

export type LabelRole = 'batch' | 'contract' | 'free' | 'sum';

const ELLIPSIS = '...';

/** Splits an equation into labels; without '->' the output is implicit, as in NumPy and tf.einsum. */
export function parseEinsumEquation(equation: string, where: string): EinsumEquation {
  const sides = equation.replace(/\s+/g, '').split('->');
  if (sides.length > 2) throw new ModelFormatError(`${where}: more than one "->"`);
  const operands = sides[0]!.split(',').map((term, i) => parseTerm(term, `operand ${i}`, where));
  if (operands.length > 2) throw new UnsupportedError(`${where}: ${operands.length} operands; TF's Einsum takes 1 or 2`);
  const output = sides[1] === undefined ? implicitOutput(operands) : parseTerm(sides[1], 'the output', where);
  operands.forEach((labels, i) => {
    const repeated = firstRepeat(labels);
    if (repeated !== null) {
      throw new UnsupportedError(`${where}: label "${repeated}" repeats in operand ${i} (a trace or diagonal), which has no TFLite lowering`);
    }
  });
  const repeated = firstRepeat(output);
  if (repeated !== null) throw new UnsupportedError(`${where}: label "${repeated}" repeats in the output, which has no TFLite lowering`);
  const missing = output.find((l) => !operands.some((o) => o.includes(l)));
  if (missing !== undefined) throw new ModelFormatError(`${where}: output label "${missing}" is in no operand`);
  return { operands, output };
}

function parseTerm(term: string, what: string, where: string): string[] {
  const labels: string[] = [];
  for (let i = 0; i < term.length; ) {
    if (term.startsWith(ELLIPSIS, i)) {
      if (labels.includes(ELLIPSIS)) throw new ModelFormatError(`${where}: ${what} has two "..."`);
      labels.push(ELLIPSIS);
      i += ELLIPSIS.length;
      continue;
    }
    const c = term[i]!;
    if (!/^[A-Za-z]$/.test(c)) throw new ModelFormatError(`${where}: ${what} has "${c}", neither a letter nor "..."`);
    labels.push(c);
    i++;
  }
  return labels;
}

/** The labels that occur once, sorted by character code, after the ellipsis if any operand has one. */
function implicitOutput(operands: string[][]): string[] {
  const counts = new Map<string, number>();
  for (const l of operands.flat()) if (l !== ELLIPSIS) counts.set(l, (counts.get(l) ?? 0) + 1);
  const once = [...counts].filter(([, n]) => n === 1).map(([l]) => l).sort();
  return operands.some((o) => o.includes(ELLIPSIS)) ? [ELLIPSIS, ...once] : once;
}

function firstRepeat(labels: readonly string[]): string | null {
  return labels.find((l, i) => labels.indexOf(l) !== i) ?? null;
}

/**
 * Replaces '...' by broadcast labels '.0', '.1', … aligned from the right (an operand with fewer
 * broadcast dims has the trailing ones), as TF and NumPy broadcast them.
 */
export function expandEllipsis(eq: EinsumEquation, ranks: readonly number[], where: string): EinsumEquation {
  const counts = eq.operands.map((labels, i) => {
    const rank = ranks[i]!;
    const named = labels.filter((l) => l !== ELLIPSIS).length;
    const open = labels.includes(ELLIPSIS);
    if (open ? rank < named : rank !== named) {
      throw new GraphError(`${where}: operand ${i} has rank ${rank}, the equation gives it ${open ? 'at least ' : ''}${named} dims`);
    }
    return open ? rank - named : 0;
  });
  const most = Math.max(0, ...counts);
  if (most > 0 && !eq.output.includes(ELLIPSIS)) {
    throw new ModelFormatError(`${where}: the operands have ${most} broadcast dims ("...") but the output has no "..."`);
  }
  const expand = (labels: string[], n: number) =>
    labels.flatMap((l) => (l === ELLIPSIS ? Array.from({ length: n }, (_, j) => `.${most - n + j}`) : [l]));
  return { operands: eq.operands.map((labels, i) => expand(labels, counts[i]!)), output: expand(eq.output, most) };
}

/** The role of every label of an expanded equation. */
export function labelRoles(eq: EinsumEquation): Map<string, LabelRole> {
  const roles = new Map<string, LabelRole>();
  for (const label of new Set(eq.operands.flat())) {
    // A broadcast label one operand lacks is still a batch dim: that operand broadcasts it as 1.
    const shared = eq.operands.length === 2 && (eq.operands.every((o) => o.includes(label)) || label.startsWith('.'));
    roles.set(label, eq.output.includes(label) ? (shared ? 'batch' : 'free') : shared ? 'contract' : 'sum');
  }
  return roles;
}

export interface OperandPlan {
  /** Axes summed away first (SUM, keepDims false); empty for none. */
  sumAxes: number[];
  /** Then this TRANSPOSE permutation, null where it would be the identity. */
  perm: number[] | null;
  /** Then this RESHAPE target, null where the shape already fits BATCH_MATMUL. */
  shape: number[] | null;
  /** BATCH_MATMUL's adj flag for this operand: its last two dims are [cols, rows]. */
  adjoint: boolean;
}

export interface EinsumPlan {
  /** Which input each entry of `operands` is: [0] alone, [0, 1], or [1, 0] when swapped. */
  order: number[];
  operands: OperandPlan[];
  /** After BATCH_MATMUL (or the single operand's steps): this RESHAPE, then TRANSPOSE. */
  resultShape: number[] | null;
  resultPerm: number[] | null;
}

/** The permutation taking labels `from` to `to`, or null for the identity. */
function permBetween(from: readonly string[], to: readonly string[]): number[] | null {
  const perm = to.map((l) => from.indexOf(l));
  return perm.every((p, i) => p === i) ? null : perm;
}

const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((l, i) => l === b[i]);
const product = (dims: readonly number[]) => dims.reduce((n, d) => (n < 0 || d < 0 ? -1 : n * d), 1);

/**
 * How to compute the expanded equation's result from operands of `shapes` (-1 for unknown dims).
 * `constant[i]` says whether operand i is constant (its transposes fold away).
 */
export function planEinsum(equation: EinsumEquation, shapes: readonly number[][], constant: readonly boolean[], where: string): EinsumPlan {
  const eq = expandEllipsis(equation, shapes.map((s) => s.length), where);
  const roles = labelRoles(eq);
  const role = (l: string) => roles.get(l);
  const sumAxes = eq.operands.map((labels) => labels.flatMap((l, i) => (role(l) === 'sum' ? [i] : [])));
  const kept = eq.operands.map((labels) => labels.filter((l) => role(l) !== 'sum'));
  if (kept.length === 1) {
    const operand = { sumAxes: sumAxes[0]!, perm: null, shape: null, adjoint: false };
    return checkTransposes({ order: [0], operands: [operand], resultShape: null, resultPerm: permBetween(kept[0]!, eq.output) }, where);
  }
  const sizes = eq.operands.map((labels, i) => new Map(labels.map((l, axis) => [l, shapes[i]![axis]!])));
  checkSizes(sizes, roles, where);
  let best: { cost: number; plan: EinsumPlan } | null = null;
  for (const order of [[0, 1], [1, 0]] as const) {
    for (const candidate of layouts(eq, kept, roles, order)) {
      const { lhs, rhs, batch, resultPerm } = candidate;
      const cost = [lhs.perm, rhs.perm].reduce((c, perm, i) => c + (perm === null ? 0 : constant[order[i]!] ? 0.01 : 1), 0) + (resultPerm ? 1 : 0);
      if (best !== null && cost >= best.cost) continue;
      const size = (i: number) => (l: string) => sizes[i]!.get(l) ?? 1;
      const groups = batchGroups(batch, size(order[0]), size(order[1]), where);
      const operandShape = (i: number, labels: string[], rows: string[], cols: string[], adjoint: boolean) => {
        const present = batch.filter((l) => labels.includes(l));
        // No RESHAPE when the operand is already [batch…, rows, cols] with single dims and its
        // missing batch dims lead (BATCH_MATMUL broadcasts from the right).
        const fits = groups.every((g) => g.length === 1) && rows.length === 1 && cols.length === 1 && same(present, batch.slice(batch.length - present.length));
        if (fits) return null;
        const matrix = [product(rows.map(size(i))), product(cols.map(size(i)))];
        return staticShape([...groups.map((g) => product(g.map(size(i)))), ...(adjoint ? matrix.reverse() : matrix)], where);
      };
      const reshaped = (i: 0 | 1, o: Layout, rows: string[], cols: string[]) => ({
        sumAxes: sumAxes[order[i]]!,
        perm: o.perm,
        shape: operandShape(order[i], kept[order[i]]!, rows, cols, o.adjoint),
        adjoint: o.adjoint,
      });
      const fits = groups.every((g) => g.length === 1) && candidate.freeL.length === 1 && candidate.freeR.length === 1;
      const broadcastSize = (l: string) => {
        const [a, b] = [size(0)(l), size(1)(l)];
        return a === 1 ? b : b === 1 ? a : Math.max(a, b);
      };
      const resultShape = fits ? null : staticShape([...batch, ...candidate.freeL, ...candidate.freeR].map(broadcastSize), where);
      const plan: EinsumPlan = {
        order: [...order],
        operands: [reshaped(0, lhs, candidate.freeL, candidate.contract), reshaped(1, rhs, candidate.contract, candidate.freeR)],
        resultShape,
        resultPerm,
      };
      best = { cost, plan };
    }
  }
  return checkTransposes(best!.plan, where);
}

/** TFLite's TRANSPOSE takes at most 6 dims. */
function checkTransposes(plan: EinsumPlan, where: string): EinsumPlan {
  const rank = Math.max(...[...plan.operands.map((o) => o.perm), plan.resultPerm].map((perm) => perm?.length ?? 0));
  if (rank > 6) throw new UnsupportedError(`${where}: needs a rank-${rank} TRANSPOSE; TFLite's takes at most 6 dims`);
  return plan;
}

interface Layout {
  perm: number[] | null;
  adjoint: boolean;
}

interface Candidate {
  lhs: Layout;
  rhs: Layout;
  batch: string[];
  contract: string[];
  freeL: string[];
  freeR: string[];
  resultPerm: number[] | null;
}

/** Every combination of label orders worth trying: each group in one operand's or the output's order. */
function* layouts(eq: EinsumEquation, kept: string[][], roles: Map<string, LabelRole>, order: readonly [number, number]): Generator<Candidate> {
  const [L, R] = [kept[order[0]]!, kept[order[1]]!];
  const of = (labels: string[], r: LabelRole, within: string[] = labels) => labels.filter((l) => roles.get(l) === r && within.includes(l));
  const distinct = (orders: string[][]) => orders.filter((o, i) => orders.findIndex((p) => same(p, o)) === i);
  const batchOut = of(eq.output, 'batch');
  const batchOrders = distinct([batchOut, of(L, 'batch'), of(R, 'batch')].filter((o) => o.length === batchOut.length));
  for (const batch of batchOrders) {
    for (const contract of distinct([of(L, 'contract'), of(R, 'contract')])) {
      for (const freeL of distinct([of(L, 'free'), of(eq.output, 'free', L)])) {
        for (const freeR of distinct([of(R, 'free'), of(eq.output, 'free', R)])) {
          yield {
            lhs: layoutOf(L, batch, freeL, contract, false),
            rhs: layoutOf(R, batch, contract, freeR, true),
            batch,
            contract,
            freeL,
            freeR,
            resultPerm: permBetween([...batch, ...freeL, ...freeR], eq.output),
          };
        }
      }
    }
  }
}

/**
 * [batch…, rows…, cols…] as it is, or with rows and cols swapped (adjoint), else transposed. A
 * transposed right operand is given as [batch…, N, K] with adj_y: TFLite's kernel wants the right
 * matrix that way and otherwise transposes it itself on every run (the left one, the other way).
 */
function layoutOf(labels: string[], batch: string[], rows: string[], cols: string[], isRight: boolean): Layout {
  const present = batch.filter((l) => labels.includes(l));
  const plain = [...present, ...rows, ...cols];
  const adjoint = [...present, ...cols, ...rows];
  if (same(labels, plain)) return { perm: null, adjoint: false };
  if (same(labels, adjoint)) return { perm: null, adjoint: true };
  return { perm: permBetween(labels, isRight ? adjoint : plain), adjoint: isRight };
}

/** Contracted dims must agree; batch dims agree or one is 1 (BATCH_MATMUL broadcasts it). */
function checkSizes(sizes: Map<string, number>[], roles: Map<string, LabelRole>, where: string): void {
  for (const [label, a] of sizes[0]!) {
    const b = sizes[1]!.get(label);
    if (b === undefined || a === b || a < 0 || b < 0) continue;
    if (roles.get(label) === 'batch' && (a === 1 || b === 1)) continue;
    const name = label.startsWith('.') ? `broadcast dim ${label.slice(1)} of "..."` : `label "${label}"`;
    throw new GraphError(`${where}: ${name} has size ${a} in operand 0 and ${b} in operand 1`);
  }
}

/**
 * BATCH_MATMUL takes rank ≤ 5, so at most 3 batch dims. Beyond that, neighbours that broadcast
 * alike (equal sizes, or 1 on the same side) merge into one dim.
 */
function batchGroups(batch: string[], left: (l: string) => number, right: (l: string) => number, where: string): string[][] {
  if (batch.length <= 3) return batch.map((l) => [l]);
  const pattern = (l: string) => {
    const [a, b] = [left(l), right(l)];
    return a < 0 || b < 0 ? `?${l}` : a === b ? 'same' : a === 1 ? 'left1' : 'right1';
  };
  const groups: string[][] = [];
  for (const l of batch) {
    const last = groups[groups.length - 1];
    if (last !== undefined && pattern(last[0]!) === pattern(l)) last.push(l);
    else groups.push([l]);
  }
  if (groups.length > 3) throw new UnsupportedError(`${where}: ${groups.length} batch dims that cannot merge; TFLite's BATCH_MATMUL takes at most 3`);
  return groups;
}

/** A RESHAPE target may leave one dim to the runtime (-1); more unknowns need static shapes. */
function staticShape(shape: number[], where: string): number[] {
  if (shape.filter((d) => d < 0).length > 1) {
    throw new UnsupportedError(`${where}: reshaping to [${shape.map((d) => (d < 0 ? '?' : d))}] needs static input shapes (pass input shapes)`);
  }
  return shape;
}

// ---------------------------------------------------------------------------------------------
// Legalization.

/** TFLite's BATCH_MATMUL computes float32 (int8/int16 only quantized); SUM and TRANSPOSE take these. */
const CONTRACT_TYPES: readonly DType[] = ['float32'];
const SINGLE_TYPES: readonly DType[] = ['float32', 'int32', 'int64'];

function emitOperand(rw: Rewriter, x: Tensor, p: OperandPlan, base: string): Tensor {
  let t = x;
  if (p.sumAxes.length > 0) {
    const opts = options(BuiltinOptions.ReducerOptions, new ReducerOptionsT(false));
    t = rw.tfl1(BuiltinOperator.SUM, [t, rw.int32(`${base}_sum/axes`, p.sumAxes)], opts, `${base}_sum`);
  }
  if (p.perm !== null) t = rw.tfl1(BuiltinOperator.TRANSPOSE, [t, rw.int32(`${base}_transposed/perm`, p.perm)], null, `${base}_transposed`);
  if (p.shape !== null) t = rw.tfl1(BuiltinOperator.RESHAPE, [t, rw.int32(`${base}_reshaped/shape`, p.shape)], null, `${base}_reshaped`);
  return t;
}

/** Emits the plan; the last op (and its output) takes the node's name. */
export function emitEinsum(rw: Rewriter, name: string, inputs: readonly Tensor[], plan: EinsumPlan): Tensor {
  const operands = plan.operands.map((p, i) => emitOperand(rw, inputs[plan.order[i]!]!, p, `${name}/${plan.operands.length === 1 ? 'input' : i === 0 ? 'lhs' : 'rhs'}`));
  let t = operands[0]!;
  if (operands.length === 2) {
    const opts = new BatchMatMulOptionsT(plan.operands[0]!.adjoint, plan.operands[1]!.adjoint);
    t = rw.tfl1(BuiltinOperator.BATCH_MATMUL, [t, operands[1]!], options(BuiltinOptions.BatchMatMulOptions, opts), `${name}/matmul`);
  }
  if (plan.resultShape?.length === 0) {
    // A scalar result ('i,i->') drops BATCH_MATMUL's [1, 1] with SQUEEZE (no dims given: every
    // size-1 dim, here all). LiteRT.js returns garbage for a RESHAPE to a scalar, whose empty
    // shape constant has no buffer bytes (likely read as a non-constant, dynamic shape).
    const opts = options(BuiltinOptions.SqueezeOptions, new SqueezeOptionsT([]));
    t = rw.tfl1(BuiltinOperator.SQUEEZE, [t], opts, `${name}/squeezed`);
  } else if (plan.resultShape !== null) {
    t = rw.tfl1(BuiltinOperator.RESHAPE, [t, rw.int32(`${name}/shape`, plan.resultShape)], null, `${name}/reshaped`);
  }
  if (plan.resultPerm !== null) t = rw.tfl1(BuiltinOperator.TRANSPOSE, [t, rw.int32(`${name}/perm`, plan.resultPerm)], null, `${name}/transposed`);
  if (t.producer !== null && !inputs.includes(t)) {
    t.name = name;
    t.producer.name = name;
  }
  return t;
}

export const EINSUM_OPS: OpDef[] = [];

export const EINSUM_LEGALIZATIONS: TfLegalization[] = [
  {
    tfTypes: ['Einsum'],
    legalize(op, rw) {
      const equation = attrString(op, 'equation');
      const where = `Einsum "${op.name}" (equation "${equation}")`;
      const eq = parseEinsumEquation(equation, where);
      const count = attrInt(op, 'N', op.inputs.length);
      if (count !== eq.operands.length || op.inputs.length !== eq.operands.length) {
        throw new ModelFormatError(`${where}: the equation has ${eq.operands.length} operands, the node N=${count} and ${op.inputs.length} inputs`);
      }
      const inputs = eq.operands.map((_, i) => inputOf(op, i));
      const allowed = inputs.length === 2 ? CONTRACT_TYPES : SINGLE_TYPES;
      const shapes = inputs.map((x, i) => {
        const dtype = requireDtype(x);
        if (!allowed.includes(dtype)) throw new UnsupportedError(`${where}: operand ${i} is ${dtype}; TFLite's lowering takes ${allowed.join(', ')}`);
        if (x.shape === null) throw new UnsupportedError(`${where}: operand ${i} has an unknown rank (pass input shapes)`);
        return x.shape;
      });
      const plan = planEinsum(eq, shapes, inputs.map((x) => x.data !== null), where);
      return [emitEinsum(rw, op.name, inputs, plan)];
    },
  },
];

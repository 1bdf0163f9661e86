/**
 * Einsum's lowering (src/ops/einsum.ts): the equation parser, the label classifier and the
 * planner, golden graphs of what legalization emits, and conformance of the whole lowering
 * (evaluated by our reference kernels through fold-constants) against tfjs-core's einsum on
 * seeded random data with odd sizes on every dimension.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, test } from 'vitest';
import { constValues } from '../../src/ir/tensor.js';
import { expandEllipsis, labelRoles, parseEinsumEquation, planEinsum } from '../../src/ops/einsum.js';
import { GraphError, ModelFormatError, UnsupportedError } from '../../src/util/errors.js';
import { mulberry32 } from '../harness/random-inputs.js';
import { attr, GraphDefBuilder } from '../helpers/graphdef-builder.js';
import { golden, runSteps } from '../helpers/passes.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const parse = (equation: string) => parseEinsumEquation(equation, 'test');
const expanded = (equation: string, ranks: number[]) => expandEllipsis(parse(equation), ranks, 'test');
const roles = (equation: string, ranks: number[]) => Object.fromEntries(labelRoles(expanded(equation, ranks)));

// ---------------------------------------------------------------------------------------------
// Parsing.

describe('parseEinsumEquation', () => {
  test('explicit equations, with whitespace and the ellipsis as one token', () => {
    expect(parse('ij,jk->ik')).toEqual({ operands: [['i', 'j'], ['j', 'k']], output: ['i', 'k'] });
    expect(parse(' bhqd , bhkd -> bhqk ')).toEqual({ operands: [[...'bhqd'], [...'bhkd']], output: [...'bhqk'] });
    expect(parse('...ij,j...->...i')).toEqual({ operands: [['...', 'i', 'j'], ['j', '...']], output: ['...', 'i'] });
    expect(parse('ij->')).toEqual({ operands: [['i', 'j']], output: [] });
  });

  test('an implicit output is the labels seen once, by character code, after "..."', () => {
    expect(parse('ij,jk').output).toEqual(['i', 'k']);
    expect(parse('ba,ac').output).toEqual(['b', 'c']);
    expect(parse('bA,Ac').output).toEqual(['b', 'c']);
    expect(parse('ij,jB').output).toEqual(['B', 'i']);
    expect(parse('ji').output).toEqual(['i', 'j']);
    expect(parse('i,i').output).toEqual([]);
    expect(parse('j...i,i').output).toEqual(['...', 'j']);
  });

  test.each([
    ['ij->jk', ModelFormatError, /output label "k" is in no operand/],
    ['ij->j->i', ModelFormatError, /more than one "->"/],
    ['i1,j->ij', ModelFormatError, /operand 0 has "1"/],
    ['i.j->ij', ModelFormatError, /neither a letter nor/],
    ['......i->i', ModelFormatError, /two "\.\.\."/],
    ['i,j,k->ijk', UnsupportedError, /3 operands/],
    ['ii->i', UnsupportedError, /label "i" repeats in operand 0 \(a trace or diagonal\)/],
    ['ij,kjk->ik', UnsupportedError, /label "k" repeats in operand 1/],
    ['ii', UnsupportedError, /repeats in operand 0/],
    ['i->ii', UnsupportedError, /repeats in the output/],
  ])('%s is rejected', (equation, error, message) => {
    expect(() => parse(equation)).toThrow(error);
    expect(() => parse(equation)).toThrow(message);
  });
});

describe('expandEllipsis', () => {
  test('broadcast labels align from the right', () => {
    expect(expanded('...ij,...jk->...ik', [4, 3])).toEqual({
      operands: [['.0', '.1', 'i', 'j'], ['.1', 'j', 'k']],
      output: ['.0', '.1', 'i', 'k'],
    });
    expect(expanded('i...j,jk->...ik', [2, 2])).toEqual({ operands: [['i', 'j'], ['j', 'k']], output: ['i', 'k'] });
  });

  test('ranks must fit the equation', () => {
    expect(() => expanded('ij,jk->ik', [3, 2])).toThrow(/operand 0 has rank 3, the equation gives it 2 dims/);
    expect(() => expanded('...ij->...', [1])).toThrow(/at least 2 dims/);
    expect(() => expanded('...ij->ij', [3])).toThrow(/1 broadcast dims \("\.\.\."\) but the output has no "\.\.\."/);
    // An ellipsis that stands for nothing needs no '...' in the output.
    expect(expanded('...ij->ij', [2])).toEqual({ operands: [['i', 'j']], output: ['i', 'j'] });
  });
});

describe('labelRoles', () => {
  test('batch, contract, free and summed labels', () => {
    expect(roles('bhqd,bhkd->bhqk', [4, 4])).toEqual({ b: 'batch', h: 'batch', q: 'free', d: 'contract', k: 'free' });
    expect(roles('ij,jk->k', [2, 2])).toEqual({ i: 'sum', j: 'contract', k: 'free' });
    expect(roles('i,j->ij', [1, 1])).toEqual({ i: 'free', j: 'free' });
    expect(roles('ij->i', [2])).toEqual({ i: 'free', j: 'sum' });
  });

  test('a broadcast label one operand lacks is still batch (that operand broadcasts it)', () => {
    expect(roles('...ij,...jk->...ik', [4, 3])).toEqual({ '.0': 'batch', '.1': 'batch', i: 'free', j: 'contract', k: 'free' });
    expect(roles('...ij->...j', [3])).toEqual({ '.0': 'free', i: 'sum', j: 'free' });
  });
});

// ---------------------------------------------------------------------------------------------
// Planning.

const plan = (equation: string, shapes: number[][], constant = shapes.map(() => false)) => planEinsum(parse(equation), shapes, constant, 'test');
const operand = (sumAxes: number[], perm: number[] | null, shape: number[] | null, adjoint = false) => ({ sumAxes, perm, shape, adjoint });

describe('planEinsum', () => {
  test('attention scores need only adj_y', () => {
    expect(plan('bhqd,bhkd->bhqk', [[2, 3, 5, 7], [2, 3, 9, 7]])).toEqual({
      order: [0, 1],
      operands: [operand([], null, null), operand([], null, null, true)],
      resultShape: null,
      resultPerm: null,
    });
  });

  test('heads in the middle: both operands transposed, none of the rest', () => {
    expect(plan('bqhd,bkhd->bhqk', [[2, 5, 3, 7], [2, 9, 3, 7]])).toEqual({
      order: [0, 1],
      operands: [operand([], [0, 2, 1, 3], null), operand([], [0, 2, 1, 3], null, true)],
      resultShape: null,
      resultPerm: null,
    });
  });

  test('an output of [free right, free left] swaps the operands instead of transposing', () => {
    const p = plan('ij,jk->ki', [[3, 5], [5, 7]]);
    expect(p.order).toEqual([1, 0]);
    expect(p.operands).toEqual([operand([], null, null, true), operand([], null, null, true)]);
    expect(p.resultPerm).toBeNull();
  });

  test('several free dims are flattened by RESHAPE and restored after', () => {
    expect(plan('abc,cd->abd', [[3, 5, 7], [7, 9]])).toEqual({
      order: [0, 1],
      operands: [operand([], null, [15, 7]), operand([], null, null)],
      resultShape: [3, 5, 9],
      resultPerm: null,
    });
  });

  test('labels in one operand only are summed first; a scalar result has shape []', () => {
    expect(plan('ij,jk->k', [[3, 5], [5, 7]])).toEqual({
      order: [0, 1],
      operands: [operand([0], null, [1, 5]), operand([], null, null)],
      resultShape: [7],
      resultPerm: null,
    });
    expect(plan('i,i->', [[7], [7]]).resultShape).toEqual([]);
  });

  test('a transpose of a constant counts as free: the variable operand keeps its layout', () => {
    // 'kj,ij->ki': with x variable, transposing it would cost a runtime op.
    const p = plan('ij,kj->ki', [[3, 5], [7, 5]], [false, true]);
    expect(p.order).toEqual([1, 0]);
    expect(p.operands.map((o) => o.perm)).toEqual([null, null]);
    expect(p.resultPerm).toBeNull();
  });

  test('broadcast batch dims are kept apart, the missing ones left to BATCH_MATMUL', () => {
    expect(plan('...ij,...jk->...ik', [[2, 1, 3, 4], [5, 4, 6]])).toEqual({
      order: [0, 1],
      operands: [operand([], null, null), operand([], null, null)],
      resultShape: null,
      resultPerm: null,
    });
  });

  test('more than three batch dims merge where they broadcast alike', () => {
    const p = plan('abcdeij,abcdejk->abcdeik', [[2, 3, 1, 5, 7, 3, 4], [2, 3, 4, 5, 7, 4, 5]]);
    // a,b same | c broadcasts on the left | d,e same: three groups.
    expect(p.operands.map((o) => o.shape)).toEqual([[6, 1, 35, 3, 4], [6, 4, 35, 4, 5]]);
    expect(p.resultShape).toEqual([2, 3, 4, 5, 7, 3, 5]);
    expect(() => plan('abcdij,abcdjk->abcdik', [[2, 1, 2, 1, 3, 4], [1, 2, 1, 2, 4, 5]])).toThrow(/4 batch dims that cannot merge/);
  });

  test('unknown dims: one per RESHAPE is left to the runtime, more need static shapes', () => {
    expect(plan('bsd,de->bse', [[-1, 5, 7], [7, 9]])).toMatchObject({ operands: [{ shape: [-1, 7] }, { shape: null }], resultShape: [-1, 5, 9] });
    expect(plan('bhqd,bhkd->bhqk', [[-1, 3, -1, 7], [-1, 3, -1, 7]]).resultShape).toBeNull();
    expect(() => plan('bsd,de->bse', [[-1, -1, 7], [7, 9]])).toThrow(UnsupportedError);
    expect(() => plan('bsd,de->bse', [[-1, -1, 7], [7, 9]])).toThrow(/needs static input shapes/);
  });

  test('sizes must agree', () => {
    expect(() => plan('ij,jk->ik', [[3, 5], [4, 7]])).toThrow(GraphError);
    expect(() => plan('bij,bjk->bik', [[2, 3, 5], [3, 5, 7]])).toThrow(/label "b" has size 2 in operand 0 and 3/);
    expect(() => plan('...ij,...jk->...ik', [[2, 3, 5], [3, 5, 7]])).toThrow(/broadcast dim 0 of "\.\.\." has size 2/);
    expect(plan('bij,bjk->bik', [[1, 3, 5], [4, 5, 7]]).resultShape).toBeNull();
  });

  test('TRANSPOSE takes at most 6 dims', () => {
    expect(() => plan('abcdefg->gfedcba', [[1, 1, 1, 1, 1, 1, 1]])).toThrow(/rank-7 TRANSPOSE/);
  });

  test('one operand: SUM then TRANSPOSE', () => {
    expect(plan('ijk->kj', [[3, 5, 7]])).toEqual({ order: [0], operands: [operand([0], null, null)], resultShape: null, resultPerm: [1, 0] });
    expect(plan('ij->ij', [[3, 5]])).toEqual({ order: [0], operands: [operand([], null, null)], resultShape: null, resultPerm: null });
  });
});

// ---------------------------------------------------------------------------------------------
// Golden graphs: what legalization emits, and what it leaves out.

function einsumGraph(equation: string, shapes: number[][], dtype = 'float32'): Uint8Array {
  const g = new GraphDefBuilder();
  const names = shapes.map((s, i) => {
    g.placeholder(`x${i}`, s, dtype);
    return `x${i}`;
  });
  return g.node('y', 'Einsum', names, { equation: attr.s(equation), N: attr.i(names.length), T: attr.type(dtype) }).encode();
}

describe('legalization', () => {
  test('attention scores: one BATCH_MATMUL with adj_y, named as the node', () => {
    const { text } = runSteps(einsumGraph('bhqd,bhkd->bhqk', [[2, 3, 5, 7], [2, 3, 9, 7]]), ['select-io', 'legalize']);
    expect(text).toBe(
      golden(`
        graph main(%x0: float32[2,3,5,7], %x1: float32[2,3,9,7]) -> (%y)
          %y: float32[2,3,5,9] = BATCH_MATMUL(%x0, %x1) {adjX: false, adjY: true, asymmetricQuantizeInputs: false}
      `),
    );
  });

  test('free dims flattened and restored; the last op takes the node name', () => {
    const { text } = runSteps(einsumGraph('abc,cd->abd', [[3, 5, 7], [7, 9]]), ['select-io', 'legalize']);
    expect(text).toBe(
      golden(`
        graph main(%x0: float32[3,5,7], %x1: float32[7,9]) -> (%y)
          %y/lhs_reshaped/shape = const int32[2] [15, 7]
          %y/lhs_reshaped: float32[15,7] = RESHAPE(%x0, %y/lhs_reshaped/shape)
          %y/matmul: float32[15,9] = BATCH_MATMUL(%y/lhs_reshaped, %x1) {adjX: false, adjY: false, asymmetricQuantizeInputs: false}
          %y/shape = const int32[3] [3, 5, 9]
          %y: float32[3,5,9] = RESHAPE(%y/matmul, %y/shape)
      `),
    );
  });

  test('one operand: SUM then TRANSPOSE; the identity emits nothing', () => {
    const { text } = runSteps(einsumGraph('ijk->kj', [[3, 5, 7]]), ['select-io', 'legalize']);
    expect(text).toBe(
      golden(`
        graph main(%x0: float32[3,5,7]) -> (%y)
          %y/input_sum/axes = const int32[1] [0]
          %y/input_sum: float32[5,7] = SUM(%x0, %y/input_sum/axes) {keepDims: false}
          %y/perm = const int32[2] [1, 0]
          %y: float32[7,5] = TRANSPOSE(%y/input_sum, %y/perm)
      `),
    );
    const identity = runSteps(einsumGraph('ij->ij', [[3, 5]]), ['select-io', 'legalize']);
    expect(identity.model.main.ops).toHaveLength(0);
  });

  test('a scalar result squeezes BATCH_MATMUL [1, 1]', () => {
    const { text } = runSteps(einsumGraph('i,i->', [[7], [7]]), ['select-io', 'legalize']);
    expect(text).toContain('%y: float32[] = SQUEEZE(%y/matmul)');
  });

  test('rejections name the node and the equation', () => {
    expect(() => runSteps(einsumGraph('ii->i', [[5, 5]]), ['select-io', 'legalize'])).toThrow(/^Einsum "y" \(equation "ii->i"\): label "i" repeats/);
    expect(() => runSteps(einsumGraph('ij,jk->ik', [[3, 5], [5, 7]], 'int32'), ['select-io', 'legalize'])).toThrow(/Einsum "y".*operand 0 is int32/);
    expect(() => runSteps(einsumGraph('ij,jk->ik', [[3, 5], null as unknown as number[]]), ['select-io', 'legalize'])).toThrow(/operand 1 has an unknown rank/);
  });
});

// ---------------------------------------------------------------------------------------------
// Conformance: the lowering, evaluated by fold-constants with our kernels, against tf.einsum.

interface Conformance {
  equation: string;
  shapes: number[][];
  /** The equation tfjs runs (it needs '->' and knows no '...'), on operands broadcast to `broadcast`. */
  tfjs?: { equation: string; broadcast?: number[][] };
  dtype?: 'float32' | 'int32';
}

const CONFORMANCE: Conformance[] = [
  { equation: 'ij,jk->ik', shapes: [[3, 5], [5, 7]] },
  { equation: 'ij,kj->ik', shapes: [[3, 5], [7, 5]] },
  { equation: 'ji,jk->ki', shapes: [[5, 3], [5, 7]] },
  { equation: 'bij,bjk->bik', shapes: [[3, 5, 7], [3, 7, 9]] },
  { equation: 'bhqd,bhkd->bhqk', shapes: [[3, 5, 7, 9], [3, 5, 11, 9]] },
  { equation: 'bqhd,bkhd->bhqk', shapes: [[3, 7, 5, 9], [3, 11, 5, 9]] },
  { equation: 'bhqk,bkhd->bqhd', shapes: [[3, 5, 7, 11], [3, 11, 5, 9]] },
  { equation: 'abc,cd->abd', shapes: [[3, 5, 7], [7, 9]] },
  { equation: 'bsd,dhe->bshe', shapes: [[3, 5, 7], [7, 3, 9]] },
  { equation: 'abcd,cde->abe', shapes: [[3, 5, 7, 9], [7, 9, 11]] },
  { equation: 'ijk,jil->kl', shapes: [[3, 5, 7], [5, 3, 9]] },
  { equation: 'ab,b->a', shapes: [[5, 7], [7]] },
  { equation: 'b,ab->a', shapes: [[7], [5, 7]] },
  { equation: 'i,i->', shapes: [[7], [7]] },
  { equation: 'i,j->ij', shapes: [[5], [7]] },
  { equation: 'ij,ij->ij', shapes: [[3, 5], [3, 5]] },
  { equation: 'ij,ij->i', shapes: [[3, 5], [3, 5]] },
  { equation: 'ij,ji->', shapes: [[3, 5], [5, 3]] },
  { equation: 'ijkl,lkj->i', shapes: [[3, 5, 7, 3], [3, 7, 5]] },
  { equation: 'abcdeij,abcdejk->abcdeik', shapes: [[3, 3, 1, 3, 3, 5, 3], [3, 3, 5, 3, 3, 3, 5]], tfjs: { equation: 'abcdeij,abcdejk->abcdeik', broadcast: [[3, 3, 5, 3, 3, 5, 3], [3, 3, 5, 3, 3, 3, 5]] } },
  { equation: 'bij,bjk->bik', shapes: [[1, 5, 7], [3, 7, 9]], tfjs: { equation: 'bij,bjk->bik', broadcast: [[3, 5, 7], [3, 7, 9]] } },
  { equation: '...ij,...jk->...ik', shapes: [[3, 1, 5, 7], [9, 7, 11]], tfjs: { equation: 'abij,abjk->abik', broadcast: [[3, 9, 5, 7], [3, 9, 7, 11]] } },
  { equation: '...ij,jk->...ik', shapes: [[3, 5, 7, 9], [9, 11]], tfjs: { equation: 'abij,abjk->abik', broadcast: [[3, 5, 7, 9], [3, 5, 9, 11]] } },
  { equation: 'ij,jk', shapes: [[3, 5], [5, 7]], tfjs: { equation: 'ij,jk->ik' } },
  { equation: 'ij->ji', shapes: [[5, 7]] },
  { equation: 'ij->i', shapes: [[5, 7]] },
  { equation: 'ij->', shapes: [[5, 7]] },
  { equation: 'ijk->kji', shapes: [[3, 5, 7]] },
  { equation: 'ijk->ki', shapes: [[3, 5, 7]], dtype: 'int32' },
  { equation: 'ji', shapes: [[5, 7]], tfjs: { equation: 'ji->ij' }, dtype: 'int32' },
];

function foldedEinsum(equation: string, data: (Float32Array | Int32Array)[], shapes: number[][]): { shape: number[] | null; values: number[] } {
  const g = new GraphDefBuilder();
  const names = data.map((d, i) => {
    g.constant(`c${i}`, d, shapes[i]!);
    return `c${i}`;
  });
  const dtype = data[0] instanceof Int32Array ? 'int32' : 'float32';
  g.node('y', 'Einsum', names, { equation: attr.s(equation), N: attr.i(names.length), T: attr.type(dtype) });
  const { model } = runSteps(g.encode(), ['select-io', 'legalize', 'fold-constants']);
  expect(model.main.ops).toHaveLength(0);
  const out = model.main.outputs[0]!;
  expect(out.data).not.toBeNull();
  return { shape: out.shape, values: Array.from(constValues(out.data!, out.dtype!) as ArrayLike<number>) };
}

describe('conformance with tf.einsum', () => {
  test.each(CONFORMANCE.map((c) => ({ ...c, name: `${c.equation} ${c.shapes.map((s) => `[${s}]`).join(' × ')}${c.dtype === 'int32' ? ' int32' : ''}` })))(
    '$name',
    ({ equation, shapes, tfjs, dtype = 'float32' }) => {
      const random = mulberry32(11);
      const data = shapes.map((s) => {
        const n = s.reduce((a, b) => a * b, 1);
        return dtype === 'int32' ? Int32Array.from({ length: n }, () => Math.floor(random() * 11) - 5) : Float32Array.from({ length: n }, () => random() * 2 - 1);
      });
      const ours = foldedEinsum(equation, data, shapes);
      const ref = tf.tidy(() => {
        const operands = data.map((d, i) => {
          const t = tf.tensor(d, shapes[i]!, dtype);
          const to = tfjs?.broadcast?.[i];
          return to === undefined ? t : tf.broadcastTo(t, to);
        });
        const r = tf.einsum(tfjs?.equation ?? equation, ...operands);
        return { shape: r.shape, values: Array.from(r.dataSync()) };
      });
      expect(ours.shape).toEqual(ref.shape);
      if (dtype === 'int32') {
        expect(ours.values).toEqual(ref.values);
        return;
      }
      const scale = Math.max(...ref.values.map(Math.abs), 1e-30);
      const err = Math.max(...ours.values.map((v, i) => Math.abs(v - ref.values[i]!)));
      expect(err / scale).toBeLessThanOrEqual(1e-5);
    },
  );
});

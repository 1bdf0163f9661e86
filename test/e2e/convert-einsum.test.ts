/**
 * Einsum end to end: small GraphDefs with one Einsum node go through our converter, the .tflite
 * runs in LiteRT.js and is compared with tfjs executing the GraphDef. tfjs's Einsum needs an
 * explicit '->' and knows no '...', so the implicit and broadcasting cases are compared with an
 * equivalent GraphDef (the explicit equation, or BatchMatMulV2) run by tfjs instead.
 */
import { describe, expect, test } from 'vitest';
import { convertGraphDef } from '../../src/api/convert.js';
import { opTypeName } from '../../src/ir/op.js';
import { constValues } from '../../src/ir/tensor.js';
import { GraphError, ModelFormatError, UnsupportedError } from '../../src/util/errors.js';
import { runTflite, type TypedArray } from '../harness/litert.js';
import { mulberry32 } from '../harness/random-inputs.js';
import { runGraphDef, type GraphInput } from '../harness/tfjs-graphdef.js';
import { relErr } from '../helpers/compare.js';
import { attr, GraphDefBuilder } from '../helpers/graphdef-builder.js';
import { opHistogram } from '../helpers/tfl-ops.js';

type Dtype = 'float32' | 'int32';

function einsumNode(g: GraphDefBuilder, name: string, equation: string, inputs: string[], dtype: Dtype = 'float32'): GraphDefBuilder {
  return g.node(name, 'Einsum', inputs, { equation: attr.s(equation), N: attr.i(inputs.length), T: attr.type(dtype) });
}

interface Case {
  equation: string;
  shapes: number[][];
  ops: Record<string, number>;
  outShape: number[];
  dtype?: Dtype;
  /** The second operand is a Const (weights) instead of a placeholder. */
  constWeights?: boolean;
  /**
   * Builds the equivalent node 'y' from x and w that tfjs runs instead, where its Einsum cannot
   * run the equation itself (implicit output, '...', or labels summed out of one operand).
   */
  reference?: (g: GraphDefBuilder) => void;
}

/** tfjs's Einsum and BatchMatMul do not broadcast batch dims: BroadcastTo first, then explicit labels. */
const broadcastThen = (equation: string, xShape: number[], wShape: number[]) => (g: GraphDefBuilder) => {
  g.constant('xs', Int32Array.from(xShape), [xShape.length]).constant('ws', Int32Array.from(wShape), [wShape.length]);
  g.node('xb', 'BroadcastTo', ['x', 'xs'], { T: attr.type('float32'), Tidx: attr.type('int32') });
  g.node('wb', 'BroadcastTo', ['w', 'ws'], { T: attr.type('float32'), Tidx: attr.type('int32') });
  einsumNode(g, 'y', equation, ['xb', 'wb']);
};

/** Sums x and w over `axes` first (tfjs's Einsum mishandles labels only one operand has). */
const sumThen = (equation: string, xAxis: number | null, wAxis: number | null) => (g: GraphDefBuilder) => {
  const summed = (name: string, axis: number | null) => {
    if (axis === null) return name;
    g.constant(`${name}_axis`, Int32Array.of(axis), []);
    g.node(`${name}_sum`, 'Sum', [name, `${name}_axis`], { T: attr.type('float32'), Tidx: attr.type('int32'), keep_dims: attr.b(false) });
    return `${name}_sum`;
  };
  einsumNode(g, 'y', equation, [summed('x', xAxis), summed('w', wAxis)]);
};

const explicit = (equation: string) => (g: GraphDefBuilder) => einsumNode(g, 'y', equation, ['x', 'w']);

const MM = { BATCH_MATMUL: 1 };

const CASES: Case[] = [
  { equation: 'ij,jk->ik', shapes: [[3, 5], [5, 7]], ops: MM, outShape: [3, 7] },
  { equation: 'bij,bjk->bik', shapes: [[3, 5, 7], [3, 7, 9]], ops: MM, outShape: [3, 5, 9] },
  // Attention scores: the keys' [.., k, d] layout is BATCH_MATMUL's adj_y, no transpose.
  { equation: 'bhqd,bhkd->bhqk', shapes: [[3, 5, 7, 9], [3, 5, 11, 9]], ops: MM, outShape: [3, 5, 7, 11] },
  { equation: 'bqhd,bkhd->bhqk', shapes: [[3, 7, 5, 9], [3, 11, 5, 9]], ops: { TRANSPOSE: 2, BATCH_MATMUL: 1 }, outShape: [3, 5, 7, 11] },
  // Attention output: probabilities [b,h,q,k] × values [b,k,h,d] → [b,q,h,d].
  { equation: 'bhqk,bkhd->bqhd', shapes: [[3, 5, 7, 11], [3, 11, 5, 9]], ops: { TRANSPOSE: 2, BATCH_MATMUL: 1 }, outShape: [3, 7, 5, 9] },
  { equation: 'abc,cd->abd', shapes: [[3, 5, 7], [7, 9]], ops: { RESHAPE: 2, BATCH_MATMUL: 1 }, outShape: [3, 5, 9] },
  { equation: 'abc,cd->abd', shapes: [[3, 5, 7], [7, 9]], ops: { RESHAPE: 2, BATCH_MATMUL: 1 }, outShape: [3, 5, 9], constWeights: true },
  // A Dense layer on [batch, seq, features] with the kernel split by heads (Keras EinsumDense).
  { equation: 'bsd,dhe->bshe', shapes: [[3, 5, 7], [7, 3, 9]], ops: { RESHAPE: 2, BATCH_MATMUL: 1 }, outShape: [3, 5, 3, 9], constWeights: true },
  { equation: 'ab,b->a', shapes: [[5, 7], [7]], ops: { RESHAPE: 2, BATCH_MATMUL: 1 }, outShape: [5] },
  // A scalar result: BATCH_MATMUL's [1, 1] squeezed.
  { equation: 'i,i->', shapes: [[7], [7]], ops: { RESHAPE: 2, BATCH_MATMUL: 1, SQUEEZE: 1 }, outShape: [] },
  { equation: 'i,j->ij', shapes: [[5], [7]], ops: { RESHAPE: 2, BATCH_MATMUL: 1 }, outShape: [5, 7] },
  { equation: 'ij,ji->', shapes: [[3, 5], [5, 3]], ops: { TRANSPOSE: 1, RESHAPE: 2, BATCH_MATMUL: 1, SQUEEZE: 1 }, outShape: [] },
  { equation: 'ijk,jil->kl', shapes: [[3, 5, 7], [5, 3, 9]], ops: { TRANSPOSE: 1, RESHAPE: 2, BATCH_MATMUL: 1 }, outShape: [7, 9] },
  { equation: 'ij,jk->ki', shapes: [[3, 5], [5, 7]], ops: MM, outShape: [7, 3] },
  // Labels only one operand has are summed first.
  { equation: 'ij,jk->k', shapes: [[3, 5], [5, 7]], ops: { SUM: 1, RESHAPE: 2, BATCH_MATMUL: 1 }, outShape: [7], reference: sumThen('j,jk->k', 0, null) },
  { equation: 'ik,jl->ij', shapes: [[3, 5], [7, 9]], ops: { SUM: 2, RESHAPE: 2, BATCH_MATMUL: 1 }, outShape: [3, 7], reference: sumThen('i,j->ij', 1, 1) },
  // Five batch dims: those that broadcast alike merge, so BATCH_MATMUL sees three.
  { equation: 'abcdeij,abcdejk->abcdeik', shapes: [[3, 3, 1, 3, 3, 5, 3], [3, 3, 1, 3, 3, 3, 5]], ops: { RESHAPE: 3, BATCH_MATMUL: 1 }, outShape: [3, 3, 1, 3, 3, 5, 5] },
  // Broadcast batch dims ('...' of [3, 1] against [9]) stay apart: BATCH_MATMUL broadcasts them.
  { equation: '...ij,...jk->...ik', shapes: [[3, 1, 5, 7], [9, 7, 11]], ops: MM, outShape: [3, 9, 5, 11], reference: broadcastThen('abij,abjk->abik', [3, 9, 5, 7], [3, 9, 7, 11]) },
  { equation: '...ij,...jk->...ik', shapes: [[2, 1, 3, 4], [5, 4, 6]], ops: MM, outShape: [2, 5, 3, 6], reference: broadcastThen('abij,abjk->abik', [2, 5, 3, 4], [2, 5, 4, 6]) },
  { equation: '...ij,jk->...ik', shapes: [[3, 5, 7, 9], [9, 11]], ops: MM, outShape: [3, 5, 7, 11], reference: broadcastThen('abij,abjk->abik', [3, 5, 7, 9], [3, 5, 9, 11]) },
  { equation: 'b...i,i...->...b', shapes: [[3, 5, 7], [7, 5]], ops: { TRANSPOSE: 2, RESHAPE: 2, BATCH_MATMUL: 1 }, outShape: [5, 3], reference: explicit('bni,in->nb') },
  { equation: 'ij,jk', shapes: [[3, 5], [5, 7]], ops: MM, outShape: [3, 7], reference: explicit('ij,jk->ik') },
  { equation: 'ba,ac', shapes: [[3, 5], [5, 7]], ops: MM, outShape: [3, 7], reference: explicit('ba,ac->bc') },
  { equation: 'ij,jk', shapes: [[3, 5], [5, 7]], ops: MM, outShape: [3, 7], reference: explicit('ij,jk->ik'), constWeights: true },
  { equation: 'ij->ji', shapes: [[5, 7]], ops: { TRANSPOSE: 1 }, outShape: [7, 5] },
  { equation: 'ij->i', shapes: [[5, 7]], ops: { SUM: 1 }, outShape: [5] },
  { equation: 'ij->', shapes: [[5, 7]], ops: { SUM: 1 }, outShape: [] },
  { equation: 'ijk->kj', shapes: [[3, 5, 7]], ops: { SUM: 1, TRANSPOSE: 1 }, outShape: [7, 5] },
  { equation: 'ij->j', shapes: [[5, 7]], ops: { SUM: 1 }, outShape: [7], dtype: 'int32' },
  { equation: 'ijk->kij', shapes: [[3, 5, 7]], ops: { TRANSPOSE: 1 }, outShape: [7, 3, 5], dtype: 'int32' },
];

function randomData(dtype: Dtype, shape: number[], random: () => number): Float32Array | Int32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  if (dtype === 'int32') return Int32Array.from({ length: n }, () => Math.floor(random() * 21) - 10);
  return Float32Array.from({ length: n }, () => random() * 4 - 2);
}

const NAMES = ['x', 'w'];

describe('Einsum matches tfjs', () => {
  test.each(CASES.map((c) => ({ ...c, name: `${c.equation} ${c.shapes.map((s) => `[${s}]`).join(' × ')}${c.constWeights ? ' (const)' : ''}${c.dtype === 'int32' ? ' int32' : ''}` })))(
    '$name',
    async ({ equation, shapes, ops, outShape, dtype = 'float32', constWeights, reference }) => {
      const random = mulberry32(17);
      const data = shapes.map((s) => randomData(dtype, s, random));
      const build = (node: (g: GraphDefBuilder) => void) => {
        const g = new GraphDefBuilder();
        shapes.forEach((s, i) => {
          if (constWeights && i === 1) g.constant(NAMES[i]!, data[i]!, s);
          else g.placeholder(NAMES[i]!, s, dtype);
        });
        node(g);
        return g.encode();
      };
      const pb = build((g) => einsumNode(g, 'y', equation, NAMES.slice(0, shapes.length), dtype));
      const { tflite } = convertGraphDef(pb, 'einsum.pb');
      expect(opHistogram(tflite)).toEqual(ops);

      const placeholders = shapes.map((_, i) => i).filter((i) => !(constWeights && i === 1));
      const ours = (await runTflite(tflite, placeholders.map((i) => data[i]! as TypedArray))).outputs[0]!;
      const refPb = reference === undefined ? pb : build(reference);
      const feeds = Object.fromEntries(placeholders.map((i): [string, GraphInput] => [NAMES[i]!, { dtype, shape: shapes[i]!, data: data[i]! }]));
      const [ref] = await runGraphDef(refPb, feeds, ['y']);
      expect(ours.shape).toEqual(outShape);
      expect(ref!.shape).toEqual(outShape);
      if (dtype === 'int32') expect(Array.from(ours.data as Int32Array)).toEqual(Array.from(ref!.data));
      else expect(relErr(ours.data, ref!.data)).toBeLessThanOrEqual(1e-4);
    },
  );
});

describe('constant folding', () => {
  test('an Einsum of constants folds to a constant equal to tfjs', async () => {
    const random = mulberry32(3);
    const a = randomData('float32', [3, 5, 7], random);
    const b = randomData('float32', [3, 9, 7], random);
    const g = new GraphDefBuilder().constant('a', a, [3, 5, 7]).constant('b', b, [3, 9, 7]);
    const pb = einsumNode(g, 'y', 'bij,bkj->bki', ['a', 'b']).encode();
    const { model } = convertGraphDef(pb, 'const.pb');
    // Folded: all that is left is the RESHAPE materialize-outputs adds so an op writes the output.
    expect(model.main.ops.map((op) => opTypeName(op))).toEqual(['RESHAPE']);
    const folded = model.main.ops[0]!.inputs[0]!;
    expect(folded.shape).toEqual([3, 9, 5]);
    expect(folded.data?.kind).toBe('bytes');
    const values = folded.data?.kind === 'bytes' ? Array.from(constValues(folded.data, 'float32') as Float32Array) : [];
    const [ref] = await runGraphDef(pb, {}, ['y']);
    expect(relErr(values, ref!.data)).toBeLessThanOrEqual(1e-6);
  });

  test('constant weights are transposed once, at conversion', () => {
    const g = new GraphDefBuilder().placeholder('x', [3, 5]).constant('w', new Float32Array(7 * 5), [7, 5]);
    const pb = einsumNode(g, 'y', 'ij,kj->ki', ['x', 'w']).encode();
    // x stays put; the product is computed as w · xᵀ with adj_y: no runtime transpose at all.
    expect(opHistogram(convertGraphDef(pb, 'w.pb').tflite)).toEqual(MM);
  });
});

describe('unknown dims', () => {
  // The pipeline pins an unknown batch dim to 1 and asks for the others, so the reshapes are static
  // here; the planner's handling of unknown dims is covered in test/unit/ops-einsum.test.ts.
  test('a dynamic batch dim, pinned to 1, still matches tfjs', async () => {
    const random = mulberry32(5);
    const w = randomData('float32', [7, 9], random);
    const g = new GraphDefBuilder().placeholder('x', [-1, 5, 7]).constant('w', w, [7, 9]);
    const pb = einsumNode(g, 'y', 'bsd,de->bse', ['x', 'w']).encode();
    const { tflite, model } = convertGraphDef(pb, 'dynamic.pb');
    expect(opHistogram(tflite)).toEqual({ RESHAPE: 2, BATCH_MATMUL: 1 });
    const shapes = model.main.ops.filter((op) => opTypeName(op) === 'RESHAPE').map((op) => Array.from(constValues(op.inputs[1]!.data!, 'int32') as Int32Array));
    expect(shapes).toEqual([[5, 7], [1, 5, 9]]);
    const x = randomData('float32', [1, 5, 7], random);
    const ours = (await runTflite(tflite, [x])).outputs[0]!;
    const [ref] = await runGraphDef(pb, { x: { dtype: 'float32', shape: [1, 5, 7], data: x } }, ['y']);
    expect(ours.shape).toEqual([1, 5, 9]);
    expect(relErr(ours.data, ref!.data)).toBeLessThanOrEqual(1e-4);
  });

  test('with input shapes given, unknown inner dims convert', async () => {
    const random = mulberry32(6);
    const g = new GraphDefBuilder().placeholder('x', [-1, -1, 7]).placeholder('w', [7, 9]);
    const pb = einsumNode(g, 'y', 'bsd,de->bse', ['x', 'w']).encode();
    const { tflite } = convertGraphDef(pb, 'dynamic.pb', { inputShapesByName: { x: [3, 5, 7] } });
    expect(opHistogram(tflite)).toEqual({ RESHAPE: 2, BATCH_MATMUL: 1 });
    const x = randomData('float32', [3, 5, 7], random);
    const w = randomData('float32', [7, 9], random);
    const ours = (await runTflite(tflite, { x, w })).outputs[0]!;
    const feeds = { x: { dtype: 'float32' as const, shape: [3, 5, 7], data: x }, w: { dtype: 'float32' as const, shape: [7, 9], data: w } };
    const [ref] = await runGraphDef(pb, feeds, ['y']);
    expect(ours.shape).toEqual([3, 5, 9]);
    expect(relErr(ours.data, ref!.data)).toBeLessThanOrEqual(1e-4);
  });
});

describe('rejections name the node and the equation', () => {
  const reject = (equation: string, shapes: number[][], error: typeof UnsupportedError | typeof GraphError | typeof ModelFormatError, message: RegExp, dtype: Dtype = 'float32') => {
    const g = new GraphDefBuilder();
    shapes.forEach((s, i) => g.placeholder(NAMES[i]!, s, dtype));
    const pb = einsumNode(g, 'attn/einsum', equation, NAMES.slice(0, shapes.length), dtype).encode();
    expect(() => convertGraphDef(pb, 'bad.pb')).toThrow(error);
    expect(() => convertGraphDef(pb, 'bad.pb')).toThrow(message);
  };

  test('a diagonal (ii->i)', () => reject('ii->i', [[5, 5]], UnsupportedError, /Einsum "attn\/einsum" \(equation "ii->i"\).*label "i" repeats in operand 0/));
  test('a trace (implicit ii)', () => reject('ii', [[5, 5]], UnsupportedError, /Einsum "attn\/einsum" \(equation "ii"\).*trace or diagonal/));
  test('a repeated output label (i->ii)', () => reject('i->ii', [[5]], UnsupportedError, /"attn\/einsum".*repeats in the output/));
  test('an int32 contraction', () => reject('ij,jk->ik', [[3, 5], [5, 7]], UnsupportedError, /"attn\/einsum".*int32/, 'int32'));
  test('contracted dims of different sizes', () => reject('ij,jk->ik', [[3, 5], [4, 7]], GraphError, /"attn\/einsum".*label "j" has size 5 in operand 0 and 4/));
  test('broadcast dims the output drops', () => reject('...ij,...jk->ik', [[2, 3, 4], [2, 4, 5]], ModelFormatError, /"attn\/einsum".*no "\.\.\."/));
});

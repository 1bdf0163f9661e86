/**
 * Reductions, ARG_MAX/ARG_MIN and softmax end to end: GraphDefs (uTensor's real per-op graphs,
 * an MNIST MLP, and small synthetic graphs) go through our converter, the .tflite runs in
 * LiteRT.js, and its outputs are compared with TensorFlow's recorded outputs (uTensor's .idx) or
 * with tfjs executing the same GraphDef. Neither reference is our own kernel.
 */
import { describe, expect, test } from 'vitest';
import { convertGraphDef, type ConversionOptions } from '../../src/api/convert.js';
import { opTypeName } from '../../src/ir/op.js';
import { UnsupportedError } from '../../src/util/errors.js';
import { readIdx } from '../harness/idx.js';
import { runTflite, type TypedArray } from '../harness/litert.js';
import { mulberry32 } from '../harness/random-inputs.js';
import { runGraphDef, type GraphInput, type InputDType } from '../harness/tfjs-graphdef.js';
import { numbers, relErr } from '../helpers/compare.js';
import { readModel } from '../helpers/fixtures.js';
import { attr, GraphDefBuilder } from '../helpers/graphdef-builder.js';
import { opHistogram } from '../helpers/tfl-ops.js';

// ---------------------------------------------------------------------------------------------
// uTensor's per-op graphs: Const x → Max / Min / ArgMax, with TensorFlow's outputs in .idx files.

const UTENSOR: { dir: string; output: string; op: string }[] = [
  ...['max_1', 'max_1_1', 'max_2', 'max_3', 'max_3_1'].map((dir) => ({ dir, output: `max_x${dir.slice(4)}`, op: 'REDUCE_MAX' })),
  ...['min_1', 'min_1_1', 'min_2', 'min_3', 'min_3_1'].map((dir) => ({ dir, output: `min_x${dir.slice(4)}`, op: 'REDUCE_MIN' })),
  { dir: 'argmax', output: 'argmax', op: 'ARG_MAX' },
];

describe('uTensor per-op graphs match TensorFlow', () => {
  test.each(UTENSOR)('$dir', async ({ dir, output, op }) => {
    const base = `utensor_cgen/${dir}`;
    const { tflite } = convertGraphDef(readModel(`${base}/test_${dir}.pb`), `${dir}.pb`, { inputArrays: ['x'] });
    expect(opHistogram(tflite)).toEqual({ [op]: 1 });
    const x = readIdx(readModel(`${base}/x_0.idx`));
    const expected = readIdx(readModel(`${base}/output_${output}.idx`));
    const { outputs } = await runTflite(tflite, [x.data as Float32Array]);
    const out = outputs[0]!;
    // uTensor records a scalar as shape [1].
    expect(out.shape.length === 0 ? [1] : out.shape).toEqual(expected.shape);
    if (op === 'ARG_MAX') {
      expect(out.dtype).toBe('int64'); // TF's default output_type
      expect(numbers(out.data)).toEqual(numbers(expected.data));
    } else {
      expect(relErr(out.data, expected.data)).toBe(0);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// An MNIST MLP: MatMul/Add/Relu ×3 then ArgMax.

describe('deep_mlp/simple_mnist.pb', () => {
  test('gives the same argmax indices as tfjs', async () => {
    const pb = readModel('utensor_cgen/deep_mlp/simple_mnist.pb');
    const { tflite } = convertGraphDef(pb, 'simple_mnist.pb');
    expect(opHistogram(tflite)).toEqual({ FULLY_CONNECTED: 3, ARG_MAX: 1 });
    const random = mulberry32(1234);
    const x = Float32Array.from({ length: 10 * 784 }, () => random());
    const ours = await runTflite(tflite, [x]);
    const [ref] = await runGraphDef(pb, { x: { dtype: 'float32', shape: [10, 784], data: x } }, ['y_pred']);
    expect(ours.outputs[0]!.shape).toEqual([10]);
    expect(numbers(ours.outputs[0]!.data)).toEqual(numbers(ref!.data));
    // Not all one class: the check means something.
    expect(new Set(numbers(ref!.data)).size).toBeGreaterThan(1);
  });
});

// ---------------------------------------------------------------------------------------------
// Synthetic graphs: placeholder x → one op → y.

interface Synthetic {
  name: string;
  build: (g: GraphDefBuilder) => void;
  input: { dtype: InputDType; shape: number[] };
  ops: Record<string, number>;
  outShape: number[];
  /** Integer outputs (and bools) must match exactly. */
  exact?: boolean;
  /** The node compared (default y). */
  output?: string;
}

function reduceGraph(type: string, shape: number[], axes: number[] | number, keepDims: boolean, opts: { dtype?: string; axisDtype?: 'int32' | 'int64' } = {}) {
  const dtype = opts.dtype ?? 'float32';
  return (g: GraphDefBuilder) => {
    g.placeholder('x', shape, dtype);
    const values = typeof axes === 'number' ? [axes] : axes;
    const axisShape = typeof axes === 'number' ? [] : [axes.length];
    if (opts.axisDtype === 'int64') g.constant('axes', BigInt64Array.from(values, BigInt), axisShape);
    else g.constant('axes', Int32Array.from(values), axisShape);
    g.node('y', type, ['x', 'axes'], { T: attr.type(dtype), Tidx: attr.type(opts.axisDtype ?? 'int32'), keep_dims: attr.b(keepDims) });
  };
}

const X = [3, 5, 7];
const TFL: Record<string, string> = { Mean: 'MEAN', Sum: 'SUM', Max: 'REDUCE_MAX', Min: 'REDUCE_MIN', Prod: 'REDUCE_PROD', Any: 'REDUCE_ANY', All: 'REDUCE_ALL' };

const SYNTHETIC: Synthetic[] = [
  ...['Mean', 'Sum', 'Max', 'Min', 'Prod'].flatMap((type): Synthetic[] => [
    { name: `${type} axis 1`, build: reduceGraph(type, X, [1], false), input: { dtype: 'float32', shape: X }, ops: { [TFL[type]!]: 1 }, outShape: [3, 7] },
    { name: `${type} keep_dims axis 1`, build: reduceGraph(type, X, [1], true), input: { dtype: 'float32', shape: X }, ops: { [TFL[type]!]: 1 }, outShape: [3, 1, 7] },
    { name: `${type} negative axes`, build: reduceGraph(type, X, [-1, -3], false), input: { dtype: 'float32', shape: X }, ops: { [TFL[type]!]: 1 }, outShape: [5] },
    { name: `${type} all axes, keep_dims`, build: reduceGraph(type, X, [0, 1, 2], true), input: { dtype: 'float32', shape: X }, ops: { [TFL[type]!]: 1 }, outShape: [1, 1, 1] },
  ]),
  { name: 'Sum all axes to a scalar', build: reduceGraph('Sum', X, [2, 0, 1], false), input: { dtype: 'float32', shape: X }, ops: { SUM: 1 }, outShape: [] },
  { name: 'Mean, int64 reduction_indices', build: reduceGraph('Mean', X, [0, 2], false, { axisDtype: 'int64' }), input: { dtype: 'float32', shape: X }, ops: { MEAN: 1 }, outShape: [5] },
  {
    name: 'Max over an empty axis list is the identity',
    build: (g) => {
      reduceGraph('Max', [3, 5], [], false)(g);
      g.node('z', 'Softmax', ['y'], { T: attr.type('float32') });
    },
    input: { dtype: 'float32', shape: [3, 5] },
    ops: { SOFTMAX: 1 },
    outShape: [3, 5],
    output: 'z',
  },
  { name: 'Max, scalar axis', build: reduceGraph('Max', X, -2, false), input: { dtype: 'float32', shape: X }, ops: { REDUCE_MAX: 1 }, outShape: [3, 7] },
  { name: 'Mean over H and W of NHWC (global pool)', build: reduceGraph('Mean', [1, 5, 7, 3], [1, 2], true), input: { dtype: 'float32', shape: [1, 5, 7, 3] }, ops: { MEAN: 1 }, outShape: [1, 1, 1, 3] },
  { name: 'Sum int32', build: reduceGraph('Sum', X, [1], false, { dtype: 'int32' }), input: { dtype: 'int32', shape: X }, ops: { SUM: 1 }, outShape: [3, 7], exact: true },
  { name: 'Max int32 keep_dims', build: reduceGraph('Max', X, [-1], true, { dtype: 'int32' }), input: { dtype: 'int32', shape: X }, ops: { REDUCE_MAX: 1 }, outShape: [3, 5, 1], exact: true },
  ...['Any', 'All'].flatMap((type): Synthetic[] => [
    { name: `${type} axis 1`, build: reduceGraph(type, X, [1], false, { dtype: 'bool' }), input: { dtype: 'bool', shape: X }, ops: { [TFL[type]!]: 1 }, outShape: [3, 7], exact: true },
    { name: `${type} keep_dims, negative axes`, build: reduceGraph(type, X, [-1, 0], true, { dtype: 'bool' }), input: { dtype: 'bool', shape: X }, ops: { [TFL[type]!]: 1 }, outShape: [1, 5, 1], exact: true },
  ]),
  ...(['ArgMax', 'ArgMin'] as const).flatMap((type): Synthetic[] =>
    [
      { axis: 1, out: 'int64', shape: [3, 7] },
      { axis: -1, out: 'int32', shape: [3, 5] },
      { axis: 0, out: 'int32', shape: [5, 7] },
    ].map(({ axis, out, shape }) => ({
      name: `${type} dimension ${axis} → ${out}`,
      build: (g: GraphDefBuilder) => {
        g.placeholder('x', X);
        g.constant('dim', Int32Array.of(axis), []);
        g.node('y', type, ['x', 'dim'], { T: attr.type('float32'), Tidx: attr.type('int32'), output_type: attr.type(out) });
      },
      input: { dtype: 'float32', shape: X },
      ops: { [type === 'ArgMax' ? 'ARG_MAX' : 'ARG_MIN']: 1 },
      outShape: shape,
      exact: true,
    })),
  ),
  {
    name: 'ArgMax of int32 with an int64 dimension',
    build: (g) => {
      g.placeholder('x', X, 'int32');
      g.constant('dim', BigInt64Array.of(-2n), []);
      g.node('y', 'ArgMax', ['x', 'dim'], { T: attr.type('int32'), Tidx: attr.type('int64'), output_type: attr.type('int32') });
    },
    input: { dtype: 'int32', shape: X },
    ops: { ARG_MAX: 1 },
    outShape: [3, 7],
    exact: true,
  },
  ...([[3, 5], [3, 5, 7, 9], [1, 1, 1, 7]] as number[][]).flatMap((shape): Synthetic[] => [
    {
      name: `Softmax rank ${shape.length} [${shape}]`,
      build: (g) => g.placeholder('x', shape).node('y', 'Softmax', ['x'], { T: attr.type('float32') }),
      input: { dtype: 'float32', shape },
      ops: { SOFTMAX: 1 },
      outShape: shape,
    },
    {
      name: `LogSoftmax rank ${shape.length} [${shape}]`,
      build: (g) => g.placeholder('x', shape).node('y', 'LogSoftmax', ['x'], { T: attr.type('float32') }),
      input: { dtype: 'float32', shape },
      ops: { LOG_SOFTMAX: 1 },
      outShape: shape,
    },
  ]),
];

function randomInput(dtype: InputDType, shape: number[], seed: number): TypedArray {
  const random = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  if (dtype === 'int32') return Int32Array.from({ length: n }, () => Math.floor(random() * 21) - 10);
  // Mostly true, so some rows are all true and All is not trivially false.
  if (dtype === 'bool') return Uint8Array.from({ length: n }, () => +(random() < 0.85));
  return Float32Array.from({ length: n }, () => random() * 4 - 2);
}

describe('synthetic graphs match tfjs', () => {
  test.each(SYNTHETIC)('$name', async ({ build, input, ops, outShape, exact, output }) => {
    const g = new GraphDefBuilder();
    build(g);
    const pb = g.encode();
    const { tflite } = convertGraphDef(pb, 'synthetic.pb');
    expect(opHistogram(tflite)).toEqual(ops);
    const data = randomInput(input.dtype, input.shape, 99);
    const ours = (await runTflite(tflite, [data])).outputs[0]!;
    const feed: GraphInput = { dtype: input.dtype, shape: input.shape, data: data as GraphInput['data'] };
    const [ref] = await runGraphDef(pb, { x: feed }, [output ?? 'y']);
    expect(ours.shape).toEqual(outShape);
    expect(ref!.shape).toEqual(outShape);
    if (exact) expect(numbers(ours.data)).toEqual(numbers(ref!.data));
    else expect(relErr(ours.data, ref!.data)).toBeLessThanOrEqual(1e-4);
  });
});

// ---------------------------------------------------------------------------------------------
// Folding, and what is rejected.

describe('constant folding and rejections', () => {
  test('reductions of constants fold away; the rest still matches tfjs', async () => {
    const g = new GraphDefBuilder();
    const random = mulberry32(5);
    g.constant('c', Float32Array.from({ length: 35 }, () => random() - 0.5), [5, 7]);
    g.constant('axes', Int32Array.of(0), [1]);
    g.node('s', 'Sum', ['c', 'axes'], { T: attr.type('float32'), Tidx: attr.type('int32'), keep_dims: attr.b(true) });
    g.node('m', 'Softmax', ['s'], { T: attr.type('float32') });
    g.placeholder('x', [1, 7]);
    g.node('y', 'Add', ['x', 'm'], { T: attr.type('float32') });
    const pb = g.encode();
    const result = convertGraphDef(pb, 'folded.pb');
    expect(result.opsBefore).toMatchObject({ Sum: 1, Softmax: 1 });
    expect(opHistogram(result.tflite)).toEqual({ ADD: 1 });
    const x = Float32Array.from({ length: 7 }, () => random());
    const ours = (await runTflite(result.tflite, [x])).outputs[0]!;
    const [ref] = await runGraphDef(pb, { x: { dtype: 'float32', shape: [1, 7], data: x } }, ['y']);
    expect(relErr(ours.data, ref!.data)).toBeLessThanOrEqual(1e-6);
  });

  test('ArgMax of a constant folds to a constant output', () => {
    const g = new GraphDefBuilder();
    g.constant('c', Float32Array.of(1, 9, 3, 7, 2, 2), [2, 3]);
    g.constant('dim', Int32Array.of(1), []);
    g.node('y', 'ArgMax', ['c', 'dim'], { T: attr.type('float32'), Tidx: attr.type('int32'), output_type: attr.type('int32') });
    const { model } = convertGraphDef(g.encode(), 'const.pb');
    // Folded: all that is left is the RESHAPE materialize-outputs adds so an op writes the output.
    expect(model.main.ops.map((op) => opTypeName(op))).toEqual(['RESHAPE']);
    const out = model.main.ops[0]!.inputs[0]!;
    expect(out.data).not.toBeNull();
    expect(Array.from(new Int32Array(out.data!.kind === 'bytes' ? out.data.bytes.slice().buffer : new ArrayBuffer(0)))).toEqual([1, 0]);
  });

  const reject = (build: (g: GraphDefBuilder) => void, message: RegExp) => {
    const g = new GraphDefBuilder();
    build(g);
    expect(() => convertGraphDef(g.encode(), 'bad.pb')).toThrow(UnsupportedError);
    expect(() => convertGraphDef(g.encode(), 'bad.pb')).toThrow(message);
  };

  test('ArgMax with an output_type TFLite lacks', () => {
    reject((g) => {
      g.placeholder('x', [3, 5]).constant('dim', Int32Array.of(1), []);
      g.node('am', 'ArgMax', ['x', 'dim'], { T: attr.type('float32'), Tidx: attr.type('int32'), output_type: attr.type('int16') });
    }, /ArgMax "am".*output_type int16/);
  });

  test('a reduction of a dtype TFLite lacks', () => {
    reject((g) => {
      g.placeholder('x', [3, 5], 'float64').constant('axes', Int32Array.of(0), [1]);
      g.node('mean', 'Mean', ['x', 'axes'], { T: attr.type('float64'), Tidx: attr.type('int32'), keep_dims: attr.b(false) });
    }, /Mean "mean".*float64/);
  });

  test('Softmax of a scalar', () => {
    reject((g) => g.placeholder('x', []).node('sm', 'Softmax', ['x'], { T: attr.type('float32') }), /Softmax "sm".*rank/);
  });
});

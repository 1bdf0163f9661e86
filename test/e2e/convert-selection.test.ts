/**
 * PRELU, ADD_N and TOPK_V2 end to end: small GraphDefs (tfjs's Prelu, AddN, TopKV2 / TopK) go
 * through our converter, the .tflite runs in LiteRT.js, and its outputs are compared with tfjs
 * executing the same GraphDef (or, for TF ops tfjs lacks, with values worked out by hand).
 * Neither reference is our own kernel.
 */
import { describe, expect, test } from 'vitest';
import { convertGraphDef, type ConversionOptions } from '../../src/api/convert.js';
import { GraphError, UnsupportedError } from '../../src/util/errors.js';
import { runTflite, type TypedArray } from '../harness/litert.js';
import { mulberry32 } from '../harness/random-inputs.js';
import { runGraphDef, type GraphInput, type InputDType } from '../harness/tfjs-graphdef.js';
import { numbers, relErr } from '../helpers/compare.js';
import { attr, GraphDefBuilder } from '../helpers/graphdef-builder.js';
import { opHistogram } from '../helpers/tfl-ops.js';

function randomData(dtype: InputDType, shape: number[], seed: number): TypedArray & GraphInput['data'] {
  const random = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  // Integers from a small range, so TopK rows have ties.
  if (dtype === 'int32') return Int32Array.from({ length: n }, () => Math.floor(random() * 9) - 4);
  if (dtype === 'int64') return BigInt64Array.from({ length: n }, () => BigInt(Math.floor(random() * 2001) - 1000));
  return Float32Array.from({ length: n }, () => random() * 4 - 2);
}

interface Input {
  name: string;
  dtype: InputDType;
  shape: number[];
}

interface Synthetic {
  name: string;
  build: (g: GraphDefBuilder) => void;
  inputs: Input[];
  ops: Record<string, number>;
  outputs: { name: string; shape: number[] }[];
  /** Integer outputs must match exactly. */
  exact?: boolean;
  /** TopK with sorted=false: tfjs's order is its own, so rows are compared as sets. */
  unordered?: number;
}

const f32 = (name: string, shape: number[]): Input => ({ name, dtype: 'float32', shape });

function prelu(xShape: number[], alphaShape: number[]) {
  return (g: GraphDefBuilder) => {
    const random = mulberry32(3);
    g.placeholder('x', xShape);
    g.constant('alpha', Float32Array.from({ length: alphaShape.reduce((a, b) => a * b, 1) }, () => random()), alphaShape);
    // tfjs's graph models carry no T on Prelu.
    g.node('y', 'Prelu', ['x', 'alpha']);
  };
}

function addN(n: number, shape: number[], dtype = 'float32') {
  return (g: GraphDefBuilder) => {
    const names = Array.from({ length: n }, (_, i) => `x${i}`);
    for (const name of names) g.placeholder(name, shape, dtype);
    g.node('y', 'AddN', names, { T: attr.type(dtype), N: attr.i(n) });
  };
}

function topKV2(shape: number[], k: number, opts: { dtype?: string; sorted?: boolean; kDtype?: 'int32' | 'int64' } = {}) {
  return (g: GraphDefBuilder) => {
    const dtype = opts.dtype ?? 'float32';
    g.placeholder('x', shape, dtype);
    if (opts.kDtype === 'int64') g.constant('k', BigInt64Array.of(BigInt(k)), []);
    else g.constant('k', Int32Array.of(k), []);
    g.node('t', 'TopKV2', ['x', 'k'], { T: attr.type(dtype), sorted: attr.b(opts.sorted ?? true), ...(opts.kDtype === 'int64' ? { Tk: attr.type('int64') } : {}) });
  };
}

const topKOutputs = (shape: number[]) => [
  { name: 't', shape },
  { name: 't:1', shape },
];

const SYNTHETIC: Synthetic[] = [
  { name: 'Prelu, per-channel alpha [3]', build: prelu([2, 5, 7, 3], [3]), inputs: [f32('x', [2, 5, 7, 3])], ops: { PRELU: 1 }, outputs: [{ name: 'y', shape: [2, 5, 7, 3] }] },
  { name: "Prelu, tfjs's alpha [1, 1, 3]", build: prelu([1, 9, 5, 3], [1, 1, 3]), inputs: [f32('x', [1, 9, 5, 3])], ops: { PRELU: 1 }, outputs: [{ name: 'y', shape: [1, 9, 5, 3] }] },
  { name: 'Prelu, alpha per position [5, 7, 3]', build: prelu([2, 5, 7, 3], [5, 7, 3]), inputs: [f32('x', [2, 5, 7, 3])], ops: { PRELU: 1 }, outputs: [{ name: 'y', shape: [2, 5, 7, 3] }] },
  { name: 'Prelu on a matrix, scalar alpha', build: prelu([3, 11], []), inputs: [f32('x', [3, 11])], ops: { PRELU: 1 }, outputs: [{ name: 'y', shape: [3, 11] }] },
  {
    name: 'Prelu, alpha of higher rank [1, 1, 5] widens x [3, 5] to [1, 3, 5]',
    build: prelu([3, 5], [1, 1, 5]),
    inputs: [f32('x', [3, 5])],
    ops: { EXPAND_DIMS: 1, PRELU: 1 },
    outputs: [{ name: 'y', shape: [1, 3, 5] }],
  },
  {
    name: 'Prelu, alpha computed at run time',
    build: (g) => {
      g.placeholder('x', [3, 5, 7]).placeholder('a', [7]);
      g.node('y', 'Prelu', ['x', 'a']);
    },
    inputs: [f32('x', [3, 5, 7]), f32('a', [7])],
    ops: { PRELU: 1 },
    outputs: [{ name: 'y', shape: [3, 5, 7] }],
  },
  { name: 'AddN, 2 float32 inputs', build: addN(2, [3, 5, 7]), inputs: ['x0', 'x1'].map((n) => f32(n, [3, 5, 7])), ops: { ADD_N: 1 }, outputs: [{ name: 'y', shape: [3, 5, 7] }] },
  { name: 'AddN, 5 float32 inputs', build: addN(5, [1, 7, 3, 5]), inputs: ['x0', 'x1', 'x2', 'x3', 'x4'].map((n) => f32(n, [1, 7, 3, 5])), ops: { ADD_N: 1 }, outputs: [{ name: 'y', shape: [1, 7, 3, 5] }] },
  {
    name: 'AddN, 3 int32 inputs',
    build: addN(3, [5, 9], 'int32'),
    inputs: ['x0', 'x1', 'x2'].map((name) => ({ name, dtype: 'int32' as const, shape: [5, 9] })),
    ops: { ADD_N: 1 },
    outputs: [{ name: 'y', shape: [5, 9] }],
    exact: true,
  },
  {
    name: "AddN, 3 int64 inputs: a chain of ADDs (ADD_N has no int64)",
    build: addN(3, [7, 3], 'int64'),
    inputs: ['x0', 'x1', 'x2'].map((name) => ({ name, dtype: 'int64' as const, shape: [7, 3] })),
    ops: { ADD: 2 },
    outputs: [{ name: 'y', shape: [7, 3] }],
    exact: true,
  },
  {
    name: 'AddN of one input is that input',
    build: (g) => {
      addN(1, [3, 5])(g);
      g.node('z', 'Relu', ['y'], { T: attr.type('float32') });
    },
    inputs: [f32('x0', [3, 5])],
    ops: { RELU: 1 },
    outputs: [{ name: 'z', shape: [3, 5] }],
  },
  { name: 'TopKV2 float32 [3, 5, 11], k = 4', build: topKV2([3, 5, 11], 4), inputs: [f32('x', [3, 5, 11])], ops: { TOPK_V2: 1 }, outputs: topKOutputs([3, 5, 4]) },
  { name: 'TopKV2 float32 [13], k = 13', build: topKV2([13], 13), inputs: [f32('x', [13])], ops: { TOPK_V2: 1 }, outputs: topKOutputs([13]) },
  {
    name: 'TopKV2 int32 with ties, k = 5: lower index first',
    build: topKV2([7, 9], 5, { dtype: 'int32' }),
    inputs: [{ name: 'x', dtype: 'int32', shape: [7, 9] }],
    ops: { TOPK_V2: 1 },
    outputs: topKOutputs([7, 5]),
    exact: true,
  },
  { name: 'TopKV2 with an int64 k', build: topKV2([5, 7], 3, { kDtype: 'int64' }), inputs: [f32('x', [5, 7])], ops: { TOPK_V2: 1 }, outputs: topKOutputs([5, 3]) },
  {
    name: 'TopKV2 sorted=false: the same entries (TFLite sorts anyway)',
    build: topKV2([5, 11], 6, { sorted: false }),
    inputs: [f32('x', [5, 11])],
    ops: { TOPK_V2: 1 },
    outputs: topKOutputs([5, 6]),
    unordered: 6,
  },
];

/** Each row's (value, index) pairs, sorted, for comparing results whose order within a row is free. */
function rowSets(values: ArrayLike<number | bigint>, indices: ArrayLike<number | bigint>, k: number): string[] {
  const v = numbers(values);
  const i = numbers(indices);
  const rows: string[] = [];
  for (let r = 0; r < v.length / k; r++) {
    const pairs = Array.from({ length: k }, (_, j) => `${i[r * k + j]}:${v[r * k + j]}`).sort();
    rows.push(pairs.join(' '));
  }
  return rows;
}

describe('synthetic graphs match tfjs', () => {
  test.each(SYNTHETIC)('$name', async ({ build, inputs, ops, outputs, exact, unordered }) => {
    const g = new GraphDefBuilder();
    build(g);
    const pb = g.encode();
    const options: ConversionOptions = { outputArrays: outputs.map((o) => o.name) };
    const { tflite } = convertGraphDef(pb, 'synthetic.pb', options);
    expect(opHistogram(tflite)).toEqual(ops);
    const feeds = inputs.map((input, i) => ({ ...input, data: randomData(input.dtype, input.shape, 50 + i) }));
    const ours = (await runTflite(tflite, feeds.map((f) => f.data))).outputs;
    const ref = await runGraphDef(pb, Object.fromEntries(feeds.map((f) => [f.name, { dtype: f.dtype, shape: f.shape, data: f.data }])), outputs.map((o) => o.name));
    expect(ours).toHaveLength(outputs.length);
    if (unordered !== undefined) {
      expect(rowSets(ours[0]!.data, ours[1]!.data, unordered)).toEqual(rowSets(ref[0]!.data, ref[1]!.data, unordered));
    }
    outputs.forEach((o, i) => {
      expect(ours[i]!.shape).toEqual(o.shape);
      expect(ref[i]!.shape).toEqual(o.shape);
      if (unordered !== undefined) return;
      if (exact || o.name.endsWith(':1')) expect(numbers(ours[i]!.data)).toEqual(numbers(ref[i]!.data));
      else expect(relErr(ours[i]!.data, ref[i]!.data)).toBeLessThanOrEqual(1e-6);
    });
    if (unordered !== undefined) {
      // TFLite's own order: values descending in every row.
      const v = numbers(ours[0]!.data);
      for (let j = 1; j < v.length; j++) if (j % unordered !== 0) expect(v[j]!).toBeLessThanOrEqual(v[j - 1]!);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// TF spellings tfjs does not run.

describe('TopK variants', () => {
  test('TopK (k an attribute) and index_type int64: TOPK_V2, then a CAST of the indices', async () => {
    const g = new GraphDefBuilder();
    g.placeholder('x', [2, 6]);
    g.node('a', 'TopK', ['x'], { T: attr.type('float32'), k: attr.i(2), sorted: attr.b(true) });
    g.constant('k', Int32Array.of(3), []);
    g.node('b', 'TopKV2', ['x', 'k'], { T: attr.type('float32'), sorted: attr.b(true), index_type: attr.type('int64') });
    const { tflite } = convertGraphDef(g.encode(), 'topk.pb', { outputArrays: ['a', 'a:1', 'b', 'b:1'] });
    expect(opHistogram(tflite)).toEqual({ TOPK_V2: 2, CAST: 1 });
    const x = Float32Array.of(0.5, -1, 3, 3, 2, 0, 7, 7, 7, -2, 1, 8);
    const out = (await runTflite(tflite, [x])).outputs;
    expect(out.map((o) => o.dtype)).toEqual(['float32', 'int32', 'float32', 'int64']);
    expect(numbers(out[0]!.data)).toEqual([3, 3, 8, 7]);
    expect(numbers(out[1]!.data)).toEqual([2, 3, 5, 0]);
    expect(numbers(out[2]!.data)).toEqual([3, 3, 2, 8, 7, 7]);
    expect(numbers(out[3]!.data)).toEqual([2, 3, 4, 5, 0, 1]);
  });
});

// ---------------------------------------------------------------------------------------------
// Folding, and what is rejected.

describe('constant folding and rejections', () => {
  test('Prelu, AddN and TopKV2 of constants fold away; the rest matches tfjs', async () => {
    const g = new GraphDefBuilder();
    const random = mulberry32(8);
    const c = (name: string) => g.constant(name, Float32Array.from({ length: 15 }, () => random() * 2 - 1), [3, 5]);
    c('c0');
    c('c1');
    c('c2');
    g.constant('alpha', Float32Array.of(0.1, 0.2, 0.3, 0.4, 0.5), [5]);
    g.node('p', 'Prelu', ['c0', 'alpha']);
    g.node('s', 'AddN', ['p', 'c1', 'c2'], { T: attr.type('float32'), N: attr.i(3) });
    g.constant('k', Int32Array.of(5), []);
    g.node('t', 'TopKV2', ['s', 'k'], { T: attr.type('float32'), sorted: attr.b(true) });
    g.placeholder('x', [3, 5]);
    g.node('y', 'Add', ['x', 't'], { T: attr.type('float32') });
    const pb = g.encode();
    const result = convertGraphDef(pb, 'folded.pb');
    expect(result.opsBefore).toMatchObject({ Prelu: 1, AddN: 1, TopKV2: 1 });
    expect(opHistogram(result.tflite)).toEqual({ ADD: 1 });
    const x = Float32Array.from({ length: 15 }, () => random());
    const ours = (await runTflite(result.tflite, [x])).outputs[0]!;
    const [ref] = await runGraphDef(pb, { x: { dtype: 'float32', shape: [3, 5], data: x } }, ['y']);
    expect(relErr(ours.data, ref!.data)).toBeLessThanOrEqual(1e-6);
  });

  const reject = (build: (g: GraphDefBuilder) => void, error: typeof UnsupportedError | typeof GraphError, message: RegExp) => {
    const g = new GraphDefBuilder();
    build(g);
    expect(() => convertGraphDef(g.encode(), 'bad.pb')).toThrow(error);
    expect(() => convertGraphDef(g.encode(), 'bad.pb')).toThrow(message);
  };

  test('Prelu whose alpha would enlarge the input', () => {
    reject((g) => {
      g.placeholder('x', [3, 1]).constant('alpha', new Float32Array(15), [3, 5]);
      g.node('pr', 'Prelu', ['x', 'alpha']);
    }, UnsupportedError, /Prelu "pr".*enlarge/);
    reject((g) => {
      g.placeholder('x', [3, 5]).constant('alpha', new Float32Array(10), [2, 1, 5]);
      g.node('pr', 'Prelu', ['x', 'alpha']);
    }, UnsupportedError, /Prelu "pr".*enlarge/);
  });

  test('Prelu of rank 5', () => {
    reject((g) => {
      g.placeholder('x', [1, 2, 3, 4, 5]).constant('alpha', new Float32Array(5), [5]);
      g.node('pr', 'Prelu', ['x', 'alpha']);
    }, UnsupportedError, /Prelu "pr".*at most 4 dimensions/);
  });

  test('AddN of float64', () => {
    reject((g) => {
      g.placeholder('a', [3], 'float64').placeholder('b', [3], 'float64');
      g.node('an', 'AddN', ['a', 'b'], { T: attr.type('float64'), N: attr.i(2) });
    }, UnsupportedError, /AddN "an".*float64/);
  });

  test('TopKV2 of float64, and a k beyond the last dimension', () => {
    reject((g) => {
      g.placeholder('x', [3, 5], 'float64').constant('k', Int32Array.of(2), []);
      g.node('tk', 'TopKV2', ['x', 'k'], { T: attr.type('float64') });
    }, UnsupportedError, /TopKV2 "tk".*float64/);
    reject((g) => {
      g.placeholder('x', [3, 5]).constant('k', Int32Array.of(6), []);
      g.node('tk', 'TopKV2', ['x', 'k'], { T: attr.type('float32') });
    }, GraphError, /TopKV2 "tk".*k = 6/);
  });
});

/**
 * Creation, cast, select, resize and space/depth ops end to end: small synthetic GraphDefs go
 * through our converter, the .tflite runs in LiteRT.js, and its outputs are compared with tfjs
 * executing the same GraphDef, or, for what tfjs lacks (SpaceToDepth, NCHW DepthToSpace, TF1's
 * Select with a vector condition, TF1 SpaceToBatch), an equivalent GraphDef built from other TF
 * ops. Neither reference is our own kernel. The op histogram shows which TFLite ops were emitted.
 */
import { describe, expect, test } from 'vitest';
import { AddOptionsT } from '../../generated/tflite/add-options.js';
import { BuiltinOperator } from '../../generated/tflite/builtin-operator.js';
import { BuiltinOptions } from '../../generated/tflite/builtin-options.js';
import { ShapeOptionsT } from '../../generated/tflite/shape-options.js';
import { convertGraphDef } from '../../src/api/convert.js';
import { writeTflite } from '../../src/export/tflite.js';
import { readTflite } from '../../src/import/tflite.js';
import { Graph, Model } from '../../src/ir/graph.js';
import { Tensor } from '../../src/ir/tensor.js';
import { options } from '../../src/ops/op-def.js';
import { REGISTRY } from '../../src/ops/registry.js';
import { Rewriter } from '../../src/ops/rewriter.js';
import { tfliteTypeOf } from '../../src/ops/tflite-schema.js';
import { UnsupportedError } from '../../src/util/errors.js';
import { runTflite, type TypedArray } from '../harness/litert.js';
import { mulberry32 } from '../harness/random-inputs.js';
import { runGraphDef, type GraphInput, type InputDType } from '../harness/tfjs-graphdef.js';
import { numbers, relErr } from '../helpers/compare.js';
import { attr, GraphDefBuilder } from '../helpers/graphdef-builder.js';
import { opHistogram } from '../helpers/tfl-ops.js';

interface Input {
  name: string;
  dtype: InputDType;
  shape: number[];
}

interface Case {
  name: string;
  inputs: Input[];
  ops: Record<string, number>;
  outShape: number[];
  build: (g: GraphDefBuilder) => void;
  /** Integer and bool outputs must match exactly. */
  exact?: boolean;
  /** An equivalent graph for tfjs, where tfjs lacks the op or the attribute. */
  reference?: (g: GraphDefBuilder) => void;
}

const one = (name: string, inputs: Input[], ops: Record<string, number>, outShape: number[], build: Case['build'], more: Partial<Case> = {}): Case => ({
  name,
  inputs,
  ops,
  outShape,
  build,
  ...more,
});
const exact = { exact: true };

const f32 = attr.type('float32');
const i32 = attr.type('int32');

function placeholders(g: GraphDefBuilder, inputs: Input[]): void {
  for (const i of inputs) g.placeholder(i.name, i.shape, i.dtype);
}

function randomInput(dtype: InputDType, shape: number[], seed: number): TypedArray {
  const random = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  if (dtype === 'int32') return Int32Array.from({ length: n }, () => Math.floor(random() * 21) - 10);
  if (dtype === 'bool') return Uint8Array.from({ length: n }, () => +(random() < 0.5));
  // Negative and fractional values, so casts must truncate toward zero.
  return Float32Array.from({ length: n }, () => random() * 10 - 5);
}

const X = (shape: number[], dtype: InputDType = 'float32'): Input[] => [{ name: 'x', dtype, shape }];
/** Select's condition c and operands a, b. */
const CAB = (dtype: InputDType, c: number[], a: number[], b: number[]): Input[] => [
  { name: 'c', dtype: 'bool', shape: c },
  { name: 'a', dtype, shape: a },
  { name: 'b', dtype, shape: b },
];

/** x → one TF op (with extra Const inputs) → y. */
function unary(type: string, attrs: Record<string, Record<string, unknown>>, consts: [string, Int32Array | Float32Array | BigInt64Array, number[]][] = []) {
  return (g: GraphDefBuilder) => {
    for (const [name, values, shape] of consts) g.constant(name, values, shape);
    g.node('y', type, ['x', ...consts.map(([name]) => name)], attrs);
  };
}

// ---------------------------------------------------------------------------------------------
// Shape, Fill, Range, Cast, ZerosLike, OnesLike

/**
 * r = Range(x, -20, -3) for a fed int32 scalar x: a tensor whose length is known only at run time
 * (graph inputs always get static shapes), to keep SHAPE and RANGE from folding.
 */
function fedRange(g: GraphDefBuilder): void {
  g.constant('limit', Int32Array.of(-20), []).constant('delta', Int32Array.of(-3), []);
  g.node('r', 'Range', ['x', 'limit', 'delta'], { Tidx: i32 });
}

/** y = Sum(input): LiteRT.js hands outputs back at their static size, so run-time-sized results are summed. */
function sumOf(g: GraphDefBuilder, input: string, dtype: string): void {
  g.constant('axis', Int32Array.of(0), [1]);
  g.node('y', 'Sum', [input, 'axis'], { T: attr.type(dtype), Tidx: i32, keep_dims: attr.b(false) });
}

const CREATION: Case[] = [
  one('Shape of a static input feeding Reshape folds to a constant (no SHAPE op)', X([3, 5, 7]), { RESHAPE: 2, RELU: 1 }, [3, 5, 7], (g) => {
    g.constant('flat_shape', Int32Array.of(-1), [1]);
    g.node('flat', 'Reshape', ['x', 'flat_shape'], { T: f32, Tshape: i32 });
    g.node('s', 'Shape', ['x'], { T: f32, out_type: i32 });
    g.node('r', 'Reshape', ['flat', 's'], { T: f32, Tshape: i32 });
    g.node('y', 'Relu', ['r'], { T: f32 });
  }),
  ...(['int32', 'int64'] as const).map((outType) =>
    one(`Shape of a run-time-sized tensor stays a SHAPE op, out_type ${outType}`, X([], 'int32'), { RANGE: 1, SHAPE: 1, ADD: 1 }, [1], (g) => {
      fedRange(g);
      g.node('s', 'Shape', ['r'], { T: i32, out_type: attr.type(outType) });
      // LiteRT.js returns garbage for a SHAPE result bound directly to a graph output (SHAPE
      // computes it at Prepare into a persistent tensor), so it goes through an ADD.
      g.constant('zero', outType === 'int32' ? Int32Array.of(0) : BigInt64Array.of(0n), [1]);
      g.node('y', 'Add', ['s', 'zero'], { T: attr.type(outType) });
    }, exact),
  ),
  one('Fill with a constant shape and a fed value', X([]), { FILL: 1 }, [3, 1, 5], (g) => {
    g.constant('dims', Int32Array.of(3, 1, 5), [3]).node('y', 'Fill', ['dims', 'x'], { T: f32, index_type: i32 });
  }),
  one('Fill of int32, shaped like a static input through Shape', [...X([3, 5]), { name: 'v', dtype: 'int32', shape: [] }], { FILL: 1 }, [3, 5], (g) => {
    g.node('s', 'Shape', ['x'], { T: f32, out_type: i32 }).node('y', 'Fill', ['s', 'v'], { T: i32, index_type: i32 });
  }, exact),
  one('Fill of constants folds away', X([3, 5]), { MUL: 1 }, [3, 5], (g) => {
    g.constant('dims', BigInt64Array.of(3n, 5n), [2]).constant('v', Float32Array.of(2.5), []);
    g.node('f', 'Fill', ['dims', 'v'], { T: f32, index_type: attr.type('int64') }).node('y', 'Mul', ['x', 'f'], { T: f32 });
  }),
  ...[
    [10, -3.2, -0.7],
    [-2, 3, 0.45],
  ].map(([start, limit, delta]) => {
    const n = Math.ceil(Math.abs((limit! - start!) / delta!));
    return one(`Range float ${start}..${limit} by ${delta} of constants folds`, X([n]), { ADD: 1 }, [n], (g) => {
      g.constant('start', Float32Array.of(start!), []).constant('limit', Float32Array.of(limit!), []).constant('delta', Float32Array.of(delta!), []);
      g.node('r', 'Range', ['start', 'limit', 'delta'], { Tidx: f32 }).node('y', 'Add', ['x', 'r'], { T: f32 });
    });
  }),
  one('Range int with a negative delta and a fed start stays a RANGE op', X([], 'int32'), { RANGE: 1, SUM: 1 }, [], (g) => {
    fedRange(g);
    sumOf(g, 'r', 'int32');
  }, exact),
  one('Range float with a negative delta and a fed limit', X([]), { RANGE: 1, SUM: 1 }, [], (g) => {
    g.constant('start', Float32Array.of(7.5), []).constant('delta', Float32Array.of(-0.35), []);
    g.node('r', 'Range', ['start', 'x', 'delta'], { Tidx: f32 });
    sumOf(g, 'r', 'float32');
  }),
  ...(
    [
      ['float32', 'int32'],
      ['float32', 'bool'],
      ['int32', 'float32'],
      ['int32', 'bool'],
      ['bool', 'float32'],
      ['bool', 'int32'],
    ] as const
  ).map(([from, to]) =>
    one(`Cast ${from} → ${to}${from === 'float32' ? ' (negative fractions)' : ''}`, X([3, 5, 7], from), { CAST: 1 }, [3, 5, 7], unary('Cast', { SrcT: attr.type(from), DstT: attr.type(to), Truncate: attr.b(false) }), exact),
  ),
  one('ZerosLike float32', X([3, 5]), { ZEROS_LIKE: 1 }, [3, 5], unary('ZerosLike', { T: f32 }), exact),
  one('ZerosLike int32', X([3, 5], 'int32'), { ZEROS_LIKE: 1 }, [3, 5], unary('ZerosLike', { T: i32 }), exact),
  one('ZerosLike bool becomes a folded FILL', X([3, 5], 'bool'), { LOGICAL_OR: 1 }, [3, 5], (g) => {
    g.node('z', 'ZerosLike', ['x'], { T: attr.type('bool') }).node('y', 'LogicalOr', ['x', 'z']);
  }, exact),
  one('OnesLike of a static input folds to a constant', X([3, 5, 7]), { SUB: 1 }, [3, 5, 7], (g) => {
    g.node('o', 'OnesLike', ['x'], { T: f32 }).node('y', 'Sub', ['x', 'o'], { T: f32 });
  }),
  one('OnesLike of a run-time-sized tensor is SHAPE + FILL', X([], 'int32'), { RANGE: 1, SHAPE: 1, FILL: 1, ADD: 1, SUM: 1 }, [], (g) => {
    fedRange(g);
    g.node('o', 'OnesLike', ['r'], { T: i32 }).node('s', 'Add', ['r', 'o'], { T: i32 });
    sumOf(g, 's', 'int32');
  }, exact),
];

// ---------------------------------------------------------------------------------------------
// Select, SelectV2

const select = (type: string, dtype = f32) => (g: GraphDefBuilder) => g.node('y', type, ['c', 'a', 'b'], { T: dtype });

const SELECT: Case[] = [
  one('SelectV2 broadcasting condition, x and y', CAB('float32', [3, 1, 7], [1, 5, 1], [5, 7]), { SELECT_V2: 1 }, [3, 5, 7], select('SelectV2')),
  one('SelectV2 with a scalar condition on int32', CAB('int32', [], [3, 5], [3, 5]), { SELECT_V2: 1 }, [3, 5], select('SelectV2', i32), exact),
  one('Select elementwise', CAB('float32', [3, 5, 7], [3, 5, 7], [3, 5, 7]), { SELECT: 1 }, [3, 5, 7], select('Select')),
  one('Select (TF1) with a vector condition picks rows', CAB('float32', [5], [5, 3, 7], [5, 3, 7]), { SELECT: 1 }, [5, 3, 7], select('Select'), {
    reference: (g) => {
      g.constant('rows', Int32Array.of(5, 1, 1), [3]);
      g.node('c3', 'Reshape', ['c', 'rows'], { T: attr.type('bool'), Tshape: i32 }).node('y', 'SelectV2', ['c3', 'a', 'b'], { T: f32 });
    },
  }),
];

// ---------------------------------------------------------------------------------------------
// SpaceToDepth, DepthToSpace, SpaceToBatchND, BatchToSpaceND

/** SpaceToDepth in NHWC as Reshape → Transpose → Reshape, for tfjs. */
function spaceToDepthReference(shape: number[], bs: number, input = 'x', output = 'y') {
  const [b, h, w, c] = shape as [number, number, number, number];
  return (g: GraphDefBuilder) => {
    g.constant(`${output}/s1`, Int32Array.of(b, h / bs, bs, w / bs, bs, c), [6]);
    g.constant(`${output}/perm`, Int32Array.of(0, 1, 3, 2, 4, 5), [6]);
    g.constant(`${output}/s2`, Int32Array.of(b, h / bs, w / bs, bs * bs * c), [4]);
    g.node(`${output}/r1`, 'Reshape', [input, `${output}/s1`], { T: f32, Tshape: i32 });
    g.node(`${output}/t`, 'Transpose', [`${output}/r1`, `${output}/perm`], { T: f32, Tperm: i32 });
    g.node(output, 'Reshape', [`${output}/t`, `${output}/s2`], { T: f32, Tshape: i32 });
  };
}

function transposeNode(g: GraphDefBuilder, name: string, input: string, perm: number[]): void {
  g.constant(`${name}/perm`, Int32Array.from(perm), [4]);
  g.node(name, 'Transpose', [input, `${name}/perm`], { T: f32, Tperm: i32 });
}

const depthAttrs = (bs: number, format: string) => ({ T: f32, block_size: attr.i(bs), data_format: attr.s(format) });
const toBatch = (block: number[], pads: number[]) =>
  unary('SpaceToBatchND', { T: f32, Tblock_shape: i32, Tpaddings: i32 }, [
    ['block', Int32Array.from(block), [block.length]],
    ['pads', Int32Array.from(pads), [block.length, 2]],
  ]);
const toSpace = (block: number[], crops: number[]) =>
  unary('BatchToSpaceND', { T: f32, Tblock_shape: i32, Tcrops: i32 }, [
    ['block', Int32Array.from(block), [block.length]],
    ['crops', Int32Array.from(crops), [block.length, 2]],
  ]);

const SPACE: Case[] = [
  ...([
    [2, [1, 6, 10, 3]],
    [3, [2, 9, 6, 5]],
  ] as [number, [number, number, number, number]][]).flatMap(([bs, shape]) => {
    const [b, h, w, c] = shape;
    const deep = [b, h / bs, w / bs, c * bs * bs];
    return [
      one(`SpaceToDepth block ${bs} of [${shape}]`, X(shape), { SPACE_TO_DEPTH: 1 }, deep, unary('SpaceToDepth', depthAttrs(bs, 'NHWC')), { reference: spaceToDepthReference(shape, bs) }),
      one(`DepthToSpace block ${bs} inverts it`, X(deep), { DEPTH_TO_SPACE: 1 }, shape, unary('DepthToSpace', depthAttrs(bs, 'NHWC'))),
    ];
  }),
  one('SpaceToDepth NCHW goes through transposes', X([2, 3, 4, 6]), { TRANSPOSE: 2, SPACE_TO_DEPTH: 1 }, [2, 12, 2, 3], unary('SpaceToDepth', depthAttrs(2, 'NCHW')), {
    reference: (g) => {
      transposeNode(g, 'nhwc', 'x', [0, 2, 3, 1]);
      spaceToDepthReference([2, 4, 6, 3], 2, 'nhwc', 's2d')(g);
      transposeNode(g, 'y', 's2d', [0, 3, 1, 2]);
    },
  }),
  one('DepthToSpace NCHW goes through transposes', X([1, 18, 3, 5]), { TRANSPOSE: 2, DEPTH_TO_SPACE: 1 }, [1, 2, 9, 15], unary('DepthToSpace', depthAttrs(3, 'NCHW')), {
    reference: (g) => {
      transposeNode(g, 'nhwc', 'x', [0, 2, 3, 1]);
      g.node('d2s', 'DepthToSpace', ['nhwc'], depthAttrs(3, 'NHWC'));
      transposeNode(g, 'y', 'd2s', [0, 3, 1, 2]);
    },
  }),
  one('SpaceToBatchND 4-D, two spatial dims, paddings', X([3, 5, 7, 3]), { SPACE_TO_BATCH_ND: 1 }, [18, 3, 3, 3], toBatch([2, 3], [1, 0, 2, 0])),
  one('SpaceToBatchND 3-D, one spatial dim', X([3, 7, 5]), { SPACE_TO_BATCH_ND: 1 }, [9, 3, 5], toBatch([3], [1, 1])),
  one('SpaceToBatchND 4-D with one spatial dim reshapes to 3-D around the op', X([2, 5, 3, 4]), { RESHAPE: 2, SPACE_TO_BATCH_ND: 1 }, [4, 3, 3, 4], toBatch([2], [0, 1])),
  one('BatchToSpaceND 4-D with crops', X([18, 3, 3, 3]), { BATCH_TO_SPACE_ND: 1 }, [3, 5, 7, 3], toSpace([2, 3], [1, 0, 2, 0])),
  one('BatchToSpaceND 5-D, two spatial dims, reshapes to 4-D around the op', X([12, 2, 3, 3, 2]), { RESHAPE: 2, BATCH_TO_SPACE_ND: 1 }, [2, 3, 7, 3, 2], toSpace([2, 3], [0, 1, 1, 1])),
  one('TF1 SpaceToBatch (block_size attribute)', X([1, 4, 6, 3]), { SPACE_TO_BATCH_ND: 1 }, [4, 2, 4, 3], (g) => {
    g.constant('pads', Int32Array.of(0, 0, 1, 1), [2, 2]).node('y', 'SpaceToBatch', ['x', 'pads'], { T: f32, Tpaddings: i32, block_size: attr.i(2) });
  }, { reference: toBatch([2, 2], [0, 0, 1, 1]) }),
];

// ---------------------------------------------------------------------------------------------
// ResizeBilinear, ResizeNearestNeighbor: up and down by non-integer factors, and to one pixel.

const resize = (type: string, align: boolean, half: boolean, size: number[], T = f32) =>
  unary(type, { T, align_corners: attr.b(align), half_pixel_centers: attr.b(half) }, [['size', Int32Array.from(size), [2]]]);

const RESIZE: Case[] = [
  ...(['ResizeBilinear', 'ResizeNearestNeighbor'] as const).flatMap((type) =>
    [
      [false, false],
      [true, false],
      [false, true],
    ].flatMap(([align, half]) =>
      (
        [
          [[1, 5, 7, 3], [8, 11]],
          [[2, 9, 13, 2], [4, 6]],
          [[1, 4, 6, 1], [1, 1]],
        ] as [number[], number[]][]
      ).map(([shape, size]) => {
        const tfl = type === 'ResizeBilinear' ? 'RESIZE_BILINEAR' : 'RESIZE_NEAREST_NEIGHBOR';
        const name = `${type} align_corners=${align} half_pixel_centers=${half} [${shape}] → ${size}`;
        return one(name, X(shape), { [tfl]: 1 }, [shape[0]!, ...size, shape[3]!], resize(type, align!, half!, size), { exact: type === 'ResizeNearestNeighbor' });
      }),
    ),
  ),
  one('ResizeBilinear of int32 casts to float first (TF outputs float)', X([1, 5, 7, 2], 'int32'), { CAST: 1, RESIZE_BILINEAR: 1 }, [1, 7, 4, 2], resize('ResizeBilinear', false, true, [7, 4], i32)),
];

// ---------------------------------------------------------------------------------------------

describe.each([
  ['creation and cast', CREATION],
  ['select', SELECT],
  ['space, depth and batch', SPACE],
  ['resize', RESIZE],
])('%s graphs match tfjs', (_group, cases) => {
  test.each(cases)('$name', async ({ inputs, build, ops, outShape, exact, reference }) => {
    const g = new GraphDefBuilder();
    placeholders(g, inputs);
    build(g);
    const pb = g.encode();
    const { tflite } = convertGraphDef(pb, 'synthetic.pb');
    expect(opHistogram(tflite)).toEqual(ops);
    const data = inputs.map((input, i) => randomInput(input.dtype, input.shape, 17 + i));
    // Inputs the outputs do not need (a Shape of a static input) are dropped from the model.
    const used = new Set(readTflite(tflite).main.inputs.map((t) => t.name));
    const fed = inputs.flatMap((input, i) => (used.has(input.name) ? [[input.name, data[i]!] as const] : []));
    const ours = (await runTflite(tflite, Object.fromEntries(fed))).outputs[0]!;
    let refPb = pb;
    if (reference !== undefined) {
      const r = new GraphDefBuilder();
      placeholders(r, inputs);
      reference(r);
      refPb = r.encode();
    }
    const feeds = Object.fromEntries(inputs.map((input, i): [string, GraphInput] => [input.name, { dtype: input.dtype, shape: input.shape, data: data[i] as GraphInput['data'] }]));
    const [ref] = await runGraphDef(refPb, feeds, ['y']);
    expect(ours.shape).toEqual(outShape);
    expect(ref!.shape).toEqual(outShape);
    if (exact) expect(numbers(ours.data)).toEqual(numbers(ref!.data));
    else expect(relErr(ours.data, ref!.data)).toBeLessThanOrEqual(1e-4);
  });
});

// ---------------------------------------------------------------------------------------------
// Folding and rejections.

describe('constant folding and rejections', () => {
  test('a resize of a constant image folds into a constant', () => {
    const g = new GraphDefBuilder();
    g.constant('img', Float32Array.from({ length: 35 }, (_, i) => i), [1, 5, 7, 1]);
    g.constant('size', Int32Array.of(3, 4), [2]);
    g.node('y', 'ResizeBilinear', ['img', 'size'], { T: f32, align_corners: attr.b(true), half_pixel_centers: attr.b(false) });
    const { model, tflite } = convertGraphDef(g.encode(), 'const.pb');
    // At most a copy of the constant into the output remains.
    expect(opHistogram(tflite).RESIZE_BILINEAR).toBeUndefined();
    for (const op of model.main.ops) for (const t of op.inputs) expect(t?.data).not.toBeNull();
    expect(model.main.outputs[0]!.shape).toEqual([1, 3, 4, 1]);
  });

  const reject = (inputs: Input[], build: (g: GraphDefBuilder) => void, message: RegExp) => {
    const g = new GraphDefBuilder();
    placeholders(g, inputs);
    build(g);
    const convert = () => convertGraphDef(g.encode(), 'bad.pb');
    expect(convert).toThrow(UnsupportedError);
    expect(convert).toThrow(message);
  };

  test('ResizeBilinear with align_corners and half_pixel_centers, naming the node', () => {
    reject(X([1, 3, 3, 1]), resize('ResizeBilinear', true, true, [4, 4]), /ResizeBilinear "y": align_corners and half_pixel_centers/);
  });

  test('ResizeNearestNeighbor of int32', () => {
    reject(X([1, 3, 3, 1], 'int32'), resize('ResizeNearestNeighbor', false, false, [4, 4], i32), /ResizeNearestNeighbor "y": TFLite's RESIZE_NEAREST_NEIGHBOR does not take int32/);
  });

  test('DepthToSpace NCHW_VECT_C', () => {
    reject(X([1, 2, 2, 4]), unary('DepthToSpace', depthAttrs(2, 'NCHW_VECT_C')), /node "y" \(DepthToSpace\) has data_format NCHW_VECT_C; only NHWC and NCHW/);
  });

  test('Cast with Truncate from float64 to float32', () => {
    reject(X([3], 'float64'), unary('Cast', { SrcT: attr.type('float64'), DstT: f32, Truncate: attr.b(true) }), /Cast "y": Truncate=true from float64 to float32/);
  });

  test('SpaceToBatchND with three spatial dims', () => {
    reject(X([1, 2, 2, 2, 1]), toBatch([2, 2, 2], [0, 0, 0, 0, 0, 0]), /SpaceToBatchND "y": TFLite needs 1 or 2 spatial dims/);
  });
});

// ---------------------------------------------------------------------------------------------
// SHAPE as the rules emit it. Graph inputs always get static shapes, so a TF Shape of one folds;
// SHAPE survives only on run-time-sized tensors.

describe('SHAPE', () => {
  test.each(['int32', 'int64'] as const)('runs in LiteRT on a static graph input, out_type %s', async (outType) => {
    const model = new Model('graphdef');
    const graph = new Graph('main');
    model.graphs.push(graph);
    const x = graph.addTensor(new Tensor('x', 'float32', [3, 5, 7]));
    graph.inputs = [x];
    const rw = new Rewriter(graph, REGISTRY);
    const shape = rw.tfl1(BuiltinOperator.SHAPE, [x], options(BuiltinOptions.ShapeOptions, new ShapeOptionsT(tfliteTypeOf(outType))), 'shape');
    // Through an ADD: LiteRT.js does not copy a SHAPE result bound directly to a graph output.
    const zero = rw.constant('zero', outType, [1], outType === 'int32' ? Int32Array.of(0) : BigInt64Array.of(0n));
    const y = rw.tfl1(BuiltinOperator.ADD, [shape, zero], options(BuiltinOptions.AddOptions, new AddOptionsT()), 'y');
    graph.ops.push(...rw.take());
    graph.outputs = [y];
    const out = (await runTflite(writeTflite(model), [new Float32Array(105)])).outputs[0]!;
    expect(out.dtype).toBe(outType);
    expect(numbers(out.data)).toEqual([3, 5, 7]);
  });
});

/**
 * Full-integer quantization of the ops beyond the core set, one small built graph per op: the op
 * must come out int8 in the written file, with the int8 version op_version.cc gives it and the
 * parameters its trait asks for (the spec's fixed LOG_SOFTMAX output; same-scale ops keeping
 * their input's parameters; PACK/MAXIMUM/MINIMUM bringing every operand to the output's), and the
 * model must run in LiteRT.js within SQNR ≥ 25 dB of the float model on the calibration
 * distribution.
 */
import { describe, expect, test } from 'vitest';
import { BuiltinOperator } from '../../generated/tflite/builtin-operator.js';
import { convertGraphDef } from '../../src/api/convert.js';
import { convertGraphDefInt8 } from '../../src/api/quantize-int8.js';
import { readTflite } from '../../src/import/tflite.js';
import { builtinName, type TflOp } from '../../src/ir/op.js';
import type { Tensor } from '../../src/ir/tensor.js';
import { runTflite } from '../harness/litert.js';
import { mulberry32 } from '../harness/random-inputs.js';
import { sqnr } from '../helpers/compare.js';
import { attr, GraphDefBuilder } from '../helpers/graphdef-builder.js';

const f = attr.type('float32');
const i32 = attr.type('int32');

/** What the op's output parameters must be. */
type Expected =
  | { kind: 'fixed'; scale: number; zeroPoint: number }
  /** Every output has the parameters of data input `operand`. */
  | { kind: 'same'; operand: number }
  /** Every float operand was brought to the output's parameters. */
  | { kind: 'fromOutput' }
  /** Its own calibrated range: only int8-ness is checked. */
  | { kind: 'own' };

interface OpCase {
  op: BuiltinOperator;
  version: number;
  expected: Expected;
  inputShape: number[];
  outputs: string[];
  /** Adds the graph after placeholder `x`. */
  build(g: GraphDefBuilder): void;
}

const sliceOpts = { T: f, Index: i32, begin_mask: attr.i(0), end_mask: attr.i(0), ellipsis_mask: attr.i(0), new_axis_mask: attr.i(0), shrink_axis_mask: attr.i(0) };
const resizeOpts = { T: f, align_corners: attr.b(false), half_pixel_centers: attr.b(false) };

const CASES: OpCase[] = [
  {
    op: BuiltinOperator.LOG_SOFTMAX,
    version: 2,
    expected: { kind: 'fixed', scale: 16 / 256, zeroPoint: 127 },
    inputShape: [2, 7],
    outputs: ['y'],
    build: (g) => g.node('y', 'LogSoftmax', ['x'], { T: f }),
  },
  {
    op: BuiltinOperator.GATHER,
    version: 2,
    expected: { kind: 'same', operand: 0 },
    inputShape: [1, 6, 5],
    outputs: ['y'],
    build: (g) => {
      g.constant('indices', Int32Array.of(4, 0, 2), [3]);
      g.constant('axis', Int32Array.of(1), []);
      g.node('y', 'GatherV2', ['x', 'indices', 'axis'], { Tparams: f, Tindices: i32, Taxis: i32, batch_dims: attr.i(0) });
    },
  },
  {
    op: BuiltinOperator.SLICE,
    version: 2,
    expected: { kind: 'same', operand: 0 },
    inputShape: [1, 6, 5, 4],
    outputs: ['y'],
    build: (g) => {
      g.constant('begin', Int32Array.of(0, 1, 1, 0), [4]);
      g.constant('size', Int32Array.of(1, 3, 3, 2), [4]);
      g.node('y', 'Slice', ['x', 'begin', 'size'], { T: f, Index: i32 });
    },
  },
  {
    op: BuiltinOperator.STRIDED_SLICE,
    version: 2,
    expected: { kind: 'same', operand: 0 },
    inputShape: [1, 6, 5, 4],
    outputs: ['y'],
    build: (g) => {
      g.constant('begin', Int32Array.of(0, 0, 1, 0), [4]);
      g.constant('end', Int32Array.of(1, 6, 5, 3), [4]);
      g.constant('strides', Int32Array.of(1, 2, 1, 1), [4]);
      g.node('y', 'StridedSlice', ['x', 'begin', 'end', 'strides'], sliceOpts);
    },
  },
  {
    op: BuiltinOperator.SPLIT,
    version: 2,
    expected: { kind: 'same', operand: 1 },
    inputShape: [1, 3, 5, 4],
    outputs: ['y'],
    build: (g) => {
      g.constant('axis', Int32Array.of(3), []);
      g.node('split', 'Split', ['axis', 'x'], { T: f, num_split: attr.i(2) });
      g.node('y', 'AddV2', ['split', 'split:1'], { T: f });
    },
  },
  {
    op: BuiltinOperator.SPLIT_V,
    version: 2,
    expected: { kind: 'same', operand: 0 },
    inputShape: [1, 3, 5, 4],
    outputs: ['y'],
    build: (g) => {
      g.constant('sizes', Int32Array.of(1, 3), [2]);
      g.constant('axis', Int32Array.of(3), []);
      g.node('split', 'SplitV', ['x', 'sizes', 'axis'], { T: f, Tlen: i32, num_split: attr.i(2) });
      g.node('y', 'AddV2', ['split', 'split:1'], { T: f });
    },
  },
  {
    op: BuiltinOperator.PACK,
    version: 2,
    expected: { kind: 'fromOutput' },
    inputShape: [3, 5],
    outputs: ['y'],
    build: (g) => {
      g.node('t', 'Tanh', ['x'], { T: f });
      g.node('y', 'Pack', ['x', 't'], { T: f, N: attr.i(2), axis: attr.i(1) });
    },
  },
  {
    op: BuiltinOperator.UNPACK,
    version: 2,
    expected: { kind: 'same', operand: 0 },
    inputShape: [1, 3, 5],
    outputs: ['y'],
    build: (g) => {
      g.node('u', 'Unpack', ['x'], { T: f, num: attr.i(3), axis: attr.i(1) });
      g.node('y', 'AddV2', ['u', 'u:2'], { T: f });
    },
  },
  {
    op: BuiltinOperator.RESIZE_BILINEAR,
    version: 2,
    expected: { kind: 'same', operand: 0 },
    inputShape: [1, 4, 3, 2],
    outputs: ['y'],
    build: (g) => {
      g.constant('size', Int32Array.of(7, 5), [2]);
      g.node('y', 'ResizeBilinear', ['x', 'size'], resizeOpts);
    },
  },
  {
    op: BuiltinOperator.RESIZE_NEAREST_NEIGHBOR,
    version: 2,
    expected: { kind: 'same', operand: 0 },
    inputShape: [1, 4, 3, 2],
    outputs: ['y'],
    build: (g) => {
      g.constant('size', Int32Array.of(8, 6), [2]);
      g.node('y', 'ResizeNearestNeighbor', ['x', 'size'], resizeOpts);
    },
  },
  {
    op: BuiltinOperator.SPACE_TO_DEPTH,
    version: 2,
    expected: { kind: 'same', operand: 0 },
    inputShape: [1, 6, 4, 3],
    outputs: ['y'],
    build: (g) => g.node('y', 'SpaceToDepth', ['x'], { T: f, block_size: attr.i(2), data_format: attr.s('NHWC') }),
  },
  {
    op: BuiltinOperator.DEPTH_TO_SPACE,
    version: 2,
    expected: { kind: 'same', operand: 0 },
    inputShape: [1, 3, 5, 8],
    outputs: ['y'],
    build: (g) => g.node('y', 'DepthToSpace', ['x'], { T: f, block_size: attr.i(2), data_format: attr.s('NHWC') }),
  },
  {
    op: BuiltinOperator.EXPAND_DIMS,
    version: 1,
    expected: { kind: 'same', operand: 0 },
    inputShape: [3, 5],
    outputs: ['y'],
    build: (g) => {
      g.constant('dim', Int32Array.of(1), []);
      g.node('e', 'ExpandDims', ['x', 'dim'], { T: f, Tdim: i32 });
      g.node('y', 'Tanh', ['e'], { T: f });
    },
  },
  {
    op: BuiltinOperator.MAXIMUM,
    version: 2,
    expected: { kind: 'fromOutput' },
    inputShape: [1, 5, 4],
    outputs: ['y'],
    build: (g) => {
      g.node('t', 'Tanh', ['x'], { T: f });
      g.node('y', 'Maximum', ['x', 't'], { T: f });
    },
  },
  {
    op: BuiltinOperator.MINIMUM,
    version: 2,
    expected: { kind: 'fromOutput' },
    inputShape: [1, 5, 4],
    outputs: ['y'],
    build: (g) => {
      g.constant('c', Float32Array.of(0.3, -0.2, 0.5, 0.1), [4]);
      g.node('y', 'Minimum', ['x', 'c'], { T: f });
    },
  },
  {
    op: BuiltinOperator.SUB,
    version: 2,
    expected: { kind: 'own' },
    inputShape: [1, 5, 4],
    outputs: ['y'],
    build: (g) => {
      g.node('t', 'Tanh', ['x'], { T: f });
      g.node('y', 'Sub', ['x', 't'], { T: f });
    },
  },
  {
    op: BuiltinOperator.LEAKY_RELU,
    version: 1,
    expected: { kind: 'own' },
    inputShape: [1, 5, 4],
    outputs: ['y'],
    build: (g) => g.node('y', 'LeakyRelu', ['x'], { T: f, alpha: attr.f(0.2) }),
  },
  {
    op: BuiltinOperator.HARD_SWISH,
    version: 1,
    expected: { kind: 'own' },
    inputShape: [1, 5, 4],
    outputs: ['y'],
    build: (g) => {
      // x · relu6(x + 3) / 6, which the converter recognizes as HARD_SWISH.
      g.constant('three', Float32Array.of(3), []);
      g.constant('sixth', Float32Array.of(1 / 6), []);
      g.node('a', 'AddV2', ['x', 'three'], { T: f });
      g.node('r', 'Relu6', ['a'], { T: f });
      g.node('m', 'Mul', ['x', 'r'], { T: f });
      g.node('y', 'Mul', ['m', 'sixth'], { T: f });
    },
  },
];

function graphOf(c: OpCase): Uint8Array {
  const g = new GraphDefBuilder();
  g.placeholder('x', c.inputShape);
  c.build(g);
  return g.encode();
}

const params = (t: Tensor) => ({ scale: t.quant!.scale[0]!, zeroPoint: t.quant!.zeroPoint[0]! });

describe('int8 traits of the ops beyond the core set, run in LiteRT.js', () => {
  for (const c of CASES) {
    const name = builtinName(c.op);
    test(`${name}: int8 at version ${c.version} with its trait's parameters; SQNR ≥ 25 dB`, async () => {
      const bytes = graphOf(c);
      const options = { outputArrays: c.outputs };
      const float = convertGraphDef(bytes, `${name}.pb`, options).tflite;
      const int8 = await convertGraphDefInt8(bytes, `${name}.pb`, options, { dataset: 'random', inputRange: [-1, 1], maxSamples: 32 });
      const ops = readTflite(int8.tflite).main.ops.filter((op): op is TflOp => op.dialect === 'tfl');
      const op = ops.find((o) => o.builtin === c.op);
      expect(op, `${name} in ${ops.map((o) => builtinName(o.builtin)).join(' ')}`).toBeDefined();
      expect(op!.version).toBe(c.version);
      for (const out of op!.outputs) expect(out.dtype).toBe('int8');
      const e = c.expected;
      if (e.kind === 'fixed') expect(params(op!.outputs[0]!)).toEqual({ scale: e.scale, zeroPoint: e.zeroPoint });
      if (e.kind === 'same') {
        const x = op!.inputs[e.operand]!;
        expect(x.dtype).toBe('int8');
        for (const out of op!.outputs) expect(params(out)).toEqual(params(x));
      }
      if (e.kind === 'fromOutput') {
        for (const t of op!.inputs) {
          expect(t!.dtype).toBe('int8');
          expect(params(t!)).toEqual(params(op!.outputs[0]!));
        }
      }
      // Every op but the boundary conversions is int8: nothing stayed float.
      for (const o of ops) {
        if (o.builtin === BuiltinOperator.QUANTIZE || o.builtin === BuiltinOperator.DEQUANTIZE) continue;
        expect(o.outputs[0]!.dtype, builtinName(o.builtin)).toBe('int8');
      }
      const random = mulberry32(5);
      const size = c.inputShape.reduce((a, b) => a * b, 1);
      const refs: Float32Array[] = [];
      const gots: Float32Array[] = [];
      for (let run = 0; run < 8; run++) {
        const x = Float32Array.from({ length: size }, () => random() * 2 - 1);
        refs.push((await runTflite(float, [x])).outputs[0]!.data as Float32Array);
        gots.push((await runTflite(int8.tflite, [x])).outputs[0]!.data as Float32Array);
      }
      const db = sqnr(refs, gots);
      console.log(`${name}: int8 SQNR ${db.toFixed(1)} dB (${int8.summary})`);
      expect(db).toBeGreaterThanOrEqual(25);
    });
  }
});

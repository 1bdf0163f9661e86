/**
 * Convolution, pooling, padding and batch norm end to end: GraphDefs built here go through
 * convertGraphDef, the .tflite runs in LiteRT.js, and its output is compared with tfjs running
 * the source GraphDef: max |err| / max |ref| ≤ 1e-4. Each case also asserts the TFLite op
 * histogram. NCHW graphs are checked against tfjs on their NHWC twin (tfjs's pools and depthwise
 * conv ignore data_format), and grappler's FusedBatchNorm-fused convs against the unfused Conv2D +
 * FusedBatchNormV3 graph (tfjs refuses to run the fused form). uTensor's real per-op fixtures and
 * a CIFAR-10 CNN are in convert-conv-fixtures.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, test } from 'vitest';
import { ActivationFunctionType } from '../../generated/tflite/activation-function-type.js';
import { BuiltinOperator } from '../../generated/tflite/builtin-operator.js';
import { convertGraphDef, type ConversionOptions } from '../../src/api/convert.js';
import { REGISTRY } from '../../src/ops/registry.js';
import { UnsupportedError } from '../../src/util/errors.js';
import { runTflite } from '../harness/litert.js';
import { randomFloats } from '../harness/random-inputs.js';
import { runGraphDef } from '../harness/tfjs-graphdef.js';
import { maxRelErr } from '../helpers/compare.js';
import { attr, GraphDefBuilder } from '../helpers/graphdef-builder.js';
import { opHistogram, tflOps } from '../helpers/tfl-ops.js';

type Layout = 'NHWC' | 'NCHW';
type Dims = [number, number, number, number];

const T = attr.type('float32');
const errors: [string, number][] = [];

afterAll(() => {
  const worst = errors.reduce((m, [, e]) => Math.max(m, e), 0);
  console.log(`convert-conv: ${errors.length} comparisons, worst max|err|/max|ref| = ${worst.toExponential(2)}`);
});

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const toLayout = ([n, h, w, c]: readonly number[], layout: Layout) => (layout === 'NHWC' ? [n!, h!, w!, c!] : [n!, c!, h!, w!]);
/** A [1, h, w, 1]-style attribute in the layout's order. */
const four = (layout: Layout, h: number, w: number) => attr.ints(layout === 'NHWC' ? [1, h, w, 1] : [1, 1, h, w]);

interface Case {
  name: string;
  /** Builds the graph in a layout: input "x" (and any other placeholders), output "y". */
  make: (layout: Layout) => Uint8Array;
  layout?: Layout;
  /** NHWC shapes of the float inputs, in graph input order. */
  inputs: Record<string, number[]>;
  ops: Record<string, number>;
  /** The graph tfjs runs instead (NHWC), when it cannot run `make`'s. */
  oracle?: () => Uint8Array;
  options?: ConversionOptions;
}

async function check(c: Case): Promise<Uint8Array> {
  const layout = c.layout ?? 'NHWC';
  const pb = c.make(layout);
  const { tflite } = convertGraphDef(pb, `${c.name}.pb`, c.options ?? {});
  expect(opHistogram(tflite)).toEqual(c.ops);
  const feeds = Object.entries(c.inputs).map(([name, shape], i) => ({ name, shape, data: randomFloats(size(shape), 100 + i, name === 'variance' ? 0.1 : -1, name === 'variance' ? 2 : 1) }));
  // Inputs named x… are laid out by data_format; the others are per-channel vectors.
  const inLayout = feeds.map((f) => (f.name.startsWith('x') && layout === 'NCHW' ? tf.transpose(tf.tensor(f.data, f.shape), [0, 3, 1, 2]).dataSync() : f.data));
  const ours = await runTflite(tflite, inLayout.map((d) => Float32Array.from(d)));
  const oraclePb = c.oracle?.() ?? (layout === 'NHWC' ? pb : c.make('NHWC'));
  const [ref] = await runGraphDef(oraclePb, Object.fromEntries(feeds.map((f) => [f.name, { dtype: 'float32' as const, shape: f.shape, data: f.data }])), ['y']);
  const want = layout === 'NCHW' ? tf.transpose(tf.tensor(ref!.data, ref!.shape), [0, 3, 1, 2]) : tf.tensor(ref!.data, ref!.shape);
  const out = ours.outputs[0]!;
  expect(out.shape).toEqual(want.shape);
  const err = maxRelErr(out.data as Float32Array, want.dataSync() as Float32Array);
  errors.push([c.name, err]);
  expect(err).toBeLessThanOrEqual(1e-4);
  return tflite;
}

// ---------------------------------------------------------------------------------------------
// Graph makers

interface ConvSpec {
  x: Dims;
  k: [number, number];
  /** Output channels (Conv2D) or depth multiplier (depthwise). */
  out: number;
  strides: [number, number];
  padding: 'SAME' | 'VALID' | 'EXPLICIT';
  dilations?: [number, number];
  /** top, bottom, left, right */
  explicit?: [number, number, number, number];
}

function convAttrs(s: ConvSpec, layout: Layout) {
  const attrs: Record<string, Record<string, unknown>> = { T, strides: four(layout, ...s.strides), padding: attr.s(s.padding), data_format: attr.s(layout), dilations: four(layout, ...(s.dilations ?? [1, 1])) };
  if (s.explicit) {
    const [t, b, l, r] = s.explicit;
    attrs.explicit_paddings = attr.ints(layout === 'NHWC' ? [0, 0, t, b, l, r, 0, 0] : [0, 0, 0, 0, t, b, l, r]);
  }
  return attrs;
}

function filterShape(s: ConvSpec): number[] {
  return [...s.k, s.x[3], s.out];
}

/** x → op(x, w) [→ extra nodes]; `type` is Conv2D or DepthwiseConv2dNative. */
function convGraph(type: string, s: ConvSpec, layout: Layout, extra?: (b: GraphDefBuilder, from: string) => void): Uint8Array {
  const b = new GraphDefBuilder().placeholder('x', toLayout(s.x, layout));
  b.constant('w', randomFloats(size(filterShape(s)), 7), filterShape(s));
  b.node(extra ? 'conv' : 'y', type, ['x', 'w'], convAttrs(s, layout));
  extra?.(b, 'conv');
  return b.encode();
}

function channelsOut(type: string, s: ConvSpec): number {
  return type.includes('Depthwise') ? s.x[3] * s.out : s.out;
}

function batchNormConsts(b: GraphDefBuilder, c: number): string[] {
  b.constant('scale', randomFloats(c, 21, 0.5, 1.5), [c]);
  b.constant('offset', randomFloats(c, 22), [c]);
  b.constant('mean', randomFloats(c, 23), [c]);
  b.constant('variance', randomFloats(c, 24, 0.1, 2), [c]);
  return ['scale', 'offset', 'mean', 'variance'];
}

/** grappler's fused form: `fused` as in its fused_ops attribute. */
function fusedConvGraph(type: string, s: ConvSpec, fused: string[], layout: Layout): Uint8Array {
  const b = new GraphDefBuilder().placeholder('x', toLayout(s.x, layout));
  b.constant('w', randomFloats(size(filterShape(s)), 7), filterShape(s));
  const c = channelsOut(type, s);
  let args: string[];
  if (fused[0] === 'FusedBatchNorm') args = batchNormConsts(b, c);
  else {
    b.constant('bias', randomFloats(c, 8), [c]);
    args = ['bias'];
  }
  const attrs = { ...convAttrs(s, layout), fused_ops: attr.strings(fused), num_args: attr.i(args.length), epsilon: attr.f(0.001), leakyrelu_alpha: attr.f(0.3) };
  b.node('y', type, ['x', 'w', ...args], attrs);
  return b.encode();
}

/** The same computation unfused, NHWC: what tfjs can run. */
function unfusedConvGraph(type: string, s: ConvSpec, fused: string[]): Uint8Array {
  const base = type === '_FusedConv2D' ? 'Conv2D' : 'DepthwiseConv2dNative';
  return convGraph(base, s, 'NHWC', (b, from) => {
    const c = channelsOut(type, s);
    const last = fused.length - 1;
    let prev = from;
    fused.forEach((f, i) => {
      const name = i === last ? 'y' : `f${i}`;
      if (f === 'BiasAdd') {
        b.constant('bias', randomFloats(c, 8), [c]);
        b.node(name, 'BiasAdd', [prev, 'bias'], { T });
      } else if (f === 'FusedBatchNorm') {
        b.node(name, 'FusedBatchNormV3', [prev, ...batchNormConsts(b, c)], { T, U: T, epsilon: attr.f(0.001), is_training: attr.b(false), data_format: attr.s('NHWC') });
      } else {
        b.node(name, f, [prev], f === 'LeakyRelu' ? { T, alpha: attr.f(0.3) } : { T });
      }
      prev = name;
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Conv2D and DepthwiseConv2dNative

const CONV: (ConvSpec & { layout?: Layout; ops: Record<string, number> })[] = [
  { x: [1, 7, 9, 3], k: [3, 3], out: 5, strides: [1, 1], padding: 'SAME', ops: { CONV_2D: 1 } },
  { x: [2, 9, 7, 3], k: [3, 2], out: 4, strides: [2, 2], padding: 'SAME', ops: { CONV_2D: 1 } },
  { x: [1, 11, 10, 2], k: [2, 3], out: 3, strides: [2, 3], padding: 'VALID', ops: { CONV_2D: 1 } },
  { x: [1, 11, 9, 3], k: [3, 3], out: 4, strides: [1, 1], padding: 'SAME', dilations: [2, 2], ops: { CONV_2D: 1 } },
  { x: [1, 11, 9, 3], k: [3, 2], out: 2, strides: [1, 1], padding: 'VALID', dilations: [2, 3], ops: { CONV_2D: 1 } },
  { x: [1, 7, 8, 3], k: [3, 3], out: 5, strides: [2, 2], padding: 'EXPLICIT', explicit: [1, 2, 0, 3], ops: { PAD: 1, CONV_2D: 1 } },
  { x: [1, 9, 7, 3], k: [3, 2], out: 4, strides: [2, 2], padding: 'SAME', layout: 'NCHW', ops: { TRANSPOSE: 2, CONV_2D: 1 } },
  { x: [1, 9, 7, 3], k: [3, 3], out: 4, strides: [1, 1], padding: 'SAME', dilations: [2, 2], layout: 'NCHW', ops: { TRANSPOSE: 2, CONV_2D: 1 } },
  { x: [1, 7, 8, 3], k: [3, 3], out: 5, strides: [1, 2], padding: 'EXPLICIT', explicit: [2, 0, 1, 1], layout: 'NCHW', ops: { TRANSPOSE: 2, PAD: 1, CONV_2D: 1 } },
];

const DEPTHWISE: (ConvSpec & { layout?: Layout; ops: Record<string, number> })[] = [
  { x: [1, 7, 9, 3], k: [3, 3], out: 1, strides: [1, 1], padding: 'SAME', ops: { DEPTHWISE_CONV_2D: 1 } },
  { x: [2, 9, 7, 3], k: [3, 2], out: 2, strides: [2, 2], padding: 'SAME', ops: { DEPTHWISE_CONV_2D: 1 } },
  { x: [1, 11, 9, 2], k: [3, 3], out: 2, strides: [1, 1], padding: 'VALID', dilations: [2, 2], ops: { DEPTHWISE_CONV_2D: 1 } },
  { x: [1, 7, 8, 3], k: [3, 3], out: 2, strides: [2, 2], padding: 'EXPLICIT', explicit: [1, 0, 2, 1], ops: { PAD: 1, DEPTHWISE_CONV_2D: 1 } },
  { x: [1, 9, 7, 3], k: [3, 3], out: 2, strides: [2, 2], padding: 'SAME', layout: 'NCHW', ops: { TRANSPOSE: 2, DEPTHWISE_CONV_2D: 1 } },
];

const label = (s: ConvSpec & { layout?: Layout }) => `${s.layout ?? 'NHWC'} x=[${s.x}] k=${s.k} out=${s.out} s=${s.strides} d=${s.dilations ?? [1, 1]} ${s.padding}${s.explicit ? `[${s.explicit}]` : ''}`;

describe('Conv2D', () => {
  test.each(CONV.map((s) => [label(s), s] as const))('%s', async (name, s) => {
    await check({ name, make: (l) => convGraph('Conv2D', s, l), layout: s.layout, inputs: { x: s.x }, ops: s.ops });
  });

  test('Conv2D + BiasAdd + Relu6 become one CONV_2D with its bias and RELU6', async () => {
    const s: ConvSpec = { x: [1, 7, 9, 3], k: [3, 3], out: 5, strides: [2, 2], padding: 'SAME' };
    const make = () =>
      convGraph('Conv2D', s, 'NHWC', (b, from) => {
        b.constant('bias', randomFloats(5, 8), [5]);
        b.node('add', 'BiasAdd', [from, 'bias'], { T });
        b.node('y', 'Relu6', ['add'], { T });
      });
    const tflite = await check({ name: 'conv+bias+relu6', make, inputs: { x: s.x }, ops: { CONV_2D: 1 } });
    const conv = tflOps(tflite)[0]!;
    expect((conv.options!.value as { fusedActivationFunction: number }).fusedActivationFunction).toBe(ActivationFunctionType.RELU6);
    expect(conv.inputs[2]!.data).not.toBeNull();
  });
});

describe('DepthwiseConv2dNative', () => {
  test.each(DEPTHWISE.map((s) => [label(s), s] as const))('%s', async (name, s) => {
    const tflite = await check({ name, make: (l) => convGraph('DepthwiseConv2dNative', s, l), layout: s.layout, inputs: { x: s.x }, ops: s.ops });
    const dw = tflOps(tflite).find((op) => op.builtin === BuiltinOperator.DEPTHWISE_CONV_2D)!;
    expect((dw.options!.value as { depthMultiplier: number }).depthMultiplier).toBe(s.out);
    expect(dw.version).toBe(s.dilations ? 2 : 1);
  });
});

// ---------------------------------------------------------------------------------------------
// Grappler's fused convolutions

const FUSED: { type: string; fused: string[]; s: ConvSpec; layout?: Layout; ops: Record<string, number> }[] = [
  { type: '_FusedConv2D', fused: ['BiasAdd'], s: CONV[1]!, ops: { CONV_2D: 1 } },
  { type: '_FusedConv2D', fused: ['BiasAdd', 'Relu'], s: CONV[0]!, ops: { CONV_2D: 1 } },
  { type: '_FusedConv2D', fused: ['BiasAdd', 'Relu6'], s: CONV[3]!, ops: { CONV_2D: 1 } },
  { type: '_FusedConv2D', fused: ['BiasAdd', 'LeakyRelu'], s: CONV[2]!, ops: { CONV_2D: 1, LEAKY_RELU: 1 } },
  { type: '_FusedConv2D', fused: ['BiasAdd', 'Elu'], s: CONV[0]!, ops: { CONV_2D: 1, ELU: 1 } },
  { type: '_FusedConv2D', fused: ['BiasAdd', 'Relu'], s: CONV[5]!, ops: { PAD: 1, CONV_2D: 1 } },
  { type: '_FusedConv2D', fused: ['FusedBatchNorm'], s: CONV[1]!, ops: { CONV_2D: 1 } },
  { type: '_FusedConv2D', fused: ['FusedBatchNorm', 'Relu'], s: CONV[0]!, ops: { CONV_2D: 1 } },
  { type: '_FusedConv2D', fused: ['BiasAdd', 'Relu'], s: CONV[6]!, layout: 'NCHW', ops: { TRANSPOSE: 2, CONV_2D: 1, RELU: 1 } },
  { type: 'FusedDepthwiseConv2dNative', fused: ['BiasAdd', 'Relu6'], s: DEPTHWISE[1]!, ops: { DEPTHWISE_CONV_2D: 1 } },
  { type: 'FusedDepthwiseConv2dNative', fused: ['BiasAdd'], s: DEPTHWISE[2]!, ops: { DEPTHWISE_CONV_2D: 1 } },
  { type: 'FusedDepthwiseConv2dNative', fused: ['FusedBatchNorm', 'Relu6'], s: DEPTHWISE[0]!, ops: { DEPTHWISE_CONV_2D: 1 } },
];

describe('grappler fused convolutions decompose and fuse back', () => {
  test.each(FUSED.map((f) => [`${f.type} [${f.fused}] ${label({ ...f.s, layout: f.layout })}`, f] as const))('%s', async (name, f) => {
    // tfjs runs _FusedConv2D / FusedDepthwiseConv2dNative with BiasAdd itself, not FusedBatchNorm.
    const oracle = f.fused[0] === 'FusedBatchNorm' ? () => unfusedConvGraph(f.type, f.s, f.fused) : undefined;
    await check({ name, make: (l) => fusedConvGraph(f.type, f.s, f.fused, l), layout: f.layout, inputs: { x: f.s.x }, ops: f.ops, oracle });
  });

  test.each(['NHWC', 'NCHW'] as const)('_FusedConv2D [BiasAdd,Add,Relu] (a residual input) %s', async (layout) => {
    const s = CONV[1]!;
    const residual: Dims = [2, 5, 4, 4];
    const make = (l: Layout) => {
      const b = new GraphDefBuilder().placeholder('x', toLayout(s.x, l)).placeholder('x2', toLayout(residual, l));
      b.constant('w', randomFloats(size(filterShape(s)), 7), filterShape(s)).constant('bias', randomFloats(4, 8), [4]);
      const attrs = { ...convAttrs(s, l), fused_ops: attr.strings(['BiasAdd', 'Add', 'Relu']), num_args: attr.i(2) };
      return b.node('y', '_FusedConv2D', ['x', 'w', 'bias', 'x2'], attrs).encode();
    };
    const oracle = () =>
      convGraph('Conv2D', s, 'NHWC', (b, from) => {
        b.placeholder('x2', residual).constant('bias', randomFloats(4, 8), [4]);
        b.node('biased', 'BiasAdd', [from, 'bias'], { T });
        b.node('sum', 'AddV2', ['biased', 'x2'], { T });
        b.node('y', 'Relu', ['sum'], { T });
      });
    // The bias joins the conv; the residual ADD takes the ReLU (NHWC); in NCHW the ReLU follows the transpose back.
    const ops = layout === 'NHWC' ? { CONV_2D: 1, ADD: 1 } : { TRANSPOSE: 3, CONV_2D: 1, ADD: 1, RELU: 1 };
    await check({ name: `fused residual ${layout}`, make, layout, inputs: { x: s.x, x2: residual }, ops, oracle });
  });

  test('unsupported fused_ops are named with the node', () => {
    const pb = fusedConvGraph('_FusedConv2D', CONV[0]!, ['BiasAdd', 'Relu', 'Tanh'], 'NHWC');
    expect(() => convertGraphDef(pb, 'bad.pb')).toThrow(/node "y" \(_FusedConv2D\) fuses BiasAdd \+ Relu \+ Tanh/);
  });
});

// ---------------------------------------------------------------------------------------------
// Conv2DBackpropInput

interface DeconvSpec {
  dy: Dims;
  k: [number, number];
  out: Dims;
  strides: [number, number];
  padding: 'SAME' | 'VALID';
  layout?: Layout;
  ops: Record<string, number>;
}

function deconvGraph(s: DeconvSpec, layout: Layout, biasRelu = false): Uint8Array {
  const b = new GraphDefBuilder().placeholder('x', toLayout(s.dy, layout));
  const fShape = [...s.k, s.out[3], s.dy[3]];
  b.constant('w', randomFloats(size(fShape), 9), fShape);
  b.constant('sizes', Int32Array.from(toLayout(s.out, layout)), [4]);
  const attrs = { T, strides: four(layout, ...s.strides), padding: attr.s(s.padding), data_format: attr.s(layout) };
  b.node(biasRelu ? 'deconv' : 'y', 'Conv2DBackpropInput', ['sizes', 'w', 'x'], attrs);
  if (biasRelu) {
    b.constant('bias', randomFloats(s.out[3], 10), [s.out[3]]);
    b.node('add', 'BiasAdd', ['deconv', 'bias'], { T, data_format: attr.s(layout) });
    b.node('y', 'Relu', ['add'], { T });
  }
  return b.encode();
}

const DECONV: DeconvSpec[] = [
  { dy: [1, 5, 4, 3], k: [3, 3], out: [1, 9, 7, 2], strides: [2, 2], padding: 'SAME', ops: { TRANSPOSE_CONV: 1 } },
  { dy: [2, 5, 4, 3], k: [3, 2], out: [2, 10, 8, 4], strides: [2, 2], padding: 'SAME', ops: { TRANSPOSE_CONV: 1 } },
  { dy: [1, 5, 4, 3], k: [3, 3], out: [1, 11, 9, 2], strides: [2, 2], padding: 'VALID', ops: { TRANSPOSE_CONV: 1 } },
  { dy: [1, 4, 5, 2], k: [2, 3], out: [1, 4, 5, 3], strides: [1, 1], padding: 'SAME', ops: { TRANSPOSE_CONV: 1 } },
  { dy: [1, 5, 4, 3], k: [3, 3], out: [1, 9, 7, 2], strides: [2, 2], padding: 'SAME', layout: 'NCHW', ops: { TRANSPOSE: 2, TRANSPOSE_CONV: 1 } },
];

describe('Conv2DBackpropInput → TRANSPOSE_CONV', () => {
  test.each(DECONV.map((s) => [`${s.layout ?? 'NHWC'} dy=[${s.dy}] → [${s.out}] k=${s.k} s=${s.strides} ${s.padding}`, s] as const))('%s', async (name, s) => {
    await check({ name, make: (l) => deconvGraph(s, l), layout: s.layout, inputs: { x: s.dy }, ops: s.ops });
  });

  test('a Relu after it fuses into TRANSPOSE_CONV', async () => {
    const make = (l: Layout) => {
      const b = new GraphDefBuilder().placeholder('x', toLayout(DECONV[0]!.dy, l)).constant('w', randomFloats(54, 9), [3, 3, 2, 3]).constant('sizes', Int32Array.of(1, 9, 7, 2), [4]);
      b.node('deconv', 'Conv2DBackpropInput', ['sizes', 'w', 'x'], { T, strides: attr.ints([1, 2, 2, 1]), padding: attr.s('SAME') });
      return b.node('y', 'Relu', ['deconv'], { T }).encode();
    };
    const tflite = await check({ name: 'deconv+relu', make, inputs: { x: DECONV[0]!.dy }, ops: { TRANSPOSE_CONV: 1 } });
    const op = tflOps(tflite)[0]!;
    expect((op.options!.value as { fusedActivationFunction: number }).fusedActivationFunction).toBe(ActivationFunctionType.RELU);
    // What op_version.cc asks for a fused activation. (fuse-activation sets the field after the
    // version was computed; the written version is the pass's to update.)
    expect(REGISTRY.def(BuiltinOperator.TRANSPOSE_CONV)!.version!(op)).toBe(4);
  });

  test('with BiasAdd and Relu after it', async () => {
    await check({ name: 'deconv+bias+relu', make: (l) => deconvGraph(DECONV[0]!, l, true), inputs: { x: DECONV[0]!.dy }, ops: { TRANSPOSE_CONV: 1, ADD: 1 } });
  });
});

// ---------------------------------------------------------------------------------------------
// Pooling

interface PoolSpec {
  x: Dims;
  k: [number, number];
  strides: [number, number];
  padding: 'SAME' | 'VALID';
  layout?: Layout;
}

const POOLS: PoolSpec[] = [
  { x: [1, 9, 7, 3], k: [3, 3], strides: [2, 2], padding: 'SAME' },
  { x: [2, 8, 9, 2], k: [3, 2], strides: [2, 1], padding: 'VALID' },
  { x: [1, 5, 5, 2], k: [5, 5], strides: [1, 1], padding: 'SAME' },
  { x: [1, 9, 7, 3], k: [2, 2], strides: [2, 2], padding: 'SAME', layout: 'NCHW' },
];

describe('MaxPool and AvgPool', () => {
  for (const [type, builtin] of [['MaxPool', 'MAX_POOL_2D'], ['AvgPool', 'AVERAGE_POOL_2D']] as const) {
    test.each(POOLS.map((s) => [`${type} ${s.layout ?? 'NHWC'} x=[${s.x}] k=${s.k} s=${s.strides} ${s.padding}`, s] as const))('%s', async (name, s) => {
      const make = (l: Layout) =>
        new GraphDefBuilder()
          .placeholder('x', toLayout(s.x, l))
          .node('y', type, ['x'], { T, ksize: four(l, ...s.k), strides: four(l, ...s.strides), padding: attr.s(s.padding), data_format: attr.s(l) })
          .encode();
      const ops = s.layout === 'NCHW' ? { TRANSPOSE: 2, [builtin]: 1 } : { [builtin]: 1 };
      await check({ name, make, layout: s.layout, inputs: { x: s.x }, ops });
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Pad, PadV2, MirrorPad

describe('Pad, PadV2, MirrorPad', () => {
  const x: Dims = [1, 5, 4, 3];
  const padGraph = (type: string, paddings: Int32Array | BigInt64Array, extra: Record<string, Record<string, unknown>> = {}, constant?: number) => () => {
    const b = new GraphDefBuilder().placeholder('x', x);
    b.constant('p', paddings, [4, 2]);
    const inputs = ['x', 'p'];
    if (constant !== undefined) {
      b.constant('c', Float32Array.of(constant), []);
      inputs.push('c');
    }
    return b.node('y', type, inputs, { T, ...extra }).encode();
  };
  const p32 = Int32Array.of(0, 1, 2, 3, 1, 0, 0, 2);
  const cases = [
    { name: 'Pad int32 paddings', make: padGraph('Pad', p32), ops: { PAD: 1 } },
    { name: 'Pad int64 paddings', make: padGraph('Pad', BigInt64Array.from(p32, BigInt), { Tpaddings: attr.type('int64') }), ops: { PAD: 1 } },
    { name: 'PadV2 with -1.5', make: padGraph('PadV2', p32, {}, -1.5), ops: { PADV2: 1 } },
    { name: 'MirrorPad REFLECT', make: padGraph('MirrorPad', Int32Array.of(0, 0, 4, 2, 1, 3, 2, 0), { mode: attr.s('REFLECT') }), ops: { MIRROR_PAD: 1 } },
    { name: 'MirrorPad SYMMETRIC', make: padGraph('MirrorPad', Int32Array.of(0, 0, 5, 2, 1, 4, 3, 1), { mode: attr.s('SYMMETRIC') }), ops: { MIRROR_PAD: 1 } },
  ];
  test.each(cases)('$name', async (c) => {
    await check({ name: c.name, make: c.make, inputs: { x }, ops: c.ops });
  });
});

// ---------------------------------------------------------------------------------------------
// FusedBatchNorm

describe('FusedBatchNorm at inference', () => {
  const x: Dims = [2, 5, 7, 3];
  const bnGraph = (type: string, constants: boolean) => (layout: Layout) => {
    const b = new GraphDefBuilder().placeholder('x', toLayout(x, layout));
    const params = constants ? batchNormConsts(b, 3) : ['scale', 'offset', 'mean', 'variance'];
    if (!constants) for (const p of params) b.placeholder(p, [3]);
    return b.node('y', type, ['x', ...params], { T, U: T, epsilon: attr.f(0.001), is_training: attr.b(false), data_format: attr.s(layout) }).encode();
  };
  const perChannel = { scale: [3], offset: [3], mean: [3], variance: [3] };
  const cases: { type: string; constants: boolean; layout: Layout; ops: Record<string, number> }[] = [
    { type: 'FusedBatchNormV3', constants: true, layout: 'NHWC', ops: { MUL: 1, ADD: 1 } },
    { type: 'FusedBatchNormV3', constants: true, layout: 'NCHW', ops: { MUL: 1, ADD: 1 } },
    { type: 'FusedBatchNorm', constants: true, layout: 'NHWC', ops: { MUL: 1, ADD: 1 } },
    { type: 'FusedBatchNormV2', constants: false, layout: 'NHWC', ops: { ADD: 2, RSQRT: 1, MUL: 3, SUB: 1 } },
    { type: 'FusedBatchNormV3', constants: false, layout: 'NCHW', ops: { ADD: 2, RSQRT: 1, MUL: 3, SUB: 1, RESHAPE: 2 } },
  ];
  test.each(cases.map((c) => [`${c.type} ${c.layout} ${c.constants ? 'constant' : 'computed'} parameters`, c] as const))('%s', async (name, c) => {
    const inputs = c.constants ? { x } : { x, ...perChannel };
    await check({ name, make: bnGraph(c.type, c.constants), layout: c.layout, inputs, ops: c.ops });
  });

  test('Conv2D + FusedBatchNormV3 + Relu fold into one CONV_2D', async () => {
    const s = CONV[1]!;
    await check({ name: 'conv+bn+relu', make: () => unfusedConvGraph('_FusedConv2D', s, ['FusedBatchNorm', 'Relu']), inputs: { x: s.x }, ops: { CONV_2D: 1 } });
  });

  test('training mode is rejected, naming the node', () => {
    const b = new GraphDefBuilder().placeholder('x', x);
    const pb = b.node('y', 'FusedBatchNormV3', ['x', ...batchNormConsts(b, 3)], { T, U: T, is_training: attr.b(true) }).encode();
    expect(() => convertGraphDef(pb, 'bn.pb')).toThrow(UnsupportedError);
    expect(() => convertGraphDef(pb, 'bn.pb')).toThrow(/node "y" \(FusedBatchNormV3\) is in training mode/);
  });
});

// ---------------------------------------------------------------------------------------------
// Rejections and constant folding

describe('unsupported attributes are clear errors', () => {
  const s = CONV[0]!;
  test.each([
    ['channel strides', () => new GraphDefBuilder().placeholder('x', s.x).constant('w', randomFloats(135, 1), [3, 3, 3, 5]).node('y', 'Conv2D', ['x', 'w'], { T, strides: attr.ints([1, 1, 1, 2]), padding: attr.s('SAME') }).encode(), /node "y" \(Conv2D\) has strides \[1,1,1,2\] on the batch or channel/],
    ['a filter of computed shape', () => {
      // Graph inputs need known shapes; a filter reshaped by a fed shape has unknown dimensions.
      const b = new GraphDefBuilder().placeholder('x', s.x).placeholder('w0', [135]).placeholder('shape', [4], 'int32');
      b.node('w', 'Reshape', ['w0', 'shape'], { T, Tshape: attr.type('int32') });
      return b.node('y', 'Conv2D', ['x', 'w'], { T, strides: attr.ints([1, 1, 1, 1]), padding: attr.s('SAME') }).encode();
    }, /node "y" \(Conv2D\) has a filter with an unknown output-channel count/],
    ['MaxPool EXPLICIT', () => new GraphDefBuilder().placeholder('x', s.x).node('y', 'MaxPool', ['x'], { T, ksize: attr.ints([1, 2, 2, 1]), strides: attr.ints([1, 2, 2, 1]), padding: attr.s('EXPLICIT') }).encode(), /node "y" \(MaxPool\) has EXPLICIT padding/],
    ['int32 Conv2D', () => new GraphDefBuilder().placeholder('x', s.x, 'int32').constant('w', new Int32Array(135), [3, 3, 3, 5]).node('y', 'Conv2D', ['x', 'w'], { T: attr.type('int32'), strides: attr.ints([1, 1, 1, 1]), padding: attr.s('SAME') }).encode(), /node "y" \(Conv2D\) has a int32 input/],
    ['dilated Conv2DBackpropInput', () => {
      const b = new GraphDefBuilder().placeholder('x', [1, 5, 4, 3]).constant('w', randomFloats(54, 1), [3, 3, 2, 3]).constant('sizes', Int32Array.of(1, 9, 7, 2), [4]);
      return b.node('y', 'Conv2DBackpropInput', ['sizes', 'w', 'x'], { T, strides: attr.ints([1, 1, 1, 1]), dilations: attr.ints([1, 2, 2, 1]), padding: attr.s('SAME') }).encode();
    }, /node "y" \(Conv2DBackpropInput\) has dilations \[2,2\]/],
  ] as const)('%s', (_name, make, message) => {
    expect(() => convertGraphDef(make(), 'bad.pb')).toThrow(UnsupportedError);
    expect(() => convertGraphDef(make(), 'bad.pb')).toThrow(message);
  });
});

describe('constant inputs fold', () => {
  test('Conv2D, MaxPool and MirrorPad of constants become the constant output', async () => {
    const b = new GraphDefBuilder().constant('x', randomFloats(189, 3), [1, 7, 9, 3]).constant('w', randomFloats(135, 4), [3, 3, 3, 5]);
    b.node('conv', 'Conv2D', ['x', 'w'], { T, strides: attr.ints([1, 2, 2, 1]), dilations: attr.ints([1, 1, 1, 1]), padding: attr.s('SAME') });
    b.node('pool', 'MaxPool', ['conv'], { T, ksize: attr.ints([1, 2, 2, 1]), strides: attr.ints([1, 1, 1, 1]), padding: attr.s('VALID') });
    b.constant('p', Int32Array.of(0, 0, 1, 1, 0, 2, 0, 0), [4, 2]);
    b.node('y', 'MirrorPad', ['pool', 'p'], { T, mode: attr.s('SYMMETRIC') });
    const pb = b.encode();
    const { tflite, model } = convertGraphDef(pb, 'const.pb', { outputArrays: ['y'] });
    // All folded: only the copy materialize-outputs writes a constant output with remains.
    expect(opHistogram(tflite)).toEqual({ RESHAPE: 1 });
    expect(model.main.ops[0]!.inputs[0]!.data).not.toBeNull();
    const ours = await runTflite(tflite, []);
    const [ref] = await runGraphDef(pb, {}, ['y']);
    expect(ours.outputs[0]!.shape).toEqual([1, 5, 6, 5]);
    const err = maxRelErr(ours.outputs[0]!.data as Float32Array, ref!.data as Float32Array);
    errors.push(['folded', err]);
    expect(err).toBeLessThanOrEqual(1e-4);
  });
});

describe('grouped Conv2D', () => {
  test('6 input channels, filter of 2, 3 groups: CONV_2D version 6 vs Split + Conv2D + ConcatV2 in tfjs', async () => {
    const x: Dims = [1, 7, 9, 6];
    const w = randomFloats(3 * 3 * 2 * 9, 31);
    const make = () => new GraphDefBuilder().placeholder('x', x).constant('w', w, [3, 3, 2, 9]).node('y', 'Conv2D', ['x', 'w'], { T, strides: attr.ints([1, 2, 2, 1]), padding: attr.s('SAME') }).encode();
    // (tfjs needs the dilations attribute TF always writes; our converter defaults it.)
    const oracle = () => {
      const b = new GraphDefBuilder().placeholder('x', x).constant('axis', Int32Array.of(3), []);
      b.node('xs', 'Split', ['axis', 'x'], { T, num_split: attr.i(3) });
      b.constant('w', w, [3, 3, 2, 9]);
      b.node('ws', 'Split', ['axis', 'w'], { T, num_split: attr.i(3) });
      for (let g = 0; g < 3; g++) b.node(`c${g}`, 'Conv2D', [`xs:${g}`, `ws:${g}`], { T, strides: attr.ints([1, 2, 2, 1]), dilations: attr.ints([1, 1, 1, 1]), padding: attr.s('SAME') });
      return b.node('y', 'ConcatV2', ['c0', 'c1', 'c2', 'axis'], { T, N: attr.i(3), Tidx: attr.type('int32') }).encode();
    };
    const tflite = await check({ name: 'grouped conv', make, inputs: { x }, ops: { CONV_2D: 1 }, oracle });
    expect(tflOps(tflite)[0]!.version).toBe(6);
  });
});

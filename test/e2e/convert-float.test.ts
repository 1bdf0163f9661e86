/**
 * Float conversion end to end: a real frozen GraphDef goes through our converter, the .tflite runs
 * in LiteRT.js, and its outputs are compared with tfjs executing the same GraphDef on the same
 * inputs (max |err| / max |ref| ≤ 1e-4). Neither side is our own executor.
 */
import { describe, expect, test } from 'vitest';
import { ActivationFunctionType } from '../../generated/tflite/activation-function-type.js';
import { BuiltinOperator } from '../../generated/tflite/builtin-operator.js';
import { convertGraphDef, type ConversionOptions } from '../../src/api/convert.js';
import { readTflite } from '../../src/import/tflite.js';
import { mulberry32 } from '../harness/random-inputs.js';
import { runTflite } from '../harness/litert.js';
import { runGraphDef } from '../harness/tfjs-graphdef.js';
import { maxRelErr } from '../helpers/compare.js';
import { readModel } from '../helpers/fixtures.js';
import { attr, GraphDefBuilder } from '../helpers/graphdef-builder.js';
import { opHistogram } from '../helpers/tfl-ops.js';

interface Case {
  file: string;
  options: ConversionOptions;
  /** Input name → shape, for the random inputs. */
  inputs: Record<string, number[]>;
  outputs: string[];
  /** The op histogram the converted model must have. */
  ops: Record<string, number>;
}

const CASES: Case[] = [
  {
    file: 'tensorflow_onnx/fc-layers/frozen.pb',
    options: {},
    inputs: { X: [1, 784] },
    outputs: ['output'],
    ops: { FULLY_CONNECTED: 3 },
  },
  {
    file: 'tensorflow_onnx/ae0/frozen.pb',
    options: {},
    inputs: { X: [1, 784] },
    outputs: ['output'],
    ops: { FULLY_CONNECTED: 4, LOGISTIC: 4 },
  },
  {
    file: 'tensorflow_onnx/regression/graphdef/frozen.pb',
    options: { inputShapes: [[1]] },
    inputs: { X: [1] },
    outputs: ['pred'],
    ops: { MUL: 1, ADD: 1 },
  },
];

describe('float conversion matches tfjs on the source graph', () => {
  test.each(CASES)('$file', async ({ file, options, inputs, outputs, ops }) => {
    const pb = readModel(file);
    const { tflite } = convertGraphDef(pb, file, options);
    expect(opHistogram(tflite)).toEqual(ops);
    const random = mulberry32(42);
    const feeds = Object.entries(inputs).map(([name, shape]) => {
      const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random() * 2 - 1);
      return { name, shape, data };
    });
    const ours = await runTflite(tflite, feeds.map((f) => f.data));
    const ref = await runGraphDef(pb, Object.fromEntries(feeds.map((f) => [f.name, { dtype: 'float32' as const, shape: f.shape, data: f.data }])), outputs);
    expect(ours.outputs).toHaveLength(ref.length);
    ref.forEach((r, i) => {
      const o = ours.outputs[i]!;
      expect(o.shape).toEqual(r.shape.length === 0 ? o.shape : r.shape);
      expect(maxRelErr(o.data as Float32Array, r.data as Float32Array)).toBeLessThanOrEqual(1e-4);
    });
  });
});

describe('float16 weights', () => {
  test('fc-layers with float16 weights: DEQUANTIZE ops, half the bytes, outputs within 1e-2 of tfjs', async () => {
    const pb = readModel('tensorflow_onnx/fc-layers/frozen.pb');
    const float32 = convertGraphDef(pb, 'fc.pb').tflite;
    const { tflite } = convertGraphDef(pb, 'fc.pb', { quantizeToFloat16: true });
    const model = readTflite(tflite);
    expect(opHistogram(tflite)).toEqual({ FULLY_CONNECTED: 3, DEQUANTIZE: 6 });
    for (const op of model.main.ops) {
      if (op.dialect === 'tfl' && op.builtin === BuiltinOperator.DEQUANTIZE) {
        expect(op.inputs[0]!.dtype).toBe('float16');
        expect(op.version).toBe(3);
      }
    }
    expect(tflite.length).toBeLessThan(float32.length * 0.55);
    const random = mulberry32(7);
    const x = Float32Array.from({ length: 784 }, () => random());
    const ours = await runTflite(tflite, [x]);
    const [ref] = await runGraphDef(pb, { X: { dtype: 'float32', shape: [1, 784], data: x } }, ['output']);
    const err = maxRelErr(ours.outputs[0]!.data as Float32Array, ref!.data as Float32Array);
    expect(err).toBeLessThanOrEqual(1e-2);
    expect(err).toBeGreaterThan(0); // the weights really changed
  });
});

describe('fusions', () => {
  test('MatMul + BiasAdd + Relu becomes one FULLY_CONNECTED with RELU fused', () => {
    const { tflite } = convertGraphDef(readModel('tensorflow_onnx/fc-layers/frozen.pb'), 'fc.pb');
    const ops = readTflite(tflite).main.ops;
    const acts = ops.map((op) => (op.dialect === 'tfl' && op.builtin === BuiltinOperator.FULLY_CONNECTED ? (op.options?.value as { fusedActivationFunction: number }).fusedActivationFunction : -1));
    expect(acts).toEqual([ActivationFunctionType.RELU, ActivationFunctionType.RELU, ActivationFunctionType.NONE]);
    // Each FULLY_CONNECTED has its bias as a third input.
    for (const op of ops) expect(op.inputs[2]?.data).not.toBeNull();
  });
});

describe('multi-output nodes', () => {
  test('both outputs of a Split as model outputs: created on request, unique signature names, values as tfjs', async () => {
    const pb = new GraphDefBuilder()
      .placeholder('x', [6])
      .constant('axis', Int32Array.from([0]), [])
      .node('s', 'Split', ['axis', 'x'], { T: attr.type('float32'), num_split: attr.i(2) })
      .encode();
    const { tflite } = convertGraphDef(pb, 'split.pb', { outputArrays: ['s', 's:1'] });
    expect(readTflite(tflite).signatures[0]!.outputs.map((e) => e.name)).toEqual(['s', 's_1']);
    const x = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const ours = await runTflite(tflite, [x]);
    const ref = await runGraphDef(pb, { x: { dtype: 'float32', shape: [6], data: x } }, ['s:0', 's:1']);
    expect(ours.outputs.map((o) => Array.from(o.data as Float32Array))).toEqual(ref.map((r) => Array.from(r.data)));
  });
});

describe('reshape to a scalar', () => {
  test('becomes a SQUEEZE (an empty shape constant reads as "no data" in TFLite) and runs', async () => {
    const pb = new GraphDefBuilder()
      .placeholder('x', [1, 1])
      .constant('shape', new Int32Array(0), [0])
      .node('y', 'Reshape', ['x', 'shape'], { T: attr.type('float32'), Tshape: attr.type('int32') })
      .encode();
    const { tflite } = convertGraphDef(pb, 'scalar.pb');
    expect(opHistogram(tflite)).toEqual({ SQUEEZE: 1 });
    const ours = await runTflite(tflite, [Float32Array.of(4.25)]);
    expect(ours.outputs[0]!.shape).toEqual([]);
    expect(Array.from(ours.outputs[0]!.data as Float32Array)).toEqual([4.25]);
  });
});

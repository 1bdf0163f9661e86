/**
 * Every frozen GraphDef in the fixtures, converted and run in LiteRT.js:
 * - uTensor's per-op graphs read their inputs from Const nodes; those Consts become inputs
 *   (--input_arrays), are fed TensorFlow's own input values (x_0.idx ...) and the outputs are
 *   compared with TensorFlow's own results (output_*.idx);
 * - the larger graphs run on seeded random inputs against tfjs executing the same GraphDef
 *   (dropout keep_prob fed as 1 there; the converter removes dropout);
 * - graphs made by TF's eight-bit quantize_graph hold ops outside TFLite (QuantizedConv2D, ...):
 *   the conversion must fail, naming each of them.
 * Tolerance: max |err| / max |ref| ≤ 1e-4 for LiteRT.js; our float executor on the converted IR
 * is held to 1e-5 against the same references.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { convertGraphDef } from '../../src/api/convert.js';
import { Executor } from '../../src/exec/executor.js';
import { constValues } from '../../src/ir/tensor.js';
import { fromNumbers } from '../../src/kernels/value.js';
import { REGISTRY } from '../../src/ops/registry.js';
import { UnsupportedError } from '../../src/util/errors.js';
import { readIdx } from '../harness/idx.js';
import { runTflite, type TypedArray } from '../harness/litert.js';
import { mulberry32 } from '../harness/random-inputs.js';
import { runGraphDef } from '../harness/tfjs-graphdef.js';
import { maxRelErr } from '../helpers/compare.js';
import { manifestModels, MODELS_DIR, readModel } from '../helpers/fixtures.js';

const EIGHT_BIT_OPS = ['QuantizedConv2D', 'QuantizedMatMul', 'QuantizedMaxPool', 'QuantizedRelu', 'QuantizedReshape', 'QuantizedAdd', 'QuantizeV2', 'Dequantize', 'Requantize', 'RequantizationRange'];

/** Inputs and outputs of the graphs without TF-computed outputs, compared with tfjs. */
const RANDOM_INPUT_CASES: Record<string, { inputs: Record<string, number[]>; extra?: Record<string, number[]>; output: string }> = {
  'tensorflow_onnx/ae0/frozen.pb': { inputs: { X: [1, 784] }, output: 'output' },
  'tensorflow_onnx/fc-layers/frozen.pb': { inputs: { X: [1, 784] }, output: 'output' },
  'tensorflow_onnx/gru/frozen.pb': { inputs: { X: [1, 784] }, extra: { keep_prob: [] }, output: 'output' },
  'tensorflow_onnx/lstm/frozen.pb': { inputs: { X: [1, 784] }, extra: { keep_prob: [] }, output: 'output' },
  'tensorflow_onnx/regression/graphdef/frozen.pb': { inputs: { X: [1] }, output: 'pred' },
  'utensor_cgen/deep_cnn/buggy.pb': { inputs: { Placeholder: [1, 32, 32, 3] }, extra: { keep_prob: [] }, output: 'pred' },
  'utensor_cgen/deep_cnn/cifar10_cnn.pb': { inputs: { Placeholder: [1, 32, 32, 3] }, output: 'pred' },
  'utensor_cgen/deep_cnn_legacy/test_cnn_float.pb': {
    inputs: { img_batch: [1, 32, 32, 3] },
    extra: { keep_prob_1: [], keep_prob_2: [] },
    output: 'pred_label',
  },
  'utensor_cgen/deep_mlp/simple_mnist.pb': { inputs: { x: [10, 784] }, output: 'y_pred' },
  'utensor_cgen/placeholder/test_placeholder.pb': { inputs: { x: [4] }, output: 'y' },
  'utensor_cgen/placeholder/test_quant_placeholder.pb': { inputs: { x: [4] }, output: 'y' },
  // Only scalar Consts (x + y + w); x, y and w become the inputs.
  'utensor_cgen/simple_graph/simple_graph.pb': { inputs: { x: [], y: [], w: [] }, output: 'u' },
  // Its output_z.idx came from the eight-bit twin, not from this float graph.
  'utensor_cgen/quantized_add/test_quantized_add.pb': { inputs: {}, output: 'z' },
};

/** Const nodes of the uTensor graphs that are data, not parameters: they become the inputs. */
const DATA_CONSTS = ['x', 'y', 'X'];

/** Upstream's output_nodes.txt names dropout_output/mul, but this graph calls it output_dropout/mul (see MANIFEST.md). */
const OUTPUT_OVERRIDES: Record<string, string> = { 'utensor_cgen/dropout/test_quant_dropout.pb': 'output_dropout/mul' };

function idxIn(dir: string, name: string) {
  const file = path.join(MODELS_DIR, dir, name);
  return existsSync(file) ? readIdx(new Uint8Array(readFileSync(file))) : null;
}

const graphs = manifestModels('graphdef');
const eightBit = graphs.filter((g) => EIGHT_BIT_OPS.some((op) => g.op_counts?.[op]));
const withTfOutputs = graphs.filter((g) => !eightBit.includes(g) && !(g.path in RANDOM_INPUT_CASES));

/**
 * Runs the converted model in LiteRT.js. A graph of Consts folds to a model without inputs or
 * ops whose output is a constant; there is nothing to execute, so its value is read instead.
 */
async function runConverted(tflite: Uint8Array, model: ReturnType<typeof convertGraphDef>['model'], inputs: TypedArray[]) {
  const out = model.main.outputs[0]!;
  if (model.main.ops.length === 0 && out.data?.kind === 'bytes') {
    return { outputs: [{ data: constValues(out.data, out.dtype!) as ArrayLike<number> }] };
  }
  return runTflite(tflite, inputs);
}

/** Runs the converted IR in our executor (reference kernels), inputs given as their graph dtypes. */
function executeOurs(model: ReturnType<typeof convertGraphDef>['model'], inputs: ArrayLike<number>[]) {
  return new Executor(model, REGISTRY).run(
    model.main.inputs.map((t, i) => fromNumbers(t.dtype!, t.shape!.slice(), Array.from(inputs[i]!, Number))),
  );
}

describe('eight-bit quantize_graph graphs are refused, every TFLite-less op named', () => {
  test.each(eightBit.map((g) => [g.path, g] as const))('%s', (file, entry) => {
    const dir = path.dirname(file);
    let error: unknown;
    try {
      convertGraphDef(readModel(file), file, { outputArrays: [readFileSync(path.join(MODELS_DIR, dir, 'output_nodes.txt'), 'utf8').trim()] });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UnsupportedError);
    for (const op of EIGHT_BIT_OPS.filter((o) => entry.op_counts?.[o] && o !== 'Dequantize')) {
      expect((error as Error).message).toContain(op);
    }
  });
});

describe('per-op graphs: LiteRT.js output equals TensorFlow output_*.idx', () => {
  test.each(withTfOutputs.map((g) => [g.path] as const))('%s', async (file) => {
    const dir = path.dirname(file);
    const output = OUTPUT_OVERRIDES[file] ?? readFileSync(path.join(MODELS_DIR, dir, 'output_nodes.txt'), 'utf8').trim();
    const placeholderInput = idxIn(dir, 'input_x.idx');
    const feeds = placeholderInput !== null ? [{ name: 'x', idx: placeholderInput }] : DATA_CONSTS.flatMap((name) => {
      const idx = idxIn(dir, `${name}_0.idx`);
      return idx === null ? [] : [{ name, idx }];
    });
    // TF's result: output_<x>.idx; a lone Const's output is its own value (<x>_0.idx).
    const expectedFile =
      readdirSync(path.join(MODELS_DIR, dir)).find((f) => /^(output_|dropout_output).*\.idx$/.test(f)) ?? `${output}_0.idx`;
    const expected = idxIn(dir, expectedFile);
    if (expected === null) throw new Error(`${file}: no expected output`);
    const { tflite, model } = convertGraphDef(readModel(file), file, {
      inputArrays: feeds.map((f) => f.name),
      inputShapes: feeds.map((f) => f.idx.shape),
      outputArrays: [output],
    });
    const { outputs } = await runConverted(tflite, model, feeds.map((f) => f.idx.data as TypedArray));
    expect(outputs[0]!.data.length).toBe(expected.data.length);
    expect(maxRelErr(outputs[0]!.data as ArrayLike<number>, expected.data)).toBeLessThanOrEqual(1e-4);
    // Our float executor on the converted IR, against TensorFlow's own values.
    const [executed] = executeOurs(model, feeds.map((f) => f.idx.data));
    expect(maxRelErr(executed!.data as ArrayLike<number>, expected.data)).toBeLessThanOrEqual(1e-5);
  });
});

describe('larger graphs: LiteRT.js vs tfjs on random inputs', () => {
  test.each(Object.entries(RANDOM_INPUT_CASES))('%s', async (file, { inputs, extra, output }) => {
    const pb = readModel(file);
    const { tflite, model } = convertGraphDef(pb, file, {
      inputArrays: Object.keys(inputs),
      inputShapes: Object.values(inputs),
      outputArrays: [output],
    });
    const random = mulberry32(11);
    const feeds = Object.entries(inputs).map(([name, shape]) => ({
      name,
      shape,
      data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random() * 2 - 1),
    }));
    const ours = await runConverted(tflite, model, feeds.map((f) => f.data));
    const refInputs = Object.fromEntries([
      ...feeds.map((f) => [f.name, { dtype: 'float32' as const, shape: f.shape, data: f.data }]),
      ...Object.entries(extra ?? {}).map(([name, shape]) => [name, { dtype: 'float32' as const, shape, data: Float32Array.of(1) }]),
    ]);
    const [ref] = await runGraphDef(pb, refInputs, [output]);
    expect(maxRelErr(ours.outputs[0]!.data as ArrayLike<number>, ref!.data)).toBeLessThanOrEqual(1e-4);
    // Our float executor on the converted IR, against tfjs on the source graph.
    const [executed] = executeOurs(model, feeds.map((f) => f.data));
    expect(maxRelErr(executed!.data as ArrayLike<number>, ref!.data)).toBeLessThanOrEqual(1e-5);
  });
});

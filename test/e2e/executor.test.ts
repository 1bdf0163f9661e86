/**
 * Our float executor (reference kernels over the converted IR) against tfjs running the source
 * GraphDef: every model output, and every intermediate tensor that still carries a TF node's
 * name after conversion, within 1e-5 relative.
 */
import { describe, expect, test } from 'vitest';
import { convertGraphDef } from '../../src/api/convert.js';
import { Executor } from '../../src/exec/executor.js';
import type { Tensor } from '../../src/ir/tensor.js';
import type { Value } from '../../src/kernels/value.js';
import { REGISTRY } from '../../src/ops/registry.js';
import { mulberry32 } from '../harness/random-inputs.js';
import { loadGraphDef } from '../harness/tfjs-graphdef.js';
import { maxRelErr } from '../helpers/compare.js';
import { readModel } from '../helpers/fixtures.js';

const CASES: { file: string; inputs: Record<string, number[]>; extra?: Record<string, number[]> }[] = [
  { file: 'tensorflow_onnx/fc-layers/frozen.pb', inputs: { X: [1, 784] } },
  { file: 'tensorflow_onnx/ae0/frozen.pb', inputs: { X: [1, 784] } },
  { file: 'tensorflow_onnx/lstm/frozen.pb', inputs: { X: [1, 784] }, extra: { keep_prob: [] } },
  { file: 'tensorflow_onnx/gru/frozen.pb', inputs: { X: [1, 784] }, extra: { keep_prob: [] } },
  { file: 'utensor_cgen/deep_cnn/cifar10_cnn.pb', inputs: { Placeholder: [1, 32, 32, 3] } },
  { file: 'utensor_cgen/deep_mlp/simple_mnist.pb', inputs: { x: [10, 784] } },
];

describe('float executor matches tfjs, outputs and intermediates', () => {
  test.each(CASES)('$file', async ({ file, inputs, extra }) => {
    const pb = readModel(file);
    const { model } = convertGraphDef(pb, file, { inputArrays: Object.keys(inputs), inputShapes: Object.values(inputs) });
    const random = mulberry32(5);
    const feeds: Value[] = Object.values(inputs).map((shape) => ({
      dtype: 'float32',
      shape,
      data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random() * 2 - 1),
    }));
    const seen = new Map<Tensor, Value>();
    new Executor(model, REGISTRY).run(feeds, (t, v) => seen.set(t, v));

    const runner = await loadGraphDef(pb);
    try {
      const tfNodes = new Set(runner.nodes.map((n) => n.name));
      const compared = [...seen.keys()].filter((t) => t.producer !== null && tfNodes.has(t.name));
      const refInputs = Object.fromEntries([
        ...Object.keys(inputs).map((name, i) => [name, { dtype: 'float32' as const, shape: feeds[i]!.shape, data: feeds[i]!.data as Float32Array }]),
        ...Object.entries(extra ?? {}).map(([name, shape]) => [name, { dtype: 'float32' as const, shape, data: Float32Array.of(1) }]),
      ]);
      const refs = await runner.run(refInputs, compared.map((t) => t.name));
      expect(compared.length).toBeGreaterThanOrEqual(model.main.outputs.length);
      for (const output of model.main.outputs) expect(compared.map((t) => t.name)).toContain(output.name);
      compared.forEach((t, i) => {
        const ours = seen.get(t)!;
        const ref = refs[i]!;
        expect(ours.data.length, t.name).toBe(ref.data.length);
        expect(maxRelErr(ours.data as ArrayLike<number>, ref.data), t.name).toBeLessThanOrEqual(1e-5);
      });
    } finally {
      runner.dispose();
    }
  }, 60_000);
});

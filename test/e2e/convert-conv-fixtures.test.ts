/**
 * Convolution and pooling end to end on real fixtures: uTensor's per-op graphs (Conv2D, MaxPool)
 * against TensorFlow's recorded outputs, and a CIFAR-10 CNN against tfjs running the same
 * GraphDef. The .tflite runs in LiteRT.js; max |err| / max |ref| ≤ 1e-4, and each case asserts
 * the TFLite op histogram. The synthetic graphs are in convert-conv.test.ts.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { convertGraphDef } from '../../src/api/convert.js';
import { REGISTRY } from '../../src/ops/registry.js';
import { readIdx } from '../harness/idx.js';
import { runTflite } from '../harness/litert.js';
import { randomFloats } from '../harness/random-inputs.js';
import { runGraphDef } from '../harness/tfjs-graphdef.js';
import { maxRelErr } from '../helpers/compare.js';
import { readModel } from '../helpers/fixtures.js';
import { opHistogram } from '../helpers/tfl-ops.js';

const errors: [string, number][] = [];

afterAll(() => {
  const worst = errors.reduce((m, [, e]) => Math.max(m, e), 0);
  console.log(`convert-conv-fixtures: ${errors.length} comparisons, worst max|err|/max|ref| = ${worst.toExponential(2)}`);
});

function idx(path: string): { shape: number[]; data: Float32Array } {
  const t = readIdx(readModel(path));
  return { shape: t.shape, data: Float32Array.from(t.data) };
}

describe('uTensor fixtures match TensorFlow', () => {
  const cases = [
    { dir: 'conv', pb: 'test_conv.pb', output: 'out_conv', expected: 'output_conv.idx', ops: { CONV_2D: 1 } },
    { dir: 'max_pool_1', pb: 'test_max_pool_1.pb', output: 'pool1', expected: 'output_pool.idx', ops: { MAX_POOL_2D: 1 } },
    ...[2, 3, 4, 5, 6].map((i) => ({ dir: `max_pool_${i}`, pb: `test_max_pool_${i}.pb`, output: `pool${i}`, expected: `output_max_pool_${i}.idx`, ops: { MAX_POOL_2D: 1 } })),
  ];
  test.each(cases)('$dir', async (c) => {
    const outputs = new TextDecoder().decode(readModel(`utensor_cgen/${c.dir}/output_nodes.txt`)).trim().split(/[\s,]+/);
    expect(outputs).toEqual([c.output]);
    const { tflite } = convertGraphDef(readModel(`utensor_cgen/${c.dir}/${c.pb}`), c.pb, { inputArrays: ['x'], outputArrays: outputs });
    expect(opHistogram(tflite)).toEqual(c.ops);
    const x = idx(`utensor_cgen/${c.dir}/x_0.idx`);
    const want = idx(`utensor_cgen/${c.dir}/${c.expected}`);
    const ours = await runTflite(tflite, [x.data]);
    expect(ours.outputs[0]!.shape).toEqual(want.shape);
    const err = maxRelErr(ours.outputs[0]!.data as Float32Array, want.data);
    errors.push([c.dir, err]);
    expect(err).toBeLessThanOrEqual(1e-4);
  });

  test('deep_cnn/cifar10_cnn.pb matches tfjs on a random image', async () => {
    const pb = readModel('utensor_cgen/deep_cnn/cifar10_cnn.pb');
    const image = randomFloats(32 * 32 * 3, 77, 0, 1);
    const feeds = { Placeholder: { dtype: 'float32' as const, shape: [1, 32, 32, 3], data: image } };
    // The logits before ArgMax, numerically; the prediction too when ArgMax (another family) converts.
    const outputs = REGISTRY.legalization('ArgMax') ? ['fully_connect_2/logits', 'pred'] : ['fully_connect_2/logits'];
    for (const output of outputs) {
      const { tflite } = convertGraphDef(pb, 'cifar10_cnn.pb', { outputArrays: [output], inputShapes: [[1, 32, 32, 3]] });
      const ops = opHistogram(tflite);
      expect(ops).toMatchObject({ CONV_2D: 6, MAX_POOL_2D: 2, FULLY_CONNECTED: 3 });
      // Every bias add and ReLU fused into its conv or fully-connected layer.
      expect(ops.ADD).toBeUndefined();
      expect(ops.RELU).toBeUndefined();
      const ours = await runTflite(tflite, [image]);
      const [ref] = await runGraphDef(pb, feeds, [output]);
      const got = Array.from(ours.outputs[0]!.data as ArrayLike<number | bigint>, Number);
      if (output === 'pred') {
        expect(got).toEqual(Array.from(ref!.data, Number));
        continue;
      }
      const err = maxRelErr(got, ref!.data as Float32Array);
      errors.push(['cifar10_cnn', err]);
      expect(err).toBeLessThanOrEqual(1e-4);
    }
  });
});

// Tests of the LiteRT.js harness on real models with known behaviour: outputs checked against
// sin(x), quantized references and hand computations, and the inputs randomInputsFor generates.
// Data types, orderings and failure modes are tested in litert.test.ts.
import { describe, expect, it } from 'vitest';
import { describeTflite, randomInputsFor, RANDOM_INT_RANGES, runTflite } from './litert.js';
import { floats, HELLO_FLOAT, HELLO_INT8, int8s, loadModel, SIMPLE_ADD } from './litert-test-helpers.js';

describe('hello_world (sine regression)', () => {
  it('float model: sin(x) within 0.1, dynamic batch dim pinned to 1', async () => {
    const model = loadModel(HELLO_FLOAT);
    const description = await describeTflite(model);
    expect(description.pinnedDynamicDims).toBe(true);
    expect(description.inputs).toEqual([{ name: 'dense_input', dtype: 'float32', shape: [1, 1] }]);
    for (const x of [1.0, 0.5, Math.PI / 2, 2.5, Math.PI, (3 * Math.PI) / 2, 5.5]) {
      const result = await runTflite(model, [new Float32Array([x])]);
      expect(result.outputs).toHaveLength(1);
      expect(result.outputs[0]).toMatchObject({ name: 'dense_2', dtype: 'float32', shape: [1, 1] });
      expect(Math.abs(floats(result.outputs[0])[0]! - Math.sin(x))).toBeLessThan(0.1);
    }
  });

  it('int8 model: quantized input, dequantized output ≈ sin(x) within 0.15', async () => {
    const model = loadModel(HELLO_INT8);
    const { inputs, outputs } = await describeTflite(model);
    // The manifest's parameters, checked against what the harness reads from the flatbuffer.
    const [inScale, inZero, outScale, outZero] = [0.02448, -128, 0.008291, 5];
    expect(inputs[0]).toMatchObject({ dtype: 'int8', shape: [1, 1] });
    expect(inputs[0]!.quantization!.scale[0]).toBeCloseTo(inScale, 5);
    expect(inputs[0]!.quantization!.zeroPoint).toEqual([inZero]);
    expect(outputs[0]!.quantization!.scale[0]).toBeCloseTo(outScale, 6);
    expect(outputs[0]!.quantization!.zeroPoint).toEqual([outZero]);

    for (const x of [0.5, 1.0, Math.PI / 2, 2.5, Math.PI, 4.0, (3 * Math.PI) / 2, 5.5]) {
      const q = Math.max(-128, Math.min(127, Math.round(x / inScale) + inZero));
      const result = await runTflite(model, { dense_input: new Int8Array([q]) });
      const y = (int8s(result.outputs[0])[0]! - outZero) * outScale;
      expect(Math.abs(y - Math.sin(x))).toBeLessThan(0.15);
    }
  });
});

describe('real models with checkable outputs', () => {
  it('simple_add_model: int8 ADD matches the quantized reference within 1 LSB', async () => {
    const model = loadModel(SIMPLE_ADD);
    const { inputs: infos, outputs: outInfos } = await describeTflite(model);
    const [a, b] = (await randomInputsFor(model, 42)) as [Int8Array, Int8Array];
    const result = await runTflite(model, [a, b]);
    const out = int8s(result.outputs[0]);
    expect(result.outputs[0]!.shape).toEqual([1, 128, 128, 1]);

    const [qa, qb, qo] = [infos[0]!.quantization!, infos[1]!.quantization!, outInfos[0]!.quantization!];
    expect([qa.scale[0], qa.zeroPoint[0]]).toEqual([expect.closeTo(0.040725, 5), -2]);
    expect([qb.scale[0], qb.zeroPoint[0]]).toEqual([expect.closeTo(0.041246, 5), -1]);
    expect([qo.scale[0], qo.zeroPoint[0]]).toEqual([expect.closeTo(0.058377, 5), -3]);
    let maxDiff = 0;
    for (let i = 0; i < out.length; i++) {
      const real = qa.scale[0]! * (a[i]! - qa.zeroPoint[0]!) + qb.scale[0]! * (b[i]! - qb.zeroPoint[0]!);
      const expected = Math.max(-128, Math.min(127, Math.round(real / qo.scale[0]!) + qo.zeroPoint[0]!));
      maxDiff = Math.max(maxDiff, Math.abs(out[i]! - expected));
    }
    expect(maxDiff).toBeLessThanOrEqual(1);
    // Not all saturated or constant: the comparison above means something.
    expect(new Set(out).size).toBeGreaterThan(100);
  });

  it('reduceModel: MEAN over axis 2', async () => {
    const model = loadModel('utensor_cgen/reduce_model/reduceModel.tflite');
    const x = Float32Array.from({ length: 125 }, (_, i) => Math.sin(i * 1.7));
    const out = floats((await runTflite(model, [x])).outputs[0]);
    expect(out).toHaveLength(25);
    for (let i = 0; i < 5; i++) {
      for (let k = 0; k < 5; k++) {
        let sum = 0;
        for (let j = 0; j < 5; j++) sum += x[i * 25 + j * 5 + k]!;
        expect(out[i * 5 + k]).toBeCloseTo(sum / 5, 5);
      }
    }
  });

  it('regression model: scalar (rank-0) input, affine output', async () => {
    const model = loadModel('tensorflow_onnx/regression/tflite/model.tflite');
    const f = async (x: number) => floats((await runTflite(model, [new Float32Array([x])])).outputs[0])[0]!;
    const [y0, y1, y3] = [await f(0), await f(1), await f(3)];
    expect((await describeTflite(model)).inputs[0]!.shape).toEqual([]);
    expect(y3 - y0).toBeCloseTo(3 * (y1 - y0), 5);
    expect(y1).not.toBeCloseTo(y0, 3);
  });

  it('test_api_model: ADD of the input to itself', async () => {
    const model = loadModel('tensorflow_onnx/regression/tflite/test_api_model.tflite');
    const out = floats((await runTflite(model, [new Float32Array([0, 1, 2.5, -3])])).outputs[0]);
    expect(Array.from(out)).toEqual([0, 2, 5, -6]);
  });

  it('micro_speech_quantized: the int8 softmax output is a distribution', async () => {
    const model = loadModel('tflite_micro/micro_speech/micro_speech_quantized.tflite');
    const result = await runTflite(model, await randomInputsFor(model, 7));
    const out = int8s(result.outputs[0]);
    const { scale, zeroPoint } = result.outputs[0]!.quantization!;
    const total = Array.from(out).reduce((sum, q) => sum + (q - zeroPoint[0]!) * scale[0]!, 0);
    expect(total).toBeGreaterThan(0.95);
    expect(total).toBeLessThan(1.05);
  });
});

describe('randomInputsFor', () => {
  it('is deterministic per seed and covers every input with its dtype and range', async () => {
    const model = loadModel(SIMPLE_ADD);
    const [a1, b1] = await randomInputsFor(model, 1);
    const [a2] = await randomInputsFor(model, 1);
    const [a3] = await randomInputsFor(model, 2);
    expect(a1).toBeInstanceOf(Int8Array);
    expect(b1).toBeInstanceOf(Int8Array);
    expect(a1).toHaveLength(128 * 128);
    expect(a2).toEqual(a1);
    expect(a3).not.toEqual(a1);
    expect(b1).not.toEqual(a1); // one stream across inputs, not the same data twice
    const values = Array.from(a1 as Int8Array);
    expect(Math.min(...values)).toBe(RANDOM_INT_RANGES.int8[0]);
    expect(Math.max(...values)).toBe(RANDOM_INT_RANGES.int8[1]);

    const [x] = await randomInputsFor(loadModel('utensor_cgen/quant_mnist_cnn/quant_mnist_cnn.tflite'), 3);
    expect(x).toBeInstanceOf(Float32Array);
    const floatsIn = Array.from(x as Float32Array);
    expect(floatsIn).toHaveLength(28 * 28);
    expect(Math.min(...floatsIn)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...floatsIn)).toBeLessThan(1);
    expect(Math.min(...floatsIn)).toBeLessThan(-0.9);
    expect(Math.max(...floatsIn)).toBeGreaterThan(0.9);
  });
});

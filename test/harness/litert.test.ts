// Tests of the LiteRT.js harness itself: real models with known behaviour, hand-built models for
// the data types and orderings the harness promises, and every way a model must fail loudly.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as flatbuffers from 'flatbuffers';
import { describe, expect, it } from 'vitest';
import { BufferT } from '../../generated/tflite/buffer.js';
import { BuiltinOperator } from '../../generated/tflite/builtin-operator.js';
import { ModelT } from '../../generated/tflite/model.js';
import { OperatorCodeT } from '../../generated/tflite/operator-code.js';
import { Operator, OperatorT } from '../../generated/tflite/operator.js';
import { SignatureDefT } from '../../generated/tflite/signature-def.js';
import { SubGraphT } from '../../generated/tflite/sub-graph.js';
import { TensorMapT } from '../../generated/tflite/tensor-map.js';
import { TensorType } from '../../generated/tflite/tensor-type.js';
import { TensorT } from '../../generated/tflite/tensor.js';
import {
  describeTflite,
  LiteRtError,
  LiteRtUnsupportedError,
  loadRuntime,
  pinDynamicShapeSignatures,
  randomInputsFor,
  RANDOM_INT_RANGES,
  runTflite,
  type TfliteOutput,
} from './litert.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const modelsDir = path.resolve(repoRoot, '../shared/models');
const loadModel = (relative: string) => new Uint8Array(readFileSync(path.join(modelsDir, relative)));

const HELLO_FLOAT = 'tflite_micro/hello_world/hello_world_float.tflite';
const HELLO_INT8 = 'tflite_micro/hello_world/hello_world_int8.tflite';
const SIMPLE_ADD = 'tflite_micro/memory_footprint/simple_add_model.tflite';

function floats(output: TfliteOutput | undefined): Float32Array {
  expect(output?.data).toBeInstanceOf(Float32Array);
  return output!.data as Float32Array;
}

function int8s(output: TfliteOutput | undefined): Int8Array {
  expect(output?.data).toBeInstanceOf(Int8Array);
  return output!.data as Int8Array;
}

// ---------------------------------------------------------------------------------------------
// Hand-built models. The generated object API's OperatorT.pack always writes an empty
// custom_options vector, which TFLite reports as an ERROR for builtin ops (see the test below), so
// these operators are packed without it.

class BuiltinOperatorT extends OperatorT {
  override pack(builder: flatbuffers.Builder): flatbuffers.Offset {
    const inputs = Operator.createInputsVector(builder, this.inputs);
    const outputs = Operator.createOutputsVector(builder, this.outputs);
    Operator.startOperator(builder);
    Operator.addOpcodeIndex(builder, this.opcodeIndex);
    Operator.addInputs(builder, inputs);
    Operator.addOutputs(builder, outputs);
    return Operator.endOperator(builder);
  }
}

interface TinyModel {
  opcodes: BuiltinOperator[];
  tensors: [name: string, type: TensorType, shape: number[]][];
  inputs: number[];
  outputs: number[];
  operators: [opcode: number, inputs: number[], outputs: number[]][];
  signature?: { inputs: [string, number][]; outputs: [string, number][] };
  operatorClass?: typeof OperatorT;
}

function buildModel(spec: TinyModel): Uint8Array {
  const Op = spec.operatorClass ?? BuiltinOperatorT;
  const model = new ModelT(
    3,
    spec.opcodes.map((code) => new OperatorCodeT(Math.min(code, 127), null, 1, code)),
    [
      new SubGraphT(
        spec.tensors.map(([name, type, shape]) => new TensorT(shape, type, 0, name)),
        spec.inputs,
        spec.outputs,
        spec.operators.map(([opcode, inputs, outputs]) => new Op(opcode, inputs, outputs)),
        'main',
      ),
    ],
    'harness test model',
    [new BufferT()],
  );
  if (spec.signature) {
    const maps = (entries: [string, number][]) => entries.map(([name, index]) => new TensorMapT(name, index));
    model.signatureDefs = [new SignatureDefT(maps(spec.signature.inputs), maps(spec.signature.outputs), 'serving_default', 0)];
  }
  const builder = new flatbuffers.Builder(1024);
  builder.finish(model.pack(builder), 'TFL3');
  return builder.asUint8Array().slice();
}

const F32 = TensorType.FLOAT32;

/** a, b, c → a+b, (a+b)-c, a-b; subgraph outputs deliberately not in creation or name order. */
function threeWayModel(withSignature: boolean): Uint8Array {
  return buildModel({
    opcodes: [BuiltinOperator.ADD, BuiltinOperator.SUB],
    tensors: [
      ['tm', F32, [2]],
      ['tz', F32, [2]],
      ['ta', F32, [2]],
      ['tp', F32, [2]],
      ['ty', F32, [2]],
      ['tb', F32, [2]],
    ],
    inputs: [0, 1, 2],
    outputs: [4, 5, 3],
    operators: [
      [0, [0, 1], [3]],
      [1, [3, 2], [4]],
      [1, [0, 1], [5]],
    ],
    // Signature-def vector order and alphabetical order both differ from the subgraph order.
    ...(withSignature
      ? { signature: { inputs: [['z', 1], ['m', 0], ['a', 2]], outputs: [['p', 3], ['b', 5], ['y', 4]] } }
      : {}),
  });
}

// ---------------------------------------------------------------------------------------------

describe('LiteRT.js runtime', () => {
  it('is loaded once per worker and cached', async () => {
    const first = loadRuntime();
    expect(loadRuntime()).toBe(first);
    await first;
  });
});

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

describe('data types, names and order', () => {
  it('bool in and out (LOGICAL_NOT)', async () => {
    const model = buildModel({
      opcodes: [BuiltinOperator.LOGICAL_NOT],
      tensors: [
        ['x', TensorType.BOOL, [4]],
        ['y', TensorType.BOOL, [4]],
      ],
      inputs: [0],
      outputs: [1],
      operators: [[0, [0], [1]]],
    });
    const result = await runTflite(model, [new Uint8Array([1, 0, 0, 1])]);
    expect(result.outputs[0]).toMatchObject({ name: 'y', dtype: 'bool', shape: [4] });
    expect(Array.from(result.outputs[0]!.data as Uint8Array)).toEqual([0, 1, 1, 0]);
  });

  it('int64 in and out (ADD), beyond 32 bits', async () => {
    const I64 = TensorType.INT64;
    const model = buildModel({
      opcodes: [BuiltinOperator.ADD],
      tensors: [
        ['a', I64, [3]],
        ['b', I64, [3]],
        ['c', I64, [3]],
      ],
      inputs: [0, 1],
      outputs: [2],
      operators: [[0, [0, 1], [2]]],
    });
    const result = await runTflite(model, [new BigInt64Array([1n, 2n, 1n << 40n]), new BigInt64Array([10n, -20n, 5n])]);
    expect(result.outputs[0]!.dtype).toBe('int64');
    expect(Array.from(result.outputs[0]!.data as BigInt64Array)).toEqual([11n, -18n, (1n << 40n) + 5n]);
  });

  it('int16 in (CAST to float32) and int16 out (CAST from int32)', async () => {
    const cast = (from: TensorType, to: TensorType) =>
      buildModel({
        opcodes: [BuiltinOperator.CAST],
        tensors: [
          ['in', from, [3]],
          ['out', to, [3]],
        ],
        inputs: [0],
        outputs: [1],
        operators: [[0, [0], [1]]],
      });
    const toFloat = await runTflite(cast(TensorType.INT16, F32), [new Int16Array([1, -300, 32767])]);
    expect(toFloat.inputs[0]!.dtype).toBe('int16');
    expect(Array.from(floats(toFloat.outputs[0]))).toEqual([1, -300, 32767]);
    const toInt16 = await runTflite(cast(TensorType.INT32, TensorType.INT16), [new Int32Array([1, -300, 32767])]);
    expect(toInt16.outputs[0]!.data).toEqual(new Int16Array([1, -300, 32767]));
  });

  it('inputs and outputs follow the subgraph order, without a SignatureDef named by tensor', async () => {
    const inputs = [new Float32Array([1, 2]), new Float32Array([10, 20]), new Float32Array([100, 200])];
    const result = await runTflite(threeWayModel(false), inputs);
    expect(result.inputs.map((i) => i.name)).toEqual(['tm', 'tz', 'ta']);
    expect(result.outputs.map((o) => [o.name, Array.from(floats(o))])).toEqual([
      ['ty', [-89, -178]],
      ['tb', [-9, -18]],
      ['tp', [11, 22]],
    ]);
  });

  it('with a SignatureDef: signature names, but still the subgraph order (not the SignatureDef order)', async () => {
    const model = threeWayModel(true);
    const inputs = [new Float32Array([1, 2]), new Float32Array([10, 20]), new Float32Array([100, 200])];
    const result = await runTflite(model, inputs);
    expect(result.inputs.map((i) => i.name)).toEqual(['m', 'z', 'a']);
    expect(result.outputs.map((o) => [o.name, Array.from(floats(o))])).toEqual([
      ['y', [-89, -178]],
      ['b', [-9, -18]],
      ['p', [11, 22]],
    ]);
    // Keyed inputs give the same result.
    const keyed = await runTflite(model, { a: inputs[2]!, z: inputs[1]!, m: inputs[0]! });
    expect(keyed.outputs.map((o) => Array.from(floats(o)))).toEqual(result.outputs.map((o) => Array.from(floats(o))));
  });

  it('rejects inputs of the wrong type, length or name', async () => {
    const model = loadModel(HELLO_INT8);
    await expect(runTflite(model, [new Float32Array([1])])).rejects.toThrow(/expected a Int8Array, got Float32Array/);
    await expect(runTflite(model, [new Int8Array([1, 2])])).rejects.toThrow(/shape \[1, 1\] \(1 elements\), got 2/);
    await expect(runTflite(model, [])).rejects.toThrow(/model has 1 input/);
    await expect(runTflite(model, { x: new Int8Array([1]) })).rejects.toThrow(/unknown input\(s\) x/);
  });

  it('does not modify the caller’s model bytes when pinning dynamic dims', async () => {
    const model = loadModel(HELLO_FLOAT);
    const before = model.slice();
    const { bytes, pinned } = pinDynamicShapeSignatures(model);
    expect(pinned).toBe(true);
    expect(bytes).not.toBe(model);
    expect(bytes.length).toBe(model.length);
    await runTflite(model, [new Float32Array([1])]);
    expect(model).toEqual(before);
    // A model without -1 dims is passed through untouched.
    const add = loadModel(SIMPLE_ADD);
    expect(pinDynamicShapeSignatures(loadModel('utensor_cgen/reduce_model/reduceModel.tflite')).pinned).toBe(false);
    expect(pinDynamicShapeSignatures(add).pinned).toBe(true); // [-1,128,128,1] in its signature
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

describe('models that must fail, never return garbage', () => {
  it('unresolved custom ops (audio_preprocessor, TFLM Signal ops): the ERROR lines are in the rejection', async () => {
    const model = loadModel('tflite_micro/micro_speech/audio_preprocessor_float.tflite');
    // It compiles: LiteRT.js only finds out when allocating tensors at run time.
    const error = await runTflite(model, await randomInputsFor(model, 1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LiteRtError);
    expect(error).not.toBeInstanceOf(LiteRtUnsupportedError);
    const message = (error as LiteRtError).message;
    expect(message).toMatch(/ERROR: Encountered unresolved custom op: SignalWindow/);
    expect(message).toMatch(/ERROR: Node number 0 \(SignalWindow\) failed to prepare/);
    expect((error as LiteRtError).log.some((line) => line.includes('Failed to allocate tensors'))).toBe(true);
  });

  it('a kernel failing at invoke time (GATHER out of bounds) rejects; the runtime stays usable', async () => {
    const model = buildModel({
      opcodes: [BuiltinOperator.GATHER],
      tensors: [
        ['params', F32, [3]],
        ['indices', TensorType.INT32, [1]],
        ['out', F32, [1]],
      ],
      inputs: [0, 1],
      outputs: [2],
      operators: [[0, [0, 1], [2]]],
    });
    const params = new Float32Array([1, 2, 3]);
    await expect(runTflite(model, [params, new Int32Array([7])])).rejects.toThrow(
      /ERROR: gather index out of bounds[\s\S]*failed to invoke/,
    );
    expect(Array.from(floats((await runTflite(model, [params, new Int32Array([2])])).outputs[0]))).toEqual([3]);
  });

  it('truncated, random and empty files reject with the loader error', async () => {
    const full = loadModel(HELLO_FLOAT);
    let state = 12345;
    const garbage = Uint8Array.from({ length: 2000 }, () => (state = (state * 1103515245 + 12345) >>> 0) >>> 24);
    for (const bytes of [full.slice(0, full.length >> 1), full.slice(0, 16), garbage, new Uint8Array(0)]) {
      await expect(runTflite(bytes, [new Float32Array([1])])).rejects.toThrow(/Failed to load model from buffer/);
    }
    // and the runtime still works afterwards
    const after = await runTflite(full, [new Float32Array([Math.PI / 2])]);
    expect(floats(after.outputs[0])[0]).toBeCloseTo(1, 0);
  });

  it('variable tensors (stateful SVDF / LSTM) reject with LiteRtUnsupportedError', async () => {
    for (const file of ['tflite_micro/keyword_scrambled/keyword_scrambled.tflite', 'tflite_micro/mnist_lstm/trained_lstm.tflite']) {
      const error = await runTflite(loadModel(file), [new Float32Array(1)]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LiteRtUnsupportedError);
      expect((error as LiteRtUnsupportedError).reason).toBe('variable-tensors');
      expect((error as Error).message).toMatch(/variable tensors[\s\S]*ERROR: \[model_load\.cc:\d+\] Variable tensors not yet supported/);
    }
  });

  it('a builtin operator with a custom_options vector is reported (TFLite logs it as an ERROR)', async () => {
    // What the generated object API writes: OperatorT.pack always emits custom_options, even empty.
    const model = buildModel({
      opcodes: [BuiltinOperator.ADD],
      tensors: [
        ['a', F32, [1]],
        ['b', F32, [1]],
        ['c', F32, [1]],
      ],
      inputs: [0, 1],
      outputs: [2],
      operators: [[0, [0, 1], [2]]],
      operatorClass: OperatorT,
    });
    await expect(runTflite(model, [new Float32Array([1]), new Float32Array([2])])).rejects.toThrow(
      /ERROR: Found builtin operator ADD with custom options/,
    );
  });
});

// What LiteRT.js 2.5.3 does with every .tflite in the shared fixtures (random inputs, seed 1).
const FIXTURES: [file: string, expected: 'runs' | 'variable-tensors' | RegExp][] = [
  ['tensorflow_onnx/regression/tflite/model.tflite', 'runs'],
  ['tensorflow_onnx/regression/tflite/test_api_model.tflite', 'runs'],
  [HELLO_FLOAT, 'runs'],
  [HELLO_INT8, 'runs'],
  ['tflite_micro/keyword_scrambled/keyword_scrambled.tflite', 'variable-tensors'],
  ['tflite_micro/keyword_scrambled/keyword_scrambled_8bit.tflite', 'variable-tensors'],
  [SIMPLE_ADD, 'runs'],
  ['tflite_micro/micro_speech/audio_preprocessor_float.tflite', /unresolved custom op: SignalWindow/],
  ['tflite_micro/micro_speech/audio_preprocessor_int8.tflite', /unresolved custom op: SignalWindow/],
  ['tflite_micro/micro_speech/micro_speech_quantized.tflite', 'runs'],
  ['tflite_micro/mnist_lstm/trained_lstm.tflite', 'variable-tensors'],
  ['tflite_micro/mnist_lstm/trained_lstm_int8.tflite', 'variable-tensors'],
  // TOCO wrote quantized_dimension 3 on rank-1 per-channel bias tensors; TFLite rejects that.
  ['tflite_micro/person_detection/person_detect.tflite', /quantized_dimension must be in range \[0, 1\)\. Was 3/],
  ['utensor_cgen/quant_mnist_cnn/quant_mnist_cnn.tflite', 'runs'],
  ['utensor_cgen/reduce_model/reduceModel.tflite', 'runs'],
];

describe('every fixture .tflite', () => {
  it.each(FIXTURES)('%s: %s', async (file, expected) => {
    const model = loadModel(file);
    const run = async () => runTflite(model, await randomInputsFor(model, 1));
    if (expected === 'runs') {
      const result = await run();
      expect(result.outputs.length).toBeGreaterThan(0);
      for (const output of result.outputs) {
        expect(output.data.length).toBe(output.shape.reduce((a, b) => a * b, 1));
        if (output.data instanceof Float32Array) expect(output.data.every(Number.isFinite)).toBe(true);
      }
    } else if (expected === 'variable-tensors') {
      await expect(run()).rejects.toBeInstanceOf(LiteRtUnsupportedError);
    } else {
      await expect(run()).rejects.toThrow(expected);
    }
  });
});

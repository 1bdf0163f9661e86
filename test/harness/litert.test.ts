// Tests of the LiteRT.js harness itself: hand-built models for the data types and orderings the
// harness promises, every way a model must fail loudly, and what LiteRT.js does with every fixture
// .tflite. Numerical checks on real models are in litert-real-models.test.ts.
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
  LiteRtError,
  LiteRtUnsupportedError,
  loadRuntime,
  pinDynamicShapeSignatures,
  randomInputsFor,
  runTflite,
} from './litert.js';
import { floats, HELLO_FLOAT, HELLO_INT8, loadModel, SIMPLE_ADD } from './litert-test-helpers.js';

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

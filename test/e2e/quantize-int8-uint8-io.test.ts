/**
 * uint8 model inputs and outputs of a full-integer model (`inference_input_type` /
 * `inference_output_type` UINT8), made as TFLite's modify_model_interface makes them: the input
 * is uint8 at the int8 scale with the zero point + 128, converted to int8 by a QUANTIZE; a QUANTIZE
 * takes the int8 output to uint8 the same way. Checked in LiteRT.js: the uint8 model's codes are
 * the int8 model's + 128 exactly, and it follows the float model within SQNR ≥ 25 dB.
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

const f = { T: attr.type('float32') };
const calibration = { dataset: 'random', inputRange: [-1, 1] as [number, number], maxSamples: 16 };
const tflOps = (bytes: Uint8Array) => readTflite(bytes).main.ops.filter((op): op is TflOp => op.dialect === 'tfl');
const params = (t: Tensor) => ({ scale: t.quant!.scale[0]!, zeroPoint: t.quant!.zeroPoint[0]! });

/** x → Add(x, c) → Relu (fused into ADD) → Mul(·, x): the input feeds two int8 ops. */
function int8Graph(): Uint8Array {
  const g = new GraphDefBuilder();
  g.placeholder('x', [1, 6, 4]);
  g.constant('c', Float32Array.of(0.5, -0.25, 0.1, 0.3), [4]);
  g.node('a', 'AddV2', ['x', 'c'], f);
  g.node('r', 'Relu', ['a'], f);
  g.node('y', 'Mul', ['r', 'x'], f);
  return g.encode();
}

function floatsOf(codes: ArrayLike<number>, p: { scale: number; zeroPoint: number }): Float32Array {
  return Float32Array.from(codes, (q) => (q - p.zeroPoint) * p.scale);
}

describe('uint8 inference input and output types', () => {
  test('QUANTIZE uint8 → int8 at the input, int8 → uint8 at the output; codes = int8 model’s + 128', async () => {
    const bytes = int8Graph();
    const float = convertGraphDef(bytes, 'g.pb', {}).tflite;
    const u8 = await convertGraphDefInt8(bytes, 'g.pb', {}, calibration, { inferenceInputType: 'uint8', inferenceOutputType: 'uint8' });
    const i8 = await convertGraphDefInt8(bytes, 'g.pb', {}, calibration, { inferenceInputType: 'int8', inferenceOutputType: 'int8' });
    const ops = tflOps(u8.tflite);
    expect(ops.map((op) => `${builtinName(op.builtin)}@${op.version}`)).toEqual(['QUANTIZE@1', 'ADD@2', 'MUL@2', 'QUANTIZE@1']);
    const first = ops[0]!;
    const last = ops[ops.length - 1]!;
    expect(first.inputs[0]!.dtype).toBe('uint8');
    expect(first.outputs[0]!.dtype).toBe('int8');
    expect(params(first.inputs[0]!)).toEqual({ ...params(first.outputs[0]!), zeroPoint: params(first.outputs[0]!).zeroPoint + 128 });
    expect(last.inputs[0]!.dtype).toBe('int8');
    expect(last.outputs[0]!.dtype).toBe('uint8');
    expect(params(last.outputs[0]!)).toEqual({ ...params(last.inputs[0]!), zeroPoint: params(last.inputs[0]!).zeroPoint + 128 });
    // The int8 model's input and output parameters are the uint8 model's shifted back.
    const i8Ops = tflOps(i8.tflite);
    const inP = params(i8Ops[0]!.inputs[0]!);
    const outP = params(i8Ops[i8Ops.length - 1]!.outputs[0]!);
    expect(inP).toEqual(params(first.outputs[0]!));
    const uIn = params(first.inputs[0]!);
    const uOut = params(last.outputs[0]!);
    const random = mulberry32(9);
    const refs: Float32Array[] = [];
    const gots: Float32Array[] = [];
    for (let run = 0; run < 6; run++) {
      const x = Float32Array.from({ length: 24 }, () => random() * 2 - 1);
      const xi8 = Int8Array.from(x, (v) => Math.max(-128, Math.min(127, Math.round(v / inP.scale) + inP.zeroPoint)));
      const xu8 = Uint8Array.from(xi8, (q) => q + 128);
      const ou8 = (await runTflite(u8.tflite, [xu8])).outputs[0]!;
      const oi8 = (await runTflite(i8.tflite, [xi8])).outputs[0]!;
      expect(ou8.dtype).toBe('uint8');
      expect(Array.from(ou8.data as Uint8Array)).toEqual(Array.from(oi8.data as Int8Array, (q) => q + 128));
      refs.push((await runTflite(float, [floatsOf(xu8, uIn)])).outputs[0]!.data as Float32Array);
      gots.push(floatsOf(ou8.data as Uint8Array, uOut));
    }
    expect(params(i8Ops[i8Ops.length - 1]!.outputs[0]!)).toEqual(outP);
    const db = sqnr(refs, gots);
    console.log(`uint8 I/O: SQNR ${db.toFixed(1)} dB against the float model`);
    expect(db).toBeGreaterThanOrEqual(25);
  });

  test('a uint8 input also read by a float op (EXP) reaches it through a DEQUANTIZE; runs in LiteRT.js', async () => {
    const g = new GraphDefBuilder();
    g.placeholder('x', [1, 5]);
    g.node('e', 'Exp', ['x'], f);
    g.node('r', 'Relu', ['x'], f);
    g.node('y', 'AddV2', ['e', 'r'], f);
    const bytes = g.encode();
    const float = convertGraphDef(bytes, 'e.pb', {}).tflite;
    const u8 = await convertGraphDefInt8(bytes, 'e.pb', {}, calibration, { inferenceInputType: 'uint8' });
    const ops = tflOps(u8.tflite);
    const exp = ops.find((op) => op.builtin === BuiltinOperator.EXP)!;
    const feeder = ops.find((op) => op.outputs[0] === exp.inputs[0])!;
    expect(builtinName(feeder.builtin)).toBe('DEQUANTIZE');
    expect(feeder.inputs[0]!.dtype).toBe('uint8');
    const uIn = params(feeder.inputs[0]!);
    const codes = Uint8Array.of(0, 60, 128, 200, 255);
    const ref = (await runTflite(float, [floatsOf(codes, uIn)])).outputs[0]!.data as Float32Array;
    const got = (await runTflite(u8.tflite, [codes])).outputs[0]!.data as Float32Array;
    expect(sqnr([ref], [got])).toBeGreaterThanOrEqual(25);
  });
});

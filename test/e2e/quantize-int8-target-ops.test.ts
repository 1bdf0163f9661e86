/**
 * TF's target_ops for full-integer quantization: by default (TFLITE_BUILTINS) an op with no int8
 * kernel stays float between DEQUANTIZE and QUANTIZE and the model still runs in LiteRT.js; with
 * TFLITE_BUILTINS_INT8 alone it is an UnsupportedError naming each such op and node.
 */
import { describe, expect, test } from 'vitest';
import { BuiltinOperator } from '../../generated/tflite/builtin-operator.js';
import { convertGraphDef } from '../../src/api/convert.js';
import { convertGraphDefInt8 } from '../../src/api/quantize-int8.js';
import { readTflite } from '../../src/import/tflite.js';
import { builtinName, type TflOp } from '../../src/ir/op.js';
import { UnsupportedError } from '../../src/util/errors.js';
import { runTflite } from '../harness/litert.js';
import { mulberry32 } from '../harness/random-inputs.js';
import { sqnr } from '../helpers/compare.js';
import { attr, GraphDefBuilder } from '../helpers/graphdef-builder.js';

/** x → Relu → Exp → Tanh, Relu → Sin → Add: EXP and SIN have no int8 kernel here. */
function mixedGraph(): Uint8Array {
  const f = { T: attr.type('float32') };
  const g = new GraphDefBuilder();
  g.placeholder('x', [1, 6, 4]);
  g.node('relu', 'Relu', ['x'], f);
  g.node('exp', 'Exp', ['relu'], f);
  g.node('tanh', 'Tanh', ['exp'], f);
  g.node('sin', 'Sin', ['relu'], f);
  g.node('y', 'AddV2', ['tanh', 'sin'], f);
  return g.encode();
}

const calibration = { dataset: 'random', inputRange: [-1, 1] as [number, number], maxSamples: 16 };

describe('target ops', () => {
  test('TFLITE_BUILTINS (default): EXP and SIN stay float between DEQUANTIZE and QUANTIZE; runs in LiteRT.js', async () => {
    const bytes = mixedGraph();
    const float = convertGraphDef(bytes, 'mixed.pb', {}).tflite;
    const int8 = await convertGraphDefInt8(bytes, 'mixed.pb', {}, calibration);
    const ops = readTflite(int8.tflite).main.ops.filter((op): op is TflOp => op.dialect === 'tfl');
    const byType = (b: BuiltinOperator) => ops.find((op) => op.builtin === b)!;
    for (const b of [BuiltinOperator.EXP, BuiltinOperator.SIN]) {
      expect(byType(b).inputs[0]!.dtype, builtinName(b)).toBe('float32');
      expect(byType(b).outputs[0]!.dtype, builtinName(b)).toBe('float32');
    }
    for (const b of [BuiltinOperator.RELU, BuiltinOperator.TANH, BuiltinOperator.ADD]) expect(byType(b).outputs[0]!.dtype, builtinName(b)).toBe('int8');
    expect(int8.summary).toMatch(/2 left float/);
    const random = mulberry32(3);
    const refs: Float32Array[] = [];
    const gots: Float32Array[] = [];
    for (let run = 0; run < 4; run++) {
      const x = Float32Array.from({ length: 24 }, () => random() * 2 - 1);
      refs.push((await runTflite(float, [x])).outputs[0]!.data as Float32Array);
      gots.push((await runTflite(int8.tflite, [x])).outputs[0]!.data as Float32Array);
    }
    expect(sqnr(refs, gots)).toBeGreaterThanOrEqual(25);
  });

  test('TFLITE_BUILTINS_INT8 alone: an UnsupportedError naming each float op and its node', async () => {
    const failure = convertGraphDefInt8(mixedGraph(), 'mixed.pb', {}, calibration, { int8OpsOnly: true });
    await expect(failure).rejects.toBeInstanceOf(UnsupportedError);
    await expect(failure).rejects.toThrow(/2 op\(s\) cannot run in int8: EXP "exp" \(no int8 kernel\), SIN "sin" \(no int8 kernel\)/);
  });

  test('TFLITE_BUILTINS_INT8 on a graph that is all int8 quantizes as usual', async () => {
    const f = { T: attr.type('float32') };
    const g = new GraphDefBuilder();
    g.placeholder('x', [1, 6, 4]);
    g.node('relu', 'Relu', ['x'], f);
    g.node('y', 'Tanh', ['relu'], f);
    const int8 = await convertGraphDefInt8(g.encode(), 'ok.pb', {}, calibration, { int8OpsOnly: true });
    expect(int8.summary).toBe('quantized 2 ops to int8');
  });
});

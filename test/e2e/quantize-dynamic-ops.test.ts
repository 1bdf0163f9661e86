/**
 * Dynamic-range quantization op by op, on small graphs: which weights become int8 (and along
 * which axis), which ops read them directly (hybrid) and which through DEQUANTIZE (weight-only),
 * the 1024-element threshold, op versions, and the user-facing switches (CLI flags,
 * TFLiteConverter.optimizations). Every quantized model runs in LiteRT.js against our float one.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { BatchMatMulOptionsT } from '../../generated/tflite/batch-mat-mul-options.js';
import { FullyConnectedOptionsT } from '../../generated/tflite/fully-connected-options.js';
import { TFLiteConverter } from '../../src/api/converter.js';
import { convertGraphDef } from '../../src/api/convert.js';
import { main } from '../../src/cli/main.js';
import { Executor } from '../../src/exec/executor.js';
import { opTypeName, type TflOp } from '../../src/ir/op.js';
import type { Value } from '../../src/kernels/value.js';
import { REGISTRY } from '../../src/ops/registry.js';
import { runTflite } from '../harness/litert.js';
import { randomFloats } from '../harness/random-inputs.js';
import { sqnr } from '../helpers/compare.js';
import { modelPath } from '../helpers/fixtures.js';
import { attr, GraphDefBuilder } from '../helpers/graphdef-builder.js';
import { tflOps } from '../helpers/tfl-ops.js';

const T = { T: attr.type('float32') };

/**
 * Converts float and dynamic-range and runs both in LiteRT.js on `inputs` (≥ 30 dB apart), and
 * our executor on the dynamic-range IR (≥ 30 dB from LiteRT.js: see quantize-dynamic.test.ts).
 * Returns the dynamic model's ops as written.
 */
async function quantizeAndRun(pb: Uint8Array, inputs: (Float32Array | Int32Array)[]): Promise<TflOp[]> {
  const float = convertGraphDef(pb, 'g.pb').tflite;
  const dynamic = convertGraphDef(pb, 'g.pb', { quantize: 'dynamic' });
  const [ref, got] = [await runTflite(float, inputs), await runTflite(dynamic.tflite, inputs)];
  const lite = got.outputs[0]!.data as Float32Array;
  expect(sqnr([ref.outputs[0]!.data as Float32Array], [lite])).toBeGreaterThanOrEqual(30);
  const feeds = dynamic.model.main.inputs.map((t, i): Value => ({ dtype: t.dtype!, shape: t.shape!, data: inputs[i]! }));
  const [ours] = new Executor(dynamic.model, REGISTRY).run(feeds);
  expect(sqnr([lite], [ours!.data as Float32Array])).toBeGreaterThanOrEqual(30);
  return tflOps(dynamic.tflite);
}

describe('which ops read int8 weights, and how', () => {
  test('MatMul: FULLY_CONNECTED v12, per-channel weights on axis 0, asymmetric input quantization', async () => {
    const g = new GraphDefBuilder().placeholder('x', [2, 64]).constant('w', randomFloats(64 * 48, 1), [64, 48]);
    g.node('y', 'MatMul', ['x', 'w'], T);
    const [fc] = await quantizeAndRun(g.encode(), [randomFloats(128, 2)]);
    expect(opTypeName(fc!)).toBe('FULLY_CONNECTED');
    expect(fc!.version).toBe(12);
    expect((fc!.options!.value as FullyConnectedOptionsT).asymmetricQuantizeInputs).toBe(true);
    const w = fc!.inputs[1]!;
    expect(w.dtype).toBe('int8');
    expect(w.quant).toMatchObject({ axis: 0 });
    expect(w.quant!.scale).toHaveLength(48);
  });

  test('the threshold: 1024 elements are quantized, 1023 stay float (and so does the op version)', () => {
    for (const [rows, cols, int8] of [[32, 32, true], [31, 33, false]] as const) {
      const g = new GraphDefBuilder().placeholder('x', [1, rows]).constant('w', randomFloats(rows * cols, 3), [rows, cols]);
      g.node('y', 'MatMul', ['x', 'w'], T);
      const [fc] = tflOps(convertGraphDef(g.encode(), 'g.pb', { quantize: 'dynamic' }).tflite);
      expect(fc!.inputs[1]!.dtype).toBe(int8 ? 'int8' : 'float32');
      expect(fc!.version).toBe(int8 ? 12 : 1);
    }
  });

  test('BatchMatMulV2 with a constant right operand: BATCH_MATMUL v4, per-tensor int8', async () => {
    const g = new GraphDefBuilder().placeholder('x', [2, 3, 64]).constant('w', randomFloats(64 * 32, 4), [64, 32]);
    g.node('y', 'BatchMatMulV2', ['x', 'w'], T);
    const [bmm] = await quantizeAndRun(g.encode(), [randomFloats(2 * 3 * 64, 5)]);
    expect(opTypeName(bmm!)).toBe('BATCH_MATMUL');
    expect(bmm!.version).toBe(4);
    expect((bmm!.options!.value as BatchMatMulOptionsT).asymmetricQuantizeInputs).toBe(true);
    expect(bmm!.inputs[1]!.dtype).toBe('int8');
    expect(bmm!.inputs[1]!.quant!.scale).toHaveLength(1);
  });

  test('DepthwiseConv2dNative: DEPTHWISE_CONV_2D v6, per-channel on axis 3; the bias stays float', async () => {
    const g = new GraphDefBuilder().placeholder('x', [1, 8, 8, 128]).constant('w', randomFloats(3 * 3 * 128, 6), [3, 3, 128, 1]);
    g.node('y', 'DepthwiseConv2dNative', ['x', 'w'], { ...T, strides: attr.ints([1, 1, 1, 1]), padding: attr.s('SAME') });
    const [dw] = await quantizeAndRun(g.encode(), [randomFloats(8 * 8 * 128, 7)]);
    expect(opTypeName(dw!)).toBe('DEPTHWISE_CONV_2D');
    expect(dw!.version).toBe(6);
    expect(dw!.inputs[1]!.quant).toMatchObject({ axis: 3 });
    expect(dw!.inputs[1]!.quant!.scale).toHaveLength(128);
    expect(dw!.inputs[2]!.dtype).toBe('float32');
  });

  test('Conv2DBackpropInput: weight-only, int8 per channel behind a DEQUANTIZE (v5); TRANSPOSE_CONV stays float', async () => {
    const g = new GraphDefBuilder().placeholder('x', [1, 5, 5, 32]).constant('w', randomFloats(3 * 3 * 16 * 32, 8), [3, 3, 16, 32]);
    g.constant('sizes', Int32Array.of(1, 10, 10, 16), [4]);
    g.node('y', 'Conv2DBackpropInput', ['sizes', 'w', 'x'], { ...T, strides: attr.ints([1, 2, 2, 1]), padding: attr.s('SAME') });
    const ops = await quantizeAndRun(g.encode(), [randomFloats(5 * 5 * 32, 9)]);
    expect(ops.map(opTypeName)).toEqual(['DEQUANTIZE', 'TRANSPOSE_CONV']);
    const [dq, tconv] = ops as [TflOp, TflOp];
    expect(dq.version).toBe(5);
    expect(dq.inputs[0]!.dtype).toBe('int8');
    expect(dq.inputs[0]!.quant).toMatchObject({ axis: 0 });
    expect(dq.inputs[0]!.quant!.scale).toHaveLength(16);
    expect(tconv.inputs[1]).toBe(dq.outputs[0]);
    expect(tconv.version).toBe(1);
  });

  test('GatherV2 of a constant table: weight-only, per-tensor int8 behind a DEQUANTIZE (v2)', async () => {
    const g = new GraphDefBuilder().placeholder('ids', [6], 'int32').constant('table', randomFloats(300 * 8, 10), [300, 8]);
    g.constant('axis', Int32Array.of(0), []);
    g.node('y', 'GatherV2', ['table', 'ids', 'axis'], { Tparams: attr.type('float32'), Tindices: attr.type('int32'), Taxis: attr.type('int32') });
    const ops = await quantizeAndRun(g.encode(), [Int32Array.of(0, 299, 7, 7, 150, 42)]);
    expect(ops.map(opTypeName)).toEqual(['DEQUANTIZE', 'GATHER']);
    expect(ops[0]!.version).toBe(2);
    expect(ops[0]!.inputs[0]!.quant!.scale).toHaveLength(1);
    expect(ops[1]!.version).toBe(1);
  });
});

describe('switches', () => {
  const FC = modelPath('tensorflow_onnx/fc-layers/frozen.pb');

  /** The CLI entry in-process (the built CLI is covered by cli-convert.test.ts). */
  const cli = (args: string[]): Promise<number> => main(args, { stdout: () => {}, stderr: () => {} });

  test('--quantize dynamic and --post_training_quantize write the same file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dyn-'));
    const [a, b] = [path.join(dir, 'a.tflite'), path.join(dir, 'b.tflite')];
    expect(await cli([FC, '-o', a, '--quantize', 'dynamic'])).toBe(0);
    expect(await cli([FC, '-o', b, '--post_training_quantize'])).toBe(0);
    expect(readFileSync(a)).toEqual(readFileSync(b));
    expect(tflOps(readFileSync(a)).map((op) => op.inputs[1]!.dtype)).toEqual(['int8', 'int8', 'int8']);
    expect(await cli([FC, '-o', b, '--quantize', 'dynamic', '--quantize_to_float16'])).toBe(2);
  });

  test('TFLiteConverter: optimizations DEFAULT quantizes dynamic range, unless float16 is the supported type', async () => {
    const converter = TFLiteConverter.fromFrozenGraph(FC);
    converter.optimizations = ['DEFAULT'];
    const dynamic = await converter.convert();
    expect(dynamic).toEqual(convertGraphDef(readFileSync(FC), FC, { quantize: 'dynamic' }).tflite);
    converter.targetSpec.supportedTypes = ['float16'];
    const half = await converter.convert();
    expect(tflOps(half).filter((op) => opTypeName(op) === 'DEQUANTIZE')).not.toHaveLength(0);
  });
});

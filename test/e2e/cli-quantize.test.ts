/**
 * Full-integer quantization from the command line (the built CLI, dist/): `--target_ops`, and the
 * `quantize` subcommand that quantizes an existing float .tflite (TFLite's quantize_model job),
 * whose output is run in LiteRT.js against the float model.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { BuiltinOperator } from '../../generated/tflite/builtin-operator.js';
import { readTflite } from '../../src/import/tflite.js';
import { builtinName, type TflOp } from '../../src/ir/op.js';
import { runTflite } from '../harness/litert.js';
import { runCli } from '../helpers/cli.js';
import { sqnr } from '../helpers/compare.js';
import { modelPath, readModel } from '../helpers/fixtures.js';
import { attr, GraphDefBuilder } from '../helpers/graphdef-builder.js';

const dir = mkdtempSync(path.join(tmpdir(), 'tflite-cli-quantize-'));

/** x → Relu → Exp → Tanh: EXP has no int8 kernel. */
function expGraphFile(): string {
  const f = { T: attr.type('float32') };
  const g = new GraphDefBuilder();
  g.placeholder('x', [1, 6, 4]);
  g.node('relu', 'Relu', ['x'], f);
  g.node('exp', 'Exp', ['relu'], f);
  g.node('y', 'Tanh', ['exp'], f);
  const file = path.join(dir, 'exp.pb');
  writeFileSync(file, g.encode());
  return file;
}

const tflOps = (bytes: Uint8Array) => readTflite(bytes).main.ops.filter((op): op is TflOp => op.dialect === 'tfl');

describe('--target_ops', () => {
  const pb = expGraphFile();
  const int8 = ['--quantize', 'int8', '--representative_dataset', 'random', '--calibration_samples', '4'];

  test('default TFLITE_BUILTINS: EXP stays float, exit 0', () => {
    const out = path.join(dir, 'default.tflite');
    const r = runCli([pb, '-o', out, ...int8]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/1 left float/);
    const exp = tflOps(readFileSync(out)).find((op) => op.builtin === BuiltinOperator.EXP)!;
    expect(exp.outputs[0]!.dtype).toBe('float32');
  });

  test('TFLITE_BUILTINS_INT8: exit 1 naming EXP "exp"; with TFLITE_BUILTINS too, exit 0', () => {
    const r = runCli([pb, '-o', path.join(dir, 'strict.tflite'), ...int8, '--target_ops', 'TFLITE_BUILTINS_INT8']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot run in int8: EXP "exp" \(no int8 kernel\)/);
    const both = runCli([pb, '-o', path.join(dir, 'both.tflite'), ...int8, '--target-ops', 'TFLITE_BUILTINS_INT8,TFLITE_BUILTINS']);
    expect(both.code, both.stderr).toBe(0);
  });

  test('usage errors: an unknown op set; TFLITE_BUILTINS_INT8 without --quantize int8', () => {
    const unknown = runCli([pb, '-o', path.join(dir, 'u.tflite'), ...int8, '--target_ops', 'SELECT_TF_OPS']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--target_ops SELECT_TF_OPS is not supported/);
    const noInt8 = runCli([pb, '-o', path.join(dir, 'n.tflite'), '--target_ops', 'TFLITE_BUILTINS_INT8']);
    expect(noInt8.code).toBe(2);
    expect(noInt8.stderr).toMatch(/needs --quantize int8/);
  });
});

describe('tflite-convert quantize', () => {
  const floatFile = modelPath('tflite_micro/hello_world/hello_world_float.tflite');
  const dataset = path.join(dir, 'sine.mjs');
  // 100 samples: what the CLI takes from a generator by default.
  writeFileSync(dataset, 'export default function* () {\n  for (let i = 0; i < 100; i++) yield [new Float32Array([(2 * Math.PI * i) / 99])];\n}\n');

  test('quantizes a float .tflite to int8 that runs in LiteRT.js with SQNR ≥ 25 dB', async () => {
    const out = path.join(dir, 'hello_int8.tflite');
    const r = runCli(['quantize', floatFile, '-o', out, '--quantize', 'int8', '--representative_dataset', dataset]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/quantized 3 ops to int8/);
    const int8 = new Uint8Array(readFileSync(out));
    expect(tflOps(int8).map((op) => builtinName(op.builtin))).toEqual(['QUANTIZE', 'FULLY_CONNECTED', 'FULLY_CONNECTED', 'FULLY_CONNECTED', 'DEQUANTIZE']);
    const float = readModel('tflite_micro/hello_world/hello_world_float.tflite');
    const refs: Float32Array[] = [];
    const gots: Float32Array[] = [];
    for (let i = 0; i < 16; i++) {
      const x = Float32Array.of((2 * Math.PI * (i + 0.5)) / 16);
      refs.push((await runTflite(float, [x])).outputs[0]!.data as Float32Array);
      gots.push((await runTflite(int8, [x])).outputs[0]!.data as Float32Array);
    }
    const db = sqnr(refs, gots);
    console.log(`quantize subcommand, hello_world: int8 SQNR ${db.toFixed(1)} dB`);
    expect(db).toBeGreaterThanOrEqual(25);
  });

  test('--inference_input_type / --inference_output_type UINT8: uint8 borders that run in LiteRT.js', async () => {
    const out = path.join(dir, 'hello_uint8.tflite');
    const r = runCli(['quantize', floatFile, '-o', out, '--representative_dataset', dataset, '--inference_input_type', 'UINT8', '--inference-output-type', 'uint8']);
    expect(r.code, r.stderr).toBe(0);
    const bytes = new Uint8Array(readFileSync(out));
    const ops = tflOps(bytes);
    expect(ops.map((op) => builtinName(op.builtin))).toEqual(['QUANTIZE', 'FULLY_CONNECTED', 'FULLY_CONNECTED', 'FULLY_CONNECTED', 'QUANTIZE']);
    const inQ = ops[0]!.inputs[0]!.quant!;
    const outQ = ops[4]!.outputs[0]!.quant!;
    expect(ops[0]!.inputs[0]!.dtype).toBe('uint8');
    expect(inQ.zeroPoint[0]).toBe(ops[0]!.outputs[0]!.quant!.zeroPoint[0]! + 128);
    const float = readModel('tflite_micro/hello_world/hello_world_float.tflite');
    const refs: number[] = [];
    const gots: number[] = [];
    for (let i = 0; i < 16; i++) {
      const code = Math.round((2 * Math.PI * (i + 0.5)) / 16 / inQ.scale[0]!) + inQ.zeroPoint[0]!;
      const x = (code - inQ.zeroPoint[0]!) * inQ.scale[0]!;
      refs.push((await runTflite(float, [Float32Array.of(x)])).outputs[0]!.data[0] as number);
      const q = (await runTflite(bytes, [Uint8Array.of(code)])).outputs[0]!.data[0] as number;
      gots.push((q - outQ.zeroPoint[0]!) * outQ.scale[0]!);
    }
    expect(sqnr([refs], [gots])).toBeGreaterThanOrEqual(25);
  });

  test('refuses a GraphDef (exit 1), a missing dataset and other modes (exit 2)', () => {
    const pb = runCli(['quantize', expGraphFile(), '-o', path.join(dir, 'x.tflite'), '--representative_dataset', 'random']);
    expect(pb.code).toBe(1);
    expect(pb.stderr).toMatch(/not a \.tflite model/);
    const noData = runCli(['quantize', floatFile, '-o', path.join(dir, 'y.tflite')]);
    expect(noData.code).toBe(2);
    expect(noData.stderr).toMatch(/needs --representative_dataset/);
    const dynamic = runCli(['quantize', floatFile, '-o', path.join(dir, 'z.tflite'), '--quantize', 'dynamic', '--representative_dataset', dataset]);
    expect(dynamic.code).toBe(2);
    expect(dynamic.stderr).toMatch(/only int8/);
  });
});

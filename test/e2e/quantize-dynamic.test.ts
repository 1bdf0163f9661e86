/**
 * Dynamic-range quantization (`quantize: 'dynamic'`, TF's Optimize.DEFAULT without a dataset):
 * int8 weights for the hybrid kernels, float activations.
 *
 * Checked against LiteRT.js (Google's TFLite kernels in WASM) and against the float weights, all
 * read back from the written .tflite with the generated flatbuffer accessors:
 * - the file loads and runs in LiteRT.js; the outputs' SQNR against LiteRT running our float
 *   .tflite (itself checked against tfjs in the conversion tests) is at least 30 dB;
 * - a weight-dominated model's file is at most 27% of the float file;
 * - every quantized weight is int8 with zero point 0, the op's quantized_dimension, and scales
 *   equal to max|w|/127 computed here from the float file's weights; its integers are
 *   round-half-away-from-zero(w / scale); weights under 1024 elements and biases stay float;
 * - op versions and the min_runtime_version metadata are what TFLite's tables give;
 * - our executor, running the IR of the dynamic-range model, agrees with LiteRT.js.
 */
import { readFileSync } from 'node:fs';
import * as flatbuffers from 'flatbuffers';
import { describe, expect, test } from 'vitest';
import { BuiltinOperator } from '../../generated/tflite/builtin-operator.js';
import { Model as FbModel } from '../../generated/tflite/model.js';
import { TensorType } from '../../generated/tflite/tensor-type.js';
import { shardReader } from '../../src/api/files.js';
import { convertGraphDef, type ConvertOptions } from '../../src/api/convert.js';
import { Executor } from '../../src/exec/executor.js';
import { REGISTRY } from '../../src/ops/registry.js';
import { runTflite } from '../harness/litert.js';
import { mulberry32 } from '../harness/random-inputs.js';
import { sqnr } from '../helpers/compare.js';
import { modelPath } from '../helpers/fixtures.js';

interface Case {
  name: string;
  file: string;
  options: ConvertOptions;
  inputShape: number[];
  /** Bytes of the file are nearly all weights: the int8 file must be ≤ 27% of the float one. */
  weightDominated: boolean;
  /** Few enough channels that the 27% holds without counting their quantization parameters. */
  plainSizeBound?: boolean;
  /** What TFLite's runtime_version table gives for the highest op version used. */
  minRuntime: string;
  /** Random inputs for the executor comparison (it is slow on MobileNet). */
  executorRuns: number;
}

const CASES: Case[] = [
  { name: 'fc-layers', file: 'tensorflow_onnx/fc-layers/frozen.pb', options: {}, inputShape: [1, 784], weightDominated: true, plainSizeBound: true, minRuntime: '2.17.0', executorRuns: 4 },
  { name: 'ae0', file: 'tensorflow_onnx/ae0/frozen.pb', options: {}, inputShape: [1, 784], weightDominated: true, plainSizeBound: true, minRuntime: '2.17.0', executorRuns: 4 },
  {
    name: 'cifar10_cnn',
    file: 'utensor_cgen/deep_cnn/cifar10_cnn.pb',
    // The logits: SQNR means nothing on ArgMax indices.
    options: { outputArrays: ['fully_connect_2/logits'], inputShapes: [[1, 32, 32, 3]] },
    inputShape: [1, 32, 32, 3],
    weightDominated: false, // a third of its weights are in tensors under 1024 elements
    minRuntime: '2.17.0',
    executorRuns: 4,
  },
  {
    name: 'simple_mnist',
    file: 'utensor_cgen/deep_mlp/simple_mnist.pb',
    options: { outputArrays: ['OuputLayer/logits'] },
    inputShape: [10, 784],
    weightDominated: true,
    plainSizeBound: true,
    minRuntime: '2.17.0',
    executorRuns: 4,
  },
  {
    name: 'MobileNetV2 (tfjs)',
    file: 'nsfwjs_mobilenet_v2_mid/model.json',
    options: {},
    inputShape: [1, 224, 224, 3],
    weightDominated: true,
    minRuntime: '2.17.0',
    executorRuns: 1,
  },
];

const RUNS = 4;

/** Quantized dimension and hybrid version of each op's weight (operand 1), per op_version.cc. */
const HYBRID: Partial<Record<BuiltinOperator, { axis: number; version: number; floatVersion: number }>> = {
  [BuiltinOperator.CONV_2D]: { axis: 0, version: 5, floatVersion: 1 },
  [BuiltinOperator.DEPTHWISE_CONV_2D]: { axis: 3, version: 6, floatVersion: 1 },
  [BuiltinOperator.FULLY_CONNECTED]: { axis: 0, version: 12, floatVersion: 1 },
};

// ---------------------------------------------------------------------------------------------
// Reading the written files

interface FileTensor {
  name: string;
  type: TensorType;
  shape: number[];
  data: Uint8Array;
  scale: number[];
  zeroPoint: number[];
  axis: number;
}

interface FileOp {
  builtin: BuiltinOperator;
  version: number;
  inputs: (FileTensor | null)[];
}

function readFile(bytes: Uint8Array): { ops: FileOp[]; tensors: Map<string, FileTensor>; metadata: Map<string, Uint8Array> } {
  const model = FbModel.getRootAsModel(new flatbuffers.ByteBuffer(bytes.slice()));
  const g = model.subgraphs(0)!;
  const tensors: FileTensor[] = [];
  for (let i = 0; i < g.tensorsLength(); i++) {
    const t = g.tensors(i)!;
    const q = t.quantization();
    tensors.push({
      name: t.name() ?? '',
      type: t.type(),
      shape: Array.from(t.shapeArray() ?? []),
      data: model.buffers(t.buffer())?.dataArray() ?? new Uint8Array(0),
      scale: Array.from(q?.scaleArray() ?? []),
      zeroPoint: Array.from({ length: q?.zeroPointLength() ?? 0 }, (_, k) => Number(q!.zeroPoint(k))),
      axis: q?.quantizedDimension() ?? 0,
    });
  }
  const ops: FileOp[] = [];
  for (let i = 0; i < g.operatorsLength(); i++) {
    const op = g.operators(i)!;
    const code = model.operatorCodes(op.opcodeIndex())!;
    ops.push({
      builtin: Math.max(code.builtinCode(), code.deprecatedBuiltinCode()),
      version: code.version(),
      inputs: Array.from(op.inputsArray() ?? [], (t) => (t < 0 ? null : tensors[t]!)),
    });
  }
  const metadata = new Map<string, Uint8Array>();
  for (let i = 0; i < model.metadataLength(); i++) {
    const m = model.metadata(i)!;
    metadata.set(m.name() ?? '', model.buffers(m.buffer())!.dataArray()!);
  }
  return { ops, tensors: new Map(tensors.map((t) => [t.name, t])), metadata };
}

function floats(t: FileTensor): Float32Array {
  return new Float32Array(t.data.slice().buffer);
}

// ---------------------------------------------------------------------------------------------
// Numbers

function randomInputs(shape: number[], seed: number): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random());
}

function convert(c: Case, quantize: ConvertOptions['quantize']) {
  const path = modelPath(c.file);
  const reader = c.file.endsWith('.json') ? shardReader(path) : undefined;
  return convertGraphDef(readFileSync(path), path, { ...c.options, quantize }, reader);
}

const REPORT: string[] = [];

describe.each(CASES)('dynamic-range quantization of $name', (c) => {
  const float = convert(c, undefined);
  const dynamic = convert(c, 'dynamic');
  const floatFile = readFile(float.tflite);
  const dynFile = readFile(dynamic.tflite);

  test('runs in LiteRT.js with outputs ≥ 30 dB SQNR against the float model', async () => {
    const ref: Float32Array[] = [];
    const got: Float32Array[] = [];
    for (let run = 0; run < RUNS; run++) {
      const x = randomInputs(c.inputShape, 100 + run);
      ref.push((await runTflite(float.tflite, [x])).outputs[0]!.data as Float32Array);
      got.push((await runTflite(dynamic.tflite, [x])).outputs[0]!.data as Float32Array);
    }
    const db = sqnr(ref, got);
    REPORT.push(`${c.name}: SQNR ${db.toFixed(1)} dB, file ${((100 * dynamic.tflite.length) / float.tflite.length).toFixed(1)}% of float`);
    console.log(REPORT.at(-1));
    expect(db).toBeGreaterThanOrEqual(30);
  }, 120_000);

  test.runIf(c.weightDominated)('the file is at most 27% of the float file (plus per-channel parameters)', () => {
    // TFLite stores a float32 scale and an int64 zero point for every channel of a per-channel
    // tensor: 12 bytes a channel, 1.7% of the float file for MobileNetV2's 23925 channels.
    let channels = 0;
    for (const t of dynFile.tensors.values()) if (t.type === TensorType.INT8) channels += t.scale.length;
    const ratio = dynamic.tflite.length / float.tflite.length;
    expect(ratio).toBeLessThanOrEqual(0.27 + (12 * channels) / float.tflite.length);
    if (c.plainSizeBound) expect(ratio).toBeLessThanOrEqual(0.27);
  });

  test('weights are int8 per channel with scale max|w|/127; small tensors and biases stay float', () => {
    let quantized = 0;
    let keptFloat = 0;
    for (const op of dynFile.ops) {
      const rule = HYBRID[op.builtin];
      if (rule === undefined) continue;
      const w = op.inputs[1]!;
      const original = floatFile.tensors.get(w.name)!;
      expect(original.type).toBe(TensorType.FLOAT32);
      const values = floats(original);
      // Biases are never quantized in this mode.
      const bias = op.inputs[2];
      if (bias) expect(bias.type).toBe(TensorType.FLOAT32);
      if (values.length < 1024) {
        expect(w.type).toBe(TensorType.FLOAT32);
        keptFloat++;
        continue;
      }
      quantized++;
      expect(w.type).toBe(TensorType.INT8);
      expect(w.shape).toEqual(original.shape);
      expect(w.axis).toBe(rule.axis);
      const channels = w.shape[rule.axis]!;
      const inner = w.shape.slice(rule.axis + 1).reduce((a, b) => a * b, 1);
      const absMax = new Array<number>(channels).fill(0);
      values.forEach((v, i) => {
        const ch = Math.floor(i / inner) % channels;
        absMax[ch] = Math.max(absMax[ch]!, Math.abs(v));
      });
      // TF widens a channel range narrower than 1e-6 (dead units: all zeros) to ±5e-7 first
      // (ExpandVerySmallRange), so such a channel's scale is 5e-7/127, not 0.
      const rangeOf = (m: number) => (2 * m > 1e-6 ? m : Math.max(m, 5e-7));
      expect(w.scale).toEqual(absMax.map((m) => Math.fround(rangeOf(m) / 127)));
      expect(w.zeroPoint).toEqual(new Array(channels).fill(0));
      const q = new Int8Array(w.data.buffer, w.data.byteOffset, w.data.length);
      let mismatches = 0;
      values.forEach((v, i) => {
        const r = v / (rangeOf(absMax[Math.floor(i / inner) % channels]!) / 127);
        const expected = Math.sign(r) * Math.round(Math.abs(r));
        if (q[i] !== expected) mismatches++;
      });
      expect(mismatches).toBe(0);
    }
    expect(quantized).toBeGreaterThan(0);
    if (c.name === 'cifar10_cnn' || c.name.startsWith('MobileNet')) expect(keptFloat).toBeGreaterThan(0);
  });

  test('op versions and min_runtime_version follow TFLite’s tables', () => {
    for (const op of dynFile.ops) {
      const rule = HYBRID[op.builtin];
      if (rule === undefined) continue;
      const hybrid = op.inputs[0]!.type === TensorType.FLOAT32 && op.inputs[1]!.type === TensorType.INT8;
      expect(op.version, BuiltinOperator[op.builtin]).toBe(hybrid ? rule.version : rule.floatVersion);
    }
    const runtime = new TextDecoder().decode(dynFile.metadata.get('min_runtime_version')).replace(/\0+$/, '');
    expect(runtime).toBe(c.minRuntime);
  });

  test('our executor on the dynamic-range IR agrees with LiteRT.js (≥ 30 dB)', async () => {
    // LiteRT's hybrid kernels quantize each layer's input to 8 bits at run time (asymmetric, per
    // batch row: error ≤ (max − min)/510 per element); our executor multiplies float inputs by
    // the same dequantized int8 weights. Their difference is that 8-bit activation noise, the
    // same order as the 8-bit weight noise the float comparison budgets 30 dB for.
    const executor = new Executor(dynamic.model, REGISTRY);
    const ours: Float32Array[] = [];
    const lite: Float32Array[] = [];
    for (let run = 0; run < c.executorRuns; run++) {
      const x = randomInputs(c.inputShape, 200 + run);
      ours.push(executor.run([{ dtype: 'float32', shape: c.inputShape, data: x }])[0]!.data as Float32Array);
      lite.push((await runTflite(dynamic.tflite, [x])).outputs[0]!.data as Float32Array);
    }
    const db = sqnr(lite, ours);
    console.log(`${c.name}: executor vs LiteRT.js ${db.toFixed(1)} dB`);
    expect(db).toBeGreaterThanOrEqual(30);
  }, 300_000);
});

/**
 * src/ops/runtime-version.ts against two independent sources:
 * - values read in TensorFlow's tensorflow/compiler/mlir/lite/tools/versioning/runtime_version.cc
 *   (FindMinimumRuntimeVersionForOp's table, CompareRuntimeVersion), spot-checked by hand;
 * - the `min_runtime_version` metadata TensorFlow's converter actually stored in the .tflite
 *   fixtures: for every fixture that has the entry, our bytes must equal the file's bytes.
 */
import { describe, expect, test } from 'vitest';
import { BuiltinOperator as B } from '../../generated/tflite/builtin-operator.js';
import type { BuiltinOperator } from '../../generated/tflite/builtin-operator.js';
import { readTflite } from '../../src/import/tflite.js';
import type { Model } from '../../src/ir/graph.js';
import {
  compareRuntimeVersions,
  encodeRuntimeVersionMetadata,
  minRuntimeVersion,
  minRuntimeVersionForOp,
} from '../../src/ops/runtime-version.js';
import { manifestModels, readModel } from '../helpers/fixtures.js';

const ascii = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));
const padded = (text: string): number[] => [...ascii(text), ...new Array<number>(16 - text.length).fill(0)];

describe('minRuntimeVersionForOp (values read in runtime_version.cc)', () => {
  test.each([
    [B.FULLY_CONNECTED, 1, '1.5.0'],
    [B.FULLY_CONNECTED, 4, '1.14.0'],
    [B.FULLY_CONNECTED, 5, '2.0.0'],
    [B.FULLY_CONNECTED, 14, '2.21.0'],
    [B.CONV_2D, 8, '2.15.0'],
    [B.DEPTHWISE_CONV_2D, 2, '1.12.0'],
    [B.DEPTHWISE_CONV_2D, 7, '2.11.0'],
    [B.ADD, 6, '2.23.0'],
    [B.MUL, 8, '2.23.0'],
    [B.TILE, 1, '1.10.1'],
    [B.TRANSPOSE, 7, '2.14.4'],
    [B.UNIDIRECTIONAL_SEQUENCE_LSTM, 1, '1.13.1'],
    [B.BROADCAST_TO, 2, '2.5.0'],
    [B.WHERE, 1, '1.14.0'],
    [B.WHERE, 2, '2.8.0'],
    [B.CAST, 8, '2.21.0'],
    [B.DYNAMIC_UPDATE_SLICE, 6, '2.22.0'],
    [B.RELU_0_TO_1, 1, '2.10.0'],
    [B.UNSORTED_SEGMENT_MIN, 1, '2.11.0'],
    [B.STABLEHLO_CASE, 1, '2.17.0'],
  ] as [BuiltinOperator, number, string][])('%s v%s → %s', (op, version, expected) => {
    expect(minRuntimeVersionForOp(op, version)).toBe(expected);
  });

  test('pairs the table does not list have no version', () => {
    // BROADCAST_TO version 1 was rolled back upstream; the table starts at version 2.
    expect(minRuntimeVersionForOp(B.BROADCAST_TO, 1)).toBeUndefined();
    expect(minRuntimeVersionForOp(B.FULLY_CONNECTED, 15)).toBeUndefined();
    expect(minRuntimeVersionForOp(B.CONV_2D, 0)).toBeUndefined();
    expect(minRuntimeVersionForOp(B.CUSTOM, 1)).toBeUndefined();
    expect(minRuntimeVersionForOp(B.STABLEHLO_SORT, 1)).toBeUndefined();
  });

  test('the table has exactly the 420 entries of the source, each an X.Y.Z version', () => {
    let count = 0;
    for (const value of Object.values(B)) {
      if (typeof value !== 'number') continue;
      for (let version = 0; version <= 32; version++) {
        const runtime = minRuntimeVersionForOp(value, version);
        if (runtime === undefined) continue;
        count++;
        expect(runtime).toMatch(/^\d+\.\d+\.\d+$/);
      }
    }
    expect(count).toBe(420);
  });
});

describe('compareRuntimeVersions (CompareRuntimeVersion)', () => {
  test('components compare as integers, not strings', () => {
    expect(compareRuntimeVersions('1.14.0', '1.5.0')).toBeGreaterThan(0);
    expect(compareRuntimeVersions('1.5.0', '1.14.0')).toBeLessThan(0);
    expect(compareRuntimeVersions('2.10.0', '2.9.9')).toBeGreaterThan(0);
    expect(compareRuntimeVersions('1.13.1', '1.13.0')).toBeGreaterThan(0);
  });

  test('a prefix is older than the longer version', () => {
    expect(compareRuntimeVersions('2.3.0', '2.3')).toBeGreaterThan(0);
    expect(compareRuntimeVersions('2.3', '2.3.0')).toBeLessThan(0);
  });

  test('equal versions compare equal', () => {
    expect(compareRuntimeVersions('2.3.0', '2.3.0')).toBe(0);
    expect(compareRuntimeVersions('', '')).toBe(0);
  });

  test('the empty string (the model loop’s start) is older than any version', () => {
    expect(compareRuntimeVersions('', '1.5.0')).toBeLessThan(0);
    expect(compareRuntimeVersions('1.5.0', '')).toBeGreaterThan(0);
  });

  test('non-numeric components are skipped, as absl::SimpleAtoi failing makes upstream do', () => {
    expect(compareRuntimeVersions('1.x.3', '1.y.2')).toBeGreaterThan(0);
    expect(compareRuntimeVersions('1.x.0', '1.0.0')).toBe(0);
  });
});

describe('minRuntimeVersion (UpdateMinimumRuntimeVersionForModel)', () => {
  test('is the newest runtime over the ops, whatever their order', () => {
    const ops = [
      { builtin: B.FULLY_CONNECTED, version: 1 },
      { builtin: B.CONV_2D, version: 8 },
      { builtin: B.ADD, version: 2 },
    ];
    expect(minRuntimeVersion(ops)).toBe('2.15.0');
    expect(minRuntimeVersion([...ops].reverse())).toBe('2.15.0');
  });

  test('compares numerically: 1.14.0 beats 1.5.0', () => {
    expect(
      minRuntimeVersion([
        { builtin: B.ADD, version: 2 },
        { builtin: B.RESHAPE, version: 1 },
      ]),
    ).toBe('1.14.0');
  });

  test('ops missing from the table contribute nothing', () => {
    expect(
      minRuntimeVersion([
        { builtin: B.CUSTOM, version: 1 },
        { builtin: B.FULLY_CONNECTED, version: 99 },
        { builtin: B.RESHAPE, version: 1 },
      ]),
    ).toBe('1.5.0');
    expect(minRuntimeVersion([{ builtin: B.CUSTOM, version: 1 }])).toBe('');
    expect(minRuntimeVersion([])).toBe('');
  });
});

describe('encodeRuntimeVersionMetadata', () => {
  test('16 bytes: the version, then zeros', () => {
    expect([...encodeRuntimeVersionMetadata('1.14.0')]).toEqual(padded('1.14.0'));
    // The bytes TensorFlow's own exporter lit test expects for a model needing 1.15.0 (tfl.while).
    expect([...encodeRuntimeVersionMetadata('1.15.0')]).toEqual([49, 46, 49, 53, 46, 48, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  test('no known op: the exporter’s 16 zero bytes stay as they are', () => {
    expect([...encodeRuntimeVersionMetadata('')]).toEqual(new Array<number>(16).fill(0));
  });

  test('15 bytes fit (one trailing NUL); 16 or more are not written at all', () => {
    expect([...encodeRuntimeVersionMetadata('123.456.7890123')]).toEqual(padded('123.456.7890123'));
    expect([...encodeRuntimeVersionMetadata('1234.5678.901234')]).toEqual(new Array<number>(16).fill(0));
  });
});

/**
 * Fixtures whose stored value our computation is not expected to reproduce. All three were
 * written by the old TOCO converter (description "TOCO Converted."), not by the MLIR converter
 * whose UpdateMinimumRuntimeVersionForModel we port:
 * - TOCO's ExportModelVersionBuffer (tensorflow/lite/toco/tflite/export.cc) stores the bare
 *   string with no 16-byte padding, hence the 5-byte buffers;
 * - TOCO computes it (toco/tflite/op_version.cc GetMinimumRuntimeVersionForModel) from its own
 *   float graph at export time. The two quantized files were then quantized post-training, which
 *   added QUANTIZE/DEQUANTIZE and raised op versions (DEPTHWISE_CONV_2D v3, FULLY_CONNECTED v4:
 *   1.14.0) without rewriting the metadata, so the stored "1.5.0" is the float model's value.
 */
const TOCO_EXCEPTIONS: Record<string, { stored: string; ours: string }> = {
  'utensor_cgen/reduce_model/reduceModel.tflite': { stored: '1.6.0', ours: '1.6.0' },
  'utensor_cgen/quant_mnist_cnn/quant_mnist_cnn.tflite': { stored: '1.5.0', ours: '1.14.0' },
  'tflite_micro/micro_speech/micro_speech_quantized.tflite': { stored: '1.5.0', ours: '1.14.0' },
};

/** Builtin code and version of every operator in every subgraph: what upstream's loop visits. */
function usedOpCodes(model: Model): { builtin: BuiltinOperator; version: number }[] {
  const codes: { builtin: BuiltinOperator; version: number }[] = [];
  for (const graph of model.graphs) {
    for (const op of graph.ops) {
      if (op.dialect === 'tfl') codes.push({ builtin: op.builtin, version: op.version });
    }
  }
  return codes;
}

function storedRuntimeVersion(model: Model): Uint8Array | undefined {
  return model.metadata.find((m) => m.name === 'min_runtime_version')?.data;
}

describe('fixtures: the min_runtime_version TensorFlow stored', () => {
  const fixtures = manifestModels('tflite').map((entry) => {
    const model = readTflite(readModel(entry.path));
    return { path: entry.path, model, stored: storedRuntimeVersion(model) };
  });
  const withMetadata = fixtures.filter((f) => f.stored !== undefined);
  const checked = withMetadata.filter((f) => !(f.path in TOCO_EXCEPTIONS));

  test('the oracle is not vacuous', () => {
    expect(checked.map((f) => f.path).sort()).toEqual(
      [
        'tensorflow_onnx/regression/tflite/model.tflite',
        'tensorflow_onnx/regression/tflite/test_api_model.tflite',
        'tflite_micro/hello_world/hello_world_float.tflite',
        'tflite_micro/hello_world/hello_world_int8.tflite',
        'tflite_micro/memory_footprint/simple_add_model.tflite',
        'tflite_micro/micro_speech/audio_preprocessor_float.tflite',
        'tflite_micro/micro_speech/audio_preprocessor_int8.tflite',
        'tflite_micro/mnist_lstm/trained_lstm.tflite',
        'tflite_micro/mnist_lstm/trained_lstm_int8.tflite',
      ].sort(),
    );
    // The rest carry no min_runtime_version entry at all.
    expect(fixtures.filter((f) => f.stored === undefined).map((f) => f.path).sort()).toEqual(
      [
        'tflite_micro/keyword_scrambled/keyword_scrambled.tflite',
        'tflite_micro/keyword_scrambled/keyword_scrambled_8bit.tflite',
        'tflite_micro/person_detection/person_detect.tflite',
      ].sort(),
    );
  });

  test.each(checked.map((f) => [f.path, f] as const))('%s', (_path, { model, stored }) => {
    expect(model.description).toBe('MLIR Converted.');
    expect([...encodeRuntimeVersionMetadata(minRuntimeVersion(usedOpCodes(model)))]).toEqual([...stored!]);
  });

  test.each(Object.entries(TOCO_EXCEPTIONS))('TOCO-written %s (documented exception)', (path, expected) => {
    const fixture = fixtures.find((f) => f.path === path);
    expect(fixture?.stored).toBeDefined();
    expect(fixture!.model.description).toBe('TOCO Converted.');
    // Unpadded: exactly the string's bytes.
    expect([...fixture!.stored!]).toEqual(ascii(expected.stored));
    expect(minRuntimeVersion(usedOpCodes(fixture!.model))).toBe(expected.ours);
  });
});

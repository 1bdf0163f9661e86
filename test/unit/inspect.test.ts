/**
 * `inspect` on every model in the fixtures, checked against manifest.json: facts recorded by
 * other tools (protobufjs decoding, flatc JSON dumps), so our readers are not their own oracle.
 */
import { describe, expect, test } from 'vitest';
import { inspectBytes, type TensorSummary } from '../../src/api/inspect.js';
import { inspectFile } from '../../src/api/index.js';
import { main } from '../../src/cli/main.js';
import { MANIFEST, manifestModels, modelPath, readModel, type ManifestTensor } from '../helpers/fixtures.js';

const MANIFEST_ENTRIES = MANIFEST.models;

const TF_DTYPE_NAMES: Record<string, string> = {
  DT_FLOAT: 'float32',
  DT_INT32: 'int32',
  DT_INT64: 'int64',
  DT_BOOL: 'bool',
  DT_STRING: 'string',
  DT_UINT8: 'uint8',
};

/** The manifest writes "unknown_rank" or leaves the shape out where TF had none. */
function manifestShape(t: ManifestTensor): number[] | null {
  return Array.isArray(t.shape) ? t.shape : null;
}

function tfSummary(t: ManifestTensor) {
  return { name: t.name, dtype: TF_DTYPE_NAMES[t.dtype] ?? t.dtype, shape: manifestShape(t) };
}

function ours(t: TensorSummary) {
  return { name: t.name, dtype: t.dtype, shape: t.shape };
}

describe('inspect GraphDef', () => {
  const graphs = manifestModels('graphdef');
  test('the fixtures hold the expected number of frozen graphs', () => {
    expect(graphs.length).toBeGreaterThanOrEqual(80);
  });
  test.each(graphs.map((m) => [m.path, m] as const))('%s', (file, entry) => {
    const report = inspectBytes(readModel(file), file);
    expect(report.format).toBe('graphdef');
    expect(report.ops).toEqual(entry.op_counts);
    expect(report.inputs.map(ours)).toEqual((entry.inputs ?? []).map(tfSummary));
    expect(report.outputs.map((o) => o.name)).toEqual((entry.likely_outputs ?? []).map((o) => o.name));
  });
});

describe('inspect SavedModel and checkpoint MetaGraphDef', () => {
  test.each(manifestModels('saved_model').map((m) => [m.path, m] as const))('%s', (dir, entry) => {
    const report = inspectBytes(readModel(`${dir}saved_model.pb`), 'saved_model.pb');
    const meta = entry.meta_graphs!.find((g) => g.tags?.includes('serve'))!;
    expect(report.container).toBe('saved_model');
    expect(report.ops).toEqual(meta.op_counts);
    expect(report.inputs.map(ours)).toEqual((meta.inputs ?? []).map(tfSummary));
  });
  test.each(manifestModels('checkpoint (MetaGraphDef + tensor bundle)').map((m) => [m.path, m] as const))(
    '%s',
    (file, entry) => {
      const report = inspectBytes(readModel(file), file);
      expect(report.container).toBe('meta_graph');
      expect(report.ops).toEqual(entry.op_counts);
      expect(report.inputs.map(ours)).toEqual((entry.inputs ?? []).map(tfSummary));
      expect(report.outputs.map((o) => o.name)).toEqual((entry.likely_outputs ?? []).map((o) => o.name));
    },
  );
});

describe('inspect .tflite', () => {
  const models = manifestModels('tflite');
  test('the fixtures hold every .tflite', () => {
    expect(models.length).toBe(15);
  });
  test.each(models.map((m) => [m.path, m] as const))('%s', (file, entry) => {
    const report = inspectBytes(readModel(file), file);
    expect(report.format).toBe('tflite');
    // The manifest spells custom ops "CUSTOM:<code>"; inspect reports the custom code itself.
    const expected = Object.fromEntries(
      Object.entries(entry.op_counts!).map(([op, n]) => [op.replace(/^CUSTOM:/, ''), n]),
    );
    expect(report.ops).toEqual(expected);
    const main = entry.subgraphs![0]!;
    const tflite = (t: ManifestTensor) => {
      const summary: Record<string, unknown> = { name: t.name ?? '', dtype: t.dtype.toLowerCase(), shape: t.shape };
      if (t.scale) summary.quantization = { scale: t.scale, zeroPoint: t.zero_point };
      return summary;
    };
    const withQuant = (t: TensorSummary) => {
      const summary: Record<string, unknown> = ours(t);
      if (t.quantization) summary.quantization = { scale: t.quantization.scale, zeroPoint: t.quantization.zeroPoint };
      return summary;
    };
    // Scales are float32 in the file; the manifest rounds them to 6 decimal places.
    const round = (v: unknown): unknown =>
      JSON.parse(JSON.stringify(v), (_k, x) => (typeof x === 'number' && !Number.isInteger(x) ? Number(x.toFixed(6)) : x));
    expect(round(report.inputs.map(withQuant))).toEqual(round(main.inputs.map(tflite)));
    expect(round(report.outputs.map(withQuant))).toEqual(round(main.outputs.map(tflite)));
  });

  test('parameter count and bytes of a known model', () => {
    // hello_world_float: Dense(16) -> Dense(16) -> Dense(1) on a scalar input:
    // weights 1*16 + 16*16 + 16*1 = 288, biases 16 + 16 + 1 = 33, all float32.
    const report = inspectBytes(readModel('tflite_micro/hello_world/hello_world_float.tflite'));
    expect(report.params).toBe(321);
    expect(report.bytes).toBe(321 * 4);
  });
});

describe('inspect tfjs graph model', () => {
  test.each(manifestModels('tfjs_graph_model').map((m) => [m.path, m] as const))('%s', (file, entry) => {
    const report = inspectFile(modelPath(file)).report;
    expect(report.container).toBe('tfjs');
    expect(report.ops).toEqual(entry.op_counts);
    expect(report.inputs.map(ours)).toEqual((entry.inputs ?? []).map(tfSummary));
    expect(report.outputs.map((o) => o.name)).toEqual(['Identity']);
  });
});

describe('tflite-convert inspect --json (the CLI entry point, in process) on every fixture model', () => {
  const all = MANIFEST_ENTRIES.filter((m) => ['graphdef', 'tflite'].includes(m.format));
  test.each(all.map((m) => [m.path, m] as const))('%s', async (file, entry) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['inspect', '--json', modelPath(file)], { stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
    expect(err).toEqual([]);
    expect(code).toBe(0);
    expect(out).toHaveLength(1);
    const report = JSON.parse(out[0]!) as { format: string; ops: Record<string, number>; inputs: unknown[]; outputs: unknown[]; params: number; bytes: number };
    expect(Object.keys(report).sort()).toEqual(['bytes', 'format', 'inputs', 'ops', 'outputs', 'params']);
    expect(report.format).toBe(entry.format);
    const expected = Object.fromEntries(Object.entries(entry.op_counts!).map(([op, n]) => [op.replace(/^CUSTOM:/, ''), n]));
    expect(report.ops).toEqual(expected);
  });
});

/**
 * SavedModel input (tflite_convert's --saved_model_dir, TFLiteConverter.fromSavedModel): a frozen
 * SavedModel graph converts with the signature's inputs and outputs, runs in LiteRT.js like tfjs
 * runs the same graph; the tag set and signature key choose; a graph that reads variables is
 * refused naming its variable nodes. The real fixture is tf2onnx's
 * saved_model_with_redundant_inputs (TF 1.12, no variables, signature x, y → z with y unused);
 * the others are written here from GraphDefBuilder graphs.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { TFLiteConverter } from '../../src/api/converter.js';
import { readTflite } from '../../src/import/tflite.js';
import { tfMessageType } from '../../src/import/tf-protos.js';
import { UsageError } from '../../src/util/errors.js';
import { runTflite } from '../harness/litert.js';
import { mulberry32 } from '../harness/random-inputs.js';
import { runGraphDef } from '../harness/tfjs-graphdef.js';
import { runCli } from '../helpers/cli.js';
import { maxRelErr } from '../helpers/compare.js';
import { MODELS_DIR } from '../helpers/fixtures.js';
import { attr, GraphDefBuilder } from '../helpers/graphdef-builder.js';

const FIXTURE = path.join(MODELS_DIR, 'tensorflow_onnx/saved_model_with_redundant_inputs');
const dir = mkdtempSync(path.join(tmpdir(), 'saved-model-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const F = { T: attr.type('float32') };

/** A SavedModel folder holding `graph` in one meta graph tagged `tags`, with the given signatures. */
function savedModel(name: string, graph: Uint8Array, tags: string[], signatures: Record<string, { inputs: Record<string, string>; outputs: Record<string, string> }>): string {
  const folder = path.join(dir, name);
  mkdirSync(folder);
  const info = (m: Record<string, string>) => Object.fromEntries(Object.entries(m).map(([k, tensor]) => [k, { name: tensor, dtype: 1 }]));
  const signatureDef = Object.fromEntries(Object.entries(signatures).map(([k, s]) => [k, { inputs: info(s.inputs), outputs: info(s.outputs), method_name: 'tensorflow/serving/predict' }]));
  const graphDef = tfMessageType('tensorflow.GraphDef').decode(graph);
  const type = tfMessageType('tensorflow.SavedModel');
  const message = type.fromObject({ saved_model_schema_version: 1, meta_graphs: [{ meta_info_def: { tags }, graph_def: graphDef, signature_def: signatureDef }] });
  writeFileSync(path.join(folder, 'saved_model.pb'), type.encode(message).finish());
  return folder;
}

describe('SavedModel input', () => {
  test('the shared fixture converts with --saved_model_dir and runs in LiteRT.js like tfjs runs its graph', async () => {
    const out = path.join(dir, 'fixture.tflite');
    const result = runCli(['--saved_model_dir', FIXTURE, '-o', out]);
    expect(result.stderr).toMatch(/input "Placeholder_1" is not needed by the outputs and was dropped/);
    expect(result.code, result.stderr).toBe(0);
    const tflite = new Uint8Array(readFileSync(out));
    const model = readTflite(tflite);
    expect(model.main.inputs.map((t) => t.name)).toEqual(['Placeholder']);
    expect(model.main.outputs.map((t) => t.name)).toEqual(['Add']);
    // The same bytes through the library.
    expect(Buffer.from(await TFLiteConverter.fromSavedModel(FIXTURE).convert()).equals(Buffer.from(tflite))).toBe(true);
    const random = mulberry32(5);
    const x = Float32Array.from({ length: 10 }, () => random() * 4 - 2);
    const graph = readFileSync(path.join(FIXTURE, 'saved_model.pb'));
    const graphDef = tfMessageType('tensorflow.SavedModel').decode(graph) as unknown as { meta_graphs: { graph_def: unknown }[] };
    const pb = tfMessageType('tensorflow.GraphDef').encode(graphDef.meta_graphs[0]!.graph_def as object).finish();
    const [reference] = await runGraphDef(pb, { Placeholder: { dtype: 'float32', shape: [1, 10], data: x }, Placeholder_1: { dtype: 'float32', shape: [1, 10], data: new Float32Array(10) } }, ['Add']);
    const ours = await runTflite(tflite, [x]);
    expect(maxRelErr(ours.outputs[0]!.data as Float32Array, reference!.data)).toBeLessThanOrEqual(1e-6);
  }, 60_000);

  test('the signature chooses inputs and outputs; the tag set chooses the meta graph; unknown ones are usage errors', async () => {
    // Two heads on one trunk: the signature "neg" exports only one, fed at the trunk's input.
    const graph = new GraphDefBuilder()
      .placeholder('a', [1, 4])
      .placeholder('unused', [1, 4])
      .node('r', 'Relu', ['a'], F)
      .node('neg', 'Neg', ['r'], F)
      .node('sq', 'Square', ['r'], F)
      .encode();
    const folder = savedModel('two-heads', graph, ['serve', 'gpu'], {
      serving_default: { inputs: { x: 'a:0' }, outputs: { y: 'sq:0' } },
      neg: { inputs: { x: 'a:0' }, outputs: { y: 'neg:0' } },
    });
    const convert = async (key?: string, tags?: string[]) => readTflite(await TFLiteConverter.fromSavedModel(folder, key === undefined ? undefined : [key], tags).convert());
    const byDefault = await convert();
    expect(byDefault.main.inputs.map((t) => t.name)).toEqual(['a']);
    expect(byDefault.main.outputs.map((t) => t.name)).toEqual(['sq']);
    const neg = await convert('neg', ['serve', 'gpu']);
    expect(neg.main.outputs.map((t) => t.name)).toEqual(['neg']);
    // Inputs come in the signature's key order (as TF's converter orders them), not graph order.
    const sub = new GraphDefBuilder().placeholder('a', [1, 3]).placeholder('b', [1, 3]).node('d', 'Sub', ['a', 'b'], F).encode();
    const ordered = savedModel('ordered', sub, ['serve'], { serving_default: { inputs: { first: 'b:0', second: 'a:0' }, outputs: { out: 'd:0' } } });
    const subModel = await TFLiteConverter.fromSavedModel(ordered).convert();
    expect(readTflite(subModel).main.inputs.map((t) => t.name)).toEqual(['b', 'a']);
    const [b, a] = [Float32Array.of(1, 2, 3), Float32Array.of(10, 20, 30)];
    expect(Array.from((await runTflite(subModel, [b, a])).outputs[0]!.data as Float32Array)).toEqual([9, 18, 27]);
    await expect(convert('nope')).rejects.toThrow(/no signature "nope" \(the file has "serving_default", "neg"\)/);
    await expect(convert(undefined, ['train'])).rejects.toThrow(UsageError);
    await expect(convert(undefined, ['train'])).rejects.toThrow(/no meta graph is tagged train \(the file has \[serve,gpu\]\)/);
    const cli = runCli(['--saved_model_dir', folder, '--saved_model_signature_key', 'neg', '-o', path.join(dir, 'neg.tflite')]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(readTflite(new Uint8Array(readFileSync(path.join(dir, 'neg.tflite')))).main.outputs.map((t) => t.name)).toEqual(['neg']);
    const orphan = runCli([path.join(folder, 'saved_model.pb'), '--saved_model_signature_key', 'neg', '-o', path.join(dir, 'x.tflite')]);
    expect(orphan.code).toBe(2);
    expect(orphan.stderr).toMatch(/--saved_model_tag_set and --saved_model_signature_key apply to --saved_model_dir/);
  }, 60_000);

  test('a graph that reads variables is refused, naming the variable nodes; no output file', () => {
    const graph = new GraphDefBuilder()
      .placeholder('x', [1, 2])
      .node('w', 'VariableV2', [], { dtype: attr.type('float32'), shape: attr.shape([2, 2]) })
      .node('w/read', 'Identity', ['w'], F)
      .node('y', 'MatMul', ['x', 'w/read'], F)
      .encode();
    const folder = savedModel('variables', graph, ['serve'], { serving_default: { inputs: { x: 'x:0' }, outputs: { y: 'y:0' } } });
    const out = path.join(dir, 'variables.tflite');
    const result = runCli(['--saved_model_dir', folder, '-o', out]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(/^tflite-convert: error: .*saved_model\.pb: this SavedModel reads variables or calls functions \(VariableV2 "w"\): freeze it into a GraphDef first/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(out)).toBe(false);
    // A GraphDef given where a SavedModel is asked for.
    const wrong = runCli(['--saved_model_dir', path.join(MODELS_DIR, 'tensorflow_onnx/fc-layers'), '-o', out]);
    expect(wrong.code).not.toBe(0);
    expect(existsSync(out)).toBe(false);
  }, 60_000);
});

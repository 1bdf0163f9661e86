/** Runs named steps of the float pipeline on a GraphDef built in a test, for golden-graph tests. */
import { importModel } from '../../src/import/index.js';
import type { Model } from '../../src/ir/graph.js';
import { graphToText } from '../../src/ir/text.js';
import { verifyModel } from '../../src/ir/verify.js';
import { REGISTRY } from '../../src/ops/registry.js';
import type { ConversionOptions } from '../../src/passes/pass.js';
import { FLOAT_PIPELINE } from '../../src/passes/pipeline.js';

export interface PassRun {
  model: Model;
  text: string;
  notices: string[];
  summaries: string[];
}

/** Imports `pb` and runs the pipeline's steps whose names are listed, in pipeline order. */
export function runSteps(pb: Uint8Array, names: readonly string[], options: ConversionOptions = {}): PassRun {
  const { model } = importModel(pb, 'test.pb');
  const notices: string[] = [];
  const summaries: string[] = [];
  const ctx = { registry: REGISTRY, options, notice: (m: string) => notices.push(m) };
  for (const { pass } of FLOAT_PIPELINE) {
    if (!names.includes(pass.name)) continue;
    summaries.push(pass.run(model, ctx));
    verifyModel(model);
  }
  return { model, text: graphToText(model.main), notices, summaries };
}

/** Golden text with the common indentation removed, so tests can indent it with the code. */
export function golden(text: string): string {
  const lines = text.replace(/^\n/, '').replace(/\n\s*$/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.match(/^ */)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

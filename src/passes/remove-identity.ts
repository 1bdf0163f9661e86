/**
 * remove-identity: TF ops that forward their inputs at inference (Identity, IdentityN,
 * StopGradient, Snapshot, CheckNumerics, ...) disappear, and so does PlaceholderWithDefault when
 * it is not an input (it then always yields its default).
 * When an identity was a model output, the tensor that takes its place takes its name too, so
 * the .tflite output is called what --output_arrays said.
 * Runs before legalization: TFLite has no identity op, and fewer ops make the later rules simpler.
 */
import type { Graph } from '../ir/graph.js';
import type { TfOp } from '../ir/op.js';
import { IDENTITY_OPS } from '../ops/tf-node-kinds.js';
import type { Pass } from './pass.js';

function forward(graph: Graph, op: TfOp, outputIndex: number, inputIndex: number): void {
  const out = op.outputs[outputIndex];
  const source = op.inputs[inputIndex];
  if (out === undefined || source === undefined || source === null) return;
  const wasOutput = graph.outputs.includes(out);
  graph.replaceUses(out, source);
  // Keep the user's output name, unless the source already has a name users see.
  if (wasOutput && source.producer !== null && !graph.inputs.includes(source)) source.name = out.name;
}

export const removeIdentity: Pass = {
  name: 'remove-identity',
  run(model) {
    const graph = model.main;
    let removed = 0;
    for (const op of [...graph.ops]) {
      if (op.dialect !== 'tf') continue;
      const isDefault = op.type === 'PlaceholderWithDefault' && !op.outputs.some((t) => graph.inputs.includes(t));
      if (!IDENTITY_OPS.has(op.type) && !isDefault) continue;
      op.outputs.forEach((_, i) => forward(graph, op, i, i));
      graph.ops.splice(graph.ops.indexOf(op), 1);
      removed++;
    }
    graph.pruneTensors();
    return removed > 0 ? `removed ${removed} identity ops` : '';
  },
};

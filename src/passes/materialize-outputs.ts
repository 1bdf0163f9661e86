/**
 * materialize-outputs: an output that no op computes (it is an input passed straight through, or
 * a constant) gets a RESHAPE to its own shape that writes it. Runtimes with separate output
 * buffers (LiteRT's CompiledModel) never fill an output no op writes; the copy costs nothing
 * next to a model, and such graphs are rare (a dropout-only graph, a graph of constants).
 * Last in the pipeline: nothing may fold the RESHAPE away again.
 */
import { BuiltinOperator } from '../../generated/tflite/builtin-operator.js';
import { Rewriter } from '../ops/rewriter.js';
import type { Pass } from './pass.js';

export const materializeOutputs: Pass = {
  name: 'materialize-outputs',
  run(model, ctx) {
    const graph = model.main;
    const rw = new Rewriter(graph, ctx.registry);
    let added = 0;
    graph.outputs = graph.outputs.map((out) => {
      if (out.producer !== null || out.shape === null) return out;
      // The output keeps its name; the value it passes through is renamed.
      const name = out.name;
      out.name = `${name}/source`;
      const shape = rw.int32(`${name}/shape`, out.shape);
      const copy = rw.tfl1(BuiltinOperator.RESHAPE, [out, shape], null, name);
      added++;
      return copy;
    });
    graph.ops.push(...rw.take());
    return added > 0 ? `${added} outputs copied from an input or constant` : '';
  },
};

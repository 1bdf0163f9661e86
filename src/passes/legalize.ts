/**
 * legalize: every TF op becomes TFLite ops through the rule its family registered. Ops are
 * visited in topological order, so a rule sees its inputs already legalized, with dtypes and
 * shapes. Every op without a rule is reported at once (type and node names), or, with
 * --allow_custom_ops, kept as a CUSTOM op of that name.
 */
import { BuiltinOperator } from '../../generated/tflite/builtin-operator.js';
import { createTflOp, type Op, type TflOp, type TfOp } from '../ir/op.js';
import type { Tensor } from '../ir/tensor.js';
import { Rewriter } from '../ops/rewriter.js';
import { UnsupportedError } from '../util/errors.js';
import type { Pass } from './pass.js';

function asCustom(op: TfOp): TflOp {
  const custom = createTflOp(BuiltinOperator.CUSTOM, op.name, op.inputs, op.outputs);
  custom.customCode = op.type;
  return custom;
}

export const legalize: Pass = {
  name: 'legalize',
  run(model, ctx) {
    const graph = model.main;
    const rw = new Rewriter(graph, ctx.registry);
    const replaced = new Map<Tensor, Tensor | null>();
    const remap = (t: Tensor | null) => (t === null ? null : replaced.has(t) ? replaced.get(t)! : t);
    const unsupported = new Map<string, string[]>();
    const ops: Op[] = [];
    let rewritten = 0;
    for (const op of graph.ops) {
      op.inputs = op.inputs.map(remap);
      if (op.dialect === 'tfl') {
        ops.push(op);
        continue;
      }
      const rule = ctx.registry.legalization(op.type);
      if (rule === undefined) {
        const names = unsupported.get(op.type) ?? [];
        names.push(op.name);
        unsupported.set(op.type, names);
        ops.push(ctx.options.allowCustomOps ? asCustom(op) : op);
        continue;
      }
      const results = rule.legalize(op, rw);
      op.outputs.forEach((out, i) => {
        const result = results[i] ?? null;
        replaced.set(out, result);
        if (result !== null && result !== out && graph.outputs.includes(out) && result.producer !== null) result.name = out.name;
      });
      ops.push(...rw.take());
      rewritten++;
    }
    if (unsupported.size > 0 && !ctx.options.allowCustomOps) {
      const list = [...unsupported].map(([type, names]) => `${type} (${names.slice(0, 3).map((n) => `"${n}"`).join(', ')}${names.length > 3 ? `, and ${names.length - 3} more` : ''})`);
      throw new UnsupportedError(
        `${unsupported.size} TensorFlow op type${unsupported.size > 1 ? 's have' : ' has'} no TFLite conversion: ${list.join('; ')}. Use --allow_custom_ops to emit them as custom ops.`,
      );
    }
    graph.ops = ops;
    graph.outputs = graph.outputs.map((t) => remap(t) ?? t);
    for (const op of ops) for (const t of op.outputs) t.producer = op;
    graph.pruneTensors();
    const custom = unsupported.size > 0 ? `; ${[...unsupported.values()].flat().length} custom ops` : '';
    return `${rewritten} TF ops to TFLite${custom}`;
  },
};

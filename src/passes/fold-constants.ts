/**
 * fold-constants: any op whose inputs are all constants is evaluated with its reference kernel
 * and its outputs become constants (transposed weights, Keras Flatten's Shape → StridedSlice →
 * Pack chains, ...); ops that read only shapes (SHAPE) fold once those shapes are static. Every other op has its output types inferred again, so shapes known only
 * after folding (a reshape target, say) reach the ops downstream. One topological sweep does both.
 */
import { BuiltinOperator } from '../../generated/tflite/builtin-operator.js';
import { elementCount, bytesOf, constValues } from '../ir/tensor.js';
import type { Tensor } from '../ir/tensor.js';
import type { Value } from '../kernels/value.js';
import type { Pass } from './pass.js';

/** Outputs larger than this are left to the runtime rather than stored in the file. */
const MAX_FOLDED_ELEMENTS = 1 << 24;

function isConstant(t: Tensor | null): boolean {
  return t === null || (t.data !== null && !t.isVariable && t.data.kind === 'bytes');
}

function hasStaticShape(t: Tensor | null): boolean {
  return t === null || (t.dtype !== null && t.shape !== null && t.shape.every((d) => d >= 0));
}

/** A value that carries only a dtype and a shape, for kernels that read nothing else. */
function shapeOnlyValue(t: Tensor): Value {
  return { dtype: t.dtype!, shape: t.shape!, data: new Float32Array(0) };
}

function valueOf(t: Tensor): Value {
  return { dtype: t.dtype!, shape: t.shape!, data: constValues(t.data!, t.dtype!) };
}

export const foldConstants: Pass = {
  name: 'fold-constants',
  run(model, ctx) {
    const graph = model.main;
    let folded = 0;
    graph.ops = graph.ops.filter((op) => {
      if (op.dialect !== 'tfl' || op.builtin === BuiltinOperator.CUSTOM) return true;
      ctx.registry.inferInto(op);
      const def = ctx.registry.def(op.builtin);
      if (def?.evaluate === undefined || op.inputs.length === 0) return true;
      const foldable = def.readsOnlyShapes ? op.inputs.every(hasStaticShape) : op.inputs.every(isConstant);
      if (!foldable) return true;
      if (op.outputs.some((t) => t.shape === null || !(elementCount(t.shape) <= MAX_FOLDED_ELEMENTS))) return true;
      const values = def.evaluate(op, op.inputs.map((t) => (t === null ? null : def.readsOnlyShapes ? shapeOnlyValue(t) : valueOf(t))));
      op.outputs.forEach((out, i) => {
        const value = values[i]!;
        out.dtype = value.dtype;
        out.shape = value.shape;
        out.data = { kind: 'bytes', bytes: bytesOf(value.data) };
        out.producer = null;
      });
      folded++;
      return false;
    });
    graph.pruneTensors();
    return folded > 0 ? `folded ${folded} ops into constants` : '';
  },
};

/**
 * fold-constants: any op whose inputs are all constants is evaluated with its reference kernel
 * and its outputs become constants (transposed weights, Keras Flatten's Shape → StridedSlice →
 * Pack chains, ...); ops that read only shapes (SHAPE) fold once those shapes are static. Every other op has its output types inferred again, so shapes known only
 * after folding (a reshape target, say) reach the ops downstream. One topological sweep does both.
 *
 * A TRANSPOSE that is one 2-D transpose (weight layouts: [in, out] → [out, in], HWIO → OHWI)
 * folds into a `DeferredTranspose`: its bytes are produced where they are needed, by the writer
 * straight into the output, instead of a second copy of the weight held until the export.
 */
import { BuiltinOperator } from '../../generated/tflite/builtin-operator.js';
import { DeferredTranspose } from '../ir/deferred-bytes.js';
import { blockSwapSplit, TransposedBytes, type ElementSize } from '../util/byte-transpose.js';
import { DTYPES } from '../ir/dtype.js';
import type { TflOp } from '../ir/op.js';
import { elementCount, bytesOf, constByteLength, constValues } from '../ir/tensor.js';
import type { Tensor } from '../ir/tensor.js';
import type { Value } from '../kernels/value.js';
import type { Pass } from './pass.js';

/**
 * Outputs larger than this are left to the runtime rather than stored in the file (except
 * deferred transposes, which only rearrange a constant the file would hold anyway).
 */
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

/**
 * The folded output of a TRANSPOSE of a constant as deferred bytes, or null when the
 * permutation or dtype needs the kernel. Same shape, dtype and bytes as the kernel's result.
 */
function deferredTranspose(op: TflOp): { shape: number[]; data: DeferredTranspose } | null {
  const [x, permTensor] = op.inputs;
  if (!x || !permTensor || x.data?.kind !== 'bytes' || permTensor.data?.kind !== 'bytes' || x.dtype === null || x.shape === null) return null;
  if (permTensor.dtype !== 'int32') return null;
  const elementSize = DTYPES[x.dtype].bytes;
  if (DTYPES[x.dtype].array === null || (elementSize !== 1 && elementSize !== 2 && elementSize !== 4 && elementSize !== 8)) return null;
  const perm = Array.from(constValues(permTensor.data, 'int32') as Int32Array);
  const shape = x.shape;
  const split = perm.length === shape.length ? blockSwapSplit(perm) : null;
  if (split === null) return null;
  const rows = shape.slice(0, shape.length - split).reduce((a, b) => a * b, 1);
  const cols = shape.slice(shape.length - split).reduce((a, b) => a * b, 1);
  if (constByteLength(x.data) !== rows * cols * elementSize) return null;
  const transpose = new TransposedBytes(x.data.bytes, rows, cols, elementSize as ElementSize);
  return { shape: perm.map((p) => shape[p]!), data: new DeferredTranspose(transpose) };
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
      // Before the size limit: a deferred transpose holds no new bytes, and its output replaces
      // its input in the file, so large weights fold too (a runtime TRANSPOSE of a weight
      // would leave FULLY_CONNECTED/CONV_2D with non-constant weights).
      const deferred = op.builtin === BuiltinOperator.TRANSPOSE ? deferredTranspose(op) : null;
      if (deferred === null && op.outputs.some((t) => t.shape === null || !(elementCount(t.shape) <= MAX_FOLDED_ELEMENTS))) return true;
      if (deferred !== null) {
        const out = op.outputs[0]!;
        out.dtype = op.inputs[0]!.dtype;
        out.shape = deferred.shape;
        out.data = deferred.data;
        out.producer = null;
        folded++;
        return false;
      }
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

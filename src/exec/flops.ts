/**
 * Floating-point work of one forward pass, counted from the IR's shapes: 2 FLOPs (a multiply and
 * an add) per multiply-accumulate of the ops that dominate inference (CONV_2D,
 * DEPTHWISE_CONV_2D, FULLY_CONNECTED, BATCH_MATMUL), the convention GFLOP/s figures of
 * convolutional models use. Elementwise ops, pooling and the like are left out; the bench and
 * the calibration's choice of worker threads only need the order of magnitude.
 */
import { BatchMatMulOptionsT } from '../../generated/tflite/batch-mat-mul-options.js';
import { BuiltinOperator } from '../../generated/tflite/builtin-operator.js';
import type { Model } from '../ir/graph.js';
import type { TflOp } from '../ir/op.js';

const product = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

/** Multiply-accumulates of one op, or 0 for ops that are not counted or whose shapes are unknown. */
export function opMacs(op: TflOp): number {
  const out = op.outputs[0]?.shape;
  const x = op.inputs[0]?.shape;
  const w = op.inputs[1]?.shape;
  if (out == null || x == null || w == null || [...out, ...x, ...w].some((d) => d < 0)) return 0;
  switch (op.builtin) {
    case BuiltinOperator.CONV_2D:
      // Every output element reads KH·KW·I filter taps (I = the filter's input channels per group).
      return product(out) * product(w.slice(1));
    case BuiltinOperator.DEPTHWISE_CONV_2D:
      return product(out) * (w[1] ?? 0) * (w[2] ?? 0);
    case BuiltinOperator.FULLY_CONNECTED:
      return product(out) * (w[1] ?? 0);
    case BuiltinOperator.BATCH_MATMUL: {
      // The contracted dimension: x's last, or its second to last when x is adjoint.
      const options = op.options?.value;
      const adjX = options instanceof BatchMatMulOptionsT && options.adjX;
      return product(out) * (x[x.length - (adjX ? 2 : 1)] ?? 0);
    }
    default:
      return 0;
  }
}

/** FLOPs (2 × MACs) of one forward pass of the main graph. */
export function modelFlops(model: Model): number {
  let macs = 0;
  for (const op of model.main.ops) if (op.dialect === 'tfl') macs += opMacs(op);
  return 2 * macs;
}

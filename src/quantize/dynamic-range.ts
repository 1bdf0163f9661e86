/**
 * Dynamic-range quantization (TF's `optimizations=[DEFAULT]` with no representative dataset, the
 * old `--post_training_quantize`): the large float32 weights of the ops TFLite can run with int8
 * weights are stored as symmetric int8; activations stay float32.
 *
 * Follows TensorFlow's MLIR dynamic-range quantizer (transforms/prepare_quantize_dynamic_range.cc
 * and quantize.cc, with the op traits of ir/tfl_ops.td):
 * - which operand of which op is quantizable, and along which axis (the op's
 *   AffineQuantizedOpInterface quantization dimension; per-tensor for ops without one);
 * - "hybrid" ops, whose kernels read the int8 weight directly and quantize their input at run
 *   time (GetDynamicRangeQuantKernelSupport), get it as their input; the others ("weight-only")
 *   read it through a DEQUANTIZE op, so only the file shrinks;
 * - ops with RequireAsymmetricQuantizeInputsAttr get `asymmetric_quantize_inputs = true`;
 * - a weight with fewer than 1024 elements (QuantizationSpecs::minimum_elements_for_weights) and
 *   every operand not listed (biases, LSTM states) stay float32;
 * - one float constant read by several ops gets one int8 copy per distinct (axis) parameter set,
 *   shared by the readers that agree, as the pass's Q/DQ reuse does.
 * Each op's version then follows from its definition (op_version.cc's hybrid cases).
 */
import { BatchMatMulOptionsT } from '../../generated/tflite/batch-mat-mul-options.js';
import { BuiltinOperator } from '../../generated/tflite/builtin-operator.js';
import { FullyConnectedOptionsT } from '../../generated/tflite/fully-connected-options.js';
import type { Graph, Model } from '../ir/graph.js';
import { createTflOp, type Op, type TflOp } from '../ir/op.js';
import { bytesOf, constValues, elementCount, Tensor } from '../ir/tensor.js';
import type { OpRegistry } from '../ops/registry.js';
import { quantizeSymmetricInt8 } from './quant-math.js';

/** TFLite's QuantizationSpecs::minimum_elements_for_weights default. */
export const MIN_ELEMENTS_FOR_WEIGHTS = 1024;

interface WeightRule {
  /** The operand the op can take as int8. */
  operand: number;
  /** Per-channel quantization dimension; null for per-tensor. */
  axis: number | null;
  /** The runtime kernel reads int8 weights itself; otherwise a DEQUANTIZE feeds it float. */
  hybrid: boolean;
  /** Sets the op's asymmetric_quantize_inputs option. */
  setAsymmetricInputs?: (op: TflOp) => void;
}

/** The dynamic-range traits of tfl_ops.td, for the ops our registry has. */
const RULES: ReadonlyMap<BuiltinOperator, WeightRule> = new Map<BuiltinOperator, WeightRule>([
  [BuiltinOperator.CONV_2D, { operand: 1, axis: 0, hybrid: true }],
  [BuiltinOperator.DEPTHWISE_CONV_2D, { operand: 1, axis: 3, hybrid: true }],
  [
    BuiltinOperator.FULLY_CONNECTED,
    {
      operand: 1,
      axis: 0,
      hybrid: true,
      setAsymmetricInputs: (op) => {
        if (op.options?.value instanceof FullyConnectedOptionsT) op.options.value.asymmetricQuantizeInputs = true;
      },
    },
  ],
  [
    BuiltinOperator.BATCH_MATMUL,
    {
      operand: 1,
      axis: null,
      hybrid: true,
      setAsymmetricInputs: (op) => {
        if (op.options?.value instanceof BatchMatMulOptionsT) op.options.value.asymmetricQuantizeInputs = true;
      },
    },
  ],
  [BuiltinOperator.TRANSPOSE_CONV, { operand: 1, axis: 0, hybrid: false }],
  [BuiltinOperator.GATHER, { operand: 0, axis: null, hybrid: false }],
  [BuiltinOperator.EMBEDDING_LOOKUP, { operand: 1, axis: null, hybrid: false }],
]);

/** A float32 constant this pass may quantize for `rule`, or null. */
function quantizableWeight(op: TflOp, rule: WeightRule): Tensor | null {
  const t = op.inputs[rule.operand];
  if (t === null || t === undefined || t.dtype !== 'float32' || t.data?.kind !== 'bytes' || t.isVariable || t.shape === null) return null;
  if (!(elementCount(t.shape) >= MIN_ELEMENTS_FOR_WEIGHTS)) return null;
  // Upstream's per-axis type builder gives up (and the weight stays float) below that rank.
  if (rule.axis !== null && t.shape.length <= rule.axis) return null;
  return t;
}

interface Counts {
  hybrid: number;
  weightOnly: number;
  constants: number;
}

function quantizeGraph(graph: Graph, registry: OpRegistry, counts: Counts): void {
  /** Float constant → its int8 copies by axis. */
  const int8Copies = new Map<Tensor, Map<number | null, Tensor>>();
  /** int8 constant → the float32 output of its DEQUANTIZE. */
  const dequantized = new Map<Tensor, Tensor>();

  const int8Of = (t: Tensor, axis: number | null): Tensor => {
    let copies = int8Copies.get(t);
    if (copies === undefined) int8Copies.set(t, (copies = new Map()));
    let q = copies.get(axis);
    if (q === undefined) {
      const { values, scale } = quantizeSymmetricInt8(constValues(t.data!, 'float32') as Float32Array, t.shape!, axis);
      q = graph.addTensor(new Tensor(copies.size === 0 ? t.name : `${t.name}/int8_axis${axis ?? 'none'}`, 'int8', t.shape!.slice()));
      q.data = { kind: 'bytes', bytes: bytesOf(values) };
      q.quant = { scale, zeroPoint: scale.map(() => 0), axis: axis ?? 0 };
      copies.set(axis, q);
      counts.constants++;
    }
    return q;
  };

  const ops: Op[] = [];
  for (const op of graph.ops) {
    const rule = op.dialect === 'tfl' ? RULES.get(op.builtin) : undefined;
    const weight = rule && op.dialect === 'tfl' ? quantizableWeight(op, rule) : null;
    if (rule === undefined || weight === null || op.dialect !== 'tfl' || registry.def(op.builtin) === undefined) {
      ops.push(op);
      continue;
    }
    const q = int8Of(weight, rule.axis);
    if (rule.hybrid) {
      op.inputs[rule.operand] = q;
      rule.setAsymmetricInputs?.(op);
      counts.hybrid++;
    } else {
      let f32 = dequantized.get(q);
      if (f32 === undefined) {
        f32 = graph.addTensor(new Tensor(`${q.name}/dequantize`, 'float32', q.shape));
        const dq = createTflOp(BuiltinOperator.DEQUANTIZE, f32.name, [q], [f32]);
        registry.inferInto(dq);
        ops.push(dq);
        dequantized.set(q, f32);
      }
      op.inputs[rule.operand] = f32;
      counts.weightOnly++;
    }
    // Re-derive output types and, above all, the op version from the new operand types.
    registry.inferInto(op);
    ops.push(op);
  }
  graph.ops = ops;
  graph.pruneTensors();
}

/** Quantizes the model's weights in place; returns a one-line summary ('' when nothing changed). */
export function quantizeWeightsDynamicRange(model: Model, registry: OpRegistry): string {
  const counts: Counts = { hybrid: 0, weightOnly: 0, constants: 0 };
  for (const graph of model.graphs) quantizeGraph(graph, registry, counts);
  if (counts.constants === 0) return '';
  const weightOnly = counts.weightOnly > 0 ? `, ${counts.weightOnly} read through DEQUANTIZE` : '';
  return `stored ${counts.constants} weight tensors as int8: ${counts.hybrid} hybrid ops${weightOnly}`;
}

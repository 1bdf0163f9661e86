/**
 * What the converter knows about one TFLite op: how to infer its output types, how to evaluate it
 * (the reference kernel, used by constant folding and the executor), and which version of the op
 * the runtime needs. TF ops become these through legalization rules, declared next to the op in
 * its family file.
 */
import { BuiltinOperator } from '../../generated/tflite/builtin-operator.js';
import { BuiltinOptions } from '../../generated/tflite/builtin-options.js';
import type { DType } from '../ir/dtype.js';
import type { TflOp, TfOp } from '../ir/op.js';
import type { Shape, Tensor } from '../ir/tensor.js';
import type { Value } from '../kernels/value.js';
import { GraphError, UnsupportedError } from '../util/errors.js';
import type { Rewriter } from './rewriter.js';

export interface TensorType {
  dtype: DType;
  shape: Shape;
}

export interface OpDef {
  readonly builtin: BuiltinOperator;
  /**
   * Output dtypes and shapes from the inputs' (op.inputs[i].dtype/.shape, and their data when
   * constant). Unknown dimensions are -1; an unknown rank is null.
   */
  infer(op: TflOp): TensorType[];
  /** The reference kernel, on fully known values. Ops without one are never folded. */
  evaluate?(op: TflOp, inputs: (Value | null)[]): Value[];
  /**
   * The integer kernel of the op's quantized form (int8/uint8/int16 activations, parameters on
   * op's tensors' `quant`), following TFLite's reference arithmetic bit for bit. The executor
   * runs it when an output or a non-constant input is quantized (isQuantizedOp); ops that only
   * move values may simply delegate to `evaluate`.
   */
  evaluateQuantized?(op: TflOp, inputs: (Value | null)[]): Value[];
  /**
   * The kernel reads only its inputs' shapes (SHAPE, RANK): it folds as soon as those are static,
   * constant or not, and `evaluate` then gets values whose data is empty.
   */
  readsOnlyShapes?: boolean;
  /** The operator version this instance needs (TFLite's op_version rules); 1 when absent. */
  version?(op: TflOp): number;
  /** How full-integer quantization treats the op (absent: it stays float, like `floatOnly`). */
  quant?: QuantTrait;
  /** How dynamic-range quantization treats the op (absent: its weights stay float). */
  dynamicRange?: DynamicRangeTrait;
  /** The op's form in TFLite's 16x8 mode (absent: it has no 16x8 kernel and stays float there). */
  int16x8?: Int16x8Trait;
}

/**
 * The op's full-integer (int8) quantization behaviour, after the MLIR quantizer's op traits
 * (tfl_ops.td): `int8Version` is the least version op_version.cc gives the op's int8 form.
 * - `affine`: weights (operand `weight`) int8 symmetric per channel along `channelAxis`, bias
 *   (operand `bias`) int32 at input scale × weight scale; output from its calibrated range.
 * - `ownRange`: every float operand int8 per tensor; the output from its calibrated range.
 * - `sameScale`: every output keeps the scale and zero point of the data input (input `operand`,
 *   0 when absent; SPLIT's is 1) (SameOperandsAndResultsScale); with `fromOutput`, every float
 *   input is instead brought to the (single) output's range (CONCATENATION, PACK, MAXIMUM).
 * - `fixedOutput`: the output's parameters are fixed by the spec (FixedOutputRangeInterface).
 * - `lstm`: TFLite's 8x8_16 LSTM (UNIDIRECTIONAL_SEQUENCE_LSTM): int8 weights and activations,
 *   int16 cell state, its own operand layout and intermediates (src/quantize/lstm-int8.ts), and
 *   calibrated ranges of states inside the op (ops/lstm.ts observeLstmInternals); no 16x8 form here.
 * - `floatOnly`: no int8 kernel; the op stays float between DEQUANTIZE and QUANTIZE.
 */
export type QuantTrait =
  | { kind: 'affine'; weight: number; bias: number | null; channelAxis: number; int8Version: number }
  | { kind: 'ownRange'; int8Version: number }
  | { kind: 'sameScale'; fromOutput?: boolean; operand?: number; int8Version: number }
  | { kind: 'fixedOutput'; scale: number; zeroPoint: number; int8Version: number }
  | { kind: 'lstm'; int8Version: number }
  | { kind: 'floatOnly' };

/**
 * The op's dynamic-range quantization (int8 weights, float activations), after tfl_ops.td's
 * DynamicRangeQuantizedOpInterface: `operand` is the constant stored as int8
 * (GetQuantizableOperandIndices), `axis` its per-channel dimension (the op's
 * AffineQuantizedOpInterface quantization dimension), null for per tensor.
 * - `hybrid`: the runtime kernel reads the int8 weight itself and quantizes its float input at run
 *   time (GetDynamicRangeQuantKernelSupport); `setAsymmetricInputs` sets the op's
 *   asymmetric_quantize_inputs option, for ops with RequireAsymmetricQuantizeInputsAttr.
 * - `weightOnly`: no hybrid kernel; a DEQUANTIZE feeds the op float weights, only the file shrinks.
 */
export type DynamicRangeTrait =
  | { kind: 'hybrid'; operand: number; axis: number | null; setAsymmetricInputs?: (op: TflOp) => void }
  | { kind: 'weightOnly'; operand: number; axis: number | null };

/**
 * The op's 16x8 form (int16 activations, int8 weights, int64 biases), as TFLite's 16x8 quantizer
 * (operator_property.cc: quantizable, and not quantizable_int16 = false) makes it. Only ops whose
 * `quant` trait gives them an integer form have one.
 * - `version`: the version of the op's int16 form (op_version.cc; int16x8.ts says where TFLite's
 *   documented versions of the 16x8 convolutions and FULLY_CONNECTED are used instead);
 * - `perChannelWeights`: an `affine` op's weights are per channel along `quant.channelAxis`
 *   (operator_property.cc gives only the convolutions `per_axis`); per tensor when absent;
 * - `fixedOutput`: the output parameters 16x8 fixes (restricted_value_int16), required for
 *   ops whose `quant` is `fixedOutput`;
 * - `adjustOptions`: options the op's int16 kernel needs set (ADD and SUB: pot_scale_int16).
 */
export interface Int16x8Trait {
  version: number;
  perChannelWeights?: boolean;
  fixedOutput?: { scale: number; zeroPoint: number };
  adjustOptions?: (op: TflOp) => void;
}

/** restricted_value_int16 of LOGISTIC, TANH and SOFTMAX: [-1, 1) at 1/32768, zero point 0. */
export const INT16_UNIT_OUTPUT: Readonly<{ scale: number; zeroPoint: number }> = { scale: 1 / 32768, zeroPoint: 0 };

/** Rewrites a TF op into TFLite ops, returning the tensors that replace its outputs, in order. */
export interface TfLegalization {
  readonly tfTypes: readonly string[];
  legalize(op: TfOp, rw: Rewriter): (Tensor | null)[];
}

/** An options object of the generated object API, with the union tag it is stored under. */
export function options<T extends { pack(builder: never): number }>(type: BuiltinOptions, value: T): TflOp['options'] {
  return { type, value };
}

/** The op's builtin options as the expected class, or a GraphError naming the op. */
export function optionsAs<T>(op: TflOp, ctor: abstract new (...args: never[]) => T): T {
  const value = op.options?.value;
  if (!(value instanceof ctor)) {
    throw new GraphError(`${BuiltinOperator[op.builtin]} "${op.name}" lacks its ${ctor.name}`);
  }
  return value;
}

/** Input `i`, which the op requires. */
export function inputOf(op: TflOp | TfOp, i: number): Tensor {
  const t = op.inputs[i];
  if (t === undefined || t === null) {
    const type = op.dialect === 'tf' ? op.type : BuiltinOperator[op.builtin];
    throw new GraphError(`${type} "${op.name}" is missing input ${i}`);
  }
  return t;
}

const QUANTIZED_DTYPES: ReadonlySet<DType> = new Set<DType>(['int8', 'uint8', 'int16']);

/** An integer tensor with affine quantization parameters (the int8/int16 activation form). */
export function isQuantizedTensor(t: Tensor | null | undefined): boolean {
  return t !== null && t !== undefined && t.dtype !== null && QUANTIZED_DTYPES.has(t.dtype) && t.quant !== null && t.quant.scale.length > 0;
}

/**
 * Whether the op runs on quantized activations: an output or a non-constant input is quantized.
 * A hybrid (dynamic-range) op, with int8 constant weights but float activations, is not.
 */
export function isQuantizedOp(op: TflOp): boolean {
  return op.outputs.some(isQuantizedTensor) || op.inputs.some((t) => t !== null && !t.isConstant && isQuantizedTensor(t));
}

export function requireDtype(t: Tensor): DType {
  if (t.dtype === null) throw new GraphError(`tensor "${t.name}" has no known dtype`);
  return t.dtype;
}

/** The tensor's dtype when TFLite's kernel takes it; an UnsupportedError naming the node otherwise. */
export function requireKernelDtype(op: TfOp, t: Tensor, tflOp: string, allowed: readonly DType[]): DType {
  const dtype = requireDtype(t);
  if (!allowed.includes(dtype)) {
    throw new UnsupportedError(`${op.type} "${op.name}": TFLite's ${tflOp} does not take ${dtype} (it takes ${allowed.join(', ')})`);
  }
  return dtype;
}

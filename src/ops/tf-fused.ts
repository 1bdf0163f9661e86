/**
 * Grappler's fused TF ops (_FusedMatMul, _FusedConv2D, FusedDepthwiseConv2dNative) name their
 * trailing ops in `fused_ops`: a bias add and then at most one activation. Their rules emit the
 * base op and then these plain TFLite ops; fuse-bias-add and fuse-activation fold them back into
 * the TFLite op where TFLite has the fused form.
 */
import { BuiltinOperator } from '../../generated/tflite/builtin-operator.js';
import { BuiltinOptions } from '../../generated/tflite/builtin-options.js';
import { LeakyReluOptionsT } from '../../generated/tflite/leaky-relu-options.js';
import { AddOptionsT } from '../../generated/tflite/add-options.js';
import type { TfOp } from '../ir/op.js';
import type { Tensor } from '../ir/tensor.js';
import { UnsupportedError } from '../util/errors.js';
import { options } from './op-def.js';
import type { Rewriter } from './rewriter.js';
import { attrFloat, attrStrings } from './tf-attrs.js';

const ACTIVATIONS: Record<string, BuiltinOperator> = {
  Relu: BuiltinOperator.RELU,
  Relu6: BuiltinOperator.RELU6,
  Elu: BuiltinOperator.ELU,
  Tanh: BuiltinOperator.TANH,
  Sigmoid: BuiltinOperator.LOGISTIC,
  LeakyRelu: BuiltinOperator.LEAKY_RELU,
};

/**
 * The activation named by a fused op, as the TFLite op that computes it; x when there is none.
 * Prelu (tfjs fuses Keras PReLU into grappler's ops) reads its alpha from the op's next argument.
 */
export function emitTfActivation(rw: Rewriter, op: TfOp, activation: string | undefined, x: Tensor, alpha?: Tensor): Tensor {
  if (activation === undefined) return x;
  if (activation === 'Prelu') {
    if (alpha === undefined) throw new UnsupportedError(`node "${op.name}" (${op.type}) fuses Prelu but has no alpha input`);
    return rw.tfl1(BuiltinOperator.PRELU, [x, alpha], null, op.name);
  }
  const builtin = ACTIVATIONS[activation];
  if (builtin === undefined) {
    throw new UnsupportedError(`node "${op.name}" (${op.type}) fuses activation ${activation}, which is not supported`);
  }
  const opts =
    builtin === BuiltinOperator.LEAKY_RELU
      ? options(BuiltinOptions.LeakyReluOptions, new LeakyReluOptionsT(attrFloat(op, 'leakyrelu_alpha', 0.2)))
      : null;
  return rw.tfl1(builtin, [x], opts, op.name);
}

/**
 * Emits `fused_ops` after `base` (the base op's output): ["BiasAdd"] adds inputs[2], an
 * activation may follow. Other combinations (FusedBatchNorm) are the caller's to handle first;
 * `handled` lists the entries the caller already emitted.
 */
export function emitBiasAndActivation(rw: Rewriter, op: TfOp, base: Tensor, handled: readonly string[] = []): Tensor {
  const fused = attrStrings(op, 'fused_ops', []).filter((f) => !handled.includes(f));
  let x = base;
  let rest = fused;
  if (rest[0] === 'BiasAdd') {
    const bias = op.inputs[2];
    if (!bias) throw new UnsupportedError(`node "${op.name}" (${op.type}) fuses BiasAdd but has no bias input`);
    const name = rest.length > 1 ? `${op.name}/BiasAdd` : op.name;
    x = rw.tfl1(BuiltinOperator.ADD, [x, bias], options(BuiltinOptions.AddOptions, new AddOptionsT()), name);
    rest = rest.slice(1);
  }
  if (rest.length > 1) {
    throw new UnsupportedError(`node "${op.name}" (${op.type}) fuses ${fused.join(' + ')}, which is not supported`);
  }
  const alpha = rest[0] === 'Prelu' ? (op.inputs[fused[0] === 'BiasAdd' ? 3 : 2] ?? undefined) : undefined;
  return emitTfActivation(rw, op, rest[0], x, alpha);
}

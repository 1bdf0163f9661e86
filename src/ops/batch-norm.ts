/**
 * Batch norm at inference, TF's FusedBatchNorm/V2/V3 with is_training false (and the batch norm
 * inside grappler's fused convolutions, conv.ts): y = x · scale / sqrt(var + ε) + (offset −
 * mean · scale / sqrt(var + ε)), as a MUL and an ADD that fuse-mul-into-weights and
 * fuse-bias-add fold into the preceding convolution or matmul.
 */
import { AddOptionsT } from '../../generated/tflite/add-options.js';
import { BuiltinOperator } from '../../generated/tflite/builtin-operator.js';
import { BuiltinOptions } from '../../generated/tflite/builtin-options.js';
import { MulOptionsT } from '../../generated/tflite/mul-options.js';
import { SubOptionsT } from '../../generated/tflite/sub-options.js';
import type { TfOp } from '../ir/op.js';
import { constValues, type Tensor } from '../ir/tensor.js';
import { inputOf, options, type TfLegalization } from './op-def.js';
import { chain, requireFloat32, unsupported, type Step } from './pool.js';
import type { Rewriter } from './rewriter.js';
import { attrBool, attrFloat, attrString } from './tf-attrs.js';


export const add = (rw: Rewriter, a: Tensor, b: Tensor, name: string) => rw.tfl1(BuiltinOperator.ADD, [a, b], options(BuiltinOptions.AddOptions, new AddOptionsT()), name);
const mul = (rw: Rewriter, a: Tensor, b: Tensor, name: string) => rw.tfl1(BuiltinOperator.MUL, [a, b], options(BuiltinOptions.MulOptions, new MulOptionsT()), name);

function float32Values(t: Tensor): Float32Array | null {
  return t.data !== null && t.data.kind === 'bytes' && t.dtype === 'float32' && !t.isVariable ? (constValues(t.data, 'float32') as Float32Array) : null;
}

/**
 * The MUL and ADD of a batch norm over [scale, offset, mean, variance]. Their per-channel factors
 * are computed here when all four are constants, else by TFLite ops on them (which fold when they
 * become constant). `channelsFirst` shapes the factors [C, 1, …] to broadcast over NCHW.
 */
export function batchNormSteps(op: TfOp, rw: Rewriter, params: Tensor[], epsilon: number, channelsFirst: number | null): Step[] {
  const [scale, offset, mean, variance] = params as [Tensor, Tensor, Tensor, Tensor];
  let factors: { mul: Tensor; shift: Tensor } | null = null;
  const build = (): { mul: Tensor; shift: Tensor } => {
    const n = `${op.name}/batchnorm`;
    const values = params.map(float32Values);
    if (values.every((v) => v !== null)) {
      const [s, o, m, v] = values as Float32Array[];
      const c = s!.length;
      const k = Float32Array.from({ length: c }, (_, i) => s![i]! / Math.sqrt(v![i]! + epsilon));
      const shift = Float32Array.from({ length: c }, (_, i) => o![i]! - m![i]! * k[i]!);
      const shape = channelsFirst === null ? [c] : [c, ...new Array<number>(channelsFirst - 2).fill(1)];
      return { mul: rw.constant(`${n}/scale`, 'float32', shape, k), shift: rw.constant(`${n}/shift`, 'float32', shape, shift) };
    }
    const eps = rw.constant(`${n}/epsilon`, 'float32', [], Float32Array.of(epsilon));
    const inv = rw.tfl1(BuiltinOperator.RSQRT, [add(rw, variance, eps, `${n}/var_eps`)], null, `${n}/rsqrt`);
    let k = mul(rw, scale, inv, `${n}/scale`);
    const subOpts = options(BuiltinOptions.SubOptions, new SubOptionsT());
    let shift = rw.tfl1(BuiltinOperator.SUB, [offset, mul(rw, mean, k, `${n}/mean_scale`)], subOpts, `${n}/shift`);
    if (channelsFirst !== null) {
      const shape = rw.int32(`${n}/bcast_shape`, [-1, ...new Array<number>(channelsFirst - 2).fill(1)]);
      k = rw.tfl1(BuiltinOperator.RESHAPE, [k, shape], null, `${n}/scale_bcast`);
      shift = rw.tfl1(BuiltinOperator.RESHAPE, [shift, shape], null, `${n}/shift_bcast`);
    }
    return { mul: k, shift };
  };
  return [
    { name: 'batchnorm/mul', run: (x, name) => mul(rw, x, (factors = build()).mul, name) },
    { name: 'batchnorm/add', run: (x, name) => add(rw, x, factors!.shift, name) },
  ];
}

function legalizeBatchNorm(op: TfOp, rw: Rewriter): (Tensor | null)[] {
  if (attrBool(op, 'is_training', true)) throw unsupported(op, 'is in training mode (is_training=true); only inference batch norms convert');
  const x = inputOf(op, 0);
  requireFloat32(op, x);
  const format = attrString(op, 'data_format', 'NHWC');
  if (!['NHWC', 'NCHW', 'NDHWC', 'NCDHW'].includes(format)) throw unsupported(op, `has data_format ${format}`);
  const rank = x.shape?.length ?? format.length;
  const params = [1, 2, 3, 4].map((i) => inputOf(op, i));
  const y = chain(op, x, batchNormSteps(op, rw, params, attrFloat(op, 'epsilon', 1e-4), format.startsWith('NC') ? rank : null));
  // At inference the batch statistics outputs are the given mean and variance.
  return [y, params[2]!, params[3]!];
}

export const BATCH_NORM_LEGALIZATIONS: TfLegalization[] = [
  { tfTypes: ['FusedBatchNorm', 'FusedBatchNormV2', 'FusedBatchNormV3'], legalize: legalizeBatchNorm },
];

/**
 * Convolutions: CONV_2D (filter OHWI), DEPTHWISE_CONV_2D (filter [1, H, W, I·M]) and
 * TRANSPOSE_CONV (weights OHWI), all NHWC, and the TF rules that produce them: Conv2D,
 * DepthwiseConv2dNative, Conv2DBackpropInput, grappler's _FusedConv2D and
 * FusedDepthwiseConv2dNative (whose fused batch norm is batch-norm.ts's). Filters are reordered by
 * TRANSPOSE / RESHAPE ops that fold away when the weights are constant; fused bias adds, batch
 * norms and activations come out as plain ops for the fusion passes to merge back.
 */
import { ActivationFunctionType } from '../../generated/tflite/activation-function-type.js';
import { BuiltinOperator } from '../../generated/tflite/builtin-operator.js';
import { BuiltinOptions } from '../../generated/tflite/builtin-options.js';
import { Conv2DOptionsT } from '../../generated/tflite/conv2doptions.js';
import { DepthwiseConv2DOptionsT } from '../../generated/tflite/depthwise-conv2doptions.js';
import { Padding } from '../../generated/tflite/padding.js';
import { TransposeConvOptionsT } from '../../generated/tflite/transpose-conv-options.js';
import type { DType } from '../ir/dtype.js';
import type { TflOp, TfOp } from '../ir/op.js';
import type { Tensor } from '../ir/tensor.js';
import { activationRange, perChannelMultipliers, perTensor, type Requantization } from '../kernels/affine-int8.js';
import { outputSize, transposeConv } from '../kernels/conv.js';
import { conv2dInt8, depthwiseConv2dInt8, transposeConvInt8 } from '../kernels/conv-int8.js';
import { conv2dFast, depthwiseConv2dFast } from '../kernels/conv-fast.js';
import { toNumbers } from '../kernels/value.js';
import { UnsupportedError } from '../util/errors.js';
import { inputOf, options, optionsAs, requireDtype, type OpDef, type TfLegalization } from './op-def.js';
import { opCache } from './op-cache.js';
import { emitPad } from './pad.js';
import { floatInput, isPerChannel } from './quantize.js';
import { chain, inNhwc, isNchw, requireFloat32, spatialOut, spatialPair, tfPadding, transposeStep, unsupported, type Step } from './pool.js';
import type { Rewriter } from './rewriter.js';
import { asInt32, constInts } from './shape.js';
import { attrFloat, attrInts, attrStrings } from './tf-attrs.js';
import { add, batchNormSteps } from './batch-norm.js';
import { emitTfActivation } from './tf-fused.js';

// ---------------------------------------------------------------------------------------------
// TFLite ops

const conv2dDef: OpDef = {
  builtin: BuiltinOperator.CONV_2D,
  infer(op) {
    const x = inputOf(op, 0);
    const f = inputOf(op, 1);
    const o = optionsAs(op, Conv2DOptionsT);
    const [, h = -1, w = -1] = x.shape ?? [];
    const [oc = -1, kh = -1, kw = -1] = f.shape ?? [];
    const oh = outputSize(o.padding, h, kh, { stride: o.strideH, dilation: o.dilationHFactor });
    const ow = outputSize(o.padding, w, kw, { stride: o.strideW, dilation: o.dilationWFactor });
    return [{ dtype: requireDtype(x), shape: spatialOut(x.shape, oh, ow, oc) }];
  },
  evaluate(op, [x, f, b]) {
    const o = optionsAs(op, Conv2DOptionsT);
    const params = { padding: o.padding, h: { stride: o.strideH, dilation: o.dilationHFactor }, w: { stride: o.strideW, dilation: o.dilationWFactor }, activation: o.fusedActivationFunction };
    return [conv2dFast(x!, floatInput(op, 1, f!), b ?? null, params)];
  },
  evaluateQuantized(op, [x, f, b]) {
    const o = optionsAs(op, Conv2DOptionsT);
    const q = convRequantization(op, 0, 1, 2, o.fusedActivationFunction, f!.shape[0]!);
    const geometry = { padding: o.padding, h: { stride: o.strideH, dilation: o.dilationHFactor }, w: { stride: o.strideW, dilation: o.dilationWFactor } };
    return [conv2dInt8(x!, f!, b ?? null, { ...geometry, ...q })];
  },
  version(op) {
    // A filter with fewer input channels than the input is a grouped convolution (version 6);
    // a hybrid one (float input, int8 filter) is 2, or 5 with per-channel filter scales.
    const c = op.inputs[0]?.shape?.[3] ?? -1;
    const ci = op.inputs[1]?.shape?.[3] ?? -1;
    if (c > 0 && ci > 0 && c !== ci) return 6;
    if (isHybridConv(op, 0)) return isPerChannel(op.inputs[1]) ? 5 : 2;
    return 1;
  },
  // op_version.cc: int8 CONV_2D (per-channel filters) is version 3.
  quant: { kind: 'affine', weight: 1, bias: 2, channelAxis: 0, int8Version: 3 },
  // Hybrid kernel: int8 filter per output channel, the float input quantized at run time.
  dynamicRange: { kind: 'hybrid', operand: 1, axis: 0 },
  // The 16x8 kernel's registered version (int16x8.ts says why not op_version.cc's).
  int16x8: { version: 4, perChannelWeights: true },
};

const depthwiseDef: OpDef = {
  builtin: BuiltinOperator.DEPTHWISE_CONV_2D,
  infer(op) {
    const x = inputOf(op, 0);
    const f = inputOf(op, 1);
    const o = optionsAs(op, DepthwiseConv2DOptionsT);
    const [, h = -1, w = -1] = x.shape ?? [];
    const [, kh = -1, kw = -1, oc = -1] = f.shape ?? [];
    const oh = outputSize(o.padding, h, kh, { stride: o.strideH, dilation: o.dilationHFactor });
    const ow = outputSize(o.padding, w, kw, { stride: o.strideW, dilation: o.dilationWFactor });
    return [{ dtype: requireDtype(x), shape: spatialOut(x.shape, oh, ow, oc) }];
  },
  evaluate(op, [x, f, b]) {
    const o = optionsAs(op, DepthwiseConv2DOptionsT);
    const params = {
      padding: o.padding,
      h: { stride: o.strideH, dilation: o.dilationHFactor },
      w: { stride: o.strideW, dilation: o.dilationWFactor },
      activation: o.fusedActivationFunction,
      multiplier: o.depthMultiplier,
    };
    return [depthwiseConv2dFast(x!, floatInput(op, 1, f!), b ?? null, params)];
  },
  evaluateQuantized(op, [x, f, b]) {
    const o = optionsAs(op, DepthwiseConv2DOptionsT);
    const q = convRequantization(op, 0, 1, 2, o.fusedActivationFunction, f!.shape[3]!);
    const geometry = { padding: o.padding, h: { stride: o.strideH, dilation: o.dilationHFactor }, w: { stride: o.strideW, dilation: o.dilationWFactor } };
    return [depthwiseConv2dInt8(x!, f!, b ?? null, { ...geometry, ...q, multiplier: o.depthMultiplier })];
  },
  version(op) {
    // op_version.cc: hybrid (float input, int8 filter) is 4, or 6 per-channel; dilation needs 2.
    if (isHybridConv(op, 0)) return isPerChannel(op.inputs[1]) ? 6 : 4;
    const o = optionsAs(op, DepthwiseConv2DOptionsT);
    return o.dilationHFactor !== 1 || o.dilationWFactor !== 1 ? 2 : 1;
  },
  // op_version.cc: int8 DEPTHWISE_CONV_2D is version 3; its filter's channels are dimension 3.
  quant: { kind: 'affine', weight: 1, bias: 2, channelAxis: 3, int8Version: 3 },
  dynamicRange: { kind: 'hybrid', operand: 1, axis: 3 },
  int16x8: { version: 5, perChannelWeights: true },
};

const transposeConvDef: OpDef = {
  builtin: BuiltinOperator.TRANSPOSE_CONV,
  infer(op) {
    const x = inputOf(op, 2);
    const requested = constInts(op.inputs[0]);
    const channels = inputOf(op, 1).shape?.[0] ?? -1;
    return [{ dtype: requireDtype(x), shape: requested ?? [x.shape?.[0] ?? -1, -1, -1, channels] }];
  },
  evaluate(op, [shape, w, x, b]) {
    const o = optionsAs(op, TransposeConvOptionsT);
    const params = { padding: o.padding, strideH: o.strideH, strideW: o.strideW, activation: o.fusedActivationFunction };
    return [transposeConv(toNumbers(shape!), floatInput(op, 1, w!), x!, b ?? null, params)];
  },
  evaluateQuantized(op, [shape, w, x, b]) {
    const o = optionsAs(op, TransposeConvOptionsT);
    const q = convRequantization(op, 2, 1, 3, o.fusedActivationFunction, w!.shape[0]!);
    return [transposeConvInt8(toNumbers(shape!), w!, x!, b ?? null, { padding: o.padding, strideH: o.strideH, strideW: o.strideW, ...q })];
  },
  version(op) {
    // op_version.cc: a fused activation needs version 4, a bias input version 3, int8 weights 2.
    if (optionsAs(op, TransposeConvOptionsT).fusedActivationFunction !== ActivationFunctionType.NONE) return 4;
    if (op.inputs[3]) return 3;
    return op.inputs[1]?.dtype === 'int8' ? 2 : 1;
  },
  // No hybrid kernel: the int8 weights (per output channel) are read through a DEQUANTIZE.
  dynamicRange: { kind: 'weightOnly', operand: 1, axis: 0 },
};

/** Float activations with an int8 filter (input 1): TFLite's hybrid (dynamic-range) kernels. */
function isHybridConv(op: TflOp, activation: number): boolean {
  return op.inputs[activation]?.dtype === 'float32' && op.inputs[1]?.dtype === 'int8' && op.outputs[0]?.dtype === 'float32';
}

/**
 * The integer requantization of an affine op (convolutions, per-channel FULLY_CONNECTED) from
 * its tensors' parameters, as PopulateConvolutionQuantizationParams derives it: one multiplier
 * per output channel from input_scale · filter_scale[c] / output_scale in double (a per-tensor
 * filter's scale broadcast), and the fused activation's quantized range. int8 activations, or
 * int16 ones (16x8: zero points 0, an int64 accumulator unless the bias is int32), with int8
 * filters; anything else is refused rather than computed differently from TFLite.
 */
export function convRequantization(op: TflOp, input: number, filter: number, bias: number, activation: ActivationFunctionType, channels: number): Requantization & { inputZeroPoint: number } {
  const [x, f, y] = [inputOf(op, input), inputOf(op, filter), op.outputs[0]!];
  // Everything below depends only on these: derived once per op, as TFLite's Prepare does.
  const dtypes = [x.dtype, f.dtype, y.dtype, op.inputs[bias]?.dtype ?? null].map((d) => DTYPE_CODES.indexOf(d));
  const key = [x.quant?.scale[0] ?? NaN, x.quant?.zeroPoint[0] ?? NaN, y.quant?.scale[0] ?? NaN, y.quant?.zeroPoint[0] ?? NaN, activation, channels, ...dtypes, ...(f.quant?.scale ?? []), ...(f.quant?.zeroPoint ?? [])];
  return requantizationCache(op, key, () => deriveRequantization(op, x, f, y, bias, activation, channels));
}

const requantizationCache = opCache<Requantization & { inputZeroPoint: number }>();
const DTYPE_CODES: readonly (DType | null)[] = [null, 'int8', 'int16', 'int32', 'int64', 'uint8', 'float32'];

function deriveRequantization(op: TflOp, x: Tensor, f: Tensor, y: Tensor, bias: number, activation: ActivationFunctionType, channels: number): Requantization & { inputZeroPoint: number } {
  const what = `${BuiltinOperator[op.builtin]} "${op.name}"`;
  const activations = x.dtype === 'int8' || x.dtype === 'int16' ? x.dtype : null;
  if (activations === null || f.dtype !== 'int8' || y.dtype !== activations) {
    throw new UnsupportedError(`${what}: no integer kernel for ${x.dtype} input, ${f.dtype} filter, ${y.dtype} output`);
  }
  const inQ = perTensor(x.quant, `${what} input`);
  const outQ = perTensor(y.quant, `${what} output`);
  const filterQ = f.quant;
  if (filterQ === null || filterQ.scale.length === 0) throw new UnsupportedError(`${what}: the filter has no quantization parameters`);
  if (filterQ.zeroPoint.some((z) => z !== 0)) throw new UnsupportedError(`${what}: int8 filters must be symmetric (zero point 0)`);
  if (activations === 'int16' && (inQ.zeroPoint !== 0 || outQ.zeroPoint !== 0)) throw new UnsupportedError(`${what}: int16 activations must have zero point 0`);
  return {
    inputZeroPoint: inQ.zeroPoint,
    outputZeroPoint: outQ.zeroPoint,
    channels: perChannelMultipliers(inQ.scale, filterQ.scale, outQ.scale, channels),
    ...rangeOf(activationRange(activation, outQ.scale, outQ.zeroPoint, activations)),
    wideAccumulator: activations === 'int16' && op.inputs[bias]?.dtype !== 'int32',
  };
}

function rangeOf([activationMin, activationMax]: [number, number]): { activationMin: number; activationMax: number } {
  return { activationMin, activationMax };
}

export const CONV_OPS: OpDef[] = [conv2dDef, depthwiseDef, transposeConvDef];

// ---------------------------------------------------------------------------------------------
// Attributes shared by the TF convolutions

interface ConvAttrs {
  nchw: boolean;
  padding: Padding;
  /** NHWC [before, after] pairs of an EXPLICIT padding, emitted as a PAD before a VALID conv. */
  explicit: number[] | null;
  strides: [number, number];
  dilations: [number, number];
}

function convAttrs(op: TfOp): ConvAttrs {
  const nchw = isNchw(op);
  const strides = spatialPair(op, 'strides', nchw);
  const dilations = spatialPair(op, 'dilations', nchw, [1, 1, 1, 1]);
  const padding = tfPadding(op);
  if (padding !== 'EXPLICIT') return { nchw, padding, explicit: null, strides, dilations };
  const e = attrInts(op, 'explicit_paddings', []);
  if (e.length !== 8) throw unsupported(op, `has EXPLICIT padding with ${e.length} explicit_paddings; expected 8`);
  const nhwc = nchw ? [e[0]!, e[1]!, e[4]!, e[5]!, e[6]!, e[7]!, e[2]!, e[3]!] : e;
  if (nhwc[0] !== 0 || nhwc[1] !== 0 || nhwc[6] !== 0 || nhwc[7] !== 0) throw unsupported(op, 'pads the batch or channel dimension');
  return { nchw, padding: Padding.VALID, explicit: nhwc.some((v) => v !== 0) ? nhwc : null, strides, dilations };
}

/** The dims of a tensor whose shape must be fully known for the rewrite, or an UnsupportedError. */
function knownShape(op: TfOp, t: Tensor, what: string): number[] {
  if (t.shape === null || t.shape.some((d) => d < 0)) throw unsupported(op, `needs its ${what} shape to be known (it is ${t.shape === null ? 'of unknown rank' : `[${t.shape}]`})`);
  return t.shape;
}

/** TFLite's conv kernels take a bias input: a zero one, which fuse-bias-add may fill in later. */
function zeroBias(op: TfOp, rw: Rewriter, channels: number | undefined): Tensor {
  if (channels === undefined || channels < 0) {
    throw unsupported(op, 'has a filter with an unknown output-channel count; TFLite needs a bias of that size');
  }
  return rw.constant(`${op.name}/bias`, 'float32', [channels], new Float32Array(channels));
}

/** [PAD if explicit] then CONV_2D or DEPTHWISE_CONV_2D, on an NHWC input. */
function convSteps(op: TfOp, rw: Rewriter, a: ConvAttrs, depthwise: boolean): Step[] {
  const filter = inputOf(op, 1);
  const [sh, sw] = a.strides;
  const [dh, dw] = a.dilations;
  const conv: Step = depthwise
    ? {
        name: 'depthwise',
        run(x, name) {
          const [kh, kw, ci, m] = knownShape(op, filter, 'filter') as [number, number, number, number];
          const shape = rw.int32(`${op.name}/filter_shape`, [1, kh, kw, ci * m]);
          const f = rw.tfl1(BuiltinOperator.RESHAPE, [filter, shape], null, `${op.name}/filter`);
          const opts = new DepthwiseConv2DOptionsT(a.padding, sw, sh, m, ActivationFunctionType.NONE, dw, dh);
          const inputs = [x, f, zeroBias(op, rw, ci * m)];
          return rw.tfl1(BuiltinOperator.DEPTHWISE_CONV_2D, inputs, options(BuiltinOptions.DepthwiseConv2DOptions, opts), name);
        },
      }
    : {
        name: 'conv',
        run(x, name) {
          // HWIO → OHWI.
          const f = rw.tfl1(BuiltinOperator.TRANSPOSE, [filter, rw.int32(`${op.name}/filter_perm`, [3, 0, 1, 2])], null, `${op.name}/filter`);
          const opts = new Conv2DOptionsT(a.padding, sw, sh, ActivationFunctionType.NONE, dw, dh);
          const inputs = [x, f, zeroBias(op, rw, filter.shape?.[3])];
          return rw.tfl1(BuiltinOperator.CONV_2D, inputs, options(BuiltinOptions.Conv2DOptions, opts), name);
        },
      };
  const pad: Step[] = a.explicit === null ? [] : [{ name: 'pad', run: (x, name) => emitPad(rw, x, a.explicit!, name) }];
  return [...pad, conv];
}

function legalizeConv(depthwise: boolean) {
  return (op: TfOp, rw: Rewriter): Tensor[] => {
    const x = inputOf(op, 0);
    requireFloat32(op, x);
    const a = convAttrs(op);
    return [chain(op, x, inNhwc(rw, a.nchw, convSteps(op, rw, a, depthwise)))];
  };
}

// ---------------------------------------------------------------------------------------------
// Grappler's fused convolutions: conv, then fused_ops in order, each a plain TFLite op

function fusedSteps(op: TfOp, rw: Rewriter, nchw: boolean): { affine: Step[]; activation: Step[] } {
  const fused = attrStrings(op, 'fused_ops', []);
  const args = op.inputs.slice(2);
  let next = 0;
  const arg = (): Tensor => {
    const t = args[next++];
    if (!t) throw unsupported(op, `fuses ${fused.join(' + ')} but has only ${args.length} extra inputs`);
    return t;
  };
  const affine: Step[] = [];
  let i = 0;
  if (fused[i] === 'BiasAdd') {
    const bias = arg();
    affine.push({ name: 'BiasAdd', run: (x, name) => add(rw, x, bias, name) });
    i++;
  } else if (fused[i] === 'FusedBatchNorm') {
    affine.push(...batchNormSteps(op, rw, [arg(), arg(), arg(), arg()], attrFloat(op, 'epsilon', 1e-4), null));
    i++;
  }
  if (fused[i] === 'Add') {
    // A residual input, in the op's layout: bring it to NHWC like the conv's output.
    const other = arg();
    const nhwc = nchw ? transposeStep(rw, 'add_nhwc', [0, 2, 3, 1]).run(other, `${op.name}/add_nhwc`) : other;
    affine.push({ name: 'Add', run: (x, name) => add(rw, x, nhwc, name) });
    i++;
  }
  const rest = fused.slice(i);
  if (rest.length > 1) throw unsupported(op, `fuses ${fused.join(' + ')}, which is not supported`);
  // Elementwise, so it may follow the transpose back to NCHW; emitTfActivation names it op.name.
  const alpha = rest[0] === 'Prelu' ? arg() : undefined;
  const activation: Step[] = rest.length === 0 ? [] : [{ name: 'activation', run: (x) => emitTfActivation(rw, op, rest[0], x, alpha) }];
  return { affine, activation };
}

function legalizeFusedConv(depthwise: boolean) {
  return (op: TfOp, rw: Rewriter): Tensor[] => {
    const x = inputOf(op, 0);
    requireFloat32(op, x);
    const a = convAttrs(op);
    const { affine, activation } = fusedSteps(op, rw, a.nchw);
    return [chain(op, x, [...inNhwc(rw, a.nchw, [...convSteps(op, rw, a, depthwise), ...affine]), ...activation])];
  };
}

// ---------------------------------------------------------------------------------------------
// Conv2DBackpropInput → TRANSPOSE_CONV

function legalizeConvBackpropInput(op: TfOp, rw: Rewriter): Tensor[] {
  const [sizes, filter, dy] = [inputOf(op, 0), inputOf(op, 1), inputOf(op, 2)];
  requireFloat32(op, dy);
  if (tfPadding(op) === 'EXPLICIT') throw unsupported(op, "has EXPLICIT padding; TFLite's TRANSPOSE_CONV supports SAME and VALID");
  const a = convAttrs(op);
  if (a.dilations[0] !== 1 || a.dilations[1] !== 1) throw unsupported(op, `has dilations [${a.dilations}]; TFLite's TRANSPOSE_CONV has none`);
  const requested = constInts(sizes);
  let outShape: Tensor;
  if (requested !== null) {
    const nhwc = a.nchw ? [0, 2, 3, 1].map((p) => requested[p]!) : requested;
    outShape = rw.int32(`${op.name}/output_shape`, nhwc);
  } else {
    if (a.nchw) throw unsupported(op, 'is NCHW with a computed input_sizes; only a constant one can be reordered');
    outShape = asInt32(rw, sizes, `${op.name}/output_shape`);
  }
  const step: Step = {
    name: 'transpose_conv',
    run(x, name) {
      // TF's filter is [H, W, out, in] (out = the transposed conv's output channels) → OHWI.
      const w = rw.tfl1(BuiltinOperator.TRANSPOSE, [filter, rw.int32(`${op.name}/filter_perm`, [2, 0, 1, 3])], null, `${op.name}/weights`);
      const opts = new TransposeConvOptionsT(a.padding, a.strides[1], a.strides[0], ActivationFunctionType.NONE);
      return rw.tfl1(BuiltinOperator.TRANSPOSE_CONV, [outShape, w, x], options(BuiltinOptions.TransposeConvOptions, opts), name);
    },
  };
  return [chain(op, dy, inNhwc(rw, a.nchw, [step]))];
}

export const CONV_LEGALIZATIONS: TfLegalization[] = [
  { tfTypes: ['Conv2D'], legalize: legalizeConv(false) },
  { tfTypes: ['DepthwiseConv2dNative'], legalize: legalizeConv(true) },
  { tfTypes: ['_FusedConv2D'], legalize: legalizeFusedConv(false) },
  { tfTypes: ['FusedDepthwiseConv2dNative'], legalize: legalizeFusedConv(true) },
  { tfTypes: ['Conv2DBackpropInput'], legalize: legalizeConvBackpropInput },
];

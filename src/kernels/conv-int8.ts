/**
 * TFLite's integer convolutions, NHWC, bit for bit as reference_integer_ops ConvPerChannel,
 * DepthwiseConvPerChannel and TransposeConv compute them: int32 accumulation of
 * filter · (input − input zero point) (filters are symmetric, so no filter offset), the int32
 * bias, MultiplyByQuantizedMultiplier with the output channel's multiplier, the output zero
 * point, then the clamp to the fused activation's quantized range. Geometry (output sizes, SAME
 * padding) is the float kernels' (conv.ts), which follow padding.h.
 *
 * The input is offset once into an Int32Array so the inner loops are plain multiply-adds; sums
 * stay far below 2^53, and `| 0` wraps them like the C++ int32 accumulator.
 *
 * CONV_2D and DEPTHWISE_CONV_2D with int8 inputs and an int32 bias (or none) accumulate and
 * requantize on WebAssembly SIMD (conv-int8-wasm.ts): the same int32 sums and the same int8
 * outputs, bit for bit. So do the 16x8 ones (int16 inputs, int64 bias or none, the int64
 * accumulator and requantization): the same int16 outputs. So does int8 TRANSPOSE_CONV
 * (int8-wasm-matmul.ts: a GEMM of the input by the weights, then a col2im scatter-add of the int32
 * sums). 16x8 with an int32 bias, 16x8 TRANSPOSE_CONV, and every op under
 * TFLITE_CONVERT_KERNELS=js or without WebAssembly SIMD take the JS loops and requantize here,
 * which stay the readable reference.
 */
import type { Padding } from '../../generated/tflite/padding.js';
import { biasValues, offsetInput, requantize, type Requantization } from './affine-int8.js';
import { conv2dAccumulate, depthwiseAccumulate, transposeConvAccumulate, type Axis } from './conv.js';
import { int8WasmKernels, type Int8WasmKernels, type WideBias } from './conv-int8-wasm.js';
import { makeValue, type NumericArray, type Value } from './value.js';

/** What an integer convolution needs besides its tensors. */
export interface QuantizedConvArgs extends Requantization {
  padding: Padding;
  h: Axis;
  w: Axis;
  inputZeroPoint: number;
}

function dims4(v: Value, what: string): [number, number, number, number] {
  if (v.shape.length !== 4) throw new RangeError(`${what}: expected a 4-D tensor, got shape [${v.shape}]`);
  return v.shape as [number, number, number, number];
}

/** The int32 bias as numbers, or null. */
function biasOf(bias: Value | null, channels: number, what: string): NumericArray | null {
  if (bias === null) return null;
  if (bias.data.length !== channels) throw new RangeError(`${what}: bias has ${bias.data.length} values for ${channels} output channels`);
  return biasValues(bias);
}

/**
 * CONV_2D (ConvPerChannel): input [N, H, W, C] int8, filter [O, KH, KW, I] int8, bias [O] int32
 * or null. C may be a multiple of I (grouped convolution, as the float kernel).
 */
export function conv2dInt8(x: Value, filter: Value, bias: Value | null, a: QuantizedConvArgs): Value {
  dims4(x, 'CONV_2D');
  dims4(filter, 'CONV_2D filter');
  const wide = wide16For(x, bias, a);
  const done16 = wide === null ? null : wide.kernels.conv2d16(x, filter, wide.bias, a, a.inputZeroPoint, a);
  if (done16 !== null) return makeValue(x.dtype, done16.shape, done16.data);
  const wasm = wasmFor(x, bias, a);
  const done = wasm === null ? null : wasm.kernels.conv2dRequantized(x, filter, wasm.bias, a, a.inputZeroPoint, a);
  if (done !== null) return makeValue(x.dtype, done.shape, done.data);
  return requantizeSums(x, conv2dAccumulate(x, offsetInput(x, a.inputZeroPoint), filter, a), bias, a, 'CONV_2D');
}

/**
 * DEPTHWISE_CONV_2D (DepthwiseConvPerChannel): input [N, H, W, C], filter [1, KH, KW, C·M],
 * bias [C·M] or null; output channel ic·M + m reads input channel ic only.
 */
export function depthwiseConv2dInt8(x: Value, filter: Value, bias: Value | null, a: QuantizedConvArgs & { multiplier: number }): Value {
  dims4(x, 'DEPTHWISE_CONV_2D');
  dims4(filter, 'DEPTHWISE_CONV_2D filter');
  const wide = wide16For(x, bias, a);
  const done16 = wide === null ? null : wide.kernels.depthwise16(x, filter, wide.bias, a, a.inputZeroPoint, a);
  if (done16 !== null) return makeValue(x.dtype, done16.shape, done16.data);
  const wasm = wasmFor(x, bias, a);
  const done = wasm === null ? null : wasm.kernels.depthwiseRequantized(x, filter, wasm.bias, a, a.inputZeroPoint, a);
  if (done !== null) return makeValue(x.dtype, done.shape, done.data);
  return requantizeSums(x, depthwiseAccumulate(x, offsetInput(x, a.inputZeroPoint), filter, a), bias, a, 'DEPTHWISE_CONV_2D');
}

/**
 * The WebAssembly kernels and the bias as they take it, when they apply: int8 input, an int32
 * bias of the right length or none, an int32 accumulator. Null otherwise (the JS path).
 */
function wasmFor(x: Value, bias: Value | null, a: Requantization): { kernels: Int8WasmKernels; bias: Int32Array | null } | null {
  if (x.dtype !== 'int8' || a.wideAccumulator === true) return null;
  const b = bias === null ? null : bias.data;
  if (b !== null && !(b instanceof Int32Array)) return null;
  const kernels = int8WasmKernels();
  return kernels === null ? null : { kernels, bias: b };
}

/**
 * The WebAssembly kernels and the bias for the 16x8 path: int16 input, the int64 accumulator, an
 * int64 (or int32) bias or none. Null otherwise; the kernels themselves return null where they
 * cannot be exact (conv-int8-wasm.ts), and the JS loops run.
 */
function wide16For(x: Value, bias: Value | null, a: Requantization): { kernels: Int8WasmKernels; bias: WideBias | null } | null {
  if (x.dtype !== 'int16' || a.wideAccumulator !== true) return null;
  const b = bias === null ? null : bias.data;
  if (b !== null && !(b instanceof BigInt64Array) && !(b instanceof Int32Array)) return null;
  const kernels = int8WasmKernels();
  return kernels === null ? null : { kernels, bias: b };
}

/**
 * The JS loops' sums (exact int32 values in doubles) plus bias, requantized per output channel
 * into a value of the input's dtype.
 */
function requantizeSums(x: Value, { acc, shape }: { acc: Float64Array; shape: [number, number, number, number] }, bias: Value | null, a: Requantization, what: string): Value {
  const o = shape[3];
  const bd = biasOf(bias, o, what);
  const out = makeValue(x.dtype, shape);
  const od = out.data as NumericArray;
  for (let i = 0; i < acc.length; i++) {
    const oc = i % o;
    od[i] = requantize(bd === null ? acc[i]! : acc[i]! + bd[oc]!, oc, a);
  }
  return out;
}

/**
 * TRANSPOSE_CONV (reference_integer_ops::TransposeConv): each input element scatters
 * filter · (input − zero point) into an int32 scratch output of the requested shape
 * [N, OH, OW, O]; weights are [O, KH, KW, I]; then bias, requantization and the clamp.
 */
export function transposeConvInt8(
  outShape: readonly number[],
  weights: Value,
  x: Value,
  bias: Value | null,
  a: Omit<QuantizedConvArgs, 'h' | 'w'> & { strideH: number; strideW: number },
): Value {
  const [n, , , ci] = dims4(x, 'TRANSPOSE_CONV');
  const [o, , , wi] = dims4(weights, 'TRANSPOSE_CONV weights');
  if (wi !== ci) throw new RangeError(`TRANSPOSE_CONV: weights take ${wi} input channels, the input has ${ci}`);
  if (outShape.length !== 4 || outShape[0] !== n || outShape[3] !== o) throw new RangeError(`TRANSPOSE_CONV: output shape [${outShape}] does not fit`);
  const [, oh, ow] = outShape as [number, number, number, number];
  const wasm = wasmFor(x, bias, a);
  const done = wasm === null ? null : wasm.kernels.transposeConvRequantized(outShape, weights, x, wasm.bias, a, a.inputZeroPoint, a);
  if (done !== null) return makeValue(x.dtype, [n, oh, ow, o], done);
  const acc = transposeConvAccumulate(outShape, weights, x, offsetInput(x, a.inputZeroPoint), a);
  return requantizeSums(x, { acc, shape: [n, oh, ow, o] }, bias, a, 'TRANSPOSE_CONV');
}

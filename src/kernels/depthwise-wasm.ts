/**
 * DEPTHWISE_CONV_2D on WebAssembly SIMD: the AssemblyScript kernel in src/kernels/wasm/depthwise.as.ts
 * (committed build in depthwise-wasm-binary.ts). Per call the input, filter and bias are copied
 * into the module's memory and the output copied back out: O(input + output) copies against
 * KH·KW multiply-adds per output element, and the filter is small (KH·KW·C·M).
 *
 * The kernel sums in float32 (bias first, then the taps in window order), where the reference
 * kernel sums in doubles: results differ within float32 rounding of each sum
 * (test/unit/kernels-wasm-depthwise.test.ts bounds it). Clamping activations are applied in the
 * kernel as results are stored; others are the caller's.
 */
import type { Clamp } from './activation.js';
import { DEPTHWISE_WASM_BASE64 } from './depthwise-wasm-binary.js';
import { widenRange, type ValueRange } from './value.js';
import { instantiateKernel, type WasmMemory } from '../util/wasm.js';
import { align4, FloatHeap } from './wasm-instance.js';

interface DepthwiseExports {
  depthwise(
    n: number, h: number, w: number, c: number, m: number,
    kh: number, kw: number, oh: number, ow: number,
    strideH: number, strideW: number, dilationH: number, dilationW: number, padT: number, padL: number,
    x: number, f: number, bias: number, out: number, lo: number, hi: number,
  ): void;
  rangeMin(): number;
  rangeMax(): number;
  memory: WasmMemory;
}

/** Where the windows go: output size, padding before, strides and dilations. */
export interface DepthwiseGeometry {
  oh: number;
  ow: number;
  padT: number;
  padL: number;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
}

/**
 * out [N, OH, OW, C·M] = bias + depthwise(x [N, H, W, C], filter [1, KH, KW, C·M]), clamped to
 * [clamp.lo, clamp.hi] when a clamp is given. All arrays dense float32; bias has C·M values or is null.
 * When `range` is given, it is widened to cover every output element (see Value.range).
 */
export type DepthwiseF32 = (
  x: Float32Array,
  xShape: readonly [number, number, number, number],
  filter: Float32Array,
  filterShape: readonly [number, number, number, number],
  bias: Float32Array | null,
  g: DepthwiseGeometry,
  clamp: Clamp | null,
  out: Float32Array,
  range?: ValueRange | null,
) => void;

/** The WebAssembly depthwise kernel, or null where WebAssembly or its SIMD proposal is unavailable. */
export function createWasmDepthwise(): DepthwiseF32 | null {
  const exports = instantiateKernel<DepthwiseExports>(DEPTHWISE_WASM_BASE64);
  if (exports === null) return null;
  const memory = new FloatHeap(exports.memory);
  return (x, [n, h, w, c], filter, [, kh, kw, oc], bias, g, clamp, out, range) => {
    const xFloats = n * h * w * c;
    const fFloats = kh * kw * oc;
    const outFloats = n * g.oh * g.ow * oc;
    if (outFloats === 0) return;
    const xAt = 0;
    const fAt = align4(xAt + xFloats);
    const biasAt = align4(fAt + fFloats);
    const outAt = align4(biasAt + oc);
    const heap = memory.reserve(outAt + outFloats);
    heap.set(x.subarray(0, xFloats), xAt);
    heap.set(filter.subarray(0, fFloats), fAt);
    if (bias === null) heap.fill(0, biasAt, biasAt + oc);
    else heap.set(bias.subarray(0, oc), biasAt);
    exports.depthwise(
      n, h, w, c, oc / c, kh, kw, g.oh, g.ow,
      g.strideH, g.strideW, g.dilationH, g.dilationW, g.padT, g.padL,
      xAt * 4, fAt * 4, biasAt * 4, outAt * 4, clamp?.lo ?? -Infinity, clamp?.hi ?? Infinity,
    );
    out.set(heap.subarray(outAt, outAt + outFloats));
    if (range !== undefined && range !== null) widenRange(range, exports.rangeMin(), exports.rangeMax());
  };
}

/**
 * Fast float32 CONV_2D and DEPTHWISE_CONV_2D, same results as the reference kernels in conv.ts
 * up to the order of the additions and, on WebAssembly, float32 rather than double sums. conv.ts stays
 * the readable definition and the fallback for every other dtype; test/unit/kernels-fast.test.ts
 * holds the two together.
 *
 * CONV_2D is im2col + GEMM: a block of output pixels gathers its input patches into a
 * [pixels, KH·KW·I] scratch matrix (zeros where the window overhangs the padding), which is
 * multiplied against the OHWI filter read as [O, KH·KW·I] (gemm.ts, no transpose needed). A 1×1
 * convolution with stride 1 is already a GEMM over the input itself, so it skips the gather.
 * A GEMM implementation with its own im2colGemm (the WebAssembly one) gathers the patches itself.
 * Groups are separate GEMMs over their column and filter slices.
 *
 * DEPTHWISE_CONV_2D is direct: per output pixel the in-bounds window taps are listed once, then
 * each channel sums over them with its accumulator in a register. It runs on WebAssembly SIMD
 * (depthwise-wasm.ts) where available, else the plain JS loops here; useDepthwise switches.
 */
import { emptyRange, makeOutputF32, widenRangeByRows, type Value, type ValueRange } from './value.js';
import { ActivationFunctionType } from '../../generated/tflite/activation-function-type.js';
import { activationClamp, applyActivationF32, type Clamp } from './activation.js';
import { conv2d, depthwiseConv2d, outputSize, paddingBefore, type ConvParams } from './conv.js';
import { currentGemm, gemmNT, type MatrixView, type PatchGeometry } from './gemm.js';
import { createWasmDepthwise, type DepthwiseF32, type DepthwiseGeometry } from './depthwise-wasm.js';

/** Floats of im2col scratch per block: 128 KiB, so a block of patches stays in L2. */
const SCRATCH_FLOATS = 32 * 1024;

const isF32 = (v: Value | null): boolean => v === null || v.data instanceof Float32Array;

function dims4(v: Value): [number, number, number, number] {
  if (v.shape.length !== 4) throw new RangeError(`expected a 4-D tensor, got shape [${v.shape}]`);
  return v.shape as [number, number, number, number];
}

/** CONV_2D, float32: see conv2d in conv.ts for the semantics (grouped when C is a multiple of I). */
export function conv2dFast(x: Value, filter: Value, bias: Value | null, p: ConvParams): Value {
  if (x.dtype !== 'float32' || !isF32(x) || !isF32(filter) || !isF32(bias)) return conv2d(x, filter, bias, p);
  const [n, h, w, c] = dims4(x);
  const [o, kh, kw, ci] = dims4(filter);
  const groups = c / ci;
  if (!Number.isInteger(groups) || o % groups !== 0) return conv2d(x, filter, bias, p); // the reference throws the error
  const perGroup = o / groups;
  const oh = outputSize(p.padding, h, kh, p.h);
  const ow = outputSize(p.padding, w, kw, p.w);
  const padT = paddingBefore(p.padding, h, kh, p.h);
  const padL = paddingBefore(p.padding, w, kw, p.w);
  const out = makeOutputF32([n, oh, ow, o]);
  const xd = x.data as Float32Array;
  const fd = filter.data as Float32Array;
  const od = out.data as Float32Array;
  const pixels = n * oh * ow;
  const k = kh * kw * ci;
  const clamp = activationClamp(p.activation);
  const direct = kh === 1 && kw === 1 && p.h.stride === 1 && p.w.stride === 1 && padT === 0 && padL === 0 && oh === h && ow === w;
  const range = emptyRange();
  for (let g = 0; g < groups; g++) {
    const filterView: MatrixView = { data: fd, offset: g * perGroup * k, stride: k };
    const groupBias = bias === null ? null : (bias.data as Float32Array).subarray(g * perGroup, (g + 1) * perGroup);
    if (direct) {
      gemmNT(pixels, perGroup, k, { data: xd, offset: g * ci, stride: c }, filterView, { data: od, offset: g * perGroup, stride: o }, groupBias, clamp, range);
      continue;
    }
    const gemm = currentGemm();
    if (gemm.im2colGemm !== undefined) {
      const geometry: PatchGeometry = { kh, kw, oh, ow, padT, padL, strideH: p.h.stride, strideW: p.w.stride, dilationH: p.h.dilation, dilationW: p.w.dilation };
      gemm.im2colGemm(xd, [n, h, w, c], g * ci, ci, geometry, filterView, perGroup, groupBias, clamp, { data: od, offset: g * perGroup, stride: o }, range);
      continue;
    }
    const block = Math.max(4, Math.min(pixels, Math.floor(SCRATCH_FLOATS / k / 4) * 4));
    const patches = new Float32Array(block * k);
    for (let p0 = 0; p0 < pixels; p0 += block) {
      const rows = Math.min(block, pixels - p0);
      gatherPatches(xd, [n, h, w, c], g * ci, ci, [kh, kw], p, [oh, ow], [padT, padL], p0, rows, patches);
      const outView = { data: od, offset: p0 * o + g * perGroup, stride: o };
      gemmNT(rows, perGroup, k, { data: patches, offset: 0, stride: k }, filterView, outView, groupBias, clamp, range);
    }
  }
  return finish(out, p.activation, clamp, range);
}

/** im2col: rows [p0, p0 + rows) of the [pixels, KH·KW·I] patch matrix of channels [c0, c0 + ci). */
function gatherPatches(
  xd: Float32Array,
  [, h, w, c]: readonly [number, number, number, number],
  c0: number,
  ci: number,
  [kh, kw]: readonly [number, number],
  p: ConvParams,
  [oh, ow]: readonly [number, number],
  [padT, padL]: readonly [number, number],
  p0: number,
  rows: number,
  patches: Float32Array,
): void {
  let at = 0;
  for (let r = 0; r < rows; r++) {
    const pixel = p0 + r;
    const ox = pixel % ow;
    const rest = (pixel - ox) / ow;
    const oy = rest % oh;
    const b = (rest - oy) / oh;
    const ix0 = ox * p.w.stride - padL;
    // Without groups or horizontal dilation, a window row wholly inside the input is kw·c
    // contiguous floats: one copy instead of one per tap (most rows of most convolutions).
    const rowContiguous = ci === c && p.w.dilation === 1 && ix0 >= 0 && ix0 + kw <= w;
    for (let fy = 0; fy < kh; fy++) {
      const iy = oy * p.h.stride - padT + fy * p.h.dilation;
      const rowInside = iy >= 0 && iy < h;
      if (rowInside && rowContiguous) {
        const from = ((b * h + iy) * w + ix0) * c;
        const length = kw * c;
        if (length >= 32) patches.set(xd.subarray(from, from + length), at);
        else for (let q = 0; q < length; q++) patches[at + q] = xd[from + q]!;
        at += length;
        continue;
      }
      for (let fx = 0; fx < kw; fx++) {
        const ix = ox * p.w.stride - padL + fx * p.w.dilation;
        if (rowInside && ix >= 0 && ix < w) {
          const from = ((b * h + iy) * w + ix) * c + c0;
          // A subarray per tap costs more than copying a few channels one by one.
          if (ci >= 32) patches.set(xd.subarray(from, from + ci), at);
          else for (let q = 0; q < ci; q++) patches[at + q] = xd[from + q]!;
        } else {
          patches.fill(0, at, at + ci);
        }
        at += ci;
      }
    }
  }
}

/** DEPTHWISE_CONV_2D, float32: see depthwiseConv2d in conv.ts for the semantics. */
export function depthwiseConv2dFast(x: Value, filter: Value, bias: Value | null, p: ConvParams & { multiplier: number }): Value {
  if (x.dtype !== 'float32' || !isF32(x) || !isF32(filter) || !isF32(bias)) return depthwiseConv2d(x, filter, bias, p);
  const xShape = dims4(x);
  const [, h, w, c] = xShape;
  const filterShape = dims4(filter);
  const [, kh, kw, oc] = filterShape;
  const m = oc / c;
  if (!Number.isInteger(m) || (p.multiplier > 0 && p.multiplier !== m)) return depthwiseConv2d(x, filter, bias, p); // throws
  const g: DepthwiseGeometry = {
    oh: outputSize(p.padding, h, kh, p.h),
    ow: outputSize(p.padding, w, kw, p.w),
    padT: paddingBefore(p.padding, h, kh, p.h),
    padL: paddingBefore(p.padding, w, kw, p.w),
    strideH: p.h.stride,
    strideW: p.w.stride,
    dilationH: p.h.dilation,
    dilationW: p.w.dilation,
  };
  const out = makeOutputF32([xShape[0], g.oh, g.ow, oc]);
  const od = out.data as Float32Array;
  const bd = bias === null ? null : (bias.data as Float32Array);
  const clamp = activationClamp(p.activation);
  const range = emptyRange();
  selectedDepthwise(x.data as Float32Array, xShape, filter.data as Float32Array, filterShape, bd, g, clamp, od, range);
  return finish(out, p.activation, clamp, range);
}

/**
 * Applies an activation the kernel could not fuse (TANH, SIGN_BIT; NONE does nothing) and records
 * the output's range as measured by the kernel, unless that pass changed the values.
 */
function finish(out: Value, activation: ConvParams['activation'], clamp: Clamp | null, range: ValueRange): Value {
  if (clamp === null && activation !== ActivationFunctionType.NONE) {
    applyActivationF32(out.data as Float32Array, activation);
    return out;
  }
  if (out.data.length > 0) out.range = range;
  return out;
}

/** The depthwise kernel in plain JS: sums in doubles, rounded once to float32 like the reference. */
export const depthwiseF32Js: DepthwiseF32 = (xd, [n, h, w, c], fd, [, kh, kw, oc], bd, g, clamp, od, range) => {
  const m = oc / c;
  // Offsets of the in-bounds taps of the current window: into x (pixel start) and into the filter.
  const xTaps = new Int32Array(kh * kw);
  const fTaps = new Int32Array(kh * kw);
  const acc = new Float64Array(oc);
  let at = 0;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++) {
        let taps = 0;
        for (let fy = 0; fy < kh; fy++) {
          const iy = oy * g.strideH - g.padT + fy * g.dilationH;
          if (iy < 0 || iy >= h) continue;
          for (let fx = 0; fx < kw; fx++) {
            const ix = ox * g.strideW - g.padL + fx * g.dilationW;
            if (ix < 0 || ix >= w) continue;
            xTaps[taps] = ((b * h + iy) * w + ix) * c;
            fTaps[taps] = (fy * kw + fx) * oc;
            taps++;
          }
        }
        if (m === 1) {
          // Tap by tap over contiguous channels: long simple loops, the accumulators a row of doubles.
          acc.fill(0);
          for (let t = 0; t < taps; t++) {
            const xo = xTaps[t]!;
            const fo = fTaps[t]!;
            for (let ch = 0; ch < oc; ch++) acc[ch]! += xd[xo + ch]! * fd[fo + ch]!;
          }
          if (bd === null) od.set(acc, at);
          else for (let ch = 0; ch < oc; ch++) od[at + ch] = acc[ch]! + bd[ch]!;
        } else {
          for (let ch = 0; ch < oc; ch++) {
            const ic = (ch - (ch % m)) / m;
            let sum = 0;
            for (let t = 0; t < taps; t++) sum += xd[xTaps[t]! + ic]! * fd[fTaps[t]! + ch]!;
            od[at + ch] = sum + (bd === null ? 0 : bd[ch]!);
          }
        }
        at += oc;
      }
    }
  }
  if (clamp !== null) clampF32(od, clamp);
  if (range !== undefined && range !== null) widenRangeByRows(range, od, 0, od.length, 1, od.length);
};

function clampF32(data: Float32Array, { lo, hi }: Clamp): void {
  for (let i = 0; i < data.length; i++) {
    const x = data[i]!;
    data[i] = x < lo ? lo : x > hi ? hi : x;
  }
}

/**
 * The WebAssembly SIMD depthwise kernel where the runtime has it, else plain JS;
 * TFLITE_CONVERT_KERNELS=js in the environment forces plain JS (as for the GEMM, gemm.ts).
 */
function defaultDepthwise(): DepthwiseF32 {
  if (process.env.TFLITE_CONVERT_KERNELS === 'js') return depthwiseF32Js;
  return createWasmDepthwise() ?? depthwiseF32Js;
}

let selectedDepthwise: DepthwiseF32 = defaultDepthwise();

/** The implementation depthwiseConv2dFast runs now. */
export function currentDepthwise(): DepthwiseF32 {
  return selectedDepthwise;
}

/** Selects the implementation depthwiseConv2dFast runs (tests and the bench compare them). */
export function useDepthwise(implementation: DepthwiseF32): void {
  selectedDepthwise = implementation;
}

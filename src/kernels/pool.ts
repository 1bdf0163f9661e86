/**
 * Reference kernels of TFLite's 2-D pooling, NHWC (tensorflow/lite/kernels/internal/reference/
 * pooling.h): the window is clipped to the input, so padding never enters a maximum and an
 * average divides by the number of real elements under the window, as TF's AvgPool does.
 */
import { ActivationFunctionType } from '../../generated/tflite/activation-function-type.js';
import type { Padding } from '../../generated/tflite/padding.js';
import { activationClamp, applyActivation, applyActivationF32 } from './activation.js';
import { outputSize, paddingBefore } from './conv.js';
import { makeOutputF32, makeValue, type NumericArray, type Value } from './value.js';

/** A pooling window's geometry. */
export interface PoolWindow {
  padding: Padding;
  filterH: number;
  filterW: number;
  strideH: number;
  strideW: number;
}

export interface PoolParams extends PoolWindow {
  activation: ActivationFunctionType;
}

/** The NHWC input's dimensions, the output's size and the padding before each spatial axis. */
export function poolGeometry(x: Value, p: PoolWindow): { n: number; h: number; w: number; c: number; oh: number; ow: number; padT: number; padL: number } {
  if (x.shape.length !== 4) throw new RangeError(`pooling expects a 4-D input, got shape [${x.shape}]`);
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const hAxis = { stride: p.strideH, dilation: 1 };
  const wAxis = { stride: p.strideW, dilation: 1 };
  return {
    n,
    h,
    w,
    c,
    oh: outputSize(p.padding, h, p.filterH, hAxis),
    ow: outputSize(p.padding, w, p.filterW, wAxis),
    padT: paddingBefore(p.padding, h, p.filterH, hAxis),
    padL: paddingBefore(p.padding, w, p.filterW, wAxis),
  };
}

/**
 * The window walk every pooling kernel shares: for each output pixel in order, each channel's
 * maximum (from -Infinity) or sum over the window clipped to the input, read a window position
 * at a time across all channels (so the input is read contiguously), in the same (row, column)
 * order per channel; then `emit(at, acc, count)` with the pixel's output offset and the number of
 * input elements the window covers. Returns the output shape.
 */
export function poolWindows(
  kind: 'max' | 'avg',
  x: Value,
  p: PoolWindow,
  emit: (at: number, acc: Float64Array, count: number) => void,
): [number, number, number, number] {
  const { n, h, w, c, oh, ow, padT, padL } = poolGeometry(x, p);
  const xd = x.data as NumericArray;
  const max = kind === 'max';
  const acc = new Float64Array(c);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * p.strideH - padT;
      const yStart = Math.max(0, y0);
      const yEnd = Math.min(h, y0 + p.filterH);
      for (let ox = 0; ox < ow; ox++) {
        const x0 = ox * p.strideW - padL;
        const xStart = Math.max(0, x0);
        const xEnd = Math.min(w, x0 + p.filterW);
        acc.fill(max ? -Infinity : 0);
        for (let y = yStart; y < yEnd; y++) {
          for (let xx = xStart; xx < xEnd; xx++) {
            const base = ((b * h + y) * w + xx) * c;
            if (max) {
              for (let ch = 0; ch < c; ch++) {
                const v = xd[base + ch]!;
                if (v > acc[ch]!) acc[ch] = v;
              }
            } else {
              for (let ch = 0; ch < c; ch++) acc[ch]! += xd[base + ch]!;
            }
          }
        }
        emit(((b * oh + oy) * ow + ox) * c, acc, (yEnd - yStart) * (xEnd - xStart));
      }
    }
  }
  return [n, oh, ow, c];
}

export function pool2d(kind: 'max' | 'avg', x: Value, p: PoolParams): Value {
  if (kind === 'max' && x.data instanceof Float32Array) return maxPoolF32(x, p);
  const { n, c, oh, ow } = poolGeometry(x, p);
  const out = makeValue(x.dtype, [n, oh, ow, c]);
  const od = out.data as NumericArray;
  poolWindows(kind, x, p, (at, acc, count) => {
    // A window that covers no input (possible only with unusual SAME geometry) is 0.
    for (let ch = 0; ch < c; ch++) od[at + ch] = count === 0 ? 0 : kind === 'max' ? acc[ch]! : acc[ch]! / count;
  });
  applyActivation(od, p.activation);
  return out;
}

/**
 * MAX_POOL_2D on float32, the calibration executor's case: poolWindows' walk and comparisons
 * (so the same results, NaN skipped alike), with the maxima kept in the output row itself rather
 * than a Float64Array and no closure per pixel; monomorphic Float32Array accesses run several
 * times faster than the generic walk. The output's range is taken as it is stored (Value.range).
 */
function maxPoolF32(x: Value, p: PoolParams): Value {
  const { n, h, w, c, oh, ow, padT, padL } = poolGeometry(x, p);
  const out = makeOutputF32([n, oh, ow, c]);
  const xd = x.data as Float32Array;
  const od = out.data as Float32Array;
  const clamp = activationClamp(p.activation);
  const lo = clamp?.lo ?? -Infinity;
  const hi = clamp?.hi ?? Infinity;
  let min = Infinity;
  let max = -Infinity;
  let at = 0;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * p.strideH - padT;
      const yStart = Math.max(0, y0);
      const yEnd = Math.min(h, y0 + p.filterH);
      for (let ox = 0; ox < ow; ox++) {
        const x0 = ox * p.strideW - padL;
        const xStart = Math.max(0, x0);
        const xEnd = Math.min(w, x0 + p.filterW);
        od.fill(-Infinity, at, at + c);
        for (let y = yStart; y < yEnd; y++) {
          for (let xx = xStart; xx < xEnd; xx++) {
            const base = ((b * h + y) * w + xx) * c;
            for (let ch = 0; ch < c; ch++) {
              const v = xd[base + ch]!;
              if (v > od[at + ch]!) od[at + ch] = v;
            }
          }
        }
        // A window that covers no input (possible only with unusual SAME geometry) is 0.
        const empty = yEnd <= yStart || xEnd <= xStart;
        for (let ch = at; ch < at + c; ch++) {
          const v = empty ? 0 : od[ch]!;
          const clamped = v < lo ? lo : v > hi ? hi : v;
          od[ch] = clamped;
          if (clamped < min) min = clamped;
          if (clamped > max) max = clamped;
        }
        at += c;
      }
    }
  }
  if (clamp === null && p.activation !== ActivationFunctionType.NONE) applyActivationF32(od, p.activation);
  else if (od.length > 0) out.range = { min, max };
  return out;
}

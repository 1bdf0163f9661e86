/**
 * RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR on NHWC values, as TFLite's reference kernels
 * compute them (reference/resize_bilinear.h, reference/resize_nearest_neighbor.h). Scales and
 * source coordinates are float32 there, and which pixel `floor` or `round` picks depends on that
 * rounding, so every step is rounded to float32 here too (Math.fround of a double +, -, *, / of
 * float32 operands is the float32 result).
 */
import { GraphError } from '../util/errors.js';
import { makeValue, type NumericArray, type Value } from './value.js';

const fr = Math.fround;

export interface ResizeParams {
  alignCorners: boolean;
  halfPixelCenters: boolean;
}

function dims4(x: Value, op: string): [number, number, number, number] {
  if (x.shape.length !== 4) throw new GraphError(`${op} needs a 4-D NHWC input, got shape [${x.shape}]`);
  return x.shape as [number, number, number, number];
}

function checkSize(op: string, outH: number, outW: number): void {
  if (!(outH > 0 && outW > 0)) throw new GraphError(`${op} output size must be positive, got [${outH}, ${outW}]`);
}

/** input / output, or (input - 1) / (output - 1) when aligning corners of more than one pixel. */
function scaleOf(inSize: number, outSize: number, alignCorners: boolean): number {
  return alignCorners && outSize > 1 ? fr((inSize - 1) / (outSize - 1)) : fr(inSize / outSize);
}

/** The kernel's ComputeInterpolationValues: source coordinate and the two pixels around it. */
function sourceOf(i: number, scale: number, halfPixel: boolean, inSize: number): [pos: number, lo: number, hi: number] {
  const pos = halfPixel ? fr(fr((i + 0.5) * scale) - 0.5) : fr(i * scale);
  return [pos, Math.max(Math.floor(pos), 0), Math.min(Math.ceil(pos), inSize - 1)];
}

/**
 * Bilinear interpolation. float32 uses the float formula; uint8 the same plus 0.5 before
 * truncation (integer T in reference ResizeBilinear); int8 and int16 the 10-bit fixed-point
 * ResizeBilinearInteger that resize_bilinear.cc runs for them.
 */
export function resizeBilinear(x: Value, outH: number, outW: number, p: ResizeParams): Value {
  const [batch, inH, inW, depth] = dims4(x, 'RESIZE_BILINEAR');
  checkSize('RESIZE_BILINEAR', outH, outW);
  if (p.alignCorners && p.halfPixelCenters) throw new GraphError('RESIZE_BILINEAR: half_pixel_centers needs align_corners false');
  if (x.dtype === 'int8' || x.dtype === 'int16') return resizeBilinearInteger(x, outH, outW, p);
  if (x.dtype !== 'float32' && x.dtype !== 'uint8') throw new GraphError(`RESIZE_BILINEAR does not take ${x.dtype}`);
  const offset = x.dtype === 'uint8' ? 0.5 : 0;
  const out = makeValue(x.dtype, [batch, outH, outW, depth]);
  const src = x.data as NumericArray;
  const dst = out.data as NumericArray;
  const hScale = scaleOf(inH, outH, p.alignCorners);
  const wScale = scaleOf(inW, outW, p.alignCorners);
  const at = (b: number, y: number, xx: number) => ((b * inH + y) * inW + xx) * depth;
  let o = 0;
  for (let b = 0; b < batch; b++) {
    for (let y = 0; y < outH; y++) {
      const [iy, y0, y1] = sourceOf(y, hScale, p.halfPixelCenters, inH);
      const dy = fr(iy - y0);
      const dy1 = fr(1 - dy);
      for (let xx = 0; xx < outW; xx++) {
        const [ix, x0, x1] = sourceOf(xx, wScale, p.halfPixelCenters, inW);
        const dx = fr(ix - x0);
        const dx1 = fr(1 - dx);
        const [a00, a10, a01, a11] = [at(b, y0, x0), at(b, y1, x0), at(b, y0, x1), at(b, y1, x1)];
        for (let c = 0; c < depth; c++) {
          // Same order of operations as the C++ expression, each step in float32.
          let v = fr(fr(src[a00 + c]! * dy1) * dx1);
          v = fr(v + fr(fr(src[a10 + c]! * dy) * dx1));
          v = fr(v + fr(fr(src[a01 + c]! * dy1) * dx));
          v = fr(v + fr(fr(src[a11 + c]! * dy) * dx));
          dst[o++] = offset === 0 ? v : Math.trunc(fr(v + offset));
        }
      }
    }
  }
  return out;
}

/** Source coordinate in 1/1024 pixels and the pixels around it (ComputeInterpolationValuesInteger). */
function sourceOfInteger(i: number, scale10: number, halfPixel: boolean, inSize: number): [number, number, number] {
  const pos = halfPixel ? i * scale10 + Math.trunc(scale10 / 2) - (1 << 9) : i * scale10;
  return [pos, Math.max(Math.trunc(pos / 1024), 0), Math.min(Math.trunc((pos + 1023) / 1024), inSize - 1)];
}

function resizeBilinearInteger(x: Value, outH: number, outW: number, p: ResizeParams): Value {
  const [batch, inH, inW, depth] = x.shape as [number, number, number, number];
  const out = makeValue(x.dtype, [batch, outH, outW, depth]);
  const src = x.data as NumericArray;
  const dst = out.data as NumericArray;
  const scale10 = (inSize: number, outSize: number) =>
    p.alignCorners && outSize > 1
      ? Math.trunc((1024 * (inSize - 1) + Math.trunc((outSize - 1) / 2)) / (outSize - 1))
      : Math.trunc((1024 * inSize + Math.trunc(outSize / 2)) / outSize);
  const [hScale, wScale] = [scale10(inH, outH), scale10(inW, outW)];
  const at = (b: number, y: number, xx: number) => ((b * inH + y) * inW + xx) * depth;
  let o = 0;
  for (let b = 0; b < batch; b++) {
    for (let y = 0; y < outH; y++) {
      const [iy, y0, y1] = sourceOfInteger(y, hScale, p.halfPixelCenters, inH);
      const wy = iy - 1024 * y0;
      for (let xx = 0; xx < outW; xx++) {
        const [ix, x0, x1] = sourceOfInteger(xx, wScale, p.halfPixelCenters, inW);
        const wx = ix - 1024 * x0;
        for (let c = 0; c < depth; c++) {
          // Products stay below 2^15 * 2^20, exact in doubles.
          const sum =
            src[at(b, y0, x0) + c]! * (1024 - wy) * (1024 - wx) +
            src[at(b, y1, x0) + c]! * wy * (1024 - wx) +
            src[at(b, y0, x1) + c]! * (1024 - wy) * wx +
            src[at(b, y1, x1) + c]! * wy * wx;
          // Round half away from zero, then divide by 2^20 truncating (the non-single-rounding build).
          dst[o++] = Math.trunc((sum + (sum > 0 ? 1 << 19 : -(1 << 19))) / (1 << 20));
        }
      }
    }
  }
  return out;
}

/** The kernel's GetNearestNeighbor: floor (or round half away from zero with align_corners), clamped. */
function nearestOf(i: number, inSize: number, outSize: number, p: ResizeParams): number {
  const scale = scaleOf(inSize, outSize, p.alignCorners);
  const pos = fr(fr(i + (p.halfPixelCenters ? 0.5 : 0)) * scale);
  const rounded = p.alignCorners ? Math.sign(pos) * Math.floor(Math.abs(pos) + 0.5) : Math.floor(pos);
  const index = Math.min(rounded, inSize - 1);
  return p.halfPixelCenters ? Math.max(0, index) : index;
}

/** Nearest-neighbour resize: copies whole pixels, so any element type works. */
export function resizeNearestNeighbor(x: Value, outH: number, outW: number, p: ResizeParams): Value {
  const [batch, inH, inW, depth] = dims4(x, 'RESIZE_NEAREST_NEIGHBOR');
  checkSize('RESIZE_NEAREST_NEIGHBOR', outH, outW);
  const out = makeValue(x.dtype, [batch, outH, outW, depth]);
  const src = x.data as unknown as { [i: number]: number | bigint };
  const dst = out.data as unknown as { [i: number]: number | bigint };
  const rows = Array.from({ length: outH }, (_, y) => nearestOf(y, inH, outH, p));
  const cols = Array.from({ length: outW }, (_, xx) => nearestOf(xx, inW, outW, p));
  let o = 0;
  for (let b = 0; b < batch; b++) {
    for (const y of rows) {
      for (const xx of cols) {
        const base = ((b * inH + y) * inW + xx) * depth;
        for (let c = 0; c < depth; c++) dst[o++] = src[base + c]!;
      }
    }
  }
  return out;
}

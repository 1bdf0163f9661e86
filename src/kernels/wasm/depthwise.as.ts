// AssemblyScript source of the WebAssembly SIMD DEPTHWISE_CONV_2D (src/kernels/depthwise-wasm.ts runs it).
// Built by `npm run build:wasm` (asc) into src/kernels/depthwise-wasm-binary.ts, committed, so installs need
// no compiler; test/unit/kernels-wasm.test.ts checks the committed build is current.
//
// NHWC input x [n, h, w, c], filter f [kh, kw, c·m], bias [c·m] (zeros when the op has none),
// output [n, oh, ow, c·m], all float32 in linear memory. Output channel ch reads input channel
// ch / m. Per output pixel the in-bounds window is the rectangle of taps [fy0, fy1) × [fx0, fx1),
// computed once, so the inner loops have no bounds tests. With m = 1 (every depthwise layer of
// the MobileNets) input and output channels line up and are contiguous in NHWC: f32x4 vectors run
// over channels, 16 at a time (4 accumulators) while they last, then 4, then single floats. Other
// multipliers take a scalar loop: correct, not tuned. Sums are float32 (mul then add). Results are
// clamped to [lo, hi] as they are stored: the fused RELU/RELU6/RELU_N1_TO_1 (±Infinity for none).
// While storing, the kernel also takes the output's minimum and maximum, which calibration reads
// through rangeMin and rangeMax instead of scanning the output again (NaN-propagating, as
// f32x4.min/max and f32.min/max are).

import { endInside, firstInside } from './window.as';

let outMin: f32 = Infinity;
let outMax: f32 = -Infinity;

/** The smallest output element of the last depthwise call (NaN if one is NaN; +Infinity if there are none). */
export function rangeMin(): f32 {
  return outMin;
}

/** The largest output element of the last depthwise call (NaN if one is NaN; -Infinity if there are none). */
export function rangeMax(): f32 {
  return outMax;
}

export function depthwise(
  n: i32, h: i32, w: i32, c: i32, m: i32,
  kh: i32, kw: i32, oh: i32, ow: i32,
  strideH: i32, strideW: i32, dilationH: i32, dilationW: i32, padT: i32, padL: i32,
  x: usize, f: usize, bias: usize, out: usize, lo: f32, hi: f32,
): void {
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  let vmin = f32x4.splat(Infinity);
  let vmax = f32x4.splat(-Infinity);
  let smin: f32 = Infinity;
  let smax: f32 = -Infinity;
  const oc = c * m;
  const pixelX = <usize>c << 2;
  const rowX = <usize>w * pixelX;
  const pixelF = <usize>oc << 2;
  const rowF = <usize>kw * pixelF;
  const tapStepY = <usize>dilationH * rowX;
  const tapStepX = <usize>dilationW * pixelX;
  let o = out;
  for (let b = 0; b < n; b++) {
    const image = x + <usize>b * <usize>h * rowX;
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * strideH - padT;
      const fy0 = firstInside(iy0, dilationH);
      const fy1 = endInside(iy0, dilationH, h, kh);
      for (let ox = 0; ox < ow; ox++) {
        const ix0 = ox * strideW - padL;
        const fx0 = firstInside(ix0, dilationW);
        const fx1 = endInside(ix0, dilationW, w, kw);
        // Byte addresses of the first in-bounds tap, in x (channel 0) and in f (output channel 0).
        const xTap0 = image + <usize>(iy0 + fy0 * dilationH) * rowX + <usize>(ix0 + fx0 * dilationW) * pixelX;
        const fTap0 = f + <usize>fy0 * rowF + <usize>fx0 * pixelF;
        if (m == 1) {
          let ch = 0;
          for (; ch + 16 <= c; ch += 16) {
            const off = <usize>ch << 2;
            let s0 = v128.load(bias + off);
            let s1 = v128.load(bias + off, 16);
            let s2 = v128.load(bias + off, 32);
            let s3 = v128.load(bias + off, 48);
            let xr = xTap0 + off;
            let fr = fTap0 + off;
            for (let fy = fy0; fy < fy1; fy++) {
              let xp = xr;
              let fp = fr;
              for (let fx = fx0; fx < fx1; fx++) {
                s0 = f32x4.add(s0, f32x4.mul(v128.load(xp), v128.load(fp)));
                s1 = f32x4.add(s1, f32x4.mul(v128.load(xp, 16), v128.load(fp, 16)));
                s2 = f32x4.add(s2, f32x4.mul(v128.load(xp, 32), v128.load(fp, 32)));
                s3 = f32x4.add(s3, f32x4.mul(v128.load(xp, 48), v128.load(fp, 48)));
                xp += tapStepX;
                fp += pixelF;
              }
              xr += tapStepY;
              fr += rowF;
            }
            s0 = f32x4.min(f32x4.max(s0, vlo), vhi);
            s1 = f32x4.min(f32x4.max(s1, vlo), vhi);
            s2 = f32x4.min(f32x4.max(s2, vlo), vhi);
            s3 = f32x4.min(f32x4.max(s3, vlo), vhi);
            v128.store(o + off, s0);
            v128.store(o + off, s1, 16);
            v128.store(o + off, s2, 32);
            v128.store(o + off, s3, 48);
            vmin = f32x4.min(vmin, f32x4.min(f32x4.min(s0, s1), f32x4.min(s2, s3)));
            vmax = f32x4.max(vmax, f32x4.max(f32x4.max(s0, s1), f32x4.max(s2, s3)));
          }
          for (; ch + 4 <= c; ch += 4) {
            const off = <usize>ch << 2;
            let s = v128.load(bias + off);
            let xr = xTap0 + off;
            let fr = fTap0 + off;
            for (let fy = fy0; fy < fy1; fy++) {
              let xp = xr;
              let fp = fr;
              for (let fx = fx0; fx < fx1; fx++) {
                s = f32x4.add(s, f32x4.mul(v128.load(xp), v128.load(fp)));
                xp += tapStepX;
                fp += pixelF;
              }
              xr += tapStepY;
              fr += rowF;
            }
            s = f32x4.min(f32x4.max(s, vlo), vhi);
            v128.store(o + off, s);
            vmin = f32x4.min(vmin, s);
            vmax = f32x4.max(vmax, s);
          }
          for (; ch < c; ch++) {
            const off = <usize>ch << 2;
            let s = load<f32>(bias + off);
            let xr = xTap0 + off;
            let fr = fTap0 + off;
            for (let fy = fy0; fy < fy1; fy++) {
              let xp = xr;
              let fp = fr;
              for (let fx = fx0; fx < fx1; fx++) {
                s += load<f32>(xp) * load<f32>(fp);
                xp += tapStepX;
                fp += pixelF;
              }
              xr += tapStepY;
              fr += rowF;
            }
            s = min<f32>(max<f32>(s, lo), hi);
            store<f32>(o + off, s);
            smin = min<f32>(smin, s);
            smax = max<f32>(smax, s);
          }
        } else {
          for (let ch = 0; ch < oc; ch++) {
            let s = load<f32>(bias + (<usize>ch << 2));
            let xr = xTap0 + (<usize>(ch / m) << 2);
            let fr = fTap0 + (<usize>ch << 2);
            for (let fy = fy0; fy < fy1; fy++) {
              let xp = xr;
              let fp = fr;
              for (let fx = fx0; fx < fx1; fx++) {
                s += load<f32>(xp) * load<f32>(fp);
                xp += tapStepX;
                fp += pixelF;
              }
              xr += tapStepY;
              fr += rowF;
            }
            s = min<f32>(max<f32>(s, lo), hi);
            store<f32>(o + (<usize>ch << 2), s);
            smin = min<f32>(smin, s);
            smax = max<f32>(smax, s);
          }
        }
        o += pixelF;
      }
    }
  }
  outMin = min<f32>(smin, min<f32>(min<f32>(f32x4.extract_lane(vmin, 0), f32x4.extract_lane(vmin, 1)), min<f32>(f32x4.extract_lane(vmin, 2), f32x4.extract_lane(vmin, 3))));
  outMax = max<f32>(smax, max<f32>(max<f32>(f32x4.extract_lane(vmax, 0), f32x4.extract_lane(vmax, 1)), max<f32>(f32x4.extract_lane(vmax, 2), f32x4.extract_lane(vmax, 3))));
}

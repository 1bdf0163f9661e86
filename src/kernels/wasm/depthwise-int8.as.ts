// AssemblyScript source of the int8 DEPTHWISE_CONV_2D kernel on WebAssembly SIMD (part of the
// module built from gemm-int8.as.ts, which re-exports depthwise): int32 sums of int16 offset
// inputs and widened int8 filters, requantized per pixel into int8 outputs with
// requantize-int8.as.ts when asked. Exact integer arithmetic, as gemm-int8.as.ts explains.

import { endInside, firstInside } from './window.as';
import { prepareChannels, requantizeRow, requantizeRowVector } from './requantize-int8.as';

// DEPTHWISE_CONV_2D's sums: the offset input x (int16 x − zp, NHWC [n, h, w, c], from
// offsetRows), filter f (int16 [kh, kw, c·m]), bias (int32 [c·m], zeros when the op has none),
// output int32 [n, oh, ow, c·m] = bias + the window's sums. Output channel ch reads input channel
// ch / m. Per output pixel the in-bounds window is the rectangle of taps [fy0, fy1) × [fx0, fx1)
// (out-of-bounds taps are skipped, as the reference does), so the inner loops have no bounds
// tests. With m = 1 input and output channels line up and are contiguous in NHWC: int16 vectors
// run over 16 channels (i32x4.extmul of 8 lanes, 4 int32 accumulators) while they last, then 8,
// then single channels. Other multipliers take a scalar loop: exact, not tuned.
// With requant non-zero the sums are not kept: out is scratch for one pixel's c·m sums, which
// are requantized (requantize's arithmetic, channel parameters mult and shift [c·m], zp, lo, hi,
// params its scratch) into int8 outputs [n, oh, ow, c·m] at out8 while they are in cache.
export function depthwise(
  n: i32, h: i32, w: i32, c: i32, m: i32,
  kh: i32, kw: i32, oh: i32, ow: i32,
  strideH: i32, strideW: i32, dilationH: i32, dilationW: i32, padT: i32, padL: i32,
  x: usize, f: usize, bias: usize, out: usize,
  requant: i32, mult: usize, shift: usize, zp: i32, lo: i32, hi: i32, out8: usize, params: usize,
): void {
  const vector = requant != 0 && prepareChannels(mult, shift, c * m, zp, lo, hi, params) != 0;
  const zp64 = <i64>zp;
  const lo64 = <i64>lo;
  const hi64 = <i64>hi;
  let q = out8;
  const oc = c * m;
  const pixelX = <usize>c << 1;
  const rowX = <usize>w * pixelX;
  const pixelF = <usize>oc << 1;
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
        let ch = 0;
        if (m == 1) {
          for (; ch + 16 <= c; ch += 16) {
            const acc = <usize>ch << 2;
            let s0 = v128.load(bias + acc);
            let s1 = v128.load(bias + acc, 16);
            let s2 = v128.load(bias + acc, 32);
            let s3 = v128.load(bias + acc, 48);
            let xr = xTap0 + (<usize>ch << 1);
            let fr = fTap0 + (<usize>ch << 1);
            for (let fy = fy0; fy < fy1; fy++) {
              let xp = xr;
              let fp = fr;
              for (let fx = fx0; fx < fx1; fx++) {
                const x0 = v128.load(xp);
                const x1 = v128.load(xp, 16);
                const f0 = v128.load(fp);
                const f1 = v128.load(fp, 16);
                s0 = i32x4.add(s0, i32x4.extmul_low_i16x8_s(x0, f0));
                s1 = i32x4.add(s1, i32x4.extmul_high_i16x8_s(x0, f0));
                s2 = i32x4.add(s2, i32x4.extmul_low_i16x8_s(x1, f1));
                s3 = i32x4.add(s3, i32x4.extmul_high_i16x8_s(x1, f1));
                xp += tapStepX;
                fp += pixelF;
              }
              xr += tapStepY;
              fr += rowF;
            }
            v128.store(o + acc, s0);
            v128.store(o + acc, s1, 16);
            v128.store(o + acc, s2, 32);
            v128.store(o + acc, s3, 48);
          }
          for (; ch + 8 <= c; ch += 8) {
            const acc = <usize>ch << 2;
            let s0 = v128.load(bias + acc);
            let s1 = v128.load(bias + acc, 16);
            let xr = xTap0 + (<usize>ch << 1);
            let fr = fTap0 + (<usize>ch << 1);
            for (let fy = fy0; fy < fy1; fy++) {
              let xp = xr;
              let fp = fr;
              for (let fx = fx0; fx < fx1; fx++) {
                const x0 = v128.load(xp);
                const f0 = v128.load(fp);
                s0 = i32x4.add(s0, i32x4.extmul_low_i16x8_s(x0, f0));
                s1 = i32x4.add(s1, i32x4.extmul_high_i16x8_s(x0, f0));
                xp += tapStepX;
                fp += pixelF;
              }
              xr += tapStepY;
              fr += rowF;
            }
            v128.store(o + acc, s0);
            v128.store(o + acc, s1, 16);
          }
        }
        // The channels left over (all of them when m > 1), one at a time; input channel ch / m.
        for (; ch < oc; ch++) {
          let s = load<i32>(bias + (<usize>ch << 2));
          let xr = xTap0 + (<usize>(ch / m) << 1);
          let fr = fTap0 + (<usize>ch << 1);
          for (let fy = fy0; fy < fy1; fy++) {
            let xp = xr;
            let fp = fr;
            for (let fx = fx0; fx < fx1; fx++) {
              s += <i32>load<i16>(xp) * <i32>load<i16>(fp);
              xp += tapStepX;
              fp += pixelF;
            }
            xr += tapStepY;
            fr += rowF;
          }
          store<i32>(o + (<usize>ch << 2), s);
        }
        if (requant != 0) {
          if (vector) requantizeRowVector(out, oc, mult, shift, params, zp, lo, hi, q);
          else requantizeRow(out, oc, mult, shift, zp64, lo64, hi64, q);
          q += <usize>oc;
        } else {
          o += <usize>oc << 2;
        }
      }
    }
  }
}

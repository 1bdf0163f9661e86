// AssemblyScript source of the WebAssembly SIMD GEMM (src/kernels/gemm-wasm.ts runs it).
// Built by `npm run build:wasm` (asc) into src/kernels/gemm-wasm-binary.ts, committed, so installs need no
// compiler; test/unit/kernels-wasm.test.ts checks the committed build is current.
//
// C (m × np) = bias (np) + A (m × k) · B (k × np), all row-major float32 in linear memory, with np
// a multiple of 8 (the caller pads B's and bias's columns with zeros). B is the "NN" layout: a
// broadcast element of A times 8 contiguous columns of B, so no horizontal sums are needed and
// any k works. A 4 × 8 block of C is held in 8 v128 accumulators (4 rows × 2 vectors), which
// with the 2 B vectors and the broadcast A element fits the 16 SIMD registers of x86-64.
// Sums are float32 (mul then add: Node 20 has no relaxed-SIMD fused multiply-add). Results are
// clamped to [lo, hi] as they are stored: the fused RELU/RELU6/RELU_N1_TO_1 (±Infinity for none),
// which saves the caller a pass over C. While storing, the kernel also takes the minimum and
// maximum of the n real columns of C (not the padding), which calibration reads through rangeMin
// and rangeMax instead of scanning C again; f32x4.min/max propagate NaN, so a NaN anywhere in C
// makes both NaN.

let outMin: f32 = Infinity;
let outMax: f32 = -Infinity;

/** The smallest element of C stored by the last gemm call (NaN if C holds a NaN; +Infinity if C is empty). */
export function rangeMin(): f32 {
  return outMin;
}

/** The largest element of C stored by the last gemm call (NaN if C holds a NaN; -Infinity if C is empty). */
export function rangeMax(): f32 {
  return outMax;
}

@inline
function lanesMin(v: v128): f32 {
  return min<f32>(min<f32>(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), min<f32>(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
}

@inline
function lanesMax(v: v128): f32 {
  return max<f32>(max<f32>(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), max<f32>(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
}

/** Widens (lo, hi) by the stored floats of rows [0, rows) × columns [from, to) of C at `out`. */
@inline
function scanTail(out: usize, rows: i32, rowC: usize, from: i32, to: i32): void {
  let lo = outMin;
  let hi = outMax;
  for (let r = 0; r < rows; r++) {
    for (let j = from; j < to; j++) {
      const x = load<f32>(out + <usize>r * rowC + (<usize>(j - from) << 2));
      lo = min<f32>(lo, x);
      hi = max<f32>(hi, x);
    }
  }
  outMin = lo;
  outMax = hi;
}

export function gemm(m: i32, n: i32, np: i32, k: i32, a: usize, b: usize, c: usize, bias: usize, lo: f32, hi: f32): void {
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  const rowA = <usize>k << 2;
  const rowB = <usize>np << 2;
  let vmin = f32x4.splat(Infinity);
  let vmax = f32x4.splat(-Infinity);
  outMin = Infinity;
  outMax = -Infinity;
  // Columns go in blocks whose slice of B (k × width floats) fits in about 128 KiB, so a block
  // stays in L2 while every row of A passes over it: a wide B (MobileNet's last layers, 448×1792)
  // is then read from memory once instead of once per 4 rows.
  const width = max<i32>(8, (32768 / max<i32>(k, 1)) & ~7);
  for (let jc = 0; jc < np; jc += width) {
    const jEnd = min<i32>(jc + width, np);
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      const a0 = a + <usize>i * rowA;
      const a1 = a0 + rowA;
      const a2 = a1 + rowA;
      const a3 = a2 + rowA;
      for (let j = jc; j < jEnd; j += 8) {
        const col = <usize>j << 2;
        let c00 = v128.load(bias + col);
        let c01 = v128.load(bias + col, 16);
        let c10 = c00, c11 = c01, c20 = c00, c21 = c01, c30 = c00, c31 = c01;
        let bp = b + col;
        for (let p = 0; p < k; p++) {
          const b0 = v128.load(bp);
          const b1 = v128.load(bp, 16);
          const off = <usize>p << 2;
          let x = v128.load32_splat(a0 + off);
          c00 = f32x4.add(c00, f32x4.mul(x, b0));
          c01 = f32x4.add(c01, f32x4.mul(x, b1));
          x = v128.load32_splat(a1 + off);
          c10 = f32x4.add(c10, f32x4.mul(x, b0));
          c11 = f32x4.add(c11, f32x4.mul(x, b1));
          x = v128.load32_splat(a2 + off);
          c20 = f32x4.add(c20, f32x4.mul(x, b0));
          c21 = f32x4.add(c21, f32x4.mul(x, b1));
          x = v128.load32_splat(a3 + off);
          c30 = f32x4.add(c30, f32x4.mul(x, b0));
          c31 = f32x4.add(c31, f32x4.mul(x, b1));
          bp += rowB;
        }
        const out = c + <usize>i * rowB + col;
        c00 = f32x4.min(f32x4.max(c00, vlo), vhi);
        c01 = f32x4.min(f32x4.max(c01, vlo), vhi);
        c10 = f32x4.min(f32x4.max(c10, vlo), vhi);
        c11 = f32x4.min(f32x4.max(c11, vlo), vhi);
        c20 = f32x4.min(f32x4.max(c20, vlo), vhi);
        c21 = f32x4.min(f32x4.max(c21, vlo), vhi);
        c30 = f32x4.min(f32x4.max(c30, vlo), vhi);
        c31 = f32x4.min(f32x4.max(c31, vlo), vhi);
        v128.store(out, c00);
        v128.store(out, c01, 16);
        v128.store(out + rowB, c10);
        v128.store(out + rowB, c11, 16);
        v128.store(out + 2 * rowB, c20);
        v128.store(out + 2 * rowB, c21, 16);
        v128.store(out + 3 * rowB, c30);
        v128.store(out + 3 * rowB, c31, 16);
        if (j + 8 <= n) {
          vmin = f32x4.min(vmin, f32x4.min(f32x4.min(f32x4.min(c00, c01), f32x4.min(c10, c11)), f32x4.min(f32x4.min(c20, c21), f32x4.min(c30, c31))));
          vmax = f32x4.max(vmax, f32x4.max(f32x4.max(f32x4.max(c00, c01), f32x4.max(c10, c11)), f32x4.max(f32x4.max(c20, c21), f32x4.max(c30, c31))));
        } else {
          scanTail(out, 4, rowB, j, n);
        }
      }
    }
    // Leftover rows, one at a time.
    for (; i < m; i++) {
      const a0 = a + <usize>i * rowA;
      for (let j = jc; j < jEnd; j += 8) {
        const col = <usize>j << 2;
        let c00 = v128.load(bias + col);
        let c01 = v128.load(bias + col, 16);
        let bp = b + col;
        for (let p = 0; p < k; p++) {
          const x = v128.load32_splat(a0 + (<usize>p << 2));
          c00 = f32x4.add(c00, f32x4.mul(x, v128.load(bp)));
          c01 = f32x4.add(c01, f32x4.mul(x, v128.load(bp, 16)));
          bp += rowB;
        }
        const out = c + <usize>i * rowB + col;
        c00 = f32x4.min(f32x4.max(c00, vlo), vhi);
        c01 = f32x4.min(f32x4.max(c01, vlo), vhi);
        v128.store(out, c00);
        v128.store(out, c01, 16);
        if (j + 8 <= n) {
          vmin = f32x4.min(vmin, f32x4.min(c00, c01));
          vmax = f32x4.max(vmax, f32x4.max(c00, c01));
        } else {
          scanTail(out, 1, rowB, j, n);
        }
      }
    }
  }
  outMin = min<f32>(outMin, lanesMin(vmin));
  outMax = max<f32>(outMax, lanesMax(vmax));
}

/** Copies `count` floats from src to dst (non-overlapping): 4 at a time, then one at a time. */
@inline
function copyFloats(dst: usize, src: usize, count: i32): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
  for (; i < count; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}

/** Stores `count` zero floats at dst. */
@inline
function zeroFloats(dst: usize, count: i32): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) v128.store(dst + (<usize>i << 2), f32x4.splat(0));
  for (; i < count; i++) store<f32>(dst + (<usize>i << 2), 0);
}

// im2col for CONV_2D (src/kernels/gemm-wasm.ts pairs it with gemm, so the patches are made where
// the GEMM reads them): rows [p0, p0 + rows) of the [pixels, kh·kw·ci] patch matrix of input
// channels [c0, c0 + ci) of the NHWC input x [·, h, w, c], row-major at out, with zeros where the
// window overhangs the input. Pixels count row-major over [batch, oh, ow]. The same walk as
// gatherPatches in src/kernels/conv-fast.ts: a window row wholly inside the input, without groups
// or horizontal dilation, is kw·c contiguous floats, copied at once.
export function im2col(
  x: usize, h: i32, w: i32, c: i32, c0: i32, ci: i32, kh: i32, kw: i32,
  strideH: i32, strideW: i32, dilationH: i32, dilationW: i32, padT: i32, padL: i32,
  oh: i32, ow: i32, p0: i32, rows: i32, out: usize,
): void {
  let ox = p0 % ow;
  let oy = (p0 / ow) % oh;
  let b = p0 / ow / oh;
  let at = out;
  const tapBytes = <usize>ci << 2;
  for (let r = 0; r < rows; r++) {
    const ix0 = ox * strideW - padL;
    const rowContiguous = ci == c && dilationW == 1 && ix0 >= 0 && ix0 + kw <= w;
    for (let fy = 0; fy < kh; fy++) {
      const iy = oy * strideH - padT + fy * dilationH;
      if (iy < 0 || iy >= h) {
        zeroFloats(at, kw * ci);
        at += <usize>kw * tapBytes;
        continue;
      }
      const row = x + ((<usize>(b * h + iy) * <usize>w * <usize>c + <usize>c0) << 2);
      if (rowContiguous) {
        copyFloats(at, row + ((<usize>ix0 * <usize>c) << 2), kw * c);
        at += <usize>kw * tapBytes;
        continue;
      }
      for (let fx = 0; fx < kw; fx++) {
        const ix = ix0 + fx * dilationW;
        if (ix >= 0 && ix < w) copyFloats(at, row + ((<usize>ix * <usize>c) << 2), ci);
        else zeroFloats(at, ci);
        at += tapBytes;
      }
    }
    if (++ox == ow) {
      ox = 0;
      if (++oy == oh) {
        oy = 0;
        b++;
      }
    }
  }
}

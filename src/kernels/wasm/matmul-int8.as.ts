// AssemblyScript source of the operand packing of the int8 BATCH_MATMUL and the col2im scatter of
// the int8 TRANSPOSE_CONV (part of the module built from gemm-int8.as.ts, which re-exports them).
// Both run the module's gemm (int16 pairs, i32x4.dot_i16x8_s) and requantize; int8-wasm-matmul.ts
// drives them. Everything is integer arithmetic: offset values (x − zero point) fit int16, sums
// wrap like C++'s int32 accumulator, so the results are the JS kernels' (matmul-int8.ts
// batchMatMulInt8, conv.ts transposeConvAccumulate) bit for bit.
//
// Layouts are gemm-int8.as.ts's: A int16 [m, kp] (kp = k rounded up to even, the extra column
// zero), B int16 [kp / 2, np, 2] (np = n rounded up to 8, the extra columns zero).

// BATCH_MATMUL's rhs as stored without adj_y: int8 [k, n] row-major at src, offset by −zp, into
// B at dst. Rows 2p and 2p + 1 are interleaved 8 columns at a time; the odd last row of an odd k
// pairs with zero; columns n..np are zero.
export function packRows(src: usize, k: i32, n: i32, zp: i32, np: i32, dst: usize): void {
  const vzp = i16x8.splat(<i16>zp);
  const rowB = <usize>np << 2;
  const pairs = (k + 1) >> 1;
  for (let p = 0; p < pairs; p++) {
    const r0 = src + <usize>(2 * p) * <usize>n;
    const r1 = r0 + <usize>n;
    const d = dst + <usize>p * rowB;
    let j = 0;
    if (2 * p + 1 < k) {
      for (; j + 8 <= n; j += 8) {
        const a = i16x8.sub(v128.load8x8_s(r0 + <usize>j), vzp);
        const b = i16x8.sub(v128.load8x8_s(r1 + <usize>j), vzp);
        const at = d + (<usize>j << 2);
        v128.store(at, i8x16.shuffle(a, b, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23));
        v128.store(at, i8x16.shuffle(a, b, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31), 16);
      }
      for (; j < n; j++) {
        const at = d + (<usize>j << 2);
        store<i16>(at, <i32>load<i8>(r0 + <usize>j) - zp);
        store<i16>(at, <i32>load<i8>(r1 + <usize>j) - zp, 2);
      }
    } else {
      for (; j < n; j++) store<i32>(d + (<usize>j << 2), (<i32>load<i8>(r0 + <usize>j) - zp) & 0xffff);
    }
    for (j = n; j < np; j++) store<i32>(d + (<usize>j << 2), 0);
  }
}

// BATCH_MATMUL's rhs as stored with adj_y: int8 [n, k] row-major at src (column j of the k × n
// matrix is row j here), offset by −zp, into B at dst; columns n..np are zero.
export function packCols(src: usize, k: i32, n: i32, zp: i32, np: i32, dst: usize): void {
  const rowB = <usize>np << 2;
  const pairs = (k + 1) >> 1;
  const full = k >> 1;
  for (let j = 0; j < n; j++) {
    const s = src + <usize>j * <usize>k;
    let d = dst + (<usize>j << 2);
    for (let p = 0; p < full; p++) {
      const v0 = <i32>load<i8>(s + <usize>(2 * p)) - zp;
      const v1 = <i32>load<i8>(s + <usize>(2 * p + 1)) - zp;
      store<i32>(d, (v0 & 0xffff) | (v1 << 16));
      d += rowB;
    }
    if (full < pairs) store<i32>(d, (<i32>load<i8>(s + <usize>(k - 1)) - zp) & 0xffff);
  }
  for (let p = 0; p < pairs; p++) {
    const d = dst + <usize>p * rowB;
    for (let j = n; j < np; j++) store<i32>(d + (<usize>j << 2), 0);
  }
}

// BATCH_MATMUL's lhs as stored with adj_x: int8 [k, m] row-major at src (row i of the m × k matrix
// is column i here), offset by −zp, into A int16 [m, kp] at dst; the column k..kp is zero.
export function transposeRows(src: usize, m: i32, k: i32, zp: i32, kp: i32, dst: usize): void {
  const rowA = <usize>kp << 1;
  for (let t = 0; t < k; t++) {
    const s = src + <usize>t * <usize>m;
    let d = dst + (<usize>t << 1);
    for (let i = 0; i < m; i++) {
      store<i16>(d, <i32>load<i8>(s + <usize>i) - zp);
      d += rowA;
    }
  }
  if (kp > k) for (let i = 0; i < m; i++) store<i16>(dst + <usize>i * rowA + (<usize>k << 1), 0);
}

// `rows` copies of the n int32 values at src, one after the other at dst (TRANSPOSE_CONV's sums
// start at the bias, or zeros).
export function repeatRow(src: usize, n: i32, rows: i32, dst: usize): void {
  const bytes = <usize>n << 2;
  for (let r = 0; r < rows; r++) memory.copy(dst + <usize>r * bytes, src, bytes);
}

// TRANSPOSE_CONV's col2im: C (int32 [rows, np] at c) holds, for input pixels [p0, p0 + rows)
// (row-major over [batch, h, w]), the products with every tap, column (fy · kw + fx) · o + oc.
// Each tap whose output pixel (iy · strideH − padT + fy, ix · strideW − padL + fx) lies in the
// [oh, ow] output adds its o sums to that pixel's o int32 sums at out ([batch, oh, ow, o]),
// wrapping; taps outside are skipped, as the reference does.
export function col2im(
  c: usize, rows: i32, np: i32, p0: i32, h: i32, w: i32, o: i32, kh: i32, kw: i32,
  strideH: i32, strideW: i32, padT: i32, padL: i32, oh: i32, ow: i32, out: usize,
): void {
  let ix = p0 % w;
  let iy = (p0 / w) % h;
  let b = p0 / w / h;
  const rowC = <usize>np << 2;
  const pixelOut = <usize>o << 2;
  for (let r = 0; r < rows; r++) {
    const src = c + <usize>r * rowC;
    for (let fy = 0; fy < kh; fy++) {
      const oy = iy * strideH - padT + fy;
      if (oy < 0 || oy >= oh) continue;
      const outRow = out + <usize>(b * oh + oy) * <usize>ow * pixelOut;
      for (let fx = 0; fx < kw; fx++) {
        const ox = ix * strideW - padL + fx;
        if (ox < 0 || ox >= ow) continue;
        const d = outRow + <usize>ox * pixelOut;
        const s = src + <usize>(fy * kw + fx) * pixelOut;
        let j = 0;
        for (; j + 4 <= o; j += 4) {
          const at = <usize>j << 2;
          v128.store(d + at, i32x4.add(v128.load(d + at), v128.load(s + at)));
        }
        for (; j < o; j++) {
          const at = <usize>j << 2;
          store<i32>(d + at, load<i32>(d + at) + load<i32>(s + at));
        }
      }
    }
    if (++ix == w) {
      ix = 0;
      if (++iy == h) {
        iy = 0;
        b++;
      }
    }
  }
}

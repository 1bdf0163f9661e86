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
// which saves the caller a pass over C.

export function gemm(m: i32, np: i32, k: i32, a: usize, b: usize, c: usize, bias: usize, lo: f32, hi: f32): void {
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  const rowA = <usize>k << 2;
  const rowB = <usize>np << 2;
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const a0 = a + <usize>i * rowA;
    const a1 = a0 + rowA;
    const a2 = a1 + rowA;
    const a3 = a2 + rowA;
    for (let j = 0; j < np; j += 8) {
      const col = <usize>j << 2;
      let c00 = v128.load(bias + col);
      let c01 = v128.load(bias + col, 16);
      let c10 = c00, c11 = c01, c20 = c00, c21 = c01, c30 = c00, c31 = c01;
      let bp = b + col;
      for (let p = 0; p < k; p++) {
        const b0 = v128.load(bp);
        const b1 = v128.load(bp, 16);
        const off = <usize>p << 2;
        let x = f32x4.splat(load<f32>(a0 + off));
        c00 = f32x4.add(c00, f32x4.mul(x, b0));
        c01 = f32x4.add(c01, f32x4.mul(x, b1));
        x = f32x4.splat(load<f32>(a1 + off));
        c10 = f32x4.add(c10, f32x4.mul(x, b0));
        c11 = f32x4.add(c11, f32x4.mul(x, b1));
        x = f32x4.splat(load<f32>(a2 + off));
        c20 = f32x4.add(c20, f32x4.mul(x, b0));
        c21 = f32x4.add(c21, f32x4.mul(x, b1));
        x = f32x4.splat(load<f32>(a3 + off));
        c30 = f32x4.add(c30, f32x4.mul(x, b0));
        c31 = f32x4.add(c31, f32x4.mul(x, b1));
        bp += rowB;
      }
      const out = c + <usize>i * rowB + col;
      v128.store(out, f32x4.min(f32x4.max(c00, vlo), vhi));
      v128.store(out, f32x4.min(f32x4.max(c01, vlo), vhi), 16);
      v128.store(out + rowB, f32x4.min(f32x4.max(c10, vlo), vhi));
      v128.store(out + rowB, f32x4.min(f32x4.max(c11, vlo), vhi), 16);
      v128.store(out + 2 * rowB, f32x4.min(f32x4.max(c20, vlo), vhi));
      v128.store(out + 2 * rowB, f32x4.min(f32x4.max(c21, vlo), vhi), 16);
      v128.store(out + 3 * rowB, f32x4.min(f32x4.max(c30, vlo), vhi));
      v128.store(out + 3 * rowB, f32x4.min(f32x4.max(c31, vlo), vhi), 16);
    }
  }
  // Leftover rows, one at a time.
  for (; i < m; i++) {
    const a0 = a + <usize>i * rowA;
    for (let j = 0; j < np; j += 8) {
      const col = <usize>j << 2;
      let c00 = v128.load(bias + col);
      let c01 = v128.load(bias + col, 16);
      let bp = b + col;
      for (let p = 0; p < k; p++) {
        const x = f32x4.splat(load<f32>(a0 + (<usize>p << 2)));
        c00 = f32x4.add(c00, f32x4.mul(x, v128.load(bp)));
        c01 = f32x4.add(c01, f32x4.mul(x, v128.load(bp, 16)));
        bp += rowB;
      }
      const out = c + <usize>i * rowB + col;
      v128.store(out, f32x4.min(f32x4.max(c00, vlo), vhi));
      v128.store(out, f32x4.min(f32x4.max(c01, vlo), vhi), 16);
    }
  }
}

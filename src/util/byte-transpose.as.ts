// AssemblyScript source of the WebAssembly SIMD transpose of 4-byte elements
// (src/util/byte-transpose.ts runs it). Built by `npm run build:wasm` (asc) into
// src/util/byte-transpose-wasm-binary.ts, committed, so installs need no compiler;
// test/unit/kernels-wasm.test.ts checks the committed build is current.
//
// dst [cols, rows] = the transpose of src [rows, cols], both row-major in linear memory, elements
// moved as 32-bit integers (bit copies: any 4-byte dtype, NaN payloads included). 4 × 4 blocks go
// through registers: 4 row loads, 8 lane shuffles, 4 column stores. Blocks are walked in
// TILE × TILE tiles so the tile's source rows and destination rows both stay in L1.

const TILE: i32 = 64;

@inline
function copyElement(src: usize, dst: usize, rows: i32, cols: i32, r: i32, c: i32): void {
  store<u32>(dst + ((<usize>c * <usize>rows + <usize>r) << 2), load<u32>(src + ((<usize>r * <usize>cols + <usize>c) << 2)));
}

export function transpose32(src: usize, dst: usize, rows: i32, cols: i32): void {
  const srcRow = <usize>cols << 2;
  const dstRow = <usize>rows << 2;
  for (let c0 = 0; c0 < cols; c0 += TILE) {
    const c1 = min<i32>(c0 + TILE, cols);
    for (let r0 = 0; r0 < rows; r0 += TILE) {
      const r1 = min<i32>(r0 + TILE, rows);
      let c = c0;
      for (; c + 4 <= c1; c += 4) {
        let r = r0;
        for (; r + 4 <= r1; r += 4) {
          const s = src + ((<usize>r * <usize>cols + <usize>c) << 2);
          const a = v128.load(s);
          const b = v128.load(s + srcRow);
          const e = v128.load(s + 2 * srcRow);
          const f = v128.load(s + 3 * srcRow);
          // a0 b0 a1 b1 | a2 b2 a3 b3 | e0 f0 e1 f1 | e2 f2 e3 f3, then pairs of pairs.
          const ab01 = i32x4.shuffle(a, b, 0, 4, 1, 5);
          const ab23 = i32x4.shuffle(a, b, 2, 6, 3, 7);
          const ef01 = i32x4.shuffle(e, f, 0, 4, 1, 5);
          const ef23 = i32x4.shuffle(e, f, 2, 6, 3, 7);
          const d = dst + ((<usize>c * <usize>rows + <usize>r) << 2);
          v128.store(d, i32x4.shuffle(ab01, ef01, 0, 1, 4, 5));
          v128.store(d + dstRow, i32x4.shuffle(ab01, ef01, 2, 3, 6, 7));
          v128.store(d + 2 * dstRow, i32x4.shuffle(ab23, ef23, 0, 1, 4, 5));
          v128.store(d + 3 * dstRow, i32x4.shuffle(ab23, ef23, 2, 3, 6, 7));
        }
        for (; r < r1; r++) {
          for (let q = c; q < c + 4; q++) copyElement(src, dst, rows, cols, r, q);
        }
      }
      for (; c < c1; c++) {
        for (let r = r0; r < r1; r++) copyElement(src, dst, rows, cols, r, c);
      }
    }
  }
}

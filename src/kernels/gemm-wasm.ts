/**
 * gemmNT on WebAssembly SIMD: the AssemblyScript kernel in src/kernels/wasm/gemm.as.ts (committed build in
 * gemm-wasm-binary.ts), behind the same GemmNT interface as the plain JS one. Per call, A is
 * copied into the module's memory, B (n × k) is repacked once into the kernel's k × n8 layout
 * (n rounded up to 8 with zero columns) and cached per weight array, and C is copied back out.
 * The copies are O(m·k + m·n) against O(m·n·k) multiply-adds.
 *
 * The kernel sums in float32, where the plain JS GEMM and the reference kernels sum in doubles:
 * results differ within float32 rounding of each sum (test/unit/kernels-fast.test.ts bounds it).
 * One instance (and memory) per thread: module state is per worker.
 */
import { GEMM_WASM_BASE64 } from './gemm-wasm-binary.js';
import type { GemmNT, MatrixView } from './gemm.js';

/** The slice of the WebAssembly JS API used here (the project's lib has no DOM/wasm typings). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

interface GemmExports {
  gemm(m: number, np: number, k: number, a: number, b: number, c: number, bias: number): void;
  memory: WasmMemory;
}

const PAGE_BYTES = 65536;

/** Repacked B matrices, by source array and view: weights are constants, and values are never
 *  changed once an op has returned them, so the array identifies the contents. */
type PackCache = WeakMap<Float32Array, Map<string, Float32Array>>;

function packB(cache: PackCache, b: MatrixView, n: number, k: number, np: number): Float32Array {
  let views = cache.get(b.data);
  if (views === undefined) cache.set(b.data, (views = new Map()));
  const key = `${b.offset}/${b.stride}/${n}/${k}`;
  let packed = views.get(key);
  if (packed === undefined) {
    packed = new Float32Array(k * np);
    const bd = b.data;
    for (let j = 0; j < n; j++) {
      const row = b.offset + j * b.stride;
      for (let p = 0; p < k; p++) packed[p * np + j] = bd[row + p]!;
    }
    views.set(key, packed);
  }
  return packed;
}

/** The WebAssembly GEMM, or null where WebAssembly or its SIMD proposal is unavailable. */
export function createWasmGemm(): GemmNT | null {
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (wasm === undefined) return null;
  const bytes = Uint8Array.from(Buffer.from(GEMM_WASM_BASE64, 'base64'));
  if (!wasm.validate(bytes)) return null;
  const exports = new wasm.Instance(new wasm.Module(bytes), {}).exports as GemmExports;
  const memory = exports.memory;
  let heap = new Float32Array(memory.buffer);
  const cache: PackCache = new WeakMap();
  const ensure = (floats: number) => {
    const bytesNeeded = floats * 4;
    if (bytesNeeded > memory.buffer.byteLength) {
      memory.grow(Math.ceil((bytesNeeded - memory.buffer.byteLength) / PAGE_BYTES));
      heap = new Float32Array(memory.buffer);
    }
  };
  const align = (floats: number) => (floats + 3) & ~3;

  return (m, n, k, a, b, c, bias) => {
    if (m === 0 || n === 0) return;
    const np = (n + 7) & ~7;
    const packed = packB(cache, b, n, k, np);
    const aAt = 0;
    const bAt = align(m * k);
    const biasAt = bAt + k * np;
    const cAt = biasAt + np;
    ensure(cAt + m * np);
    const ad = a.data;
    if (a.stride === k) heap.set(ad.subarray(a.offset, a.offset + m * k), aAt);
    else for (let i = 0; i < m; i++) heap.set(ad.subarray(a.offset + i * a.stride, a.offset + i * a.stride + k), aAt + i * k);
    heap.set(packed, bAt);
    heap.fill(0, biasAt, biasAt + np);
    if (bias !== null) heap.set(bias.subarray(0, n), biasAt);
    exports.gemm(m, np, k, aAt * 4, bAt * 4, cAt * 4, biasAt * 4);
    const cd = c.data;
    if (np === n && c.stride === n) cd.set(heap.subarray(cAt, cAt + m * n), c.offset);
    else for (let i = 0; i < m; i++) cd.set(heap.subarray(cAt + i * np, cAt + i * np + n), c.offset + i * c.stride);
  };
}

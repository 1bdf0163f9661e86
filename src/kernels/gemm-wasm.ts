/**
 * gemmNT on WebAssembly SIMD: the AssemblyScript kernel in src/kernels/wasm/gemm.as.ts (committed build in
 * gemm-wasm-binary.ts), behind the same GemmNT interface as the plain JS one. Per call, A is
 * copied into the module's memory and C copied back out; B (n × k) is repacked once into the
 * kernel's k × n8 layout (n rounded up to 8 with zero columns) and stays resident in the module's
 * memory, per weight array, across calls. The copies are O(m·k + m·n) against O(m·n·k) multiply-adds.
 * For CONV_2D (im2colGemm) the input is copied in instead of A, and the module makes the patches.
 *
 * The kernel sums in float32, where the plain JS GEMM and the reference kernels sum in doubles:
 * results differ within float32 rounding of each sum (test/unit/kernels-fast.test.ts bounds it).
 * One instance (and memory) per thread: module state is per worker.
 */
import { GEMM_WASM_BASE64 } from './gemm-wasm-binary.js';
import type { GemmNT, MatrixView } from './gemm.js';
import { widenRange } from './value.js';
import { instantiateKernel, type WasmMemory } from '../util/wasm.js';
import { align4, FloatHeap } from './wasm-instance.js';

interface GemmExports {
  gemm(m: number, n: number, np: number, k: number, a: number, b: number, c: number, bias: number, lo: number, hi: number): void;
  im2col(
    x: number, h: number, w: number, c: number, c0: number, ci: number, kh: number, kw: number,
    strideH: number, strideW: number, dilationH: number, dilationW: number, padT: number, padL: number,
    oh: number, ow: number, p0: number, rows: number, out: number,
  ): void;
  rangeMin(): number;
  rangeMax(): number;
  memory: WasmMemory;
}

/**
 * Where repacked B matrices live in the module's memory: at the bottom, bump-allocated, by
 * source array and view (weights are constants, and values are never changed once an op has
 * returned them, so the array identifies the contents). Once RESIDENT_FLOATS are used the whole
 * store is dropped and refilled: it holds one model's weights (MobileNetV2 1.4: 6.1 M floats)
 * and stays bounded when B is an activation (BATCH_MATMUL) or models change.
 */
const RESIDENT_FLOATS = 32 * 1024 * 1024;

class ResidentPacks {
  private offsets = new WeakMap<Float32Array, Map<string, number>>();
  /** Floats in use from address 0 (a multiple of 4). */
  top = 0;

  constructor(
    private readonly memory: FloatHeap,
    private readonly capacity: number,
  ) {}

  /** The float offset of B (n × k) packed as k × np (zero columns from n to np), packing it on first use. */
  offsetOf(b: MatrixView, n: number, k: number, np: number): number {
    const key = `${b.offset}/${b.stride}/${n}/${k}`;
    const known = this.offsets.get(b.data)?.get(key);
    if (known !== undefined) return known;
    const floats = align4(k * np);
    if (this.top + floats > this.capacity) {
      this.offsets = new WeakMap();
      this.top = 0;
    }
    const at = this.top;
    const heap = this.memory.reserve(at + floats);
    heap.fill(0, at, at + floats);
    const bd = b.data;
    for (let j = 0; j < n; j++) {
      const row = b.offset + j * b.stride;
      for (let p = 0; p < k; p++) heap[at + p * np + j] = bd[row + p]!;
    }
    this.top = at + floats;
    let views = this.offsets.get(b.data);
    if (views === undefined) this.offsets.set(b.data, (views = new Map()));
    views.set(key, at);
    return at;
  }
}

/** Floats of patches per im2colGemm block: 128 KiB, so a block of patches stays in L2 (as in conv-fast.ts). */
const PATCH_FLOATS = 32 * 1024;

/**
 * The WebAssembly GEMM, or null where WebAssembly or its SIMD proposal is unavailable.
 * residentFloats bounds the packed-B store (tests make it small to exercise the refill).
 */
export function createWasmGemm(residentFloats = RESIDENT_FLOATS): GemmNT | null {
  const exports = instantiateKernel<GemmExports>(GEMM_WASM_BASE64);
  if (exports === null) return null;
  const memory = new FloatHeap(exports.memory);
  const packs = new ResidentPacks(memory, residentFloats);

  /** C rows [0, m) from the module's memory (np floats apart) into c. */
  const copyOut = (heap: Float32Array, cAt: number, m: number, n: number, np: number, c: MatrixView) => {
    const cd = c.data;
    if (np === n && c.stride === n) cd.set(heap.subarray(cAt, cAt + m * n), c.offset);
    else for (let i = 0; i < m; i++) cd.set(heap.subarray(cAt + i * np, cAt + i * np + n), c.offset + i * c.stride);
  };
  const setBias = (heap: Float32Array, biasAt: number, bias: Float32Array | null, n: number, np: number) => {
    heap.fill(0, biasAt, biasAt + np);
    if (bias !== null) heap.set(bias.subarray(0, n), biasAt);
  };

  const gemm: GemmNT = (m, n, k, a, b, c, bias, clamp, range) => {
    if (m === 0 || n === 0) return;
    const np = (n + 7) & ~7;
    const bAt = packs.offsetOf(b, n, k, np);
    // Per-call scratch above the resident packs.
    const aAt = packs.top;
    const biasAt = align4(aAt + m * k);
    const cAt = biasAt + np;
    const heap = memory.reserve(cAt + m * np);
    const ad = a.data;
    if (a.stride === k) heap.set(ad.subarray(a.offset, a.offset + m * k), aAt);
    else for (let i = 0; i < m; i++) heap.set(ad.subarray(a.offset + i * a.stride, a.offset + i * a.stride + k), aAt + i * k);
    setBias(heap, biasAt, bias, n, np);
    exports.gemm(m, n, np, k, aAt * 4, bAt * 4, cAt * 4, biasAt * 4, clamp?.lo ?? -Infinity, clamp?.hi ?? Infinity);
    if (range !== undefined && range !== null) widenRange(range, exports.rangeMin(), exports.rangeMax());
    copyOut(heap, cAt, m, n, np, c);
  };

  // The input is copied in once; each block of pixels is gathered by the module's im2col into
  // its scratch and multiplied there, so patches never pass through JS.
  gemm.im2colGemm = (x, [batch, h, w, c], c0, ci, g, filter, n, bias, clamp, out, range) => {
    const pixels = batch * g.oh * g.ow;
    if (pixels === 0 || n === 0) return;
    const k = g.kh * g.kw * ci;
    const np = (n + 7) & ~7;
    const bAt = packs.offsetOf(filter, n, k, np);
    const block = Math.max(4, Math.min(pixels, Math.floor(PATCH_FLOATS / k / 4) * 4));
    const xAt = packs.top;
    const xFloats = batch * h * w * c;
    const biasAt = align4(xAt + xFloats);
    const patchesAt = align4(biasAt + np);
    const cAt = align4(patchesAt + block * k);
    const heap = memory.reserve(cAt + block * np);
    heap.set(x.subarray(0, xFloats), xAt);
    setBias(heap, biasAt, bias, n, np);
    const lo = clamp?.lo ?? -Infinity;
    const hi = clamp?.hi ?? Infinity;
    for (let p0 = 0; p0 < pixels; p0 += block) {
      const rows = Math.min(block, pixels - p0);
      exports.im2col(xAt * 4, h, w, c, c0, ci, g.kh, g.kw, g.strideH, g.strideW, g.dilationH, g.dilationW, g.padT, g.padL, g.oh, g.ow, p0, rows, patchesAt * 4);
      exports.gemm(rows, n, np, k, patchesAt * 4, bAt * 4, cAt * 4, biasAt * 4, lo, hi);
      if (range !== null) widenRange(range, exports.rangeMin(), exports.rangeMax());
      copyOut(heap, cAt, rows, n, np, { data: out.data, offset: out.offset + p0 * out.stride, stride: out.stride });
    }
  };
  return gemm;
}

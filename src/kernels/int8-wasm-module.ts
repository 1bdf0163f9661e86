/**
 * The one WebAssembly module behind the integer kernels of conv-int8-wasm.ts: its exports (the
 * AssemblyScript kernels of src/kernels/wasm/gemm-int8.as.ts and the files it re-exports,
 * committed build in gemm-int8-wasm-binary.ts), its instantiation, and the memory the int8
 * (int8-wasm-8x8.ts, int8-wasm-matmul.ts) and 16x8 (int8-wasm-16x8.ts) entry points share: one heap and one store of
 * resident packed weights (int8-wasm-memory.ts), so both kinds of kernel reuse the same packing of
 * a weight array. One instance per thread.
 */
import { GEMM_INT8_WASM_BASE64 } from './gemm-int8-wasm-binary.js';
import { instantiateKernel, type WasmMemory } from '../util/wasm.js';
import { IntHeap, RESIDENT_BYTES, ResidentPacks } from './int8-wasm-memory.js';

/** The module's exports (byte offsets into its memory for every array). */
export interface GemmInt8Exports {
  gemm(m: number, np: number, kp: number, a: number, b: number, c: number, bias: number): void;
  offsetRows(src: number, rows: number, k: number, kp: number, zp: number, dst: number): void;
  im2col(
    x: number, h: number, w: number, c: number, c0: number, ci: number, kh: number, kw: number,
    strideH: number, strideW: number, dilationH: number, dilationW: number, padT: number, padL: number,
    oh: number, ow: number, p0: number, rows: number, kp: number, zp: number, out: number,
  ): void;
  depthwise(
    n: number, h: number, w: number, c: number, m: number,
    kh: number, kw: number, oh: number, ow: number,
    strideH: number, strideW: number, dilationH: number, dilationW: number, padT: number, padL: number,
    x: number, f: number, bias: number, out: number,
    requant: number, mult: number, shift: number, zp: number, lo: number, hi: number, out8: number, params: number,
  ): void;
  requantize(
    src: number, rows: number, n: number, srcStride: number, mult: number, shift: number,
    zp: number, lo: number, hi: number, dst: number, dstStride: number, params: number,
  ): void;
  gemm16(m: number, np: number, kp: number, a: number, b: number, c: number, bias: number): void;
  copyRows16(src: number, rows: number, k: number, kp: number, dst: number): void;
  im2col16(
    x: number, h: number, w: number, c: number, c0: number, ci: number, kh: number, kw: number,
    strideH: number, strideW: number, dilationH: number, dilationW: number, padT: number, padL: number,
    oh: number, ow: number, p0: number, rows: number, kp: number, out: number,
  ): void;
  requantize16(
    src: number, rows: number, n: number, srcStride: number, reduced: number, total: number,
    zp: number, lo: number, hi: number, dst: number, dstStride: number,
  ): void;
  depthwise16(
    n: number, h: number, w: number, c: number, m: number,
    kh: number, kw: number, oh: number, ow: number,
    strideH: number, strideW: number, dilationH: number, dilationW: number, padT: number, padL: number,
    x: number, f: number, bias: number, sums: number,
    reduced: number, total: number, zp: number, lo: number, hi: number, out: number,
  ): void;
  packRows(src: number, k: number, n: number, zp: number, np: number, dst: number): void;
  packCols(src: number, k: number, n: number, zp: number, np: number, dst: number): void;
  transposeRows(src: number, m: number, k: number, zp: number, kp: number, dst: number): void;
  repeatRow(src: number, n: number, rows: number, dst: number): void;
  col2im(
    c: number, rows: number, np: number, p0: number, h: number, w: number, o: number, kh: number, kw: number,
    strideH: number, strideW: number, padT: number, padL: number, oh: number, ow: number, out: number,
  ): void;
  memory: WasmMemory;
}

/** An instance of the module: its exports, the views of its memory, and its resident packed weights. */
export interface Int8WasmModule {
  exports: GemmInt8Exports;
  memory: IntHeap;
  packs: ResidentPacks;
}

/**
 * A new instance, or null where WebAssembly or its SIMD proposal is unavailable. residentBytes
 * bounds the packed-weight store (tests make it small to exercise the refill).
 */
export function instantiateInt8Module(residentBytes = RESIDENT_BYTES): Int8WasmModule | null {
  const instance = instantiateKernel<GemmInt8Exports>(GEMM_INT8_WASM_BASE64);
  if (instance === null) return null;
  const exports: GemmInt8Exports = instance;
  const memory = new IntHeap(exports.memory);
  return { exports, memory, packs: new ResidentPacks(memory, residentBytes) };
}

/** Bytes of int16 patches per CONV_2D block: 128 KiB, so a block of patches stays in L2 (as in gemm-wasm.ts). */
export const PATCH_BYTES = 128 * 1024;

export const isInt32 = (v: number): boolean => (v | 0) === v;

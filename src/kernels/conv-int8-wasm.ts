/**
 * The int32 accumulation and the requantization of the integer CONV_2D, DEPTHWISE_CONV_2D,
 * FULLY_CONNECTED, BATCH_MATMUL and TRANSPOSE_CONV kernels on WebAssembly SIMD: the AssemblyScript kernels of
 * src/kernels/wasm/gemm-int8.as.ts (committed build in gemm-int8-wasm-binary.ts). conv-int8.ts
 * and matmul-int8.ts call the *Requantized and the 16x8 entry points when they apply and get the
 * int8 or int16 outputs; their plain JS loops (and requantize in affine-int8.ts) stay the
 * readable reference and the fallback (TFLITE_CONVERT_KERNELS=js, no WebAssembly SIMD, or inputs
 * these do not take). The entry points returning raw int32 sums are kept for the tests.
 *
 * What runs here: int8 inputs with int8 weights and an int32 bias (or none), int8-wasm-8x8.ts;
 * int16 inputs with int8 weights and an int64 bias (or none), the 16x8 kernels of
 * int8-wasm-16x8.ts; int8 BATCH_MATMUL and TRANSPOSE_CONV (int32 bias or none),
 * int8-wasm-matmul.ts. Anything else stays on the JS path: each function returns null for it, and
 * for shapes the JS kernels reject (so their errors are the ones raised).
 *
 * Both kinds share one module instance (int8-wasm-module.ts) and its memory: packed weights
 * (int16, widened once per weight array and geometry, by a WeakMap on the array as in
 * gemm-wasm.ts) bump-allocated from address 0 and kept resident across calls
 * (int8-wasm-memory.ts), per-call scratch above them. One instance per thread.
 */
import { RESIDENT_BYTES } from './int8-wasm-memory.js';
import { instantiateInt8Module } from './int8-wasm-module.js';
import { int8x8WasmKernels, type Int8x8WasmKernels } from './int8-wasm-8x8.js';
import { int16x8WasmKernels, type Int16x8WasmKernels } from './int8-wasm-16x8.js';
import { int8MatmulWasmKernels, type Int8MatmulWasmKernels } from './int8-wasm-matmul.js';

export type { Int8ConvOutput, Int8ConvSums } from './int8-wasm-8x8.js';
export type { Int16ConvOutput, WideBias } from './int8-wasm-16x8.js';
export type { Int8BatchMatMulArgs, Int8TransposeConvGeometry } from './int8-wasm-matmul.js';

/** The kernels: the int8 ones (Int8x8WasmKernels, Int8MatmulWasmKernels) and the 16x8 ones (Int16x8WasmKernels). */
export interface Int8WasmKernels extends Int8x8WasmKernels, Int16x8WasmKernels, Int8MatmulWasmKernels {}

/**
 * The WebAssembly integer kernels, or null where WebAssembly or its SIMD proposal is unavailable.
 * residentBytes bounds the packed-weight store (tests make it small to exercise the refill).
 */
export function createInt8WasmKernels(residentBytes = RESIDENT_BYTES): Int8WasmKernels | null {
  const module = instantiateInt8Module(residentBytes);
  if (module === null) return null;
  return { ...int8x8WasmKernels(module), ...int16x8WasmKernels(module), ...int8MatmulWasmKernels(module) };
}

let kernels: Int8WasmKernels | null | undefined;

/**
 * This thread's WebAssembly integer kernels, made on first use; null without WebAssembly SIMD or
 * with TFLITE_CONVERT_KERNELS=js in the environment (read on every call, so a process can switch).
 */
export function int8WasmKernels(): Int8WasmKernels | null {
  if (process.env.TFLITE_CONVERT_KERNELS === 'js') return null;
  if (kernels === undefined) kernels = createInt8WasmKernels();
  return kernels;
}

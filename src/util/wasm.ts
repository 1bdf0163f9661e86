/**
 * Loading the committed WebAssembly modules (AssemblyScript sources built by
 * src/kernels/wasm/build.mjs into base64 *-wasm-binary.ts modules). One instance (and memory)
 * per module per thread: module state is per worker.
 */

/** The slice of the WebAssembly JS API used here (the project's lib has no DOM/wasm typings). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

export const WASM_PAGE_BYTES = 65536;

/** The exports of a base64-encoded module, or null where WebAssembly or its SIMD proposal is unavailable. */
export function instantiateKernel<Exports extends { memory: WasmMemory }>(base64: string): Exports | null {
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (wasm === undefined) return null;
  const bytes = Uint8Array.from(Buffer.from(base64, 'base64'));
  if (!wasm.validate(bytes)) return null;
  return new wasm.Instance(new wasm.Module(bytes), {}).exports as Exports;
}

/** Grows `memory` to at least `bytes` bytes (growing detaches views of the old buffer). */
export function reserveWasmBytes(memory: WasmMemory, bytes: number): void {
  if (bytes > memory.buffer.byteLength) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / WASM_PAGE_BYTES));
}

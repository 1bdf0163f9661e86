/**
 * Loading the committed WebAssembly kernels (src/kernels/wasm/*.as.ts, built into *-wasm-binary.ts)
 * and the linear-memory bookkeeping their JS wrappers share. One instance (and memory) per
 * kernel per thread: module state is per worker.
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

const PAGE_BYTES = 65536;

/** The exports of a base64-encoded module, or null where WebAssembly or its SIMD proposal is unavailable. */
export function instantiateKernel<Exports extends { memory: WasmMemory }>(base64: string): Exports | null {
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (wasm === undefined) return null;
  const bytes = Uint8Array.from(Buffer.from(base64, 'base64'));
  if (!wasm.validate(bytes)) return null;
  return new wasm.Instance(new wasm.Module(bytes), {}).exports as Exports;
}

/** A Float32Array over a module's memory that grows on demand (growing detaches the old view). */
export class FloatHeap {
  private view: Float32Array;
  constructor(private readonly memory: WasmMemory) {
    this.view = new Float32Array(memory.buffer);
  }
  /** The view, with at least `floats` floats of memory behind it. */
  reserve(floats: number): Float32Array {
    const bytesNeeded = floats * 4;
    if (bytesNeeded > this.memory.buffer.byteLength) {
      this.memory.grow(Math.ceil((bytesNeeded - this.memory.buffer.byteLength) / PAGE_BYTES));
      this.view = new Float32Array(this.memory.buffer);
    }
    return this.view;
  }
}

/** Rounds a float count up to a multiple of 4 (16-byte alignment for v128 loads). */
export const align4 = (floats: number): number => (floats + 3) & ~3;

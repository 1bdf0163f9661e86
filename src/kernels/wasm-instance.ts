/**
 * The linear-memory bookkeeping the WebAssembly kernels' JS wrappers share (loading a module is
 * util/wasm.ts's instantiateKernel).
 */
import { reserveWasmBytes, type WasmMemory } from '../util/wasm.js';

/** A Float32Array over a module's memory that grows on demand (growing detaches the old view). */
export class FloatHeap {
  private view: Float32Array;
  constructor(private readonly memory: WasmMemory) {
    this.view = new Float32Array(memory.buffer);
  }
  /** The view, with at least `floats` floats of memory behind it. */
  reserve(floats: number): Float32Array {
    if (floats * 4 > this.memory.buffer.byteLength) {
      reserveWasmBytes(this.memory, floats * 4);
      this.view = new Float32Array(this.memory.buffer);
    }
    return this.view;
  }
}

/** Rounds a float count up to a multiple of 4 (16-byte alignment for v128 loads). */
export const align4 = (floats: number): number => (floats + 3) & ~3;

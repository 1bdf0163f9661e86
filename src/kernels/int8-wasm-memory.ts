/**
 * The linear-memory bookkeeping of the int8 WebAssembly kernels (conv-int8-wasm.ts): typed views
 * of the module's memory, the resident store of packed weights, and the weights' packing into the
 * GEMM's int16 pair layout (gemm-int8.as.ts).
 */
import { reserveWasmBytes, type WasmMemory } from '../util/wasm.js';

/** Int8, Int16, Int32 and BigInt64 views of a module's memory that grow on demand (growing detaches old views). */
export class IntHeap {
  i8!: Int8Array;
  i16!: Int16Array;
  i32!: Int32Array;
  i64!: BigInt64Array;
  constructor(private readonly memory: WasmMemory) {
    this.refresh();
  }
  private refresh(): void {
    const buffer = this.memory.buffer;
    this.i8 = new Int8Array(buffer);
    this.i16 = new Int16Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.i64 = new BigInt64Array(buffer);
  }
  /** Makes sure at least `bytes` bytes of memory exist (the views are renewed if it grows). */
  reserve(bytes: number): this {
    if (bytes > this.memory.buffer.byteLength) {
      reserveWasmBytes(this.memory, bytes);
      this.refresh();
    }
    return this;
  }
}

/** Rounds a byte count up to a multiple of 16 (v128 alignment). */
export const align16 = (bytes: number): number => Math.ceil(bytes / 16) * 16;

/**
 * Packed weights resident at the bottom of the module's memory, bump-allocated, by weight array
 * and a key naming the layout (weights are constants, and values are never changed once an op
 * has returned them, so the array identifies the contents). Once the capacity is used the whole
 * store is dropped and refilled: it holds one model's weights (MobileNetV2 1.4's 6.1 M weights
 * are 12 MiB as int16) and stays bounded when weights are activations or models change.
 */
export const RESIDENT_BYTES = 64 * 1024 * 1024;

export class ResidentPacks {
  private offsets = new WeakMap<Int8Array, Map<string, number>>();
  /** Bytes in use from address 0 (a multiple of 16). */
  top = 0;

  constructor(
    private readonly heap: IntHeap,
    private readonly capacity: number,
  ) {}

  /** The byte offset of `bytes` bytes packed from `weights` by `pack` (given the heap and that offset), packing on first use. */
  offsetOf(weights: Int8Array, key: string, bytes: number, pack: (heap: IntHeap, at: number) => void): number {
    const known = this.offsets.get(weights)?.get(key);
    if (known !== undefined) return known;
    const size = align16(bytes);
    if (this.top + size > this.capacity) {
      this.offsets = new WeakMap();
      this.top = 0;
    }
    const at = this.top;
    const heap = this.heap.reserve(at + size);
    heap.i8.fill(0, at, at + size);
    pack(heap, at);
    this.top = at + size;
    let keys = this.offsets.get(weights);
    if (keys === undefined) this.offsets.set(weights, (keys = new Map()));
    keys.set(key, at);
    return at;
  }
}

/**
 * Writes the k × n matrix B[kk][j] = weights[(j0 + j)·k + kk] − zp (rows of `weights` are output
 * channels) at byte `at` in the GEMM's pair layout (gemm-int8.as.ts): int16 [kp / 2, np, 2]. The
 * memory there is zero, which pads the odd row and the columns from n to np.
 */
export function packPairs(heap: IntHeap, at: number, weights: Int8Array, j0: number, n: number, k: number, np: number, zp: number): void {
  const h = heap.i16;
  const base = at >> 1;
  const pairRow = np * 2;
  for (let j = 0; j < n; j++) {
    const src = (j0 + j) * k;
    const col = base + j * 2;
    for (let kk = 0; kk < k; kk++) h[col + (kk >> 1) * pairRow + (kk & 1)] = weights[src + kk]! - zp;
  }
}

/** A weight matrix resident in the GEMM's pair layout: where, and its padded sizes. */
export interface ResidentWeights {
  at: number;
  /** The reduction length rounded up to even (pairs). */
  kp: number;
  /** Columns rounded up to 8. */
  np: number;
}

/**
 * CONV_2D's OHWI filter [o, k] as the GEMM's B, one [k, o / groups] block per group, one after
 * the other (`groupBytes` apart), resident. The int8 and 16x8 kernels read the same layout, so
 * they share the block.
 */
export function residentConvFilter(packs: ResidentPacks, filter: Int8Array, o: number, k: number, groups: number): ResidentWeights & { groupBytes: number } {
  const perGroup = o / groups;
  const kp = (k + 1) & ~1;
  const np = (perGroup + 7) & ~7;
  const groupBytes = (kp / 2) * np * 4;
  const at = packs.offsetOf(filter, `conv/${o}/${k}/${groups}`, groups * groupBytes, (heap, base) => {
    for (let gi = 0; gi < groups; gi++) packPairs(heap, base + gi * groupBytes, filter, gi * perGroup, perGroup, k, np, 0);
  });
  return { at, kp, np, groupBytes };
}

/** FULLY_CONNECTED's weights [units, inner] (offset by zp) as the GEMM's B, resident (shared by the int8 and 16x8 kernels). */
export function residentFcWeights(packs: ResidentPacks, weights: Int8Array, units: number, inner: number, zp: number): ResidentWeights {
  const kp = (inner + 1) & ~1;
  const np = (units + 7) & ~7;
  const at = packs.offsetOf(weights, `fc/${units}/${inner}/${zp}`, (kp / 2) * np * 4, (heap, base) => packPairs(heap, base, weights, 0, units, inner, np, zp));
  return { at, kp, np };
}

/** DEPTHWISE_CONV_2D's filter [1, kh, kw, c·m] (`taps` values) widened to int16, resident (shared by the int8 and 16x8 kernels). */
export function residentDepthwiseFilter(packs: ResidentPacks, filter: Int8Array, taps: number): number {
  return packs.offsetOf(filter, `depthwise/${taps}`, taps * 2, (heap, at) => heap.i16.set(filter.subarray(0, taps), at >> 1));
}

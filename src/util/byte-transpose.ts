/**
 * The transpose of a row-major matrix of fixed-size elements, as a copy of bytes: weight layouts
 * are what the converter transposes most (a Keras kernel [in, out] becomes TFLite's [out, in];
 * conv filters HWIO → OHWI), often hundreds of MB, produced piece by piece into the output file
 * (ir/deferred-bytes.ts) or into a value (kernels/transpose.ts).
 *
 * Transposes are bit copies over integer lanes, so every dtype (NaN payloads included) comes
 * out exactly as the reference kernel's element-by-element transpose would leave it. 4-byte
 * elements (float32, the weights of every float model) run on WebAssembly SIMD where available
 * (byte-transpose.as.ts: ~4× the plain JS loops, which stay for other sizes and as the fallback).
 */
import { BYTE_TRANSPOSE_WASM_BASE64 } from './byte-transpose-wasm-binary.js';
import { instantiateKernel, reserveWasmBytes, type WasmMemory } from './wasm.js';

type Lanes = Uint8Array | Uint16Array | Uint32Array;

/** Element sizes a deferred transpose handles; 8-byte elements move as two 4-byte lanes. */
export type ElementSize = 1 | 2 | 4 | 8;

const BLOCK = 64;

/**
 * Bytes of output (and of source strip) one step of `produce` handles. Large enough that the
 * per-row bookkeeping of a misaligned source (one copy call per source row and step) stays
 * small next to the transpose itself, small enough to be a negligible share of memory.
 */
export const DEFERRED_CHUNK_BYTES = 8 << 20;

function lanesOf(bytes: Uint8Array, laneBytes: number): Lanes | null {
  if (bytes.byteOffset % laneBytes !== 0 || bytes.byteLength % laneBytes !== 0) return null;
  const { buffer, byteOffset, byteLength } = bytes;
  if (laneBytes === 1) return bytes;
  if (laneBytes === 2) return new Uint16Array(buffer, byteOffset, byteLength / 2);
  return new Uint32Array(buffer, byteOffset, byteLength / 4);
}

/**
 * dst[c][r] = src[r][first + c] for r < rows, c < width, in lanes of `k` per element: src rows
 * are `stride` elements apart, dst rows `rows` elements. Cache-blocked; within a block the
 * writes run along output rows (strided reads are cheaper than strided writes).
 */
function transposeBlock(src: Lanes, dst: Lanes, rows: number, width: number, stride: number, first: number, k: number): void {
  if (k === 1) {
    for (let c0 = 0; c0 < width; c0 += BLOCK) {
      const c1 = Math.min(c0 + BLOCK, width);
      for (let r0 = 0; r0 < rows; r0 += BLOCK) {
        const r1 = Math.min(r0 + BLOCK, rows);
        for (let c = c0; c < c1; c++) {
          const to = c * rows;
          const from = first + c;
          for (let r = r0; r < r1; r++) dst[to + r] = src[from + r * stride]!;
        }
      }
    }
    return;
  }
  for (let c0 = 0; c0 < width; c0 += BLOCK) {
    const c1 = Math.min(c0 + BLOCK, width);
    for (let r0 = 0; r0 < rows; r0 += BLOCK) {
      const r1 = Math.min(r0 + BLOCK, rows);
      for (let c = c0; c < c1; c++) {
        for (let r = r0; r < r1; r++) {
          const to = (c * rows + r) * k;
          const from = (r * stride + first + c) * k;
          for (let l = 0; l < k; l++) dst[to + l] = src[from + l]!;
        }
      }
    }
  }
}

/**
 * `transposeBlock` for one-lane elements whose source is not lane-aligned: `words` is the
 * aligned view that starts `shift / 8` bytes before the source, so element i is the high part
 * of words[i] joined with the low part of words[i + 1]. No copy of the source is needed.
 */
function transposeShifted(words: Uint16Array | Uint32Array, dst: Lanes, rows: number, width: number, stride: number, first: number, shift: number): void {
  const back = words.BYTES_PER_ELEMENT * 8 - shift;
  for (let c0 = 0; c0 < width; c0 += BLOCK) {
    const c1 = Math.min(c0 + BLOCK, width);
    for (let r0 = 0; r0 < rows; r0 += BLOCK) {
      const r1 = Math.min(r0 + BLOCK, rows);
      for (let c = c0; c < c1; c++) {
        const to = c * rows;
        const from = first + c;
        for (let r = r0; r < r1; r++) {
          const q = from + r * stride;
          // Stores keep the low 16/32 bits: exactly the element's bits.
          dst[to + r] = (words[q]! >>> shift) | (words[q + 1]! << back);
        }
      }
    }
  }
}

/**
 * The lane-aligned view starting at or before a misaligned `source` (one lane-sized element
 * each), when the buffer holds the word past its end that the shifted reads touch; else null.
 */
function shiftedWordsOf(source: Uint8Array, laneBytes: 2 | 4): { words: Uint16Array | Uint32Array; shift: number } | null {
  const misalignment = source.byteOffset % laneBytes;
  const start = source.byteOffset - misalignment;
  const count = source.byteLength / laneBytes + 1;
  if (start + count * laneBytes > source.buffer.byteLength) return null;
  const words = laneBytes === 2 ? new Uint16Array(source.buffer, start, count) : new Uint32Array(source.buffer, start, count);
  return { words, shift: misalignment * 8 };
}

/**
 * Scratch arrays of one run of transposes (a source strip, an output piece, and two alternating
 * buffers for pieces handed out), allocated on first need and reused by later calls given the
 * same workspace; dropped with it.
 */
export class TransposeWorkspace {
  private readonly arrays: Uint8Array[] = [new Uint8Array(0), new Uint8Array(0), new Uint8Array(0), new Uint8Array(0)];
  private nextOut: 2 | 3 = 2;

  get(length: number, which: 0 | 1 | 2 | 3): Uint8Array {
    if (this.arrays[which]!.length < length) this.arrays[which] = new Uint8Array(length);
    return this.arrays[which]!.subarray(0, length);
  }

  /** An array for a piece handed to a caller: the two before it are never the same memory. */
  outPiece(length: number): Uint8Array {
    const which = this.nextOut;
    this.nextOut = which === 2 ? 3 : 2;
    return this.get(length, which);
  }
}

/** Below this many elements a step stays in plain JS: the copies in and out would cost more. */
const WASM_MIN_ELEMENTS = 4096;

interface TransposeExports {
  transpose32(src: number, dst: number, rows: number, cols: number): void;
  memory: WasmMemory;
}

/**
 * The WebAssembly transpose of 4-byte elements. Per step the strip of source columns is copied
 * into the module's memory (a copy per source row, at any alignment: protobuf does not align
 * tensor_content), transposed there, and copied out: three passes over the piece's bytes, still
 * about a quarter of the plain JS loops' time. The memory keeps the largest step's two regions
 * (2 × DEFERRED_CHUNK_BYTES for pieces of whole rows up to that size) for the thread's life.
 */
class WasmTranspose32 {
  constructor(private readonly exports: TransposeExports) {}

  /** out = output rows [first, first + width) of the transpose of source [rows, cols]. */
  produce(source: Uint8Array, rows: number, cols: number, first: number, width: number, out: Uint8Array): void {
    const stripRow = width * 4;
    const bytes = rows * stripRow;
    const outAt = (bytes + 15) & ~15;
    reserveWasmBytes(this.exports.memory, outAt + bytes);
    const heap = new Uint8Array(this.exports.memory.buffer);
    const whole = Buffer.from(source.buffer, source.byteOffset, source.byteLength);
    const rowFrom = cols * 4;
    for (let r = 0, at = first * 4; r < rows; r++, at += rowFrom) whole.copy(heap, r * stripRow, at, at + stripRow);
    this.exports.transpose32(0, outAt, rows, width);
    out.set(heap.subarray(outAt, outAt + bytes));
  }
}

let wasmInstance: WasmTranspose32 | null | undefined;

/** This thread's WebAssembly transpose, made on first use; null without WebAssembly SIMD or with TFLITE_CONVERT_KERNELS=js. */
function wasmTranspose32(): WasmTranspose32 | null {
  if (wasmInstance === undefined) {
    const exports = process.env.TFLITE_CONVERT_KERNELS === 'js' ? null : instantiateKernel<TransposeExports>(BYTE_TRANSPOSE_WASM_BASE64);
    wasmInstance = exports === null ? null : new WasmTranspose32(exports);
  }
  return wasmInstance;
}

/**
 * The transpose of a row-major [rows, cols] matrix of `elementSize`-byte elements: [cols, rows].
 * Any permutation that moves a leading block of axes behind the trailing one ([1, 0], HWIO →
 * OHWI's [3, 0, 1, 2]) is this with the blocks' dimensions multiplied out.
 */
export class TransposedBytes {
  readonly byteLength: number;
  /** Bytes of one output row (one source column). */
  readonly rowBytes: number;

  constructor(
    readonly source: Uint8Array,
    readonly rows: number,
    readonly cols: number,
    readonly elementSize: ElementSize,
  ) {
    this.byteLength = rows * cols * elementSize;
    this.rowBytes = rows * elementSize;
    if (source.byteLength !== this.byteLength) {
      throw new RangeError(`transpose source has ${source.byteLength} bytes, expected ${rows}×${cols}×${elementSize}`);
    }
  }

  /** Output rows per step for pieces of about `maxBytes` (at least one row). */
  rowsPerPiece(maxBytes: number): number {
    return Math.max(1, Math.min(this.cols, Math.floor(maxBytes / Math.max(this.rowBytes, 1))));
  }

  /**
   * Writes output rows [firstRow, firstRow + target.length / rowBytes) into `target`, whose
   * length must be a whole number of output rows. `workspace` lends scratch arrays across calls.
   */
  produce(target: Uint8Array, firstRow: number, workspace = new TransposeWorkspace()): void {
    const { rows, cols, elementSize, rowBytes } = this;
    if (rowBytes === 0 || target.length === 0) return;
    const count = target.length / rowBytes;
    if (!Number.isInteger(count) || firstRow < 0 || firstRow + count > cols) {
      throw new RangeError(`cannot produce ${target.length} bytes from output row ${firstRow} of ${cols} rows of ${rowBytes} bytes`);
    }
    const laneBytes = Math.min(elementSize, 4);
    const k = elementSize / laneBytes;
    const step = this.rowsPerPiece(DEFERRED_CHUNK_BYTES);
    const direct = lanesOf(this.source, laneBytes);
    const shifted = direct === null && k === 1 && laneBytes > 1 ? shiftedWordsOf(this.source, laneBytes as 2 | 4) : null;
    for (let j0 = firstRow; j0 < firstRow + count; j0 += step) {
      const width = Math.min(step, firstRow + count - j0);
      const pieceBytes = width * rowBytes;
      const out = target.subarray((j0 - firstRow) * rowBytes, (j0 - firstRow) * rowBytes + pieceBytes);
      const wasm = elementSize === 4 && rows * width >= WASM_MIN_ELEMENTS ? wasmTranspose32() : null;
      if (wasm !== null) {
        wasm.produce(this.source, rows, cols, j0, width, out);
        continue;
      }
      const aligned = lanesOf(out, laneBytes);
      const dst = aligned ?? lanesOf(workspace.get(pieceBytes, 1), laneBytes)!;
      if (direct !== null) {
        transposeBlock(direct, dst, rows, width, cols, j0, k);
      } else if (shifted !== null) {
        // protobuf does not align tensor_content: a misaligned source is read as shifted words.
        transposeShifted(shifted.words, dst, rows, width, cols, j0, shifted.shift);
      } else {
        // Otherwise through an aligned strip of the columns this step needs.
        const strip = workspace.get(pieceBytes, 0);
        const rowFrom = cols * elementSize;
        const stripRow = width * elementSize;
        const sourceStart = this.source.byteOffset + j0 * elementSize;
        const whole = Buffer.from(this.source.buffer, 0, this.source.byteOffset + this.source.byteLength);
        for (let r = 0; r < rows; r++) {
          const at = sourceStart + r * rowFrom;
          whole.copy(strip, r * stripRow, at, at + stripRow);
        }
        transposeBlock(lanesOf(strip, laneBytes)!, dst, rows, width, width, 0, k);
      }
      if (aligned === null) out.set(new Uint8Array(dst.buffer, dst.byteOffset, pieceBytes));
    }
  }
}

/**
 * When `perm` moves a leading block of axes behind the trailing block ([k..n-1, 0..k-1], e.g.
 * [1, 0] or [3, 0, 1, 2]), the number k of trailing axes; null for any other permutation.
 */
export function blockSwapSplit(perm: readonly number[]): number | null {
  const n = perm.length;
  if (n < 2 || perm[0] === 0) return null;
  const k = n - perm[0]!;
  for (let i = 0; i < n; i++) if (perm[i] !== (i + n - k) % n) return null;
  return k;
}

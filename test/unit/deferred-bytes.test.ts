/**
 * Byte transposes (src/util/byte-transpose.ts: plain JS for every element size, WebAssembly SIMD
 * for 4-byte elements from WASM_MIN_ELEMENTS per step) and the deferred transposes built on them
 * (src/ir/deferred-bytes.ts), against a plain element-by-element transpose.
 */
import { describe, expect, test } from 'vitest';
import { DeferredTranspose, sameBytes } from '../../src/ir/deferred-bytes.js';
import { blockSwapSplit, DEFERRED_CHUNK_BYTES, TransposedBytes, type ElementSize } from '../../src/util/byte-transpose.js';
import { mulberry32 } from '../harness/random-inputs.js';

function randomBytes(length: number, seed: number): Uint8Array {
  const next = mulberry32(seed);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(next() * 256);
  return out;
}

/**
 * `bytes` placed at byte offset `at` of a larger buffer, so views can be misaligned on purpose;
 * `slack` bytes follow them (none: a misaligned source cannot be read as shifted words).
 */
function at(bytes: Uint8Array, offset: number, slack = 3): Uint8Array {
  const host = new Uint8Array(bytes.length + offset + slack);
  host.set(bytes, offset);
  return host.subarray(offset, offset + bytes.length);
}

function naiveTranspose(src: Uint8Array, rows: number, cols: number, e: number): Uint8Array {
  const out = new Uint8Array(src.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      for (let b = 0; b < e; b++) out[(c * rows + r) * e + b] = src[(r * cols + c) * e + b]!;
    }
  }
  return out;
}

describe('TransposedBytes', () => {
  const sizes: ElementSize[] = [1, 2, 4, 8];
  for (const e of sizes) {
    for (const offset of [0, 1, 2, 3, 5]) {
      test(`${e}-byte elements, source at byte offset ${offset}: equal to the plain transpose`, () => {
        // The last three are large enough for the WebAssembly path (4-byte elements), with rows
        // and columns that are and are not multiples of its 4 × 4 blocks and 64-wide tiles.
        for (const [rows, cols] of [[1, 1], [3, 5], [33, 65], [64, 31], [1, 40], [40, 1], [67, 131], [128, 64], [4099, 3]] as const) {
          const src = randomBytes(rows * cols * e, rows * 100 + cols + e);
          const expected = naiveTranspose(src, rows, cols, e);
          const t = new TransposedBytes(at(src, offset), rows, cols, e);
          const whole = new Uint8Array(src.length);
          t.produce(whole, 0);
          expect(Buffer.from(whole).equals(Buffer.from(expected))).toBe(true);
          // The source ending its buffer: read through an aligned strip instead.
          const atEnd = new Uint8Array(src.length);
          new TransposedBytes(at(src, offset, 0), rows, cols, e).produce(atEnd, 0);
          expect(Buffer.from(atEnd).equals(Buffer.from(expected))).toBe(true);
          // A misaligned target, and a range of output rows in the middle.
          const part = at(new Uint8Array(2 * t.rowBytes), offset === 0 ? 1 : 0);
          if (cols >= 3) {
            t.produce(part, 1);
            expect(Buffer.from(part).equals(Buffer.from(expected.subarray(t.rowBytes, 3 * t.rowBytes)))).toBe(true);
          }
        }
      });
    }
  }

  test('large rows step through several pieces (misaligned source and target)', () => {
    // One output row is 2 MiB, so a produce call covers several of the writer's pieces.
    const rows = (2 << 20) / 4;
    const cols = 9;
    expect(new TransposedBytes(new Uint8Array(rows * cols * 4), rows, cols, 4).rowsPerPiece(DEFERRED_CHUNK_BYTES)).toBeLessThan(cols);
    const src = randomBytes(rows * cols * 4, 7);
    const expected = naiveTranspose(src, rows, cols, 4);
    const t = new TransposedBytes(at(src, 3), rows, cols, 4);
    const out = at(new Uint8Array(src.length), 2);
    t.produce(out, 0);
    expect(Buffer.from(out).equals(Buffer.from(expected))).toBe(true);
  });

  test('refuses a source of the wrong size and ranges that are not whole output rows', () => {
    expect(() => new TransposedBytes(new Uint8Array(10), 2, 2, 4)).toThrow(RangeError);
    const t = new TransposedBytes(new Uint8Array(24), 2, 3, 4);
    expect(() => t.produce(new Uint8Array(5), 0)).toThrow(RangeError);
    expect(() => t.produce(new Uint8Array(16), 2)).toThrow(RangeError);
  });
});

describe('DeferredTranspose', () => {
  const rows = 37;
  const cols = 23;
  const src = randomBytes(rows * cols * 4, 3);
  const expected = naiveTranspose(src, rows, cols, 4);

  test('bytes are computed on first access and kept', () => {
    const d = new DeferredTranspose(new TransposedBytes(at(src, 1), rows, cols, 4));
    expect(d.kind).toBe('bytes');
    expect(d.byteLength).toBe(src.length);
    expect(d.materialized).toBeNull();
    const bytes = d.bytes;
    expect(Buffer.from(bytes).equals(Buffer.from(expected))).toBe(true);
    expect(d.bytes).toBe(bytes);
    expect(d.materialized).toBe(bytes);
  });

  test('writeInto and pieces give the same bytes without materializing', () => {
    const d = new DeferredTranspose(new TransposedBytes(at(src, 2), rows, cols, 4));
    const out = new Uint8Array(src.length);
    d.writeInto(out);
    expect(Buffer.from(out).equals(Buffer.from(expected))).toBe(true);
    const pieces: Uint8Array[] = [];
    const copies: Buffer[] = [];
    for (const piece of d.pieces(5 * rows * 4 + 1)) {
      copies.push(Buffer.from(piece));
      expect(piece.length % (rows * 4)).toBe(0);
      // The piece before this one is still intact (two alternating buffers).
      if (pieces.length > 0) expect(Buffer.from(pieces.at(-1)!).equals(Buffer.from(expected.subarray((pieces.length - 1) * 5 * rows * 4, pieces.length * 5 * rows * 4)))).toBe(true);
      pieces.push(piece);
    }
    expect(pieces.length).toBe(Math.ceil(cols / 5));
    expect(pieces[0]!.buffer).not.toBe(pieces[1]!.buffer);
    expect(pieces[0]!.buffer).toBe(pieces[2]!.buffer);
    expect(Buffer.concat(copies).equals(Buffer.from(expected))).toBe(true);
    expect(d.materialized).toBeNull();
    expect(() => d.writeInto(new Uint8Array(3))).toThrow(RangeError);
  });

  test('sameBytes compares plain and deferred data without materializing', () => {
    const a = new DeferredTranspose(new TransposedBytes(at(src, 1), rows, cols, 4));
    const b = new DeferredTranspose(new TransposedBytes(at(src, 2), rows, cols, 4));
    const other = src.slice();
    other[other.length - 1]! ^= 1;
    const c = new DeferredTranspose(new TransposedBytes(other, rows, cols, 4));
    // The same bytes as `a` from a different layout: the transpose of the transpose.
    const d = new DeferredTranspose(new TransposedBytes(expected.slice(), cols, rows, 4));
    const e = new DeferredTranspose(new TransposedBytes(naiveTranspose(expected, rows, cols, 4), cols, rows, 4));
    expect(sameBytes(a, b)).toBe(true);
    expect(sameBytes(a, c)).toBe(false);
    expect(sameBytes(a, expected.slice())).toBe(true);
    expect(sameBytes(expected.slice(), a)).toBe(true);
    expect(sameBytes(c, expected.slice())).toBe(false);
    expect(sameBytes(a, src)).toBe(false);
    expect(sameBytes(a, new Uint8Array(3))).toBe(false);
    expect(sameBytes(d, a)).toBe(false);
    expect(sameBytes(e, a)).toBe(true);
    for (const x of [a, b, c, d, e]) expect(x.materialized).toBeNull();
  });
});

test('blockSwapSplit recognizes permutations that are one 2-D transpose', () => {
  expect(blockSwapSplit([1, 0])).toBe(1);
  expect(blockSwapSplit([3, 0, 1, 2])).toBe(1);
  expect(blockSwapSplit([1, 2, 3, 0])).toBe(3);
  expect(blockSwapSplit([2, 3, 0, 1])).toBe(2);
  expect(blockSwapSplit([0, 1])).toBeNull();
  expect(blockSwapSplit([0, 2, 1])).toBeNull();
  expect(blockSwapSplit([2, 0, 3, 1])).toBeNull();
  expect(blockSwapSplit([0])).toBeNull();
});

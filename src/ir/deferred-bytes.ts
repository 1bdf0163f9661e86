/**
 * Constant bytes computed when they are needed instead of when the constant is made.
 *
 * Folding a TRANSPOSE of a weight (a Keras Dense kernel [in, out] → TFLite's [out, in], a conv
 * filter HWIO → OHWI) would otherwise allocate the whole transposed weight while the original,
 * a view of the model file, stays alive: one more model size of memory for large models. A
 * `DeferredTranspose` holds the source bytes and the layout (util/byte-transpose.ts) instead;
 * the .tflite writer produces the transposed bytes straight into its output (or piece by piece
 * into the file), and anything else that reads `bytes` gets them computed once and kept.
 */
import { DEFERRED_CHUNK_BYTES, TransposedBytes, TransposeWorkspace } from '../util/byte-transpose.js';

/**
 * A constant's `{kind: 'bytes'}` data whose bytes are a transpose computed on first access of
 * `bytes` (and kept); the writer asks `materialized` and otherwise produces them into its output.
 */
export class DeferredTranspose {
  readonly kind = 'bytes' as const;
  private cache: Uint8Array | null = null;

  constructor(readonly transpose: TransposedBytes) {}

  get byteLength(): number {
    return this.transpose.byteLength;
  }

  get bytes(): Uint8Array {
    if (this.cache === null) {
      const bytes = new Uint8Array(this.transpose.byteLength);
      this.transpose.produce(bytes, 0);
      this.cache = bytes;
    }
    return this.cache;
  }

  /** The bytes if something already computed them, else null. */
  get materialized(): Uint8Array | null {
    return this.cache;
  }

  /** Writes all the bytes into `target` (exactly byteLength long) without keeping a copy. */
  writeInto(target: Uint8Array): void {
    if (target.length !== this.byteLength) throw new RangeError(`target has ${target.length} bytes, expected ${this.byteLength}`);
    if (this.cache !== null) target.set(this.cache);
    else this.transpose.produce(target, 0);
  }

  /**
   * The bytes in consecutive pieces of about `maxBytes` (whole output rows). Pieces are views of
   * the workspace's two alternating buffers: one stays valid until two more pieces have been
   * taken from the same workspace, so a caller may write a piece out while the next is computed.
   */
  *pieces(maxBytes: number, workspace = new TransposeWorkspace()): Generator<Uint8Array, void, undefined> {
    if (this.cache !== null) {
      yield this.cache;
      return;
    }
    const t = this.transpose;
    const step = t.rowsPerPiece(maxBytes);
    for (let j = 0; j < t.cols; j += step) {
      const piece = workspace.outPiece(Math.min(step, t.cols - j) * t.rowBytes);
      t.produce(piece, j, workspace);
      yield piece;
    }
  }
}

/** Bytes held by plain or deferred constant data, without computing deferred ones. */
export type ByteSource = Uint8Array | DeferredTranspose;

export function byteSourceLength(source: ByteSource): number {
  return source instanceof DeferredTranspose ? source.byteLength : source.byteLength;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b || (a.buffer === b.buffer && a.byteOffset === b.byteOffset && a.byteLength === b.byteLength)) return true;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/**
 * Whether two byte sources hold the same bytes. Deferred transposes of the same layout compare
 * their sources (a transpose is a bijection); otherwise deferred bytes are produced piece by
 * piece and compared, never materialized whole.
 */
export function sameBytes(a: ByteSource, b: ByteSource): boolean {
  if (a === b) return true;
  if (byteSourceLength(a) !== byteSourceLength(b)) return false;
  const plainA = a instanceof DeferredTranspose ? a.materialized : a;
  const plainB = b instanceof DeferredTranspose ? b.materialized : b;
  if (plainA !== null && plainB !== null) return equalBytes(plainA, plainB);
  if (a instanceof DeferredTranspose && b instanceof DeferredTranspose) {
    const ta = a.transpose;
    const tb = b.transpose;
    if (ta.rows === tb.rows && ta.cols === tb.cols && ta.elementSize === tb.elementSize) return equalBytes(ta.source, tb.source);
  }
  // Compare a deferred side piece by piece against the other side (plain, or produced alike).
  const [deferred, other] = plainA === null ? [a as DeferredTranspose, b] : [b as DeferredTranspose, a];
  const t = deferred.transpose;
  const rowsPerPiece = t.rowsPerPiece(DEFERRED_CHUNK_BYTES);
  const mine = new Uint8Array(rowsPerPiece * t.rowBytes);
  const theirs = other instanceof DeferredTranspose && other.materialized === null ? new Uint8Array(mine.length) : null;
  const workspace = new TransposeWorkspace();
  for (let j = 0; j < t.cols; j += rowsPerPiece) {
    const length = Math.min(rowsPerPiece, t.cols - j) * t.rowBytes;
    const piece = mine.subarray(0, length);
    t.produce(piece, j, workspace);
    let against: Uint8Array;
    if (theirs !== null) {
      against = theirs.subarray(0, length);
      fillFrom(other as DeferredTranspose, against, j * t.rowBytes);
    } else {
      const plain = other instanceof DeferredTranspose ? other.materialized! : other;
      against = plain.subarray(j * t.rowBytes, j * t.rowBytes + length);
    }
    if (!equalBytes(piece, against)) return false;
  }
  return true;
}

/** Fills `target` with the bytes of `d` starting at byte `offset`, through whole output rows. */
function fillFrom(d: DeferredTranspose, target: Uint8Array, offset: number): void {
  const t = d.transpose;
  const firstRow = Math.floor(offset / t.rowBytes);
  const lastRow = Math.ceil((offset + target.length) / t.rowBytes);
  const rows = new Uint8Array((lastRow - firstRow) * t.rowBytes);
  t.produce(rows, firstRow);
  const skip = offset - firstRow * t.rowBytes;
  target.set(rows.subarray(skip, skip + target.length));
}

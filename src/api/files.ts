/**
 * File access for the API: reading a model with errors a user can act on, and writing output so
 * that a failure never leaves a partial file behind.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import path from 'node:path';
import { ConverterError, ModelFormatError, UsageError } from '../util/errors.js';

/** The size of a model file; missing files and folders are one-line errors. */
function modelFileSize(file: string): number {
  let stat;
  try {
    stat = statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? String(err)})`, { file });
  }
  if (stat.isDirectory()) throw new UsageError('is a directory, expected a model file', { file });
  return stat.size;
}

const readError = (file: string, err: unknown) => new ConverterError(`cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { file });

/** Reads a whole model file; missing files, folders and unreadable files are one-line errors. */
export function readModelFile(file: string): Uint8Array {
  modelFileSize(file);
  try {
    const buffer = readFileSync(file);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (err) {
    throw readError(file, err);
  }
}

/** Files from this size on are read in PARALLEL_READS concurrent parts. */
const PARALLEL_READ_BYTES = 64 << 20;
const PARALLEL_READS = 4;

/**
 * `readModelFile` for large models: the file is read in PARALLEL_READS parts at once, on
 * libuv's thread pool. Copying from the page cache and faulting in the fresh buffer's pages is
 * most of a read's time, and one thread does it at ~2.4 GB/s here; parts in parallel take ~0.6×
 * as long on 2 cores (test/bench/README.md). Smaller files are read whole, as readModelFile does.
 */
export async function readModelFileAsync(file: string): Promise<Uint8Array> {
  const size = modelFileSize(file);
  if (size < PARALLEL_READ_BYTES) return readModelFile(file);
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    throw readError(file, err);
  }
  try {
    const bytes = new Uint8Array(size);
    const part = Math.ceil(size / PARALLEL_READS / 65536) * 65536;
    const readPart = async (start: number, end: number) => {
      for (let at = start; at < end; ) {
        const { bytesRead } = await handle.read(bytes, at, end - at, at);
        if (bytesRead === 0) throw new ConverterError('the file became shorter while it was read', { file });
        at += bytesRead;
      }
    };
    const parts: Promise<void>[] = [];
    for (let start = 0; start < size; start += part) parts.push(readPart(start, Math.min(size, start + part)));
    // Every part settles before the handle closes, even when one fails.
    const failed = (await Promise.allSettled(parts)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    return bytes;
  } catch (err) {
    throw err instanceof ConverterError ? err : readError(file, err);
  } finally {
    await handle.close();
  }
}

/**
 * Writes `bytes` to `file` through a temporary file in the same folder and a rename, so readers
 * see either the old file or the whole new one, and an error leaves nothing behind.
 */
export function writeFileAtomic(file: string, bytes: Uint8Array): void {
  writeFileAtomicStream(file, (write) => write(bytes));
}

/**
 * What a failed atomic write throws, after removing its temporary file: the producer's own
 * error unchanged, a file system error as a ConverterError naming the file.
 */
function writeFailure(err: unknown, fsError: unknown, temp: string, file: string): unknown {
  rmSync(temp, { force: true });
  if (err !== fsError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  return new ConverterError(`cannot write output (${code ?? String(err)})`, { file });
}

/** Pieces smaller than this are gathered into one write of this size. */
const GATHER_BYTES = 1 << 20;

/**
 * `writeFileAtomic` for content produced piece by piece: `produce` calls `write` with each
 * piece in order (a piece may be reused once `write` returns). Large pieces go to the file as
 * they are, small ones are gathered, so nothing holds the whole content. An error thrown by
 * `produce` propagates unchanged; file system errors become a ConverterError naming the file.
 * Returns the number of bytes written.
 */
export function writeFileAtomicStream(file: string, produce: (write: (piece: Uint8Array) => void) => void): number {
  const dir = path.dirname(path.resolve(file));
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  let fsError: unknown = undefined;
  const fs = <T>(call: () => T): T => {
    try {
      return call();
    } catch (err) {
      fsError = err;
      throw err;
    }
  };
  let total = 0;
  try {
    const fd = fs(() => openSync(temp, 'w'));
    try {
      const gathered = new Uint8Array(GATHER_BYTES);
      let pending = 0;
      const writeAll = (bytes: Uint8Array) => {
        let written = 0;
        while (written < bytes.length) written += fs(() => writeSync(fd, bytes, written, bytes.length - written));
      };
      const flush = () => {
        if (pending > 0) writeAll(gathered.subarray(0, pending));
        pending = 0;
      };
      produce((piece) => {
        total += piece.length;
        if (pending + piece.length <= GATHER_BYTES) {
          gathered.set(piece, pending);
          pending += piece.length;
          return;
        }
        flush();
        if (piece.length < GATHER_BYTES) {
          gathered.set(piece, 0);
          pending = piece.length;
        } else {
          writeAll(piece);
        }
      });
      flush();
      fs(() => fsyncSync(fd));
    } finally {
      fs(() => closeSync(fd));
    }
    fs(() => renameSync(temp, file));
  } catch (err) {
    throw writeFailure(err, fsError, temp, file);
  }
  return total;
}

let asyncWrites = 0;

/** Bytes written between background flushes of a streamed file. */
const SYNC_EVERY_BYTES = 64 << 20;

/**
 * `writeFileAtomic` for content given as pieces (each valid until two more have been taken, as
 * `tflitePieces` hands them out): each write runs while the next piece is being computed, so
 * computing the content and writing it overlap. Small pieces are gathered into larger writes.
 * An error thrown while taking a piece propagates unchanged; file system errors become a
 * ConverterError naming the file. Resolves to the number of bytes written.
 */
export async function writeFileAtomicPieces(file: string, pieces: Iterable<Uint8Array>): Promise<number> {
  const dir = path.dirname(path.resolve(file));
  // Numbered too: two writes of one file may now overlap within a process.
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${++asyncWrites}.tmp`);
  let fsError: unknown = undefined;
  const fs = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (err) {
      fsError = err;
      throw err;
    }
  };
  let total = 0;
  try {
    const handle = await fs(() => open(temp, 'w'));
    try {
      const writeAll = async (bytes: Uint8Array) => {
        let written = 0;
        while (written < bytes.length) written += (await fs(() => handle.write(bytes, written, bytes.length - written))).bytesWritten;
      };
      // One write in flight; a piece handed to it stays valid until it is done (see above).
      let inflight: Promise<void> = Promise.resolve();
      // Flushing to the disk as the file grows, in the background, leaves the final fsync little to do.
      let syncing: Promise<void> = Promise.resolve();
      let unsynced = 0;
      const send = async (bytes: Uint8Array) => {
        await inflight;
        if (unsynced >= SYNC_EVERY_BYTES) {
          await syncing;
          syncing = fs(() => handle.datasync());
          syncing.catch(() => {});
          unsynced = 0;
        }
        inflight = writeAll(bytes);
        unsynced += bytes.length;
        // Awaited later; this keeps a failure from counting as unhandled in the meantime.
        inflight.catch(() => {});
      };
      let gathered = new Uint8Array(GATHER_BYTES);
      let pending = 0;
      const flush = async () => {
        if (pending === 0) return;
        await send(gathered.subarray(0, pending));
        gathered = new Uint8Array(GATHER_BYTES);
        pending = 0;
      };
      for (const piece of pieces) {
        total += piece.length;
        if (pending + piece.length <= GATHER_BYTES) {
          gathered.set(piece, pending);
          pending += piece.length;
          continue;
        }
        await flush();
        if (piece.length < GATHER_BYTES) {
          gathered.set(piece, 0);
          pending = piece.length;
        } else {
          await send(piece);
        }
      }
      await flush();
      await inflight;
      await syncing;
      await fs(() => handle.sync());
    } finally {
      await fs(() => handle.close());
    }
    await fs(() => rename(temp, file));
  } catch (err) {
    throw writeFailure(err, fsError, temp, file);
  }
  return total;
}

/** Reads the weight shards a tfjs model.json names, relative to the model.json's folder. */
export function shardReader(modelJsonPath: string): (relative: string) => Uint8Array {
  const dir = path.dirname(modelJsonPath);
  return (relative) => {
    const file = path.resolve(dir, relative);
    if (path.relative(dir, file).startsWith('..')) {
      throw new ModelFormatError(`weight shard path "${relative}" points outside the model folder`, { file: modelJsonPath });
    }
    return readModelFile(file);
  };
}

/**
 * The streamed export (writeTfliteStream, convertGraphDefToFile, writeFileAtomicStream): the
 * same bytes as the in-memory writer, large buffers passed through as pieces of their own, and
 * failures that leave no file behind; and the parallel read of large models the CLI uses.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { convertGraphDef, convertGraphDefToFile } from '../../src/api/convert.js';
import { readModelFile, readModelFileAsync, shardReader, writeFileAtomicPieces, writeFileAtomicStream } from '../../src/api/files.js';
import { STREAMED_BUFFER_BYTES, tflitePieces, writeTflite, writeTfliteStream } from '../../src/export/tflite.js';
import { DeferredTranspose } from '../../src/ir/deferred-bytes.js';
import { ConverterError, GraphError, UsageError } from '../../src/util/errors.js';
import { modelPath, readModel } from '../helpers/fixtures.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tflite-stream-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function streamed(pieces: Uint8Array[]): Buffer {
  return Buffer.concat(pieces.map((p) => Buffer.from(p)));
}

describe('writeTfliteStream', () => {
  for (const fixture of ['utensor_cgen/deep_cnn/cifar10_cnn.pb', 'nsfwjs_mobilenet_v2_mid/model.json']) {
    test(`${fixture}: the pieces are writeTflite's bytes; large buffers come whole from their source`, () => {
      const result = convertGraphDef(readModel(fixture), modelPath(fixture), {}, shardReader(modelPath(fixture)));
      const deferred = result.model.main.tensors.filter((t) => t.data instanceof DeferredTranspose);
      expect(deferred.length).toBeGreaterThan(0);
      const pieces: Uint8Array[] = [];
      // Copies: a piece may be a reused scratch array once the sink returns.
      const total = writeTfliteStream(result.model, (piece) => pieces.push(piece.slice()));
      expect(total).toBe(result.tflite.length);
      expect(streamed(pieces).equals(Buffer.from(result.tflite))).toBe(true);
      expect(Buffer.from(writeTflite(result.model)).equals(Buffer.from(result.tflite))).toBe(true);
      // The generator's pieces: each still intact when the next has been taken.
      let previous: { piece: Uint8Array; copy: Buffer } | null = null;
      for (const piece of tflitePieces(result.model)) {
        if (previous !== null) expect(Buffer.from(previous.piece).equals(previous.copy)).toBe(true);
        previous = { piece, copy: Buffer.from(piece) };
      }
      // Streaming computed no deferred weight whole.
      for (const t of deferred) expect((t.data as DeferredTranspose).materialized).toBeNull();
      const large = result.model.main.tensors.filter((t) => t.data?.kind === 'bytes' && !(t.data instanceof DeferredTranspose) && t.data.bytes.length >= STREAMED_BUFFER_BYTES);
      for (const t of large) expect(pieces.some((p) => p.length === (t.data as { bytes: Uint8Array }).bytes.length)).toBe(true);
    });
  }
});

describe('convertGraphDefToFile', () => {
  const fixture = 'utensor_cgen/deep_cnn/cifar10_cnn.pb';

  test('writes the bytes convertGraphDef returns and reports like it', async () => {
    const out = path.join(dir, 'cifar.tflite');
    const inMemory = convertGraphDef(readModel(fixture), fixture);
    const written = await convertGraphDefToFile(readModel(fixture), fixture, out);
    expect(written.bytesWritten).toBe(inMemory.tflite.length);
    expect(readFileSync(out).equals(Buffer.from(inMemory.tflite))).toBe(true);
    expect(written.opsAfter).toEqual(inMemory.opsAfter);
    expect(written.steps).toEqual(inMemory.steps);
  });

  test('float16 weights: the same bytes too', async () => {
    const out = path.join(dir, 'cifar16.tflite');
    const inMemory = convertGraphDef(readModel(fixture), fixture, { quantize: 'float16' });
    await convertGraphDefToFile(readModel(fixture), fixture, out, { quantize: 'float16' });
    expect(readFileSync(out).equals(Buffer.from(inMemory.tflite))).toBe(true);
  });
});

describe('writeFileAtomicPieces', () => {
  function* piecesOf(list: Uint8Array[]): Generator<Uint8Array> {
    yield* list;
  }

  test('small pieces are gathered, large ones written, all in order', async () => {
    const file = path.join(dir, 'async-pieces.bin');
    const pieces = [new Uint8Array(3).fill(1), new Uint8Array(3 << 20).fill(2), new Uint8Array(5).fill(3), new Uint8Array((1 << 20) - 2).fill(4), new Uint8Array(7).fill(5), new Uint8Array(2 << 20).fill(6)];
    expect(await writeFileAtomicPieces(file, piecesOf(pieces))).toBe(pieces.reduce((n, p) => n + p.length, 0));
    expect(readFileSync(file).equals(streamed(pieces))).toBe(true);
  });

  test('a file past the background-flush interval (64 MiB) is written whole', async () => {
    const file = path.join(dir, 'async-large.bin');
    const pieces = [0, 1, 2].map((i) => new Uint8Array(40 << 20).fill(7 + i));
    expect(await writeFileAtomicPieces(file, piecesOf(pieces))).toBe(120 << 20);
    expect(readFileSync(file).equals(streamed(pieces))).toBe(true);
    rmSync(file);
  });

  test('an error while taking a piece propagates unchanged and leaves no file', async () => {
    const file = path.join(dir, 'async-failed.bin');
    const failure = new GraphError('not exportable');
    function* failing(): Generator<Uint8Array> {
      yield new Uint8Array(2 << 20);
      throw failure;
    }
    await expect(writeFileAtomicPieces(file, failing())).rejects.toBe(failure);
    expect(readdirSync(dir).filter((f) => f.includes('async-failed'))).toEqual([]);
  });

  test('a file system error is a ConverterError naming the file', async () => {
    await expect(writeFileAtomicPieces(path.join(dir, 'no-such-folder', 'x.tflite'), piecesOf([new Uint8Array(1)]))).rejects.toBeInstanceOf(ConverterError);
  });
});

describe('writeFileAtomicStream', () => {
  test('small pieces are gathered, large ones written, all in order', () => {
    const file = path.join(dir, 'pieces.bin');
    const pieces = [new Uint8Array(3).fill(1), new Uint8Array(3 << 20).fill(2), new Uint8Array(5).fill(3), new Uint8Array((1 << 20) - 2).fill(4), new Uint8Array(7).fill(5)];
    const total = writeFileAtomicStream(file, (write) => pieces.forEach(write));
    expect(total).toBe(pieces.reduce((n, p) => n + p.length, 0));
    expect(readFileSync(file).equals(streamed(pieces))).toBe(true);
  });

  test('an error of the producer propagates unchanged and leaves no file', () => {
    const file = path.join(dir, 'failed.bin');
    const failure = new GraphError('not exportable');
    expect(() =>
      writeFileAtomicStream(file, (write) => {
        write(new Uint8Array(10));
        throw failure;
      }),
    ).toThrow(failure);
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('failed'))).toEqual([]);
  });

  test('a file system error is a ConverterError naming the file', () => {
    const file = path.join(dir, 'no-such-folder', 'x.tflite');
    expect(() => writeFileAtomicStream(file, (write) => write(new Uint8Array(1)))).toThrow(ConverterError);
  });
});

describe('readModelFileAsync', () => {
  test('a file past the parallel-read size (64 MiB) comes back byte for byte, as readModelFile reads it', async () => {
    const file = path.join(dir, 'large.bin');
    // Not a multiple of the parts' 64 KiB rounding, and every part's bytes distinct.
    const bytes = new Uint8Array((65 << 20) + 12345);
    for (let i = 0; i < bytes.length; i += 4093) bytes[i] = (i / 4093) & 255;
    writeFileSync(file, bytes);
    const read = await readModelFileAsync(file);
    expect(read.length).toBe(bytes.length);
    expect(Buffer.from(read.buffer, read.byteOffset, read.byteLength).equals(bytes)).toBe(true);
    rmSync(file);
  });

  test('small files, missing files and folders: as readModelFile', async () => {
    const file = path.join(dir, 'small.bin');
    writeFileSync(file, new Uint8Array([1, 2, 3]));
    expect(Array.from(await readModelFileAsync(file))).toEqual([1, 2, 3]);
    for (const bad of [path.join(dir, 'missing.pb'), dir]) {
      const expected = (() => {
        try {
          readModelFile(bad);
        } catch (err) {
          return err as Error;
        }
        throw new Error(`${bad} was read`);
      })();
      expect(expected).toBeInstanceOf(UsageError);
      await expect(readModelFileAsync(bad)).rejects.toThrow(expected.message);
    }
  });
});

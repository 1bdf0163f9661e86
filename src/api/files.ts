/**
 * File access for the API: reading a model with errors a user can act on, and writing output so
 * that a failure never leaves a partial file behind.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { ConverterError, ModelFormatError, UsageError } from '../util/errors.js';

/** Reads a whole model file; missing files, folders and unreadable files are one-line errors. */
export function readModelFile(file: string): Uint8Array {
  let stat;
  try {
    stat = statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? String(err)})`, { file });
  }
  if (stat.isDirectory()) throw new UsageError('is a directory, expected a model file', { file });
  try {
    const buffer = readFileSync(file);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (err) {
    throw new ConverterError(`cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { file });
  }
}

/**
 * Writes `bytes` to `file` through a temporary file in the same folder and a rename, so readers
 * see either the old file or the whole new one, and an error leaves nothing behind.
 */
export function writeFileAtomic(file: string, bytes: Uint8Array): void {
  const dir = path.dirname(path.resolve(file));
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    const fd = openSync(temp, 'w');
    try {
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (err) {
    rmSync(temp, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConverterError(`cannot write output (${code ?? String(err)})`, { file });
  }
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

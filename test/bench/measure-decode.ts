/**
 * The baseline: the least any GraphDef converter in Node must do — read the file and decode it
 * with protobufjs (weights stay views of the file's bytes). Run in a fresh process so its peak
 * RSS is its own.
 *
 * With an output path it then also writes the file's bytes there through the converter's own
 * writeFileAtomic (fsync + rename), timed apart: the disk cost any converter pays to write a
 * model of this size, which read+decode alone leaves out.
 *
 * With --parallel-read the file is read as the converter's CLI reads large models
 * (readModelFileAsync: parts read at once on the thread pool) instead of with one readFileSync:
 * the floor for a converter that reads that way.
 *
 * node dist/test/bench/measure-decode.js [--parallel-read] <graph.pb> [out]  →  BENCH-RESULT {ms, cpuMs, readMs, decodeMs, writeMs, maxRssKiB, ...}
 */
import { readFileSync } from 'node:fs';
import { readModelFileAsync, writeFileAtomic } from '../../src/api/files.js';
import { tfMessageType, type GraphDefMsg } from '../../src/import/tf-protos.js';
import { cpuMs, emitResult, maxRssKiB, msSince } from './common.js';

const args = process.argv.slice(2);
const parallel = args[0] === '--parallel-read';
const [file, out] = parallel ? args.slice(1) : args;
if (file === undefined) throw new Error('usage: measure-decode.js [--parallel-read] <graph.pb> [out]');

// Loading the descriptor is a fixed cost both sides pay; keep it out of the timed region.
const type = tfMessageType('tensorflow.GraphDef');
const baseRssKiB = maxRssKiB();

const cpuStart = cpuMs();
const start = performance.now();
const bytes = parallel ? await readModelFileAsync(file) : readFileSync(file);
const readMs = msSince(start);
const decodeStart = performance.now();
const msg = type.decode(bytes) as GraphDefMsg;
const decodeMs = msSince(decodeStart);
const ms = msSince(start);
const cpu = cpuMs() - cpuStart;
const maxRss = maxRssKiB();

let writeMs: number | null = null;
if (out !== undefined) {
  const writeStart = performance.now();
  writeFileAtomic(out, bytes);
  writeMs = msSince(writeStart);
}

emitResult({
  ms,
  cpuMs: Math.round(cpu),
  readMs,
  decodeMs,
  writeMs,
  nodes: msg.node?.length ?? 0,
  fileBytes: bytes.length,
  baseRssKiB,
  maxRssKiB: maxRss,
  heapUsedBytes: process.memoryUsage().heapUsed,
});

/**
 * The conversion, in a fresh process so its peak RSS is its own.
 *
 *   node dist/test/bench/measure-convert.js api    <graph.pb> <out.tflite>   (the headline number)
 *   node dist/test/bench/measure-convert.js phases <graph.pb> <out.tflite>   (where it goes)
 *   node dist/test/bench/measure-convert.js discard <graph.pb> -              (no disk)
 *
 * `api` is the path a user converting a file to a file takes (the CLI's): readModelFileAsync →
 * convertGraphDefToFile, which streams the .tflite into the file (atomically: temp file, fsync,
 * rename), computing each piece while the one before is being written. The progress callback convertGraphDefToFile already has marks where each pipeline
 * step starts, which splits the time without touching the measured code: import = convert
 * start → first step; the last pipeline step shares its mark with the export and the write,
 * which are one streamed pass.
 *
 * `discard` is `api` without the file: the same conversion and the same streamed pieces (weight
 * transposes included), taken and dropped, so the disk's share of `api` shows.
 *
 * `phases` takes the in-memory path instead (what convertGraphDef + writeFileAtomic do): the
 * pieces importModel, runPipeline, writeTflite (the whole .tflite as one Uint8Array) and
 * writeFileAtomic, called directly so the export is timed on its own; the file is the same
 * (run.ts compares them). Both record, at each
 * boundary, the peak RSS so far (which phase raised the peak) and the live ArrayBuffer bytes
 * (what the phase left allocated).
 */
import { convertGraphDefToFile, finishForExport } from '../../src/api/convert.js';
import { readModelFile, readModelFileAsync, writeFileAtomic } from '../../src/api/files.js';
import { tflitePieces, writeTflite } from '../../src/export/tflite.js';
import { importModel } from '../../src/import/index.js';
import { tfMessageType } from '../../src/import/tf-protos.js';
import { REGISTRY } from '../../src/ops/registry.js';
import { FLOAT_PIPELINE, runPipeline } from '../../src/passes/pipeline.js';
import { cpuMs, emitResult, maxRssKiB, msSince } from './common.js';

export interface Mark {
  /** What ran between the previous mark and this one. */
  phase: string;
  ms: number;
  cpuMs: number;
  /** Peak RSS of the process at the end of the phase, KiB. */
  maxRssKiB: number;
  /** ArrayBuffer bytes alive (or not yet collected) at the end of the phase. */
  arrayBuffers: number;
}

/** Consecutive phases: starting one ends the one before. */
class Marks {
  readonly list: Mark[] = [];
  /** The running phase's name; a caller may rename it once it knows more about what ran. */
  current: string | null = null;
  private since = performance.now();
  private cpuSince = cpuMs();

  begin(phase: string | null): void {
    const now = performance.now();
    const cpu = cpuMs();
    if (this.current !== null) {
      this.list.push({
        phase: this.current,
        ms: Math.round((now - this.since) * 10) / 10,
        cpuMs: Math.round(cpu - this.cpuSince),
        maxRssKiB: maxRssKiB(),
        arrayBuffers: process.memoryUsage().arrayBuffers,
      });
    }
    this.current = phase;
    this.since = now;
    this.cpuSince = cpu;
  }
}

async function runApi(graphFile: string, outFile: string): Promise<{ outBytes: number; marks: Mark[]; ops: Record<string, number> }> {
  const marks = new Marks();
  marks.begin('read');
  const bytes = await readModelFileAsync(graphFile);
  marks.begin('import');
  const result = await convertGraphDefToFile(bytes, graphFile, outFile, {}, undefined, (step) => marks.begin(step));
  // No mark separates the last step from finishForExport + the streamed export and write.
  marks.current = `${marks.current ?? ''} + export and write file (streamed)`;
  marks.begin(null);
  return { outBytes: result.bytesWritten, marks: marks.list, ops: result.opsAfter };
}

function runPhases(graphFile: string, outFile: string): { outBytes: number; marks: Mark[] } {
  const marks = new Marks();
  marks.begin('read');
  const bytes = readModelFile(graphFile);
  marks.begin('import');
  const { model } = importModel(bytes, graphFile);
  marks.begin(null);
  runPipeline(model, FLOAT_PIPELINE, { registry: REGISTRY, options: {}, notice: () => {}, progress: (step) => marks.begin(step) });
  marks.begin('export in memory (writeTflite)');
  finishForExport(model);
  const tflite = writeTflite(model);
  marks.begin('write file (writeFileAtomic)');
  writeFileAtomic(outFile, tflite);
  marks.begin(null);
  return { outBytes: tflite.length, marks: marks.list };
}

async function runDiscard(graphFile: string): Promise<{ outBytes: number; marks: Mark[] }> {
  const marks = new Marks();
  marks.begin('read');
  const bytes = await readModelFileAsync(graphFile);
  marks.begin('import');
  const { model } = importModel(bytes, graphFile);
  marks.begin(null);
  runPipeline(model, FLOAT_PIPELINE, { registry: REGISTRY, options: {}, notice: () => {}, progress: (step) => marks.begin(step) });
  marks.begin('export, pieces dropped (tflitePieces)');
  finishForExport(model);
  let outBytes = 0;
  for (const piece of tflitePieces(model)) outBytes += piece.length;
  marks.begin(null);
  return { outBytes, marks: marks.list };
}

const [mode, graphFile, outFile] = process.argv.slice(2);
if ((mode !== 'api' && mode !== 'phases' && mode !== 'discard') || graphFile === undefined || outFile === undefined) {
  throw new Error('usage: measure-convert.js api|phases|discard <graph.pb> <out.tflite>');
}
// The descriptor load is a fixed cost measure-decode also keeps out of its timed region.
tfMessageType('tensorflow.GraphDef');
const baseRssKiB = maxRssKiB();
const cpuStart = cpuMs();
const start = performance.now();
const result = mode === 'api' ? await runApi(graphFile, outFile) : mode === 'discard' ? await runDiscard(graphFile) : runPhases(graphFile, outFile);
const ms = msSince(start);
emitResult({ mode, ms, cpuMs: Math.round(cpuMs() - cpuStart), baseRssKiB, maxRssKiB: maxRssKiB(), ...result });

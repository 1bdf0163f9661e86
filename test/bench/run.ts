/**
 * `npm run bench`: conversion time and peak memory of a large GraphDef next to the time and
 * peak memory of just reading and protobufjs-decoding it (the floor for a Node converter).
 * Goal (from the issue): conversion within 2× of read+decode, peak RSS within 2× the model size.
 *
 * Every measurement runs in a fresh `node` child, so ru_maxrss is that measurement's own peak.
 * Decode and convert runs alternate, so drift (other load, page cache) hits both alike; the
 * table shows medians. The bench measures, it does not gate: it exits non-zero only when a step
 * fails (the graph cannot be made, a child crashes, the output is not the right model).
 *
 *   node dist/test/bench/run.js [--runs N] [--layers L] [--width W] [--keep]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkOutput } from './check-output.js';
import { DEFAULT_SPEC, RESULT_PREFIX, weightBytes, type DenseSpec } from './common.js';
import { medianRun, mib, printMarks, printSummary, type ConvertRun, type DecodeRun } from './report.js';

interface Options {
  spec: DenseSpec;
  runs: number;
  keep: boolean;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { spec: { ...DEFAULT_SPEC }, runs: 3, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${arg} needs a positive integer`);
      return v;
    };
    if (arg === '--runs') options.runs = value();
    else if (arg === '--layers') options.spec.layers = value();
    else if (arg === '--width') options.spec.width = value();
    else if (arg === '--keep') options.keep = true;
    else throw new Error(`unknown argument ${arg} (use --runs N, --layers L, --width W, --keep)`);
  }
  return options;
}

/** Runs a compiled bench script in a fresh node and returns the JSON it reports. */
function child<T>(script: string, args: string[]): T {
  const file = fileURLToPath(new URL(script, import.meta.url));
  const res = spawnSync(process.execPath, [file, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const line = res.stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
  if (res.status !== 0 || line === undefined) {
    const why = res.error?.message ?? (res.signal !== null ? `killed by ${res.signal}` : `exit code ${res.status}`);
    throw new Error(`${script} ${args.join(' ')} failed (${why}):\n${res.stderr.trim()}`);
  }
  return JSON.parse(line.slice(RESULT_PREFIX.length)) as T;
}

const loadavg = () => os.loadavg().map((l) => l.toFixed(1)).join(' ');

function main(): void {
  const options = parseArgs(process.argv.slice(2));
  const { spec, runs } = options;
  const cpus = os.cpus();
  console.log(`tflite-convert bench: Node ${process.version}, ${cpus[0]?.model ?? 'unknown CPU'} × ${cpus.length}, ${mib(os.totalmem())} RAM`);
  console.log(`load average at start: ${loadavg()} (wall times are only comparable on an idle machine; CPU times less affected)`);

  const dir = mkdtempSync(path.join(os.tmpdir(), 'tflite-convert-bench-'));
  try {
    const graph = path.join(dir, 'dense.pb');
    const out = path.join(dir, 'dense.tflite');
    const outInMemory = path.join(dir, 'dense-in-memory.tflite');
    const copy = path.join(dir, 'copy.pb');
    console.log(`generating ${spec.layers} × dense ${spec.width}×${spec.width} (${mib(weightBytes(spec))} of float32 weights) in ${dir} …`);
    const made = child<{ nodes: number; bytes: number; writeMs: number }>('./make-graph.js', [graph, String(spec.layers), String(spec.width)]);
    const size = statSync(graph).size;
    if (size !== made.bytes) throw new Error(`make-graph wrote ${made.bytes} bytes, the file has ${size}`);
    console.log(`  ${made.nodes} nodes, ${size} bytes (${mib(size)}), written and decoded back`);

    const decodes: DecodeRun[] = [];
    const parallelDecodes: DecodeRun[] = [];
    const converts: ConvertRun[] = [];
    const discards: ConvertRun[] = [];
    for (let i = 0; i < runs; i++) {
      process.stdout.write(`  run ${i + 1}/${runs}: read+decode …`);
      decodes.push(child('./measure-decode.js', [graph, copy]));
      process.stdout.write(` ${decodes.at(-1)!.ms.toFixed(0)} ms; in parallel parts …`);
      parallelDecodes.push(child('./measure-decode.js', ['--parallel-read', graph]));
      process.stdout.write(` ${parallelDecodes.at(-1)!.ms.toFixed(0)} ms; convert …`);
      converts.push(child('./measure-convert.js', ['api', graph, out]));
      process.stdout.write(` ${converts.at(-1)!.ms.toFixed(0)} ms; convert, output dropped …`);
      discards.push(child('./measure-convert.js', ['discard', graph, '-']));
      console.log(` ${discards.at(-1)!.ms.toFixed(0)} ms`);
    }
    process.stdout.write('  phases run, in-memory path (importModel / runPipeline / writeTflite / writeFileAtomic called directly) …');
    const phases = child<ConvertRun>('./measure-convert.js', ['phases', graph, outInMemory]);
    console.log(` ${phases.ms.toFixed(0)} ms`);
    console.log(`load average at end: ${loadavg()}`);

    // Checked after the runs, in this process, so it cannot disturb any measurement.
    const output = checkOutput(out, spec);
    const outBytes = converts[0]!.outBytes;
    console.log(`output verified: ${JSON.stringify(output.ops)}, ${output.constantBytes} bytes of weights, each the kernel transposed; file ${outBytes} bytes`);
    if (!readFileSync(out).equals(readFileSync(outInMemory))) throw new Error('the streamed and the in-memory export wrote different files');
    console.log('the in-memory path wrote the same bytes\n');

    if (discards.some((d) => d.outBytes !== converts[0]!.outBytes)) throw new Error('the dropped pieces do not add up to the written file');
    printSummary(size, decodes, parallelDecodes, converts, discards);
    console.log(`\nconvert by phase, public API run (convertGraphDefToFile)${runs > 1 ? ' with the median wall time' : ''} (progress callback marks):`);
    printMarks(medianRun(converts).marks, size);
    console.log('\nconvert by phase, in-memory path (convertGraphDef + writeFileAtomic), pieces called directly (export timed on its own):');
    printMarks(phases.marks, size);
  } finally {
    if (options.keep) console.log(`\nkept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

try {
  main();
} catch (err) {
  console.error(`\nbench failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}

/**
 * The bench's printed report: the headline table, the ratios against the goal, and the
 * per-phase breakdown of a conversion. Pure formatting of what the children measured.
 */
import type { Mark } from './measure-convert.js';

/** What every measuring child reports. */
export interface Measured {
  /** Wall time of the measured region. */
  ms: number;
  /** CPU time (user + system) of the measured region. */
  cpuMs: number;
  /** Peak RSS of the child, KiB (includes Node itself). */
  maxRssKiB: number;
  /** Peak RSS before the measured region: Node plus the loaded modules, KiB. */
  baseRssKiB: number;
}

export interface DecodeRun extends Measured {
  readMs: number;
  decodeMs: number;
  writeMs: number | null;
}

export interface ConvertRun extends Measured {
  outBytes: number;
  marks: Mark[];
}

const MiB = 1024 * 1024;
export const mib = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`;
const ratio = (x: number): string => `${x.toFixed(2)}×`;
const whole = (ms: number): string => ms.toFixed(0);

export function median(values: number[]): number {
  const sorted = values.slice().sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Columns padded to their widest cell; the first left-aligned, the rest right-aligned. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]?.length ?? 0)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

interface Summary {
  ms: number;
  cpuMs: number;
  rssBytes: number;
  baseBytes: number;
  range: string;
}

/** Medians over runs (each column on its own), with the range of the wall times. */
function summarize<T extends Measured>(runs: T[], ms: (r: T) => number = (r) => r.ms): Summary {
  const times = runs.map(ms);
  return {
    ms: median(times),
    cpuMs: median(runs.map((r) => r.cpuMs)),
    rssBytes: median(runs.map((r) => r.maxRssKiB)) * 1024,
    baseBytes: median(runs.map((r) => r.baseRssKiB)) * 1024,
    range: runs.length > 1 ? `${whole(Math.min(...times))}–${whole(Math.max(...times))}` : '',
  };
}

/** The run whose wall time is the median one (its phases are shown). */
export function medianRun<T extends Measured>(runs: T[]): T {
  return runs.slice().sort((a, b) => a.ms - b.ms)[Math.floor((runs.length - 1) / 2)]!;
}

export function printSummary(size: number, decodes: DecodeRun[], parallelDecodes: DecodeRun[], converts: ConvertRun[], discards: ConvertRun[]): void {
  const d = summarize(decodes);
  const p = summarize(parallelDecodes);
  const c = summarize(converts);
  const n = summarize(discards);
  const writes = decodes.map((r) => r.writeMs ?? NaN);
  const io = summarize(decodes, (r) => r.ms + (r.writeMs ?? NaN));
  const runsNote = decodes.length > 1 ? `median of ${decodes.length}` : '1 run';
  const line = (name: string, s: Summary, cpu: string) =>
    [name, whole(s.ms), s.range, cpu, mib(s.rssBytes), ratio(s.rssBytes / size), mib(s.baseBytes)];
  console.log(table([
    ['', `wall ms (${runsNote})`, 'range', 'CPU ms', 'peak RSS', 'peak RSS / model', 'of which Node at start'],
    ['model: GraphDef file', '', '', '', mib(size), '1.00×', ''],
    line('read + decode (protobufjs)', d, whole(d.cpuMs)),
    line('read in parallel parts + decode', p, whole(p.cpuMs)),
    line('convert: read+import+passes+write', c, whole(c.cpuMs)),
    line('convert, output dropped (no disk)', n, whole(n.cpuMs)),
    line('reference: read + decode + write', io, ''),
  ]));
  console.log('  (read + decode = readFileSync + GraphDef.decode: the issue\'s floor; in parallel parts = readModelFileAsync, as the CLI reads)');
  console.log('  (reference = read + decode, then writeFileAtomic of as many bytes: the disk floor of any converter)');
  console.log('  (output dropped = the same conversion and streamed pieces, none written: what is left without the disk)');
  console.log('');
  const timeRatio = c.ms / d.ms;
  const rssRatio = c.rssBytes / size;
  console.log(table([
    ['', 'measured', 'goal', 'met'],
    ['convert wall time / read+decode wall time', ratio(timeRatio), '≤ 2×', timeRatio <= 2 ? 'yes' : 'no'],
    ['convert wall time / (parallel read + decode) wall time', ratio(c.ms / p.ms), '', ''],
    ['convert peak RSS / model size', ratio(rssRatio), '≤ 2×', rssRatio <= 2 ? 'yes' : 'no'],
    ['convert CPU time / read+decode CPU time', ratio(c.cpuMs / d.cpuMs), '', ''],
    ['convert wall time / (read + decode + write)', ratio(c.ms / io.ms), '', ''],
    ['convert without the disk / read+decode wall time', ratio(n.ms / d.ms), '', ''],
    ['convert peak RSS / read+decode peak RSS', ratio(c.rssBytes / d.rssBytes), '', ''],
  ]));
  const split = (f: (r: DecodeRun) => number) => whole(median(decodes.map(f)));
  console.log(
    `\nread+decode split (medians): read ${split((r) => r.readMs)} ms, decode ${split((r) => r.decodeMs)} ms;` +
      ` writeFileAtomic of ${mib(size)}: ${whole(median(writes))} ms`,
  );
}

export function printMarks(marks: Mark[], size: number): void {
  const total = marks.reduce((n, m) => n + m.ms, 0);
  const rows = marks.map((m) => [
    `  ${m.phase}`,
    whole(m.ms),
    `${((100 * m.ms) / total).toFixed(0)}%`,
    whole(m.cpuMs),
    mib(m.maxRssKiB * 1024),
    ratio((m.maxRssKiB * 1024) / size),
    mib(m.arrayBuffers),
  ]);
  console.log(table([['  phase', 'wall ms', 'share', 'CPU ms', 'peak RSS so far', '/ model', 'ArrayBuffers after'], ...rows]));
}

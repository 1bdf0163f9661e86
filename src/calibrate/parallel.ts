/**
 * Calibration on worker threads (node:worker_threads): each worker holds its own copy of the
 * model and its own Executor and RangeCollector; the main thread reads the dataset and hands
 * each sample to a worker with room for it (an image sample as its file, decoded there); at the
 * end every worker sends its collector's state and the main thread merges them (exactly, see
 * mergeableMethod in ranges.ts).
 *
 * The calibrate layer cannot serialize a model itself (the .tflite writer and reader sit in
 * other layers), so the caller describes the workers (CalibrationWorkers): the module a worker
 * runs, which rebuilds the model from `data` and calls serveCalibration. Tensors travel as
 * positions in the activation-tensor list, which both sides build alike from the same op order;
 * the worker's names are checked against ours once, when it is ready.
 */
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { Executor } from '../exec/executor.js';
import type { Model } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import type { OpRegistry } from '../ops/registry.js';
import { ConverterError, DatasetError, GraphError, UnsupportedError, UsageError } from '../util/errors.js';
import { LstmInternalsObserver, type NamedRange } from './lstm-internals.js';
import { RangeCollector, type CollectorState, type RangeOptions } from './ranges.js';
import { sampleValues, type CalibrationSample } from './samples.js';

/** How to start a calibration worker: the module it runs and what it rebuilds the model from. */
export interface CalibrationWorkers {
  /** The module a worker runs (a file URL, or a data: URL holding a small ES-module bootstrap). */
  module: URL;
  /** Called once, when workers start: what they get as workerData.model (e.g. the .tflite bytes). */
  data: () => unknown;
}

/**
 * Samples each worker may hold at once, at least: one running, one waiting, so it never idles.
 * Fast samples raise it (setSampleMs), so a worker always has a few milliseconds of work queued
 * and the calling thread need not refill it after every sample.
 */
const MIN_IN_FLIGHT = 2;
const MAX_IN_FLIGHT = 64;
const QUEUED_MS = 4;

type ToWorker = { kind: 'sample'; index: number; sample: CalibrationSample } | { kind: 'finish' };
type FromWorker =
  | { kind: 'ready'; tensors: string[] }
  | { kind: 'done'; index: number }
  | { kind: 'state'; state: WorkerState }
  | { kind: 'error'; name: string; message: string; file?: string | undefined };

/** What a worker gathered: its collector's state and the ranges inside ops (lstm-internals.ts). */
export interface WorkerState {
  collector: CollectorState;
  internal: NamedRange[];
}

interface WorkerInit {
  model: unknown;
  options: RangeOptions;
}

/** The worker side: runs samples as they arrive, sends its collector's state when told to finish. */
export function serveCalibration(model: Model, registry: OpRegistry, tracked: Tensor[]): void {
  const port = parentPort;
  if (port === null) throw new UsageError('serveCalibration runs inside a calibration worker');
  const { options } = workerData as WorkerInit;
  const executor = new Executor(model, registry);
  const collector = new RangeCollector(new Set(tracked), options);
  const internals = new LstmInternalsObserver(model, executor);
  const send = (message: FromWorker) => port.postMessage(message);
  port.on('message', (message: ToWorker) => {
    try {
      if (message.kind === 'finish') {
        send({ kind: 'state', state: { collector: collector.exportState(tracked), internal: internals.exportState() } });
        port.close();
        return;
      }
      internals.startSample();
      executor.run(sampleValues(message.sample), (tensor, value) => {
        collector.observe(tensor, value, message.index);
        internals.observe(tensor, value);
      }, { recycle: true });
      send({ kind: 'done', index: message.index });
    } catch (err) {
      const file = err instanceof ConverterError ? err.file : undefined;
      send({ kind: 'error', name: err instanceof Error ? err.name : 'Error', message: err instanceof Error ? err.message : String(err), file });
    }
  });
  send({ kind: 'ready', tensors: tracked.map((t) => t.name) });
}

/** Rebuilds a worker's error as the library's typed error of the same name (and file). */
function rebuildError(name: string, message: string, file: string | undefined): Error {
  const types: Record<string, new (m: string, o: { file?: string | undefined }) => ConverterError> = { DatasetError, GraphError, UnsupportedError, UsageError };
  const Type = types[name];
  return Type !== undefined ? new Type(message, { file }) : new Error(`calibration worker: ${name}: ${message}`);
}

interface PoolWorker {
  worker: Worker;
  ready: boolean;
  /** Failed before it was ready. */
  dead: boolean;
  inFlight: number;
  state: Promise<WorkerState>;
}

/** Worker threads running samples; see the file comment. */
export class CalibrationPool {
  private readonly workers: PoolWorker[] = [];
  private inFlightLimit = MIN_IN_FLIGHT;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;

  constructor(
    threads: number,
    setup: CalibrationWorkers,
    options: RangeOptions,
    private readonly tracked: readonly Tensor[],
    private readonly onDone: () => void,
  ) {
    const init: WorkerInit = { model: setup.data(), options: { method: options.method, emaDecay: options.emaDecay, percentile: options.percentile } };
    for (let i = 0; i < threads; i++) this.workers.push(this.start(setup.module, init));
  }

  private start(module: URL, init: WorkerInit): PoolWorker {
    const worker = new Worker(module, { workerData: init });
    let resolveState!: (s: WorkerState) => void;
    let rejectState!: (e: Error) => void;
    const state = new Promise<WorkerState>((resolve, reject) => ((resolveState = resolve), (rejectState = reject)));
    state.catch(() => undefined); // failures surface through this.failure
    const entry: PoolWorker = { worker, ready: false, dead: false, inFlight: 0, state };
    const fail = (err: Error) => {
      // A worker that cannot start (e.g. its module is missing from a bundle) is left out: the
      // samples go to the others, or stay on the calling thread. Failures after start are errors.
      if (entry.ready) this.failure ??= err;
      else entry.dead = true;
      rejectState(err);
      this.notify();
    };
    worker.on('message', (message: FromWorker) => {
      if (message.kind === 'ready') {
        const ours = this.tracked.map((t) => t.name);
        entry.ready = true;
        if (message.tensors.length !== ours.length || message.tensors.some((n, i) => n !== ours[i])) {
          fail(new GraphError('a calibration worker rebuilt a model with other activation tensors than the one calibrated'));
        }
      } else if (message.kind === 'done') {
        entry.inFlight--;
        this.onDone();
      } else if (message.kind === 'state') {
        resolveState(message.state);
      } else {
        fail(rebuildError(message.name, message.message, message.file));
      }
      this.notify();
    });
    worker.on('error', (err) => fail(err));
    worker.on('exit', (code) => {
      if (code !== 0) fail(new Error(`a calibration worker exited with code ${code}`));
      else rejectState(new Error('a calibration worker exited before sending its ranges'));
    });
    return entry;
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private check(): void {
    if (this.failure !== null) throw this.failure;
  }

  /** Whether every worker failed to start (the calling thread then runs the samples). */
  get allDead(): boolean {
    return this.workers.every((w) => w.dead);
  }

  private free(): PoolWorker | undefined {
    let best: PoolWorker | undefined;
    for (const w of this.workers) if (w.ready && w.inFlight < this.inFlightLimit && (best === undefined || w.inFlight < best.inFlight)) best = w;
    return best;
  }

  /** How long a sample takes (measured on the calling thread): sets how many a worker may queue. */
  setSampleMs(ms: number): void {
    this.inFlightLimit = Math.min(MAX_IN_FLIGHT, Math.max(MIN_IN_FLIGHT, Math.ceil(QUEUED_MS / Math.max(ms, 1e-3))));
  }

  /** Whether some worker could take a sample now without waiting for a message. */
  get hasRoom(): boolean {
    return this.free() !== undefined;
  }

  /** Hands the sample to a worker if one has room now; false otherwise. */
  trySend(index: number, sample: CalibrationSample): boolean {
    this.check();
    const w = this.free();
    if (w === undefined) return false;
    w.inFlight++;
    w.worker.postMessage({ kind: 'sample', index, sample } satisfies ToWorker);
    return true;
  }

  /** Waits until a message arrives (a worker became ready, finished a sample or failed). */
  async changed(): Promise<void> {
    this.check();
    await new Promise<void>((resolve) => (this.wake = resolve));
    this.check();
  }

  /** Waits for every sample, collects the workers' states and stops them. */
  async finish(): Promise<WorkerState[]> {
    try {
      while (this.workers.some((w) => w.inFlight > 0)) await this.changed();
      const ready = this.workers.filter((w) => w.ready);
      for (const w of ready) w.worker.postMessage({ kind: 'finish' } satisfies ToWorker);
      const states = await Promise.all(ready.map((w) => w.state));
      this.check();
      return states;
    } finally {
      await this.terminate();
    }
  }

  async terminate(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}

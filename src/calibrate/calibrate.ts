/**
 * Calibration: run the converted float model over the representative samples with the float
 * executor, collecting activation ranges per tensor through its hook (the graph is not
 * rewritten). Tracked tensors are the float activations: the inputs and every op output that
 * depends on them (not the weights a DEQUANTIZE expands).
 *
 * Long calibrations spread over threads, one per core by default: this thread and worker threads
 * (parallel.ts). Samples start on this thread; once they have taken `parallelAfterMs` and more
 * keep coming, `threads - 1` workers start, and this thread goes on running samples itself, as
 * one of the `threads`: each sample goes to a worker with room for it (one running, one queued),
 * else runs here. A deferred sample (an image file, samples.ts) is decoded by the thread that
 * runs it. This thread's executor is already warm and it would otherwise sit idle, so a
 * calibration on 2 cores pays for starting one worker, not two, and no core is left waiting.
 * A calibration of a few small samples never pays for starting workers, and the results are the
 * same either way: every partial collector merges exactly (mergeableMethod). moving_average
 * depends on the sample order and stays on one thread.
 */
import os from 'node:os';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Executor } from '../exec/executor.js';
import type { Model } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import type { OpRegistry } from '../ops/registry.js';
import { UsageError } from '../util/errors.js';
import { LstmInternalsObserver } from './lstm-internals.js';
import { CalibrationPool, type CalibrationWorkers } from './parallel.js';
import { mergeableMethod, RangeCollector, type RangeOptions, type TensorRange } from './ranges.js';
import { sampleValues, type CalibrationSample } from './samples.js';

export type { CalibrationWorkers } from './parallel.js';

export interface CalibrationResult {
  ranges: Map<Tensor, TensorRange>;
  /**
   * Ranges inside ops, by name (lstm-internals.ts: an LSTM's cell state under the cell-state
   * tensor's name, its hidden state under hiddenRangeKey); extra entries of the ranges record.
   */
  internalRanges: Map<string, TensorRange>;
  samples: number;
  /** Worker threads that ran samples (0: all ran on the calling thread). */
  workers: number;
}

export interface CalibrateOptions extends RangeOptions {
  onProgress?: ((done: number) => void) | undefined;
  /**
   * Threads to spread samples over: default os.availableParallelism(), or the environment's
   * TFLITE_CONVERT_CALIBRATION_THREADS; 1 runs everything on the calling thread.
   */
  threads?: number | undefined;
  /** How workers rebuild the model; without it calibration runs on the calling thread. */
  workers?: CalibrationWorkers | undefined;
  /** Time on the calling thread before workers start (default 100 ms; 0 starts them at once). */
  parallelAfterMs?: number | undefined;
  /**
   * Whether this thread runs samples too, as one of the `threads` (default true: `threads - 1`
   * workers start); false: `threads` workers start and run every sample once they are ready.
   */
  runOnThisThread?: boolean | undefined;
}

/**
 * A worker is ready ~140 ms after it starts and warms up over its first samples, so a calibration
 * ending soon after this loses a little (up to ~15 ms measured: starting and stopping a worker that
 * never ran a sample) and every longer one gains: 2,000 cifar10_cnn samples take 0.46 ms each
 * with workers from 0 ms and 0.54 ms from 300 ms; 51 MobileNetV2 samples 37 ms against 40 ms
 * (test/bench/README.md).
 */
const DEFAULT_PARALLEL_AFTER_MS = 100;

/** The tensors whose values depend on the model inputs. */
export function activationTensors(model: Model): Set<Tensor> {
  const graph = model.main;
  const active = new Set<Tensor>(graph.inputs);
  for (const op of graph.ops) {
    if (op.inputs.some((t) => t !== null && active.has(t))) for (const t of op.outputs) active.add(t);
  }
  return active;
}

/** Threads from the option, else the environment, else one per core. */
export function calibrationThreads(option: number | undefined): number {
  const fromEnv = process.env.TFLITE_CONVERT_CALIBRATION_THREADS;
  const threads = option ?? (fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) : os.availableParallelism());
  if (!Number.isInteger(threads) || threads < 1) {
    throw new UsageError(`calibration threads must be a positive integer, got ${option ?? `TFLITE_CONVERT_CALIBRATION_THREADS=${fromEnv}`}`);
  }
  return threads;
}

export async function calibrate(model: Model, registry: OpRegistry, samples: AsyncIterable<CalibrationSample>, options: CalibrateOptions = {}): Promise<CalibrationResult> {
  const threads = calibrationThreads(options.threads);
  const tracked = [...activationTensors(model)];
  const executor = new Executor(model, registry);
  const collector = new RangeCollector(new Set(tracked), options);
  const internals = new LstmInternalsObserver(model, executor);
  const parallel = threads > 1 && options.workers !== undefined && mergeableMethod(options.method);
  const parallelAfterMs = options.parallelAfterMs ?? DEFAULT_PARALLEL_AFTER_MS;
  const runHere = options.runOnThisThread ?? true;
  let count = 0;
  let done = 0;
  const progress = () => options.onProgress?.(++done);
  let pool: CalibrationPool | null = null;
  /** Moving average of a sample's time on this thread. */
  let sampleMs: number | null = null;
  const start = performance.now();
  try {
    for await (const sample of samples) {
      const index = count++;
      if (pool === null && parallel && performance.now() - start >= parallelAfterMs) {
        pool = new CalibrationPool(runHere ? threads - 1 : threads, options.workers!, options, tracked, progress);
        if (sampleMs !== null) pool.setSampleMs(sampleMs);
      }
      if (pool !== null) {
        // Let the workers' messages (ready, done) in before deciding where the sample goes; with
        // room already known, skip that turn of the event loop (it costs more than a tiny sample).
        if (!pool.hasRoom) await nextTurn();
        let sent = pool.trySend(index, sample);
        while (!sent && !runHere && !pool.allDead) {
          await pool.changed();
          sent = pool.trySend(index, sample);
        }
        if (sent) continue;
      }
      internals.startSample();
      const sampleStart = performance.now();
      executor.run(sampleValues(sample), (tensor, value) => {
        collector.observe(tensor, value, index);
        internals.observe(tensor, value);
      }, { recycle: true });
      sampleMs = sampleMs === null ? performance.now() - sampleStart : 0.8 * sampleMs + 0.2 * (performance.now() - sampleStart);
      pool?.setSampleMs(sampleMs);
      progress();
    }
    let workers = 0;
    if (pool !== null) {
      const states = await pool.finish();
      for (const state of states) {
        collector.mergeState(tracked, state.collector);
        internals.mergeState(state.internal);
      }
      workers = states.length;
      pool = null;
    }
    return { ranges: collector.result(), internalRanges: internals.result(), samples: count, workers };
  } finally {
    await pool?.terminate();
  }
}

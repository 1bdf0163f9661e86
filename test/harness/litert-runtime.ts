// Loading LiteRT.js's WASM runtime in Node, and capturing what it prints for each call.
//
//  1. Loading. Its loader (@litertjs/wasm-utils) calls `importScripts(url)` when that function
//     exists, expects the script to define `self.ModuleFactory`, and then calls
//     `self.ModuleFactory(self.Module)`. We provide `self` and an `importScripts` that evaluates
//     the emscripten glue with node:vm, handing it `require` and `__dirname` as closure parameters
//     (the glue's Node branch needs them) so that they never become globals.
//  2. Error reporting. The runtime does not throw when tensors cannot be prepared (an unresolved
//     custom op, say) or a kernel fails at invoke time: it prints `ERROR: ...` lines through
//     emscripten's print/printErr and returns uninitialised memory. `self.Module` is passed to the
//     factory, so we install print/printErr hooks there, capture every line of a call and throw
//     when any line is an ERROR.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import { getGlobalLiteRtPromise, loadLiteRt, type LiteRt } from '@litertjs/core';

/** The runtime reported an error (an `ERROR:` line, or an exception) for this model. */
export class LiteRtError extends Error {
  constructor(
    message: string,
    readonly log: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LiteRtError';
  }
}

/**
 * The model is valid TFLite but LiteRT.js cannot run it (today: variable tensors). Round-trip tests
 * may catch this to skip a model; it is never thrown for a model LiteRT.js merely fails on.
 */
export class LiteRtUnsupportedError extends LiteRtError {
  constructor(
    message: string,
    log: readonly string[],
    readonly reason: 'variable-tensors',
    options?: { cause?: unknown },
  ) {
    super(message, log, options);
    this.name = 'LiteRtUnsupportedError';
  }
}

// ---------------------------------------------------------------------------------------------
// Loading the runtime (once per worker process).

const require = createRequire(import.meta.url);
const coreDir = path.dirname(require.resolve('@litertjs/core/package.json'));
const wasmDir = path.join(coreDir, 'wasm');

// The print hooks live in the WASM module for the life of the process, while this file may be
// evaluated again (vitest re-imports modules per test file when a worker is reused). The hooks
// therefore call whatever sink is registered under this global key at the time they run.
const SINK_KEY = Symbol.for('tflite-convert.test-harness.litert.print-sink');
type PrintSink = (line: string) => void;
interface HarnessGlobals {
  [SINK_KEY]?: PrintSink;
}
const harnessGlobals = globalThis as typeof globalThis & HarnessGlobals;

// The untyped boundary with the emscripten glue and @litertjs/wasm-utils: only these members.
interface EmscriptenModuleArg {
  print: PrintSink;
  printErr: PrintSink;
}
type ModuleFactoryFn = (moduleArg: EmscriptenModuleArg) => Promise<unknown>;
interface BrowserLikeGlobals {
  self?: unknown;
  importScripts?: (url: string) => void;
  ModuleFactory?: ModuleFactoryFn;
  Module?: EmscriptenModuleArg;
}

let runtime: Promise<LiteRt> | undefined;

/** Loads LiteRT.js's WASM runtime; the promise is cached for the worker process. */
export function loadRuntime(): Promise<LiteRt> {
  runtime ??= loadRuntimeUncached().catch((error: unknown) => {
    runtime = undefined; // let a later call retry instead of caching the failure
    throw error;
  });
  return runtime;
}

async function loadRuntimeUncached(): Promise<LiteRt> {
  // Already loaded by an earlier evaluation of this file in the same process: reuse it.
  const existing = getGlobalLiteRtPromise();
  if (existing) return existing;

  // Only the BrowserLikeGlobals view, not `typeof globalThis &` it: when lib.dom / webworker
  // typings are in scope they declare `self` and `importScripts` as required, which would forbid
  // installing and deleting them here.
  const g = globalThis as unknown as BrowserLikeGlobals;
  const hadSelf = 'self' in g;
  g.self ??= g;
  g.importScripts = (url: string) => {
    const source = readFileSync(url, 'utf8');
    const wrapped = `(function (require, __dirname, __filename) {\n${source}\nreturn ModuleFactory;\n})`;
    const factory = vm.runInThisContext(wrapped, { filename: url }) as (
      req: NodeJS.Require,
      dirname: string,
      filename: string,
    ) => ModuleFactoryFn;
    g.ModuleFactory = factory(require, path.dirname(url), url);
  };
  g.Module = {
    print: (line) => harnessGlobals[SINK_KEY]?.(line),
    printErr: (line) => harnessGlobals[SINK_KEY]?.(line),
  };
  // Environment.create() probes navigator.gpu, which Node 20 lacks, and console.warns about it once.
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].startsWith('Failed to create default WebGPU device')) return;
    warn(...args);
  };
  try {
    // Node 20 has no relaxed SIMD, so this loads wasm/litert_wasm_compat_internal.js.
    return await loadLiteRt(wasmDir);
  } finally {
    console.warn = warn;
    delete g.importScripts;
    delete g.Module; // createWasmLib already reset it; make sure
    if (!hadSelf) delete g.self;
  }
}

// ---------------------------------------------------------------------------------------------
// One model at a time: the captured log must belong to exactly one call.

let queue: Promise<unknown> = Promise.resolve();

/** Runs `task` after every task queued before it has settled. */
export function serialised<T>(task: () => Promise<T>): Promise<T> {
  const result = queue.then(task, task);
  queue = result.catch(() => undefined);
  return result;
}

/** Runs `task` with the runtime's output captured; throws LiteRtError on any ERROR line. */
export async function withCapturedLog<T>(label: string, task: (log: string[]) => Promise<T>): Promise<T> {
  await loadRuntime();
  const log: string[] = [];
  harnessGlobals[SINK_KEY] = (line) => log.push(line);
  try {
    let value: T;
    try {
      value = await task(log);
    } catch (error) {
      if (error instanceof LiteRtError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new LiteRtError(`${label}: ${message}${formatLog(log)}`, log, { cause: error });
    }
    const errors = log.filter(isErrorLine);
    if (errors.length > 0) {
      // The non-INFO log holds the ERROR lines with their context ("See instructions: ...").
      throw new LiteRtError(`${label}: LiteRT.js reported ${errors.length} error line(s)${formatLog(log)}`, log);
    }
    return value;
  } finally {
    delete harnessGlobals[SINK_KEY];
  }
}

function isErrorLine(line: string): boolean {
  return /^\s*ERROR\b/.test(line) || line.includes('Encountered unresolved custom op');
}

/** The log without INFO lines, as a suffix for an error message ('' when nothing is left). */
export function formatLog(log: readonly string[]): string {
  const interesting = log.filter((line) => !line.startsWith('INFO:'));
  return interesting.length > 0 ? `\n--- LiteRT.js log ---\n${interesting.join('\n')}` : '';
}

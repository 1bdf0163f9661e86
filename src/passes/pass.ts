/**
 * What every pass gets and gives. A pass edits a model in place and reports what it did, in
 * words a user can read in the conversion summary.
 */
import type { Model } from '../ir/graph.js';
import type { OpRegistry } from '../ops/registry.js';

export interface ConversionOptions {
  /** Node names to use as inputs (default: the Placeholders). A Const named here becomes an input. */
  inputArrays?: string[] | undefined;
  /** Node names (or `node:i`) to use as outputs (default: nodes nobody reads). */
  outputArrays?: string[] | undefined;
  /** Shapes for the inputs, in input order (the CLI's --input_shapes); needed where a Placeholder's shape is not fully known. */
  inputShapes?: (number[] | null)[] | undefined;
  /** The same by input name (TFLiteConverter.fromFrozenGraph's dict); wins over inputShapes. */
  inputShapesByName?: Record<string, number[]> | undefined;
  /** Emit ops without a TFLite builtin as CUSTOM ops instead of failing. */
  allowCustomOps?: boolean | undefined;
  /** Store float32 weights as float16 behind DEQUANTIZE ops. */
  quantizeToFloat16?: boolean | undefined;
}

export interface PassContext {
  registry: OpRegistry;
  options: ConversionOptions;
  /** Things the user should know (defaults taken, odd inputs); printed by the CLI. */
  notice(message: string): void;
  /** Called as each step starts (the CLI shows it on a terminal). */
  progress?: ((step: string, index: number, total: number) => void) | undefined;
}

export interface Pass {
  /** Kebab-case, as in the pipeline list and the summary. */
  name: string;
  /** Runs the pass; returns a one-line account of what changed ('' when nothing did). */
  run(model: Model, ctx: PassContext): string;
}

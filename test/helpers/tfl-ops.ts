/**
 * TFLite ops in tests: what a written .tflite holds (its op histogram, its TFLite ops), and bare
 * ops built by hand for kernel, shape-inference and version tests, and run through their kernel.
 */
import { expect } from 'vitest';
import type { BuiltinOperator } from '../../generated/tflite/builtin-operator.js';
import { readTflite } from '../../src/import/tflite.js';
import { opTypeName, type TflOp } from '../../src/ir/op.js';
import { Tensor } from '../../src/ir/tensor.js';
import type { Value } from '../../src/kernels/value.js';
import { REGISTRY } from '../../src/ops/registry.js';

/** How many ops of each type (opTypeName) the .tflite's main subgraph has. */
export function opHistogram(tflite: Uint8Array): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const op of readTflite(tflite).main.ops) counts[opTypeName(op)] = (counts[opTypeName(op)] ?? 0) + 1;
  return counts;
}

/** The TFLite ops of the .tflite's main subgraph, in order. */
export function tflOps(tflite: Uint8Array): TflOp[] {
  return readTflite(tflite).main.ops.filter((op): op is TflOp => op.dialect === 'tfl');
}

/**
 * A TFLite op named "op" on `inputs`, with `outputs` untyped output tensors named "out" (for
 * evaluate / infer / version to fill in or inspect), version 1 and no other options.
 */
export function makeOp(builtin: BuiltinOperator, inputs: (Tensor | null)[], opts: TflOp['options'] = null, outputs = 1): TflOp {
  return {
    dialect: 'tfl',
    name: 'op',
    builtin,
    customCode: null,
    version: 1,
    inputs,
    outputs: Array.from({ length: outputs }, () => new Tensor('out', null, null)),
    options: opts,
    options2: null,
    customOptions: null,
    intermediates: [],
  };
}

/**
 * Runs the op's registered kernel on `values` and returns its (first) output, after checking that
 * shape inference on the same op agrees with it on shape and dtype.
 */
export function evaluateChecked(op: TflOp, values: (Value | null)[]): Value {
  const def = REGISTRY.def(op.builtin)!;
  const [out] = def.evaluate!(op, values);
  const [inferred] = def.infer(op);
  expect(out!.shape).toEqual(inferred!.shape);
  expect(out!.dtype).toBe(inferred!.dtype);
  return out!;
}

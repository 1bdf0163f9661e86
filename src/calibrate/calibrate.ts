/**
 * Calibration: run the converted float model over the representative samples with the float
 * executor, collecting activation ranges per tensor through its hook (the graph is not
 * rewritten). Tracked tensors are the float activations: the inputs and every op output that
 * depends on them (not the weights a DEQUANTIZE expands).
 */
import { Executor } from '../exec/executor.js';
import type { Model } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import type { Value } from '../kernels/value.js';
import type { OpRegistry } from '../ops/registry.js';
import { RangeCollector, type RangeOptions, type TensorRange } from './ranges.js';

export interface CalibrationResult {
  ranges: Map<Tensor, TensorRange>;
  samples: number;
}

/** The tensors whose values depend on the model inputs. */
export function activationTensors(model: Model): Set<Tensor> {
  const graph = model.main;
  const active = new Set<Tensor>(graph.inputs);
  for (const op of graph.ops) {
    if (op.inputs.some((t) => t !== null && active.has(t))) for (const t of op.outputs) active.add(t);
  }
  return active;
}

export async function calibrate(
  model: Model,
  registry: OpRegistry,
  samples: AsyncIterable<Value[]>,
  options: RangeOptions & { onProgress?: ((done: number) => void) | undefined } = {},
): Promise<CalibrationResult> {
  const executor = new Executor(model, registry);
  const collector = new RangeCollector(activationTensors(model), options);
  let count = 0;
  for await (const sample of samples) {
    const index = count;
    executor.run(sample, (tensor, value) => collector.observe(tensor, value, index));
    count++;
    options.onProgress?.(count);
  }
  return { ranges: collector.result(), samples: count };
}

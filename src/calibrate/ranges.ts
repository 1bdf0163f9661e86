/**
 * Activation-range statistics, collected per tensor while the executor runs samples: a
 * streaming collector that keeps two numbers per tensor, never the activations.
 * - minmax: global min and max over all samples (TFLite's calibrator);
 * - moving_average: exponential moving average of each sample's min and max (TF's QAT style),
 *   starting from the first sample's.
 * A NaN or infinity in an activation stops calibration, naming the sample and the tensor.
 */
import type { Tensor } from '../ir/tensor.js';
import type { NumericArray, Value } from '../kernels/value.js';
import { DatasetError } from '../util/errors.js';

export type CalibrationMethod = 'minmax' | 'moving_average';

export const CALIBRATION_METHODS: readonly CalibrationMethod[] = ['minmax', 'moving_average'];

export interface TensorRange {
  min: number;
  max: number;
}

export interface RangeOptions {
  method?: CalibrationMethod | undefined;
  /** Weight of the running value in moving_average (TF's MovingAverage default is 0.999). */
  emaDecay?: number | undefined;
}

export class RangeCollector {
  private readonly ranges = new Map<Tensor, TensorRange>();
  private readonly method: CalibrationMethod;
  private readonly decay: number;

  constructor(
    private readonly tracked: ReadonlySet<Tensor>,
    options: RangeOptions = {},
  ) {
    this.method = options.method ?? 'minmax';
    this.decay = options.emaDecay ?? 0.999;
  }

  observe(tensor: Tensor, value: Value, sample: number): void {
    if (!this.tracked.has(tensor) || value.dtype !== 'float32') return;
    const data = value.data as NumericArray;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (v !== v || v === Infinity || v === -Infinity) {
        throw new DatasetError(`sample ${sample}: tensor "${tensor.name}" has a ${v} value (element ${i})`);
      }
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (data.length === 0) return;
    const current = this.ranges.get(tensor);
    if (current === undefined) {
      this.ranges.set(tensor, { min, max });
    } else if (this.method === 'minmax') {
      current.min = Math.min(current.min, min);
      current.max = Math.max(current.max, max);
    } else {
      current.min = this.decay * current.min + (1 - this.decay) * min;
      current.max = this.decay * current.max + (1 - this.decay) * max;
    }
  }

  result(): Map<Tensor, TensorRange> {
    return this.ranges;
  }
}

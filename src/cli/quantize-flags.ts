/**
 * The calibration and int8 flags, shared by the convert command and `quantize` (which quantizes
 * an existing .tflite), so both spell and document them once.
 */
import type { Argv } from 'yargs';
import { UsageError } from '../api/index.js';

/** Representative dataset and calibration flags. */
export function calibrationFlags<T>(y: Argv<T>) {
  return (
    y
      .option('representative_dataset', {
        alias: ['representative-dataset', 'representative-data'],
        type: 'string',
        describe: 'Calibration samples: a .js/.mjs/.ts script, a .npy or .npz file, a folder of .npy files or of JPEG/PNG images, or random',
      })
      .option('calibration_samples', { alias: 'calibration-samples', type: 'number', describe: 'Use at most N samples (default: all; 100 for generators)' })
      .option('calibration_method', {
        alias: 'calibration-method',
        type: 'string',
        default: 'minmax',
        describe: 'minmax, moving_average, or from a histogram: percentile, entropy (min KL divergence), mse (min int8 error)',
      })
      .option('calibration_percentile', {
        alias: 'calibration-percentile',
        type: 'number',
        describe: 'percentile method: % of values kept, half the rest cut from each tail (0 < p <= 100, default 99.99)',
      })
      .option('calibration_output', { alias: 'calibration-output', type: 'string', describe: 'Write the activation ranges to this JSON file' })
      .option('calibration_input', { alias: 'calibration-input', type: 'string', describe: 'Reuse ranges from this JSON file (its entries override measured ones)' })
      // nargs: 1 so that a value starting with a minus (-1,1) is taken as the value, not a flag.
      .option('input_range', { alias: 'input-range', type: 'string', nargs: 1, describe: 'Range of random calibration data, or what image pixels 0..255 map onto: 0,1 or -1,1' })
      .option('mean_values', { alias: 'mean-values', type: 'string', nargs: 1, describe: 'Images: (pixel - mean) / std; one mean or one per channel, e.g. 123.68,116.78,103.94' })
      .option('std_dev_values', { alias: 'std-dev-values', type: 'string', nargs: 1, describe: 'Images: the std of (pixel - mean) / std; one value or one per channel' })
  );
}

/** The full-integer flags (TF's converter attributes of the same names). */
export function int8Flags<T>(y: Argv<T>) {
  return y
    .option('inference_input_type', { alias: 'inference-input-type', type: 'string', default: 'FLOAT', describe: 'With --quantize int8: the model input type, FLOAT, INT8 or UINT8' })
    .option('inference_output_type', { alias: 'inference-output-type', type: 'string', default: 'FLOAT', describe: 'With --quantize int8: the model output type, FLOAT, INT8 or UINT8' })
    .option('disable_per_channel', { alias: 'disable-per-channel', type: 'boolean', default: false, describe: 'With --quantize int8: one scale per weight tensor' })
    .option('target_ops', {
      alias: 'target-ops',
      type: 'string',
      default: 'TFLITE_BUILTINS',
      describe: 'Comma list of op sets: TFLITE_BUILTINS, TFLITE_BUILTINS_INT8 (alone: every op must run in int8, else an error)',
    });
}

const OP_SETS = ['TFLITE_BUILTINS', 'TFLITE_BUILTINS_INT8'];

/** --target_ops: whether only int8 builtins are allowed (TFLITE_BUILTINS_INT8 without TFLITE_BUILTINS). */
export function int8OpsOnly(value: string, quantizeInt8: boolean): boolean {
  const sets = value.split(',').map((s) => s.trim().toUpperCase()).filter((s) => s.length > 0);
  if (sets.length === 0) throw new UsageError('--target_ops is empty');
  for (const set of sets) {
    if (!OP_SETS.includes(set)) throw new UsageError(`--target_ops ${set} is not supported (${OP_SETS.join(', ')})`);
  }
  const only = sets.includes('TFLITE_BUILTINS_INT8') && !sets.includes('TFLITE_BUILTINS');
  if (only && !quantizeInt8) throw new UsageError('--target_ops TFLITE_BUILTINS_INT8 needs --quantize int8 and a representative dataset');
  return only;
}

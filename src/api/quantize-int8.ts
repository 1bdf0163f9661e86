/**
 * Full-integer (int8) post-training quantization through the library: convert (or read a float
 * .tflite), calibrate on the representative dataset, quantize with the calibrated ranges, write.
 * Asynchronous because calibration streams its dataset.
 */
import { writeTflite } from '../export/tflite.js';
import { readTflite } from '../import/tflite.js';
import type { Model } from '../ir/graph.js';
import { REGISTRY } from '../ops/registry.js';
import { quantizeModelInt8, type InferenceType } from '../quantize/int8.js';
import { UsageError } from '../util/errors.js';
import { calibrateModel, type CalibrationOptions, type CalibrationReport } from './calibrate.js';
import { convertGraphDef, finishForExport, type ConvertOptions } from './convert.js';
import type { ShardReader } from '../import/tfjs.js';

export type { InferenceType } from '../quantize/int8.js';

export interface Int8Options {
  /** false: one scale per weight tensor (TF's --disable_per_channel). */
  perChannel?: boolean | undefined;
  inferenceInputType?: InferenceType | undefined;
  inferenceOutputType?: InferenceType | undefined;
  /** TF's target_ops TFLITE_BUILTINS_INT8 alone: an op that cannot run in int8 is an error. */
  int8OpsOnly?: boolean | undefined;
}

export interface Int8Result {
  tflite: Uint8Array;
  /** The quantized IR. */
  model: Model;
  calibration: CalibrationReport;
  summary: string;
}

/**
 * Quantizes a converted float model in place with ranges already calibrated on it, and writes
 * it. The ranges are by tensor name, as calibrateModel gives them.
 */
export function quantizeCalibratedInt8(model: Model, calibration: CalibrationReport, options: Int8Options = {}): Int8Result {
  const summary = quantizeModelInt8(model, REGISTRY, { ranges: calibration.ranges, ...options });
  finishForExport(model);
  return { tflite: writeTflite(model), model, calibration, summary };
}

function requireDataset(calibration: CalibrationOptions): void {
  if (calibration.dataset === undefined && calibration.rangesFile === undefined) {
    throw new UsageError('--quantize int8 needs --representative_dataset or --calibration_input');
  }
}

/** A float model in IR form (converted, or read from a .tflite), calibrated then quantized. */
export async function quantizeModelToInt8(model: Model, calibration: CalibrationOptions, options: Int8Options = {}): Promise<Int8Result> {
  requireDataset(calibration);
  const report = await calibrateModel(model, calibration);
  return quantizeCalibratedInt8(model, report, options);
}

/** GraphDef / tfjs graph model → float IR → calibrated int8 .tflite. */
export async function convertGraphDefInt8(
  bytes: Uint8Array,
  name: string,
  options: Omit<ConvertOptions, 'quantize' | 'quantizeToFloat16'>,
  calibration: CalibrationOptions,
  int8: Int8Options = {},
  readShard?: ShardReader,
): Promise<Int8Result> {
  requireDataset(calibration);
  const { model } = convertGraphDef(bytes, name, options, readShard);
  return quantizeModelToInt8(model, calibration, int8);
}

/** A float .tflite quantized with the same engine (TFLite's quantize_model job). */
export async function quantizeTfliteInt8(bytes: Uint8Array, calibration: CalibrationOptions, int8: Int8Options = {}): Promise<Int8Result> {
  return quantizeModelToInt8(readTflite(bytes), calibration, int8);
}

/**
 * The library API: the one module that knows the whole flow. The CLI is a thin layer over it.
 */
import { writeTflite } from '../export/tflite.js';
import { importModel } from '../import/index.js';
import { readTflite } from '../import/tflite.js';
import { withFile } from '../util/errors.js';
import { readModelFile, shardReader } from './files.js';
import { inspectImport, type InspectReport } from './inspect.js';

export { ConverterError, DatasetError, GraphError, InterruptedError, ModelFormatError, UnsupportedError, UsageError } from '../util/errors.js';
export { detectFormat, importModel, type ImportResult, type ModelFormat, type SavedModelChoice } from '../import/index.js';
export { writeTflite } from '../export/tflite.js';
export { readTflite } from '../import/tflite.js';
export { Graph, Model } from '../ir/graph.js';
export { Tensor } from '../ir/tensor.js';
export type { Op, TfOp, TflOp } from '../ir/op.js';
export { verifyModel } from '../ir/verify.js';
export { formatInspectReport, inspectBytes, type InspectReport, type TensorSummary } from './inspect.js';
export { writeFileAtomic, writeFileAtomicStream } from './files.js';

/** Reads and imports a model file; errors name the file. */
export function loadModelFile(file: string): ReturnType<typeof importModel> {
  const bytes = readModelFile(file);
  try {
    return importModel(bytes, file, shardReader(file));
  } catch (err) {
    throw withFile(err, file);
  }
}

export function inspectFile(file: string): { report: InspectReport; size: number } {
  const bytes = readModelFile(file);
  try {
    return { report: inspectImport(importModel(bytes, file, shardReader(file))), size: bytes.length };
  } catch (err) {
    throw withFile(err, file);
  }
}

/**
 * Reads a .tflite into the IR and writes it back: the identity conversion, which exercises the
 * reader, the IR and the writer end to end.
 */
export function reserializeTflite(bytes: Uint8Array): Uint8Array {
  return writeTflite(readTflite(bytes));
}
export {
  convertGraphDef,
  convertGraphDefToFile,
  type ConversionFileResult,
  type ConversionOptions,
  type ConversionReport,
  type ConversionResult,
  type ConvertOptions,
  type WeightQuantization,
} from './convert.js';
export { TFLiteConverter } from './converter.js';
export { calibrateModel, readRangesFile, type CalibrationOptions, type CalibrationReport } from './calibrate.js';
export { convertGraphDefInt8, quantizeCalibratedInt8, quantizeModelToInt8, quantizeTfliteInt8, type InferenceType, type Int8Options, type Int8Result } from './quantize-int8.js';
export { decodeImage, resizeBilinear, toLuminance, type DecodedImage, type Pixels } from '../calibrate/images.js';

/**
 * GraphDef → .tflite: import, run the float pipeline, give the model what TFLite files carry
 * (a serving_default signature, runtime-version and converter metadata), and write it.
 */
import { tflitePieces, writeTflite } from '../export/tflite.js';
import { importModel, type SavedModelChoice } from '../import/index.js';
import type { ShardReader } from '../import/tfjs.js';
import type { Model } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import { opTypeName } from '../ir/op.js';
import { FLOAT_PIPELINE, runPipeline, type StepReport } from '../passes/pipeline.js';
import type { ConversionOptions, PassContext } from '../passes/pass.js';
import { REGISTRY } from '../ops/registry.js';
import { quantizeWeightsFloat16 } from '../quantize/float16.js';
import { quantizeWeightsDynamicRange } from '../quantize/dynamic-range.js';
import { encodeRuntimeVersionMetadata, minRuntimeVersion } from '../ops/runtime-version.js';
import { UsageError } from '../util/errors.js';
import { CONVERTER_NAME, CONVERTER_VERSION } from '../util/version.js';
import { writeFileAtomicPieces } from './files.js';
import { attachWeightParams, detachWeightParams } from './quantize-qat.js';

export type { ConversionOptions } from '../passes/pass.js';

/** Post-training weight quantization: int8 weights for hybrid kernels, or float16 weights. */
export type WeightQuantization = 'dynamic' | 'float16';

export interface ConvertOptions extends ConversionOptions {
  /** `quantizeToFloat16: true` is the older spelling of `quantize: 'float16'`. */
  quantize?: WeightQuantization | undefined;
  /** For a SavedModel: the meta graph (tags) and signature to convert (import/index.ts). */
  savedModel?: SavedModelChoice | undefined;
}

export interface ConversionResult {
  tflite: Uint8Array;
  model: Model;
  steps: StepReport[];
  notices: string[];
  /** Op histogram of the source graph and of the result. */
  opsBefore: Record<string, number>;
  opsAfter: Record<string, number>;
}

function histogram(model: Model): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const op of model.main.ops) counts[opTypeName(op)] = (counts[opTypeName(op)] ?? 0) + 1;
  return counts;
}

/** What a conversion reports besides its output. */
export type ConversionReport = Omit<ConversionResult, 'tflite'>;

/** A conversion written to a file (`convertGraphDefToFile`). */
export interface ConversionFileResult extends ConversionReport {
  /** Size of the written .tflite. */
  bytesWritten: number;
}

/**
 * Converts a frozen GraphDef (binary or text) or a tfjs graph model's model.json held in `bytes`;
 * `name` helps format detection, `readShard` reads a tfjs model's weight files.
 */
export function convertGraphDef(
  bytes: Uint8Array,
  name: string,
  options: ConvertOptions = {},
  readShard?: ShardReader,
  progress?: PassContext['progress'],
): ConversionResult {
  const report = convertModel(bytes, name, options, readShard, progress);
  const tflite = withoutWeightParams(report.model, () => writeTflite(report.model));
  return { tflite, ...report };
}

/**
 * `convertGraphDef` writing the .tflite to `outFile` (atomically, as `writeFileAtomic`) as it is
 * produced, instead of returning it: large weights go from the input (or, for transposed
 * layouts, through a small piece of memory) straight to the file, so a large model's conversion
 * holds little more than its input, and weight layouts are computed while the previous piece is
 * being written. The file's bytes are those `convertGraphDef` returns. The conversion itself runs
 * before the first await.
 */
export async function convertGraphDefToFile(
  bytes: Uint8Array,
  name: string,
  outFile: string,
  options: ConvertOptions = {},
  readShard?: ShardReader,
  progress?: PassContext['progress'],
): Promise<ConversionFileResult> {
  const report = convertModel(bytes, name, options, readShard, progress);
  const fakeQuantWeights = detachWeightParams(report.model);
  try {
    const bytesWritten = await writeFileAtomicPieces(outFile, tflitePieces(report.model));
    return { bytesWritten, ...report };
  } finally {
    attachWeightParams(fakeQuantWeights);
  }
}

/** Import and the pipeline: the model ready for export (signature and metadata included). */
function convertModel(
  bytes: Uint8Array,
  name: string,
  options: ConvertOptions,
  readShard: ShardReader | undefined,
  progress: PassContext['progress'] | undefined,
): ConversionReport {
  const { format, model } = importModel(bytes, name, readShard, options.savedModel);
  if (format === 'tflite') throw new UsageError('this is already a .tflite model, not a GraphDef');
  if (format === 'saved_model' || format === 'meta_graph') refuseVariables(model, format);
  const opsBefore = histogram(model);
  const notices: string[] = [];
  const steps = runPipeline(model, FLOAT_PIPELINE, { registry: REGISTRY, options, notice: (m) => notices.push(m), progress });
  const quantize = weightQuantization(options);
  if (quantize === 'float16') {
    steps.push({ pass: 'float16-weights', summary: quantizeWeightsFloat16(model, REGISTRY), opsAfter: model.main.ops.length });
  } else if (quantize === 'dynamic') {
    steps.push({ pass: 'dynamic-range-weights', summary: quantizeWeightsDynamicRange(model, REGISTRY), opsAfter: model.main.ops.length });
  }
  finishForExport(model);
  return { model, steps, notices, opsBefore, opsAfter: histogram(model) };
}

/** TF ops that hold or read variables, or call TF2 functions: a graph with them is not frozen. */
const UNFROZEN_OPS = new Set(['VariableV2', 'Variable', 'VarHandleOp', 'ReadVariableOp', 'AssignVariableOp', 'StatefulPartitionedCall', 'PartitionedCall']);

/**
 * A SavedModel's or checkpoint's graph converts when it is frozen already (constants, no
 * variables: e.g. an exported inference graph); one that reads variables or calls TF2 functions
 * is refused with the nodes that do, and how to freeze it.
 */
function refuseVariables(model: Model, format: 'saved_model' | 'meta_graph'): void {
  const unfrozen = model.main.ops.filter((op) => op.dialect === 'tf' && UNFROZEN_OPS.has(op.type));
  if (unfrozen.length === 0) return;
  const listed = unfrozen.slice(0, 5).map((op) => `${opTypeName(op)} "${op.name}"`).join(', ');
  const more = unfrozen.length > 5 ? ` and ${unfrozen.length - 5} more` : '';
  throw new UsageError(
    `this ${format === 'saved_model' ? 'SavedModel' : 'meta graph'} reads variables or calls functions (${listed}${more}): ` +
      'freeze it into a GraphDef first (tf.compat.v1.graph_util.convert_variables_to_constants, or convert_variables_to_constants_v2 for TF2)',
  );
}

/** FakeQuant'd weights carry their parameters for int8 quantization only, not in the float file. */
function withoutWeightParams<T>(model: Model, write: () => T): T {
  const fakeQuantWeights = detachWeightParams(model);
  try {
    return write();
  } finally {
    attachWeightParams(fakeQuantWeights);
  }
}

function weightQuantization(options: ConvertOptions): WeightQuantization | undefined {
  if (options.quantizeToFloat16 && options.quantize !== undefined && options.quantize !== 'float16') {
    throw new UsageError(`quantizeToFloat16 conflicts with quantize: '${options.quantize}'`);
  }
  return options.quantize ?? (options.quantizeToFloat16 ? 'float16' : undefined);
}

/**
 * Signature names are the node names (`x` for tensor `x:0`); where two outputs of one node are
 * both exported, `s:1` is named `s_1` so names stay unique.
 */
function signatureEntries(tensors: readonly Tensor[]): { name: string; tensor: Tensor }[] {
  const taken = new Set<string>();
  return tensors.map((tensor) => {
    let name = tensor.name.replace(/:0$/, '');
    if (name.includes(':') || taken.has(name)) name = name.replace(/:/g, '_');
    while (taken.has(name)) name = `${name}_`;
    taken.add(name);
    return { name, tensor };
  });
}

/** What every .tflite we write carries besides the graph. */
export function finishForExport(model: Model): void {
  const graph = model.main;
  graph.name = 'main';
  model.description = `${CONVERTER_NAME} ${CONVERTER_VERSION}`;
  model.signatures = [{ key: 'serving_default', subgraph: 0, inputs: signatureEntries(graph.inputs), outputs: signatureEntries(graph.outputs) }];
  const opCodes = model.graphs.flatMap((g) => g.ops.flatMap((op) => (op.dialect === 'tfl' ? [{ builtin: op.builtin, version: op.version }] : [])));
  model.metadata = [
    { name: 'min_runtime_version', data: encodeRuntimeVersionMetadata(minRuntimeVersion(opCodes)) },
    { name: 'converter', data: new TextEncoder().encode(`${CONVERTER_NAME} ${CONVERTER_VERSION}`) },
  ];
}

/**
 * The command line. Flags follow TensorFlow's `tflite_convert` (snake_case) with kebab-case
 * aliases. This is the only place that prints errors and chooses exit codes:
 * 0 success, 1 a failure (bad model, unsupported feature), 2 a usage error.
 */
import yargs, { type Argv } from 'yargs';
import {
  ConverterError,
  InterruptedError,
  detectFormat,
  formatInspectReport,
  ModelFormatError,
  inspectFile,
  reserializeTflite,
  UsageError,
  writeFileAtomic,
} from '../api/index.js';
import { convertGraphDef, convertGraphDefToFile, type ConversionFileResult, type ConversionResult, type ConvertOptions, type WeightQuantization } from '../api/convert.js';
import type { CalibrationReport } from '../api/calibrate.js';
import { readModelFileAsync, shardReader } from '../api/files.js';
import { readTflite, type Model } from '../api/index.js';
import { checkInt8Options, type InferenceType, type Int8Options } from '../api/quantize-int8.js';
import { withFile } from '../util/errors.js';
import { calibrationFlags, commaList, int8Flags, int8OpsOnly, type IntegerMode } from './quantize-flags.js';
import { runCommand } from './run.js';
import { checkDebugArgs, debugFlags, quantizeWithDebugger, type DebugArgs } from './quantize-debug.js';
import { calibrateIfAsked, hasDataset, type CalibrationArgs, type CliIo } from './calibration.js';
import { savedModelChoice, savedModelFile, savedModelFlags, type SavedModelArgs } from './saved-model-flags.js';
import { tocoInferenceType, tocoRanges } from './toco-flags.js';

export type { CliIo } from './calibration.js';

const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  stderr: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

/** Runs the CLI on `args` (without node and script); returns the exit code. */
export async function main(args: string[], io: CliIo = processIo): Promise<number> {
  const verbose = args.includes('--verbose');
  try {
    await buildParser(args, io).parseAsync();
    return 0;
  } catch (err) {
    return report(err, io, verbose);
  }
}

function report(err: unknown, io: CliIo, verbose: boolean): number {
  if (err instanceof ConverterError) {
    io.stderr(`tflite-convert: ${err instanceof InterruptedError ? '' : 'error: '}${err.describe()}`);
    if (verbose && err.stack) io.stderr(err.stack);
    // 130: the shell's code for a command ended by SIGINT.
    return err instanceof UsageError ? 2 : err instanceof InterruptedError ? 130 : 1;
  }
  // Anything else is a bug of ours: say so, and keep the trace for --verbose.
  const message = err instanceof Error ? err.message : String(err);
  io.stderr(`tflite-convert: internal error: ${message}${verbose ? '' : ' (run with --verbose for details)'}`);
  if (verbose && err instanceof Error && err.stack) io.stderr(err.stack);
  return 1;
}

function buildParser(args: string[], io: CliIo): Argv {
  return yargs(args)
    .scriptName('tflite-convert')
    .usage('$0 [input] [options]\n\nConvert TensorFlow models to TensorFlow Lite.')
    .parserConfiguration({ 'camel-case-expansion': false })
    .option('verbose', { type: 'boolean', default: false, describe: 'Print stack traces with errors' })
    .option('quiet', { type: 'boolean', default: false, describe: 'Print nothing but errors: no summary, notices or progress' })
    .command(runCommand(io))
    .command(
      'inspect <file>',
      'Summarize a model: inputs, outputs, op histogram, parameters',
      (y) =>
        y
          .positional('file', { type: 'string', demandOption: true, describe: '.pb, .pbtxt or .tflite file' })
          .option('json', { type: 'boolean', default: false, describe: 'Print one JSON object' }),
      (argv) => {
        const { report, size } = inspectFile(argv.file);
        io.stdout(argv.json ? JSON.stringify(report) : formatInspectReport(report, argv.file, size));
      },
    )
    .command(
      'quantize <input>',
      'Quantize a float .tflite to full integer (TFLite\'s quantize_model job)',
      (y) =>
        debugFlags(calibrationFlags(
          int8Flags(
            savedModelFlags(y)
              .positional('input', { type: 'string', demandOption: true, describe: 'Float .tflite model' })
              .option('output_file', { alias: ['output-file', 'o'], type: 'string', describe: 'Output .tflite file' })
              .option('quantize', {
                type: 'string',
                default: 'int8',
                describe: 'Quantization mode: int8 (full integer; needs --representative_dataset unless the model has FakeQuant ranges), or int16x8 (int16 activations, int8 weights)',
              }),
          ),
        )),
      async (argv) => {
        if (argv.quantize !== 'int8' && argv.quantize !== 'int16x8') throw new UsageError(`quantize: --quantize ${argv.quantize} is not supported (only int8 and int16x8)`);
        // The convert command's .tflite int8 path, with the conversion flags at their defaults.
        const defaults = { inference_type: 'FLOAT', allow_custom_ops: false, quantize_to_float16: false, post_training_quantize: false, drop_control_dependency: true };
        await convert({ ...argv, ...defaults, input: undefined, tflite_file: argv.input }, io);
      },
    )
    .command(
      '$0 [input]',
      'Convert a model to .tflite',
      (y) =>
        debugFlags(calibrationFlags(
          int8Flags(
            savedModelFlags(y)
              .positional('input', { type: 'string', describe: 'Input model (format detected from its content)' })
              .option('tflite_file', { alias: 'tflite-file', type: 'string', describe: 'Input .tflite to read and rewrite' })
              .option('graph_def_file', { alias: 'graph-def-file', type: 'string', describe: 'Input frozen GraphDef (.pb/.pbtxt)' })
              .option('tfjs_graph_model', { alias: 'tfjs-graph-model', type: 'string', describe: 'Input tfjs graph model (model.json beside its weight shards)' })
              .option('output_file', { alias: ['output-file', 'o'], type: 'string', describe: 'Output .tflite file' })
              .option('input_arrays', { alias: 'input-arrays', type: 'string', describe: 'Comma-separated input node names (default: the Placeholders)' })
              .option('output_arrays', { alias: 'output-arrays', type: 'string', describe: 'Comma-separated output node names (default: nodes nobody reads)' })
              .option('input_shapes', { alias: 'input-shapes', type: 'string', describe: 'Input shapes, colon-separated per input: 1,224,224,3:1,10' })
              .option('inference_type', {
                alias: 'inference-type',
                type: 'string',
                default: 'FLOAT',
                describe: "FLOAT, or TOCO's QUANTIZED_UINT8 / INT8: full integer with inputs and outputs of that type (--mean_values/--std_dev_values per input, --default_ranges_min/max)",
              })
              .option('default_ranges_min', { alias: 'default-ranges-min', type: 'number', describe: 'With a quantized --inference_type: low end of the range of activations no FakeQuant covers' })
              .option('default_ranges_max', { alias: 'default-ranges-max', type: 'number', describe: 'With a quantized --inference_type: high end of that range' })
              .option('allow_custom_ops', { alias: 'allow-custom-ops', type: 'boolean', default: false, describe: 'Emit unsupported TF ops as CUSTOM ops' })
              .option('quantize_to_float16', { alias: 'quantize-to-float16', type: 'boolean', default: false, describe: 'Store weights as float16 (same as --quantize float16)' })
              .option('quantize', {
                type: 'string',
                describe:
                  'Quantization mode: dynamic (int8 weights, hybrid kernels), float16, int8 (full integer; needs --representative_dataset unless the model has FakeQuant ranges), ' +
                  'or int16x8 (int16 activations, int8 weights; needs --representative_dataset)',
              })
              .option('post_training_quantize', { alias: 'post-training-quantize', type: 'boolean', default: false, describe: 'Quantize weights to int8 (same as --quantize dynamic; with --quantize_to_float16, float16)' })
              .option('drop_control_dependency', { alias: 'drop-control-dependency', type: 'boolean', default: true, describe: 'Ignore control edges (TFLite has none)' }),
          ),
        )),
      async (argv) => convert(argv, io),
    )
    .strict()
    .help()
    .version(false)
    .exitProcess(false)
    .fail((message, err) => {
      if (err) throw err;
      throw new UsageError(message);
    });
}

interface ConvertArgs extends CalibrationArgs, DebugArgs, SavedModelArgs {
  input?: string | undefined;
  tflite_file?: string | undefined;
  graph_def_file?: string | undefined;
  tfjs_graph_model?: string | undefined;
  output_file?: string | undefined;
  input_arrays?: string | undefined;
  output_arrays?: string | undefined;
  input_shapes?: string | undefined;
  inference_type: string;
  allow_custom_ops: boolean;
  quantize_to_float16: boolean;
  quantize?: string | undefined;
  post_training_quantize: boolean;
  inference_input_type: string;
  inference_output_type: string;
  disable_per_channel: boolean;
  target_ops: string;
  denylist_nodes?: string | undefined;
  denylist_ops?: string | undefined;
  drop_control_dependency: boolean;
  default_ranges_min?: number | undefined;
  default_ranges_max?: number | undefined;
}

function list(value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

/** TF's --input_shapes: shapes separated by ':', dimensions by ','; an empty shape is a scalar. */
export function parseInputShapes(value: string | undefined): number[][] | undefined {
  if (value === undefined) return undefined;
  return value.split(':').map((shape) =>
    shape.trim() === ''
      ? []
      : shape.split(',').map((d) => {
          const n = Number(d.trim());
          if (!Number.isInteger(n) || n < -1) throw new UsageError(`--input_shapes: "${d}" is not a dimension in "${value}"`);
          return n;
        }),
  );
}

/**
 * --quantize, or TF's older flags: --post_training_quantize alone is dynamic range, with
 * --quantize_to_float16 (or that flag alone) float16.
 */
function weightQuantization(argv: ConvertArgs): WeightQuantization | undefined {
  if (argv.quantize !== undefined && argv.quantize !== 'float16' && argv.quantize !== 'dynamic' && integerMode(argv) === null) {
    throw new UsageError(`--quantize ${argv.quantize} is not supported yet (only dynamic, float16, int8 and int16x8)`);
  }
  // int8 and int16x8 run after calibration, on the converted model (int8Options).
  if (integerMode(argv) !== null) {
    if (argv.quantize_to_float16 || argv.post_training_quantize) throw new UsageError(`--quantize ${argv.quantize} conflicts with --quantize_to_float16 and --post_training_quantize`);
    return undefined;
  }
  if (argv.quantize === 'dynamic' && argv.quantize_to_float16) {
    throw new UsageError('--quantize dynamic conflicts with --quantize_to_float16');
  }
  if (argv.quantize === 'float16' || argv.quantize_to_float16) return 'float16';
  return argv.quantize === 'dynamic' || argv.post_training_quantize ? 'dynamic' : undefined;
}

function conversionOptions(argv: ConvertArgs): ConvertOptions {
  // A quantized --inference_type quantizes after converting (int8Options); this checks it.
  tocoInferenceType(argv);
  if (!argv.drop_control_dependency) {
    throw new UsageError('--drop_control_dependency=false is not supported: TFLite has no control dependencies');
  }
  return {
    quantize: weightQuantization(argv),
    inputArrays: list(argv.input_arrays),
    outputArrays: list(argv.output_arrays),
    inputShapes: parseInputShapes(argv.input_shapes),
    allowCustomOps: argv.allow_custom_ops,
    savedModel: savedModelChoice(argv),
  };
}

async function convert(argv: ConvertArgs, loud: CliIo): Promise<void> {
  // --quiet: summaries, notices and progress go nowhere; errors are thrown and still printed.
  const io: CliIo = argv.quiet ? { stdout: () => {}, stderr: () => {} } : loud;
  const sources = [argv.input, argv.tflite_file, argv.graph_def_file, argv.tfjs_graph_model, savedModelFile(argv)].filter((s): s is string => s !== undefined);
  if (sources.length === 0) throw new UsageError('no input model: give a file, --graph_def_file, --saved_model_dir, --tfjs_graph_model or --tflite_file');
  if (sources.length > 1) throw new UsageError(`more than one input model given: ${sources.join(', ')}`);
  if (argv.output_file === undefined) throw new UsageError('no output file: give --output_file (or -o)');
  const input = sources[0]!;
  const bytes = await readModelFileAsync(input);
  let out: Uint8Array;
  let summary: string;
  let calibration: CalibrationReport | null = null;
  try {
    // --tflite_file insists on a .tflite, --graph_def_file on a TF graph; a positional input is
    // whatever its bytes say it is.
    const format = argv.tflite_file !== undefined ? 'tflite' : detectFormat(bytes, input);
    if (argv.graph_def_file !== undefined && format === 'tflite') {
      throw new ModelFormatError('this is a .tflite model, not a GraphDef (use --tflite_file)');
    }
    const int8 = int8Options(argv);
    checkDebugArgs(argv);
    if (format === 'tflite' && int8 !== null) {
      const model = readTflite(bytes);
      checkInt8Options(model, int8);
      calibration = await calibrateForInt8(argv, model, io);
      const result = await quantizeWithDebugger(argv, bytes, model, calibration, int8, `${input} (${argv.quantize})`, io);
      out = result.tflite;
      summary = `${input}: ${result.summary}`;
    } else if (format === 'tflite') {
      out = reserializeTflite(bytes);
      summary = `re-serialized ${input}`;
    } else {
      if (argv.tfjs_graph_model !== undefined && format !== 'tfjs') {
        throw new ModelFormatError(`this is a ${format} model, not a tfjs graph model's model.json`);
      }
      if (argv.saved_model_dir !== undefined && format !== 'saved_model') throw new ModelFormatError(`this is a ${format} model, not a SavedModel`);
      const progress = argv.quiet ? undefined : terminalProgress();
      const wantsCalibration = argv.calibration_output !== undefined || argv.mean_values !== undefined || argv.std_dev_values !== undefined;
      if (int8 === null && !hasDataset(argv) && !wantsCalibration) {
        // A plain conversion streams its weights from the input into the file: a large model's
        // peak memory stays near its own size (test/bench/README.md).
        let written: ConversionFileResult;
        try {
          written = await convertGraphDefToFile(bytes, input, argv.output_file, conversionOptions(argv), shardReader(input), progress?.update);
        } finally {
          progress?.done();
        }
        for (const notice of written.notices) io.stderr(`tflite-convert: notice: ${notice}`);
        io.stdout(`${conversionSummary(input, written)}\nwrote ${argv.output_file} (${written.bytesWritten.toLocaleString('en-US')} bytes)`);
        return;
      }
      let result: ConversionResult;
      try {
        result = convertGraphDef(bytes, input, conversionOptions(argv), shardReader(input), progress?.update);
      } finally {
        progress?.done();
      }
      out = result.tflite;
      summary = conversionSummary(input, result);
      // The conversion's notices wait for the int8 step: whether it needs a dataset is known only
      // now (FakeQuant ranges), and a usage error stays one line.
      if (int8 !== null) {
        checkInt8Options(result.model, int8);
        calibration = await calibrateForInt8(argv, result.model, io);
        const quantized = await quantizeWithDebugger(argv, result.tflite, result.model, calibration, int8, `${input} (${argv.quantize})`, io);
        out = quantized.tflite;
        summary += `\n${quantized.summary}`;
      } else {
        calibration = await calibrateIfAsked(argv, result.model, io);
      }
      for (const notice of result.notices) io.stderr(`tflite-convert: notice: ${notice}`);
    }
  } catch (err) {
    throw withFile(err, input);
  }
  if (calibration !== null && argv.calibration_output !== undefined) {
    writeFileAtomic(argv.calibration_output, new TextEncoder().encode(`${JSON.stringify(calibration.ranges, null, 1)}\n`));
    summary += `\ncalibrated ${Object.keys(calibration.ranges).length} tensors on ${calibration.samples} samples; wrote ${argv.calibration_output}`;
  }
  writeFileAtomic(argv.output_file, out);
  io.stdout(`${summary}\nwrote ${argv.output_file} (${out.length.toLocaleString('en-US')} bytes)`);
}

function inferenceType(value: string, flag: string): InferenceType {
  const upper = value.toUpperCase();
  if (upper === 'FLOAT' || upper === 'FLOAT32') return 'float32';
  if (upper === 'INT8') return 'int8';
  if (upper === 'UINT8') return 'uint8';
  if (upper === 'INT16') return 'int16';
  throw new UsageError(`${flag} ${value} is not supported (FLOAT, INT8, UINT8 or INT16)`);
}

/** The full-integer mode --quantize asks for, if any. */
function integerMode(argv: ConvertArgs): IntegerMode | null {
  if (argv.quantize === 'int8' || argv.quantize === 'int16x8') return argv.quantize;
  return tocoInferenceType(argv) !== null ? 'int8' : null;
}

/** The full-integer settings when --quantize int8 or int16x8 is asked for; null otherwise. */
function int8Options(argv: ConvertArgs): Int8Options | null {
  const mode = integerMode(argv);
  const opsOnly = int8OpsOnly(argv.target_ops, mode);
  if (mode === null) {
    if (argv.denylist_nodes !== undefined || argv.denylist_ops !== undefined) throw new UsageError('--denylist_nodes/--denylist_ops need --quantize int8 or int16x8');
    return null;
  }
  // 16x8 has no quantization-aware form: it always calibrates.
  if (mode === 'int16x8' && argv.representative_dataset === undefined && argv.calibration_input === undefined) {
    throw new UsageError('--quantize int16x8 needs --representative_dataset or --calibration_input');
  }
  // Without a dataset the model must bring FakeQuant ranges (quantization-aware training); that
  // is known once it is converted, so quantizeCalibratedInt8 checks it.
  // TOCO's quantized --inference_type is also the model's input and output type, unless given.
  const toco = tocoInferenceType(argv);
  const ioType = (value: string, flag: string) => (toco !== null && inferenceType(value, flag) === 'float32' ? toco : inferenceType(value, flag));
  return {
    ...(toco !== null ? tocoRanges(argv) : {}),
    perChannel: !argv.disable_per_channel,
    inferenceInputType: ioType(argv.inference_input_type, '--inference_input_type'),
    inferenceOutputType: ioType(argv.inference_output_type, '--inference_output_type'),
    int8OpsOnly: opsOnly,
    activations: mode === 'int16x8' ? 'int16' : 'int8',
    denylist: { nodes: commaList(argv.denylist_nodes), ops: commaList(argv.denylist_ops) },
  };
}

/** The calibration for int8 when a dataset is given; null lets a QAT model's FakeQuant ranges do. */
async function calibrateForInt8(argv: ConvertArgs, model: Model, io: CliIo): Promise<CalibrationReport | null> {
  // With TOCO's quantized --inference_type, --mean_values/--std_dev_values are the inputs' stats.
  if (tocoInferenceType(argv) !== null && !hasDataset(argv)) return null;
  return calibrateIfAsked(argv, model, io);
}

/** On a terminal, one self-overwriting status line per pipeline step; nothing otherwise. */
function terminalProgress(): { update: (step: string, index: number, total: number) => void; done: () => void } | undefined {
  if (!process.stderr.isTTY) return undefined;
  return {
    update: (step, index, total) => process.stderr.write(`\r\x1b[K[${index + 1}/${total}] ${step}…`),
    done: () => process.stderr.write('\r\x1b[K'),
  };
}

function formatHistogram(counts: Record<string, number>): string {
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([op, n]) => (n > 1 ? `${op}×${n}` : op))
    .join(', ');
}

/** One paragraph: what came in, what each pass did, what went out. */
function conversionSummary(input: string, result: Pick<ConversionResult, 'opsBefore' | 'opsAfter' | 'steps'>): string {
  const before = Object.values(result.opsBefore).reduce((a, b) => a + b, 0);
  const after = Object.values(result.opsAfter).reduce((a, b) => a + b, 0);
  const steps = result.steps.filter((s) => s.summary !== '').map((s) => `${s.pass}: ${s.summary}`);
  return `converted ${input}: ${before} TF ops → ${after} TFLite ops (${formatHistogram(result.opsAfter)}). ${steps.join('; ')}.`;
}

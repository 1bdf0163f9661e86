/**
 * The command line. Flags follow TensorFlow's `tflite_convert` (snake_case) with kebab-case
 * aliases. This is the only place that prints errors and chooses exit codes:
 * 0 success, 1 a failure (bad model, unsupported feature), 2 a usage error.
 */
import yargs, { type Argv } from 'yargs';
import {
  ConverterError,
  detectFormat,
  formatInspectReport,
  ModelFormatError,
  inspectFile,
  reserializeTflite,
  UnsupportedError,
  UsageError,
  writeFileAtomic,
} from '../api/index.js';
import { readModelFile } from '../api/files.js';
import { withFile } from '../util/errors.js';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

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
    io.stderr(`tflite-convert: error: ${err.describe()}`);
    if (verbose && err.stack) io.stderr(err.stack);
    return err instanceof UsageError ? 2 : 1;
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
      '$0 [input]',
      'Convert a model to .tflite',
      (y) =>
        y
          .positional('input', { type: 'string', describe: 'Input model (format detected from its content)' })
          .option('tflite_file', { alias: 'tflite-file', type: 'string', describe: 'Input .tflite to read and rewrite' })
          .option('graph_def_file', { alias: 'graph-def-file', type: 'string', describe: 'Input frozen GraphDef (.pb/.pbtxt)' })
          .option('output_file', { alias: ['output-file', 'o'], type: 'string', describe: 'Output .tflite file' }),
      (argv) => convert(argv, io),
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

interface ConvertArgs {
  input?: string | undefined;
  tflite_file?: string | undefined;
  graph_def_file?: string | undefined;
  output_file?: string | undefined;
}

function convert(argv: ConvertArgs, io: CliIo): void {
  const sources = [argv.input, argv.tflite_file, argv.graph_def_file].filter((s): s is string => s !== undefined);
  if (sources.length === 0) throw new UsageError('no input model: give a file, --tflite_file or --graph_def_file');
  if (sources.length > 1) throw new UsageError(`more than one input model given: ${sources.join(', ')}`);
  if (argv.output_file === undefined) throw new UsageError('no output file: give --output_file (or -o)');
  const input = sources[0]!;
  const bytes = readModelFile(input);
  if (argv.graph_def_file !== undefined) {
    const format = detectFormat(bytes, input);
    if (format === 'tflite') {
      throw new ModelFormatError('this is a .tflite model, not a GraphDef (use --tflite_file)', { file: input });
    }
    throw new UnsupportedError('converting TensorFlow graphs is not implemented yet; only .tflite re-serialization is', {
      file: input,
    });
  }
  let out: Uint8Array;
  try {
    // --tflite_file insists on a .tflite; a positional input is whatever its bytes say it is.
    const format = argv.tflite_file !== undefined ? 'tflite' : detectFormat(bytes, input);
    if (format !== 'tflite') {
      throw new UnsupportedError(`converting ${format} models is not implemented yet; only .tflite re-serialization is`);
    }
    out = reserializeTflite(bytes);
  } catch (err) {
    throw withFile(err, input);
  }
  writeFileAtomic(argv.output_file, out);
  io.stdout(`wrote ${argv.output_file} (${out.length.toLocaleString('en-US')} bytes)`);
}

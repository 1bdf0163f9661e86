/**
 * tflite_convert's SavedModel input: `--saved_model_dir DIR` (DIR/saved_model.pb),
 * `--saved_model_tag_set serve` (comma-separated tags of the meta graph to take) and
 * `--saved_model_signature_key serving_default` (the signature whose inputs and outputs the
 * converted model gets). The graph must be frozen already: one that reads variables is refused
 * with the nodes that do (api/convert.ts).
 */
import path from 'node:path';
import type { Argv } from 'yargs';
import type { SavedModelChoice } from '../api/index.js';
import { UsageError } from '../api/index.js';

export interface SavedModelArgs {
  saved_model_dir?: string | undefined;
  saved_model_tag_set?: string | undefined;
  saved_model_signature_key?: string | undefined;
}

export function savedModelFlags<T>(y: Argv<T>): Argv<T & SavedModelArgs> {
  return y
    .option('saved_model_dir', { alias: 'saved-model-dir', type: 'string', describe: 'Input SavedModel folder (its saved_model.pb; the graph must hold no variables)' })
    .option('saved_model_tag_set', { alias: 'saved-model-tag-set', type: 'string', describe: 'Comma-separated tags of the SavedModel meta graph to convert (default: serve)' })
    .option('saved_model_signature_key', { alias: 'saved-model-signature-key', type: 'string', describe: 'SavedModel signature giving the inputs and outputs (default: serving_default)' });
}

/** The saved_model.pb a --saved_model_dir names, or undefined without the flag. */
export function savedModelFile(argv: SavedModelArgs): string | undefined {
  return argv.saved_model_dir === undefined ? undefined : path.join(argv.saved_model_dir, 'saved_model.pb');
}

/** The meta graph and signature the flags choose; usage errors for flags without --saved_model_dir. */
export function savedModelChoice(argv: SavedModelArgs): SavedModelChoice | undefined {
  if (argv.saved_model_dir === undefined) {
    if (argv.saved_model_tag_set !== undefined || argv.saved_model_signature_key !== undefined) {
      throw new UsageError('--saved_model_tag_set and --saved_model_signature_key apply to --saved_model_dir');
    }
    return undefined;
  }
  const tags = argv.saved_model_tag_set?.split(',').map((t) => t.trim()).filter((t) => t !== '');
  return { tags, signatureKey: argv.saved_model_signature_key };
}

/**
 * Typed errors thrown by the library. Only the CLI turns them into a message and an exit code;
 * library code never prints or exits.
 */

/** Everything the library throws on purpose derives from this. */
export class ConverterError extends Error {
  /** The file the problem is in, when there is one. */
  readonly file: string | undefined;

  constructor(message: string, options: { file?: string | undefined; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.file = options.file;
  }

  /** One line for a user: `file: message`. */
  describe(): string {
    return this.file === undefined ? this.message : `${this.file}: ${this.message}`;
  }
}

/** A model file that is not what it claims to be: truncated, corrupt, wrong format. */
export class ModelFormatError extends ConverterError {}

/** A model that parses but that we cannot handle (unsupported op, dtype, shape...). */
export class UnsupportedError extends ConverterError {}

/** A graph that breaks an IR invariant: a bug in an importer or a pass, or a malformed model. */
export class GraphError extends ConverterError {}

/** A representative dataset that cannot be used: wrong shapes, NaN, a script that throws. */
export class DatasetError extends ConverterError {}

/** The user stopped the work (Ctrl-C, an AbortSignal); nothing was written. */
export class InterruptedError extends ConverterError {}

/** Wrong command-line or API usage: missing flag, bad value. The CLI exits 2 for these. */
export class UsageError extends ConverterError {}

/** Attach a file name to a ConverterError that lacks one; wrap anything else as `fallback`. */
export function withFile(err: unknown, file: string): ConverterError {
  if (err instanceof ConverterError) {
    if (err.file !== undefined) return err;
    const copy = new (err.constructor as new (m: string, o: { file: string; cause: unknown }) => ConverterError)(
      err.message,
      { file, cause: err.cause },
    );
    copy.stack = err.stack;
    return copy;
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ModelFormatError(message, { file, cause: err });
}

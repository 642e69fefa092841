import { ExitCode } from './errors.js';
import { UgcError } from './errors.js';
import { printable } from './terminal-text.js';

/** Prints an error as one line (plus a hint line) and returns its exit code; the stack only with --debug. */
export function reportError(stderr: NodeJS.WritableStream, error: unknown, debug: boolean): number {
  if (error instanceof UgcError) {
    // Messages echo what users and servers wrote (row names, answers): control characters are shown, never run.
    stderr.write(`error: ${printable(error.message)}\n`);
    if (error.hint) stderr.write(`${printable(error.hint)}\n`);
    if (debug && error.cause) stderr.write(`${String((error.cause as Error).stack ?? error.cause)}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  stderr.write(`error: ${printable(message.split('\n')[0] ?? '')}\n`);
  stderr.write(debug && error instanceof Error && error.stack ? `${error.stack}\n` : 'Run again with --debug for details.\n');
  return ExitCode.Error;
}

import { ExitCode, UgcError } from './errors.js';
import { printable } from './terminal-text.js';

export interface ErrorReportOptions {
  debug: boolean;
  /** `error:` in red (a person at a terminal). */
  colour: boolean;
  /** With --json: the error as a JSON object on stdout too, for a program reading it. */
  json: NodeJS.WritableStream | null;
}

/** The one way an error is shown: `error: …` (red on a terminal), a hint line, the stack only with --debug. */
export const errorLine = (message: string, colour: boolean): string => `${colour ? '\x1b[31merror:\x1b[39m' : 'error:'} ${message}\n`;

/** Prints an error as one line (plus a hint line) and returns its exit code; with --json also `{"error":{…}}` on stdout. */
export function reportError(stderr: NodeJS.WritableStream, error: unknown, options: ErrorReportOptions): number {
  const known = error instanceof UgcError;
  const message = known ? error.message : error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
  const hint = known ? error.hint : options.debug ? undefined : 'Run again with --debug for details.';
  const code = known ? error.code : 'internal_error';
  // Messages echo what users and servers wrote (row names, answers): control characters are shown, never run.
  stderr.write(errorLine(printable(message), options.colour));
  if (hint) stderr.write(`${printable(hint)}\n`);
  if (options.debug) {
    const detail = known ? (error.cause as Error | undefined) : error instanceof Error ? error : undefined;
    if (detail) stderr.write(`${String(detail.stack ?? detail)}\n`);
  }
  // One line: a JSON document on its own, and a line of its own after a command's JSON Lines.
  options.json?.write(`${JSON.stringify({ error: { code, message, hint: hint ?? null } })}\n`);
  return known ? error.exitCode : ExitCode.Error;
}

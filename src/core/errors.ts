/** Exit codes of the CLI contract (docs/cli.md). */
export const ExitCode = {
  Ok: 0,
  Error: 1,
  Usage: 2,
  Auth: 4,
  JobFailed: 5,
  Interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the CLI reports as one line (plus an optional hint line) and maps to an exit code. */
export class UgcError extends Error {
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;
  readonly code: string;

  constructor(message: string, options: { exitCode?: ExitCode; hint?: string; code?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'UgcError';
    this.exitCode = options.exitCode ?? ExitCode.Error;
    this.hint = options.hint;
    this.code = options.code ?? 'error';
  }
}

/** Bad flags or input: nothing was spent or written (exit 2). */
export class UsageError extends UgcError {
  /** The request field the problem is in (`creator`), when it is one: a batch row error names its column. */
  readonly field: string | undefined;

  constructor(message: string, hint?: string, options: { field?: string } = {}) {
    super(message, { exitCode: ExitCode.Usage, hint, code: 'invalid_input' });
    this.name = 'UsageError';
    this.field = options.field;
  }
}

/** The operation was stopped by a signal or a cancel (exit 130). */
export class InterruptedError extends UgcError {
  constructor(message = 'interrupted') {
    super(message, { exitCode: ExitCode.Interrupted, code: 'interrupted' });
    this.name = 'InterruptedError';
  }
}

import type { Context } from './context.js';
import type { Job } from './job.js';

export type Cell = string | number | null | undefined;

/** How a result shows to a person: lines of text made from it, or a table (and a line under it). */
export type Human<T> = ((value: T) => string | string[]) | TableView<T>;

export interface TableView<T> {
  readonly head: readonly string[];
  rows(value: T): Cell[][];
  footer?(value: T): string;
}

/** A table with one row per item of a list. */
export const eachRow = <I>(table: { readonly head: readonly string[]; row(item: I): Cell[] }): TableView<readonly I[]> => ({ head: table.head, rows: (items) => items.map((item) => table.row(item)) });

/**
 * Prints a command's result on stdout: with `--json` the value itself as one JSON document, else as
 * `human` says. Every command that prints a result prints it through here.
 */
export async function output<T>(ctx: Context, value: T, human: Human<T>): Promise<void> {
  if (ctx.global.json) return printJson(ctx, value);
  if (typeof human === 'function') {
    for (const line of [human(value)].flat()) printLine(ctx, line);
    return;
  }
  await printTable(ctx, human.head, human.rows(value));
  if (human.footer) printLine(ctx, human.footer(value));
}

/** A record's fields, one per line: `name         Mia`. */
export const fieldLines = (record: Record<string, unknown>): string[] =>
  Object.entries(record).map(([key, value]) => `${key.padEnd(13)}${Array.isArray(value) ? value.join(', ') : typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value)}`);

export function printJson(ctx: Context, value: unknown): void {
  ctx.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** One JSON document per line, for streaming commands. */
export function printJsonLine(ctx: Context, value: unknown): void {
  ctx.io.stdout.write(`${JSON.stringify(value)}\n`);
}

export function printLine(ctx: Context, text: string): void {
  ctx.io.stdout.write(`${text}\n`);
}

/** A hint or notice on stderr, unless --quiet. */
export function note(ctx: Context, text: string): void {
  if (!ctx.global.quiet) ctx.io.stderr.write(`${text}\n`);
}

/** What an HTTP client says before it waits to retry: a visible line instead of a silent pause. */
export const retryNotice =
  (ctx: Context) =>
  ({ delayMs, reason }: { delayMs: number; reason: string }): void =>
    note(ctx, `retrying in ${(delayMs / 1000).toFixed(delayMs < 10_000 ? 1 : 0)} s (${reason})`);

async function printTable(ctx: Context, head: readonly string[], rows: Cell[][]): Promise<void> {
  const { default: Table } = await import('cli-table3');
  const table = new Table({
    head: [...head],
    style: { head: ctx.fancy ? ['cyan'] : [], border: ctx.fancy ? ['grey'] : [] },
    chars: ctx.fancy ? {} : { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ' },
  });
  for (const row of rows) table.push(row.map((cell) => (cell === null || cell === undefined ? '' : String(cell))));
  ctx.io.stdout.write(`${table.toString()}\n`);
}

export function describeJob(job: Job): string {
  const parts = [`${job.id}  ${job.status}`];
  if (job.status === 'processing' || job.status === 'queued') parts.push(`${job.progress}%${job.stage ? ` (${job.stage})` : ''}`);
  if (job.output.path) parts.push(job.output.path);
  else if (job.output.url) parts.push(job.output.url);
  if (job.error) parts.push(`error: ${job.error.message}`);
  return parts.join('  ');
}

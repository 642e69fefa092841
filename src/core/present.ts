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
  printTable(ctx, human.head, human.rows(value));
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
    note(ctx, `retrying ${delayMs < 100 ? 'now' : `in ${(delayMs / 1000).toFixed(delayMs < 10_000 ? 1 : 0)} s`} (${reason})`);

/** Colours of job and row statuses in a table on a terminal. */
const STATUS_COLOURS: Record<string, string> = { completed: '32', failed: '31', cancelled: '33', processing: '36', queued: '2', running: '36', delivered: '32' };

// eslint-disable-next-line no-control-regex -- terminal escape sequences are what it finds
const ESCAPES = /\x1b\[[0-9;]*m/g;
const visibleWidth = (text: string) => [...text.replace(ESCAPES, '')].length;

/**
 * A compact table without borders: the header (bold on a terminal), then one line per row, columns two
 * spaces apart. Its headers are the JSON field names in capitals (`createdAt` is CREATED AT), so what a
 * person sees is what `--json`/`--jq` give. On a terminal a STATUS column is coloured, and the last column
 * is cut to the terminal's width.
 */
function printTable(ctx: Context, head: readonly string[], rows: Cell[][]): void {
  const colour = ctx.fancy && Boolean(ctx.io.stdout.isTTY);
  const statusColumn = head.indexOf('STATUS');
  const lines: string[][] = [];
  for (const row of rows) {
    const cells = row.map((cell) => (cell === null || cell === undefined ? '' : String(cell)).split('\n'));
    const height = Math.max(1, ...cells.map((c) => c.length));
    for (let i = 0; i < height; i++) lines.push(cells.map((c) => c[i] ?? ''));
  }
  const widths = head.map((h, column) => Math.max(visibleWidth(h), ...lines.map((line) => visibleWidth(line[column] ?? ''))));
  const room = colour ? (ctx.io.stdout.columns ?? 0) : 0;
  const format = (cells: readonly string[], header: boolean) => {
    let text = cells
      .map((cell, column) => {
        const padded = column === cells.length - 1 ? cell : cell + ' '.repeat(Math.max(0, (widths[column] ?? 0) - visibleWidth(cell)));
        const code = header ? '1' : column === statusColumn ? STATUS_COLOURS[cell] : undefined;
        return colour && code ? `\x1b[${code}m${padded}\x1b[0m` : padded;
      })
      .join('  ')
      .trimEnd();
    if (room > 0 && visibleWidth(text) > room) text = `${[...text.replace(ESCAPES, '')].slice(0, room - 1).join('')}…`;
    return text;
  };
  ctx.io.stdout.write(`${[format(head, true), ...lines.map((line) => format(line, false))].join('\n')}\n`);
}

/** When something happened, for a table: on a terminal "3 min ago"; elsewhere the local date and time (`2026-03-01 14:05`). */
export function when(ctx: Context, iso: string, now: number = Date.now()): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  const seconds = Math.round((now - at.getTime()) / 1000);
  if (ctx.io.stdout.isTTY && seconds >= 0 && seconds < 7 * 86_400) {
    if (seconds < 45) return 'just now';
    if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
    if (seconds < 86_400) return `${Math.round(seconds / 3600)} h ago`;
    const days = Math.round(seconds / 86_400);
    return days === 1 ? 'yesterday' : `${days} days ago`;
  }
  const two = (n: number) => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())} ${two(at.getHours())}:${two(at.getMinutes())}`;
}

export function describeJob(job: Job): string {
  const parts = [`${job.id}  ${job.status}`];
  if (job.status === 'processing' || job.status === 'queued') parts.push(`${job.progress}%${job.stage ? ` (${job.stage})` : ''}`);
  if (job.output.path) parts.push(job.output.path);
  else if (job.output.url) parts.push(job.output.url);
  if (job.error) parts.push(`error: ${job.error.message}`);
  return parts.join('  ');
}

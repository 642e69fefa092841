import type { Context } from './context.js';
import type { Job } from './job.js';

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

export async function printTable(ctx: Context, head: string[], rows: (string | number | null | undefined)[][]): Promise<void> {
  const { default: Table } = await import('cli-table3');
  const table = new Table({
    head,
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

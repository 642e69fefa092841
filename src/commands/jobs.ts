import type { Context } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import { JOB_STATUSES } from '../core/job.js';
import { printJson, printTable } from '../core/present.js';
import { relative } from 'node:path';

/** Output paths under the working directory are shown relative to it, so the table fits a terminal. */
function shortPath(cwd: string, path: string | null): string | null {
  if (!path) return null;
  const rel = relative(cwd, path);
  return rel.startsWith('..') ? path : rel;
}

export default async function jobs(ctx: Context, flags: { status?: string; limit?: string }): Promise<number> {
  if (flags.status && !(JOB_STATUSES as readonly string[]).includes(flags.status)) {
    throw new UsageError(`--status must be one of ${JOB_STATUSES.join(', ')}`);
  }
  const limit = Number(flags.limit ?? 20);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a positive whole number');
  const list = (await ctx.jobs.list()).filter((j) => !flags.status || j.status === flags.status).slice(0, limit);
  if (ctx.global.json) {
    printJson(ctx, list);
    return 0;
  }
  await printTable(
    ctx,
    ['ID', 'PROVIDER', 'STATUS', 'PROGRESS', 'CREATED', 'OUTPUT'],
    list.map((j) => [j.id, j.provider, j.status, `${j.progress}%`, j.createdAt.replace('T', ' ').slice(0, 19), shortPath(ctx.cwd, j.output.path) ?? j.output.url ?? '']),
  );
  return 0;
}

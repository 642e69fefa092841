import { relative } from 'node:path';
import { JOB_STATUSES, type Job } from '../core/job.js';
import { eachRow, note, output, when } from '../core/present.js';
import { choice, defineCommand, isWholeIn, number, withDefault } from './define.js';
import { sweepOrphanWorkDirs } from '../render/work-dir.js';

/** Output paths under the working directory are shown relative to it, so the table fits a terminal. */
function shortPath(cwd: string, path: string | null): string | null {
  if (!path) return null;
  const rel = relative(cwd, path);
  return rel.startsWith('..') ? path : rel;
}

export default defineCommand({
  flags: {
    status: choice('<status>', `only jobs with this status (${JOB_STATUSES.join(', ')})`, JOB_STATUSES),
    limit: withDefault(number('<n>', 'at most this many', 'a positive whole number', isWholeIn(1, Number.MAX_SAFE_INTEGER)), 20),
  },
  examples: ['ugc jobs', 'ugc jobs --status failed --json'],
  async run(ctx, { status, limit }) {
    await sweepOrphanWorkDirs();
    const unreadable: string[] = [];
    const list = (await ctx.jobs.list((id) => unreadable.push(id))).filter((j) => !status || j.status === status).slice(0, limit);
    await output(ctx, list, eachRow({
      head: ['ID', 'PROVIDER', 'STATUS', 'PROGRESS', 'CREATED AT', 'OUTPUT'],
      row: (j: Job) => [j.id, j.provider, j.status, `${j.progress}%`, when(ctx, j.createdAt), shortPath(ctx.cwd, j.output.path) ?? j.output.url ?? ''],
    }));
    if (unreadable.length) note(ctx, `warning: skipped ${unreadable.length} unreadable job record${unreadable.length === 1 ? '' : 's'} (${unreadable.join(', ')}); \`ugc doctor\` says what is wrong`);
  },
});

import { describeJob, output } from '../core/present.js';
import { getProvider, requirePart } from '../providers/registry.js';
import { defineCommand } from './define.js';
import { sweepOrphanWorkDirs } from '../render/work-dir.js';

export default defineCommand({
  args: ['id'],
  examples: ['ugc status job_abc123', 'ugc status job_abc123 --json'],
  async run(ctx, { id }) {
    await sweepOrphanWorkDirs();
    const stored = await ctx.jobs.get(id);
    const job = await requirePart(getProvider(stored.provider), 'jobs', 'status').refresh(ctx, stored);
    await output(ctx, job, describeJob);
  },
});

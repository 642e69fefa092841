import { isTerminal } from '../core/job.js';
import { describeJob, note, output } from '../core/present.js';
import { getProvider, requirePart } from '../providers/registry.js';
import { defineCommand } from './define.js';

export default defineCommand({
  args: ['id'],
  examples: ['ugc cancel job_abc123'],
  async run(ctx, { id }) {
    const stored = await ctx.jobs.get(id);
    const cancel = requirePart(getProvider(stored.provider), 'cancel', 'cancel');
    if (isTerminal(stored.status)) note(ctx, `${id} has already ended (${stored.status}); nothing to cancel`);
    await output(ctx, isTerminal(stored.status) ? stored : await cancel(ctx, stored), describeJob);
  },
});

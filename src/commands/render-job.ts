import { ExitCode } from '../core/errors.js';
import { runLocalJob } from '../providers/local-render.js';
import { defineCommand } from './define.js';
import { withInterrupt } from './interrupt.js';

/** The detached process behind `generate --no-wait` (local): renders one stored job, recording everything. */
export default defineCommand({
  args: ['id'],
  examples: [],
  async run(ctx, { id }) {
    const job = await withInterrupt((signal) => runLocalJob(ctx, id, { signal })).catch(() => null);
    return job?.status === 'completed' ? ExitCode.Ok : ExitCode.JobFailed;
  },
});

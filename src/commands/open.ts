import { access } from 'node:fs/promises';
import { dirname } from 'node:path';
import { execa } from 'execa';
import type { Context } from '../core/context.js';
import { UgcError, UsageError } from '../core/errors.js';
import { note, output } from '../core/present.js';
import { defineCommand, toggle } from './define.js';

/** The platform's own opener: what a double click would do with a file, a folder or a URL. */
function opener(target: string, reveal: boolean): [string, string[]] {
  if (process.platform === 'darwin') return ['open', reveal ? ['-R', target] : [target]];
  if (process.platform === 'win32') return reveal ? ['explorer', [`/select,${target}`]] : ['cmd', ['/c', 'start', '""', target]];
  return ['xdg-open', [reveal ? dirname(target) : target]];
}

async function launch(ctx: Context, target: string, reveal: boolean): Promise<void> {
  const [command, args] = opener(target, reveal);
  const result = await execa(command, args, { env: ctx.env, reject: false, stdio: 'ignore', timeout: 30_000 });
  if ((result as { code?: string }).code === 'ENOENT') throw new UgcError(`cannot open it: ${command} was not found`, { hint: process.platform === 'linux' ? `Install xdg-utils, or open ${target} yourself.` : `Open ${target} yourself.` });
  if (result.exitCode !== 0) throw new UgcError(`${command} could not open ${target} (exit ${result.exitCode ?? result.signal})`);
}

export default defineCommand({
  args: ['id'],
  flags: {
    reveal: toggle('show the video in its folder instead of playing it'),
    web: toggle("open the video's address at the provider in the browser (remote jobs)"),
  },
  examples: ['ugc open job_abc123', 'ugc open job_abc123 --reveal', 'ugc open job_abc123 --web'],
  async run(ctx, { id, reveal, web }) {
    const job = await ctx.jobs.get(id);
    if (job.status !== 'completed') throw new UsageError(`job ${id} is ${job.status}: there is no video to open${job.status === 'failed' && job.error ? ` (${job.error.message})` : ''}`, job.status === 'queued' || job.status === 'processing' ? `\`ugc watch ${id}\` follows it to the end.` : undefined);
    let target: string;
    if (web) {
      if (!job.output.url) throw new UsageError(`job ${id} has no web address: ${job.provider === 'local' ? 'a local render is only a file' : `${job.provider} gave no URL for it`}`, 'Run `ugc open` without --web to play the file.');
      target = job.output.url;
    } else {
      if (!job.output.path) throw new UsageError(`the video of job ${id} is not on this machine`, `\`ugc watch ${id}\` downloads it${job.output.url ? '; `--web` opens it at the provider' : ''}.`);
      const path = job.output.path;
      await access(path).catch(() => {
        throw new UsageError(`the video of job ${id} is gone from ${path}`, `\`ugc watch ${id} --out <file>\` downloads it again from a remote provider.`);
      });
      target = path;
    }
    const revealing = Boolean(reveal) && !web;
    await launch(ctx, target, revealing);
    const opened = revealing ? dirname(target) : target;
    note(ctx, `opened ${opened}`);
    await output(ctx, { id, opened }, () => []);
  },
});

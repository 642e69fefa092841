import { ExitCode } from '../core/errors.js';
import { newJobId } from '../core/job.js';
import { checkOutputWritable, resolveOutputPath } from '../core/output-path.js';
import { describeJob, output } from '../core/present.js';
import { ProgressDisplay } from '../core/progress.js';
import { follow } from '../providers/follow.js';
import { currentProvider, requirePart } from '../providers/registry.js';
import type { Context } from '../core/context.js';
import { defineCommand, negatable, text, type FlagValues } from './define.js';
import { withInterrupt } from './interrupt.js';
import { inSpecTerms, requestFlags, requestFromFlags, SPEC_FLAG } from './request-flags.js';
import { sweepOrphanWorkDirs } from '../render/work-dir.js';
import { printSummary } from './summary.js';

const flags = {
  ...requestFlags({ submit: true }),
  spec: SPEC_FLAG,
  out: text('<file.mp4|dir>', 'where to write the video (default ./ugc-out/<id>.mp4)', { short: 'o' }),
  wait: negatable('return the job id as soon as the job is accepted'),
};
type Input = FlagValues<typeof flags>;

export default defineCommand({
  flags,
  examples: [
    'ugc generate --script "I have been using this for two weeks and I am genuinely shocked." --creator mia',
    'ugc generate --script-file ad.txt --creator leo --aspect 1:1 --captions clean --music bed.mp3 --out ads/',
    'ugc generate --script "Meet Glow Serum." --image me.jpg --product-image serum.png --product-name "Glow Serum" --cta "Shop now"',
    'ugc generate --provider vidgen --base-url http://render-box:8080 --image face.png --audio vo.mp3',
    'ugc generate --script "…" --creator mia --no-wait --json',
    'ugc generate --spec testimonial.yaml --aspect 1:1',
  ],
  async run(ctx, input) {
    const wait = input.wait;
    const progress = ProgressDisplay.start(ctx, 'Starting', { show: wait });
    try {
      return await generate(ctx, input, progress);
    } finally {
      progress.stop();
    }
  },
});

async function generate(ctx: Context, input: Input, progress: ProgressDisplay): Promise<number> {
  const started = Date.now();
  await sweepOrphanWorkDirs();
  const provider = await currentProvider(ctx);
  const { request, origin } = await requestFromFlags(ctx, input, provider, 'generate');
  const jobs = requirePart(provider, 'jobs', 'generate');
  const wait = input.wait;
  const jobId = newJobId();
  const outputPath = resolveOutputPath(input.out, jobId, ctx.cwd);
  // Before anything renders or is spent, at any provider: a path that cannot be written fails now (exit 2).
  await checkOutputWritable(outputPath);
  progress.retitle(jobs.activity);
  let stageShown = '';
  const onProgress = (stage: string, percent: number) => {
    progress.update(stage, percent);
    if (ctx.global.debug && stage !== stageShown) {
      stageShown = stage;
      ctx.io.stderr.write(`[debug] ${((Date.now() - started) / 1000).toFixed(2)} s: ${stage} starts\n`);
    }
  };
  const job = await withInterrupt(async (signal) => {
    const submitted = await jobs.submit(ctx, request, { jobId, outputPath, wait, signal, onProgress }).catch((error: unknown) => {
      throw inSpecTerms(error, origin);
    });
    // A job that has already finished (one adopted after a lost answer can be) still goes through follow: it delivers the video.
    if (!wait) return submitted;
    return follow(ctx, provider, submitted, {
      outputPath,
      signal,
      onChange: (j) => onProgress(j.stage ?? j.providerStatus, j.progress),
      onDownload: (received, total) => onProgress('download', total ? Math.round((received / total) * 100) : 0),
    });
  });
  progress.stop();
  if (ctx.global.debug) ctx.io.stderr.write(`[debug] ${((Date.now() - started) / 1000).toFixed(2)} s: ${job.status}\n`);
  const ok = !wait || job.status === 'completed';
  await output(ctx, job, (j) => (!wait ? j.id : ok ? (j.output.path ?? j.output.url ?? j.id) : []));
  if (ok) {
    if (wait) await printSummary(ctx, job, Date.now() - started);
    return ExitCode.Ok;
  }
  if (!ctx.global.json) ctx.io.stderr.write(`${describeJob(job)}\n`);
  return ExitCode.JobFailed;
}

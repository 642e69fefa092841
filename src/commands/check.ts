import { access, constants, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { writeFileAtomic } from '../core/atomic-write.js';
import type { Context } from '../core/context.js';
import { ExitCode, UsageError } from '../core/errors.js';
import { junitXml, type JunitCase } from '../core/junit.js';
import { PLATFORMS, UPLOAD_SPECS, type Platform } from '../core/platforms.js';
import { output } from '../core/present.js';
import { locateFfmpeg } from '../render/ffmpeg/locate.js';
import { checkUpload, inspectVideo, type CheckResult, type CheckStatus } from '../render/preflight.js';
import { choice, defineCommand, text, withDefault } from './define.js';

export interface CheckReport {
  file: string;
  platform: Platform;
  spec: string;
  /** No check failed (warnings and skips do not fail). */
  ok: boolean;
  counts: Record<CheckStatus, number>;
  checks: CheckResult[];
}

export default defineCommand({
  args: ['file'],
  flags: {
    platform: withDefault(choice('<name>', 'the upload spec to check against: tiktok, reels, shorts, or generic (all three at once)', PLATFORMS), 'generic'),
    report: text('<junit.xml>', 'also write a JUnit report with one test case per check'),
  },
  examples: ['ugc check ad.mp4', 'ugc check ad.mp4 --platform tiktok', 'ugc check ad.mp4 --platform reels --json', 'ugc check ad.mp4 --report preflight.xml'],
  run: check,
});

async function check(ctx: Context, input: { file: string; platform: Platform; report?: string }): Promise<number> {
  const file = resolve(ctx.cwd, input.file);
  const reportPath = input.report ? resolve(ctx.cwd, input.report) : null;
  if (reportPath) await checkReportWritable(reportPath);
  const spec = UPLOAD_SPECS[input.platform];
  const facts = await inspectVideo(file, await locateFfmpeg(ctx.env), input.file);
  const checks = checkUpload(facts, spec);
  const counts: Record<CheckStatus, number> = { pass: 0, warn: 0, fail: 0, skip: 0 };
  for (const c of checks) counts[c.status]++;
  const report: CheckReport = { file, platform: input.platform, spec: spec.title, ok: counts.fail === 0, counts, checks };
  if (reportPath) await writeFileAtomic(reportPath, junitReport(report));
  await output(ctx, report, describe);
  return report.ok ? ExitCode.Ok : ExitCode.Error;
}

async function checkReportWritable(path: string): Promise<void> {
  const dir = dirname(path);
  const info = await stat(dir).catch(() => null);
  const writable = info?.isDirectory() && (await access(dir, constants.W_OK).then(() => true, () => false));
  if (!writable) throw new UsageError(`cannot write the report ${path}: ${dir} is not a writable directory`, 'Pass --report a path in an existing directory.');
  if ((await stat(path).catch(() => null))?.isDirectory()) throw new UsageError(`cannot write the report ${path}: it is a directory`);
}

/** One line per check — status, check, what was measured, the limit — then the verdict. */
function describe(report: CheckReport): string[] {
  const width = Math.max(...report.checks.map((c) => c.measured.length));
  const { pass, warn, fail, skip } = report.counts;
  return [
    ...report.checks.map((c) => `${c.status.padEnd(4)}  ${c.id.padEnd(11)}  ${c.measured.padEnd(width)}  ${c.limit}`),
    `${report.ok ? 'ok' : 'FAILED'}: ${basename(report.file)} for ${report.spec} (${report.platform}): ${pass} passed, ${warn} warned, ${fail} failed${skip ? `, ${skip} skipped` : ''}`,
  ];
}

/** Each check a test case: a failure when it failed, skipped when it did not apply, the measurement and limit as its output. */
function junitReport(report: CheckReport): string {
  const cases = report.checks.map((c): JunitCase => {
    const detail = `${c.measured} (limit: ${c.limit})`;
    return {
      classname: `ugc check ${report.platform}`,
      name: c.id,
      seconds: 0,
      ...(c.status === 'fail' ? { failure: { message: detail, type: 'fail' } } : {}),
      ...(c.status === 'skip' ? { skipped: detail } : {}),
      output: `${c.status}: ${detail}`,
    };
  });
  return junitXml('ugc check', `${basename(report.file)} for ${report.platform}`, cases);
}

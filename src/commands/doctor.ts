import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic-write.js';
import type { Context } from '../core/context.js';
import { ExitCode } from '../core/errors.js';
import { brokenStateFiles } from '../core/json-files.js';
import { output } from '../core/present.js';
import { profileName, type Setting } from '../core/profiles.js';
import { isCapable, locateFfmpeg, readCapabilities, type Capabilities, type FfmpegTools } from '../render/ffmpeg/locate.js';
import { runnerSummaries, type RunnerSummary } from '../render/runners/index.js';
import { synthesizeSpeech } from '../render/tts.js';
import { listVoices } from '../render/voices.js';
import { allSettings, settingText } from './config.js';
import { defineCommand } from './define.js';

interface Report {
  ok: boolean;
  ffmpeg: { path: string; version: string; source: string } | null;
  ffprobe: { path: string; version: string; source: string } | null;
  capabilities: Capabilities | null;
  tts: { ok: boolean; engine: string; voices: number; error?: string };
  /** `brokenFiles`: its state files (config, credentials, job records…) that cannot be read, each with what to do. */
  configDir: { path: string; writable: boolean; error?: string; brokenFiles?: string[] };
  keys: { UGC_API_KEY: boolean };
  /** The profile in use, and every setting's value and where it comes from (as `ugc config list`). */
  profile: string;
  settings: Setting[];
  /** The model runners, built in and configured (`ugc models add`), with their live health. */
  models: RunnerSummary[];
  problems: string[];
}

export default defineCommand({
  examples: ['ugc doctor', 'ugc doctor --json'],
  run: doctor,
});

async function doctor(ctx: Context): Promise<number> {
  const problems: string[] = [];
  let tools: FfmpegTools | null = null;
  let capabilities: Capabilities | null = null;
  try {
    tools = await locateFfmpeg(ctx.env);
    capabilities = await readCapabilities(tools.ffmpeg.path);
    if (!isCapable(capabilities)) {
      const missing = [...Object.entries(capabilities.filters), ...Object.entries(capabilities.encoders)].filter(([, ok]) => !ok).map(([name]) => name);
      problems.push(`ffmpeg at ${tools.ffmpeg.path} lacks: ${missing.join(', ')}`);
    }
  } catch (error) {
    problems.push((error as Error).message);
  }
  const tts = await checkTts();
  if (!tts.ok) problems.push(`TTS: ${tts.error}`);
  const models = await runnerSummaries(ctx.configDir).catch((error: unknown) => {
    problems.push((error as Error).message);
    return [] as RunnerSummary[];
  });
  for (const model of models.filter((m) => !m.available)) problems.push(`model ${model.id}: ${model.status}${model.detail ? ` (${model.detail})` : ''}; see \`ugc models show ${model.id}\``);
  const configDir = await checkConfigDir(ctx.configDir);
  const settings = await allSettings(ctx).catch((error: unknown) => {
    problems.push(`settings: ${(error as Error).message}`);
    return [] as Setting[];
  });
  if (!configDir.writable) problems.push(`config dir ${ctx.configDir} is not writable: ${configDir.error}`);
  const brokenFiles = await brokenStateFiles(ctx.configDir);
  configDir.brokenFiles = brokenFiles;
  problems.push(...brokenFiles);
  const report: Report = {
    ok: problems.length === 0,
    ffmpeg: tools?.ffmpeg ?? null,
    ffprobe: tools?.ffprobe ?? null,
    capabilities,
    tts,
    configDir,
    keys: { UGC_API_KEY: Boolean(ctx.settings.apiKey) },
    profile: profileName(ctx),
    settings,
    models,
    problems,
  };
  await output(ctx, report, (r) => describe(ctx, r));
  if (!ctx.global.json) for (const problem of problems) ctx.io.stderr.write(`problem: ${problem}\n`);
  return report.ok ? ExitCode.Ok : ExitCode.Error;
}

async function checkTts(): Promise<Report['tts']> {
  const engine = 'eSpeak NG (WASM, @echogarden/espeak-ng-emscripten)';
  try {
    const voices = await listVoices();
    const first = voices[0];
    if (!first) return { ok: false, engine, voices: 0, error: 'the voice catalog is empty' };
    const speech = await synthesizeSpeech({ text: 'ready', voice: first });
    return speech.samples.length > 0 ? { ok: true, engine, voices: voices.length } : { ok: false, engine, voices: voices.length, error: 'synthesis produced no audio' };
  } catch (error) {
    return { ok: false, engine, voices: 0, error: (error as Error).message };
  }
}

async function checkConfigDir(dir: string): Promise<Report['configDir']> {
  try {
    await mkdir(dir, { recursive: true });
    const probe = join(dir, '.doctor-probe');
    await writeFileAtomic(probe, 'ok');
    await rm(probe, { force: true });
    return { path: dir, writable: true };
  } catch (error) {
    return { path: dir, writable: false, error: (error as Error).message };
  }
}

function describe(ctx: Context, r: Report): string[] {
  const mark = (ok: boolean) => (ok ? 'ok  ' : 'FAIL');
  return [
    ...(r.ffmpeg ? [`${mark(r.capabilities ? isCapable(r.capabilities) : false)} ffmpeg   ${r.ffmpeg.version} (${r.ffmpeg.source}) ${r.ffmpeg.path}`] : []),
    ...(r.ffprobe ? [`ok   ffprobe  ${r.ffprobe.version} (${r.ffprobe.source}) ${r.ffprobe.path}`] : []),
    `${mark(r.tts.ok)} tts      ${r.tts.engine}, ${r.tts.voices} voices`,
    `${mark(r.configDir.writable && !r.configDir.brokenFiles?.length)} config   ${r.configDir.path}${r.configDir.brokenFiles?.length ? ` (${r.configDir.brokenFiles.length} unreadable file${r.configDir.brokenFiles.length === 1 ? '' : 's'})` : ''}`,
    `${r.keys.UGC_API_KEY ? 'ok  ' : '-   '} keys     UGC_API_KEY ${r.keys.UGC_API_KEY ? 'set' : 'not set (only needed for remote providers)'}`,
    // The provider always; a base URL only where something other than the document sets it.
    ...r.settings.filter((s) => s.key === 'provider' || s.source !== 'default').map((s) => `ok   ${s.key.padEnd(8)} ${settingText(ctx, s)}`),
    ...r.models.map((m) => `${mark(m.available)} model    ${m.id} (${m.kind}) ${m.status}${m.detail ? `: ${m.detail}` : ''}`),
  ];
}

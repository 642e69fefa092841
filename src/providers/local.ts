import { readdir, rm } from 'node:fs/promises';
import { cpus, hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Context } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import { isProcessAlive as isAlive, isTerminal, type Job } from '../core/job.js';
import { thumbnailPathFor } from '../core/output-path.js';
import { checkRules, InputError, type GenerateRequest, type InputRules, type RequestField } from '../core/request.js';
import { addCustomCreator, findCreator, listCreators, removeCustomCreator, type Creator } from '../render/creators.js';
import { SUBTITLE_FORMATS, subtitlesPathFor } from '../render/subtitles.js';
import type { ProviderDefinition } from './definition.js';
import { deliveredJob, statusFor, type EventKind } from './webhook-bodies.js';
import { standardScheme } from './webhook-schemes.js';

/**
 * The render machinery loads only when something renders; the model runners and the speech machinery when
 * used. Each import is kept: a batch's check asks for them on every row.
 */
let renderModule: Promise<typeof import('./local-render.js')> | undefined;
let modelsModule: Promise<typeof import('./local-models.js')> | undefined;
let speechModule: Promise<typeof import('../speech/local-voices.js')> | undefined;
const render = () => (renderModule ??= import('./local-render.js'));
const models = () => (modelsModule ??= import('./local-models.js'));
const speech = () => (speechModule ??= import('../speech/local-voices.js'));

/** A catalog lookup's "unknown …" as a problem with the request field that named it. */
async function lookUp<T>(field: RequestField, find: () => Promise<T>): Promise<T> {
  try {
    return await find();
  } catch (error) {
    if (error instanceof UsageError && !(error instanceof InputError)) throw new InputError({ field, message: error.message, hint: error.hint });
    throw error;
  }
}

/**
 * A script to speak, or a voiceover of one's own (without its script the mouth follows the voice's
 * loudness, and there are no captions); one creator for the whole ad, or scenes each said by its own (a spec file's).
 */
const LOCAL_INPUTS: InputRules = { required: [['script', 'audio']], scenes: true };

async function validate(ctx: Context, request: GenerateRequest): Promise<void> {
  checkRules(request, LOCAL_INPUTS, 'local');
  if (request.creator) await lookUp('creator', () => findCreator(ctx.configDir, request.creator as string));
  if (request.model || request.fallback) await (await models()).checkModelFields(ctx, request);
  await (await render()).checkedInputs(ctx, request);
}

/**
 * A job whose render process is gone without recording an outcome (killed, out of memory…) is said to
 * have failed, once, and the temp files it left beside the output path are removed.
 */
async function refresh(ctx: Context, job: Job): Promise<Job> {
  const current = await ctx.jobs.get(job.id);
  if (isTerminal(current.status) || !current.worker || current.worker.host !== hostname() || isAlive(current.worker.pid)) return current;
  await removeTempFilesOf(String(current.request.out), current.worker.pid);
  return ctx.jobs.updateIfActive(job.id, { status: 'failed', providerStatus: 'failed', error: { code: 'render_died', message: 'the render process exited unexpectedly' } });
}

async function cancel(ctx: Context, job: Job): Promise<Job> {
  const updated = await ctx.jobs.updateIfActive(job.id, { status: 'cancelled', providerStatus: 'cancelled', error: { code: 'cancelled', message: 'cancelled by user' } });
  const pid = updated.worker?.pid;
  if (pid && updated.worker?.host === hostname() && pid !== process.pid && isAlive(pid)) {
    // The renderer sees the signal, stops ffmpeg and deletes its temp files; the record already says cancelled.
    process.kill(pid, 'SIGTERM');
  }
  return updated;
}

/** Local renders: the CLI's own job object (as `ugc status --json` prints it) in the Standard Webhooks envelope. */
function eventBody(event: string, kind: EventKind, job: Job, timestamp: string): unknown {
  const { worker: _worker, ...rest } = job;
  const status = statusFor(kind, job);
  return { type: event, timestamp, data: { ...rest, status, ...(status === 'completed' ? { progress: 100 } : {}) } };
}

const creatorRow = (c: Creator) => (c.isCustom ? [c.id, c.slug ?? '', c.name, '', '', 'custom', '', c.defaultVoice] : [c.id, c.slug, c.name, c.gender, c.age, c.category, c.style, c.defaultVoice]);

const list = (value: unknown) => (Array.isArray(value) ? value.join(', ') : String(value ?? ''));

/** The offline pipeline on this machine. Jobs live only in the job store; `remoteId` is null. */
const local: ProviderDefinition = {
  name: 'local',
  summary: 'render on this machine, offline (the default)',

  jobs: {
    activity: 'Rendering',
    pollIntervalSeconds: 0.5,
    // One render's encode already keeps two cores busy (two at once on two cores measured no faster:
    // bench/results/batch.json), while x264 gains little past a few threads: half the cores.
    defaultConcurrency: Math.max(1, Math.floor(cpus().length / 2)),
    resumable: false,
    inputs: LOCAL_INPUTS,
    validate,
    submit: async (ctx, request, options) => (await render()).submitLocal(ctx, request, options),
    refresh,
    slotsFor: async (ctx, requests) => (await models()).slotsFor(ctx, requests),
  },
  cancel,
  // Rendering costs nothing; a voice of a paid speech engine bills the characters it speaks (unless cached).
  estimate: async (ctx, request) => ({ credits: 0, speech: await (await speech()).speechEstimate(ctx, request) }),

  creators: {
    list: (ctx, { include }) => listCreators(ctx.configDir, include),
    get: (ctx, id) => findCreator(ctx.configDir, id),
    add: (ctx, path, name) => addCustomCreator(ctx.configDir, path, name),
    remove: (ctx, id) => removeCustomCreator(ctx.configDir, id),
    table: { head: ['ID', 'SLUG', 'NAME', 'GENDER', 'AGE', 'SETTING', 'STYLE', 'VOICE'], row: (item) => creatorRow(item as Creator) },
    fields: (item) => {
      const creator = item as Creator;
      if (creator.isCustom) return creator;
      const { x, y, width, height } = creator.rig.face;
      return { ...creator, rig: `talks and blinks; face at ${x},${y} (${width}x${height} px)` };
    },
  },
  // Built-in eSpeak voices and voices of speech engines added with `ugc voices add <name> --openai-compatible|--elevenlabs`.
  voices: {
    list: async (ctx) => (await speech()).listVoiceItems(ctx),
    get: async (ctx, id) => (await speech()).voiceItem(ctx, id),
    remove: async (ctx, id) => (await speech()).removeSpeechVoice(ctx.configDir, id),
    table: { head: ['ID', 'LANGUAGES', 'GENDER', 'ENGINE', 'MODEL', 'AVAILABLE', 'DESCRIPTION'], row: (v) => [v.id, list(v.languages), v.gender as string, v.engine as string, v.model as string, v.available ? 'yes' : `no: ${String(v.availability)}`, v.description as string] },
  },
  // The model runners that animate the creator: built in, or configured here (a Cog server, a command) with live health.
  models: {
    list: async (ctx) => (await models()).listModels(ctx),
    get: async (ctx, id) => (await models()).showModel(ctx, id),
    remove: async (ctx, id) => (await models()).removeModel(ctx, id),
    table: { head: ['ID', 'KIND', 'AVAILABLE', 'STATUS', 'DESCRIPTION'], row: (m) => [m.id, String(m.kind), m.available ? 'yes' : 'no', String(m.status), String(m.description)] },
  },
  runners: {
    add: async (ctx, name, flags) => (await models()).addModel(ctx, name, flags),
  },

  // UnrealUGC's event names, signed with Standard Webhooks.
  webhooks: {
    scheme: standardScheme,
    events: { created: 'video.created', completed: 'video.completed', failed: 'video.failed' },
    body: eventBody,
    jobIn: deliveredJob('data.id', 'data.progress'),
    sample: {
      remoteId: () => null,
      finished: (id) => ({ output: { path: join(process.cwd(), 'ugc-out', `${id}.mp4`), url: null, thumbnailPath: join(process.cwd(), 'ugc-out', `${id}.jpg`), durationSeconds: 6.4 } }),
      credits: 0,
      model: 'still',
    },
  },
};
export default local;

async function removeTempFilesOf(outputPath: string, pid: number): Promise<void> {
  const dir = dirname(outputPath);
  const names = await readdir(dir).catch(() => [] as string[]);
  const sidecars = SUBTITLE_FORMATS.map((format) => subtitlesPathFor(outputPath, format));
  const prefixes = [outputPath, thumbnailPathFor(outputPath), ...sidecars].map((p) => `.${basename(p)}.${pid}.`);
  await Promise.all(names.filter((n) => n.endsWith('.tmp') && prefixes.some((p) => n.startsWith(p))).map((n) => rm(join(dir, n), { force: true })));
}

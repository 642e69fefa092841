import { randomBytes, randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { UsageError } from '../core/errors.js';
import { isTerminal, JOB_STATUSES, newJob, type Job, type JobStatus, type ProviderName } from '../core/job.js';

/**
 * Event names and JSON bodies in each provider's documented webhook shape (shared/api-docs), built
 * from the unified Job. Where a document leaves a field out, the emulators in test/emulators decided.
 */

export type EventKind = 'created' | 'progress' | 'completed' | 'failed';

const EVENTS: Record<ProviderName, Partial<Record<EventKind, string>>> = {
  ultimatecreator: { completed: 'video.job.completed', failed: 'video.job.failed', progress: 'video.job.progress' },
  vidgen: { completed: 'job.completed', failed: 'job.failed' },
  ugen: { completed: 'job.completed', failed: 'job.failed' },
  apex: { completed: 'job.completed', failed: 'job.failed' },
  unrealugc: { created: 'video.created', completed: 'video.completed', failed: 'video.failed' },
  local: { created: 'video.created', completed: 'video.completed', failed: 'video.failed' },
};

/** UltimateCreator sends `video.job.progress` "every 25%". */
export const PROGRESS_STEPS = [25, 50, 75] as const;

function eventsOf(provider: ProviderName): Partial<Record<EventKind, string>> {
  const events = EVENTS[provider];
  if (!events) throw new UsageError(`unknown provider "${String(provider)}"`);
  return events;
}

/** The events `provider` sends, in the provider's own names. */
export function eventNames(provider: ProviderName): string[] {
  return Object.values(eventsOf(provider));
}

/** What an event name means for `provider`; a UsageError listing the valid names otherwise. */
export function eventKind(provider: ProviderName, event: string): EventKind {
  for (const [kind, name] of Object.entries(eventsOf(provider)) as [EventKind, string][]) if (name === event) return kind;
  throw new UsageError(`${provider} has no "${event}" event`, `Its events: ${eventNames(provider).join(', ')}.`);
}

/** The highest progress step in (from, to], or null. */
function stepCrossed(from: number, to: number): number | null {
  let crossed: number | null = null;
  for (const step of PROGRESS_STEPS) if (from < step && step <= to) crossed = step;
  return crossed;
}

/** The events a change from (`previousStatus`, `previousProgress`) to `job` means, in order. */
function changeEvents(job: Job, previousStatus: JobStatus | null, previousProgress: number): string[] {
  const events = eventsOf(job.provider);
  if (previousStatus !== null && isTerminal(previousStatus)) return [];
  const out: string[] = [];
  if (previousStatus === null && events.created) out.push(events.created);
  if (job.status === 'completed') {
    if (events.completed) out.push(events.completed);
  } else if (job.status === 'failed' || job.status === 'cancelled') {
    // No provider has a cancel event: a cancelled job is reported as failed (its status says cancelled where the provider has the word).
    if (events.failed) out.push(events.failed);
  } else if (job.status === 'processing' && events.progress && stepCrossed(previousProgress, job.progress) !== null) {
    out.push(events.progress);
  }
  return out;
}

/**
 * The event a change of `job` from `previousStatus` means for its provider, or null when it means
 * none (the last one, when a first sighting means two, such as `video.created` then `video.completed`).
 * `previousStatus` null: the job was just seen for the first time. `previousProgress` (for
 * UltimateCreator's progress events) defaults to 0, or to the job's own progress when it was already
 * processing (no crossing can be told then).
 */
export function eventForJob(job: Job, previousStatus: JobStatus | null, previousProgress?: number): string | null {
  const from = previousProgress ?? (previousStatus === 'processing' ? job.progress : 0);
  return changeEvents(job, previousStatus, from).at(-1) ?? null;
}

/**
 * The state of `job` that matters for events, as a string to store and compare: its status, plus
 * the progress step reached (`processing:50`) for providers that send progress events.
 */
export function jobFingerprint(job: Job): string {
  if (job.status !== 'processing' || !eventsOf(job.provider).progress) return job.status;
  return `processing:${stepCrossed(-1, job.progress) ?? 0}`;
}

/**
 * The events a change from the fingerprint `previous` (null: a job not seen before) to `job` means,
 * in order; at most one progress event per change (the highest step crossed).
 */
export function eventsForChange(job: Job, previous: string | null): string[] {
  if (previous === null) return changeEvents(job, null, 0);
  const [status, step] = previous.split(':');
  if (!(JOB_STATUSES as readonly string[]).includes(status ?? '')) return changeEvents(job, null, 0);
  const previousStatus = status as JobStatus;
  const previousStep = previousStatus === 'processing' ? Number(step ?? 0) || 0 : 0;
  if (previousStatus === job.status && jobFingerprint(job) === previous) return [];
  return changeEvents(job, previousStatus, previousStep);
}

/** A fresh event id: `msg_…` for Standard Webhooks providers (the `webhook-id`), `evt_…` for the others. */
export function newEventId(provider: ProviderName): string {
  const prefix = provider === 'unrealugc' || provider === 'apex' || provider === 'local' ? 'msg_' : 'evt_';
  return `${prefix}${randomBytes(16).toString('base64url')}`;
}

export interface PayloadMeta {
  /** The event id (Standard Webhooks: the `webhook-id` header; none of the documented bodies carries one). */
  eventId: string;
  /** Unix seconds: the event's time, in the body's ISO `timestamp`. */
  timestamp: number;
}

// ---- field helpers -------------------------------------------------------------------------

const isoSeconds = (unixSeconds: number): string => new Date(unixSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

const fileUrl = (path: string | null): string | null => (path ? pathToFileURL(path).href : null);
const videoUrl = (job: Job): string | null => job.output.url ?? fileUrl(job.output.path);
const thumbnailUrl = (job: Job): string | null => {
  const extra = (job as Record<string, unknown>).thumbnailUrl;
  return typeof extra === 'string' ? extra : fileUrl(job.output.thumbnailPath);
};
const credits = (job: Job): number => job.credits.final ?? job.credits.charged;
const requestText = (job: Job, field: string): string | null => {
  const value = job.request[field];
  return typeof value === 'string' && value ? value : null;
};

/** The unified status an event stands for: the payload says what the event says, even when triggered by hand. */
function statusFor(kind: EventKind, job: Job): JobStatus {
  if (kind === 'completed') return 'completed';
  if (kind === 'failed') return job.status === 'cancelled' ? 'cancelled' : 'failed';
  if (kind === 'progress') return 'processing';
  return isTerminal(job.status) ? 'queued' : job.status;
}

function errorMessage(job: Job, status: JobStatus): string {
  if (job.error?.message) return job.error.message;
  return status === 'cancelled' ? 'Job was cancelled' : 'Generation failed';
}

const ended = (job: Job, timestamp: string): string => (isTerminal(job.status) ? job.updatedAt : timestamp);

// ---- per provider --------------------------------------------------------------------------

function ultimateCreator(event: string, kind: EventKind, job: Job, timestamp: string): unknown {
  const id = job.remoteId ?? job.id;
  const status = statusFor(kind, job);
  let data: Record<string, unknown>;
  if (kind === 'progress') {
    data = { job_id: id, status, progress_percent: stepCrossed(0, job.progress) ?? 0 };
  } else if (kind === 'completed') {
    data = { job_id: id, status, video_url: videoUrl(job), thumbnail_url: thumbnailUrl(job), duration_seconds: job.output.durationSeconds, credits_charged: credits(job) };
  } else {
    data = { job_id: id, status, error_message: errorMessage(job, status), duration_seconds: job.output.durationSeconds, credits_charged: credits(job) };
  }
  return { event, timestamp, data };
}

const VIDGEN_STATUS: Record<JobStatus, string> = { queued: 'PENDING', processing: 'PROCESSING', completed: 'COMPLETED', failed: 'FAILED', cancelled: 'CANCELLED' };

/** vidgen posts its `GET /api/status/:jobId` object; the event name is not in the body. */
function vidgen(kind: EventKind, job: Job): unknown {
  const status = statusFor(kind, job);
  return {
    jobId: job.remoteId ?? job.id,
    status: VIDGEN_STATUS[status],
    progress: status === 'completed' ? 100 : Math.round(job.progress),
    outputVideo: status === 'completed' ? videoUrl(job) : null,
    outputShareLink: null,
    errorMessage: status === 'completed' ? null : errorMessage(job, status),
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
  };
}

/** U-Gen's flat body (the emulator's reading of its webhook guide); U-Gen has no cancelled status. */
function ugen(event: string, kind: EventKind, job: Job, timestamp: string): unknown {
  const completed = kind === 'completed';
  const status = statusFor(kind, job);
  return {
    event,
    job_id: job.remoteId ?? job.id,
    status: completed ? 'completed' : 'failed',
    final_video_url: completed ? videoUrl(job) : null,
    thumbnail_url: completed ? thumbnailUrl(job) : null,
    credits_consumed: credits(job),
    error_message: completed ? null : errorMessage(job, status),
    timestamp: ended(job, timestamp),
  };
}

function apex(event: string, kind: EventKind, job: Job, timestamp: string): unknown {
  const base = { jobId: job.remoteId ?? job.id, type: 'video' };
  const data =
    kind === 'completed'
      ? {
          ...base,
          status: 'completed',
          outputUrl: videoUrl(job),
          outputType: 'video/mp4',
          metadata: { model: requestText(job, 'model'), durationSeconds: job.output.durationSeconds, resolution: requestText(job, 'resolution') },
          createdAt: job.createdAt,
          completedAt: ended(job, timestamp),
        }
      : { ...base, status: 'failed', error: errorMessage(job, statusFor(kind, job)), creditsRefunded: job.credits.charged, createdAt: job.createdAt, failedAt: ended(job, timestamp) };
  return { event, timestamp, data };
}

const UNREAL_WORDS = new Set(['DRAFT', 'GENERATING', 'RENDERING']);

/** UnrealUGC's video object as `GET /v1/videos/:id` returns it, in the Standard Webhooks envelope. */
function unrealugc(event: string, kind: EventKind, job: Job, timestamp: string): unknown {
  const status = statusFor(kind, job);
  const word =
    status === 'completed' ? 'COMPLETED'
    : status === 'failed' || status === 'cancelled' ? 'FAILED'
    : UNREAL_WORDS.has(job.providerStatus) ? job.providerStatus
    : status === 'queued' ? 'DRAFT'
    : 'GENERATING';
  const data = {
    id: job.remoteId ?? job.id,
    status: word,
    productName: requestText(job, 'productName'),
    durationSeconds: job.output.durationSeconds,
    aspectRatio: requestText(job, 'aspect'),
    outputUrl: word === 'COMPLETED' ? videoUrl(job) : null,
    thumbnailUrl: word === 'COMPLETED' ? thumbnailUrl(job) : null,
    error: word === 'FAILED' ? errorMessage(job, status) : null,
    creditsCharged: job.credits.charged,
    creditsFinal: job.credits.final,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
  };
  return { type: event, timestamp, data };
}

/** Local renders: the CLI's own job object (as `ugc status --json` prints it) in the Standard Webhooks envelope. */
function local(event: string, kind: EventKind, job: Job, timestamp: string): unknown {
  const { worker: _worker, ...rest } = job;
  const status = statusFor(kind, job);
  return { type: event, timestamp, data: { ...rest, status, ...(status === 'completed' ? { progress: 100 } : {}) } };
}

/**
 * The exact JSON body `provider` would post for `event` about `job`. Sign these bytes as they are.
 * The provider's job id is `job.remoteId ?? job.id`; a local output path becomes a file: URL.
 */
export function buildPayload(provider: ProviderName, event: string, job: Job, meta: PayloadMeta): string {
  const kind = eventKind(provider, event);
  const timestamp = isoSeconds(meta.timestamp);
  switch (provider) {
    case 'ultimatecreator':
      return JSON.stringify(ultimateCreator(event, kind, job, timestamp));
    case 'vidgen':
      return JSON.stringify(vidgen(kind, job));
    case 'ugen':
      return JSON.stringify(ugen(event, kind, job, timestamp));
    case 'apex':
      return JSON.stringify(apex(event, kind, job, timestamp));
    case 'unrealugc':
      return JSON.stringify(unrealugc(event, kind, job, timestamp));
    case 'local':
      return JSON.stringify(local(event, kind, job, timestamp));
  }
}

// ---- samples -------------------------------------------------------------------------------

const cuid = (): string => `cl${randomBytes(12).toString('hex').slice(0, 23)}`;

function sampleRemote(provider: ProviderName): { remoteId: string | null; url: (id: string) => string } {
  switch (provider) {
    case 'ultimatecreator': {
      const id = `job_${randomBytes(8).toString('hex').toUpperCase()}`;
      return { remoteId: id, url: (i) => `https://cdn.ultimatecreator.ai/v/${i}.mp4` };
    }
    case 'ugen':
      return { remoteId: randomUUID(), url: (i) => `https://example.com/ugen/videos/${i}.mp4` };
    case 'apex':
      return { remoteId: randomUUID(), url: (i) => `https://cdn.useapexstudio.com/outputs/${i}/output.mp4` };
    case 'vidgen':
      return { remoteId: cuid(), url: (i) => `https://example.com/files/${i}.mp4` };
    case 'unrealugc':
      return { remoteId: cuid(), url: (i) => `https://example.com/unrealugc/videos/${i}.mp4` };
    case 'local':
      return { remoteId: null, url: () => '' };
  }
}

/** A realistic job in the state `event` reports, for `ugc webhooks trigger` without `--job`. */
export function sampleJob(provider: ProviderName, event: string, now: Date = new Date()): Job {
  const kind = eventKind(provider, event);
  const created = new Date(now.getTime() - (kind === 'created' ? 0 : 240_000));
  const job = newJob({
    provider,
    now: created,
    request: { script: 'Meet Glow Serum. Two weeks, and my skin has never looked better.', creator: 'mia', aspect: '9:16', productName: 'Glow Serum', cta: 'Shop now', resolution: '1080p', model: provider === 'local' ? 'still' : null },
  });
  const { remoteId, url } = sampleRemote(provider);
  const id = remoteId ?? job.id;
  job.remoteId = remoteId;
  job.updatedAt = now.toISOString();
  job.credits = { charged: provider === 'local' ? 0 : 150, final: null };
  if (kind === 'created') return job;
  if (kind === 'progress') return { ...job, status: 'processing', providerStatus: 'processing', progress: 50 };
  if (kind === 'failed') {
    return { ...job, status: 'failed', providerStatus: 'failed', progress: 40, credits: { ...job.credits, final: 0 }, error: { code: 'provider_failed', message: 'Generation failed' } };
  }
  const output =
    provider === 'local'
      ? { path: `${process.cwd()}/ugc-out/${job.id}.mp4`, url: null, thumbnailPath: `${process.cwd()}/ugc-out/${job.id}.jpg`, durationSeconds: 6.4 }
      : { path: null, url: url(id), thumbnailPath: null, durationSeconds: 30 };
  const thumbnail = provider === 'ultimatecreator' ? { thumbnailUrl: `https://cdn.ultimatecreator.ai/t/${id}.jpg` } : {};
  return { ...job, ...thumbnail, status: 'completed', providerStatus: 'completed', progress: 100, output, credits: { ...job.credits, final: job.credits.charged } };
}

/** A realistic body for `event` in `provider`'s shape (a fresh sample job; meta defaults to a new id and now). */
export function samplePayload(provider: ProviderName, event: string, meta?: PayloadMeta): string {
  const at = meta ?? { eventId: newEventId(provider), timestamp: Math.floor(Date.now() / 1000) };
  return buildPayload(provider, event, sampleJob(provider, event, new Date(at.timestamp * 1000)), at);
}

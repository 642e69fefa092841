import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/core/errors.js';
import { newJob, type Job, type JobStatus, type ProviderName } from '../src/core/job.js';
import { getProvider, providerNames } from '../src/providers/registry.js';
import {
  buildPayload,
  deliveredState,
  eventKind,
  eventNames,
  eventsForChange,
  fingerprintRank,
  jobFingerprint,
  newEventId,
  samplePayload,
  sampleJob,
} from '../src/webhooks/payloads.js';

/** The providers that send events (elevenlabs, a speech engine's account, sends none). */
const PROVIDERS = providerNames().filter((name) => getProvider(name).webhooks);
const T = 1_760_000_000; // 2025-10-09T08:53:20Z
const META = { eventId: 'evt_test', timestamp: T };

function jobOf(provider: ProviderName, patch: Partial<Job> = {}): Job {
  const job = newJob({
    provider,
    id: 'job_local123',
    now: new Date('2025-10-09T08:49:00.000Z'),
    request: { script: 'Hello there, this is a test.', productName: 'Glow Serum', aspect: '9:16', resolution: '1080p', model: 'kling-2.6' },
  });
  return { ...job, remoteId: provider === 'local' ? null : 'r_123', updatedAt: '2025-10-09T08:53:00.000Z', ...patch };
}
const completed = (provider: ProviderName): Job =>
  jobOf(provider, {
    status: 'completed',
    progress: 100,
    output: { path: provider === 'local' ? '/tmp/ugc out/job_local123.mp4' : null, url: provider === 'local' ? null : 'https://cdn.example.com/r_123.mp4', thumbnailPath: null, durationSeconds: 12.5 },
    credits: { charged: 150, final: 140 },
  });
const failed = (provider: ProviderName, status: JobStatus = 'failed'): Job =>
  jobOf(provider, { status, progress: 40, credits: { charged: 150, final: 0 }, error: { code: 'provider_failed', message: 'the model refused the image' } });
const parse = (body: string) => JSON.parse(body) as Record<string, unknown> & { data: Record<string, unknown> };

describe('event names', () => {
  it('are each provider’s own', () => {
    expect(eventNames('ultimatecreator')).toEqual(['video.job.completed', 'video.job.failed', 'video.job.progress']);
    expect(eventNames('vidgen')).toEqual(['job.completed', 'job.failed']);
    expect(eventNames('ugen')).toEqual(['job.completed', 'job.failed']);
    expect(eventNames('apex')).toEqual(['job.completed', 'job.failed']);
    expect(eventNames('unrealugc')).toEqual(['video.created', 'video.completed', 'video.failed']);
    expect(eventNames('local')).toEqual(['video.created', 'video.completed', 'video.failed']);
    expect(eventKind('ultimatecreator', 'video.job.progress')).toBe('progress');
  });

  it('an event the provider does not send is a usage error naming its events', () => {
    expect(() => eventKind('vidgen', 'video.completed')).toThrow(UsageError);
    expect(() => buildPayload('apex', 'job.progress', completed('apex'), META)).toThrow(/apex has no "job.progress" event/);
    let error: unknown;
    try {
      samplePayload('ugen', 'video.created');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(2);
    expect((error as UsageError).hint).toBe('Its events: job.completed, job.failed.');
  });
});

/** Runs a job through states the way `webhooks listen` does (fingerprints) and collects the events. */
function run(provider: ProviderName, states: Partial<Job>[]): string[] {
  let previous: string | null = null;
  const out: string[] = [];
  for (const state of states) {
    const job = jobOf(provider, state);
    const fingerprint = jobFingerprint(job);
    if (fingerprint === previous) continue;
    out.push(...eventsForChange(job, previous));
    previous = fingerprint;
  }
  return out;
}

describe('events for job changes', () => {
  const happy: Partial<Job>[] = [
    { status: 'queued', progress: 0 },
    { status: 'processing', progress: 10 },
    { status: 'processing', progress: 20 },
    { status: 'processing', progress: 30 },
    { status: 'processing', progress: 45 },
    { status: 'processing', progress: 80 },
    { status: 'processing', progress: 95 },
    { status: 'completed', progress: 100 },
    { status: 'completed', progress: 100 },
  ];
  const sad: Partial<Job>[] = [{ status: 'queued' }, { status: 'processing', progress: 60 }, { status: 'failed', progress: 60 }, { status: 'failed' }];
  const cancelled: Partial<Job>[] = [{ status: 'queued' }, { status: 'cancelled' }];

  it('UltimateCreator: a progress event per 25 % step crossed, then completed or failed; cancelled reads as failed', () => {
    expect(run('ultimatecreator', happy)).toEqual(['video.job.progress', 'video.job.progress', 'video.job.completed']);
    expect(run('ultimatecreator', sad)).toEqual(['video.job.progress', 'video.job.failed']);
    expect(run('ultimatecreator', cancelled)).toEqual(['video.job.failed']);
    expect(jobFingerprint(jobOf('ultimatecreator', { status: 'processing', progress: 55 }))).toBe('processing:50');
  });

  it.each(['unrealugc', 'local'] as const)('%s: created when the job appears, then completed or failed', (provider) => {
    expect(run(provider, happy)).toEqual(['video.created', 'video.completed']);
    expect(run(provider, sad)).toEqual(['video.created', 'video.failed']);
    expect(run(provider, cancelled)).toEqual(['video.created', 'video.failed']);
    expect(run(provider, [{ status: 'completed' }])).toEqual(['video.created', 'video.completed']);
    expect(jobFingerprint(jobOf(provider, { status: 'processing', progress: 55 }))).toBe('processing');
  });

  it.each(['vidgen', 'ugen', 'apex'] as const)('%s: only the end of the job', (provider) => {
    expect(run(provider, happy)).toEqual(['job.completed']);
    expect(run(provider, sad)).toEqual(['job.failed']);
    expect(run(provider, cancelled)).toEqual(['job.failed']);
  });

  it('one event per status change, none after the end (the last event of each change, from the previous fingerprint)', () => {
    const at = (provider: ProviderName, status: JobStatus, progress = 0) => jobOf(provider, { status, progress });
    const last = (job: Job, previous: string | null) => eventsForChange(job, previous).at(-1) ?? null;
    expect(last(at('unrealugc', 'queued'), null)).toBe('video.created');
    expect(last(at('local', 'processing', 5), null)).toBe('video.created');
    expect(last(at('local', 'processing', 50), 'queued')).toBeNull();
    expect(last(at('local', 'completed', 100), 'processing')).toBe('video.completed');
    expect(last(at('local', 'completed', 100), null)).toBe('video.completed');
    expect(last(at('local', 'completed', 100), 'completed')).toBeNull();
    expect(last(at('local', 'failed'), 'completed')).toBeNull();
    expect(last(at('apex', 'queued'), null)).toBeNull();
    expect(last(at('apex', 'cancelled'), 'queued')).toBe('job.failed');
    expect(last(at('vidgen', 'failed'), 'processing')).toBe('job.failed');
    expect(last(at('ugen', 'processing', 50), 'queued')).toBeNull();
    expect(last(at('ultimatecreator', 'processing', 10), 'queued')).toBeNull();
    expect(last(at('ultimatecreator', 'processing', 30), 'queued')).toBe('video.job.progress');
    expect(last(at('ultimatecreator', 'processing', 30), 'processing:0')).toBe('video.job.progress');
    expect(last(at('ultimatecreator', 'processing', 45), 'processing:25')).toBeNull();
    expect(last(at('ultimatecreator', 'processing', 99), 'processing:50')).toBe('video.job.progress');
    expect(last(at('ultimatecreator', 'cancelled'), 'processing:50')).toBe('video.job.failed');
  });
});

describe('payload shapes', () => {
  it('UltimateCreator: { event, timestamp, data } as its document shows', () => {
    const done = parse(buildPayload('ultimatecreator', 'video.job.completed', { ...completed('ultimatecreator'), thumbnailUrl: 'https://cdn.example.com/r_123.jpg' }, META));
    expect(done).toEqual({
      event: 'video.job.completed',
      timestamp: '2025-10-09T08:53:20Z',
      data: { job_id: 'r_123', status: 'completed', video_url: 'https://cdn.example.com/r_123.mp4', thumbnail_url: 'https://cdn.example.com/r_123.jpg', duration_seconds: 12.5, credits_charged: 140 },
    });
    expect(parse(buildPayload('ultimatecreator', 'video.job.failed', failed('ultimatecreator'), META)).data).toEqual({
      job_id: 'r_123',
      status: 'failed',
      error_message: 'the model refused the image',
      duration_seconds: null,
      credits_charged: 0,
    });
    expect(parse(buildPayload('ultimatecreator', 'video.job.failed', failed('ultimatecreator', 'cancelled'), META)).data.status).toBe('cancelled');
    const progress = parse(buildPayload('ultimatecreator', 'video.job.progress', jobOf('ultimatecreator', { status: 'processing', progress: 61 }), META));
    expect(progress).toEqual({ event: 'video.job.progress', timestamp: '2025-10-09T08:53:20Z', data: { job_id: 'r_123', status: 'processing', progress_percent: 50 } });
  });

  it('vidgen: its GET /api/status object, with no event field', () => {
    const done = parse(buildPayload('vidgen', 'job.completed', completed('vidgen'), META));
    expect(done).toEqual({
      jobId: 'r_123',
      status: 'COMPLETED',
      progress: 100,
      outputVideo: 'https://cdn.example.com/r_123.mp4',
      outputShareLink: null,
      errorMessage: null,
      createdAt: '2025-10-09T08:49:00.000Z',
      updatedAt: '2025-10-09T08:53:00.000Z',
    });
    expect(parse(buildPayload('vidgen', 'job.failed', failed('vidgen'), META))).toMatchObject({ status: 'FAILED', progress: 40, outputVideo: null, errorMessage: 'the model refused the image' });
    expect(parse(buildPayload('vidgen', 'job.failed', failed('vidgen', 'cancelled'), META)).status).toBe('CANCELLED');
  });

  it('U-Gen: the flat body its webhook guide describes', () => {
    expect(parse(buildPayload('ugen', 'job.completed', completed('ugen'), META))).toEqual({
      event: 'job.completed',
      job_id: 'r_123',
      status: 'completed',
      final_video_url: 'https://cdn.example.com/r_123.mp4',
      thumbnail_url: null,
      credits_consumed: 140,
      error_message: null,
      timestamp: '2025-10-09T08:53:00.000Z',
    });
    expect(parse(buildPayload('ugen', 'job.failed', failed('ugen', 'cancelled'), META))).toMatchObject({ event: 'job.failed', status: 'failed', final_video_url: null, error_message: 'the model refused the image' });
  });

  it('Apex: { event, timestamp, data } with the completed and failed fields of its document', () => {
    expect(parse(buildPayload('apex', 'job.completed', completed('apex'), META))).toEqual({
      event: 'job.completed',
      timestamp: '2025-10-09T08:53:20Z',
      data: {
        jobId: 'r_123',
        type: 'video',
        status: 'completed',
        outputUrl: 'https://cdn.example.com/r_123.mp4',
        outputType: 'video/mp4',
        metadata: { model: 'kling-2.6', durationSeconds: 12.5, resolution: '1080p' },
        createdAt: '2025-10-09T08:49:00.000Z',
        completedAt: '2025-10-09T08:53:00.000Z',
      },
    });
    expect(parse(buildPayload('apex', 'job.failed', failed('apex'), META))).toEqual({
      event: 'job.failed',
      timestamp: '2025-10-09T08:53:20Z',
      data: { jobId: 'r_123', type: 'video', status: 'failed', error: 'the model refused the image', creditsRefunded: 150, createdAt: '2025-10-09T08:49:00.000Z', failedAt: '2025-10-09T08:53:00.000Z' },
    });
  });

  it('UnrealUGC: the Standard Webhooks envelope { type, timestamp, data } around its video object', () => {
    const created = parse(buildPayload('unrealugc', 'video.created', jobOf('unrealugc', { status: 'processing', providerStatus: 'GENERATING', progress: 30 }), META));
    expect(created).toEqual({
      type: 'video.created',
      timestamp: '2025-10-09T08:53:20Z',
      data: {
        id: 'r_123',
        status: 'GENERATING',
        productName: 'Glow Serum',
        durationSeconds: null,
        aspectRatio: '9:16',
        outputUrl: null,
        thumbnailUrl: null,
        error: null,
        creditsCharged: 0,
        creditsFinal: null,
        createdAt: '2025-10-09T08:49:00.000Z',
        updatedAt: '2025-10-09T08:53:00.000Z',
      },
    });
    expect(parse(buildPayload('unrealugc', 'video.created', jobOf('unrealugc'), META)).data.status).toBe('DRAFT');
    expect(parse(buildPayload('unrealugc', 'video.completed', completed('unrealugc'), META)).data).toMatchObject({ status: 'COMPLETED', outputUrl: 'https://cdn.example.com/r_123.mp4', creditsFinal: 140 });
    expect(parse(buildPayload('unrealugc', 'video.failed', failed('unrealugc', 'cancelled'), META)).data).toMatchObject({ status: 'FAILED', error: 'the model refused the image' });
  });

  it('local: the Standard Webhooks envelope around the CLI job object, the video as a file: URL', () => {
    const done = parse(buildPayload('local', 'video.completed', { ...completed('local'), worker: { pid: 42, host: 'box' } }, META));
    expect(Object.keys(done)).toEqual(['type', 'timestamp', 'data']);
    expect(done.type).toBe('video.completed');
    expect(done.data).toMatchObject({ id: 'job_local123', provider: 'local', remoteId: null, status: 'completed', progress: 100, output: { path: '/tmp/ugc out/job_local123.mp4' } });
    expect(done.data).not.toHaveProperty('worker');
    const ultimate = parse(buildPayload('ultimatecreator', 'video.job.completed', completed('local'), META));
    expect(ultimate.data.video_url).toBe('file:///tmp/ugc%20out/job_local123.mp4');
    expect(ultimate.data.job_id).toBe('job_local123'); // no remote id: the job's own
  });

  it('the payload says what the event says, even when the job is elsewhere (a trigger by hand)', () => {
    const running = jobOf('vidgen', { status: 'processing', progress: 20 });
    expect(parse(buildPayload('vidgen', 'job.completed', running, META)).status).toBe('COMPLETED');
    expect(parse(buildPayload('vidgen', 'job.failed', running, META))).toMatchObject({ status: 'FAILED', errorMessage: 'Generation failed' });
  });

  it('is the same bytes for the same inputs (they are signed as they are)', () => {
    for (const provider of PROVIDERS) {
      const job = completed(provider);
      const event = eventNames(provider).find((e) => e.endsWith('completed')) ?? '';
      expect(buildPayload(provider, event, job, META)).toBe(buildPayload(provider, event, structuredClone(job), META));
    }
  });
});

describe('samples and event ids', () => {
  it.each([...PROVIDERS])('%s: a realistic sample body for every event', (provider) => {
    for (const event of eventNames(provider)) {
      const body = parse(samplePayload(provider, event, { eventId: newEventId(provider), timestamp: T }));
      if (provider === 'vidgen') {
        expect(body.status).toBe(event === 'job.completed' ? 'COMPLETED' : 'FAILED');
        expect(String(body.jobId)).toMatch(/^cl/);
        continue;
      }
      expect(body.event ?? body.type).toBe(event);
      if (provider !== 'ugen') expect(body.timestamp).toBe('2025-10-09T08:53:20Z');
      const job = sampleJob(provider, event);
      if (event.endsWith('completed')) expect(job.output.url ?? job.output.path).toBeTruthy();
      if (event.endsWith('failed')) expect(job.error?.message).toBeTruthy();
    }
  });

  it('sample jobs and event ids are unique', () => {
    const ids = new Set(Array.from({ length: 500 }, () => newEventId('ugen')));
    expect(ids.size).toBe(500);
    expect([...ids].every((id) => /^evt_[A-Za-z0-9_-]{22}$/.test(id))).toBe(true);
    for (const provider of ['unrealugc', 'apex', 'local'] as const) expect(newEventId(provider)).toMatch(/^msg_[A-Za-z0-9_-]{22}$/);
    const bodies = new Set(Array.from({ length: 20 }, () => samplePayload('apex', 'job.completed', META)));
    expect(bodies.size).toBe(20);
    expect(samplePayload('local', 'video.created')).not.toBe(samplePayload('local', 'video.created'));
  });
});

describe('which job a provider delivery is about', () => {
  it.each([...PROVIDERS])('%s: every event body names the job it was built from, and the state it brings', (provider) => {
    const progressed = jobOf(provider, { status: 'processing', progress: 60 });
    for (const event of eventNames(provider)) {
      const kind = eventKind(provider, event);
      const job = kind === 'completed' ? completed(provider) : kind === 'failed' ? failed(provider) : progressed;
      const state = deliveredState(provider, event, buildPayload(provider, event, job, META));
      expect(state, event).toEqual({ id: job.remoteId ?? job.id, fingerprint: kind === 'created' ? 'queued' : kind === 'progress' ? 'processing:50' : kind });
    }
  });

  it('a body that names no job, or is not JSON, or an event the provider does not send, is about no job', () => {
    expect(deliveredState('ugen', 'job.completed', '{"event":"job.completed"}')).toBeNull();
    expect(deliveredState('ugen', 'job.completed', 'not json')).toBeNull();
    expect(deliveredState('ugen', 'video.completed', '{"job_id":"x"}')).toBeNull();
  });

  it('a job only moves forward: queued, the progress steps, the end', () => {
    const order = ['queued', 'processing', 'processing:25', 'processing:75', 'completed'];
    expect(order.map(fingerprintRank)).toEqual([...order.map(fingerprintRank)].sort((a, b) => a - b));
    expect(new Set(['completed', 'failed', 'cancelled'].map(fingerprintRank)).size).toBe(1);
  });
});

import { randomUUID } from 'node:crypto';
import type { Job } from '../core/job.js';
import { CAPTION_VALUES, InputError, type GenerateRequest } from '../core/request.js';
import { paramValues, readErrorEnvelope } from './envelopes.js';
import { defineRemoteProvider, type RemoteJob } from './remote.js';
import { creditsOf, deliveredJob, endedAt, errorMessage, statusFor, thumbnailUrl, videoUrl, type EventKind } from './webhook-bodies.js';
import { timestampedHexScheme } from './webhook-schemes.js';
import { isNumber, shaped } from './answers.js';

type CaptionStyle = (typeof CAPTION_VALUES)[number];

interface UGenJob {
  job_id: string;
  status: RemoteJob['status'];
  current_stage?: string | null;
  progress_percent?: number | null;
  final_video_url?: string | null;
  error_message?: string | null;
  credits_consumed?: number | null;
  credits_reserved?: number | null;
}

/** U-Gen renders in segments; without `--param segment_count`, one per ~8 s of the requested length. */
const SECONDS_PER_SEGMENT = 8;
/** The model of the document's examples, sent when `--model` names none (its own default is not documented). */
const DEFAULT_MODEL = 'veo3_fast';

function segments(request: GenerateRequest): number {
  return Math.min(10, Math.max(1, Math.round((request.durationSeconds ?? 24) / SECONDS_PER_SEGMENT)));
}

/**
 * What U-Gen charges for, decided once and sent explicitly to both `POST /credits/estimate` and
 * `POST /jobs` (an undocumented default never decides a price): segments, the model, and music
 * (`--music` turns U-Gen's own music on; `--param` values win).
 */
function pricedFields(request: GenerateRequest): { segment_count: string | number | boolean; model: string | number | boolean; music_enabled: string | number | boolean } {
  const params = paramValues(request.params);
  return {
    segment_count: params.segment_count ?? segments(request),
    model: request.model ?? params.video_model ?? params.model_id ?? DEFAULT_MODEL,
    music_enabled: params.music_enabled ?? request.music !== null,
  };
}

/** Our caption styles in the document's words; it names one style, and no way to turn captions off. */
const CAPTION_STYLES: Partial<Record<CaptionStyle, string>> = { karaoke: 'tiktok_karaoke' };

// Credits are reserved at creation, consumed on completion and released on failure.
const toJob = (job: UGenJob): RemoteJob => ({
  remoteId: job.job_id,
  status: job.status,
  providerStatus: job.current_stage ? `${job.status}:${job.current_stage}` : job.status,
  progress: job.status === 'completed' ? 100 : (job.progress_percent ?? 0),
  outputUrl: job.final_video_url ?? null,
  errorMessage: job.error_message,
  creditsCharged: job.status === 'completed' ? (job.credits_consumed ?? null) : job.status === 'failed' ? null : (job.credits_reserved ?? null),
  creditsFinal: job.status === 'completed' ? (job.credits_consumed ?? null) : job.status === 'failed' ? 0 : null,
});

/** The flat body of its webhook guide (as the emulator reads it); U-Gen has no cancelled status. */
function eventBody(event: string, kind: EventKind, job: Job, timestamp: string): unknown {
  const completed = kind === 'completed';
  const status = statusFor(kind, job);
  return {
    event,
    job_id: job.remoteId ?? job.id,
    status: completed ? 'completed' : 'failed',
    final_video_url: completed ? videoUrl(job) : null,
    thumbnail_url: completed ? thumbnailUrl(job) : null,
    credits_consumed: creditsOf(job),
    error_message: completed ? null : errorMessage(job, status),
    timestamp: endedAt(job, timestamp),
  };
}

/** U-Gen: product videos from a product photo URL and a persona; idempotency key in the body. */
export default defineRemoteProvider({
  name: 'ugen',
  summary: 'U-Gen: product videos from a product photo URL and a persona (u-gen.ai)',
  document: 'U-Gen SDKs & Examples, https://api.u-gen.ai/api/v1',
  api: { documentedBaseUrl: 'https://api.u-gen.ai/api/v1', authHeader: 'x-api-key', parseError: readErrorEnvelope },

  jobs: {
    // "Poll the job endpoint every 10 seconds"
    pollIntervalSeconds: 10,
    // "Pass an idempotency_key field in the POST /jobs request body to safely retry without creating duplicate jobs."
    idempotency: { documented: 'body' },
    inputs: {
      required: ['script', 'productName', 'productImage'],
      urlOnly: ['productImage'],
      unsupported: {
        image: 'it generates from a product photo and a persona (pass the persona id as {creator})',
        audio: 'it generates from a product photo and a persona (pass the persona id as {creator})',
      },
    },
    check(request) {
      const captions = request.captions ?? 'karaoke';
      if (request.params.caption_style === undefined && !CAPTION_STYLES[captions]) {
        throw new InputError({
          field: 'captions',
          message: `ugen cannot make ${captions === 'none' ? 'a video without captions' : `${captions} captions`}: its document names one caption style, tiktok_karaoke ({} karaoke)`,
          hint: 'Pass {} karaoke, or name a U-Gen style yourself with {params} caption_style=<style>.',
        });
      }
    },
    notice: (request) => (request.music ? `ugen adds music of its own choosing (music_enabled): ${request.music} is not sent` : null),
    async create(http, request, { idempotencyKey, signal }) {
      const { model, ...priced } = pricedFields(request);
      const body = {
        product_name: request.productName,
        product_image_url: request.productImage,
        ...(request.creator ? { persona_id: request.creator } : {}),
        // Not in the project's copy of the document; U-Gen's reference names the script field so.
        custom_script: request.script,
        caption_style: CAPTION_STYLES[request.captions ?? 'karaoke'],
        ...paramValues(request.params),
        ...priced,
        video_model: model,
      };
      const { data } = await http.post<UGenJob>('/jobs', { json: body, idempotencyKey, signal });
      return toJob(data);
    },
    async get(http, remoteId, signal) {
      return toJob((await http.get<UGenJob>(`/jobs/${encodeURIComponent(remoteId)}`, { signal })).data);
    },
    // One URL per account: `--webhook-url` points it here, signed with the secret `ugc webhooks secret --provider ugen` prints.
    async configureWebhook(http, url, secret) {
      await http.put('/tenants/me/webhook', { json: { webhook_url: url, webhook_secret: secret } });
    },
  },

  async whoami(http) {
    const balance = shaped<{ available_credits: number; credit_balance?: number; credit_reserved?: number }>(http, 'GET /credits/balance', (await http.get('/credits/balance')).data, (d) => isNumber(d.available_credits), 'a credit balance');
    return { account: 'API key accepted', plan: null, credits: balance.available_credits, reserved: balance.credit_reserved ?? null };
  },

  // The priced fields exactly as `generate` sends them; every U-Gen video is voiced from an image (the document's `i2v`).
  async estimate(http, request) {
    const params = paramValues(request.params);
    const { model, ...priced } = pricedFields(request);
    const body = { ...priced, model_id: model, variant: params.variant ?? 'i2v', voice_enabled: params.voice_enabled ?? true };
    const { data } = await http.post<{ total_credits: number; available_credits: number; breakdown?: unknown }>('/credits/estimate', { json: body });
    return { credits: data.total_credits, balance: data.available_credits, breakdown: data.breakdown };
  },

  webhooks: {
    // The document does not name the timestamp header: `X-UGen-Timestamp` (Unix seconds), 300 s tolerance.
    scheme: timestampedHexScheme('ugen-timestamped', 'X-UGen-Signature', 'X-UGen-Timestamp', 'ugen'),
    events: { completed: 'job.completed', failed: 'job.failed' },
    body: eventBody,
    jobIn: deliveredJob('job_id'),
    sample: {
      remoteId: () => randomUUID(),
      finished: (id) => ({ output: { path: null, url: `https://example.com/ugen/videos/${id}.mp4`, thumbnailPath: null, durationSeconds: 30 } }),
      credits: 150,
      model: null,
    },
  },
});

import { randomUUID } from 'node:crypto';
import { UsageError } from '../core/errors.js';
import type { Job } from '../core/job.js';
import { given, InputError, type GenerateRequest, type RequestField } from '../core/request.js';
import { paramValues, readErrorEnvelope, spokenSeconds } from './envelopes.js';
import { defineRemoteProvider, type ListedJob, type RemoteJob } from './remote.js';
import { deliveredJob, endedAt, errorMessage, requestText, statusFor, videoUrl, type EventKind } from './webhook-bodies.js';
import { standardScheme } from './webhook-schemes.js';
import { isNumber, isObject, isText, shaped } from './answers.js';

interface ApexJob {
  jobId: string;
  type?: string;
  status: string;
  progress?: number;
  outputUrl?: string | null;
  outputType?: string | null;
  metadata?: Record<string, unknown> | null;
  error?: string | null;
  creditsRefunded?: number | null;
  createdAt?: string;
}

type Body = Record<string, unknown>;

/**
 * One documented generation kind (`POST /api/generate/<kind>`): its price, what it makes, the body our
 * request becomes, and its required fields, each with the flag that fills it (none: only `--param`).
 */
interface Kind {
  /** Credits, from the document's endpoint list (instant-ad: "500-1,250", by output format). */
  credits(params: Body): number;
  /** What it outputs, for the user's information (the delivered file's content decides its extension). */
  makes: 'a video' | 'an image' | 'audio' | 'images or a video';
  /** The flags it uses besides the ones every request has (aspect, captions, resolution, params). */
  uses: readonly RequestField[];
  body(request: GenerateRequest): Body;
  required: Readonly<Record<string, RequestField | null>>;
}

const VIDEO_MODELS = ['wan-2.6', 'kling-2.6-pro', 'kling-3.0-pro', 'veo-3.1'];
const AVATAR_MODELS = ['veed-fabric', 'creatify-aurora', 'kling-avatar-v2', 'omnihuman-1.5'];
const flat = (credits: number) => () => credits;
const some = (fields: Body): Body => Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== null && value !== undefined && value !== ''));
/** Image sizes for our aspect ratios, within its 256-2048 range. */
const IMAGE_SIZE: Record<string, { width: number; height: number }> = { '9:16': { width: 1080, height: 1920 }, '16:9': { width: 1920, height: 1080 }, '1:1': { width: 1024, height: 1024 } };
const seconds = (request: GenerateRequest, min: number, max: number) => Math.min(max, Math.max(min, Math.round(request.durationSeconds ?? spokenSeconds(request.script))));

const KINDS: Record<string, Kind> = {
  video: {
    credits: flat(250),
    makes: 'a video',
    uses: ['script', 'image', 'voice', 'durationSeconds', 'model'],
    body: (r) => some({ script: r.script, avatarImage: r.image, voiceId: r.voice, duration: seconds(r, 3, 60), resolution: r.resolution, model: r.model }),
    required: { script: 'script' },
  },
  avatar: {
    credits: flat(750),
    makes: 'a video',
    uses: ['image', 'audio', 'script', 'voice', 'model'],
    // `text` is "Text to speak (if no audio)"; `model` is required, so the document's last one is the default.
    body: (r) => some({ image: r.image, resolution: r.resolution, model: r.model ?? 'omnihuman-1.5', ...(r.audio ? { audio: r.audio } : { text: r.script }), voiceId: r.voice }),
    required: { image: 'image', resolution: 'resolution', model: 'model' },
  },
  voice: {
    credits: flat(80),
    makes: 'audio',
    uses: ['script', 'voice', 'model'],
    body: (r) => some({ text: r.script, voiceId: r.voice, model: r.model }),
    required: { text: 'script' },
  },
  image: {
    credits: flat(10),
    makes: 'an image',
    uses: ['prompt', 'script', 'model'],
    body: (r) => some({ prompt: r.prompt ?? r.script, ...IMAGE_SIZE[r.aspect], model: r.model }),
    required: { prompt: 'prompt' },
  },
  'b-roll': {
    credits: flat(150),
    makes: 'a video',
    uses: ['prompt', 'script', 'durationSeconds', 'model'],
    // At most 720p: `--resolution 1080p` (the default) leaves the resolution to Apex.
    body: (r) => some({ prompt: r.prompt ?? r.script, duration: r.durationSeconds === null ? null : seconds(r, 3, 6), resolution: r.resolution === '720p' ? '720p' : null, model: r.model }),
    required: { prompt: 'prompt' },
  },
  text2video: {
    credits: flat(250),
    makes: 'a video',
    uses: ['script', 'durationSeconds', 'model'],
    body: (r) => some({ script: r.script, duration: r.durationSeconds === null ? null : Math.round(r.durationSeconds), resolution: r.resolution, model: r.model }),
    required: { script: 'script' },
  },
  commercial: {
    credits: flat(3000),
    makes: 'a video',
    uses: ['productName', 'productImage', 'image', 'voice', 'durationSeconds', 'model'],
    body: (r) => some({ product: r.productName, duration: r.durationSeconds, spokespersonImage: r.image, productImages: r.productImage ? [r.productImage] : null, voiceId: r.voice, videoModel: r.model }),
    required: { product: 'productName', platform: null, duration: 'durationSeconds', tone: null },
  },
  clip: { credits: flat(30), makes: 'a video', uses: [], body: (r) => some({ aspectRatio: r.aspect }), required: { sourceVideoUrl: null } },
  translate: { credits: flat(1800), makes: 'a video', uses: [], body: () => ({}), required: { videoUrl: null, outputLanguage: null } },
  'instant-ad': {
    credits: (params) => ({ image: 500, video: 1000, both: 1250 })[String(params.outputFormat ?? 'image')] ?? 1250,
    makes: 'images or a video',
    uses: [],
    body: () => ({}),
    required: { websiteUrl: null, platform: null, count: null, style: null },
  },
  photoshoot: {
    credits: flat(30),
    makes: 'an image',
    uses: ['productImage', 'model'],
    body: (r) => some({ productImage: r.productImage, model: r.model }),
    required: { productImage: 'productImage', background: null, angle: null, lighting: null, count: null },
  },
};

/** Flags a kind may leave unused without a word: every request has them (defaults), or any kind may take them. */
const ALWAYS: ReadonlySet<RequestField> = new Set(['aspect', 'captions', 'resolution', 'params', 'subtitles', 'webhookUrl', 'idempotencyKey']);

/**
 * Which generation endpoint a request goes to: `--param kind=<endpoint>` for any documented kind,
 * else `avatar` when a spokesperson photo is given, else `video` (from the script).
 */
function kindOf(request: Pick<GenerateRequest, 'params' | 'image'>): string {
  return request.params.kind ?? (request.image ? 'avatar' : 'video');
}

/** The kind of a recorded job (its request as stored). */
const kindOfJob = (job: Job): string => kindOf({ params: (job.request.params ?? {}) as Record<string, string>, image: requestText(job, 'image') });

/** The body of `POST /api/generate/<kind>`: the kind's mapping of our flags, then `--param` fields. */
function bodyFor(request: GenerateRequest): Body {
  const { kind: _kind, ...params } = paramValues(request.params);
  return { ...KINDS[kindOf(request)]?.body(request), ...params };
}

/**
 * The kind's documented required fields are all in the body, else the flag (or `--param`) that fills
 * each is named; a flag the kind has no field for is refused rather than dropped.
 */
function checkKind(request: GenerateRequest): void {
  const name = kindOf(request);
  const kind = KINDS[name];
  if (!kind) throw new InputError({ field: 'params', message: `{} kind must be one of Apex's generation kinds: ${Object.keys(KINDS).join(', ')} (got "${name}")` });
  const body = bodyFor(request);
  for (const [field, flag] of Object.entries(kind.required)) {
    if (body[field] !== undefined) continue;
    if (!flag) throw new InputError({ field: 'params', message: `apex kind=${name} needs its ${field} field: pass {} ${field}=<value>` });
    throw new InputError({ field: flag, message: `apex kind=${name} needs {}${flag === 'prompt' ? ' (or {script})' : ''} (its ${field} field)` });
  }
  // "Create a talking-head video from a photo and script or audio."
  if (name === 'avatar' && body.audio === undefined && body.text === undefined) throw new InputError({ field: 'script', message: 'apex kind=avatar needs {} or {audio} (what the photo says)' });
  for (const field of Object.keys(request) as RequestField[]) {
    if (!given(request, field) || ALWAYS.has(field) || kind.uses.includes(field)) continue;
    const uses = kind.uses.length ? kind.uses.map((f) => `{${f}}`).join(', ') : '{params} fields';
    throw new InputError({ field, message: `apex kind=${name} does not take {}: it makes ${kind.makes} from ${uses}` });
  }
}

function toJob(job: ApexJob): RemoteJob {
  const status = job.status === 'completed' || job.status === 'failed' || job.status === 'processing' ? job.status : 'queued';
  // Credits are "deducted before processing and refunded on failure"; only a failure reports a figure.
  const refunded = status === 'failed' && typeof job.creditsRefunded === 'number' ? job.creditsRefunded : null;
  return {
    remoteId: job.jobId,
    status,
    providerStatus: job.status,
    progress: status === 'completed' ? 100 : (job.progress ?? 0),
    outputUrl: job.outputUrl ?? null,
    errorMessage: job.error,
    ...(refunded === null ? {} : { creditsCharged: refunded, creditsFinal: 0 }),
  };
}

/**
 * Apex documents no idempotency, so a create whose answer was lost is looked for in `GET /api/jobs`
 * (all of the key's jobs): those of the same kind whose listed fields (at the top, or in `metadata`)
 * agree with what the request sent. The wrapper picks by creation time among those no record holds.
 */
function jobsMatching(list: ApexJob[], request: GenerateRequest): ListedJob[] {
  const kind = kindOf(request);
  const body = bodyFor(request);
  const agrees = (job: ApexJob) =>
    [job, job.metadata].every((fields) => !fields || Object.entries(body).every(([key, value]) => typeof value === 'object' || !(key in fields) || (fields as Body)[key] === value));
  return list.filter((job) => job.type === kind && job.createdAt && agrees(job)).map((job) => ({ remoteId: job.jobId, createdAt: Date.parse(job.createdAt as string) }));
}

/** `{ event, timestamp, data }` with the completed and failed fields of its document. */
function eventBody(event: string, kind: EventKind, job: Job, timestamp: string): unknown {
  const base = { jobId: job.remoteId ?? job.id, type: kindOfJob(job) };
  const data =
    kind === 'completed'
      ? {
          ...base,
          status: 'completed',
          outputUrl: videoUrl(job),
          outputType: job.output.type === 'image' ? 'image/png' : job.output.type === 'audio' ? 'audio/wav' : 'video/mp4',
          metadata: { model: requestText(job, 'model'), durationSeconds: job.output.durationSeconds, resolution: requestText(job, 'resolution') },
          createdAt: job.createdAt,
          completedAt: endedAt(job, timestamp),
        }
      : { ...base, status: 'failed', error: errorMessage(job, statusFor(kind, job)), creditsRefunded: job.credits.charged, createdAt: job.createdAt, failedAt: endedAt(job, timestamp) };
  return { event, timestamp, data };
}

/** Apex Studio: many generation kinds behind /api/generate/*, jobs at /api/jobs?id=. */
export default defineRemoteProvider({
  name: 'apex',
  summary: 'Apex Studio: video, avatar and other generation kinds (useapexstudio.com)',
  document: 'Apex Studio AI Video Generation API, https://useapexstudio.com (paths under /api)',
  api: {
    documentedBaseUrl: 'https://useapexstudio.com',
    authHeader: 'authorization',
    parseError: readErrorEnvelope,
  },

  jobs: {
    pollIntervalSeconds: 5,
    // The document names no idempotency mechanism: a lost create is found in the job list, never resent blindly.
    idempotency: {
      documented: false,
      async findCreated(http, request, signal) {
        return jobsMatching((await http.get<{ data: ApexJob[] }>('/api/jobs', { signal })).data.data, request);
      },
    },
    // What a request needs depends on its kind: checkKind says. Every kind takes media as URLs.
    inputs: {
      required: [],
      urlOnly: ['image', 'audio', 'productImage'],
      unsupported: { creator: 'it has no creator catalog (pass {image} <photo URL> for a talking-head video)' },
    },
    check: checkKind,
    async create(http, request, { idempotencyKey, signal }) {
      const { data } = await http.post<{ data: ApexJob }>(`/api/generate/${kindOf(request)}`, { json: bodyFor(request), idempotencyKey, signal });
      return toJob(data.data);
    },
    async get(http, remoteId, signal) {
      return toJob((await http.get<{ data: ApexJob }>('/api/jobs', { query: { id: remoteId }, signal })).data.data);
    },
  },

  async whoami(http) {
    const usage = shaped<{ data: { credits: number; plan: string } }>(http, 'GET /api/usage', (await http.get('/api/usage')).data, (d) => isObject(d.data) && isNumber(d.data.credits) && isText(d.data.plan), 'the usage of an account');
    return { account: `${usage.data.plan} plan`, plan: usage.data.plan, credits: usage.data.credits };
  },

  async estimate(_http, request) {
    const name = kindOf(request);
    const kind = KINDS[name];
    if (!kind) throw new UsageError(`no documented price for the Apex kind "${name}"`);
    return { credits: kind.credits(paramValues(request.params)), kind: name, source: 'documented price list' };
  },

  models: {
    list: async () => [...VIDEO_MODELS.map((id) => ({ id, kind: 'video', source: 'documented' })), ...AVATAR_MODELS.map((id) => ({ id, kind: 'avatar', source: 'documented' }))],
    table: { head: ['ID', 'NAME', 'DETAILS'], row: (m) => [m.id, String(m.name ?? ''), String(m.kind ?? m.tier ?? m.description ?? '')] },
  },

  // No signature is documented: the events `ugc` forwards are signed with Standard Webhooks.
  webhooks: {
    scheme: standardScheme,
    events: { completed: 'job.completed', failed: 'job.failed' },
    body: eventBody,
    jobIn: deliveredJob('data.jobId'),
    sample: {
      remoteId: () => randomUUID(),
      finished: (id) => ({ output: { path: null, url: `https://cdn.useapexstudio.com/outputs/${id}/output.mp4`, thumbnailPath: null, durationSeconds: 30 } }),
      credits: 150,
      model: null,
    },
  },
});

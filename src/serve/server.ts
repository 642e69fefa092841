import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { createExclusive } from '../core/atomic-write.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Context } from '../core/context.js';
import { UgcError, UsageError } from '../core/errors.js';
import { isProcessAlive, isTerminal, newJob, type Job } from '../core/job.js';
import { JobStore } from '../core/job-store.js';
import { MAX_SCRIPT_CHARS, parseRequest } from '../core/request.js';
import { storedSecret } from '../core/webhook-secrets.js';
import { locateFfmpeg } from '../render/ffmpeg/locate.js';
import { mediaProblem } from '../render/inputs.js';
import { sendFile } from './files.js';
import { KeyStore, type KeyRecord } from './keys.js';
import { JobIndex } from './job-index.js';
import { dataLayout, type DataLayout } from './layout.js';
import { RenderQueue, removeUploads } from './queue.js';
import { FixedWindowLimiter, rateLimitHeaders, type RateDecision } from './rate-limit.js';
import { listItem, serveFields, statusObject, STATUS_WORDS, statusWord, type ServeFields, type StatusWord } from './shapes.js';
import { receiveForm, Refusal } from './uploads.js';
import { webhookUrlProblem, WebhookSender, type WebhookRecord } from './webhooks.js';

export interface ServeOptions {
  /** The CLI's context: the config dir's model runners, creators and caches; env for ffmpeg. */
  ctx: Context;
  dataDir: string;
  host: string;
  port: number;
  /** The origin written into output URLs; default: the origin each request came through. */
  publicUrl?: string | null;
  concurrency: number;
  /** The model runner that renders every job (`--model`); default: the pipeline's own choice. */
  model?: string | null;
  allowPrivateWebhooks: boolean;
  /** Per-file upload limit (documented: 50 MB). */
  maxFileBytes?: number;
  /** Per-IP limits (documented: 600 a minute on /api/*, 30 a minute on POST /api/jobs). */
  rateLimits?: { api: { limit: number; windowMs: number }; submit: { limit: number; windowMs: number } };
  webhookRetry?: { attempts: number; backoffMs: number };
  log: (line: string) => void;
}

export interface RunningServe {
  url: string;
  layout: DataLayout;
  queue: RenderQueue;
  webhooks: WebhookSender;
  /** Stops listening, stops (and requeues) running renders, stops webhook retries. */
  close(): Promise<void>;
}

const MB = 1024 * 1024;
const TOO_MANY = 'Too many requests, please try again later.';
const CANCEL = [/^\/api\/cancel\/([^/]+)$/, /^\/api\/jobs\/([^/]+)\/cancel$/];

export const serveSecret = (dataDir: string, keyId: string): Promise<string> => storedSecret(dataDir, `serve:${keyId}`, () => randomBytes(32).toString('hex'));

/** `ugc serve`: the vidgen HTTP API over the local pipeline. */
export async function startServe(options: ServeOptions): Promise<RunningServe> {
  const layout = dataLayout(options.dataDir);
  await mkdir(layout.uploads, { recursive: true, mode: 0o700 });
  await mkdir(layout.outputs, { recursive: true });
  await claimDataDir(layout.pidFile);
  const store = new JobStore(layout.root);
  const ctx: Context = { ...options.ctx, jobs: store };
  const index = new JobIndex(store);
  await index.open();
  const keys = new KeyStore(layout.keys);
  const tools = await locateFfmpeg(ctx.env);
  const maxFileBytes = options.maxFileBytes ?? 50 * MB;
  const limits = options.rateLimits ?? { api: { limit: 600, windowMs: 60_000 }, submit: { limit: 30, windowMs: 60_000 } };
  const apiLimiter = new FixedWindowLimiter(limits.api.limit, limits.api.windowMs);
  const submitLimiter = new FixedWindowLimiter(limits.submit.limit, limits.submit.windowMs);
  const webhooks = new WebhookSender({ store, secretFor: async (jobId) => serveSecret(layout.root, serveFields(await store.get(jobId)).keyId), allowPrivate: options.allowPrivateWebhooks, ...options.webhookRetry, log: options.log });
  const queue = new RenderQueue({ ctx, index, concurrency: options.concurrency, log: options.log, onEnded });
  /** Keys in the middle of creating a job: the one-active-job check and the insert happen as one step. */
  const creating = new Set<string>();

  async function onEnded(job: Job): Promise<void> {
    await removeUploads(job);
    const { webhookUrl } = serveFields(job);
    if (webhookUrl && (job.status === 'completed' || job.status === 'failed') && !job.webhook) await webhooks.start(job.id, webhookUrl, JSON.stringify(statusObject(job)));
  }

  const activeJobOf = (keyId: string) => index.all().find((job) => serveFields(job).keyId === keyId && !isTerminal(job.status));

  const originOf = (req: IncomingMessage) => (options.publicUrl ?? `http://${req.headers.host ?? `${options.host}:${options.port}`}`).replace(/\/+$/, '');

  function ownJob(id: string | undefined, key: KeyRecord): Job | null {
    const job = id ? index.get(id) : undefined;
    return job && serveFields(job).keyId === key.id ? job : null;
  }

  async function handle(req: IncomingMessage, res: ServerResponse, seen: { key: string | null }): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://serve');
    const path = url.pathname;
    let match: RegExpExecArray | null;

    if (method === 'GET' && path === '/api/health') return sendJson(res, 200, { status: 'ok' });
    if ((method === 'GET' || method === 'HEAD') && (match = /^\/files\/([^/]+)\.mp4$/.exec(path))) {
      const job = index.get(match[1] ?? '');
      if (job?.status === 'completed' && job.output.path && (await sendFile(req, res, job.output.path, 'video/mp4'))) return;
      return sendJson(res, 404, { error: 'File not found' });
    }
    if (method === 'GET' && (match = /^\/share\/([^/]+)$/.exec(path))) {
      const job = index.get(match[1] ?? '');
      if (job?.status !== 'completed') return sendJson(res, 404, { error: 'Not found' });
      const html = `<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${job.id}</title><video controls playsinline style="max-width:100%;max-height:100vh" src="/files/${job.id}.mp4"></video>\n`;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html) });
      res.end(html);
      return;
    }
    if (!path.startsWith('/api/')) return sendJson(res, 404, { error: 'Not found' });

    // Per-IP limits first, so refused keys count too; the scope closer to its limit shows in the headers.
    const ip = req.socket.remoteAddress ?? 'unknown';
    const general = apiLimiter.take(ip);
    if (!general.allowed) return tooMany(req, res, general);
    let shown = general;
    if (method === 'POST' && path === '/api/jobs') {
      const submit = submitLimiter.take(ip);
      if (!submit.allowed) return tooMany(req, res, submit);
      if (submit.remaining <= general.remaining) shown = submit;
    }
    for (const [name, value] of Object.entries(rateLimitHeaders(shown))) res.setHeader(name, value);

    const given = req.headers['x-api-key'];
    const keyText = Array.isArray(given) ? given[0] : given;
    if (!keyText) return refuse(req, res, 401, 'Missing X-API-Key header');
    const key = await keys.authenticate(keyText);
    if (!key) return refuse(req, res, 401, 'API key not recognized or has been deactivated');
    seen.key = key.name;

    if (path === '/api/jobs' && method === 'POST') return createJob(req, res, key);
    if (path === '/api/jobs' && method === 'GET') return listJobs(url, res, key);
    if (method === 'GET' && (match = /^\/api\/(?:status|jobs)\/([^/]+)$/.exec(path))) {
      const job = ownJob(match[1], key);
      if (!job) return sendJson(res, 404, { error: 'Job not found' });
      return sendJson(res, 200, statusObject(job, options.publicUrl ?? undefined));
    }
    const cancelId = method === 'POST' ? CANCEL.map((re) => re.exec(path)?.[1]).find(Boolean) : undefined;
    if (cancelId) return cancelJob(res, cancelId, key);
    return refuse(req, res, 404, 'Not found');
  }

  async function createJob(req: IncomingMessage, res: ServerResponse, key: KeyRecord): Promise<void> {
    // Refused before the upload is read when the key already has a job (checked again before the insert).
    if (creating.has(key.id) || activeJobOf(key.id)) return refuse(req, res, 409, 'You already have an active job. Wait for it to finish or cancel it first.');
    const id = newServeJobId();
    const incoming = join(layout.uploads, `.incoming-${id}`);
    const uploadDir = join(layout.uploads, id);
    await mkdir(incoming, { mode: 0o700 });
    let created = false;
    try {
      const form = await receiveForm(req, incoming, maxFileBytes, MAX_SCRIPT_CHARS);
      const webhookUrl = form.fields.webhookUrl?.trim() || null;
      const problem = webhookUrl ? webhookUrlProblem(webhookUrl, options.allowPrivateWebhooks) : null;
      if (problem) throw new Refusal(400, problem);
      for (const field of ['image', 'audio'] as const) {
        if (await mediaProblem(form.files[field].path, field, tools)) throw new Refusal(400, `The ${field} file could not be read as ${field === 'image' ? 'an image' : 'audio'} (is it complete?)`);
      }
      await rename(incoming, uploadDir);
      const script = form.fields.script?.trim() ?? '';
      const raw = {
        image: join(uploadDir, `image.${form.files.image.extension}`),
        audio: join(uploadDir, `audio.${form.files.audio.extension}`),
        script,
        // vidgen sends no script, so no captions; a script field (an extension) brings the usual ones.
        ...(script ? {} : { captions: 'none' }),
        ...(options.model ? { model: options.model } : {}),
      };
      const { request, issues } = parseRequest(raw, { cwd: layout.root, rules: { required: ['image', 'audio'] }, provider: 'ugc serve' });
      const issue = issues[0];
      if (issue) throw new Refusal(400, issue.message.replaceAll('{}', issue.field));

      if (creating.has(key.id) || activeJobOf(key.id)) throw new Refusal(409, 'You already have an active job. Wait for it to finish or cancel it first.');
      creating.add(key.id);
      try {
        const fields: ServeFields = { keyId: key.id, origin: originOf(req), webhookUrl, retries: 0, uploadDir };
        const job = newJob({ id, provider: 'local', request: { ...request, out: join(layout.outputs, `${id}.mp4`) } });
        if (options.model) job.runner = options.model;
        index.set(await store.create({ ...job, providerStatus: 'queued', serve: fields }));
        created = true;
      } finally {
        creating.delete(key.id);
      }
      sendJson(res, 201, { message: 'Job created', jobId: id });
      queue.poke();
    } catch (error) {
      if (!created) await Promise.all([incoming, uploadDir].map((dir) => rm(dir, { recursive: true, force: true, maxRetries: 3 })));
      if (!(error instanceof Refusal)) throw error;
      refuse(req, res, error.status, error.message);
    }
  }

  async function listJobs(url: URL, res: ServerResponse, key: KeyRecord): Promise<void> {
    const limitText = url.searchParams.get('limit');
    const limit = limitText === null ? 20 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) return sendJson(res, 400, { error: 'limit must be an integer between 1 and 100' });
    const status = url.searchParams.get('status');
    if (status !== null && !STATUS_WORDS.includes(status as StatusWord)) return sendJson(res, 400, { error: `status must be one of ${STATUS_WORDS.join(', ')}` });
    // The cursor is the id of the next page's first job in the key's newest-first list (before the status
    // filter), so a job that changes status between pages is neither repeated nor lost.
    const all = index.all().filter((job) => serveFields(job).keyId === key.id);
    const cursor = url.searchParams.get('cursor');
    const start = cursor ? all.findIndex((job) => job.id === cursor) : 0;
    if (start < 0) return sendJson(res, 400, { error: 'Invalid cursor' });
    const matching = all.slice(start).filter((job) => status === null || statusWord(job) === status);
    const next = matching[limit];
    sendJson(res, 200, {
      jobs: matching.slice(0, limit).map((job) => listItem(job, options.publicUrl ?? undefined)),
      pagination: { limit, nextCursor: next?.id ?? null, hasNextPage: next !== undefined },
    });
  }

  async function cancelJob(res: ServerResponse, id: string, key: KeyRecord): Promise<void> {
    const job = ownJob(id, key);
    if (!job) return sendJson(res, 404, { error: 'Job not found' });
    let cancelled = false;
    const updated = await store.update(job.id, (current) => {
      if (current.status !== 'queued') return null;
      cancelled = true;
      return { status: 'cancelled', providerStatus: 'cancelled', error: { code: 'cancelled', message: 'Cancelled before it ran' } };
    });
    index.set(updated);
    if (!cancelled) return sendJson(res, 409, { error: `Job cannot be cancelled in its current state (${statusWord(updated)})` });
    await removeUploads(updated);
    sendJson(res, 200, { success: true, message: 'Job cancelled successfully' });
  }

  const server: Server = createServer((req, res) => {
    const started = performance.now();
    const seen = { key: null as string | null };
    // One line per request: never the key itself, only its name.
    res.on('finish', () => options.log(`${req.socket.remoteAddress ?? '-'} ${req.method} ${(req.url ?? '').split('?')[0]} ${res.statusCode} ${(performance.now() - started).toFixed(1)}ms key=${seen.key ?? '-'}`));
    handle(req, res, seen).catch((error: unknown) => {
      options.log(`error ${req.method} ${req.url}: ${(error as Error).stack ?? String(error)}`);
      if (!res.headersSent) refuse(req, res, 500, 'Internal server error');
      else res.destroy();
    });
  });
  server.requestTimeout = 0; // a 50 MB upload on a slow link takes a while; idle sockets still time out
  server.headersTimeout = 30_000;

  await queue.recover();
  for (const job of queue.jobs()) {
    const webhook = job.webhook as WebhookRecord | undefined;
    if (webhook?.state === 'pending') webhooks.resume(job.id, webhook);
    else if (isTerminal(job.status)) await removeUploads(job);
  }
  await clearIncoming(layout.uploads);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  }).catch(async (error: NodeJS.ErrnoException) => {
    index.close();
    await queue.close();
    await webhooks.close();
    await rm(layout.pidFile, { force: true });
    const why = error.code === 'EADDRINUSE' ? 'is already in use' : error.code === 'EACCES' ? 'needs privileges' : `cannot be used (${error.message})`;
    throw new UgcError(`port ${options.port} on ${options.host} ${why}`, { hint: 'Pick another with --port (or --host).' });
  });
  queue.poke();
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let closed: Promise<void> | null = null;
  return {
    url: `http://${host}:${address.port}`,
    layout,
    queue,
    webhooks,
    close() {
      closed ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await queue.close();
        await webhooks.close();
        server.closeAllConnections();
        await stopped;
        index.close();
        await rm(layout.pidFile, { force: true });
      })();
      return closed;
    },
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/**
 * An error answer. A request whose body is still arriving (an upload refused part-way) gets the answer
 * now and `Connection: close`; the rest of its body is read and thrown away (never kept), for a while,
 * so the client can read the answer, then the connection is closed.
 */
function refuse(req: IncomingMessage, res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  const unread = !req.complete;
  sendJson(res, status, { error: message }, unread ? { ...headers, connection: 'close' } : headers);
  if (!unread) return;
  let drained = 0;
  const timer = setTimeout(() => req.destroy(), 10_000);
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > 256 * MB) req.destroy();
  });
  req.on('end', () => clearTimeout(timer));
  req.on('close', () => clearTimeout(timer));
  req.resume();
}

function tooMany(req: IncomingMessage, res: ServerResponse, decision: RateDecision): void {
  refuse(req, res, 429, TOO_MANY, { ...rateLimitHeaders(decision), 'Retry-After': String(decision.resetSeconds) });
}

/** `c` + time + 16 random characters: ordered by creation, and unguessable (file URLs need no key). */
function newServeJobId(): string {
  const random = Array.from(randomBytes(16), (b) => '0123456789abcdefghijklmnopqrstuvwxyz'[b % 36]).join('');
  return `c${Date.now().toString(36)}${random}`;
}

/** One `ugc serve` per data dir: a second one would take the same jobs. A pid file left by a dead process is taken over. */
async function claimDataDir(pidFile: string): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    // Created whole or not at all, so a second server never reads an empty pid file and takes over a live one.
    if (await createExclusive(pidFile, String(process.pid))) return;
    const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
    if (pid && pid !== process.pid && isProcessAlive(pid)) throw new UsageError(`another ugc serve (pid ${pid}) is using this data dir`, 'Stop it first, or pass another --data-dir.');
    await rm(pidFile, { force: true });
  }
  throw new UsageError('could not claim the data dir', 'Try again.');
}

async function clearIncoming(uploads: string): Promise<void> {
  const names = await readdir(uploads).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => n.startsWith('.incoming-')).map((n) => rm(join(uploads, n), { recursive: true, force: true })));
}

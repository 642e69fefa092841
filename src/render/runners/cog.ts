import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, fetch } from 'undici';
import { InterruptedError, UgcError } from '../../core/errors.js';
import { contentTypeOf, openCallback, type CallbackRoute } from './callback.js';
import type { CogSettings } from './configured.js';
import { checkModelVideo, modelClip, prepareModelFiles, withSlot, type ModelFiles } from './model-io.js';
import type { CreatorClip, ModelRunner, RunnerHealth, RunnerHooks, RunnerInput } from './types.js';

/**
 * A lip-sync model served by Cog (replicate/cog, docs/http.md: "HTTP API"), used as the creator's runner.
 *
 * What the protocol gives, and how it is used:
 * - `GET /health-check` always answers 200; its `status` is STARTING while `setup()` runs (we wait, up to
 *   the runner's timeout), READY, BUSY (every slot in use: we go on and get 409s), or SETUP_FAILED,
 *   DEFUNCT or UNHEALTHY (we stop, saying so).
 * - `PUT /predictions/<id>` creates a prediction idempotently: while a prediction with that id is in flight,
 *   a second PUT creates nothing and answers 202 with its current state. Ids are 26 lowercase base32
 *   characters (a random UUID, base32, unpadded, as the document suggests), one per job and attempt,
 *   reused by every retry of that attempt.
 * - Without `Prefer: respond-async` the answer comes when the prediction ends, on that connection only: the
 *   server keeps no finished predictions and cannot be polled, and a client that disconnects cancels a
 *   synchronous prediction (Cog's Rust server does; its older Python one let it run on, unseen). So when
 *   that connection breaks, the prediction's result is lost whatever we do: we cancel what is left of it
 *   and run it again under the same id. This is the default, because it needs nothing but the URL.
 * - With `--callback <url>` (this machine as the model server reaches it) the prediction is created with
 *   `Prefer: respond-async` and a `webhook`, answered at once with 202; a retried PUT after a lost answer
 *   attaches to the same prediction, so it runs exactly once, and the result arrives by webhook (Cog
 *   retries terminal webhooks). The input files are served from there too instead of inlined.
 * - `409 Conflict`: every slot is busy (another client may hold the model): we wait and retry, backing off.
 * - `POST /predictions/<id>/cancel` on Ctrl-C, `ugc cancel`, or the timeout (200, or 404 if it is gone).
 * - File inputs go as `data:` URLs (or callback URLs); the output is a `data:` or http(s) URL.
 * - A prediction that fails answers `status: failed` with the model's `error`: the job fails with those words.
 */

/** One prediction at a time per connection; predictions take minutes, so no header or body timeout (the runner's own applies). */
const agent = new Agent({ headersTimeout: 0, bodyTimeout: 0, keepAliveTimeout: 10_000, connections: 64 });
const HEALTH_TIMEOUT_MS = 5_000;
/** How long a server that does not answer at all is retried before the job fails. */
const UNREACHABLE_GRACE_MS = 30_000;
/** While waiting for a webhook, the server's health is looked at this often (a restart loses the prediction). */
const WATCH_INTERVAL_MS = 5_000;
/** While every slot is busy, the health-check (cheap) is asked about this often, and the prediction sent as soon as a slot is free. */
const BUSY_POLL_MS = 1_000;
/** After a broken connection the same prediction is sent again after 0.2 s, doubling to 5 s. */
const RETRY_FIRST_DELAY_MS = 200;
const RETRY_MAX_DELAY_MS = 5_000;

// ---------------------------------------------------------------------------------------------
// The wire

export interface CogHealthAnswer {
  status: string;
  /** `setup.started_at`: changes when the server restarts (and forgets its predictions). */
  setupStartedAt: string | null;
  detail: string | null;
}

export class CogUnreachable extends Error {}

export class CogServer {
  constructor(readonly url: string) {}

  async health(signal?: AbortSignal): Promise<CogHealthAnswer> {
    const body = (await this.json('GET', '/health-check', { signal, timeoutMs: HEALTH_TIMEOUT_MS })).body as Record<string, unknown> | null;
    const setup = (body?.setup ?? null) as { started_at?: string; logs?: string } | null;
    const status = typeof body?.status === 'string' ? body.status : 'UNKNOWN';
    const detail = status === 'SETUP_FAILED' ? lastLine(setup?.logs ?? '') : status === 'UNHEALTHY' ? String(body?.user_healthcheck_error ?? '') || null : null;
    return { status, setupStartedAt: setup?.started_at ?? null, detail };
  }

  /** The model's inputs from `GET /openapi.json` (`components.schemas.Input`), or null when the server does not say. */
  async inputs(signal?: AbortSignal): Promise<Record<string, { type: string; required: boolean }> | null> {
    try {
      const { status, body } = await this.json('GET', '/openapi.json', { signal, timeoutMs: HEALTH_TIMEOUT_MS });
      const schema = (body as { components?: { schemas?: { Input?: { properties?: Record<string, { type?: string; format?: string; allOf?: unknown }>; required?: string[] } } } })?.components?.schemas?.Input;
      if (status !== 200 || !schema?.properties) return null;
      const required = new Set(schema.required ?? []);
      return Object.fromEntries(Object.entries(schema.properties).map(([name, p]) => [name, { type: p.format === 'uri' ? 'file' : (p.type ?? (p.allOf ? 'choice' : 'any')), required: required.has(name) }]));
    } catch {
      return null;
    }
  }

  put(id: string, body: unknown, options: { respondAsync: boolean; signal: AbortSignal }): Promise<{ status: number; body: unknown }> {
    return this.json('PUT', `/predictions/${id}`, { body, signal: options.signal, headers: options.respondAsync ? { prefer: 'respond-async' } : {} });
  }

  /** 200 when the server had the prediction and cancels it, 404 when it has none by that id. */
  async cancel(id: string): Promise<number> {
    return (await this.json('POST', `/predictions/${id}/cancel`, { timeoutMs: HEALTH_TIMEOUT_MS })).status;
  }

  private async json(method: string, path: string, options: { body?: unknown; signal?: AbortSignal; timeoutMs?: number; headers?: Record<string, string> }): Promise<{ status: number; body: unknown }> {
    const signals = [options.signal, options.timeoutMs ? AbortSignal.timeout(options.timeoutMs) : undefined].filter((s): s is AbortSignal => Boolean(s));
    try {
      const response = await fetch(`${this.url}${path}`, {
        method,
        dispatcher: agent,
        headers: { accept: 'application/json', ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers },
        body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
        signal: signals.length ? AbortSignal.any(signals) : undefined,
      });
      const text = await response.text();
      let body: unknown = null;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        body = text;
      }
      return { status: response.status, body };
    } catch (error) {
      if (options.signal?.aborted) throw new InterruptedError('the request to the model server was interrupted');
      throw new CogUnreachable(describeNetworkError(error));
    }
  }
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if ((error as Error).name === 'TimeoutError') return 'no answer in time';
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

/** A random UUID, base32-encoded without padding, lowercase: 26 characters, as Cog's document suggests for prediction ids. */
export function newPredictionId(): string {
  const bytes = Buffer.from(randomUUID().replaceAll('-', ''), 'hex');
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

const lastLine = (text: string): string | null => text.split('\n').map((l) => l.trim()).filter(Boolean).pop() ?? null;
const oneLine = (text: string): string => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 297)}...` : flat;
};

// ---------------------------------------------------------------------------------------------
// Health, as `ugc models` and the start of a generate see it

export async function cogHealth(settings: Pick<CogSettings, 'url'>, signal?: AbortSignal): Promise<RunnerHealth> {
  try {
    const health = await new CogServer(settings.url).health(signal);
    switch (health.status) {
      case 'READY':
        return { available: true, status: 'READY', detail: null };
      case 'BUSY':
        return { available: true, status: 'BUSY', detail: 'every prediction slot is in use; ugc waits for one' };
      case 'STARTING':
        return { available: true, status: 'STARTING', detail: "the model's setup() is still running; ugc waits for it" };
      case 'SETUP_FAILED':
        return { available: false, status: 'SETUP_FAILED', detail: `the model's setup() failed${health.detail ? `: ${health.detail}` : ''}` };
      case 'DEFUNCT':
        return { available: false, status: 'DEFUNCT', detail: 'the model hit an unrecoverable error; restart its server' };
      case 'UNHEALTHY':
        return { available: false, status: 'UNHEALTHY', detail: `the model's healthcheck() failed${health.detail ? `: ${health.detail}` : ''}` };
      default:
        return { available: false, status: health.status, detail: `${settings.url}/health-check did not answer like a Cog server` };
    }
  } catch (error) {
    if (error instanceof InterruptedError) throw error;
    return { available: false, status: 'UNREACHABLE', detail: `${settings.url}: ${(error as Error).message}` };
  }
}

// ---------------------------------------------------------------------------------------------
// One prediction, to its end

export interface PredictionOptions {
  /** The runner's name, for messages. */
  name: string;
  server: CogServer;
  /** The prediction's `input`, files already as URLs. */
  input: Record<string, unknown>;
  /** With a callback, the prediction runs asynchronously and its result comes by webhook. */
  callback: CallbackRoute | null;
  /** Epoch ms by which it must have ended (the runner's timeout). */
  deadline: number;
  timeoutSeconds: number;
  signal: AbortSignal;
  onStatus?: (text: string) => void;
}

/** How a prediction went, for the job's stage and for the reliability figures. */
export interface PredictionReport {
  id: string;
  output: unknown;
  /** PUT requests sent. */
  puts: number;
  /** Times an answer was lost after the request was sent (a broken connection). */
  lostAnswers: number;
  /** Times the server was found restarted while we waited (the prediction was gone, and was sent again). */
  restarts: number;
  /** Milliseconds spent waiting for the server to finish starting, and for a free slot (409). */
  startWaitMs: number;
  busyWaitMs: number;
}

export async function runCogPrediction(options: PredictionOptions): Promise<PredictionReport> {
  const { server, name, signal, deadline } = options;
  const id = newPredictionId();
  const report: PredictionReport = { id, output: null, puts: 0, lostAnswers: 0, restarts: 0, startWaitMs: 0, busyWaitMs: 0 };
  const respondAsync = options.callback !== null;
  const body = { id, input: options.input, ...(options.callback ? { webhook: options.callback.webhookUrl, webhook_events_filter: ['start', 'completed'] } : {}) };
  const status = (text: string) => options.onStatus?.(`${name}: ${text}`);
  const timedOut = () => new UgcError(`${name}: no result within ${options.timeoutSeconds} s (--timeout); the prediction was cancelled`, { code: 'model_timeout', hint: `ugc models show ${name}` });
  const remaining = () => deadline - Date.now();
  // The completed webhook, kept from the moment the prediction is created.
  let completed: ((prediction: unknown) => void) | null = null;
  const finished = new Promise<unknown>((resolve) => (completed = resolve));
  if (options.callback) {
    options.callback.onWebhook = (event) => {
      const prediction = event as { id?: string; status?: string };
      if (prediction?.id === id && (prediction.status === 'starting' || prediction.status === 'processing')) status('running');
      if (prediction?.id === id && isTerminal(prediction.status)) completed?.(prediction);
    };
  }

  let setupStartedAt = (await waitUntilReady(options, report)).setupStartedAt;
  let errors5xx = 0;
  let retries = 0;
  try {
    for (;;) {
      if (remaining() <= 0) throw timedOut();
      status('running');
      report.puts++;
      let answer: { status: number; body: unknown };
      try {
        answer = await server.put(id, body, { respondAsync, signal: AbortSignal.any([signal, AbortSignal.timeout(Math.max(1, remaining()))]) });
      } catch (error) {
        if (error instanceof InterruptedError) throw error;
        if (remaining() <= 0) throw timedOut();
        // Sent, maybe received and started: retry the same id. Asynchronously that attaches to it; synchronously
        // the server has cancelled it (or runs it on unseen) and the retry's 202 says so.
        report.lostAnswers++;
        status(`connection to the model server lost (${(error as Error).message}); retrying the same prediction`);
        const delay = Math.min(RETRY_MAX_DELAY_MS, RETRY_FIRST_DELAY_MS * 2 ** retries++);
        // Asynchronously the prediction may end (and its webhook arrive) before the retry: then no retry is needed.
        const early = await Promise.race([respondAsync ? finished : new Promise<never>(() => undefined), pause(delay, signal).then(() => null)]);
        if (early !== null) return { ...report, output: outcome(name, early, signal) };
        continue;
      }
      retries = 0;
      if (answer.status === 200) {
        const prediction = answer.body as { status?: string };
        if (!respondAsync || isTerminal(prediction?.status)) return { ...report, output: outcome(name, answer.body, signal) };
      }
      if (answer.status === 200 || answer.status === 202) {
        if (!respondAsync) {
          // Our earlier request's prediction is still in flight, but its answer went with the broken connection
          // and nothing can fetch it: stop it, and run it again once it is gone.
          status('the first answer was lost and Cog cannot resend it: cancelling that prediction to run it again');
          await server.cancel(id).catch(() => undefined);
          await pause(500, signal);
          continue;
        }
        status('running');
        const waited = await waitForWebhook(options, finished, setupStartedAt);
        if (waited.kind === 'restarted') {
          report.restarts++;
          setupStartedAt = waited.setupStartedAt;
          status('the model server restarted and lost the prediction: sending it again');
          await waitUntilReady(options, report);
          continue;
        }
        // A retry after a lost answer may have raced the prediction's end and started a second run under the
        // same id; cancelling by id stops it (a 404 means there was none).
        if (report.lostAnswers > 0) await server.cancel(id).catch(() => undefined);
        return { ...report, output: outcome(name, waited.prediction, signal) };
      }
      if (answer.status === 409) {
        status('every slot of the model server is busy (another client may be using it): waiting');
        const started = Date.now();
        await waitForFreeSlot(options, report);
        report.busyWaitMs += Date.now() - started;
        continue;
      }
      if (answer.status === 503) {
        // Not ready (restarting, or setup running again): wait for it like at the start.
        await waitUntilReady(options, report);
        continue;
      }
      if (answer.status === 422) throw new UgcError(`${name} refused the input: ${describe422(answer.body)}`, { code: 'model_input_refused', hint: `\`ugc models show ${name}\` lists the model's inputs; map ours with --input image=<name> --input audio=<name>` });
      if (answer.status >= 500 && ++errors5xx <= 4) {
        status(`the model server answered HTTP ${answer.status}: retrying`);
        await pause(1_000 * 2 ** errors5xx, signal);
        continue;
      }
      throw new UgcError(`${name}: the model server answered HTTP ${answer.status}${errorText(answer.body) ? `: ${errorText(answer.body)}` : ''}`, { code: 'model_failed' });
    }
  } catch (error) {
    if (signal.aborted || (error instanceof UgcError && error.code === 'model_timeout')) {
      // Ctrl-C, `ugc cancel` or the timeout: stop the prediction on the server where it allows that.
      await server.cancel(id).catch(() => undefined);
      if (signal.aborted) throw new InterruptedError(`${name}: the prediction was cancelled`);
    }
    throw error;
  }
}

async function waitUntilReady(options: PredictionOptions, report: PredictionReport): Promise<{ setupStartedAt: string | null }> {
  const { server, name, signal, deadline } = options;
  const started = Date.now();
  let unreachableSince: number | null = null;
  try {
    for (;;) {
      let health: CogHealthAnswer;
      try {
        health = await server.health(signal);
        unreachableSince = null;
      } catch (error) {
        if (!(error instanceof CogUnreachable)) throw error;
        unreachableSince ??= Date.now();
        if (Date.now() - unreachableSince > UNREACHABLE_GRACE_MS || Date.now() > deadline) {
          throw new UgcError(`${name}: the model server at ${server.url} does not answer (${error.message})`, { code: 'model_unavailable', hint: `ugc models show ${name}` });
        }
        options.onStatus?.(`${name}: the model server does not answer; retrying`);
        await pause(2_000, signal);
        continue;
      }
      if (health.status === 'READY' || health.status === 'BUSY') return { setupStartedAt: health.setupStartedAt };
      if (health.status !== 'STARTING') {
        const why = health.status === 'SETUP_FAILED' ? "the model's setup failed" : health.status === 'DEFUNCT' ? 'the model server is defunct (an unrecoverable error; restart it)' : health.status === 'UNHEALTHY' ? "the model's healthcheck failed" : `the model server's health is ${health.status}`;
        throw new UgcError(`${name}: ${why}${health.detail ? `: ${oneLine(health.detail)}` : ''}`, { code: 'model_unavailable', hint: `ugc models show ${name}` });
      }
      if (Date.now() > deadline) throw new UgcError(`${name}: the model server was still starting after ${options.timeoutSeconds} s (--timeout)`, { code: 'model_timeout', hint: `ugc models show ${name}` });
      options.onStatus?.(`${name}: waiting for the model server to start (its setup is running)`);
      await pause(Math.min(2_000, Math.max(100, deadline - Date.now())), signal);
    }
  } finally {
    report.startWaitMs += Date.now() - started;
  }
}

/** After a 409: asks the health-check every second or so (jittered, so clients do not move in step) until a slot is free. */
async function waitForFreeSlot(options: PredictionOptions, report: PredictionReport): Promise<void> {
  const { server, signal, deadline } = options;
  for (;;) {
    if (Date.now() >= deadline) return;
    await pause(Math.min(Math.max(0, deadline - Date.now()), Math.round(BUSY_POLL_MS * (0.5 + Math.random()))), signal);
    const health = await server.health(signal).catch((error: unknown) => {
      if (error instanceof CogUnreachable) return null;
      throw error;
    });
    if (health?.status === 'BUSY') continue;
    // Free, or starting, failed or unreachable: the next PUT (or the wait for readiness) says which.
    if (health && health.status !== 'READY') await waitUntilReady(options, report);
    return;
  }
}

type Waited = { kind: 'done'; prediction: unknown } | { kind: 'restarted'; setupStartedAt: string | null };

/** Waits for the completed webhook, looking at the server's health meanwhile: a restarted server has forgotten the prediction. */
async function waitForWebhook(options: PredictionOptions, finished: Promise<unknown>, setupStartedAt: string | null): Promise<Waited> {
  const { server, name, signal, deadline } = options;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new UgcError(`${name}: no result within ${options.timeoutSeconds} s (--timeout); the prediction was cancelled`, { code: 'model_timeout', hint: `ugc models show ${name}` });
    const tick = new AbortController();
    const prediction = await Promise.race([finished, sleep(Math.min(WATCH_INTERVAL_MS, left), null, { signal: AbortSignal.any([signal, tick.signal]) }).catch(() => null)]);
    tick.abort();
    signal.throwIfAborted();
    if (prediction !== null) return { kind: 'done', prediction };
    const health = await server.health(signal).catch((error: unknown) => {
      if (error instanceof CogUnreachable) return null;
      throw error;
    });
    if (!health) continue;
    if (health.status === 'SETUP_FAILED' || health.status === 'DEFUNCT') throw new UgcError(`${name}: the model server became ${health.status} while the prediction ran`, { code: 'model_failed', hint: `ugc models show ${name}` });
    if (health.setupStartedAt && setupStartedAt && health.setupStartedAt !== setupStartedAt) return { kind: 'restarted', setupStartedAt: health.setupStartedAt };
  }
}

const isTerminal = (status: unknown): boolean => status === 'succeeded' || status === 'failed' || status === 'canceled';

/** A terminal prediction's output, or the error it ended with. */
function outcome(name: string, prediction: unknown, signal: AbortSignal): unknown {
  const p = prediction as { status?: string; output?: unknown; error?: unknown } | null;
  if (p?.status === 'succeeded') return p.output;
  if (p?.status === 'failed') throw new UgcError(`${name}: the model failed: ${oneLine(String(p.error ?? 'no error message'))}`, { code: 'model_failed' });
  if (p?.status === 'canceled') {
    if (signal.aborted) throw new InterruptedError(`${name}: the prediction was cancelled`);
    throw new UgcError(`${name}: the prediction was cancelled on the model server`, { code: 'model_cancelled' });
  }
  throw new UgcError(`${name}: the model server answered a prediction in status ${JSON.stringify(p?.status ?? null)}`, { code: 'model_failed' });
}

function describe422(body: unknown): string {
  const detail = (body as { detail?: unknown })?.detail;
  if (Array.isArray(detail)) {
    return detail
      .map((d: { loc?: unknown[]; msg?: string }) => `${(d.loc ?? []).filter((part) => part !== 'body').join('.')}: ${d.msg ?? 'invalid'}`)
      .join('; ');
  }
  return errorText(body) || 'HTTP 422';
}

function errorText(body: unknown): string {
  if (typeof body === 'string') return oneLine(body);
  const b = body as { error?: unknown; detail?: unknown } | null;
  const text = b?.error ?? b?.detail;
  return text === undefined || text === null ? '' : oneLine(typeof text === 'string' ? text : JSON.stringify(text));
}

async function pause(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    throw new InterruptedError('interrupted');
  }
}

// ---------------------------------------------------------------------------------------------
// Files in and out

const dataUrl = async (path: string): Promise<string> => `data:${contentTypeOf(path)};base64,${(await readFile(path)).toString('base64')}`;

/** The prediction's input: our files under the model's names (as data: URLs, or callback URLs), plus the fixed params. */
async function predictionInput(settings: CogSettings, files: ModelFiles, callback: CallbackRoute | null): Promise<Record<string, unknown>> {
  const input: Record<string, unknown> = { ...settings.params };
  for (const [kind, field] of Object.entries(settings.inputs)) {
    const path = files[kind as keyof ModelFiles];
    if (!path || !field) continue;
    input[field] = callback ? callback.fileUrl(path) : await dataUrl(path);
  }
  return input;
}

const EXTENSIONS: Record<string, string> = { 'video/mp4': '.mp4', 'video/quicktime': '.mov', 'video/webm': '.webm', 'video/x-matroska': '.mkv', 'image/gif': '.gif' };

/** The output (a `data:` URL, an http(s) URL, or a list of them, of which the last is taken) as a file in `dir`. */
export async function saveOutput(name: string, output: unknown, dir: string, signal: AbortSignal): Promise<string> {
  const value = Array.isArray(output) ? output.filter((o): o is string => typeof o === 'string').at(-1) : output;
  if (typeof value !== 'string') throw new UgcError(`${name} returned ${oneLine(JSON.stringify(output) ?? 'nothing').slice(0, 80)}, not a file`, { code: 'model_output_invalid' });
  const data = /^data:([^;,]*)((?:;[^;,]*)*),/.exec(value);
  if (data) {
    const mime = data[1] || 'application/octet-stream';
    const payload = value.slice(data[0].length);
    const bytes = /;base64/i.test(data[2] ?? '') ? Buffer.from(payload, 'base64') : Buffer.from(decodeURIComponent(payload), 'latin1');
    const path = join(dir, `model-output${EXTENSIONS[mime] ?? '.bin'}`);
    await writeFile(path, bytes);
    return path;
  }
  if (!/^https?:\/\//i.test(value)) throw new UgcError(`${name} returned "${value.slice(0, 60)}", neither a data: nor an http(s) URL`, { code: 'model_output_invalid' });
  const response = await fetch(value, { dispatcher: agent, signal }).catch((error: unknown) => {
    if (signal.aborted) throw new InterruptedError('the download was interrupted');
    throw new UgcError(`${name}: could not download its output ${value}: ${describeNetworkError(error)}`, { code: 'model_output_invalid' });
  });
  if (!response.ok || !response.body) throw new UgcError(`${name}: downloading its output ${value} answered HTTP ${response.status}`, { code: 'model_output_invalid' });
  const mime = (response.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
  const path = join(dir, `model-output${EXTENSIONS[mime] ?? (/\.(mp4|mov|webm|mkv)$/i.exec(new URL(value).pathname)?.[0] ?? '.bin')}`);
  await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), createWriteStream(path), { signal });
  return path;
}

// ---------------------------------------------------------------------------------------------
// The runner

export function cogRunner(settings: CogSettings, hooks: RunnerHooks = {}): ModelRunner {
  const { name } = settings;
  return {
    id: name,
    description: `Cog model server at ${settings.url}`,
    available: async () => (await cogHealth(settings)).available,
    health: () => cogHealth(settings),
    async prepare(input: RunnerInput): Promise<CreatorClip> {
      const deadline = Date.now() + settings.timeoutSeconds * 1000;
      const files = await prepareModelFiles(input, { video: Boolean(settings.inputs.video) });
      const output = await withSlot(`cog:${settings.url}`, settings.slots, input.signal, () => hooks.onStatus?.(`${name}: waiting for a free slot`), async () => {
        const callback = settings.callback ? await openCallback(settings.callback) : null;
        try {
          const server = new CogServer(settings.url);
          const report = await runCogPrediction({ name, server, input: await predictionInput(settings, files, callback), callback, deadline, timeoutSeconds: settings.timeoutSeconds, signal: input.signal, onStatus: hooks.onStatus });
          return report.output;
        } finally {
          callback?.close();
        }
      });
      const path = await saveOutput(name, output, input.workDir, input.signal);
      await checkModelVideo(path, input.tools, name);
      return modelClip(path, input.size, input.fps, input.durationSeconds);
    },
  };
}

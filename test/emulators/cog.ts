/**
 * Emulator of a Cog model server, from replicate/cog's docs/http.md ("HTTP API") and, where the document
 * is silent, from what Cog's HTTP server (coglet, crates/coglet/src/transport/http/routes.rs) does. It
 * runs test/fixtures/lipsync-model.mjs as its model, one process per prediction.
 *
 *   GET  /                          the discovery document
 *   GET  /health-check              always 200 { status, setup, version }: STARTING while setup runs,
 *                                   SETUP_FAILED, READY, BUSY (every slot in use), DEFUNCT
 *   GET  /openapi.json              the model's Input schema (file inputs are `format: uri`)
 *   PUT  /predictions/:id           idempotent creation. An id in flight answers 202 with its current
 *                                   state and creates nothing; 422 for an id differing from the body's or
 *                                   invalid input (unknown inputs are dropped silently); 503 while not
 *                                   ready; 409 when every slot is busy. Synchronous unless
 *                                   `Prefer: respond-async` (then 202 { id, status: "starting" } and the
 *                                   `start` and `completed` webhooks). A synchronous client that
 *                                   disconnects cancels its prediction (coglet's SyncPredictionGuard).
 *                                   Finished predictions are forgotten: a later PUT with the same id runs
 *                                   the model again.
 *   POST /predictions/:id/cancel    200 {} and the prediction is cancelled, or 404 {} when none is in flight
 *   GET  /outputs/:name             output files, when `output: 'url'` (as if uploaded by the server)
 *
 * File inputs are `data:` or http(s) URLs. A failed prediction answers 200 with `status: failed` and the
 * model's `error`; a cancelled one `status: canceled`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readJson, sendJson, startHttpServer, type Route } from './kit.js';

// From test/emulators/ (or its compiled copy under .bench-dist/, which has no fixtures) to the script.
export const STAND_IN_MODEL = new URL('../fixtures/lipsync-model.mjs', import.meta.url).pathname.replace('/.bench-dist/', '/');

export interface CogEmulatorOptions {
  /** setup() takes this long: STARTING until then. Default 0. */
  setupMs?: number;
  /** setup() raises this (SETUP_FAILED once it would have finished), with these logs. */
  setupError?: string | null;
  /** `concurrency.max` in cog.yaml. Default 1. */
  slots?: number;
  /** The model's file inputs, by what they hold. Default { image: 'image', audio: 'audio' }. */
  files?: { image?: string; audio?: string; video?: string };
  /** The model's other inputs (all optional, with defaults). */
  options?: Record<string, { type: 'string' | 'integer' | 'number' | 'boolean'; choices?: string[]; default: unknown }>;
  /** The model takes at least this long per prediction. Default 0. */
  modelMs?: number;
  /** How outputs come back: a data: URL (default) or an http URL on this server. */
  output?: 'data' | 'url';
  /** A cancel takes this long to land (the worker's acknowledgement). Default 150. */
  cancelAckMs?: number;
}

export interface CogFaults {
  /** The next N prediction-creating PUTs: the prediction is created, then the connection is destroyed without an answer. */
  dropAfterCommit: number;
  /** The next prediction fails with this error (the model raises it). */
  failNext: string | null;
  /** Another client holds every slot until this time (epoch ms): BUSY, and 409 to new predictions. */
  heldUntil: number;
  /** From the next prediction-creating PUT on, another client holds every slot for this long (then 0 again). */
  holdOnNextPutMs: number;
}

export interface PredictionRecord {
  id: string;
  status: 'starting' | 'processing' | 'succeeded' | 'failed' | 'canceled';
  input: Record<string, unknown>;
  startedAt: number;
  endedAt: number | null;
  error: string | null;
  /** The video it returned (kept for the tests to compare with the ad). */
  outputPath: string | null;
}

export interface CogStats {
  puts: number;
  /** 409 answers. */
  conflicts: number;
  /** 202 answers to a PUT whose id was in flight. */
  attached: number;
  /** 503 answers (not ready). */
  notReady: number;
  cancelRequests: number;
  /** Every prediction the server ran (a model run each), in order. */
  predictions: PredictionRecord[];
  /** Most predictions in flight at once. */
  maxInFlight: number;
  /** Webhook deliveries attempted (each retry counts). */
  webhookAttempts: number;
  healthChecks: number;
}

export interface CogEmulator {
  url: string;
  faults: CogFaults;
  stats: CogStats;
  /** Model runs per prediction id. */
  runsOf(id: string): number;
  /** As if the container restarted: predictions in flight are lost (no webhook), setup runs again. */
  restart(): void;
  /** An unrecoverable error: DEFUNCT from now on. */
  breakDown(): void;
  close(): Promise<void>;
}

interface InFlight {
  record: PredictionRecord;
  abort: AbortController;
  done: Promise<void>;
  output: unknown;
  webhook: string | null;
  events: Set<string>;
}

export async function startCogEmulator(options: CogEmulatorOptions = {}): Promise<CogEmulator> {
  const files = options.files ?? { image: 'image', audio: 'audio' };
  const slots = options.slots ?? 1;
  const work = await mkdtemp(join(tmpdir(), 'cog-emulator-'));
  const outputs = join(work, 'outputs');
  await mkdir(outputs);
  let setupStartedAt = new Date();
  let setupEndsAt = Date.now() + (options.setupMs ?? 0);
  let defunct = false;
  const inFlight = new Map<string, InFlight>();
  const faults: CogFaults = { dropAfterCommit: 0, failNext: null, heldUntil: 0, holdOnNextPutMs: 0 };
  const stats: CogStats = { puts: 0, conflicts: 0, attached: 0, notReady: 0, cancelRequests: 0, predictions: [], maxInFlight: 0, webhookAttempts: 0, healthChecks: 0 };
  let origin = '';

  const setupDone = () => Date.now() >= setupEndsAt;
  const held = () => (Date.now() < faults.heldUntil ? slots : 0);
  function health(): string {
    if (defunct) return 'DEFUNCT';
    if (!setupDone()) return 'STARTING';
    if (options.setupError) return 'SETUP_FAILED';
    return inFlight.size + held() >= slots ? 'BUSY' : 'READY';
  }
  const snapshot = (p: InFlight) => ({ id: p.record.id, status: p.record.status, logs: '', input: p.record.input, ...(p.output !== undefined ? { output: p.output } : {}), ...(p.record.error ? { error: p.record.error } : {}), metrics: {} });

  async function deliver(url: string, body: unknown, terminal: boolean): Promise<void> {
    if (!/^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(url)) return; // never call other hosts
    for (let attempt = 0; attempt <= (terminal ? 12 : 0); attempt++) {
      stats.webhookAttempts++;
      try {
        const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        await response.arrayBuffer();
        if (response.ok || ![429, 500, 502, 503, 504].includes(response.status)) return;
      } catch {
        // retried below for terminal events
      }
      await sleep(100 * 2 ** Math.min(attempt, 10));
    }
  }
  const event = (p: InFlight, name: string) => {
    if (p.webhook && p.events.has(name)) void deliver(p.webhook, snapshot(p), name === 'completed');
  };

  /** Resolves a file input (data: or http URL) to a local file. */
  async function fetchInput(url: string, name: string, dir: string): Promise<string> {
    const ext = /^data:([^;,]*)/.exec(url)?.[1]?.split('/')[1] ?? /\.(\w+)(\?|$)/.exec(url)?.[1] ?? 'bin';
    const path = join(dir, `${name}.${ext === 'jpeg' ? 'jpg' : ext === 'wav' || ext === 'x-wav' ? 'wav' : ext}`);
    if (url.startsWith('data:')) {
      const comma = url.indexOf(',');
      await writeFile(path, Buffer.from(url.slice(comma + 1), 'base64'));
      return path;
    }
    const response = await fetch(url);
    if (!response.ok) throw new Error(`could not download ${name}: HTTP ${response.status}`);
    await writeFile(path, Buffer.from(await response.arrayBuffer()));
    return path;
  }

  /** The model: the stand-in script, in its own process; cancelled by killing it. */
  async function predict(p: InFlight): Promise<void> {
    const dir = await mkdtemp(join(work, `${p.record.id}-`));
    const failWith = faults.failNext;
    faults.failNext = null;
    try {
      p.record.status = 'processing';
      event(p, 'start');
      const picture = files.video ? String(p.record.input[files.video]) : String(p.record.input[files.image as string]);
      const face = await fetchInput(picture, 'face', dir);
      const audio = await fetchInput(String(p.record.input[files.audio as string]), 'audio', dir);
      if (options.modelMs) await sleep(options.modelMs, undefined, { signal: p.abort.signal });
      const out = join(dir, 'out.mp4');
      const child: ChildProcess = spawn(process.execPath, [STAND_IN_MODEL, '--face', face, '--audio', audio, '--out', out, ...(failWith ? ['--fail', failWith] : [])], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
      const kill = () => child.kill('SIGTERM');
      p.abort.signal.addEventListener('abort', kill, { once: true });
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      p.abort.signal.removeEventListener('abort', kill);
      p.abort.signal.throwIfAborted();
      if (code !== 0) throw new Error(stderr.trim().split('\n').pop() ?? `exit ${code}`);
      const bytes = await readFile(out);
      const name = `${p.record.id}-${randomBytes(4).toString('hex')}.mp4`;
      p.record.outputPath = join(outputs, name);
      await writeFile(p.record.outputPath, bytes);
      p.output = options.output === 'url' ? `${origin}/outputs/${name}` : `data:video/mp4;base64,${bytes.toString('base64')}`;
      p.record.status = 'succeeded';
    } catch (error) {
      if (p.abort.signal.aborted) {
        await sleep(options.cancelAckMs ?? 150);
        p.record.status = 'canceled';
      } else {
        p.record.status = 'failed';
        p.record.error = (error as Error).message;
      }
    } finally {
      p.record.endedAt = Date.now();
      await rm(dir, { recursive: true, force: true });
    }
  }

  function validate(input: Record<string, unknown>): { detail: { loc: string[]; msg: string; type: string }[] } | null {
    const detail: { loc: string[]; msg: string; type: string }[] = [];
    for (const field of Object.values(files)) {
      if (!field) continue;
      const value = input[field];
      if (typeof value !== 'string') detail.push({ loc: ['body', 'input', field], msg: 'Field required', type: 'missing' });
      else if (!/^(data:|https?:\/\/)/.test(value)) detail.push({ loc: ['body', 'input', field], msg: 'must be a URL', type: 'value_error' });
    }
    for (const [name, spec] of Object.entries(options.options ?? {})) {
      if (!(name in input)) continue;
      const value = input[name];
      const ok = spec.type === 'boolean' ? typeof value === 'boolean' : spec.type === 'string' ? typeof value === 'string' : typeof value === 'number' && (spec.type === 'number' || Number.isInteger(value));
      if (!ok) detail.push({ loc: ['body', 'input', name], msg: `Input should be a valid ${spec.type}`, type: `${spec.type}_type` });
      else if (spec.choices && !spec.choices.includes(String(value))) detail.push({ loc: ['body', 'input', name], msg: `Input should be ${spec.choices.map((c) => `'${c}'`).join(' or ')}`, type: 'enum' });
    }
    return detail.length ? { detail } : null;
  }

  async function handle(route: Route): Promise<void> {
    const { method, path, req, res } = route;
    if (method === 'GET' && path === '/') {
      return sendJson(res, 200, { cog_version: '0.17.0', docs_url: '/docs', openapi_url: '/openapi.json', shutdown_url: '/shutdown', healthcheck_url: '/health-check', predictions_url: '/predictions', predictions_idempotent_url: '/predictions/{prediction_id}', predictions_cancel_url: '/predictions/{prediction_id}/cancel' });
    }
    if (method === 'GET' && path === '/health-check') {
      stats.healthChecks++;
      const status = health();
      const setupStatus = !setupDone() ? 'starting' : options.setupError ? 'failed' : 'succeeded';
      const setup = { started_at: setupStartedAt.toISOString(), ...(setupDone() ? { completed_at: new Date(setupEndsAt).toISOString() } : {}), status: setupStatus, logs: options.setupError ? `Loading weights...\nTraceback (most recent call last):\n${options.setupError}\n` : '' };
      return sendJson(res, 200, { status, setup, version: { coglet: '0.17.0-emulator', cog: '0.14.0', python: '3.11' } });
    }
    if (method === 'GET' && path === '/openapi.json') {
      const properties: Record<string, unknown> = {};
      let order = 0;
      for (const field of Object.values(files)) if (field) properties[field] = { type: 'string', format: 'uri', title: field, 'x-order': order++ };
      for (const [name, spec] of Object.entries(options.options ?? {})) properties[name] = { ...(spec.choices ? { allOf: [{ $ref: `#/components/schemas/${name}` }] } : { type: spec.type }), default: spec.default, title: name, 'x-order': order++ };
      return sendJson(res, 200, { openapi: '3.0.2', info: { title: 'Cog', version: '0.1.0' }, components: { schemas: { Input: { type: 'object', title: 'Input', required: Object.values(files).filter(Boolean), properties } } } });
    }
    const outputMatch = /^\/outputs\/([\w.-]+)$/.exec(path);
    if (method === 'GET' && outputMatch) {
      const bytes = await readFile(join(outputs, outputMatch[1] as string)).catch(() => null);
      if (!bytes) return sendJson(res, 404, { error: 'not found' });
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': bytes.length });
      res.end(bytes);
      return;
    }
    const cancelMatch = /^\/predictions\/([^/]+)\/cancel$/.exec(path);
    if (method === 'POST' && cancelMatch) {
      stats.cancelRequests++;
      const p = inFlight.get(cancelMatch[1] as string);
      if (!p) return sendJson(res, 404, {});
      p.abort.abort();
      return sendJson(res, 200, {});
    }
    const putMatch = /^\/predictions\/([^/]+)$/.exec(path);
    if (method === 'PUT' && putMatch) {
      stats.puts++;
      const id = putMatch[1] as string;
      let body: { id?: string; input?: Record<string, unknown>; webhook?: string; webhook_events_filter?: string[] } | undefined;
      try {
        body = (await readJson(req)) as typeof body;
      } catch {
        return sendJson(res, 400, { error: 'invalid JSON' });
      }
      if (body?.id !== undefined && body.id !== id) return sendJson(res, 422, { detail: [{ loc: ['body', 'id'], msg: 'prediction ID must match the ID supplied in the URL', type: 'value_error' }] });
      const existing = inFlight.get(id);
      if (existing) {
        stats.attached++;
        return sendJson(res, 202, snapshot(existing));
      }
      const known = new Set([...Object.values(files), ...Object.keys(options.options ?? {})]);
      const input = Object.fromEntries(Object.entries(body?.input ?? {}).filter(([key]) => known.has(key)));
      const invalid = validate(input);
      if (invalid) return sendJson(res, 422, invalid);
      if (health() === 'STARTING' || health() === 'SETUP_FAILED' || health() === 'DEFUNCT') {
        stats.notReady++;
        return sendJson(res, 503, { error: 'Setup has not finished yet', status: 'failed' });
      }
      if (faults.holdOnNextPutMs > 0) {
        faults.heldUntil = Date.now() + faults.holdOnNextPutMs;
        faults.holdOnNextPutMs = 0;
      }
      if (inFlight.size + held() >= slots) {
        stats.conflicts++;
        return sendJson(res, 409, { error: 'At capacity - all prediction slots busy', status: 'failed' });
      }
      const record: PredictionRecord = { id, status: 'starting', input, startedAt: Date.now(), endedAt: null, error: null, outputPath: null };
      stats.predictions.push(record);
      const p: InFlight = { record, abort: new AbortController(), done: Promise.resolve(), output: undefined, webhook: body?.webhook ?? null, events: new Set(body?.webhook_events_filter ?? ['start', 'output', 'logs', 'completed']) };
      inFlight.set(id, p);
      stats.maxInFlight = Math.max(stats.maxInFlight, inFlight.size);
      p.done = predict(p).finally(() => {
        if (inFlight.get(id) === p) inFlight.delete(id);
        event(p, 'completed');
      });
      const respondAsync = req.headers.prefer === 'respond-async';
      if (faults.dropAfterCommit > 0) {
        faults.dropAfterCommit--;
        req.socket.destroy();
        // Coglet cancels a synchronous prediction whose client went away.
        if (!respondAsync) p.abort.abort();
        return;
      }
      if (respondAsync) return sendJson(res, 202, { id, status: 'starting' });
      let answered = false;
      res.on('close', () => {
        if (!answered) p.abort.abort();
      });
      await p.done;
      answered = true;
      if (res.destroyed) return;
      return sendJson(res, 200, snapshot(p));
    }
    return sendJson(res, 404, { detail: 'Not Found' });
  }

  const server = await startHttpServer(handle);
  origin = server.origin;
  return {
    url: server.origin,
    faults,
    stats,
    runsOf: (id) => stats.predictions.filter((p) => p.id === id).length,
    restart() {
      for (const p of inFlight.values()) {
        p.webhook = null;
        p.abort.abort();
      }
      inFlight.clear();
      setupStartedAt = new Date();
      setupEndsAt = Date.now() + (options.setupMs ?? 0);
    },
    breakDown() {
      defunct = true;
    },
    async close() {
      for (const p of inFlight.values()) p.abort.abort();
      await Promise.allSettled([...inFlight.values()].map((p) => p.done));
      await server.close();
      await rm(work, { recursive: true, force: true });
    },
  };
}

import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa, type ResultPromise } from 'execa';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Job } from '../src/core/job.js';
import { JobStore } from '../src/core/job-store.js';
import { EventLog } from '../src/webhooks/event-log.js';
import { MAX_IN_FLIGHT_PER_TARGET } from '../src/webhooks/forwarder.js';
import { startUGenEmulator } from './emulators/ugen.js';
import { startUltimateCreatorEmulator } from './emulators/ultimatecreator.js';
import { ptyInvocation, ugcLine } from './pty.js';
import { BIN, tempDir, ugc } from './support.js';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A handler under test: records what it receives, answers `status`. */
class Receiver {
  received: Received[] = [];
  status = 200;
  /** Runs when a request has arrived, before it is answered. */
  onReceive: (received: Received[]) => void = () => undefined;
  private server: Server | null = null;
  port = 0;

  async start(port = 0): Promise<string> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        this.received.push({ headers: req.headers, body });
        this.onReceive(this.received);
        res.writeHead(this.status).end();
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = null;
  }

  async waitFor(count: number, seconds = 30): Promise<Received[]> {
    for (let i = 0; i < seconds * 10 && this.received.length < count; i++) await sleep(100);
    return this.received;
  }
}

let dir: { path: string; cleanup: () => Promise<void> };
let env: Record<string, string>;
let receiver: Receiver;
let listeners: ResultPromise[] = [];

/** Starts `ugc webhooks listen --json` as a real process and waits for its ready line. */
async function startListener(target: string, extra: string[] = [], extraEnv: Record<string, string> = {}): Promise<{ child: ResultPromise; lines: Record<string, unknown>[]; ready: Record<string, unknown> }> {
  const child = execa(process.execPath, [BIN, 'webhooks', 'listen', '--forward-to', target, '--json', ...extra], { cwd: dir.path, env: { ...env, ...extraEnv }, reject: false });
  listeners.push(child);
  const lines: Record<string, unknown>[] = [];
  let pending = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    for (const part of parts) if (part.trim()) lines.push(JSON.parse(part) as Record<string, unknown>);
  });
  // Generous: a loaded machine may take long to start node; the loop ends as soon as the line comes.
  for (let i = 0; i < 1200 && !lines.some((l) => l.type === 'ready') && child.exitCode === null; i++) await sleep(50);
  const ready = lines.find((l) => l.type === 'ready');
  if (!ready) throw new Error('the listener never said it was ready');
  return { child, lines, ready };
}

const secretOf = async (provider: string) => (await ugc(['webhooks', 'secret', '--provider', provider], { cwd: dir.path, env })).stdout.trim();

beforeEach(async () => {
  dir = await tempDir();
  env = { UGC_CONFIG_DIR: join(dir.path, 'config'), UGC_POLL_INTERVAL: '0.1', UGC_WEBHOOK_BACKOFF_MS: '300' };
  receiver = new Receiver();
});
afterEach(async () => {
  for (const child of listeners) child.kill('SIGKILL');
  await Promise.allSettled(listeners);
  listeners = [];
  await receiver.stop();
  await dir.cleanup();
});
afterAll(() => undefined);

describe('ugc webhooks listen', () => {
  it('forwards a local render from another terminal, signed with Standard Webhooks', async () => {
    const target = await receiver.start();
    const { child, lines } = await startListener(target);
    const generated = await ugc(['generate', '--script', 'Webhooks should see this one.', '--creator', 'mia', '--captions', 'none', '--json'], { cwd: dir.path, env });
    expect(generated.code).toBe(0);
    const job = JSON.parse(generated.stdout) as Job;
    const got = await receiver.waitFor(2);
    const verifier = new Webhook(await secretOf('local'));
    const types = got.map((r) => (verifier.verify(r.body, r.headers as Record<string, string>) as { type: string; data: { id: string } }));
    expect(types.map((t) => t.type)).toEqual(['video.created', 'video.completed']);
    expect(types[1]?.data.id).toBe(job.id);
    child.kill('SIGINT');
    expect((await child).exitCode).toBe(0);
    expect(lines.filter((l) => l.type === 'forward').map((l) => l.status)).toEqual([200, 200]);
  });

  it('polls a remote job through its statuses and sends each change once, with the provider\'s signature', async () => {
    const emulator = await startUltimateCreatorEmulator({ jobDurationMs: 1500 });
    try {
      const target = await receiver.start();
      const remoteEnv = { UGC_API_KEY: emulator.apiKey, UGC_BASE_URL: emulator.url, UGC_PROVIDER: 'ultimatecreator' };
      const { child } = await startListener(target, [], remoteEnv);
      const started = await ugc(['generate', '--script', 'A remote job for the listener.', '--creator', 'avt_abc123', '--no-wait', '--json'], { cwd: dir.path, env: { ...env, ...remoteEnv } });
      expect(started.code).toBe(0);
      const secret = await secretOf('ultimatecreator');
      for (let i = 0; i < 100 && !receiver.received.some((r) => r.body.includes('video.job.completed')); i++) await sleep(100);
      const events = receiver.received.map((r) => {
        const expected = createHmac('sha256', secret).update(r.body).digest('hex');
        expect(r.headers['x-uc-signature']).toBe(expected);
        return (JSON.parse(r.body) as { event: string }).event;
      });
      expect(events.at(-1)).toBe('video.job.completed');
      expect(new Set(receiver.received.map((r) => r.body)).size).toBe(receiver.received.length);
      child.kill('SIGINT');
      await child;
    } finally {
      await emulator.close();
    }
  });

  it('verifies inbound deliveries: forwards the exact bytes once, refuses a bad signature with 401', async () => {
    const target = await receiver.start();
    const { ready } = await startListener(target, ['--port', '0']);
    const inbound = `${String(ready.receiver)}/ugen`;
    const secret = await secretOf('ugen');
    const body = JSON.stringify({ event: 'job.completed', job_id: 'j-1', status: 'completed', final_video_url: 'https://example.com/v.mp4' });
    const send = (signature: string, timestamp = Math.floor(Date.now() / 1000)) =>
      fetch(inbound, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-ugen-timestamp': String(timestamp), 'x-ugen-signature': signature } });
    const sign = (timestamp: number) => createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
    const now = Math.floor(Date.now() / 1000);

    expect((await send('0'.repeat(64))).status).toBe(401);
    expect((await send(sign(now - 400), now - 400)).status).toBe(401);
    expect((await send(sign(now), now)).status).toBe(200);
    expect((await send(sign(now), now)).status).toBe(200); // the provider retrying the same delivery

    const got = await receiver.waitFor(1);
    await sleep(500);
    expect(got).toHaveLength(1);
    expect(got[0]?.body).toBe(body);
    const forwardedAt = Number(got[0]?.headers['x-ugen-timestamp']);
    expect(got[0]?.headers['x-ugen-signature']).toBe(createHmac('sha256', secret).update(`${forwardedAt}.${body}`).digest('hex'));
  });

  it('retries a handler that is down until it comes back', async () => {
    const target = await receiver.start();
    const port = receiver.port;
    await receiver.stop();
    const trigger = ugc(['webhooks', 'trigger', 'video.completed', '--forward-to', target], { cwd: dir.path, env });
    await sleep(150);
    await receiver.start(port);
    const result = await trigger;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/<-- \[ECONNREFUSED\] POST/);
    expect(result.stdout).toMatch(/<-- \[200\] POST/);
    expect(receiver.received).toHaveLength(1);
  });

  it('a handler that keeps failing ends in the dead-letter list; replay sends it again', async () => {
    const target = await receiver.start();
    receiver.status = 500;
    const failed = await ugc(['webhooks', 'trigger', 'video.failed', '--forward-to', target], { cwd: dir.path, env });
    expect(failed.code).toBe(1);
    expect(receiver.received.length).toBeGreaterThanOrEqual(3);
    const events = JSON.parse((await ugc(['webhooks', 'events', '--json'], { cwd: dir.path, env })).stdout) as { id: string; deliveries: { state: string }[] }[];
    expect(events[0]?.deliveries[0]?.state).toBe('dead');
    receiver.status = 200;
    const replayed = await ugc(['webhooks', 'replay', events[0]?.id as string], { cwd: dir.path, env });
    expect(replayed.code).toBe(0);
    const bodies = new Set(receiver.received.map((r) => r.body));
    expect(bodies.size).toBe(1);
  });

  it.each([
    { first: "the provider's delivery", poll: '3', webhookDelayMs: 0, source: 'inbound' },
    { first: 'polling', poll: '0.1', webhookDelayMs: 1500, source: 'job' },
  ])('ugen: one job.completed per job when $first sees the end first (its delivery and polling)', async ({ poll, webhookDelayMs, source }) => {
    const emulator = await startUGenEmulator({ jobDurationMs: 800, webhookDelayMs });
    try {
      const target = await receiver.start();
      const remoteEnv = { UGC_API_KEY: emulator.apiKey, UGC_BASE_URL: emulator.url, UGC_PROVIDER: 'ugen' };
      const { child, lines, ready } = await startListener(target, ['--port', '0'], { ...remoteEnv, UGC_POLL_INTERVAL: poll });
      const request = ['--script', 'One completion, one event.', '--product-name', 'Acme', '--product-image', 'https://example.com/p.jpg'];
      const started = await ugc(['generate', ...request, '--webhook-url', `${String(ready.receiver)}/ugen`, '--no-wait', '--json'], { cwd: dir.path, env: { ...env, ...remoteEnv } });
      expect(started.code).toBe(0);
      const store = new JobStore(env.UGC_CONFIG_DIR as string);
      const id = (JSON.parse(started.stdout) as Job).id;
      // Until U-Gen has delivered and polling has seen the end too.
      for (let i = 0; i < 100 && !(emulator.deliveries[0]?.status && (await store.get(id)).status === 'completed'); i++) await sleep(100);
      await sleep(700);
      expect(emulator.deliveries).toMatchObject([{ event: 'job.completed', status: 200 }]);
      const completions = receiver.received.filter((r) => (JSON.parse(r.body) as { event: string }).event === 'job.completed');
      expect(completions).toHaveLength(1);
      expect(lines.filter((l) => l.type === 'event' && l.event === 'job.completed')).toMatchObject([{ source }]);
      child.kill('SIGINT');
      await child;
    } finally {
      await emulator.close();
    }
  });

  it('a listener killed mid-way loses nothing and sends nothing twice after a restart', async () => {
    const target = await receiver.start();
    const port = receiver.port;
    await receiver.stop();
    // A backoff longer than the test: the first listener's failed attempts wait to retry, never used up,
    // however slow the machine is, so what it owes is still pending when it is killed.
    const slow = { UGC_WEBHOOK_BACKOFF_MS: '600000' };
    const first = await startListener(target, [], slow);
    const generated = await ugc(['generate', '--script', 'Delivered after the restart.', '--creator', 'leo', '--model', 'still', '--captions', 'none', '--json'], { cwd: dir.path, env });
    expect(generated.code).toBe(0);
    for (let i = 0; i < 600 && first.lines.filter((l) => l.type === 'forward').length < 2; i++) await sleep(100);
    expect(first.lines.filter((l) => l.type === 'forward').map((l) => l.error)).toEqual(['ECONNREFUSED', 'ECONNREFUSED']);
    first.child.kill('SIGKILL');
    await first.child;

    await receiver.start(port);
    const second = await startListener(target);
    const got = await receiver.waitFor(2, 120);
    await sleep(1500);
    const ids = got.map((r) => r.headers['webhook-id']);
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
    expect(got.map((r) => (JSON.parse(r.body) as { type: string }).type).sort()).toEqual(['video.completed', 'video.created']);
    second.child.kill('SIGINT');
    expect((await second.child).exitCode).toBe(0);
  }, 400_000);

  it('a listener killed (SIGKILL) in the middle of a 500-event backlog resends on restart only what it had not recorded', async () => {
    const total = 500;
    const target = await receiver.start();
    const port = receiver.port;
    await receiver.stop();
    const secret = new Webhook(await secretOf('local'));
    const bodies = Array.from({ length: total }, (_, i) => JSON.stringify({ type: 'video.completed', data: { id: `vid_${i}`, status: 'completed' } }));
    /** Posts signed deliveries as a provider does; returns the indexes the listener did not acknowledge. */
    const post = async (url: string, indexes: number[]): Promise<number[]> => {
      const failed: number[] = [];
      const queue = [...indexes];
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
            const id = `msg_${i}`;
            const body = bodies[i] as string;
            const headers = { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': secret.sign(id, new Date(), body) };
            const ok = await fetch(`${url}/local`, { method: 'POST', body, headers }).then((r) => r.status === 200, () => false);
            if (!ok) failed.push(i);
          }
        }),
      );
      return failed;
    };

    // A backlog: 500 events recorded while the handler is down (a backoff longer than the test keeps them pending).
    const first = await startListener(target, ['--port', '0'], { UGC_WEBHOOK_BACKOFF_MS: '600000' });
    expect(await post(String(first.ready.receiver), [...Array(total).keys()])).toEqual([]);
    first.child.kill('SIGKILL');
    await first.child;

    // The handler is back; the restarted listener sends the backlog and is killed by the handler itself when
    // the 150th request arrives: the same point in the stream however loaded the machine is.
    await receiver.start(port);
    // (It starts on the backlog before its ready line: the kill goes to the process just spawned.)
    let killed = false;
    receiver.onReceive = (received) => {
      if (!killed && received.length >= 150) {
        killed = true;
        listeners.at(-1)?.kill('SIGKILL');
      }
    };
    const second = startListener(target).catch(() => null);
    for (let i = 0; i < 1800 && !killed; i++) await sleep(100);
    expect(killed).toBe(true);
    await second;
    await listeners.at(-1);

    const third = await startListener(target);
    const log = new EventLog(env.UGC_CONFIG_DIR as string);
    for (let i = 0; i < 1800 && (await log.pending([target])).length > 0; i++) await sleep(100);
    third.child.kill('SIGINT');
    expect((await third.child).exitCode).toBe(0);

    const ids = receiver.received.map((r) => String(r.headers['webhook-id']));
    const duplicates = ids.length - new Set(ids).size;
    console.log(`webhooks: ${duplicates} of ${total} events sent twice after a SIGKILL at the 150th forward of a backlog`);
    expect(new Set(ids)).toEqual(new Set(bodies.map((_, i) => `in_local_msg_${i}`)));
    // The documented boundary: only attempts under way at the kill, at most MAX_IN_FLIGHT_PER_TARGET.
    expect(duplicates).toBeLessThanOrEqual(MAX_IN_FLIGHT_PER_TARGET);
    // Each again with its own id and the same bytes, so a handler that deduplicates by id sees it once.
    const byId = new Map<string, Set<string>>();
    for (const r of receiver.received) byId.set(String(r.headers['webhook-id']), (byId.get(String(r.headers['webhook-id'])) ?? new Set()).add(r.body));
    expect([...byId.values()].every((set) => set.size === 1)).toBe(true);
  }, 400_000);
});

describe('ugc webhooks listen in a terminal, and trigger through it', () => {
  /** Starts the listener (human output) in a real pseudo-terminal (`script`) or with plain pipes; `interrupt` is Ctrl-C or SIGINT. */
  function startHuman(how: 'terminal' | 'pipes', target: string, extraEnv: Record<string, string>) {
    const command = ugcLine(['webhooks', 'listen', '--forward-to', target]);
    const pty = ptyInvocation(command);
    const child =
      how === 'terminal'
        ? execa(pty.file, pty.args, { cwd: dir.path, env: { ...env, ...extraEnv, ...pty.env }, reject: false, stdin: 'pipe' })
        : execa(process.execPath, command.slice(1), { cwd: dir.path, env: { ...env, ...extraEnv }, reject: false, stdin: 'pipe' });
    listeners.push(child);
    let output = '';
    child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    return {
      child,
      output: () => output,
      interrupt: () => (how === 'terminal' ? child.stdin?.write('\x03') : child.kill('SIGINT')),
      waitFor: async (pattern: RegExp) => {
        for (let i = 0; i < 1200 && !pattern.test(output) && child.exitCode === null; i++) await sleep(50);
        expect(output).toMatch(pattern);
      },
    };
  }

  it.each(['terminal', 'pipes'] as const)('started with %s: Ctrl-C exits 0 at once, even while a forward waits to retry and a trigger waits on it', async (how) => {
    const target = await receiver.start();
    await receiver.stop(); // down: the forward fails and would wait 10 minutes to retry
    const listener = startHuman(how, target, { UGC_WEBHOOK_BACKOFF_MS: '600000' });
    await listener.waitFor(/Ready! Forwarding events to/);
    const trigger = ugc(['webhooks', 'trigger', 'video.completed'], { cwd: dir.path, env });
    await listener.waitFor(/<-- \[ECONNREFUSED\] POST/);
    const interruptedAt = Date.now();
    listener.interrupt();
    const exited = await listener.child;
    expect(exited.exitCode).toBe(0);
    expect(Date.now() - interruptedAt).toBeLessThan(60_000); // not the 10-minute backoff
    const triggered = await trigger;
    expect(triggered.code).toBe(1);
    expect(triggered.stderr).toContain(`not delivered to ${target}`);
    // Every line it printed starts with the local time, as `stripe listen`'s do.
    const lines = listener.output().split(/\r?\n/).filter((l) => l.trim() && !/^\^C$/.test(l.trim()));
    expect(lines.length).toBeGreaterThanOrEqual(4);
    for (const line of lines) expect(line.replace(/^\^C/, '')).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {3}\S/);
    // It said goodbye to the rendezvous: a trigger now finds no listener.
    const none = await ugc(['webhooks', 'trigger', 'video.completed'], { cwd: dir.path, env });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^error: no --forward-to, and no `ugc webhooks listen` is running on this machine\n/);
  });

  it('trigger without --forward-to delivers through the running listen to its targets, which shows it; a killed listener is not used', async () => {
    const target = await receiver.start();
    const none = await ugc(['webhooks', 'trigger', 'video.completed'], { cwd: dir.path, env });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Start `ugc webhooks listen --forward-to <url>` in another terminal, or pass --forward-to <url>.');

    const { child, lines } = await startListener(target);
    const sent = await ugc(['webhooks', 'trigger', 'video.completed'], { cwd: dir.path, env });
    expect(sent.code).toBe(0);
    expect(sent.stdout).toMatch(new RegExp(`<-- \\[200\\] POST ${target} \\[evt_`));
    expect(receiver.received).toHaveLength(1);
    const delivered = new Webhook(await secretOf('local')).verify(receiver.received[0]?.body as string, receiver.received[0]?.headers as Record<string, string>) as { type: string };
    expect(delivered.type).toBe('video.completed');
    // The listener's own output shows it, as `stripe listen` shows `stripe trigger`'s events.
    const id = receiver.received[0]?.headers['webhook-id'];
    for (let i = 0; i < 100 && !lines.some((l) => l.type === 'forward' && l.id === id); i++) await sleep(50);
    expect(lines.filter((l) => l.id === id).map((l) => [l.type, l.status ?? null])).toEqual([['event', null], ['forward', 200]]);

    // The rendezvous file is the owner's only: it holds the token that makes the listener sign.
    const files = await readdir(join(env.UGC_CONFIG_DIR as string, 'webhooks', 'listeners'));
    expect(files).toHaveLength(1);
    expect((await stat(join(env.UGC_CONFIG_DIR as string, 'webhooks', 'listeners', files[0] as string))).mode & 0o777).toBe(0o600);
    // Without the token the listener refuses to sign anything.
    const forged = await fetch(`${String(lines.find((l) => l.type === 'ready')?.receiver)}/_trigger`, { method: 'POST', body: '{}', headers: { authorization: 'Bearer nope' } });
    expect(forged.status).toBe(401);

    child.kill('SIGKILL');
    await child;
    const stale = await ugc(['webhooks', 'trigger', 'video.completed'], { cwd: dir.path, env });
    expect(stale.code).toBe(2);
    expect(await readdir(join(env.UGC_CONFIG_DIR as string, 'webhooks', 'listeners'))).toEqual([]);
    expect(receiver.received).toHaveLength(1);
  });

  it('inbound deliveries whose ids differ only in punctuation are both forwarded', async () => {
    const target = await receiver.start();
    const { ready } = await startListener(target, ['--port', '0']);
    const secret = new Webhook(await secretOf('local'));
    for (const [id, n] of [['msg.col1', 1], ['msg_col1', 2]] as const) {
      const body = JSON.stringify({ type: 'video.completed', data: { id: `vid_${n}` } });
      const headers = { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': secret.sign(id, new Date(), body) };
      expect((await fetch(`${String(ready.receiver)}/local`, { method: 'POST', body, headers })).status).toBe(200);
    }
    const got = await receiver.waitFor(2);
    expect(got.map((r) => r.headers['webhook-id']).sort()).toEqual(['in_local_msg.col1', 'in_local_msg_col1']);
  });
});

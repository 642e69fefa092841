import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventLog, type WebhookEvent } from '../src/webhooks/event-log.js';
import { tempDir, ugc } from './support.js';

/** A real local server: records every request, answers with `answer`. */
async function server(answer: (url: string) => { status: number; headers?: Record<string, string> }): Promise<{ url: string; requests: { method: string; url: string; body: string }[]; close(): Promise<void> }> {
  const requests: { method: string; url: string; body: string }[] = [];
  const http: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', body });
      const { status, headers } = answer(req.url ?? '/');
      res.writeHead(status, headers).end();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((resolve) => http.close(() => resolve())),
  };
}

let dir: { path: string; cleanup: () => Promise<void> };
let env: Record<string, string>;
beforeEach(async () => {
  dir = await tempDir();
  env = { UGC_CONFIG_DIR: join(dir.path, 'config'), UGC_WEBHOOK_BACKOFF_MS: '20' };
});
afterEach(() => dir.cleanup());

describe('forwarding never follows a redirect', () => {
  it.each([307, 302])('a %i to another local server is a failed delivery shown with its Location; that server receives nothing', async (status) => {
    const other = await server(() => ({ status: 200 }));
    const handler = await server(() => ({ status, headers: { location: `${other.url}/stolen` } }));
    try {
      const result = await ugc(['webhooks', 'trigger', 'video.completed', '--forward-to', `${handler.url}/hooks`], { cwd: dir.path, env });
      expect(result.code).toBe(1);
      expect(other.requests).toEqual([]);
      expect(handler.requests.length).toBeGreaterThanOrEqual(1);
      expect(handler.requests.every((r) => r.method === 'POST' && r.url === '/hooks')).toBe(true);
      expect(result.stdout).toContain(`<-- [${status}] POST ${handler.url}/hooks`);
      expect(result.stdout).toContain(`redirected to ${other.url}/stolen, not followed`);
      expect(result.stderr).toContain(`not delivered to ${handler.url}/hooks (redirected to ${other.url}/stolen; redirects are not followed)`);
      const [event] = JSON.parse((await ugc(['webhooks', 'events', '--json'], { cwd: dir.path, env })).stdout) as WebhookEvent[];
      expect(event?.deliveries).toMatchObject([{ state: 'dead', lastStatus: status, lastError: `redirected to ${other.url}/stolen; redirects are not followed` }]);

      const json = await ugc(['webhooks', 'replay', event?.id as string, '--json'], { cwd: dir.path, env });
      expect(json.code).toBe(1);
      const forwards = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.type === 'forward');
      expect(forwards[0]).toMatchObject({ status, location: `${other.url}/stolen` });
      expect(other.requests).toEqual([]);
    } finally {
      await Promise.all([other.close(), handler.close()]);
    }
  });
});

describe('event log', () => {
  const event = (id: string, body: string): WebhookEvent => ({ id, provider: 'local', type: 'video.completed', source: 'inbound', jobId: null, createdAt: new Date().toISOString(), body, deliveries: [] });

  it('keys events by their exact id: ids that differ only in punctuation are two events', async () => {
    const log = new EventLog(env.UGC_CONFIG_DIR as string);
    expect(await log.add(event('msg.col1', 'one'))).not.toBeNull();
    expect(await log.add(event('msg_col1', 'two'))).not.toBeNull();
    expect(await log.add(event('msg/col1', 'three'))).not.toBeNull();
    expect(await log.add(event('msg.col1', 'again'))).toBeNull();
    expect((await log.find('msg.col1'))?.body).toBe('one');
    expect((await log.find('msg_col1'))?.body).toBe('two');
    expect((await log.find('msg/col1'))?.body).toBe('three');
    expect((await log.list()).map((e) => e.id).sort()).toEqual(['msg.col1', 'msg/col1', 'msg_col1']);
    // File names are hashes: no id character reaches the file system.
    expect((await readdir(log.dir)).filter((n) => n.endsWith('.json')).every((n) => /^[0-9a-f]{64}\.json$/.test(n))).toBe(true);
  });

  it('finds an event a log written before ids were hashed kept under its sanitised name, and moves it on its next update', async () => {
    const log = new EventLog(env.UGC_CONFIG_DIR as string);
    await mkdir(log.dir, { recursive: true });
    await writeFile(join(log.dir, 'in_local_msg_col1.json'), JSON.stringify(event('in_local_msg.col1', 'old')));
    expect(await log.find('in_local_msg_col1')).toBeNull();
    expect((await log.find('in_local_msg.col1'))?.body).toBe('old');
    await log.recordDelivery('in_local_msg.col1', 'http://127.0.0.1:1/h', () => ({ state: 'delivered' }));
    expect(await readdir(log.dir)).not.toContain('in_local_msg_col1.json');
    expect(await log.list()).toMatchObject([{ id: 'in_local_msg.col1', deliveries: [{ state: 'delivered' }] }]);
  });
});

describe('a forwarding target with credentials in it', () => {
  it('is printed with them hidden: the ready line, each attempt, the failure and the events table', async () => {
    const handler = await server(() => ({ status: 500 }));
    try {
      const target = `${handler.url}/hooks?token=SuperSecret`;
      const result = await ugc(['webhooks', 'trigger', 'video.completed', '--forward-to', target], { cwd: dir.path, env });
      expect(result.code).toBe(1);
      expect(handler.requests.length).toBeGreaterThanOrEqual(1);
      expect(handler.requests[0]?.url).toBe('/hooks?token=SuperSecret');
      const table = await ugc(['webhooks', 'events'], { cwd: dir.path, env });
      for (const text of [result.stdout, result.stderr, table.stdout]) {
        expect(text).not.toMatch(/SuperSecret|Pa55word/);
      }
      expect(result.stdout).toContain('token=***');
      expect(result.stderr).toMatch(/not delivered to http:\/\/127\.0\.0\.1:\d+\/hooks\?token=\*\*\* \(500\)/);
      const userinfo = await ugc(['webhooks', 'trigger', 'video.completed', '--forward-to', `${handler.url.replace('http://', 'http://hook:Pa55word@')}/hooks`], { cwd: dir.path, env });
      expect(userinfo.code).toBe(2);
      expect(userinfo.stderr).toMatch(/^error: --forward-to cannot carry a user and password \(http:\/\/\*\*\*@127/);
      expect(userinfo.stderr).not.toContain('Pa55word');
    } finally {
      await handler.close();
    }
  });
});

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../src/core/errors.js';
import { eventNames, samplePayload } from '../src/webhooks/payloads.js';
import {
  checkSecret,
  deliveryId,
  isValidWebhook,
  schemeFor,
  signWebhook,
  TOLERANCE_SECONDS,
  verifyWebhook,
  webhookSecret,
  WebhookVerificationError,
  type SignedHeaders,
} from '../src/webhooks/signing.js';

/** The built-in providers, each with the check its own document gives a handler. */
const PROVIDERS = ['local', 'unrealugc', 'ultimatecreator', 'ugen', 'apex', 'vidgen'] as const;
type ProviderName = (typeof PROVIDERS)[number];

const hexSecret = () => randomBytes(32).toString('hex');
const whsec = (size = 32) => `whsec_${randomBytes(size).toString('base64')}`;
const secretFor = (provider: ProviderName) => (schemeFor(provider).name === 'standard' ? whsec() : hexSecret());
const now = () => Math.floor(Date.now() / 1000);
/** Not compact JSON on purpose: re-serialising it gives other bytes. */
const BODY = '{"event": "video.job.completed", "data": {"job_id": "job_01HXYZ", "note": "crème brûlée  ✓"}}\n';

// ---- receivers that verify the way each provider's document says a handler should --------------

type Check = (secret: string, rawBody: Buffer, headers: IncomingHttpHeaders) => boolean;
const one = (value: string | string[] | undefined): string => (Array.isArray(value) ? (value[0] ?? '') : (value ?? ''));

/** UltimateCreator's Node sample: hex HMAC of the raw body, timingSafeEqual of the hex-decoded digests. */
const ucDocCheck: Check = (secret, body, headers) => {
  const signature = one(headers['x-uc-signature']);
  const expected = createHmac('sha256', secret).update(body).digest('hex');
  try {
    return timingSafeEqual(Buffer.from(signature, 'hex'), Buffer.from(expected, 'hex'));
  } catch {
    return false; // different lengths: the sample's timingSafeEqual throws
  }
};

/** vidgen's Express sample: length check, then timingSafeEqual of the hex strings. */
const vidgenDocCheck: Check = (secret, body, headers) => {
  const got = one(headers['x-webhook-signature']);
  const expected = createHmac('sha256', secret).update(body).digest('hex');
  return got.length === expected.length && timingSafeEqual(Buffer.from(got), Buffer.from(expected));
};

/** U-Gen: HMAC(secret, timestamp + "." + body) with X-UGen-Timestamp, refused when older than 300 s. */
const ugenDocCheck: Check = (secret, body, headers) => {
  const timestamp = one(headers['x-ugen-timestamp']);
  const got = one(headers['x-ugen-signature']);
  if (!timestamp || Math.abs(now() - Number(timestamp)) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${timestamp}.${body.toString('utf8')}`).digest('hex');
  return got.length === expected.length && timingSafeEqual(Buffer.from(got), Buffer.from(expected));
};

/** Standard Webhooks: the reference `standardwebhooks` package. */
const standardCheck: Check = (secret, body, headers) => {
  try {
    new Webhook(secret).verify(body.toString('utf8'), headers as Record<string, string>);
    return true;
  } catch {
    return false;
  }
};

const DOC_CHECK: Record<ProviderName, Check> = {
  ultimatecreator: ucDocCheck,
  vidgen: vidgenDocCheck,
  ugen: ugenDocCheck,
  unrealugc: standardCheck,
  apex: standardCheck,
  local: standardCheck,
};

interface Receiver {
  url: string;
  received: { body: Buffer; headers: IncomingHttpHeaders }[];
  close(): Promise<void>;
}
const open: Receiver[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()));
});

async function receiver(secret: string, check: Check): Promise<Receiver> {
  const received: Receiver['received'] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      received.push({ body, headers: req.headers });
      const ok = check(secret, body, req.headers);
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify({ received: ok }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const r: Receiver = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  open.push(r);
  return r;
}

async function post(url: string, body: string | Buffer, headers: SignedHeaders): Promise<number> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  await res.arrayBuffer();
  return res.status;
}

const expectRejected = (fn: () => unknown, reason: RegExp) => {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(WebhookVerificationError);
  expect((error as WebhookVerificationError).reason).toMatch(reason);
};

describe.each([...PROVIDERS])('%s deliveries over HTTP', (provider) => {
  it('a signed delivery passes the handler from the provider document, and our own verify on the received bytes', async () => {
    const secret = secretFor(provider);
    const hook = await receiver(secret, DOC_CHECK[provider]);
    for (const event of eventNames(provider)) {
      const body = samplePayload(provider, event);
      const meta = { id: `msg_${randomBytes(6).toString('hex')}`, timestamp: now() };
      expect(await post(hook.url, body, signWebhook(provider, secret, body, meta)), event).toBe(200);
      const last = hook.received.at(-1);
      if (!last) throw new Error('nothing received');
      expect(last.body.toString('utf8')).toBe(body);
      const verified = verifyWebhook(provider, secret, last.body, last.headers);
      if (schemeFor(provider).name === 'standard') expect(verified).toEqual(meta);
      else if (provider === 'ugen') expect(verified).toEqual({ id: null, timestamp: meta.timestamp });
      else expect(verified).toEqual({ id: null, timestamp: null });
    }
    // Exact bytes, with non-ASCII text and odd spacing kept as they are.
    expect(await post(hook.url, BODY, signWebhook(provider, secret, BODY, { id: 'msg_raw', timestamp: now() }))).toBe(200);
  });

  it('a tampered body, a wrong secret and a stale timestamp are refused by that handler', async () => {
    const secret = secretFor(provider);
    const hook = await receiver(secret, DOC_CHECK[provider]);
    const headers = signWebhook(provider, secret, BODY, { id: 'msg_1', timestamp: now() });
    expect(await post(hook.url, BODY.replace('job_01HXYZ', 'job_01HXYA'), headers)).toBe(401);
    expect(await post(hook.url, BODY, signWebhook(provider, secretFor(provider), BODY, { id: 'msg_1', timestamp: now() }))).toBe(401);
    expect(JSON.stringify(JSON.parse(BODY))).not.toBe(BODY);
    expect(await post(hook.url, JSON.stringify(JSON.parse(BODY)), headers)).toBe(401); // re-serialised JSON is other bytes
    if (provider !== 'ultimatecreator' && provider !== 'vidgen') {
      expect(await post(hook.url, BODY, signWebhook(provider, secret, BODY, { id: 'msg_1', timestamp: now() - 600 }))).toBe(401);
    }
    expect(await post(hook.url, BODY, headers)).toBe(200);
  });
});

describe('verify', () => {
  it.each([...PROVIDERS])('%s: rejects tampering, a wrong secret and missing headers; finds headers in any case', (provider) => {
    const secret = secretFor(provider);
    const t = now();
    const headers = signWebhook(provider, secret, BODY, { id: 'msg_abc', timestamp: t });
    expect(isValidWebhook(provider, secret, BODY, headers)).toBe(true);
    expect(isValidWebhook(provider, secret, Buffer.from(BODY, 'utf8'), headers)).toBe(true);
    expectRejected(() => verifyWebhook(provider, secret, `${BODY} `, headers), /does not match|no matching/);
    expectRejected(() => verifyWebhook(provider, secretFor(provider), BODY, headers), /does not match|no matching/);
    for (const name of Object.keys(headers)) {
      const { [name]: _dropped, ...rest } = headers;
      expectRejected(() => verifyWebhook(provider, secret, BODY, rest), /missing/);
      expectRejected(() => verifyWebhook(provider, secret, BODY, { ...rest, [name]: '' }), /missing/);
    }
    const upper = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v]));
    const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), [v]]));
    expect(isValidWebhook(provider, secret, BODY, upper)).toBe(true);
    expect(isValidWebhook(provider, secret, BODY, lower)).toBe(true);
  });

  it.each(['ugen', 'unrealugc', 'apex', 'local'] as const)('%s: accepts up to 300 s either way, refuses beyond', (provider) => {
    const secret = secretFor(provider);
    const t = 1_760_000_000;
    const headers = signWebhook(provider, secret, BODY, { id: 'msg_t', timestamp: t });
    expect(TOLERANCE_SECONDS).toBe(300);
    expect(verifyWebhook(provider, secret, BODY, headers, t + 300).timestamp).toBe(t);
    expect(verifyWebhook(provider, secret, BODY, headers, t - 300).timestamp).toBe(t);
    expectRejected(() => verifyWebhook(provider, secret, BODY, headers, t + 301), /too old/);
    expectRejected(() => verifyWebhook(provider, secret, BODY, headers, t - 301), /future/);
    const name = provider === 'ugen' ? 'X-UGen-Timestamp' : 'webhook-timestamp';
    expectRejected(() => verifyWebhook(provider, secret, BODY, { ...headers, [name]: `${t}.5` }, t), /Unix seconds/);
    // The timestamp is signed: moving it breaks the signature.
    expectRejected(() => verifyWebhook(provider, secret, BODY, { ...headers, [name]: String(t + 1) }, t), /does not match|no matching/);
  });

  it('hex schemes: bare lowercase digests out; a sha256= prefix or a short digest is refused', () => {
    const secret = hexSecret();
    const uc = signWebhook('ultimatecreator', secret, BODY, { id: 'x', timestamp: now() });
    expect(Object.keys(uc)).toEqual(['X-UC-Signature']);
    expect(uc['X-UC-Signature']).toMatch(/^[0-9a-f]{64}$/);
    expect(uc['X-UC-Signature']).toBe(createHmac('sha256', secret).update(BODY, 'utf8').digest('hex'));
    const vg = signWebhook('vidgen', secret, BODY, { id: 'x', timestamp: now() });
    expect(vg).toEqual({ 'X-Webhook-Signature': uc['X-UC-Signature'] });
    expectRejected(() => verifyWebhook('ultimatecreator', secret, BODY, { 'x-uc-signature': `sha256=${uc['X-UC-Signature']}` }), /bare/);
    expectRejected(() => verifyWebhook('vidgen', secret, BODY, { 'x-webhook-signature': (uc['X-UC-Signature'] ?? '').slice(0, 40) }), /bare/);
    // The header of the other hex provider does not count.
    expectRejected(() => verifyWebhook('vidgen', secret, BODY, { 'x-uc-signature': uc['X-UC-Signature'] }), /missing X-Webhook-Signature/);
  });

  it('U-Gen: verifies a delivery signed the way the U-Gen emulator signs it', () => {
    const secret = 'a7b3c9d2e1f4a8b5c6d7e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1';
    const timestamp = String(now());
    const headers = { 'content-type': 'application/json', 'x-ugen-timestamp': timestamp, 'x-ugen-signature': createHmac('sha256', secret).update(`${timestamp}.${BODY}`).digest('hex') };
    expect(verifyWebhook('ugen', secret, BODY, headers).timestamp).toBe(Number(timestamp));
    const ours = signWebhook('ugen', secret, BODY, { id: 'x', timestamp: Number(timestamp) });
    expect(ours).toEqual({ 'X-UGen-Timestamp': timestamp, 'X-UGen-Signature': headers['x-ugen-signature'] });
  });
});

describe('Standard Webhooks, checked against the standardwebhooks package', () => {
  it('the package verifies our signatures and we verify its signatures', () => {
    const secret = whsec();
    const wh = new Webhook(secret);
    const t = now();
    const ours = signWebhook('unrealugc', secret, BODY, { id: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', timestamp: t });
    expect(ours['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(wh.verify(BODY, ours as Record<string, string>)).toEqual(JSON.parse(BODY));
    expect(ours['webhook-signature']).toBe(wh.sign('msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', new Date(t * 1000), BODY));

    const theirs = { 'webhook-id': 'msg_theirs', 'webhook-timestamp': String(t), 'webhook-signature': wh.sign('msg_theirs', new Date(t * 1000), BODY) };
    expect(verifyWebhook('apex', secret, BODY, theirs)).toEqual({ id: 'msg_theirs', timestamp: t });
    expect(() => wh.verify(`${BODY} `, ours as Record<string, string>)).toThrow();
  });

  it('a space-separated signature list passes when any v1 entry matches; other versions do not count', () => {
    const secret = whsec();
    const t = now();
    const good = signWebhook('local', secret, BODY, { id: 'msg_rot', timestamp: t })['webhook-signature'] ?? '';
    const stale = signWebhook('local', whsec(), BODY, { id: 'msg_rot', timestamp: t })['webhook-signature'] ?? '';
    const base = { 'webhook-id': 'msg_rot', 'webhook-timestamp': String(t) };
    expect(isValidWebhook('local', secret, BODY, { ...base, 'webhook-signature': `${stale} ${good}` })).toBe(true);
    expect(isValidWebhook('local', secret, BODY, { ...base, 'webhook-signature': `v1,not-base64!! ${good}` })).toBe(true);
    expect(isValidWebhook('local', secret, BODY, { ...base, 'webhook-signature': `v1a,${good.slice(3)} ${stale}` })).toBe(false);
    expect(isValidWebhook('local', secret, BODY, { ...base, 'webhook-signature': good.slice(3) })).toBe(false);
    expect(isValidWebhook('local', secret, BODY, { ...base, 'webhook-signature': `v1,${Buffer.from('short').toString('base64')}` })).toBe(false);
    expect(new Webhook(secret).verify(BODY, { ...base, 'webhook-signature': `${stale} ${good}` })).toEqual(JSON.parse(BODY));
    // The id is signed too.
    expect(isValidWebhook('local', secret, BODY, { ...base, 'webhook-id': 'msg_other', 'webhook-signature': good })).toBe(false);
  });

  it('the package refuses our stale timestamps too', () => {
    const secret = whsec();
    const wh = new Webhook(secret);
    for (const offset of [-301, 301]) {
      const headers = signWebhook('unrealugc', secret, BODY, { id: 'msg_old', timestamp: now() + offset });
      expect(() => wh.verify(BODY, headers as Record<string, string>)).toThrow(/too (old|new)/);
    }
  });
});

describe('secrets', () => {
  const usage = (fn: () => unknown): UsageError => {
    try {
      fn();
    } catch (error) {
      expect(error).toBeInstanceOf(UsageError);
      expect((error as UsageError).exitCode).toBe(2);
      expect((error as UsageError).message).not.toContain('\n');
      return error as UsageError;
    }
    throw new Error('expected a UsageError');
  };

  it('hex-scheme providers need at least 32 printable characters, and not a whsec_ secret', () => {
    for (const provider of ['ultimatecreator', 'vidgen', 'ugen'] as const) {
      expect(() => checkSecret(provider, hexSecret())).not.toThrow();
      expect(() => checkSecret(provider, 'x'.repeat(32))).not.toThrow();
      const short = usage(() => checkSecret(provider, 'x'.repeat(31)));
      expect(short.message).toContain(provider);
      expect(short.message).toMatch(/at least 32 characters \(got 31\).*guessed/);
      expect(usage(() => checkSecret(provider, '')).message).toContain('got 0');
      expect(usage(() => checkSecret(provider, `${hexSecret()} `)).message).toMatch(/printable ASCII without spaces/);
      expect(usage(() => checkSecret(provider, whsec())).message).toMatch(/Standard Webhooks secret/);
    }
  });

  it('Standard Webhooks providers need whsec_ + base64 of 24 to 64 bytes', () => {
    for (const provider of ['unrealugc', 'apex', 'local'] as const) {
      for (const size of [24, 32, 64]) expect(() => checkSecret(provider, whsec(size))).not.toThrow();
      expect(usage(() => checkSecret(provider, hexSecret())).message).toMatch(new RegExp(`${provider} webhook secret must start with "whsec_"`));
      expect(usage(() => checkSecret(provider, whsec(16))).message).toMatch(/24–64 bytes.*got 16/);
      expect(usage(() => checkSecret(provider, whsec(65))).message).toMatch(/got 65/);
      for (const bad of ['whsec_', 'whsec_abc', `whsec_${'a'.repeat(43)}!`, `whsec_${randomBytes(32).toString('base64url')}_-`]) {
        expect(usage(() => checkSecret(provider, bad)).message).toMatch(/base64/);
      }
    }
  });

  it('signing or verifying with a malformed secret is a usage error, not a failed delivery', () => {
    usage(() => signWebhook('ugen', 'short', BODY, { id: 'x', timestamp: now() }));
    usage(() => verifyWebhook('apex', 'whsec_short', BODY, {}));
    usage(() => schemeFor('unrealugc').sign('not-a-whsec', BODY, { id: 'x', timestamp: now() }));
    usage(() => signWebhook('local', whsec(), BODY, { id: 'has space', timestamp: now() }));
    usage(() => signWebhook('local', whsec(), BODY, { id: 'x', timestamp: 1.5 }));
  });

  it('the secrets `ugc` creates fit their provider', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ugc-secrets-'));
    try {
      for (const provider of PROVIDERS) {
        const secret = await webhookSecret(dir, provider);
        expect(() => checkSecret(provider, secret), provider).not.toThrow();
        const headers = signWebhook(provider, secret, BODY, { id: 'msg_s', timestamp: now() });
        expect(DOC_CHECK[provider](secret, Buffer.from(BODY), Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])))).toBe(true);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('deliveryId', () => {
  it('is the webhook-id for Standard Webhooks, else a stable hash of the body', () => {
    expect(deliveryId('unrealugc', BODY, { 'Webhook-Id': 'msg_1' })).toBe('msg_1');
    const a = deliveryId('ultimatecreator', BODY, {});
    expect(a).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(deliveryId('ultimatecreator', Buffer.from(BODY), { 'x-uc-signature': 'whatever' })).toBe(a);
    expect(deliveryId('vidgen', `${BODY} `, {})).not.toBe(a);
  });
});

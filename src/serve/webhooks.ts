import { createHmac } from 'node:crypto';
import { lookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, fetch } from 'undici';
import type { JobStore } from '../core/job-store.js';

/**
 * Webhook deliveries of `ugc serve`: the job's status object POSTed when it completes or fails, signed
 * `X-Webhook-Signature` = hex HMAC-SHA256(secret, body) as the vidgen document's receiver checks it.
 * Only https:// and only to public addresses (checked on the addresses the name resolves to, at connect
 * time, so a name that resolves to 127.0.0.1 is refused too), unless `allowPrivate`, which also allows
 * plain http to a private address (a receiver on the same machine or network).
 */

const PRIVATE = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) PRIVATE.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96]] as const) PRIVATE.addSubnet(net, bits, 'ipv6');

/** Private, loopback, link-local, shared, multicast or unspecified: not a public internet address. */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return PRIVATE.check(mapped, 'ipv4');
  const family = isIP(address);
  if (family === 0) return true;
  return PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

const bare = (hostname: string) => hostname.replace(/^\[|\]$/g, '');
const namesPrivate = (hostname: string) => hostname === 'localhost' || hostname.endsWith('.localhost') || (isIP(bare(hostname)) !== 0 && isPrivateAddress(bare(hostname)));

/** Why a webhookUrl cannot be used (the 400's text), or null. Names are checked again, resolved, at delivery. */
export function webhookUrlProblem(value: string, allowPrivate: boolean): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'Invalid webhookUrl: not a URL';
  }
  if (url.username || url.password) return 'Invalid webhookUrl: credentials in the URL are not allowed';
  if (url.protocol === 'http:' && allowPrivate && namesPrivate(url.hostname)) return null;
  if (url.protocol !== 'https:') return 'Invalid webhookUrl: it must start with https://';
  if (!allowPrivate && namesPrivate(url.hostname)) return 'Invalid webhookUrl: private, loopback and link-local addresses are not allowed';
  return null;
}

/** Why delivering to `address` is not allowed for this URL's scheme, or null. */
function addressProblem(address: string, protocol: string, allowPrivate: boolean): string | null {
  const isPrivate = isPrivateAddress(address);
  if (isPrivate && !allowPrivate) return `refused: ${address} is a private, loopback or link-local address`;
  if (protocol === 'http:' && !isPrivate) return `refused: plain http only to private addresses (${address} is public)`;
  return null;
}

function guardedLookup(protocol: string, allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname, { all: true, family: options.family ?? 0, hints: options.hints }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const problem = addresses.map((a) => addressProblem(a.address, protocol, allowPrivate)).find(Boolean);
      if (problem || addresses.length === 0) return callback(Object.assign(new Error(problem ?? `no address for ${hostname}`), { code: 'EREFUSED' }), '', 0);
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0] as LookupAddress;
      callback(null, first.address, first.family);
    });
  };
}

export const signBody = (secret: string, body: string): string => createHmac('sha256', secret).update(body).digest('hex');

export interface DeliveryAttempt {
  at: string;
  status: number | null;
  error: string | null;
}

/** What a job's record keeps of its webhook: the exact body (resent byte for byte) and every attempt. */
export interface WebhookRecord {
  url: string;
  body: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: DeliveryAttempt[];
}

export interface SenderOptions {
  store: JobStore;
  /** The secret that signs a job's deliveries: its key's own, so one key's holder cannot forge another's events. */
  secretFor: (jobId: string) => Promise<string>;
  allowPrivate: boolean;
  /** Attempts before giving up (default 5); the wait starts at `backoffMs` (default 2 s) and triples. */
  attempts?: number;
  backoffMs?: number;
  timeoutMs?: number;
  log?: (line: string) => void;
}

export class WebhookSender {
  private readonly stop = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly agents = new Map<string, Agent>();

  constructor(private readonly options: SenderOptions) {}

  /** Records the delivery on the job, then sends it in the background until delivered or out of attempts. */
  async start(jobId: string, url: string, body: string): Promise<void> {
    const webhook: WebhookRecord = { url, body, state: 'pending', attempts: [] };
    await this.options.store.update(jobId, () => ({ webhook }));
    this.resume(jobId, webhook);
  }

  /** Goes on with a pending delivery (one left by a restart). */
  resume(jobId: string, webhook: WebhookRecord): void {
    const delivery = this.deliver(jobId, webhook).catch((error: unknown) => this.options.log?.(`webhook ${jobId}: ${(error as Error).message}`));
    this.inFlight.add(delivery);
    void delivery.finally(() => this.inFlight.delete(delivery));
  }

  /** Stops retrying; deliveries still pending are resumed by the next start. */
  async close(): Promise<void> {
    this.stop.abort();
    await Promise.allSettled([...this.inFlight]);
    await Promise.all([...this.agents.values()].map((agent) => agent.close()));
  }

  private async deliver(jobId: string, webhook: WebhookRecord): Promise<void> {
    const attempts = this.options.attempts ?? 5;
    const wait = this.options.backoffMs ?? 2000;
    for (let n = webhook.attempts.length; n < attempts && !this.stop.signal.aborted; n++) {
      if (n > 0) {
        const slept = await sleep(wait * 3 ** (n - 1), true, { signal: this.stop.signal }).catch(() => false);
        if (!slept) return;
      }
      const attempt = await this.attempt(webhook, await this.options.secretFor(jobId));
      const delivered = attempt.status !== null && attempt.status >= 200 && attempt.status < 300;
      const state = delivered ? 'delivered' : n + 1 >= attempts ? 'failed' : 'pending';
      this.options.log?.(`webhook ${jobId} → ${attempt.status ?? attempt.error} (${state})`);
      await this.options.store.update(jobId, (current) => {
        const recorded = (current.webhook as WebhookRecord | undefined) ?? webhook;
        return { webhook: { ...recorded, state, attempts: [...recorded.attempts, attempt] } };
      });
      if (delivered) return;
    }
  }

  private async attempt(webhook: WebhookRecord, secret: string): Promise<DeliveryAttempt> {
    const at = new Date().toISOString();
    const url = new URL(webhook.url);
    const host = bare(url.hostname);
    // A literal address is connected to without a lookup, so it is checked here.
    const literal = isIP(host) ? addressProblem(host, url.protocol, this.options.allowPrivate) : null;
    if (literal) return { at, status: null, error: literal };
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'ugc-serve', 'x-webhook-signature': signBody(secret, webhook.body) },
        body: webhook.body,
        redirect: 'manual',
        dispatcher: this.agentFor(url.protocol),
        signal: AbortSignal.any([this.stop.signal, AbortSignal.timeout(this.options.timeoutMs ?? 10_000)]),
      });
      await response.arrayBuffer().catch(() => undefined);
      return { at, status: response.status, error: null };
    } catch (error) {
      const cause = (error as { cause?: Error }).cause;
      return { at, status: null, error: (cause ?? (error as Error)).message };
    }
  }

  private agentFor(protocol: string): Agent {
    let agent = this.agents.get(protocol);
    if (!agent) {
      agent = new Agent({ connect: { lookup: guardedLookup(protocol, this.options.allowPrivate) } });
      this.agents.set(protocol, agent);
    }
    return agent;
  }
}

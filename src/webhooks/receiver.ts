import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProviderName } from '../core/job.js';
import { tokenMatches, TRIGGER_PATH, TriggerRequest } from './rendezvous.js';

export interface InboundDelivery {
  provider: ProviderName;
  /** The provider's delivery id (Standard Webhooks `webhook-id`, or the event id in the body), else a hash of the body. */
  deliveryId: string;
  type: string;
  body: string;
}

export interface ReceiverOptions {
  port: number;
  host?: string;
  /** The providers whose deliveries it takes, at `/<provider>`. */
  providers: string[];
  /** Throws when the signature does not verify; returns the delivery id the scheme carries, if any. */
  verify: (provider: ProviderName, body: Buffer, headers: IncomingMessage['headers']) => Promise<string | null>;
  /** Records and forwards; resolves to false for a delivery already received (a duplicate). */
  accept: (delivery: InboundDelivery) => Promise<boolean>;
  onRejected?: (provider: string, reason: string) => void;
  /** `POST /_trigger` from `ugc webhooks trigger` (bearer `token`): records and forwards the event, answers with the outcomes. */
  trigger?: { token: string; handle: (request: TriggerRequest) => Promise<unknown> };
}

const MAX_BODY = 1024 * 1024;

/**
 * Receives deliveries that providers (or a tunnel) POST to `/<provider>`, e.g. `/ugen`: verifies each
 * against that provider's signing secret (401 when it does not verify, and nothing is forwarded), then
 * hands the exact bytes on, once per delivery id.
 */
export async function startReceiver(options: ReceiverOptions): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method === 'POST' && path === TRIGGER_PATH && options.trigger) return takeTrigger(req, options.trigger, reply);
    const provider = path.replace(/^\/+|\/+$/g, '') as ProviderName;
    if (req.method !== 'POST' || !options.providers.includes(provider)) return reply(404, { error: `POST to /<provider>, one of ${options.providers.join(', ')}` });
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) req.destroy();
      else chunks.push(chunk);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      options
        .verify(provider, body, req.headers)
        .then(
          async (signedId) => {
            const text = body.toString('utf8');
            const { id, type } = describe(text);
            const deliveryId = signedId ?? id ?? createHash('sha256').update(body).digest('hex');
            const fresh = await options.accept({ provider, deliveryId, type: type ?? 'unknown', body: text });
            reply(200, { received: true, duplicate: !fresh });
          },
          (error: unknown) => {
            options.onRejected?.(provider, (error as Error).message);
            reply(401, { error: 'invalid signature' });
          },
        )
        .catch(() => reply(500, { error: 'could not record the delivery' }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://${options.host ?? '127.0.0.1'}:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function takeTrigger(req: IncomingMessage, trigger: NonNullable<ReceiverOptions['trigger']>, reply: (status: number, body: unknown) => void): void {
  const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  if (!tokenMatches(trigger.token, bearer)) {
    req.resume();
    return reply(401, { error: 'not the token of this listener' });
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    let request: TriggerRequest;
    try {
      request = TriggerRequest.parse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    } catch {
      return reply(400, { error: 'not a trigger request' });
    }
    trigger.handle(request).then(
      (answer) => reply(200, answer),
      (error: unknown) => reply(500, { error: (error as Error).message }),
    );
  });
}

/** The event id and type a provider put in the body, where its shape has them. */
function describe(text: string): { id: string | null; type: string | null } {
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' && v ? v : null);
    return { id: str(body.id) ?? str(body.event_id) ?? str(body.eventId), type: str(body.type) ?? str(body.event) };
  } catch {
    return { id: null, type: null };
  }
}

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { UgcError, UsageError } from '../core/errors.js';

/**
 * Webhook signature schemes. Each provider's definition names the one it signs with (its headers in its
 * own file); where a document names none, the choice is written in docs/providers.md. Three kinds:
 *
 * - `hexScheme`: lowercase hex HMAC-SHA256(secret, raw body) in one header.
 * - `timestampedHexScheme`: the same over `${timestamp}.${body}`, with the Unix seconds in a second header.
 * - `standardScheme`: Standard Webhooks: `webhook-id`, `webhook-timestamp`,
 *   `webhook-signature: v1,<base64 HMAC-SHA256(key, `${id}.${timestamp}.${body}`)>`, the key being the
 *   base64 after `whsec_`.
 *
 * Everything works on the exact bytes of the body: never re-serialise JSON before signing or verifying.
 */

export interface SignedHeaders {
  [name: string]: string;
}
export type IncomingHeaders = Record<string, string | string[] | undefined>;
export interface SignMeta {
  /** The event (delivery) id; only Standard Webhooks puts it in a header. */
  id: string;
  /** Unix seconds. */
  timestamp: number;
}
export interface Verified {
  id: string | null;
  timestamp: number | null;
}

export interface WebhookScheme {
  name: string;
  /** `whsec_` + base64 (Standard Webhooks), or a plain key used as it is (at least 32 printable characters). */
  secretFormat: SecretFormat;
  /** A new signing secret in that format. */
  newSecret(): string;
  /** Standard Webhooks event ids read `msg_…`; others `evt_…`. */
  eventIdPrefix: 'msg_' | 'evt_';
  /** The header that carries a delivery's own id, where the scheme has one. */
  idHeader?: string;
  /** Headers to send with `body` (the exact bytes). */
  sign(secret: string, body: string | Buffer, meta: SignMeta): SignedHeaders;
  /**
   * Throws a WebhookVerificationError unless the headers carry a valid signature of `body`; a malformed
   * secret is a UsageError. `now` is Unix seconds (default: the clock).
   */
  verify(secret: string, body: string | Buffer, headers: IncomingHeaders, now?: number): Verified;
}

/** How far a signed timestamp may be from the receiver's clock, either way. */
export const TOLERANCE_SECONDS = 300;
/** Hex-scheme secrets are used as the HMAC key as they are: shorter ones can be guessed offline from one signed delivery. */
export const MIN_HEX_SECRET_CHARS = 32;
export const WHSEC_PREFIX = 'whsec_';
const WHSEC_MIN_BYTES = 24;
const WHSEC_MAX_BYTES = 64;

/** A delivery that must be refused (answer 401); `reason` is short and safe to log. */
export class WebhookVerificationError extends UgcError {
  readonly reason: string;
  constructor(reason: string) {
    super(`webhook signature verification failed: ${reason}`, { code: 'webhook_unverified' });
    this.name = 'WebhookVerificationError';
    this.reason = reason;
  }
}

// ---- helpers -------------------------------------------------------------------------------

const bytes = (body: string | Buffer): Buffer => (typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** A header by name, whatever its case; repeated headers are joined the way Node joins them. */
export function headerValue(headers: IncomingHeaders, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    return Array.isArray(value) ? value.join(', ') : value;
  }
  return undefined;
}

function required(headers: IncomingHeaders, name: string): string {
  const value = headerValue(headers, name)?.trim();
  if (!value) throw new WebhookVerificationError(`missing ${name} header`);
  return value;
}

/** Same length and same bytes, in constant time for equal lengths. */
function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

const hmacHex = (key: string | Buffer, ...parts: Buffer[]): string => {
  const mac = createHmac('sha256', key);
  for (const part of parts) mac.update(part);
  return mac.digest('hex');
};

function checkTimestamp(raw: string, now: number, header: string): number {
  if (!/^\d{1,12}$/.test(raw)) throw new WebhookVerificationError(`${header} is not Unix seconds`);
  const timestamp = Number(raw);
  if (now - timestamp > TOLERANCE_SECONDS) throw new WebhookVerificationError(`timestamp too old (more than ${TOLERANCE_SECONDS} s)`);
  if (timestamp - now > TOLERANCE_SECONDS) throw new WebhookVerificationError(`timestamp too far in the future (more than ${TOLERANCE_SECONDS} s)`);
  return timestamp;
}

function checkMetaTimestamp(timestamp: number): void {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new UsageError(`a webhook timestamp must be whole Unix seconds (got ${timestamp})`);
}

function compareHex(expected: string, got: string): void {
  if (!/^[0-9a-fA-F]{64}$/.test(got)) throw new WebhookVerificationError('signature is not a bare 64-character hex digest');
  if (!sameBytes(Buffer.from(expected, 'hex'), Buffer.from(got, 'hex'))) throw new WebhookVerificationError('signature does not match');
}

// ---- secrets -------------------------------------------------------------------------------

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export type SecretFormat = 'whsec' | 'hex';

function secretProblem(format: SecretFormat, secret: string): string | null {
  if (format === 'whsec') {
    if (!secret.startsWith(WHSEC_PREFIX)) return `must start with "${WHSEC_PREFIX}" (Standard Webhooks)`;
    const encoded = secret.slice(WHSEC_PREFIX.length);
    if (!encoded || !BASE64.test(encoded)) return `must be "${WHSEC_PREFIX}" followed by standard base64 (A-Z a-z 0-9 + /, = padding)`;
    const size = Buffer.from(encoded, 'base64').length;
    if (size < WHSEC_MIN_BYTES || size > WHSEC_MAX_BYTES) return `must decode to ${WHSEC_MIN_BYTES}–${WHSEC_MAX_BYTES} bytes after "${WHSEC_PREFIX}" (got ${size})`;
    return null;
  }
  if (secret.startsWith(WHSEC_PREFIX)) return `is a Standard Webhooks secret ("${WHSEC_PREFIX}…"); this provider signs with a plain HMAC key`;
  if (/[^\x21-\x7e]/.test(secret)) return 'must be printable ASCII without spaces';
  if (secret.length < MIN_HEX_SECRET_CHARS) {
    return `must be at least ${MIN_HEX_SECRET_CHARS} characters (got ${secret.length}): it is the HMAC key itself, and a short one can be guessed offline from one signed delivery`;
  }
  return null;
}

/** Throws a UsageError naming `who` (a provider) unless `secret` fits the format. */
export function assertSecret(format: SecretFormat, secret: string, who: string): void {
  const problem = secretProblem(format, secret);
  if (problem) {
    const hint = format === 'whsec' ? 'Use `ugc webhooks secret` or a whsec_ secret from the provider.' : 'Use `ugc webhooks secret` or generate one with `openssl rand -hex 32`.';
    throw new UsageError(`the ${who} webhook secret ${problem}`, hint);
  }
}

const standardKey = (secret: string): Buffer => {
  assertSecret('whsec', secret, 'Standard Webhooks');
  return Buffer.from(secret.slice(WHSEC_PREFIX.length), 'base64');
};

// ---- the schemes ---------------------------------------------------------------------------

const newHexSecret = () => randomBytes(32).toString('hex');

/** Lowercase hex HMAC-SHA256(secret, raw body) in `header`: for a provider that documents exactly that. */
export function hexScheme(name: string, header: string, who: string): WebhookScheme {
  return {
    name,
    secretFormat: 'hex',
    newSecret: newHexSecret,
    eventIdPrefix: 'evt_',
    sign(secret, body) {
      assertSecret('hex', secret, who);
      return { [header]: hmacHex(secret, bytes(body)) };
    },
    verify(secret, body, headers) {
      assertSecret('hex', secret, who);
      compareHex(hmacHex(secret, bytes(body)), required(headers, header));
      return { id: null, timestamp: null };
    },
  };
}

/**
 * Lowercase hex HMAC-SHA256(secret, `${timestamp}.${body}`) in `signatureHeader`, the Unix seconds in
 * `timestampHeader`; deliveries further than the tolerance from the clock are refused.
 */
export function timestampedHexScheme(name: string, signatureHeader: string, timestampHeader: string, who: string): WebhookScheme {
  return {
    name,
    secretFormat: 'hex',
    newSecret: newHexSecret,
    eventIdPrefix: 'evt_',
    sign(secret, body, meta) {
      assertSecret('hex', secret, who);
      checkMetaTimestamp(meta.timestamp);
      const timestamp = String(meta.timestamp);
      return { [timestampHeader]: timestamp, [signatureHeader]: hmacHex(secret, Buffer.from(`${timestamp}.`), bytes(body)) };
    },
    verify(secret, body, headers, now = nowSeconds()) {
      assertSecret('hex', secret, who);
      const signature = required(headers, signatureHeader);
      const raw = required(headers, timestampHeader);
      const timestamp = checkTimestamp(raw, now, timestampHeader);
      compareHex(hmacHex(secret, Buffer.from(`${raw}.`), bytes(body)), signature);
      return { id: null, timestamp };
    },
  };
}

const standardSignature = (key: Buffer, id: string, timestamp: string, body: Buffer): Buffer =>
  createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();

export const standardScheme: WebhookScheme = {
  name: 'standard',
  secretFormat: 'whsec',
  newSecret: () => `${WHSEC_PREFIX}${randomBytes(32).toString('base64')}`,
  eventIdPrefix: 'msg_',
  idHeader: 'webhook-id',
  sign(secret, body, meta) {
    const key = standardKey(secret);
    checkMetaTimestamp(meta.timestamp);
    if (!meta.id || /\s/.test(meta.id)) throw new UsageError('a Standard Webhooks event id must be non-empty and without spaces');
    const timestamp = String(meta.timestamp);
    return {
      'webhook-id': meta.id,
      'webhook-timestamp': timestamp,
      'webhook-signature': `v1,${standardSignature(key, meta.id, timestamp, bytes(body)).toString('base64')}`,
    };
  },
  verify(secret, body, headers, now = nowSeconds()) {
    const key = standardKey(secret);
    const id = required(headers, 'webhook-id');
    const raw = required(headers, 'webhook-timestamp');
    const signatures = required(headers, 'webhook-signature');
    const timestamp = checkTimestamp(raw, now, 'webhook-timestamp');
    const expected = standardSignature(key, id, raw, bytes(body));
    // A space-separated list (key rotation); only v1 (symmetric HMAC) entries count.
    for (const entry of signatures.split(/\s+/)) {
      const comma = entry.indexOf(',');
      if (comma < 0 || entry.slice(0, comma) !== 'v1') continue;
      const encoded = entry.slice(comma + 1);
      if (BASE64.test(encoded) && sameBytes(Buffer.from(encoded, 'base64'), expected)) return { id, timestamp };
    }
    throw new WebhookVerificationError('no matching v1 signature');
  },
};

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { UgcError, UsageError } from '../core/errors.js';
import type { ProviderName } from '../core/job.js';

/**
 * The webhook signature schemes of the providers (shared/api-docs/README.md):
 *
 * - `uc-hex`: UltimateCreator, `X-UC-Signature` = lowercase hex HMAC-SHA256(secret, raw body).
 * - `vidgen-hex`: vidgen, `X-Webhook-Signature`, the same computation.
 * - `ugen-timestamped`: U-Gen, `X-UGen-Signature` = lowercase hex HMAC-SHA256(secret, `${timestamp}.${body}`)
 *   with `X-UGen-Timestamp` (Unix seconds).
 * - `standard`: Standard Webhooks (UnrealUGC, Apex, local): `webhook-id`, `webhook-timestamp`,
 *   `webhook-signature: v1,<base64 HMAC-SHA256(key, `${id}.${timestamp}.${body}`)>`, the key being the
 *   base64 after `whsec_`.
 *
 * Everything works on the exact bytes of the body: never re-serialise JSON before signing or verifying.
 */

export type SchemeName = 'uc-hex' | 'vidgen-hex' | 'ugen-timestamped' | 'standard';
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
  name: SchemeName;
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

function secretProblem(scheme: SchemeName, secret: string): string | null {
  if (scheme === 'standard') {
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

function assertSecret(scheme: SchemeName, secret: string, who: string): void {
  const problem = secretProblem(scheme, secret);
  if (problem) {
    const hint = scheme === 'standard' ? 'Use `ugc webhooks secret` or a whsec_ secret from the provider.' : 'Use `ugc webhooks secret` or generate one with `openssl rand -hex 32`.';
    throw new UsageError(`the ${who} webhook secret ${problem}`, hint);
  }
}

/** Throws a UsageError naming the provider unless `secret` fits that provider's scheme. */
export function checkSecret(provider: ProviderName, secret: string): void {
  assertSecret(schemeFor(provider).name, secret, provider);
}

const standardKey = (secret: string): Buffer => {
  assertSecret('standard', secret, 'Standard Webhooks');
  return Buffer.from(secret.slice(WHSEC_PREFIX.length), 'base64');
};

// ---- the schemes ---------------------------------------------------------------------------

function hexScheme(name: 'uc-hex' | 'vidgen-hex', header: string, who: string): WebhookScheme {
  return {
    name,
    sign(secret, body) {
      assertSecret(name, secret, who);
      return { [header]: hmacHex(secret, bytes(body)) };
    },
    verify(secret, body, headers) {
      assertSecret(name, secret, who);
      compareHex(hmacHex(secret, bytes(body)), required(headers, header));
      return { id: null, timestamp: null };
    },
  };
}

export const UC_SIGNATURE_HEADER = 'X-UC-Signature';
export const VIDGEN_SIGNATURE_HEADER = 'X-Webhook-Signature';
export const UGEN_SIGNATURE_HEADER = 'X-UGen-Signature';
export const UGEN_TIMESTAMP_HEADER = 'X-UGen-Timestamp';

export const ucScheme: WebhookScheme = hexScheme('uc-hex', UC_SIGNATURE_HEADER, 'ultimatecreator');
export const vidgenScheme: WebhookScheme = hexScheme('vidgen-hex', VIDGEN_SIGNATURE_HEADER, 'vidgen');

export const ugenScheme: WebhookScheme = {
  name: 'ugen-timestamped',
  sign(secret, body, meta) {
    assertSecret('ugen-timestamped', secret, 'ugen');
    checkMetaTimestamp(meta.timestamp);
    const timestamp = String(meta.timestamp);
    return { [UGEN_TIMESTAMP_HEADER]: timestamp, [UGEN_SIGNATURE_HEADER]: hmacHex(secret, Buffer.from(`${timestamp}.`), bytes(body)) };
  },
  verify(secret, body, headers, now = nowSeconds()) {
    assertSecret('ugen-timestamped', secret, 'ugen');
    const signature = required(headers, UGEN_SIGNATURE_HEADER);
    const raw = required(headers, UGEN_TIMESTAMP_HEADER);
    const timestamp = checkTimestamp(raw, now, UGEN_TIMESTAMP_HEADER);
    compareHex(hmacHex(secret, Buffer.from(`${raw}.`), bytes(body)), signature);
    return { id: null, timestamp };
  },
};

const standardSignature = (key: Buffer, id: string, timestamp: string, body: Buffer): Buffer =>
  createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();

export const standardScheme: WebhookScheme = {
  name: 'standard',
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

const SCHEMES: Record<ProviderName, WebhookScheme> = {
  ultimatecreator: ucScheme,
  vidgen: vidgenScheme,
  ugen: ugenScheme,
  unrealugc: standardScheme,
  apex: standardScheme,
  local: standardScheme,
};

export function schemeFor(provider: ProviderName): WebhookScheme {
  const scheme = SCHEMES[provider];
  if (!scheme) throw new UsageError(`no webhook signature scheme for provider "${String(provider)}"`);
  return scheme;
}

// ---- plain helpers for users' own handlers ----------------------------------------------------

/** The headers to send with `body` for `provider`'s scheme (`meta.id` only travels with Standard Webhooks). */
export function signWebhook(provider: ProviderName, secret: string, body: string | Buffer, meta: SignMeta): SignedHeaders {
  checkSecret(provider, secret);
  return schemeFor(provider).sign(secret, body, meta);
}

/**
 * Verifies a delivery the way `provider` signs it, from the raw body bytes and the request headers
 * (any case). Throws WebhookVerificationError when it must be refused.
 */
export function verifyWebhook(provider: ProviderName, secret: string, rawBody: string | Buffer, headers: IncomingHeaders, now?: number): Verified {
  checkSecret(provider, secret);
  return schemeFor(provider).verify(secret, rawBody, headers, now);
}

/** True when the delivery verifies; never throws for a bad delivery (a malformed secret still throws). */
export function isValidWebhook(provider: ProviderName, secret: string, rawBody: string | Buffer, headers: IncomingHeaders, now?: number): boolean {
  try {
    verifyWebhook(provider, secret, rawBody, headers, now);
    return true;
  } catch (error) {
    if (error instanceof WebhookVerificationError) return false;
    throw error;
  }
}

/**
 * A stable id for deduplicating deliveries: the `webhook-id` header where the scheme has one, else a
 * hash of the body (providers without a delivery id resend the same bytes on a retry).
 */
export function deliveryId(provider: ProviderName, rawBody: string | Buffer, headers: IncomingHeaders): string {
  if (schemeFor(provider).name === 'standard') {
    const id = headerValue(headers, 'webhook-id')?.trim();
    if (id) return id;
  }
  return `sha256:${createHash('sha256').update(bytes(rawBody)).digest('hex')}`;
}

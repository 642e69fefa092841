import { createHash } from 'node:crypto';
import { assertSecret, headerValue, WebhookVerificationError, type IncomingHeaders, type SignedHeaders, type SignMeta, type Verified, type WebhookScheme } from '../providers/webhook-schemes.js';
import { getProvider, requirePart } from '../providers/registry.js';
import { storedSecret } from '../core/webhook-secrets.js';

export {
  headerValue,
  MIN_HEX_SECRET_CHARS,
  TOLERANCE_SECONDS,
  WebhookVerificationError,
  WHSEC_PREFIX,
  type IncomingHeaders,
  type SignedHeaders,
  type SignMeta,
  type Verified,
  type WebhookScheme,
} from '../providers/webhook-schemes.js';

/** The scheme `provider` signs its deliveries with (from its definition). */
export function schemeFor(provider: string): WebhookScheme {
  return requirePart(getProvider(provider), 'webhooks', 'webhooks').scheme;
}

/** Throws a UsageError naming the provider unless `secret` fits that provider's scheme. */
export function checkSecret(provider: string, secret: string): void {
  assertSecret(schemeFor(provider).secretFormat, secret, provider);
}

/**
 * The signing secret `ugc` uses for `provider`'s events, in its scheme's format: created on first use,
 * then the same on every run (`ugc webhooks secret` prints it).
 */
export function webhookSecret(configDir: string, provider: string): Promise<string> {
  return storedSecret(configDir, provider, schemeFor(provider).newSecret);
}

// ---- plain helpers for users' own handlers ----------------------------------------------------

/** The headers to send with `body` for `provider`'s scheme (`meta.id` only travels with Standard Webhooks). */
export function signWebhook(provider: string, secret: string, body: string | Buffer, meta: SignMeta): SignedHeaders {
  checkSecret(provider, secret);
  return schemeFor(provider).sign(secret, body, meta);
}

/**
 * Verifies a delivery the way `provider` signs it, from the raw body bytes and the request headers
 * (any case). Throws WebhookVerificationError when it must be refused.
 */
export function verifyWebhook(provider: string, secret: string, rawBody: string | Buffer, headers: IncomingHeaders, now?: number): Verified {
  checkSecret(provider, secret);
  return schemeFor(provider).verify(secret, rawBody, headers, now);
}

/** True when the delivery verifies; never throws for a bad delivery (a malformed secret still throws). */
export function isValidWebhook(provider: string, secret: string, rawBody: string | Buffer, headers: IncomingHeaders, now?: number): boolean {
  try {
    verifyWebhook(provider, secret, rawBody, headers, now);
    return true;
  } catch (error) {
    if (error instanceof WebhookVerificationError) return false;
    throw error;
  }
}

/**
 * A stable id for deduplicating deliveries: the delivery-id header where the scheme has one, else a
 * hash of the body (providers without a delivery id resend the same bytes on a retry).
 */
export function deliveryId(provider: string, rawBody: string | Buffer, headers: IncomingHeaders): string {
  const header = schemeFor(provider).idHeader;
  const id = header ? headerValue(headers, header)?.trim() : undefined;
  if (id) return id;
  return `sha256:${createHash('sha256').update(typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody).digest('hex')}`;
}

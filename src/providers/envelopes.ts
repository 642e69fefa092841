import type { ProviderErrorBody } from '../http/errors.js';

const fallback = (status: number): ProviderErrorBody => ({ code: `http_${status}`, message: `the request failed with HTTP ${status}` });

/**
 * Reads the error envelopes the providers use: `{ "error": { "code", "message", "details" } }`
 * (UnrealUGC, UltimateCreator, U-Gen) and `{ "error": "message", "code"? }` (Apex, vidgen).
 */
export function readErrorEnvelope(status: number, body: unknown): ProviderErrorBody {
  if (!body || typeof body !== 'object') return typeof body === 'string' && body.length < 300 && body ? { ...fallback(status), message: body } : fallback(status);
  const error = (body as { error?: unknown }).error;
  if (error && typeof error === 'object') {
    const { code, message, details } = error as { code?: unknown; message?: unknown; details?: unknown };
    return { code: typeof code === 'string' ? code : `http_${status}`, message: typeof message === 'string' ? message : fallback(status).message, details };
  }
  if (typeof error === 'string') {
    const code = (body as { code?: unknown }).code;
    return { code: typeof code === 'string' ? code : `http_${status}`, message: error, details: (body as { details?: unknown }).details };
  }
  const message = (body as { message?: unknown }).message;
  return typeof message === 'string' ? { ...fallback(status), message } : fallback(status);
}

/** A script's spoken length at a brisk UGC pace (2.6 words a second), for providers that want a duration. */
export function spokenSeconds(script: string): number {
  return Math.max(1, Math.round(script.trim().split(/\s+/).length / 2.6));
}

/** `--param key=value` values as JSON: numbers and booleans typed, the rest strings (the provider validates). */
export function paramValues(params: Record<string, string>): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(params)) {
    out[key] = /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value === 'true' ? true : value === 'false' ? false : value;
  }
  return out;
}

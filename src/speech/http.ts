import type { Context } from '../core/context.js';
import { retryNotice } from '../core/present.js';
import type { HttpClient, HttpClientOptions } from '../http/client.js';
import type { ProviderErrorBody } from '../http/errors.js';

/** A speech request waits for the whole audio: a long script takes a server a while. */
const SPEECH_TIMEOUT_MS = 180_000;

/**
 * Error bodies of speech APIs: OpenAI's `{ error: { message, code, type } }`, FastAPI servers'
 * (Kokoro-FastAPI, ElevenLabs) `{ detail: { status | error, message } }`, `{ detail: "text" }` and the
 * validation list `{ detail: [{ loc, msg }] }`.
 */
export function readSpeechError(status: number, body: unknown): ProviderErrorBody {
  const fallback = { code: `http_${status}`, message: `the request failed with HTTP ${status}` };
  if (typeof body === 'string') return body && body.length < 300 ? { ...fallback, message: body } : fallback;
  if (!body || typeof body !== 'object') return fallback;
  const { error, detail } = body as { error?: unknown; detail?: unknown };
  const inner = (error && typeof error === 'object' ? error : detail) as Record<string, unknown> | string | unknown[] | undefined;
  if (typeof inner === 'string') return { ...fallback, message: inner };
  if (Array.isArray(inner)) {
    const first = inner[0] as { loc?: unknown[]; msg?: unknown } | undefined;
    return { code: 'validation_error', message: first?.msg ? `${String(first.msg)}${first.loc ? ` (${first.loc.join('.')})` : ''}` : fallback.message, details: inner };
  }
  if (!inner || typeof inner !== 'object') return typeof error === 'string' ? { ...fallback, message: error } : fallback;
  const code = [inner.code, inner.status, inner.error, inner.type].find((v) => typeof v === 'string' && v) as string | undefined;
  return { code: code ?? fallback.code, message: typeof inner.message === 'string' ? inner.message : fallback.message };
}

/** An HTTP client for a speech API: the one client (retries, rate limits, error mapping), its timeouts, `--debug` logging. */
export async function speechClient(ctx: Context, options: Pick<HttpClientOptions, 'provider' | 'baseUrl' | 'auth' | 'authHint'> & Partial<Pick<HttpClientOptions, 'maxAttempts' | 'timeoutMs'>>): Promise<HttpClient> {
  const { HttpClient } = await import('../http/client.js');
  return new HttpClient({
    timeoutMs: SPEECH_TIMEOUT_MS,
    ...options,
    idempotency: 'none',
    parseError: readSpeechError,
    debug: ctx.global.debug ? (line) => ctx.io.stderr.write(`[debug] ${line}\n`) : undefined,
    onRetry: retryNotice(ctx),
  });
}

/** Whether a server answers at `path`, for `ugc voices`: one quick try, nothing retried or spent. */
export async function probe(http: HttpClient, path: string): Promise<{ available: boolean; detail: string }> {
  const { ProviderError, NetworkError } = await import('../http/errors.js');
  try {
    await http.get(path);
    return { available: true, detail: 'answers' };
  } catch (error) {
    if (error instanceof ProviderError) {
      if (error.status === 401 || error.status === 403) return { available: false, detail: `key refused (HTTP ${error.status})` };
      return { available: error.status < 500, detail: error.status < 500 ? 'answers' : `server error (HTTP ${error.status})` };
    }
    if (error instanceof NetworkError) return { available: false, detail: 'unreachable' };
    throw error;
  }
}

import { UgcError } from '../core/errors.js';
import type { HttpClient } from '../http/client.js';

/**
 * A 2xx answer is not yet the answer the document describes: a proxy, a login page or another service at
 * the base URL also answers 200. `shaped` checks an answer's shape before anything reads it, and says what
 * came back (briefly, the key blanked) instead of reading fields that are not there.
 */
export function shaped<T>(http: HttpClient, request: string, data: unknown, isShape: (data: Record<string, unknown>) => boolean, what: string): T {
  if (data !== null && typeof data === 'object' && !Array.isArray(data) && isShape(data as Record<string, unknown>)) return data as T;
  throw new UgcError(`${http.provider}: ${request} did not answer ${what}; it answered ${http.redact(brief(data))}`, {
    code: 'bad_response',
    hint: `Is ${http.baseUrl} the ${http.provider} API? Check --base-url, UGC_BASE_URL and \`ugc config get base-url.${http.provider}\`.`,
  });
}

const LONGEST = 80;

/** An answer in a few words: its text or JSON on one line, cut to LONGEST characters. */
export function brief(data: unknown): string {
  if (data === null || data === undefined || data === '') return 'nothing (an empty body)';
  const text = (typeof data === 'string' ? data : JSON.stringify(data)).replace(/\s+/g, ' ').trim();
  const cut = text.length > LONGEST ? `${text.slice(0, LONGEST)}…` : text;
  return typeof data === 'string' ? `the text "${cut}"` : cut;
}

export const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
export const isText = (value: unknown): value is string => typeof value === 'string' && value.length > 0;
export const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

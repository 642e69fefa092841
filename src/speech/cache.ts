import { createHash } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic-write.js';
import { withFileLock } from '../core/file-lock.js';
import { readJsonFile } from '../core/json-files.js';
import type { PhonemeTiming, WordTiming } from '../render/types.js';
import type { EngineSpeech } from './engine.js';

/**
 * Paid speech, kept in `<config dir>/cache/speech/` by (engine, voice, model, text, speed): a re-render, a
 * batch rerun or an A/B variant of the same script never pays for it twice. Each entry is the audio as
 * the engine sent it and a JSON file with its timings, written last, so an entry without one is not there.
 * Rows of one process share a request in flight; other processes wait on a lock file.
 */
export interface CachedSpeech {
  audioPath: string;
  durationSeconds?: number;
  words?: WordTiming[];
  phonemes?: PhonemeTiming[];
}

interface Entry {
  extension: string;
  durationSeconds?: number;
  words?: WordTiming[];
  phonemes?: PhonemeTiming[];
  createdAt: string;
}

/** A paid request can take minutes (retries ride out rate limits); a lock older than this was left by a dead process. */
const LOCK_STALE_MS = 5 * 60_000;
const LOCK_GIVE_UP_MS = 6 * 60_000;

const dirOf = (configDir: string) => join(configDir, 'cache', 'speech');
const inFlight = new Map<string, Promise<{ speech: CachedSpeech; paid: boolean }>>();

export function speechCacheKey(parts: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 40);
}

/** The cached entry for `key`, or null. */
export async function readCachedSpeech(configDir: string, key: string): Promise<CachedSpeech | null> {
  const entry = await readJsonFile<Entry>(join(dirOf(configDir), `${key}.json`)).catch(() => null);
  if (!entry) return null;
  const audioPath = join(dirOf(configDir), `${key}.${entry.extension}`);
  if (!(await stat(audioPath).catch(() => null))?.size) return null;
  return { audioPath, durationSeconds: entry.durationSeconds, words: entry.words, phonemes: entry.phonemes };
}

/** The entry for `key`, made with `make` (and paid for) only when no process has it yet; `paid` says whether this call made it. */
export function cachedSpeech(configDir: string, key: string, make: () => Promise<EngineSpeech>): Promise<{ speech: CachedSpeech; paid: boolean }> {
  const pending = inFlight.get(key);
  if (pending) return pending.then(({ speech }) => ({ speech, paid: false }));
  const work = (async () => {
    const found = await readCachedSpeech(configDir, key);
    if (found) return { speech: found, paid: false };
    await mkdir(dirOf(configDir), { recursive: true });
    return withFileLock(
      join(dirOf(configDir), `.${key}.lock`),
      async () => {
        const madeMeanwhile = await readCachedSpeech(configDir, key);
        if (madeMeanwhile) return { speech: madeMeanwhile, paid: false };
        const made = await make();
        const audioPath = join(dirOf(configDir), `${key}.${made.extension}`);
        await writeFileAtomic(audioPath, made.audio);
        const entry: Entry = { extension: made.extension, durationSeconds: made.durationSeconds, words: made.words, phonemes: made.phonemes, createdAt: new Date().toISOString() };
        await writeFileAtomic(join(dirOf(configDir), `${key}.json`), `${JSON.stringify(entry)}\n`);
        return { speech: { audioPath, durationSeconds: made.durationSeconds, words: made.words, phonemes: made.phonemes }, paid: true };
      },
      { staleAfterMs: LOCK_STALE_MS, giveUpAfterMs: LOCK_GIVE_UP_MS },
    );
  })().finally(() => inFlight.delete(key));
  inFlight.set(key, work);
  return work;
}


// The HTTP core against a rate-limited provider: 200 job submissions, several at a time, through the
// client's pacing. Reports the achieved rate as a fraction of the allowed rate: bench/results/http.json.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { HttpClient } from '../.bench-dist/src/http/client.js';
import { readErrorEnvelope } from '../.bench-dist/src/providers/envelopes.js';
import { startUnrealUgcEmulator } from '../.bench-dist/test/emulators/unrealugc.js';

const RESULTS = new URL('./results/', import.meta.url).pathname;
const SUBMISSIONS = 200;
const CONCURRENCY = 8;
const LIMIT = 20;
const WINDOW_MS = 1000;

export async function benchHttp() {
  const emulator = await startUnrealUgcEmulator({ jobDurationMs: 60_000, generationRateLimit: { limit: LIMIT, windowMs: WINDOW_MS }, credits: 10_000_000 });
  const refusals = [];
  let started = 0;
  const http = new HttpClient({
    provider: 'unrealugc',
    baseUrl: emulator.url,
    auth: { header: 'authorization', key: emulator.apiKey },
    idempotency: 'header',
    parseError: readErrorEnvelope,
    debug: (line) => {
      if (/after HTTP 429/.test(line)) refusals.push(performance.now() - started);
    },
  });
  const body = { script: 'A benchmark submission that is long enough.', productName: 'Bench', creatorId: 'tech-savvy-female-30' };
  try {
    let next = 0;
    started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < SUBMISSIONS) {
          next++;
          await http.post('/videos', { json: body });
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const achieved = SUBMISSIONS / seconds;
    const allowed = LIMIT / (WINDOW_MS / 1000);
    const result = {
      date: new Date().toISOString(),
      submissions: SUBMISSIONS,
      concurrency: CONCURRENCY,
      allowedPerSecond: allowed,
      achievedPerSecond: Number(achieved.toFixed(2)),
      fractionOfAllowed: Number((achieved / allowed).toFixed(3)),
      target: 0.9,
      jobsCreated: emulator.stats.jobsCreated,
      refused429: refusals.length,
      refused429AfterFirstWindow: refusals.filter((t) => t > WINDOW_MS).length,
    };
    await mkdir(RESULTS, { recursive: true });
    await writeFile(join(RESULTS, 'http.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log(`http: ${SUBMISSIONS} submissions at ${result.achievedPerSecond}/s of ${allowed}/s allowed (${result.fractionOfAllowed}, target >= 0.9); 429s: ${result.refused429} (${result.refused429AfterFirstWindow} after the first window)`);
  } finally {
    await emulator.close();
  }
}

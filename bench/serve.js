// `ugc serve` under load, in bench/results/serve.json:
// - throughput: 20 jobs (a photo and a 2 s voiceover) through serve from 4 clients, each with its own key,
//   against the same 20 renders run with `generate` one after another in one process (10 before serve's run,
//   10 after); ratio = generate time / serve time (target ≥ 0.9);
// - p95 latency of the status calls the clients make while serve renders (target < 50 ms);
// - serve's memory while a 50 MB file is uploaded, and while a 60 MB one is refused, above its idle RSS
//   (target < 100 MB).
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Blob } from 'node:buffer';
import { execa } from 'execa';
import { fetch, FormData } from 'undici';
import { wavBytes } from '../dist/render/tts.js';

const BIN = new URL('../bin/ugc.js', import.meta.url).pathname;
const RESULTS = new URL('./results/', import.meta.url).pathname;
const PHOTO = new URL('../test/fixtures/astronaut.jpg', import.meta.url).pathname;
const JOBS = 20;
const CLIENTS = 4;
const VOICE_SECONDS = 2;
/** Each client polls its job this often: 4 clients stay under the documented 600 requests a minute per IP. */
const POLL_MS = 500;
const MB = 1024 * 1024;

/** A mono 16-bit WAV: a 220 Hz tone sounding 0.25 s of every 0.4 s (syllables and pauses). */
function wav(seconds, sampleRate = 16_000) {
  const samples = new Int16Array(Math.round(seconds * sampleRate));
  for (let i = 0; i < samples.length; i++) {
    const t = i / sampleRate;
    samples[i] = Math.round((t % 0.4 < 0.25 ? 0.5 : 0.001) * 32767 * Math.sin(2 * Math.PI * 220 * t));
  }
  return wavBytes(samples, sampleRate);
}

const rssMb = async (pid) => {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
};

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
};

async function startServe(work, dataDir, env) {
  const child = execa(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dataDir], { cwd: work, env, reject: false, stdin: 'ignore' });
  let out = '';
  const url = await new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      out += chunk.toString();
      const found = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (found) resolve(found);
    });
    child.then(() => reject(new Error(`ugc serve exited: ${out}`)));
  });
  return { child, url, stop: async () => (child.kill('SIGTERM'), await child) };
}

async function addKey(work, dataDir, env, name) {
  return (await execa(process.execPath, [BIN, 'serve', 'keys', 'add', name, '--data-dir', dataDir], { cwd: work, env })).stdout.trim();
}

function form(image, audio) {
  const body = new FormData();
  body.set('image', new Blob([image], { type: 'image/jpeg' }), 'portrait.jpg');
  body.set('audio', new Blob([audio], { type: 'audio/wav' }), 'voiceover.wav');
  return body;
}

export async function benchServe() {
  const work = await mkdtemp(join(tmpdir(), 'ugc-bench-serve-'));
  try {
    const env = { ...process.env, UGC_CONFIG_DIR: join(work, 'config'), CI: 'true' };
    const image = join(work, 'portrait.jpg');
    const audio = join(work, 'voiceover.wav');
    await copyFile(PHOTO, image);
    await writeFile(audio, wav(VOICE_SECONDS));
    const imageBytes = await readFile(image);
    const audioBytes = await readFile(audio);
    // The photo's face is detected once (and cached), as on any second render of a photo.
    await execa(process.execPath, [BIN, 'generate', '--image', image, '--audio', audio, '--captions', 'none', '--out', join(work, 'warm.mp4'), '--quiet'], { cwd: work, env });

    // ---- memory under a 50 MB upload, on a fresh idle server ----
    const memDir = join(work, 'mem');
    const memKey = await addKey(work, memDir, env, 'mem');
    const mem = await startServe(work, memDir, env);
    await fetch(`${mem.url}/api/health`);
    await sleep(1000);
    const idle = await rssMb(mem.child.pid);
    const peakDuring = async (send) => {
      let peak = idle;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          peak = Math.max(peak, await rssMb(mem.child.pid));
          await sleep(20);
        }
      })();
      const status = await send();
      sampling = false;
      await sampler;
      return { status, peakMb: Number(peak.toFixed(1)), aboveIdleMb: Number((peak - idle).toFixed(1)) };
    };
    // JPEG bytes first (it passes the type check), then filler: streamed to disk whole, then refused by ffprobe.
    const fifty = Buffer.concat([imageBytes.subarray(0, 16), Buffer.alloc(50 * MB - 16 - 1024, 0x5a)]);
    const accepted = await peakDuring(async () => (await fetch(`${mem.url}/api/jobs`, { method: 'POST', headers: { 'x-api-key': memKey }, body: form(fifty, audioBytes) })).status);
    const sixty = Buffer.concat([imageBytes.subarray(0, 16), Buffer.alloc(60 * MB, 0x5a)]);
    const refused = await peakDuring(async () => {
      const res = await fetch(`${mem.url}/api/jobs`, { method: 'POST', headers: { 'x-api-key': memKey }, body: form(sixty, audioBytes) }).catch((error) => ({ status: `no answer: ${error.message}` }));
      return res.status;
    });
    await mem.stop();

    // ---- the baseline: the same renders with generate, one after another in one process ----
    const { run } = await import('../dist/index.js');
    const quiet = () => ({ stdout: new PassThrough().resume(), stderr: new PassThrough().resume(), stdin: new PassThrough() });
    await mkdir(join(work, 'generate'), { recursive: true });
    let generateSeconds = 0;
    // Half before serve's run and half after it, so a change in the machine's load hits both sides alike.
    const generate = async (from, to) => {
      const started = performance.now();
      for (let i = from; i < to; i++) {
        const code = await run(['node', 'ugc', 'generate', '--image', image, '--audio', audio, '--captions', 'none', '--out', join(work, 'generate', `${i}.mp4`), '--quiet'], { ...quiet(), env, cwd: work });
        if (code !== 0) throw new Error(`generate ${i} exited ${code}`);
      }
      generateSeconds += (performance.now() - started) / 1000;
    };
    await generate(0, JOBS / 2);

    // ---- serve: 4 clients, 5 jobs each, each client polling its job until it ends ----
    const dataDir = join(work, 'data');
    const keys = [];
    for (let c = 0; c < CLIENTS; c++) keys.push(await addKey(work, dataDir, env, `client-${c}`));
    const server = await startServe(work, dataDir, env);
    const latencies = [];
    let peakRss = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peakRss = Math.max(peakRss, await rssMb(server.child.pid));
        await sleep(100);
      }
    })();
    const serveStarted = performance.now();
    const failures = [];
    await Promise.all(
      keys.map(async (key, c) => {
        for (let j = c; j < JOBS; j += CLIENTS) {
          const created = await fetch(`${server.url}/api/jobs`, { method: 'POST', headers: { 'x-api-key': key }, body: form(imageBytes, audioBytes) });
          const { jobId, error } = await created.json();
          if (created.status !== 201) throw new Error(`create: ${created.status} ${error}`);
          for (;;) {
            await sleep(POLL_MS);
            const asked = performance.now();
            const res = await fetch(`${server.url}/api/status/${jobId}`, { headers: { 'x-api-key': key } });
            const status = await res.json();
            latencies.push(performance.now() - asked);
            if (res.status !== 200) throw new Error(`status: ${res.status} ${status.error}`);
            if (status.status === 'COMPLETED') break;
            if (status.status === 'FAILED' || status.status === 'CANCELLED') {
              failures.push(status.errorMessage);
              break;
            }
          }
        }
      }),
    );
    const serveSeconds = (performance.now() - serveStarted) / 1000;
    sampling = false;
    await sampler;
    await server.stop();
    await generate(JOBS / 2, JOBS);

    const result = {
      date: new Date().toISOString(),
      cpus: cpus().length,
      // The machine's 1-minute load average when the run ended: latency figures on a shared VM depend on it.
      loadAverage: Number(loadavg()[0].toFixed(1)),
      jobs: JOBS,
      clients: CLIENTS,
      voiceSeconds: VOICE_SECONDS,
      generateOneProcess: { seconds: Number(generateSeconds.toFixed(2)), secondsPerJob: Number((generateSeconds / JOBS).toFixed(2)) },
      serve: { seconds: Number(serveSeconds.toFixed(2)), secondsPerJob: Number((serveSeconds / JOBS).toFixed(2)), failed: failures.length, peakRssMb: Number(peakRss.toFixed(1)) },
      throughputRatio: Number((generateSeconds / serveSeconds).toFixed(3)),
      statusLatencyMs: { calls: latencies.length, pollMs: POLL_MS, p50: Number(percentile(latencies, 50).toFixed(1)), p95: Number(percentile(latencies, 95).toFixed(1)), max: Number(Math.max(...latencies).toFixed(1)) },
      uploadMemory: { idleRssMb: Number(idle.toFixed(1)), upload50MB: accepted, upload60MBRefused: refused },
    };
    await mkdir(RESULTS, { recursive: true });
    await writeFile(join(RESULTS, 'serve.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log(
      `serve: ${JOBS} jobs from ${CLIENTS} clients in ${result.serve.seconds} s vs generate in one process ${result.generateOneProcess.seconds} s: ratio ${result.throughputRatio} (target ≥ 0.9); ` +
        `status p95 ${result.statusLatencyMs.p95} ms over ${latencies.length} calls (target < 50); ` +
        `50 MB upload: ${accepted.aboveIdleMb} MB above idle (answer ${accepted.status}), 60 MB refused: ${refused.aboveIdleMb} MB (answer ${refused.status}) (target < 100)`,
    );
    if (failures.length) console.log(`serve: ${failures.length} jobs failed: ${failures[0]}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

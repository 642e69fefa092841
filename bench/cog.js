// The Cog runner's reliability against the Cog test server (test/emulators/cog.ts, its stand-in model doing
// real ffmpeg work): model runs per job, and time lost waiting, with no faults, with the answer of every
// job's first request dropped after the server took the prediction (synchronous, and with --callback), and
// in a 409 storm (several clients at once on a one-slot server). bench/results/cog.json.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { openCallback } from '../.bench-dist/src/render/runners/callback.js';
import { CogServer, runCogPrediction } from '../.bench-dist/src/render/runners/cog.js';
import { locateFfmpeg } from '../.bench-dist/src/render/ffmpeg/locate.js';
import { startCogEmulator } from '../.bench-dist/test/emulators/cog.js';

const RESULTS = new URL('./results/', import.meta.url).pathname;
const PHOTO = new URL('../test/fixtures/astronaut.jpg', import.meta.url).pathname;
const JOBS = 8;
const STORM_CLIENTS = 6;

export async function benchCog() {
  const work = await mkdtemp(join(tmpdir(), 'ugc-bench-cog-'));
  try {
    const { ffmpeg } = await locateFfmpeg();
    const audio = join(work, 'voice.wav');
    await execa(ffmpeg.path, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=220:duration=3:sample_rate=16000', '-af', 'volume=-6dB', audio]);
    const dataUrl = async (path, type) => `data:${type};base64,${(await import('node:fs/promises').then((fs) => fs.readFile(path))).toString('base64')}`;
    const files = { image: await dataUrl(PHOTO, 'image/jpeg'), audio: await dataUrl(audio, 'audio/wav') };

    /** One job through the runner's prediction loop; returns what it cost. */
    const job = async (server, url, { callback = null } = {}) => {
      const route = callback ? await openCallback(callback) : null;
      const input = route ? { image: route.fileUrl(PHOTO), audio: route.fileUrl(audio) } : files;
      const started = performance.now();
      try {
        const report = await runCogPrediction({ name: 'bench', server: new CogServer(url), input, callback: route, deadline: Date.now() + 300_000, timeoutSeconds: 300, signal: new AbortController().signal });
        return { report, seconds: (performance.now() - started) / 1000 };
      } finally {
        route?.close();
      }
    };
    const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const summarise = (emulator, results) => {
      const runsPerJob = results.map((r) => emulator.runsOf(r.report.id));
      const completedPerJob = results.map((r) => emulator.stats.predictions.filter((p) => p.id === r.report.id && p.status === 'succeeded').length);
      return {
        jobs: results.length,
        modelRunsPerJob: { min: Math.min(...runsPerJob), max: Math.max(...runsPerJob), total: runsPerJob.reduce((a, b) => a + b, 0) },
        completedRunsPerJob: { min: Math.min(...completedPerJob), max: Math.max(...completedPerJob) },
        cancelledRuns: emulator.stats.predictions.filter((p) => p.status === 'canceled').length,
        lostAnswers: results.reduce((a, r) => a + r.report.lostAnswers, 0),
        conflicts409: emulator.stats.conflicts,
        medianSecondsPerJob: Number(median(results.map((r) => r.seconds)).toFixed(2)),
        busyWaitSeconds: Number((results.reduce((a, r) => a + r.report.busyWaitMs, 0) / 1000).toFixed(2)),
      };
    };
    const serial = async (options, prepare) => {
      const emulator = await startCogEmulator({ cancelAckMs: 150 });
      try {
        const results = [];
        for (let i = 0; i < JOBS; i++) {
          prepare?.(emulator);
          results.push(await job(emulator, emulator.url, options));
        }
        return summarise(emulator, results);
      } finally {
        await emulator.close();
      }
    };
    const clean = await serial({});
    const droppedSync = await serial({}, (e) => (e.faults.dropAfterCommit = 1));
    const droppedCallback = await serial({ callback: 'http://127.0.0.1:0' }, (e) => (e.faults.dropAfterCommit = 1));
    const lost = (scenario) => Number((scenario.medianSecondsPerJob - clean.medianSecondsPerJob).toFixed(2));

    // The storm: STORM_CLIENTS clients (other machines, say) each send JOBS / 2 jobs to a one-slot server at once.
    const emulator = await startCogEmulator({});
    const started = performance.now();
    const stormResults = (await Promise.all(Array.from({ length: STORM_CLIENTS }, async () => {
      const mine = [];
      for (let i = 0; i < JOBS / 2; i++) mine.push(await job(emulator, emulator.url));
      return mine;
    }))).flat();
    const makespan = (performance.now() - started) / 1000;
    const modelSeconds = emulator.stats.predictions.reduce((a, p) => a + ((p.endedAt ?? 0) - p.startedAt) / 1000, 0);
    const storm = { clients: STORM_CLIENTS, ...summarise(emulator, stormResults), makespanSeconds: Number(makespan.toFixed(2)), modelBusySeconds: Number(modelSeconds.toFixed(2)), serverUtilisation: Number((modelSeconds / makespan).toFixed(3)) };
    await emulator.close();

    const result = {
      date: new Date().toISOString(),
      jobsPerScenario: JOBS,
      clean,
      droppedAnswerSync: { ...droppedSync, secondsLostPerJob: lost(droppedSync) },
      droppedAnswerCallback: { ...droppedCallback, secondsLostPerJob: lost(droppedCallback) },
      storm409: storm,
    };
    await mkdir(RESULTS, { recursive: true });
    await writeFile(join(RESULTS, 'cog.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

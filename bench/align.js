// The forced aligner on 30 s of speech: compute time (target < 1 s on this machine) and accuracy against
// Festival voices whose word times are exact, beside the even spreading it replaced: bench/results/align.json.
// The product's modules come from dist/, the test speech maker from .bench-dist/ (tsconfig.bench.json).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { alignScriptToRecording, alignToReference } from '../dist/render/align/index.js';
import { decodeMono } from '../dist/render/ffmpeg/decode.js';
import { locateFfmpeg } from '../dist/render/ffmpeg/locate.js';
import { synthesizeSpeech, writeWav } from '../dist/render/tts.js';
import { findVoice } from '../dist/render/voices.js';
import { CONDITIONS, makeVoiceover, shareWithin } from '../.bench-dist/test/speech/conditions.js';
import { festivalMissing } from '../.bench-dist/test/speech/festival.js';
import { SCRIPT } from './render.js';

const RESULTS = new URL('./results/', import.meta.url).pathname;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x, digits = 3) => Number(x.toFixed(digits));
const percent = (share) => Math.round(share * 1000) / 10;

/**
 * What `--audio` did before the aligner (estimateWordTimings, removed): the words spread over the whole
 * recording by their length, with a gap of 4 characters' time after a sentence and 2 after a clause.
 */
function evenSpread(script, seconds) {
  const words = script.split(/\s+/).filter(Boolean);
  const gaps = words.map((w, i) => (i === words.length - 1 ? 0 : /[.!?…]["'”’)\]]*$/u.test(w) ? 4 : /[,;:]["'”’)\]]*$/u.test(w) ? 2 : 0));
  const unit = seconds / words.reduce((sum, w, i) => sum + [...w].length + gaps[i], 0);
  let time = 0;
  return words.map((w, i) => {
    const start = time;
    time += ([...w].length + gaps[i]) * unit;
    return start;
  });
}

/** Without Festival: eSpeak's male voice at a slower rate stands in for the speaker (a weaker test: the same engine). */
async function espeakVoiceover(dir) {
  const voice = { ...(await findVoice('en-us-male')), rate: 140 };
  const speech = await synthesizeSpeech({ text: SCRIPT, voice });
  const path = join(dir, 'espeak-slow.wav');
  await writeWav(path, speech.samples, speech.sampleRate);
  return { path, script: SCRIPT, durationSeconds: speech.durationSeconds, truth: speech.words };
}

export async function benchAlign() {
  const tools = await locateFfmpeg();
  const voice = await findVoice('en-us-female');
  const work = await mkdtemp(join(tmpdir(), 'ugc-bench-align-'));
  try {
    const missing = await festivalMissing();
    if (missing) console.log(`align: ${missing}; measuring against slow eSpeak instead`);
    const conditions = missing ? ['eSpeak male, slower'] : CONDITIONS;
    const voiceovers = new Map();
    for (const condition of conditions) voiceovers.set(condition, missing ? await espeakVoiceover(work) : await makeVoiceover(condition, work, tools.ffmpeg.path, SCRIPT));

    // Compute time on the clean 30 s voiceover, as a render runs it (the speech engine already loaded).
    const timed = voiceovers.get(conditions[0]);
    await synthesizeSpeech({ text: 'warm up', voice });
    const total = [];
    const tts = [];
    const decode = [];
    const align = [];
    for (let i = 0; i < RUNS; i++) {
      let start = performance.now();
      await alignScriptToRecording({ script: timed.script, audioPath: timed.path, voice, tools });
      total.push((performance.now() - start) / 1000);
      start = performance.now();
      const reference = await synthesizeSpeech({ text: timed.script, voice });
      tts.push((performance.now() - start) / 1000);
      start = performance.now();
      const recording = await decodeMono(tools.ffmpeg.path, timed.path, reference.sampleRate);
      decode.push((performance.now() - start) / 1000);
      start = performance.now();
      alignToReference(reference, recording);
      align.push((performance.now() - start) / 1000);
    }

    const accuracy = {};
    for (const [condition, voiceover] of voiceovers) {
      const result = await alignScriptToRecording({ script: voiceover.script, audioPath: voiceover.path, voice, tools });
      const starts = result.words.map((w) => w.start);
      accuracy[condition] = {
        speechSeconds: round(voiceover.durationSeconds, 2),
        within100ms: percent(shareWithin(starts, voiceover.truth, 0.1)),
        within50ms: percent(shareWithin(starts, voiceover.truth, 0.05)),
        evenSpreadWithin100ms: percent(shareWithin(evenSpread(voiceover.script, voiceover.durationSeconds), voiceover.truth, 0.1)),
      };
    }

    const result = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version },
      speaker: missing ? 'eSpeak NG en-us male at 140 wpm (Festival missing)' : 'Festival: cmu_us_slt_arctic_hts, kal_diphone (slower male)',
      reference: `eSpeak NG ${voice.id}`,
      compute: {
        speechSeconds: round(timed.durationSeconds, 2),
        totalSeconds: round(median(total)),
        target: 1,
        // The first call in a process also compiles the DSP code (a render aligns once per process).
        firstRunSeconds: round(total[0]),
        referenceSpeechSeconds: round(median(tts)),
        decodeSeconds: round(median(decode)),
        featuresAndWarpSeconds: round(median(align)),
        runs: total.map((t) => round(t)),
      },
      accuracy,
    };
    await mkdir(RESULTS, { recursive: true });
    await writeFile(join(RESULTS, 'align.json'), `${JSON.stringify(result, null, 2)}\n`);
    const { compute } = result;
    console.log(`align: ${compute.speechSeconds} s of speech in ${compute.totalSeconds} s (first call ${compute.firstRunSeconds} s; target < ${compute.target}): eSpeak ${compute.referenceSpeechSeconds} s, decode ${compute.decodeSeconds} s, features+DTW ${compute.featuresAndWarpSeconds} s`);
    for (const [condition, a] of Object.entries(accuracy)) console.log(`align: ${condition}: ${a.within100ms}% of word starts within 100 ms (${a.within50ms}% within 50 ms); even spreading ${a.evenSpreadWithin100ms}%`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

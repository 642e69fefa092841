/**
 * Ground-truth speech for the aligner's tests and benchmark: Debian's Festival speaks a text with a voice
 * that is not eSpeak, and its utterance says exactly when each word starts and ends. Festival is a test
 * tool (`.ci/run` installs it); the product never needs it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

export interface TimedWord {
  text: string;
  start: number;
  end: number;
}

export interface FestivalSpeech {
  path: string;
  durationSeconds: number;
  words: TimedWord[];
  /** Every phone (Festival's US phone set: p, b, m, aa, …; pauses are "pau"), in order. */
  segments: TimedWord[];
}

/** `slt`: the US female HTS voice (festvox-us-slt-hts). `kal`: the US male diphone voice (festvox-kallpc16k). */
export type FestivalVoice = 'slt' | 'kal';
const VOICE_COMMANDS: Record<FestivalVoice, string> = { slt: 'voice_cmu_us_slt_arctic_hts', kal: 'voice_kal_diphone' };
const VOICE_DIRS: Record<FestivalVoice, string> = { slt: '/usr/share/festival/voices/us/cmu_us_slt_arctic_hts', kal: '/usr/share/festival/voices/english/kal_diphone' };

/** Why Festival cannot make test speech here, or null when it can (with every voice the tests use). */
export async function festivalMissing(): Promise<string | null> {
  const found = await execa('festival', ['--version'], { reject: false });
  if (found.exitCode !== 0) return 'festival is not installed (apt-get install festival festvox-us-slt-hts festvox-kallpc16k; .ci/run does this)';
  for (const [voice, dir] of Object.entries(VOICE_DIRS)) {
    const present = await execa('test', ['-d', dir], { reject: false });
    if (present.exitCode !== 0) return `festival voice ${voice} is not installed (${dir})`;
  }
  return null;
}

const schemeString = (text: string) => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/**
 * Speaks `text` into a RIFF WAV at `path`. Words have no times in Festival's utterance: a word's start is
 * its first segment's start and its end its last segment's end, reached through the SylStructure relation
 * (word → syllables → segments). Pauses are `pau` segments between words, so they fall outside every word.
 * `stretch` slows the speech down (Duration_Stretch; the HTS voice ignores it, the diphone voice obeys).
 */
export async function speakWithFestival(text: string, path: string, options: { voice?: FestivalVoice; stretch?: number } = {}): Promise<FestivalSpeech> {
  const dir = await mkdtemp(join(tmpdir(), 'ugc-festival-'));
  try {
    const script = join(dir, 'speak.scm');
    await writeFile(
      script,
      [
        `(${VOICE_COMMANDS[options.voice ?? 'slt']})`,
        `(Parameter.set 'Duration_Stretch ${options.stretch ?? 1})`,
        `(set! utt (utt.synth (Utterance Text ${schemeString(text)})))`,
        `(utt.save.wave utt ${schemeString(path)} 'riff)`,
        `(format t "duration\\t%f\\n" (item.feat (utt.relation.last utt 'Segment) "end"))`,
        `(mapcar (lambda (w) (format t "word\\t%s\\t%f\\t%f\\n" (item.name w)`,
        `  (item.feat w "R:SylStructure.daughter1.daughter1.segment_start")`,
        `  (item.feat w "R:SylStructure.daughtern.daughtern.segment_end")))`,
        `  (utt.relation.items utt 'Word))`,
        `(mapcar (lambda (s) (format t "seg\\t%s\\t%f\\t%f\\n" (item.name s) (item.feat s "segment_start") (item.feat s "end")))`,
        `  (utt.relation.items utt 'Segment))`,
      ].join('\n'),
    );
    const result = await execa('festival', ['-b', script]);
    const words: TimedWord[] = [];
    const segments: TimedWord[] = [];
    let durationSeconds = 0;
    for (const line of result.stdout.split('\n')) {
      const [kind, ...fields] = line.split('\t');
      if (kind === 'duration') durationSeconds = Number(fields[0]);
      if (kind === 'word') words.push({ text: fields[0] ?? '', start: Number(fields[1]), end: Number(fields[2]) });
      if (kind === 'seg') segments.push({ text: fields[0] ?? '', start: Number(fields[1]), end: Number(fields[2]) });
    }
    if (words.length === 0 || !(durationSeconds > 0)) throw new Error(`festival printed no word times for ${JSON.stringify(text)}: ${result.stdout} ${result.stderr}`);
    return { path, durationSeconds, words, segments };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Context } from '../core/context.js';
import { InputError, type GenerateRequest } from '../core/request.js';
import { UsageError } from '../core/errors.js';
import { alignScriptToRecording } from '../render/align/index.js';
import { phonemesWithinWords } from '../render/align/within-words.js';
import { creatorVoice, findCreator, type Creator } from '../render/creators.js';
import { durationOf, probe } from '../render/ffmpeg/probe.js';
import type { SpeechChoice } from '../render/inputs.js';
import { textForSpeech } from '../render/timings.js';
import { synthesizeSpeech } from '../render/tts.js';
import type { Speaker, SpokenScript } from '../render/types.js';
import type { Voice } from '../render/voices.js';
import { cachedSpeech, readCachedSpeech, speechCacheKey } from './cache.js';
import type { EngineSpeech, SpeechEngine } from './engine.js';
import { getSpeechEngine } from './engines.js';
import { detectLanguage, languageName, primaryLanguage, speaksLanguage } from './language.js';
import { findSpeechVoice, listSpeechVoices, type SpeechVoice } from './voices.js';

/**
 * Which voice speaks a request and how: the `--voice` given, or the creator's voice in the script's
 * language (a creator reads English with its English voice, not its German one); the engine and its
 * settings; the speed; the eSpeak voice that times the engine's audio. A script in another language than
 * the voice is warned about, or refused with `--strict`. Nothing is spent here.
 */
export interface VoicePlan {
  voice: SpeechVoice;
  engine: SpeechEngine;
  settings: unknown;
  speed: number;
  /** The script's language, or null when it cannot be told. */
  language: string | null;
  /** An eSpeak voice of the script's language: the aligner's reference, and the speaker when the voice is eSpeak's. */
  reference: Voice;
  notices: string[];
}

const FALLBACK_VOICE = 'en-us-female';

export async function planVoice(ctx: Context, request: GenerateRequest): Promise<VoicePlan> {
  const all = await listSpeechVoices(ctx.configDir);
  const builtIn = all.filter((v) => v.builtIn);
  const language = detectLanguage(textForSpeech(request.script));
  const creator = request.image ? null : await findCreator(ctx.configDir, request.creator ?? 'mia').catch(() => null);
  const notices: string[] = [];

  let voice: SpeechVoice;
  let mismatch: string | null = null;
  if (request.voice) {
    voice = await findSpeechVoice(ctx.configDir, request.voice).catch((error: unknown) => {
      if (error instanceof UsageError) throw new InputError({ field: 'voice', message: error.message, hint: error.hint });
      throw error;
    });
    if (language && !speaksLanguage(voice.languages, language)) mismatch = `the script looks ${languageName(language)}, but voice ${voice.id} speaks ${spoken(voice)}`;
  } else {
    const own = builtIn.find((v) => v.id === (creator ? creatorVoice(creator) : FALLBACK_VOICE)) ?? (builtIn[0] as SpeechVoice);
    voice = own;
    if (language && !speaksLanguage(own.languages, language)) {
      const gender = (creator && !creator.isCustom ? creator.gender : null) ?? own.gender;
      const same = builtIn.find((v) => speaksLanguage(v.languages, language) && v.gender === gender);
      const who = creator ? creatorName(creator) : 'the creator';
      if (same) {
        voice = same;
        notices.push(`The script is ${languageName(language)}: ${who} reads it with ${same.id}, not ${own.id} (${spoken(own)}).`);
      } else {
        mismatch = `the script looks ${languageName(language)}, and ${who} has no ${languageName(language)}${gender ? ` ${gender}` : ''} voice: ${own.id} speaks ${spoken(own)}`;
      }
    }
  }

  const engine = getSpeechEngine(voice.engine);
  const parsed = engine.settings.safeParse(voice.settings);
  if (!parsed.success) throw new UsageError(`voice ${voice.id} has settings ${engine.id} cannot read: ${parsed.error.issues[0]?.message ?? 'bad shape'}`, `Remove it (\`ugc voices rm ${voice.id}\`) and add it again.`);
  const speed = request.voiceSpeed ?? 1;
  const { min, max } = engine.speedRange;
  if (speed < min || speed > max) throw new InputError({ field: 'voiceSpeed', message: `{} must be from ${min} to ${max} for ${engine.id} voices (got ${speed})` });
  const characters = [...textForSpeech(request.script)].length;
  if (!request.audio && engine.maxCharacters !== undefined && characters > engine.maxCharacters) {
    throw new InputError({ field: 'script', message: `the script is ${characters} characters; ${engine.id} voices take at most ${engine.maxCharacters}`, hint: 'Shorten it, or pick a voice of another engine (`ugc voices`).' });
  }

  if (mismatch && !request.audio) {
    if (request.strict) throw new InputError({ field: 'voice', message: mismatch, hint: 'Pass {voice} with a voice of the script\'s language (`ugc voices`), or leave out {strict} to render anyway.' });
    notices.push(`warning: ${mismatch}; pass --voice to pick another (\`ugc voices\`).`);
  }
  if (!request.audio) {
    const problem = await engine.unusable(ctx, parsed.data);
    if (problem) throw problem;
  }

  const referenceLanguage = language ?? primaryLanguage(voice.languages[0] ?? 'en');
  const reference =
    voice.builtIn && speaksLanguage(voice.languages, referenceLanguage)
      ? voice
      : (builtIn.find((v) => speaksLanguage(v.languages, referenceLanguage) && v.gender === voice.gender) ?? builtIn.find((v) => speaksLanguage(v.languages, referenceLanguage)) ?? (builtIn.find((v) => v.id === FALLBACK_VOICE) as SpeechVoice));
  return { voice, engine, settings: parsed.data, speed, language, reference: reference.settings as Voice, notices };
}

const spoken = (voice: SpeechVoice) => voice.languages.map(languageName).join(', ');
const creatorName = (creator: Creator) => ('slug' in creator ? creator.slug : creator.name);

/** The voice of a local render: the plan as the render pipeline takes it. */
export function speechChoice(ctx: Context, plan: VoicePlan, request: GenerateRequest): SpeechChoice {
  // With a voiceover of one's own, the voice only times it: eSpeak in the script's language.
  if (request.audio) return { voice: plan.reference, speaker: null, notices: plan.notices };
  return { voice: plan.engine.id === 'espeak' ? (plan.settings as Voice) : plan.reference, speaker: speakerFor(ctx, plan), notices: plan.notices };
}

/** The characters a request sends to be spoken, and whether they are paid for (not billed or already cached: 0). */
export async function billedCharacters(ctx: Context, plan: VoicePlan, script: string): Promise<{ characters: number; cached: boolean }> {
  const text = textForSpeech(script);
  if (!plan.engine.billed) return { characters: 0, cached: false };
  const cached = (await readCachedSpeech(ctx.configDir, cacheKeyOf(plan, text))) !== null;
  return { characters: cached ? 0 : [...text].length, cached };
}

const cacheKeyOf = (plan: VoicePlan, text: string) => speechCacheKey([plan.engine.id, ...plan.engine.identity(plan.settings), text, plan.speed]);

/**
 * Speaks with the plan's voice: billed engines through the cache; then fills in the timings the engine
 * does not give, so captions and lips follow any voice.
 */
export function speakerFor(ctx: Context, plan: VoicePlan): Speaker {
  const { engine, settings, speed } = plan;
  return {
    async speak({ script, workDir, tools, signal }): Promise<SpokenScript> {
      const text = textForSpeech(script);
      const make = (): Promise<EngineSpeech> => engine.synthesize(ctx, settings, { text, speed, signal });
      let audioPath: string;
      let words: SpokenScript['words'] | undefined;
      let phonemes: SpokenScript['phonemes'] | undefined;
      let durationSeconds: number | undefined;
      if (engine.billed) {
        const { speech, paid } = await cachedSpeech(ctx.configDir, cacheKeyOf(plan, text), make);
        if (ctx.global.debug) ctx.io.stderr.write(`[debug] speech: ${paid ? `${engine.id} spoke ${[...text].length} characters` : `${engine.id} audio from the cache (${speech.audioPath})`}\n`);
        ({ audioPath, words, phonemes, durationSeconds } = speech);
      } else {
        const made = await make();
        audioPath = join(workDir, `voice.${made.extension}`);
        await writeFile(audioPath, made.audio);
        ({ words, phonemes, durationSeconds } = made);
      }
      if (!words) {
        // No timings: the script is aligned to the audio (a reference spoken by eSpeak, warped onto it).
        const aligned = await alignScriptToRecording({ script, audioPath, voice: plan.reference, tools, signal });
        return { path: audioPath, ...aligned };
      }
      if (durationSeconds === undefined) {
        const info = await probe(tools.ffprobe.path, audioPath);
        durationSeconds = info ? durationOf(info, 'audio') : 0;
      }
      if (!(durationSeconds > 0)) throw new UsageError(`${engine.id} sent audio ffprobe cannot read (${audioPath})`);
      if (!phonemes) {
        // Word times only: each word's phonemes as eSpeak says them, fitted inside the engine's exact word times.
        const reference = await synthesizeSpeech({ text: script, voice: plan.reference, signal });
        phonemes = phonemesWithinWords(reference, words, durationSeconds);
      }
      return { path: audioPath, durationSeconds, words, phonemes };
    },
  };
}

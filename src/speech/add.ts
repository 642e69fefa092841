import type { Context } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import { note } from '../core/present.js';
import { voiceItem, type VoiceItem } from './catalog.js';
import { elevenLabsClient, elevenLabsKey, getElevenLabsVoice, ELEVENLABS_KEY_VARIABLE, type ElevenLabsSettings } from './elevenlabs.js';
import type { OpenAiSettings } from './openai-compatible.js';
import { addSpeechVoice, GENDERS, type Gender } from './voices.js';

/** `ugc voices add <name>`'s flags for a speech engine's voice. */
export interface AddVoiceFlags {
  openaiCompatible?: string;
  elevenlabs?: string;
  model?: string;
  voice?: string;
  keyEnv?: string;
  apiBase?: string;
  language: string[];
  gender?: string;
}

export const ELEVENLABS_DEFAULT_MODEL = 'eleven_multilingual_v2';

/** Kokoro's voice ids start with a language letter and a gender letter (af_bella: American English, female). */
const KOKORO_LANGUAGES: Record<string, string> = { a: 'en-US', b: 'en-GB', e: 'es', f: 'fr', h: 'hi', i: 'it', j: 'ja', p: 'pt-BR', z: 'zh' };

/** Whether this engine's voices are added with these flags (`--openai-compatible`, `--elevenlabs`). */
export const addsEngineVoice = (flags: AddVoiceFlags): boolean => flags.openaiCompatible !== undefined || flags.elevenlabs !== undefined;

/**
 * Stores a voice of a speech engine under `name`, after checking what can be checked without spending:
 * the flags, and (with a key) that ElevenLabs has the voice, whose languages and gender it then knows.
 * A server that does not answer now is stored anyway, with a notice. Prints nothing secret.
 */
export async function addEngineVoice(ctx: Context, name: string, flags: AddVoiceFlags): Promise<VoiceItem> {
  if (flags.openaiCompatible !== undefined && flags.elevenlabs !== undefined) throw new UsageError('pass either --openai-compatible or --elevenlabs, not both');
  const languages = flags.language.flatMap((l) => l.split(',')).map((l) => l.trim()).filter(Boolean);
  const gender = flags.gender === undefined ? undefined : genderOf(flags.gender);
  if (flags.openaiCompatible !== undefined) {
    const settings = openAiSettings(flags);
    const kokoro = /^([a-z])([fm])_/.exec(settings.voice);
    const guessed = kokoro?.[1] ? KOKORO_LANGUAGES[kokoro[1]] : undefined;
    if (languages.length === 0 && !guessed) note(ctx, `Assuming ${name} speaks English; pass --language <tag> if it does not.`);
    const stored = await addSpeechVoice(ctx.configDir, {
      name,
      engine: 'openai-compatible',
      languages: languages.length > 0 ? languages : [guessed ?? 'en'],
      gender: gender ?? (kokoro?.[2] === 'f' ? 'female' : kokoro?.[2] === 'm' ? 'male' : null),
      settings,
    });
    return announce(ctx, stored.id);
  }
  const settings: ElevenLabsSettings = { voiceId: (flags.elevenlabs ?? '').trim(), model: flags.model ?? ELEVENLABS_DEFAULT_MODEL, apiBase: flags.apiBase ? httpUrl(flags.apiBase, '--api-base') : null };
  if (!settings.voiceId) throw new UsageError('--elevenlabs takes a voice id (`ugc voices --engine elevenlabs` lists them)');
  let known: { languages: string[]; gender: Gender | null } | null = null;
  if (await elevenLabsKey(ctx)) {
    const voice = await getElevenLabsVoice(await elevenLabsClient(ctx, { apiBase: settings.apiBase }), settings.voiceId);
    known = { languages: voice.languages, gender: voice.gender };
  } else {
    note(ctx, `Could not look the voice up at ElevenLabs (no key: \`ugc login --provider elevenlabs\` or ${ELEVENLABS_KEY_VARIABLE}).${languages.length === 0 ? ' Assuming English; pass --language <tag> if it is not.' : ''}`);
  }
  const stored = await addSpeechVoice(ctx.configDir, {
    name,
    engine: 'elevenlabs',
    languages: languages.length > 0 ? languages : known?.languages.length ? known.languages : ['en'],
    gender: gender ?? known?.gender ?? null,
    settings,
  });
  return announce(ctx, stored.id);
}

function openAiSettings(flags: AddVoiceFlags): OpenAiSettings {
  const baseUrl = httpUrl(flags.openaiCompatible ?? '', '--openai-compatible').replace(/\/+$/, '');
  if (!flags.model) throw new UsageError('--openai-compatible needs --model <model> (e.g. kokoro, tts-1, gpt-4o-mini-tts)');
  if (!flags.voice) throw new UsageError('--openai-compatible needs --voice <voice> (e.g. af_bella, nova)');
  // A key pasted where a variable name belongs would end up in a file: refuse it without repeating it.
  if (flags.keyEnv !== undefined && !/^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(flags.keyEnv)) throw new UsageError('--key-env takes the name of the environment variable that holds the key (e.g. OPENAI_API_KEY), not the key itself');
  return { baseUrl, model: flags.model, voice: flags.voice, keyEnv: flags.keyEnv ?? null };
}

function httpUrl(value: string, flag: string): string {
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return value;
  } catch {
    // said below
  }
  throw new UsageError(`${flag} must be an http(s) URL (got "${value}")`);
}

function genderOf(value: string): Gender {
  if ((GENDERS as readonly string[]).includes(value)) return value as Gender;
  throw new UsageError(`--gender must be one of ${GENDERS.join(', ')} (got "${value}")`);
}

/** The stored voice as `voices show` prints it; a notice when it cannot speak now. */
async function announce(ctx: Context, id: string): Promise<VoiceItem> {
  const item = await voiceItem(ctx, id);
  if (!item.available) note(ctx, `${id} was added, but it cannot speak now: ${item.availability}.`);
  return item;
}

import type { Context } from '../core/context.js';
import type { Cell } from '../core/present.js';
import { listSpeechEngines } from './engines.js';
import { findSpeechVoice, listSpeechVoices, type SpeechVoice } from './voices.js';

/**
 * The local provider's voices as `ugc voices` shows them: built-in and added, each with its languages,
 * engine, model and whether it can speak now (an added voice's server is asked; nothing is spent).
 */
export interface VoiceItem extends Record<string, unknown> {
  id: string;
  name: string;
  engine: string;
  /** The main language (BCP-47). */
  language: string;
  languages: string[];
  gender: string | null;
  model: string | null;
  available: boolean;
  /** Why (not) available: "built in", "answers", "unreachable", "ELEVENLABS_API_KEY not set"… */
  availability: string;
  description: string;
}

async function itemOf(ctx: Context, voice: SpeechVoice): Promise<VoiceItem> {
  const engine = listSpeechEngines().find((e) => e.id === voice.engine);
  const parsed = engine?.settings.safeParse(voice.settings);
  const state = !engine ? { available: false, detail: `no speech engine "${voice.engine}" is registered` } : parsed?.success ? await engine.availability(ctx, parsed.data) : { available: false, detail: `settings ${engine.id} cannot read` };
  const settings = voice.builtIn ? (voice.settings as Record<string, unknown>) : { settings: voice.settings };
  return {
    ...settings,
    id: voice.id,
    name: voice.name,
    engine: voice.engine,
    language: voice.languages[0] ?? '',
    languages: voice.languages,
    gender: voice.gender,
    model: engine && parsed?.success ? engine.model(parsed.data) : null,
    available: state.available,
    availability: state.detail,
    description: voice.description,
  };
}

export async function listVoiceItems(ctx: Context, engine?: string): Promise<VoiceItem[]> {
  const voices = (await listSpeechVoices(ctx.configDir)).filter((v) => !engine || v.engine === engine);
  return Promise.all(voices.map((voice) => itemOf(ctx, voice)));
}

export async function voiceItem(ctx: Context, id: string): Promise<VoiceItem> {
  return itemOf(ctx, await findSpeechVoice(ctx.configDir, id));
}

export const VOICE_TABLE = {
  head: ['ID', 'LANGUAGES', 'GENDER', 'ENGINE', 'MODEL', 'AVAILABLE', 'DESCRIPTION'],
  row: (v: VoiceItem): Cell[] => [v.id, v.languages.join(', '), v.gender, v.engine, v.model, v.available ? 'yes' : `no: ${v.availability}`, v.description],
} as const;

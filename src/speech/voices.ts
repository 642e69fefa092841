import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../core/atomic-write.js';
import { UsageError } from '../core/errors.js';
import { didYouMean } from '../core/suggest.js';
import { withFileLock } from '../core/file-lock.js';
import { readJsonFile } from '../core/json-files.js';
import { sharedRead } from '../core/shared-reads.js';
import { listVoices } from '../render/voices.js';

/**
 * Every voice a local render can speak with: the built-in eSpeak voices (templates/voices.json) and the
 * ones added on this machine with `ugc voices add`, stored by name in `<config dir>/voices.json`
 * (engine, languages, the engine's settings; a key only as the name of the variable that holds it).
 */

export const GENDERS = ['female', 'male'] as const;
export type Gender = (typeof GENDERS)[number];

/** A voice of any engine, as renders and `ugc voices` see it. */
export interface SpeechVoice {
  id: string;
  name: string;
  engine: string;
  /** BCP-47 tags, the first the main one. */
  languages: string[];
  gender: Gender | null;
  builtIn: boolean;
  description: string;
  /** The engine's settings for this voice (checked by the engine's schema when used). */
  settings: unknown;
}

const NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/;
const LANGUAGE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

const StoredVoiceSchema = z.object({
  name: z.string().regex(NAME),
  engine: z.string(),
  languages: z.array(z.string().regex(LANGUAGE)).min(1),
  gender: z.enum(GENDERS).nullable(),
  addedAt: z.string(),
  settings: z.record(z.string(), z.unknown()),
});
export type StoredVoice = z.infer<typeof StoredVoiceSchema>;

const StoreSchema = z.object({ voices: z.record(z.string(), StoredVoiceSchema) });
type Store = z.infer<typeof StoreSchema>;

const fileOf = (configDir: string) => join(configDir, 'voices.json');
const FIX_HINT = 'Fix or delete the file, then add the voices again with `ugc voices add`.';

async function readStore(configDir: string): Promise<Store> {
  const path = fileOf(configDir);
  const raw = await readJsonFile<unknown>(path).catch((error: unknown) => {
    throw new UsageError(`${path} is not valid JSON (${(error as Error).message})`, FIX_HINT);
  });
  if (raw === null) return { voices: {} };
  const parsed = StoreSchema.safeParse(raw);
  if (!parsed.success) throw new UsageError(`${path} is not a voices file ugc can read: ${parsed.error.issues[0]?.message ?? 'bad shape'}`, FIX_HINT);
  return parsed.data;
}

async function changeStore<T>(configDir: string, change: (store: Store) => T): Promise<T> {
  await mkdir(configDir, { recursive: true });
  return withFileLock(join(configDir, '.voices.json.lock'), async () => {
    const store = await readStore(configDir);
    const result = change(store);
    await writeFileAtomic(fileOf(configDir), `${JSON.stringify(store, null, 2)}\n`);
    return result;
  });
}

const fromStored = (v: StoredVoice): SpeechVoice => ({ id: v.name, name: v.name, engine: v.engine, languages: v.languages, gender: v.gender, builtIn: false, description: `added ${v.addedAt.slice(0, 10)}`, settings: v.settings });

async function builtInVoices(): Promise<SpeechVoice[]> {
  return (await listVoices()).map((v) => ({ id: v.id, name: v.name, engine: 'espeak', languages: [v.language], gender: v.gender, builtIn: true, description: v.description, settings: v }));
}

/** Built-in voices first, then added ones by name. */
export async function listSpeechVoices(configDir: string): Promise<SpeechVoice[]> {
  const added = Object.values((await sharedRead(`voices in ${configDir}`, () => readStore(configDir))).voices).sort((a, b) => a.name.localeCompare(b.name));
  return [...(await builtInVoices()), ...added.map(fromStored)];
}

/** A voice by id (built in) or name (added); an unknown one is a usage error listing them. */
export async function findSpeechVoice(configDir: string, id: string): Promise<SpeechVoice> {
  const voices = await listSpeechVoices(configDir);
  const voice = voices.find((v) => v.id === id);
  if (!voice) throw new UsageError(`unknown voice ${JSON.stringify(id)}${didYouMean(id, voices.map((v) => v.id))}`, `valid voices: ${voices.map((v) => v.id).join(', ')} (\`ugc voices\` lists them; \`ugc voices add\` adds one)`, { field: 'voice' });
  return voice;
}

/** Stores a voice under its name; a name taken by a built-in or added voice is refused. */
export async function addSpeechVoice(configDir: string, voice: Omit<StoredVoice, 'addedAt'>): Promise<SpeechVoice> {
  if (!NAME.test(voice.name)) throw new UsageError(`a voice name is lowercase letters, digits, "-" and "_", at most 40 (got "${voice.name}")`);
  for (const tag of voice.languages) if (!LANGUAGE.test(tag)) throw new UsageError(`--language takes BCP-47 tags such as en, en-US or pt-BR (got "${tag}")`);
  if ((await builtInVoices()).some((v) => v.id === voice.name)) throw new UsageError(`"${voice.name}" is a built-in voice`, 'Pick another name.');
  const stored: StoredVoice = { ...voice, addedAt: new Date().toISOString() };
  await changeStore(configDir, (store) => {
    if (store.voices[voice.name]) throw new UsageError(`a voice named "${voice.name}" is already added`, `Remove it first with \`ugc voices rm ${voice.name}\`, or pick another name.`);
    store.voices[voice.name] = stored;
  });
  return fromStored(stored);
}

export async function removeSpeechVoice(configDir: string, name: string): Promise<void> {
  if ((await builtInVoices()).some((v) => v.id === name)) throw new UsageError(`"${name}" is a built-in voice and cannot be removed`);
  await changeStore(configDir, (store) => {
    if (!store.voices[name]) throw new UsageError(`no voice named "${name}" was added`, '`ugc voices` lists the voices.');
    delete store.voices[name];
  });
}

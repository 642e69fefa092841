import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { UgcError, UsageError } from '../core/errors.js';
import { TEMPLATES_DIR } from './assets.js';
import { didYouMean } from '../core/suggest.js';

export const VoiceSchema = z.object({
  id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/),
  name: z.string().min(1),
  /** BCP-47 tag, e.g. "en-US", "es-419". */
  language: z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/),
  gender: z.enum(['female', 'male']),
  /** eSpeak NG voice name plus optional "+variant", e.g. "en-us+f3". */
  espeakVoice: z.string().regex(/^[a-z]{2,3}(-[a-z0-9]+)*(\+[A-Za-z0-9]+)?$/),
  /** Words per minute. */
  rate: z.number().int().min(80).max(450),
  pitch: z.number().int().min(0).max(99),
  description: z.string(),
  licence: z.string().min(1),
});
export type Voice = z.infer<typeof VoiceSchema>;

const CatalogSchema = z.array(VoiceSchema).refine((voices) => new Set(voices.map((v) => v.id)).size === voices.length, {
  message: 'voice ids must be unique',
});

let catalog: Promise<Voice[]> | undefined;

async function loadCatalog(): Promise<Voice[]> {
  const path = join(TEMPLATES_DIR, 'voices.json');
  try {
    return CatalogSchema.parse(JSON.parse(await readFile(path, 'utf8')));
  } catch (error) {
    const detail = error instanceof z.ZodError ? z.prettifyError(error).replace(/\s+/g, ' ') : String(error);
    throw new UgcError(`voice catalog ${path} is unreadable: ${detail}`, { cause: error });
  }
}

/** The voice catalog (`templates/voices.json`), read and validated once per process. */
export function listVoices(): Promise<Voice[]> {
  catalog ??= loadCatalog().catch((error: unknown) => {
    catalog = undefined;
    throw error;
  });
  return catalog;
}

export async function findVoice(id: string): Promise<Voice> {
  const voices = await listVoices();
  const voice = voices.find((v) => v.id === id);
  if (!voice) {
    throw new UsageError(
      `unknown voice ${JSON.stringify(id)}${didYouMean(id, voices.map((v) => v.id))}`,
      `valid voices: ${voices.map((v) => v.id).join(', ')} (\`ugc voices\` lists them)`,
      { field: 'voice' },
    );
  }
  return voice;
}

import { UgcError, UsageError } from '../core/errors.js';
import type { SpeechEngine } from './engine.js';
import { elevenLabs } from './elevenlabs.js';
import { espeak } from './espeak.js';
import { openAiCompatible } from './openai-compatible.js';

const engines = new Map<string, SpeechEngine>();

/** Adds a speech engine (a plug-in's, or a test's): voices of it can be added and spoken from then on. */
export function registerSpeechEngine<S>(engine: SpeechEngine<S>): void {
  if (!/^[a-z][a-z0-9-]*$/.test(engine.id)) throw new UgcError(`a speech engine id must be lowercase letters, digits and dashes (got "${engine.id}")`);
  if (engines.has(engine.id)) throw new UgcError(`a speech engine named "${engine.id}" is already registered`);
  engines.set(engine.id, engine as SpeechEngine);
}

for (const engine of [espeak, openAiCompatible, elevenLabs] as SpeechEngine[]) registerSpeechEngine(engine);

export const listSpeechEngines = (): SpeechEngine[] => [...engines.values()];

export function getSpeechEngine(id: string): SpeechEngine {
  const engine = engines.get(id);
  if (!engine) throw new UsageError(`unknown speech engine "${id}"`, `Engines: ${[...engines.keys()].join(', ')}.`);
  return engine;
}

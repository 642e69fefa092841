/**
 * What the local provider needs of the speech machinery, in one module it loads on demand: its voice
 * catalog, the voice of a render, and what a request's speech costs.
 */
import type { Context } from '../core/context.js';
import type { GenerateRequest } from '../core/request.js';
import { billedCharacters, planVoice } from './speak.js';

export { listVoiceItems, voiceItem } from './catalog.js';
export { removeSpeechVoice } from './voices.js';
export { planVoice, speechChoice } from './speak.js';

/** `estimate`: which voice would speak, at which engine, and the characters that would be billed (0 when cached or free). */
export async function speechEstimate(ctx: Context, request: GenerateRequest): Promise<{ voice: string; engine: string; billedCharacters: number; cached: boolean } | null> {
  if (request.audio) return null;
  const plan = await planVoice(ctx, request);
  const { characters, cached } = await billedCharacters(ctx, plan, request.script);
  return { voice: plan.voice.id, engine: plan.engine.id, billedCharacters: characters, cached };
}

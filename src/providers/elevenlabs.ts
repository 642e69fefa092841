import type { Context } from '../core/context.js';
import { isObject, isText, shaped } from './answers.js';
import type { Account, CatalogItem, ProviderDefinition } from './definition.js';

/**
 * ElevenLabs is a speech engine, not a video provider: as a provider it has only an account (its key,
 * stored by `ugc login --provider elevenlabs` and checked there, or ELEVENLABS_API_KEY) and its voice
 * list. Its voices speak in local renders once added: `ugc voices add <name> --elevenlabs <voice-id>`.
 */
const speech = () => import('../speech/elevenlabs.js');

/** `GET /v1/user`: the account's plan and the characters left this period. */
async function account(ctx: Context, key?: string): Promise<Account> {
  const { elevenLabsClient } = await speech();
  const http = await elevenLabsClient(ctx, { key, asProvider: true });
  const user = shaped<Record<string, unknown>>(http, 'GET /v1/user', (await http.get('v1/user')).data, (d) => [d.first_name, d.user_id].some(isText) || (isObject(d.subscription) && isText(d.subscription.tier)), 'an account');
  const subscription = (user.subscription ?? {}) as { tier?: unknown; character_count?: unknown; character_limit?: unknown };
  const used = Number(subscription.character_count);
  const limit = Number(subscription.character_limit);
  const name = [user.first_name, user.user_id].find(isText);
  return {
    account: typeof name === 'string' ? name : 'ElevenLabs account',
    plan: typeof subscription.tier === 'string' ? subscription.tier : null,
    credits: Number.isFinite(used) && Number.isFinite(limit) ? Math.max(0, limit - used) : null,
    charactersUsed: Number.isFinite(used) ? used : null,
    characterLimit: Number.isFinite(limit) ? limit : null,
  };
}

const cell = (value: unknown) => (Array.isArray(value) ? value.join(', ') : ((value ?? '') as string));

const elevenlabs: ProviderDefinition = {
  name: 'elevenlabs',
  summary: 'ElevenLabs voices for local renders: login and the voice list (a speech engine, not a video API)',
  document: 'ElevenLabs API reference, https://elevenlabs.io/docs/api-reference (Get user, List voices, Text to speech with timestamps)',
  // ELEVENLABS_API in src/speech/elevenlabs.ts (not imported here: that module loads only when used).
  api: { documentedBaseUrl: 'https://api.elevenlabs.io' },
  account: {
    verify: (ctx, key) => account(ctx, key),
    async whoami(ctx) {
      const { elevenLabsKey, ELEVENLABS_KEY_VARIABLE } = await speech();
      const found = await elevenLabsKey(ctx);
      return { ...(await account(ctx, found?.key)), keySource: found?.source ?? 'environment', keyVariable: ELEVENLABS_KEY_VARIABLE };
    },
  },
  voices: {
    async list(ctx) {
      const { elevenLabsClient, listElevenLabsVoices } = await speech();
      return (await listElevenLabsVoices(await elevenLabsClient(ctx, { asProvider: true }))) as unknown as CatalogItem[];
    },
    async get(ctx, id) {
      const { elevenLabsClient, getElevenLabsVoice } = await speech();
      return (await getElevenLabsVoice(await elevenLabsClient(ctx, { asProvider: true }), id)) as unknown as CatalogItem;
    },
    table: { head: ['ID', 'NAME', 'LANGUAGES', 'GENDER', 'CATEGORY'], row: (v) => [v.id, cell(v.name), cell(v.languages), cell(v.gender), cell(v.category)] },
  },
};
export default elevenlabs;

import { UsageError } from '../core/errors.js';
import { eachRow, output } from '../core/present.js';
import { addFromFile, listItems, removeItem, showItem } from './catalog.js';
import { defineCommand, list as repeatable, text } from './define.js';

export const list = defineCommand({
  flags: { engine: text('<engine>', 'only voices of this speech engine (espeak, openai-compatible, elevenlabs); elevenlabs lists your ElevenLabs account\'s voices') },
  examples: ['ugc voices', 'ugc voices --json', 'ugc voices --engine elevenlabs', 'ugc voices --provider unrealugc'],
  async run(ctx, { engine }) {
    if (engine === undefined) return listItems(ctx, 'voices');
    const { getSpeechEngine } = await import('../speech/engines.js');
    const speech = getSpeechEngine(engine);
    if (speech.listVoices) {
      const voices = await speech.listVoices(ctx);
      const cell = (value: unknown) => (Array.isArray(value) ? value.join(', ') : ((value ?? '') as string));
      return output(ctx, voices, eachRow({ head: ['ID', 'NAME', 'LANGUAGES', 'GENDER', 'CATEGORY'], row: (v) => [cell(v.id), cell(v.name), cell(v.languages), cell(v.gender), cell(v.category)] }));
    }
    const { listVoiceItems, VOICE_TABLE } = await import('../speech/catalog.js');
    await output(ctx, await listVoiceItems(ctx, speech.id), eachRow(VOICE_TABLE));
  },
});

export const show = showItem('voices', 'ugc voices show en-us-female');

/**
 * Adds a voice: of a speech engine, configured on this machine for local renders (`--openai-compatible`,
 * `--elevenlabs`), or cloned from an audio sample at a remote provider that can (`--name`).
 */
export const add = defineCommand({
  args: ['nameOrPath'],
  flags: {
    openaiCompatible: text('<base-url>', 'a server of the OpenAI speech API: its base URL (http://localhost:8880/v1 for Kokoro-FastAPI, https://api.openai.com/v1)'),
    elevenlabs: text('<voice-id>', 'an ElevenLabs voice (`ugc voices --engine elevenlabs` lists yours)'),
    model: text('<model>', 'the engine\'s model (kokoro, tts-1, gpt-4o-mini-tts; ElevenLabs: default eleven_multilingual_v2)'),
    voice: text('<voice>', 'the server\'s voice (af_bella, nova…), with --openai-compatible'),
    keyEnv: text('<VARIABLE>', 'the environment variable holding the server\'s key (it is read when speaking, never stored)'),
    apiBase: text('<url>', 'with --elevenlabs: another API origin (default https://api.elevenlabs.io)'),
    language: repeatable('<tag>', 'a language the voice speaks (BCP-47: en, en-US, pt-BR), repeatable (default: from the engine, or English)'),
    gender: text('<gender>', 'female or male (default: from the engine, if it says)'),
    name: text('<name>', 'when cloning a sample at a remote provider: its display name'),
  },
  examples: [
    'ugc voices add bella --openai-compatible http://localhost:8880/v1 --model kokoro --voice af_bella',
    'ugc voices add nova --openai-compatible https://api.openai.com/v1 --model gpt-4o-mini-tts --voice nova --key-env OPENAI_API_KEY',
    'ugc voices add rachel --elevenlabs 21m00Tcm4TlvDq8EDXUM --model eleven_multilingual_v2',
    'ugc voices add founder.mp3 --name "Founder" --provider unrealugc',
  ],
  async run(ctx, { nameOrPath, name, ...flags }) {
    const { addEngineVoice, addsEngineVoice } = await import('../speech/add.js');
    if (addsEngineVoice(flags)) {
      if (name !== undefined) throw new UsageError('--name is for cloning a sample at a provider; a speech engine\'s voice is named by the argument');
      await output(ctx, await addEngineVoice(ctx, nameOrPath, flags), (item) => item.id);
      return;
    }
    if (name === undefined) throw new UsageError('say what to add: --openai-compatible <url> or --elevenlabs <voice-id> for a voice named by the argument, or --name <name> to clone an audio sample at a provider');
    await addFromFile(ctx, 'voices', 'audio', nameOrPath, name);
  },
});

export const rm = removeItem('voices', 'ugc voices rm bella');

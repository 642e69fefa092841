import type { CommandSpec } from './define.js';

/**
 * The program: every command, its one-line summary (for `ugc --help`), and where its declaration is.
 * A command's arguments, flags, examples and handler live in its module, loaded only when it runs or
 * shows its help, so `ugc --version` loads none of them.
 */
export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  /** A command's declaration; a group (`creators`) has subcommands instead. */
  readonly load?: () => Promise<CommandSpec>;
  readonly subcommands?: readonly CommandEntry[];
  /** A group's examples (a command's own are in its declaration). */
  readonly examples?: readonly string[];
  /** The subcommand a group runs when given alone (`ugc creators` lists them). */
  readonly isDefault?: boolean;
  readonly hidden?: boolean;
  /** For a long command: the progress bar's title, shown on a terminal as soon as it starts, before its modules load. */
  readonly progress?: string;
}

/** The global flags, accepted before or after the command and shown in every command's help: `[flags, description]`. */
export const GLOBAL_FLAGS: readonly (readonly [string, string])[] = [
  ['--provider <name>', 'provider: local (default) or a remote API'],
  ['--base-url <url>', 'override the provider API base URL'],
  ['--profile <name>', 'stored profile to use'],
  ['-j, --json', 'print JSON on stdout'],
  ['--jq <expression>', 'filter the JSON through a jq expression and print the result, strings raw (implies --json)'],
  ['-q, --quiet', 'no progress or hints on stderr'],
  ['--no-input', 'never prompt; fail with the flag to pass instead'],
  ['--no-color', 'no colour or progress bar'],
  ['--debug', 'log details (secrets redacted) and stack traces to stderr'],
];

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'generate', summary: 'render an ad (local) or submit it to a provider, wait for it and download it', progress: 'Starting', load: () => import('./generate.js').then((m) => m.default) },
  { name: 'estimate', summary: 'the credit cost of a generate with the same flags, before spending anything', load: () => import('./estimate.js').then((m) => m.default) },
  { name: 'status', summary: 'show a job', load: () => import('./status.js').then((m) => m.default) },
  { name: 'watch', summary: 'follow a job to the end, then download its video', progress: 'Watching', load: () => import('./watch.js').then((m) => m.default) },
  { name: 'cancel', summary: 'cancel a queued or running job (a local render is stopped and leaves no file)', load: () => import('./cancel.js').then((m) => m.default) },
  { name: 'open', summary: "play a job's video with this machine's player (or show it in its folder, or open it at the provider)", load: () => import('./open.js').then((m) => m.default) },
  { name: 'jobs', summary: 'list the jobs this machine created, newest first', load: () => import('./jobs.js').then((m) => m.default) },
  {
    name: 'creators',
    summary: 'stock and custom creators',
    examples: ['ugc creators', 'ugc creators show mia', 'ugc creators add founder.jpg --name "Founder"'],
    subcommands: [
      { name: 'list', summary: 'list creators', isDefault: true, load: () => import('./creators.js').then((m) => m.list) },
      { name: 'show', summary: 'show one creator', load: () => import('./creators.js').then((m) => m.show) },
      { name: 'add', summary: 'add a custom creator from a photo', load: () => import('./creators.js').then((m) => m.add) },
      { name: 'rm', summary: 'remove a custom creator', load: () => import('./creators.js').then((m) => m.rm) },
    ],
  },
  {
    name: 'voices',
    summary: 'voices for the voiceover: built in (eSpeak) and added from speech engines',
    examples: ['ugc voices', 'ugc voices show en-us-female', 'ugc voices add bella --openai-compatible http://localhost:8880/v1 --model kokoro --voice af_bella'],
    subcommands: [
      { name: 'list', summary: 'list voices: built in and added, with language, engine and availability', isDefault: true, load: () => import('./voices.js').then((m) => m.list) },
      { name: 'show', summary: 'show one voice', load: () => import('./voices.js').then((m) => m.show) },
      { name: 'add', summary: "add a speech engine's voice (Kokoro, OpenAI, ElevenLabs…) by name, or clone a sample at a remote provider", load: () => import('./voices.js').then((m) => m.add) },
      { name: 'rm', summary: 'remove an added voice, or a cloned one at a remote provider', load: () => import('./voices.js').then((m) => m.rm) },
    ],
  },
  {
    name: 'uploads',
    summary: 'presigned uploads (remote providers)',
    examples: ['ugc uploads avatar me.png --provider unrealugc', 'ugc uploads voice-sample me.mp3 --provider unrealugc --json'],
    subcommands: [
      { name: 'avatar', summary: 'upload a creator photo; prints the storage key', load: () => import('./uploads.js').then((m) => m.avatar) },
      { name: 'voice-sample', summary: 'upload a voice sample; prints the storage key', load: () => import('./uploads.js').then((m) => m.voiceSample) },
    ],
  },
  {
    name: 'models',
    summary: 'models (local: the runners that animate the creator, built in or a lip-sync model you configure)',
    examples: ['ugc models', 'ugc models show talking', 'ugc models add sadtalker --cog http://gpu-box:5000 --input image=source_image --input audio=driven_audio'],
    subcommands: [
      { name: 'list', summary: 'list models (local: with live availability)', isDefault: true, load: () => import('./models.js').then((m) => m.list) },
      { name: 'show', summary: "show one model (local: its settings and its server's health)", load: () => import('./models.js').then((m) => m.show) },
      { name: 'add', summary: 'configure a lip-sync model by name: a Cog server or a command line (local)', load: () => import('./models.js').then((m) => m.add) },
      { name: 'rm', summary: 'remove a configured model (local)', load: () => import('./models.js').then((m) => m.rm) },
    ],
  },
  { name: 'check', summary: "preflight a video against a platform's upload spec (TikTok, Reels, Shorts): one line per check", load: () => import('./check.js').then((m) => m.default) },
  {
    name: 'config',
    summary: 'stored settings of a profile: the default provider, base URLs; and where each value in use comes from',
    examples: ['ugc config', 'ugc config set provider unrealugc', 'ugc config get base-url.vidgen'],
    subcommands: [
      { name: 'list', summary: 'every setting with its value and where it comes from (flag, environment, profile, default)', isDefault: true, load: () => import('./config.js').then((m) => m.list) },
      { name: 'get', summary: 'print the value in use of one setting', load: () => import('./config.js').then((m) => m.get) },
      { name: 'set', summary: 'store a setting in the profile', load: () => import('./config.js').then((m) => m.set) },
      { name: 'unset', summary: 'remove a stored setting from the profile', load: () => import('./config.js').then((m) => m.unset) },
    ],
  },
  { name: 'doctor', summary: 'check ffmpeg, TTS, the config dir and keys', load: () => import('./doctor.js').then((m) => m.default) },
  { name: 'login', summary: 'store an API key for a provider (checked with the provider first)', load: () => import('./account.js').then((m) => m.login) },
  { name: 'logout', summary: 'remove the stored API key of a provider', load: () => import('./account.js').then((m) => m.logout) },
  { name: 'whoami', summary: 'the account, its credits, and where the key came from', load: () => import('./account.js').then((m) => m.whoami) },
  {
    name: 'webhooks',
    summary: 'forward signed job events to a local endpoint, like `stripe listen`',
    examples: ['ugc webhooks listen --forward-to http://localhost:3000/hooks', 'ugc webhooks trigger video.completed --forward-to http://localhost:3000/hooks', 'ugc webhooks events'],
    subcommands: [
      { name: 'secret', summary: "print the signing secret ugc uses for a provider's events (stable across runs)", load: () => import('./webhooks.js').then((m) => m.secret) },
      { name: 'listen', summary: 'forward events of local renders, remote jobs and inbound deliveries to your endpoint', load: () => import('./webhooks.js').then((m) => m.listen) },
      { name: 'trigger', summary: "send a signed sample event (or a real job's) to a handler", load: () => import('./webhooks.js').then((m) => m.trigger) },
      { name: 'events', summary: 'recent events and how their deliveries went', load: () => import('./webhooks.js').then((m) => m.events) },
      { name: 'replay', summary: 'send a recorded event again', load: () => import('./webhooks.js').then((m) => m.replay) },
    ],
  },
  { name: 'completion', summary: 'print a shell completion script (bash, zsh or fish) that completes commands, flags and creator, voice and model ids', load: () => import('./completion.js').then((m) => m.completion) },
  { name: 'batch', summary: 'produce many ads from a CSV, JSON Lines or JSON rows file; resumable; exit 5 if any row failed', progress: 'Reading rows', load: () => import('./batch.js').then((m) => m.default) },
  { name: 'worker', summary: 'take batch rows off a BullMQ queue (run on any number of machines)', load: () => import('./worker.js').then((m) => m.default) },
  {
    name: 'serve',
    summary: 'serve the local pipeline as a self-hosted video API (the vidgen API): keys, queue, webhooks',
    examples: ['ugc serve keys add ci-bot', 'ugc serve --port 8080 --host 0.0.0.0 --data-dir /var/lib/ugc-serve', 'ugc serve secret ci-bot'],
    subcommands: [
      { name: 'start', summary: 'serve in the foreground until Ctrl-C (what `ugc serve` alone does)', isDefault: true, load: () => import('./serve.js').then((m) => m.default) },
      {
        name: 'keys',
        summary: 'API keys of the server: add (printed once, stored hashed), list, revoke',
        examples: ['ugc serve keys', 'ugc serve keys add ci-bot', 'ugc serve keys revoke ci-bot'],
        subcommands: [
          { name: 'add', summary: 'make a key; prints it once (only its hash is kept)', load: () => import('./serve.js').then((m) => m.keysAdd) },
          { name: 'list', summary: 'list the keys (names, ids, state; never the keys)', isDefault: true, load: () => import('./serve.js').then((m) => m.keysList) },
          { name: 'revoke', summary: 'deactivate a key: its requests get 401', load: () => import('./serve.js').then((m) => m.keysRevoke) },
        ],
      },
      { name: 'secret', summary: "print the secret that signs a key's webhook deliveries (X-Webhook-Signature)", load: () => import('./serve.js').then((m) => m.secret) },
    ],
  },
  { name: '__render-job', summary: 'render one stored local job (the process behind `generate --no-wait`)', hidden: true, load: () => import('./render-job.js').then((m) => m.default) },
];

import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { UsageError } from './errors.js';

/**
 * Every `UGC_*` environment variable, parsed in one place when a command starts. A flag given on the
 * command line wins over these; these win over the stored profile (see `profiles.ts`).
 */
export interface Settings {
  /** UGC_CONFIG_DIR, else the platform's config dir. */
  configDir: string;
  /** UGC_PROVIDER */
  provider: string | null;
  /** UGC_BASE_URL */
  baseUrl: string | null;
  /** UGC_API_KEY */
  apiKey: string | null;
  /** UGC_PROFILE */
  profile: string | null;
  /** UGC_POLL_INTERVAL: seconds between status polls, instead of the provider's recommendation. */
  pollIntervalSeconds: number | null;
  /** UGC_WEBHOOK_BACKOFF_MS: the first retry delay of webhook forwards. */
  webhookBackoffMs: number | null;
  /** UGC_QUEUE_LOCK_MS: how long a worker's hold on a batch row lasts without renewal. */
  queueLockMs: number;
  /** UGC_QUEUE_OUTAGE_MS: how long `ugc batch --queue` waits for a Redis that stopped answering before it gives up. */
  queueOutageMs: number;
  /** CI set (and not "false" or "0"): never prompt, no spinner. */
  ci: boolean;
  /** NO_COLOR set: no colour, no spinner. */
  noColor: boolean;
}

/** The variables `ugc` reads, for `docs/cli.md` (a test keeps the two in step). */
export const VARIABLES = [
  'UGC_CONFIG_DIR',
  'UGC_PROVIDER',
  'UGC_BASE_URL',
  'UGC_API_KEY',
  'UGC_PROFILE',
  'UGC_POLL_INTERVAL',
  'UGC_WEBHOOK_BACKOFF_MS',
  'UGC_QUEUE_LOCK_MS',
  'UGC_QUEUE_OUTAGE_MS',
  // Read by the render layer's ffmpeg discovery (src/render/ffmpeg/locate.ts), which is memoised per value.
  'UGC_FFMPEG',
  'UGC_FFPROBE',
] as const;

type Env = Record<string, string | undefined>;

export function readSettings(env: Env, cwd: string): Settings {
  const text = (name: string) => env[name] || null;
  return {
    configDir: configDirFrom(env, cwd),
    provider: text('UGC_PROVIDER'),
    baseUrl: text('UGC_BASE_URL'),
    apiKey: text('UGC_API_KEY'),
    profile: text('UGC_PROFILE'),
    pollIntervalSeconds: positive(env, 'UGC_POLL_INTERVAL', 'a number of seconds'),
    webhookBackoffMs: positive(env, 'UGC_WEBHOOK_BACKOFF_MS', 'a number of milliseconds'),
    queueLockMs: positive(env, 'UGC_QUEUE_LOCK_MS', 'a number of milliseconds') ?? 30_000,
    queueOutageMs: positive(env, 'UGC_QUEUE_OUTAGE_MS', 'a number of milliseconds') ?? 60_000,
    ci: Boolean(env.CI && env.CI !== 'false' && env.CI !== '0'),
    noColor: Boolean(env.NO_COLOR),
  };
}

function positive(env: Env, name: string, what: string): number | null {
  const raw = env[name];
  if (raw === undefined || raw === '') return null;
  const value = Number(raw);
  if (!(Number.isFinite(value) && value > 0)) throw new UsageError(`${name} must be ${what} above 0 (got "${raw}")`, `Fix or unset ${name}.`);
  return value;
}

/**
 * `UGC_CONFIG_DIR`, else the platform's config dir — the same place `conf` (env-paths) uses for a project
 * named "ugc" with no suffix. Computed here rather than by loading `conf`, to keep start-up fast.
 */
function configDirFrom(env: Env, cwd: string): string {
  if (env.UGC_CONFIG_DIR) return resolve(cwd, env.UGC_CONFIG_DIR);
  const home = env.HOME ?? homedir();
  if (process.platform === 'darwin') return join(home, 'Library', 'Preferences', 'ugc');
  if (process.platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'ugc', 'Config');
  return join(env.XDG_CONFIG_HOME ?? join(home, '.config'), 'ugc');
}

/** Colour and the progress bar: only for a person at a terminal, and not when NO_COLOR, CI or --no-color says otherwise. */
export const isFancy = (stderr: { isTTY?: boolean }, settings: Pick<Settings, 'ci' | 'noColor'>, color: boolean): boolean => Boolean(stderr.isTTY) && !settings.ci && !settings.noColor && color;

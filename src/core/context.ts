import { JobStore } from './job-store.js';
import { isFancy, readSettings, type Settings } from './settings.js';

export interface Streams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

/** What the CLI is started with: its streams, environment and working directory (tests pass their own). */
export interface World extends Streams {
  env: Record<string, string | undefined>;
  cwd: string;
}

/** The global flags, given before or after the command. */
export interface GlobalOptions {
  provider?: string;
  baseUrl?: string;
  profile?: string;
  json: boolean;
  /** With --json: a jq expression the JSON goes through before it is printed. */
  jq?: string;
  quiet: boolean;
  input: boolean;
  color: boolean;
  debug: boolean;
}

/** Everything a command needs from the outside world, injected so tests can run commands in-process. */
export interface Context {
  io: Streams;
  env: Record<string, string | undefined>;
  cwd: string;
  settings: Settings;
  /** `settings.configDir`: all state lives under it. */
  configDir: string;
  global: GlobalOptions;
  jobs: JobStore;
  /** Spinners and colour only for a person at a terminal. */
  fancy: boolean;
  /** Prompts only when a person can answer. */
  interactive: boolean;
}

export function createContext(world: World, global: GlobalOptions): Context {
  const settings = readSettings(world.env, world.cwd);
  return {
    io: { stdout: world.stdout, stderr: world.stderr, stdin: world.stdin },
    env: world.env,
    cwd: world.cwd,
    settings,
    configDir: settings.configDir,
    global: { ...global, json: Boolean(global.json), quiet: Boolean(global.quiet), debug: Boolean(global.debug) },
    jobs: new JobStore(settings.configDir),
    fancy: isFancy(world.stderr, settings, global.color),
    interactive: Boolean(world.stdin.isTTY) && !settings.ci && global.input,
  };
}

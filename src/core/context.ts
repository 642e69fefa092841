import { JobStore } from './job-store.js';

export interface Streams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

export interface GlobalOptions {
  provider?: string;
  baseUrl?: string;
  profile?: string;
  json: boolean;
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
  configDir: string;
  global: GlobalOptions;
  jobs: JobStore;
  /** Spinners and colour only for a person at a terminal. */
  fancy: boolean;
  /** Prompts only when a person can answer. */
  interactive: boolean;
}

export function createContext(io: Streams, env: Record<string, string | undefined>, cwd: string, configDir: string, global: GlobalOptions): Context {
  const ci = Boolean(env.CI && env.CI !== 'false' && env.CI !== '0');
  return {
    io,
    env,
    cwd,
    configDir,
    global,
    jobs: new JobStore(configDir),
    fancy: Boolean(io.stderr.isTTY) && !ci && !env.NO_COLOR && global.color,
    interactive: Boolean(io.stdin.isTTY) && !ci && global.input,
  };
}

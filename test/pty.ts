import { spawn } from 'node:child_process';
import { BIN } from './support.js';

export interface PtyResult {
  code: number | null;
  /** Everything the terminal showed, escape sequences included. */
  screen: string;
  /** Milliseconds from the start until the terminal showed anything. */
  firstByteMs: number | null;
}

const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

/**
 * How to run `command` in a real pseudo-terminal (util-linux `script`), 100 columns wide, as the terminal's
 * foreground process. `script` runs the line with $SHELL -c; the shell `exec`s the command, so a Ctrl-C
 * reaches the command alone: a shell left waiting (dash does not exec the last command itself) would die
 * of the SIGINT and report 130 whatever the command did.
 */
export function ptyInvocation(command: string[]): { file: string; args: string[]; env: Record<string, string> } {
  const line = `stty cols 100 rows 30; exec ${command.map(quote).join(' ')}`;
  return { file: 'script', args: ['-qfec', line, '/dev/null'], env: { SHELL: '/bin/sh' } };
}

/**
 * Runs a command line in a real pseudo-terminal (`ptyInvocation`), with a TTY on
 * stdin, stdout and stderr. `keys` are typed once the screen matches `when` (a Ctrl-C is `\x03`, which the
 * terminal turns into SIGINT, exactly as when a person presses it).
 */
export function inPty(command: string[], options: { cwd: string; env?: Record<string, string | undefined>; keys?: string; when?: RegExp; timeoutMs?: number }): Promise<PtyResult> {
  const started = Date.now();
  const pty = ptyInvocation(command);
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'xterm-256color', ...options.env, ...pty.env };
  const child = spawn(pty.file, pty.args, { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let screen = '';
  let firstByteMs: number | null = null;
  let typed = false;
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  child.stdout.on('data', (chunk: Buffer) => {
    firstByteMs ??= Date.now() - started;
    screen += chunk.toString();
    if (options.keys && !typed && (!options.when || options.when.test(screen))) {
      typed = true;
      child.stdin.write(options.keys);
    }
  });
  return new Promise((resolve) => {
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, screen, firstByteMs });
    });
  });
}

/** The ugc command line, as a person types it. */
export const ugcLine = (args: string[]): string[] => [process.execPath, BIN, ...args];

/** The screen without colour and cursor codes, each redraw of a line on its own line. */
export const plain = (screen: string): string =>
  // eslint-disable-next-line no-control-regex -- terminal escape sequences are what it removes
  screen.replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, '').replace(/\r\n/g, '\n').replace(/\r/g, '\n');

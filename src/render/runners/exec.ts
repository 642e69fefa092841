import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { InterruptedError, UgcError } from '../../core/errors.js';
import { watchChild } from '../ffmpeg/watchdog.js';
import { fillTemplate, parseCommandTemplate } from './command-template.js';
import type { ExecSettings } from './configured.js';
import { checkModelVideo, modelClip, prepareModelFiles, withSlot } from './model-io.js';
import type { CreatorClip, ModelRunner, RunnerHealth, RunnerHooks, RunnerInput } from './types.js';

/** Lines of the command's stderr shown when it fails. */
const STDERR_LINES = 5;
/** After SIGTERM, a command that has not exited gets SIGKILL this much later. */
const KILL_AFTER_MS = 5_000;

/**
 * A lip-sync model behind a command line (`ugc models add wav2lip --exec "python inference.py --face
 * {image} --audio {audio} --outfile {out}"`): the template's words are filled in and run without a shell,
 * in its own process group (stopped as a whole on timeout, Ctrl-C or `ugc cancel`), in the directory it
 * was added from; the video it writes to {out} is checked and composed like any clip.
 */
export function execRunner(settings: ExecSettings, hooks: RunnerHooks = {}): ModelRunner {
  const words = parseCommandTemplate(settings.command);
  const program = words[0] as string;
  const who = settings.name;
  return {
    id: settings.name,
    description: `command: ${settings.command}`,
    available: async () => (await execHealth(settings)).available,
    health: () => execHealth(settings),
    async prepare(input: RunnerInput): Promise<CreatorClip> {
      const files = await prepareModelFiles(input, { video: settings.command.includes('{video}') });
      const out = join(input.workDir, 'model-out.mp4');
      const args = fillTemplate(words, { image: files.image, audio: files.audio, video: files.video ?? '', out, fps: String(input.fps), width: String(input.size.width), height: String(input.size.height) });
      const command = isAbsolute(program) || !program.includes('/') ? program : resolve(settings.cwd, program);
      await withSlot(`exec:${settings.cwd}:${settings.command}`, settings.slots, input.signal, () => hooks.onStatus?.(`${who}: waiting for a free slot`), async () => {
        hooks.onStatus?.(`${who}: running`);
        await runCommand(command, args.slice(1), { cwd: settings.cwd, timeoutSeconds: settings.timeoutSeconds, signal: input.signal, who });
      });
      if (!(await stat(out).catch(() => null))) throw new UgcError(`${who}: the command exited 0 but wrote nothing to {out}`, { code: 'model_output_missing', hint: `Check that its output flag gets {out}: ugc models show ${who}` });
      await checkModelVideo(out, input.tools, who);
      return modelClip(out, input.size, input.fps, input.durationSeconds);
    },
  };
}

interface RunOptions {
  cwd: string;
  timeoutSeconds: number;
  signal: AbortSignal;
  who: string;
}

function runCommand(command: string, args: string[], options: RunOptions): Promise<void> {
  const { who } = options;
  options.signal.throwIfAborted();
  return new Promise<void>((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    // Its own group is out of reach of a terminal's signals: it dies with us through the watchdog.
    watchChild(child.pid, once(child, 'close'), { group: true });
    let stderr = '';
    let stopping: 'timeout' | 'abort' | null = null;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-16_384);
    });
    const stop = (why: 'timeout' | 'abort') => {
      if (stopping || child.exitCode !== null || child.pid === undefined) return;
      stopping = why;
      killGroup(child.pid, 'SIGTERM');
      setTimeout(() => killGroup(child.pid as number, 'SIGKILL'), KILL_AFTER_MS).unref();
    };
    const timer = setTimeout(() => stop('timeout'), options.timeoutSeconds * 1000);
    const onAbort = () => stop('abort');
    options.signal.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
    };
    child.on('error', (error: NodeJS.ErrnoException) => {
      done();
      reject(new UgcError(`${who}: could not run ${command}: ${error.code === 'ENOENT' ? 'no such program' : error.message}`, { code: 'model_unavailable', hint: `ugc models show ${who}` }));
    });
    child.on('close', (code, signal) => {
      done();
      if (stopping === 'abort') return reject(new InterruptedError(`${who} was stopped`));
      if (stopping === 'timeout') return reject(new UgcError(`${who}: the command did not finish within ${options.timeoutSeconds} s (--timeout) and was stopped`, { code: 'model_timeout' }));
      if (code === 0) return resolvePromise();
      const tail = lastLines(stderr, STDERR_LINES);
      reject(new UgcError(`${who}: the command failed (${code === null ? `killed by ${signal}` : `exit code ${code}`})${tail ? `: ${tail}` : ''}`, { code: 'model_failed' }));
    });
  });
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** The last non-empty lines of a stream, on one line. */
export function lastLines(text: string, count: number): string {
  return text
    .split(/\r?\n|\r/)
    .map((line) => line.trim())
    .filter(Boolean)
    .slice(-count)
    .join(' | ');
}

/** Ready when the program can be found and run: on PATH, or a path (relative to the runner's directory). */
export async function execHealth(settings: ExecSettings): Promise<RunnerHealth> {
  const program = parseCommandTemplate(settings.command)[0] as string;
  const candidates = program.includes('/') ? [resolve(settings.cwd, program)] : (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, program));
  if (!(await stat(settings.cwd).catch(() => null))?.isDirectory()) return { available: false, status: 'MISSING', detail: `its directory ${settings.cwd} does not exist` };
  for (const candidate of candidates) {
    try {
      if ((await stat(candidate)).isFile()) {
        await access(candidate, constants.X_OK);
        return { available: true, status: 'READY', detail: null };
      }
    } catch {
      // Not this one.
    }
  }
  return { available: false, status: 'MISSING', detail: program.includes('/') ? `${candidates[0]} is not an executable file` : `${program} is not on PATH` };
}

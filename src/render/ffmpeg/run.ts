import { runTool } from './tool.js';
import { join } from 'node:path';
import { InterruptedError, UgcError } from '../../core/errors.js';
import { TEMPLATES_DIR } from '../assets.js';

/** See templates/fontconfig/fonts.conf: captions use only the fonts we ship, on every machine. */
const FONTCONFIG_FILE = join(TEMPLATES_DIR, 'fontconfig', 'fonts.conf');

export interface FfmpegRunOptions {
  /** Expected output duration, to turn `out_time` into a fraction. */
  durationSeconds?: number;
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
  /** Text written to `-filter_complex_script` etc. is the caller's; this only runs the process. */
  what: string;
}

/**
 * Runs ffmpeg with an argument array (never a shell string), reporting progress from `-progress pipe:1`.
 * On abort the process is killed and an InterruptedError is thrown; on failure the error carries
 * ffmpeg's last stderr lines.
 */
export async function runFfmpeg(ffmpegPath: string, args: string[], options: FfmpegRunOptions): Promise<void> {
  const fullArgs = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', '-progress', 'pipe:1', '-nostats', ...args];
  const child = runTool(ffmpegPath, fullArgs, {
    env: { FONTCONFIG_FILE },
    cancelSignal: options.signal,
    reject: false,
    buffer: { stdout: false, stderr: true },
    forceKillAfterDelay: 2_000,
  });
  if (options.onProgress && options.durationSeconds) {
    const total = options.durationSeconds;
    const report = options.onProgress;
    let pending = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const match = /^out_time_(?:us|ms)=(\d+)/.exec(line);
        if (match) report(Math.min(1, Number(match[1]) / 1e6 / total));
      }
    });
  } else {
    child.stdout?.resume();
  }
  const result = await child;
  if (options.signal?.aborted || result.isCanceled) throw new InterruptedError(`${options.what} was stopped`);
  const stderr = String(result.stderr ?? '');
  // ffmpeg exits 0 though a write failed ("Error writing trailer …: No space left on device").
  if (result.exitCode === 0 && /No space left on device/.test(stderr)) {
    throw new UgcError(`ffmpeg failed while ${options.what}: no space left on the device`, { code: 'no_space', hint: 'Free some disk space, or write the video elsewhere (--out).' });
  }
  if (result.exitCode !== 0) {
    const tail = stderr.trim().split('\n').slice(-3).join(' | ');
    throw new UgcError(`ffmpeg failed while ${options.what}: ${tail || `exit code ${result.exitCode ?? result.signal}`}`, { code: 'render_failed' });
  }
}

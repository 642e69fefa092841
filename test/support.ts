import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { execa } from 'execa';
import { run } from '../src/cli.js';
import { locateFfmpeg, type FfmpegTools } from '../src/render/ffmpeg/locate.js';

export const BIN = new URL('../bin/ugc.js', import.meta.url).pathname;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in this process with captured streams and its own config dir. */
export async function ugc(args: string[], options: { cwd: string; env?: Record<string, string | undefined>; stdin?: string }): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  stdin.end(options.stdin ?? '');
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true', ...options.env };
  const code = await run(['node', 'ugc', ...args], { stdout, stderr, stdin, env, cwd: options.cwd });
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

/** Runs the built CLI as a real process (for signals, detached renders and the installed entry point). */
export async function ugcProcess(args: string[], options: { cwd: string; env?: Record<string, string | undefined> }): Promise<CliResult> {
  const result = await execa(process.execPath, [BIN, ...args], { cwd: options.cwd, env: { CI: 'true', ...options.env }, reject: false, stdin: 'ignore' });
  return { code: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

export async function tempDir(prefix = 'ugc-test-'): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

export const tools = (): Promise<FfmpegTools> => locateFfmpeg();

/** Runs ffmpeg with `args` and returns stderr (for analysis filters that report there). */
export async function ffmpegStderr(args: string[]): Promise<string> {
  const { ffmpeg } = await tools();
  const result = await execa(ffmpeg.path, ['-hide_banner', '-nostdin', ...args], { reject: false });
  return String(result.stderr);
}

/** Integrated loudness (LUFS) and true peak (dBTP) of a file's audio, by ffmpeg's EBU R128 meter. */
export async function loudness(file: string): Promise<{ integrated: number; truePeak: number }> {
  const text = await ffmpegStderr(['-i', file, '-map', '0:a', '-af', 'ebur128=peak=true', '-f', 'null', '-']);
  const summary = text.slice(text.lastIndexOf('Summary:'));
  const integrated = Number(/I:\s+(-?[\d.]+) LUFS/.exec(summary)?.[1]);
  const truePeak = Number(/Peak:\s+(-?[\d.]+|-inf) dBFS/.exec(summary.slice(summary.indexOf('True peak')))?.[1]);
  return { integrated, truePeak };
}

/** One decoded frame as 8-bit gray pixels. */
export async function grayFrame(file: string, atSeconds: number, width: number, height: number): Promise<Buffer> {
  const { ffmpeg } = await tools();
  const result = await execa(ffmpeg.path, ['-v', 'error', '-ss', String(atSeconds), '-i', file, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'gray', '-s', `${width}x${height}`, '-'], { encoding: 'buffer' });
  return Buffer.from(result.stdout);
}

/** One decoded frame as 8-bit RGB pixels (3 bytes each). */
export async function rgbFrame(file: string, atSeconds: number, width: number, height: number): Promise<Buffer> {
  const { ffmpeg } = await tools();
  const result = await execa(ffmpeg.path, ['-v', 'error', '-ss', String(atSeconds), '-i', file, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-'], { encoding: 'buffer' });
  return Buffer.from(result.stdout);
}

export function differingPixels(a: Buffer, b: Buffer, threshold = 24): number {
  let count = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (Math.abs((a[i] ?? 0) - (b[i] ?? 0)) > threshold) count++;
  return count;
}

export async function makeTone(path: string, seconds: number, frequency: number): Promise<void> {
  const { ffmpeg } = await tools();
  await execa(ffmpeg.path, ['-v', 'error', '-y', '-f', 'lavfi', '-i', `sine=frequency=${frequency}:duration=${seconds}:sample_rate=44100`, '-af', 'volume=-6dB', path]);
}

import { runTool } from './tool.js';
import { InterruptedError, UgcError } from '../../core/errors.js';

/** The first audio stream of `path` as mono 32-bit float samples at `sampleRate`, decoded by ffmpeg. */
export async function decodeMono(ffmpegPath: string, path: string, sampleRate: number, signal?: AbortSignal): Promise<Float32Array> {
  const args = ['-hide_banner', '-nostdin', '-v', 'error', '-i', path, '-map', '0:a:0', '-ac', '1', '-ar', String(sampleRate), '-f', 'f32le', '-'];
  const result = await runTool(ffmpegPath, args, { encoding: 'buffer', cancelSignal: signal, reject: false, maxBuffer: 1024 * 1024 * 1024 });
  if (signal?.aborted || result.isCanceled) throw new InterruptedError('decoding the audio was stopped');
  if (result.exitCode !== 0) {
    const tail = Buffer.from(result.stderr ?? '').toString().trim().split('\n').slice(-2).join(' | ');
    throw new UgcError(`ffmpeg could not decode ${path}: ${tail || `exit code ${result.exitCode ?? result.signal}`}`, { code: 'render_failed' });
  }
  const bytes = Buffer.from(result.stdout);
  // Copy into an aligned buffer: a Node Buffer may start at an offset that is not a multiple of 4.
  const samples = new Float32Array(Math.floor(bytes.length / 4));
  new Uint8Array(samples.buffer).set(bytes.subarray(0, samples.length * 4));
  return samples;
}

/** Helpers for the `ugc serve` tests: real media files, multipart bodies built by hand, a server in this process. */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { execa } from 'execa';
import { createContext } from '../src/core/context.js';
import { startServe, type RunningServe, type ServeOptions } from '../src/serve/server.js';
import { KeyStore } from '../src/serve/keys.js';
import { dataLayout } from '../src/serve/layout.js';
import { wavBytes } from '../src/render/tts.js';
import { tools } from './support.js';

/** A mono 16-bit WAV: `seconds` long, a 220 Hz tone that sounds for 0.25 s of every 0.4 s (syllables and pauses). */
export function wav(seconds: number, sampleRate = 16_000): Buffer {
  const samples = new Int16Array(Math.round(seconds * sampleRate));
  for (let i = 0; i < samples.length; i++) {
    const t = i / sampleRate;
    samples[i] = Math.round((t % 0.4 < 0.25 ? 0.5 : 0.001) * 32767 * Math.sin(2 * Math.PI * 220 * t));
  }
  return wavBytes(samples, sampleRate);
}

/** A small real PNG (a flat colour, no face: the still runner shows it), made by ffmpeg. */
export async function png(path: string): Promise<Buffer> {
  const { ffmpeg } = await tools();
  await execa(ffmpeg.path, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=0x3366aa:s=240x320', '-frames:v', '1', path]);
  const { readFile } = await import('node:fs/promises');
  return readFile(path);
}

export interface Part {
  name: string;
  filename?: string;
  type?: string;
  data: Buffer | string;
}

/** A multipart/form-data body (RFC 7578) written out byte by byte. */
export function multipart(parts: Part[]): { body: Buffer; contentType: string } {
  const boundary = `----ugc${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename !== undefined ? `; filename="${part.filename}"` : ''}`;
    const type = part.type ? `\r\nContent-Type: ${part.type}` : '';
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}${type}\r\n\r\n`, 'latin1'), Buffer.from(part.data), Buffer.from('\r\n', 'latin1'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`, 'latin1'));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * One HTTP request with node:http, so a test controls every byte: `chunks` are written in order (chunked
 * transfer encoding unless `contentLength`), and `truncate` ends the body early.
 */
export function rawRequest(url: string, options: { method?: string; headers?: Record<string, string>; chunks?: Buffer[] } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const body: Buffer[] = [];
      res.on('data', (c: Buffer) => body.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(body).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    const source = new PassThrough();
    source.pipe(req);
    for (const chunk of options.chunks ?? []) source.write(chunk);
    source.end();
  });
}

export interface TestServe extends RunningServe {
  configDir: string;
  dataDir: string;
  logs: string[];
}

export async function startTestServe(root: string, options: Partial<Omit<ServeOptions, 'ctx'>> = {}): Promise<TestServe> {
  const configDir = join(root, 'config');
  const dataDir = options.dataDir ?? join(root, 'data');
  const world = { stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough(), env: { UGC_CONFIG_DIR: configDir, PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true' }, cwd: root };
  const ctx = createContext(world, { json: false, quiet: false, input: false, color: false, debug: false });
  const logs: string[] = [];
  const server = await startServe({ ctx, dataDir, host: '127.0.0.1', port: 0, concurrency: 1, model: 'still', allowPrivateWebhooks: false, log: (line) => logs.push(line), ...options });
  return Object.assign(server, { configDir, dataDir, logs });
}

export const addKey = async (dataDir: string, name: string): Promise<string> => (await new KeyStore(dataLayout(dataDir).keys).add(name)).key;

export async function writeMedia(dir: string): Promise<{ image: string; audio: string; imageBytes: Buffer; audioBytes: Buffer }> {
  const image = join(dir, 'portrait.png');
  const audio = join(dir, 'voiceover.wav');
  const imageBytes = await png(image);
  const audioBytes = wav(0.8);
  await writeFile(audio, audioBytes);
  return { image, audio, imageBytes, audioBytes };
}

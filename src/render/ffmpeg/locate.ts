import { access, chmod, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { createRequire } from 'node:module';
import { runTool } from './tool.js';
import { UgcError } from '../../core/errors.js';

export type ToolSource = 'env' | 'path' | 'bundled';

export interface ToolInfo {
  path: string;
  version: string;
  source: ToolSource;
}

export interface FfmpegTools {
  ffmpeg: ToolInfo;
  ffprobe: ToolInfo;
}

/** Filters and encoders the local pipeline uses; `doctor` reports each. */
export const REQUIRED_FILTERS = ['ass', 'loop', 'crop', 'overlay', 'scale', 'sidechaincompress', 'amix', 'loudnorm', 'ebur128', 'adelay', 'apad', 'atrim'] as const;
export const REQUIRED_ENCODERS = ['libx264', 'aac', 'mjpeg'] as const;

/** An ffmpeg on PATH older than this is skipped in favour of the bundled build. */
const MIN_PATH_MAJOR = 4;

interface Env {
  [key: string]: string | undefined;
}

const require = createRequire(import.meta.url);

/**
 * Picks ffmpeg and ffprobe: `UGC_FFMPEG`/`UGC_FFPROBE`, else a new-enough binary on PATH, else the
 * static build shipped inside the npm package. Memoised per process for the variables that decide it.
 */
const cache = new Map<string, Promise<FfmpegTools>>();
export function locateFfmpeg(env: Env = process.env): Promise<FfmpegTools> {
  const key = JSON.stringify([env.UGC_FFMPEG, env.UGC_FFPROBE, env.PATH]);
  let found = cache.get(key);
  if (!found) {
    found = discover(env);
    cache.set(key, found);
    // A failed discovery (a bad UGC_FFMPEG, say) is not remembered: the next call looks again.
    found.catch(() => cache.delete(key));
  }
  return found;
}

async function discover(env: Env): Promise<FfmpegTools> {
  const [ffmpeg, ffprobe] = await Promise.all([
    locateTool('ffmpeg', env.UGC_FFMPEG, env, bundledPath('@ffmpeg-installer/ffmpeg')),
    locateTool('ffprobe', env.UGC_FFPROBE, env, bundledPath('@ffprobe-installer/ffprobe')),
  ]);
  return { ffmpeg, ffprobe };
}

async function locateTool(name: 'ffmpeg' | 'ffprobe', override: string | undefined, env: Env, bundled: string | null): Promise<ToolInfo> {
  const variable = name === 'ffmpeg' ? 'UGC_FFMPEG' : 'UGC_FFPROBE';
  if (override) {
    const version = await readVersion(override);
    if (!version) throw new UgcError(`${variable}=${override} is not a runnable ${name}`, { hint: `Point ${variable} at an ${name} binary, or unset it to use the bundled one.` });
    return { path: override, version, source: 'env' };
  }
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    if (!(await isExecutable(candidate))) continue;
    const version = await readVersion(candidate);
    if (version && majorVersion(version) >= MIN_PATH_MAJOR && (name === 'ffprobe' || isCapable(await readCapabilities(candidate)))) {
      return { path: candidate, version, source: 'path' };
    }
    break; // the first one on PATH is what a shell would run; if it is too old or lacks a filter, use the bundled build
  }
  if (bundled) {
    await ensureExecutable(bundled);
    const version = await readVersion(bundled);
    if (version) return { path: bundled, version, source: 'bundled' };
  }
  throw new UgcError(`no usable ${name} found`, { hint: `Reinstall with \`npm ci\` (it ships ${name}), or set ${variable} to an ${name} binary.` });
}

function bundledPath(pkg: string): string | null {
  try {
    return (require(pkg) as { path: string }).path;
  } catch {
    return null;
  }
}

/** `npm ci --ignore-scripts` skips the installer's chmod; restore the execute bit ourselves. */
async function ensureExecutable(path: string): Promise<void> {
  if (await isExecutable(path)) return;
  await chmod(path, 0o755).catch(() => undefined);
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function readVersion(path: string): Promise<string | null> {
  try {
    const { stdout } = await runTool(path, ['-version'], { timeout: 10_000 });
    return /version (\S+)/.exec(stdout)?.[1] ?? null;
  } catch {
    return null;
  }
}

/** "5.1.6-0+deb12u1" → 5; git builds ("N-47683-g0e8eb07980") have no release number → 0. */
export function majorVersion(version: string): number {
  const match = /^n?(\d+)\./.exec(version);
  return match ? Number(match[1]) : 0;
}

export interface Capabilities {
  filters: Record<string, boolean>;
  encoders: Record<string, boolean>;
}

export function isCapable(capabilities: Capabilities): boolean {
  return [...Object.values(capabilities.filters), ...Object.values(capabilities.encoders)].every(Boolean);
}

export async function readCapabilities(ffmpegPath: string): Promise<Capabilities> {
  const [filters, encoders] = await Promise.all([
    runTool(ffmpegPath, ['-hide_banner', '-filters']).then((r) => r.stdout),
    runTool(ffmpegPath, ['-hide_banner', '-encoders']).then((r) => r.stdout),
  ]);
  const names = (listing: string) => new Set(listing.split('\n').map((line) => line.trim().split(/\s+/)[1]));
  const filterNames = names(filters);
  const encoderNames = names(encoders);
  return {
    filters: Object.fromEntries(REQUIRED_FILTERS.map((f) => [f, filterNames.has(f)])),
    encoders: Object.fromEntries(REQUIRED_ENCODERS.map((e) => [e, encoderNames.has(e)])),
  };
}

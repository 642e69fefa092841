import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import estimate from '../src/commands/estimate.js';
import generate from '../src/commands/generate.js';
import { COMMANDS } from '../src/commands/index.js';
import watch from '../src/commands/watch.js';
import { REQUEST_FIELDS } from '../src/core/request.js';
import { makeTone, tempDir, ugc, ugcProcess } from './support.js';

let dir: { path: string; cleanup: () => Promise<void> };
let env: Record<string, string>;

beforeAll(async () => {
  dir = await tempDir();
  env = { UGC_CONFIG_DIR: join(dir.path, 'config') };
});
afterAll(() => dir.cleanup());

describe('global behaviour', () => {
  it('--version prints the package version (the installed entry point)', async () => {
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    const result = await ugcProcess(['--version'], { cwd: dir.path });
    expect(result).toMatchObject({ code: 0, stdout: pkg.version });
  });

  it('every command and group has help with examples, and shows the global flags in it', async () => {
    const leaves = [[], ...COMMANDS.filter((c) => !c.hidden).flatMap((c) => (c.subcommands ? [[c.name], ...c.subcommands.map((s) => [c.name, s.name])] : [[c.name]]))];
    expect(leaves.length).toBeGreaterThanOrEqual(26);
    for (const command of leaves) {
      const result = await ugc([...command, '--help'], { cwd: dir.path, env });
      expect(result.code, command.join(' ')).toBe(0);
      expect(result.stdout, command.join(' ')).toMatch(/Examples:\n\s+\$ ugc /);
      expect(result.stdout, command.join(' ')).not.toMatch(/\(default: (\[\]|false)\)/);
      expect(result.stdout, command.join(' ')).toMatch(/Options:[\s\S]*--provider <name>[\s\S]*--json[\s\S]*--quiet/);
      if (command.length > 0) expect(result.stdout, command.join(' ')).toContain('Global Options:');
    }
  });

  it('has short flags for the common ones: -s, -c, -o, -q, -j', async () => {
    const result = await ugc(['estimate', '-s', 'Hello there, this is short.', '-c', 'mia', '-j', '-q'], { cwd: dir.path, env });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ credits: expect.any(Number) });
    expect(result.stderr).toBe('');
    const help = (await ugc(['generate', '--help'], { cwd: dir.path, env })).stdout;
    for (const flag of ['-s, --script', '-c, --creator', '-o, --out', '-q, --quiet', '-j, --json']) expect(help).toContain(flag);
  });

  it('offers only the flags that apply: estimate has the request flags but no --out, --webhook-url or --idempotency-key', async () => {
    const flagsOf = async (command: string) => {
      const help = (await ugc([command, '--help'], { cwd: dir.path, env })).stdout;
      return new Set([...help.slice(0, help.indexOf('Global Options:')).matchAll(/--([a-z-]+)/g)].map((m) => m[1]));
    };
    const generate = await flagsOf('generate');
    const estimate = await flagsOf('estimate');
    for (const spec of Object.values(REQUEST_FIELDS)) {
      expect(generate.has(spec.flag), spec.flag).toBe(true);
      expect(estimate.has(spec.flag), spec.flag).toBe(!('submitOnly' in spec));
    }
    for (const flag of ['out', 'no-wait', 'webhook-url', 'idempotency-key']) expect(estimate.has(flag), flag).toBe(false);
    const submitOnly = Object.values(REQUEST_FIELDS).filter((spec) => 'submitOnly' in spec).map((spec) => spec.flag);
    expect([...generate].filter((f) => !estimate.has(f)).sort()).toEqual(['no-wait', 'out', ...submitOnly].sort());
  });

  it('derives each handler\'s input type from its declared flags (checked by the type checker)', () => {
    type GenerateInput = Parameters<typeof generate.run>[1];
    type EstimateInput = Parameters<typeof estimate.run>[1];
    type WatchInput = Parameters<typeof watch.run>[1];
    expectTypeOf<GenerateInput['durationSeconds']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<GenerateInput['params']>().toEqualTypeOf<string[]>();
    expectTypeOf<GenerateInput['wait']>().toEqualTypeOf<boolean>();
    expectTypeOf<GenerateInput['out']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<EstimateInput>().not.toHaveProperty('out');
    expectTypeOf<EstimateInput>().not.toHaveProperty('webhookUrl');
    expectTypeOf<WatchInput['id']>().toEqualTypeOf<string>();
    expectTypeOf<WatchInput['interval']>().toEqualTypeOf<number | undefined>();
    expect(Object.keys(generate.flags ?? {})).toContain('durationSeconds');
  });

  it('reads numeric and choice flags where they are declared: a bad value is one usage error naming the flag', async () => {
    for (const [args, message] of [
      [['jobs', '--limit', 'abc'], /--limit must be a positive whole number \(got "abc"\)/],
      [['jobs', '--status', 'done'], /--status must be one of queued, processing, completed, failed, cancelled/],
      [['webhooks', 'events', '--limit', '0'], /--limit must be a positive whole number/],
      [['watch', 'job_x', '--interval', '-1'], /--interval must be a positive number of seconds/],
      [['creators', '--include', 'all'], /--include must be one of stock, custom/],
    ] as const) {
      const result = await ugc([...args], { cwd: dir.path, env });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('accepts global options after the command', async () => {
    const result = await ugc(['voices', '--json'], { cwd: dir.path, env });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toBeInstanceOf(Array);
  });

  it('an unknown provider is a usage error', async () => {
    const result = await ugc(['creators', '--provider', 'nope'], { cwd: dir.path, env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown provider "nope"/);
  });
});

describe('catalogs', () => {
  it('creators lists at least 8 stock creators as a table and as JSON', async () => {
    const table = await ugc(['creators'], { cwd: dir.path, env });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/mia/);
    const json = JSON.parse((await ugc(['creators', 'list', '--json'], { cwd: dir.path, env })).stdout) as { slug: string }[];
    expect(json.length).toBeGreaterThanOrEqual(8);
    const mia = JSON.parse((await ugc(['creators', 'show', 'mia', '--json'], { cwd: dir.path, env })).stdout) as { id: string; bestFor: string[] };
    expect(mia.bestFor.length).toBeGreaterThan(0);
    const shown = await ugc(['creators', 'show', 'mia'], { cwd: dir.path, env });
    expect(shown.stdout).toMatch(/^rig +talks and blinks; face at \d+,\d+ \(\d+x\d+ px\)$/m);
    expect(shown.stdout).not.toMatch(/object Object/);
  });

  it('creators add stores a custom creator that generate can use, and rm removes it', async () => {
    const photo = join(dir.path, 'me.png');
    const { ffmpegStderr } = await import('./support.js');
    await ffmpegStderr(['-f', 'lavfi', '-i', 'testsrc2=s=640x800', '-frames:v', '1', photo]);
    const added = await ugc(['creators', 'add', photo, '--name', 'Founder', '--json'], { cwd: dir.path, env });
    expect(added.code).toBe(0);
    const { id } = JSON.parse(added.stdout) as { id: string };
    const custom = JSON.parse((await ugc(['creators', '--include', 'custom', '--json'], { cwd: dir.path, env })).stdout) as { id: string }[];
    expect(custom.map((c) => c.id)).toEqual([id]);
    const rendered = await ugc(['generate', '--script', 'Hi, I made this.', '--creator', id, '--captions', 'none', '--quiet'], { cwd: dir.path, env });
    expect(rendered.code).toBe(0);
    expect((await ugc(['creators', 'rm', id], { cwd: dir.path, env })).code).toBe(0);
    expect((await ugc(['creators', 'rm', 'mia'], { cwd: dir.path, env })).code).toBe(2);
  });

  it('creators add refuses a file that is not an image', async () => {
    await writeFile(join(dir.path, 'nope.jpg'), 'text');
    const result = await ugc(['creators', 'add', 'nope.jpg', '--name', 'Nope'], { cwd: dir.path, env });
    expect(result.code).toBe(2);
  });

  it('voices lists at least 6 voices across languages and genders', async () => {
    const voices = JSON.parse((await ugc(['voices', '--json'], { cwd: dir.path, env })).stdout) as { id: string; language: string; gender: string }[];
    expect(voices.length).toBeGreaterThanOrEqual(6);
    expect(new Set(voices.map((v) => v.language.slice(0, 2))).size).toBeGreaterThanOrEqual(3);
    expect(new Set(voices.map((v) => v.gender))).toEqual(new Set(['female', 'male']));
  });

  it('models lists the built-in still and talking runners', async () => {
    const models = JSON.parse((await ugc(['models', '--json'], { cwd: dir.path, env })).stdout) as { id: string; available: boolean }[];
    expect(models).toContainEqual(expect.objectContaining({ id: 'still', available: true }));
    expect(models).toContainEqual(expect.objectContaining({ id: 'talking', available: true }));
  });
});

describe('doctor', () => {
  it('--json names the ffmpeg and ffprobe in use with versions, and every capability', async () => {
    const result = await ugc(['doctor', '--json'], { cwd: dir.path, env });
    const report = JSON.parse(result.stdout) as { ok: boolean; ffmpeg: { path: string; version: string; source: string }; ffprobe: { path: string; version: string }; capabilities: { filters: Record<string, boolean> } };
    expect(result.code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.ffmpeg.path).toMatch(/ffmpeg/);
    expect(report.ffmpeg.version).toBeTruthy();
    expect(report.ffprobe.path).toMatch(/ffprobe/);
    expect(report.capabilities.filters).toMatchObject({ ass: true, sidechaincompress: true, loudnorm: true });
  });

  it('UGC_FFMPEG wins, and a bad one is reported', async () => {
    const result = await ugc(['doctor', '--json'], { cwd: dir.path, env: { ...env, UGC_FFMPEG: join(dir.path, 'no-such-ffmpeg') } });
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).problems.join(' ')).toMatch(/UGC_FFMPEG/);
  });
});

describe('--audio brings your own voiceover', () => {
  it('renders with the given audio and captions timed across it', async () => {
    const voice = join(dir.path, 'vo.wav');
    await makeTone(voice, 3, 300);
    const result = await ugc(['generate', '--script', 'My own voice, my own words.', '--audio', voice, '--json', '--quiet'], { cwd: dir.path, env });
    expect(result.code).toBe(0);
    const job = JSON.parse(result.stdout) as { output: { durationSeconds: number } };
    expect(job.output.durationSeconds).toBeGreaterThan(3);
  });
});

describe('media given as URLs (local provider)', () => {
  it('downloads a product image from a URL, and a URL that fails is a usage error', async () => {
    const { createServer } = await import('node:http');
    const { ffmpegStderr } = await import('./support.js');
    const png = join(dir.path, 'served.png');
    await ffmpegStderr(['-y', '-f', 'lavfi', '-i', 'color=c=0x22aa66:s=300x300', '-frames:v', '1', png]);
    const bytes = await readFile(png);
    const server = createServer((req, res) => {
      if (req.url === '/product.png') res.writeHead(200, { 'content-type': 'image/png', 'content-length': bytes.length }).end(bytes);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const ok = await ugc(['generate', '--script', 'A product from the web.', '--creator', 'mia', '--captions', 'none', '--product-image', `${base}/product.png`, '--quiet'], { cwd: dir.path, env });
      expect(ok.code).toBe(0);
      const missing = await ugc(['generate', '--script', 'Nope.', '--product-image', `${base}/missing.png`], { cwd: dir.path, env });
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/--product-image: could not download/);
    } finally {
      server.close();
    }
  });
});

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slugOf } from '../src/render/creators.js';
import { tempDir, tools, ugc, ugcProcess } from './support.js';

let dir: { path: string; cleanup: () => Promise<void> };
let env: Record<string, string>;
const run = (args: string[]) => ugc(args, { cwd: dir.path, env });
const FACE = new URL('fixtures/astronaut.jpg', import.meta.url).pathname;

/** The fixture's face, padded or scaled to `width`x`height`, as a JPEG. */
async function photo(name: string, width: number, height: number): Promise<string> {
  const { ffmpeg } = await tools();
  const path = join(dir.path, name);
  const side = Math.min(width, height);
  await execa(ffmpeg.path, ['-v', 'error', '-y', '-i', FACE, '-vf', `scale=${side}:${side},pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2:gray`, '-frames:v', '1', path]);
  return path;
}

beforeAll(async () => {
  dir = await tempDir();
  env = { UGC_CONFIG_DIR: join(dir.path, 'config') };
  await Promise.all([photo('portrait.jpg', 1080, 1920), photo('wide.jpg', 1920, 1080), photo('tiny.jpg', 400, 600)]);
});
afterAll(() => dir.cleanup());

describe('custom creators by name', () => {
  it('slugs are made from the name: ASCII, dashes, never empty', () => {
    expect(slugOf('Founder')).toBe('founder');
    expect(slugOf("Zoë's Café  (Paris)")).toBe('zoes-cafe-paris');
    expect(slugOf('日本')).toBe('creator');
  });

  it('add gives a unique slug (founder, founder-2; a stock slug is taken too), shown in output and the SLUG column', async () => {
    const first = await run(['creators', 'add', 'portrait.jpg', '--name', 'Founder']);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^cc_[0-9a-f]{12}\n$/);
    expect(first.stderr).toContain('use --creator founder');
    expect(first.stderr).not.toMatch(/warning/);
    const second = JSON.parse((await run(['creators', 'add', 'portrait.jpg', '--name', 'Founder', '--json'])).stdout) as { slug: string };
    expect(second.slug).toBe('founder-2');
    const mia = JSON.parse((await run(['creators', 'add', 'portrait.jpg', '--name', 'Mia', '--json'])).stdout) as { slug: string };
    expect(mia.slug).toBe('mia-2');
    const table = await run(['creators', '--include', 'custom']);
    expect(table.stdout).toMatch(/cc_[0-9a-f]{12}\s+founder\s+Founder/);
    expect(table.stdout).toMatch(/cc_[0-9a-f]{12}\s+founder-2\s+Founder/);
  });

  it('the slug is accepted wherever a creator id is: show, estimate, batch rows, generate, rm', async () => {
    expect(JSON.parse((await run(['creators', 'show', 'founder', '--json'])).stdout)).toMatchObject({ slug: 'founder', name: 'Founder', isCustom: true });
    const estimate = await run(['estimate', '--script', 'Hello from the founder.', '--creator', 'founder', '--json']);
    expect(estimate.code).toBe(0);
    await writeFile(join(dir.path, 'rows.csv'), 'name,script,creator\nfounder-ad,Hello from the founder.,founder\n');
    const plan = await run(['batch', 'rows.csv', '--dry-run', '--json']);
    expect(plan.code).toBe(0);
    expect(JSON.parse(plan.stdout)).toMatchObject({ jobs: [{ creator: 'founder' }] });
    const ad = await ugcProcess(['generate', '--script', 'Hi, I made this.', '--creator', 'founder', '--out', 'founder.mp4', '--json'], { cwd: dir.path, env });
    expect(ad.code).toBe(0);
    expect(JSON.parse(ad.stdout)).toMatchObject({ status: 'completed', request: { creator: 'founder' }, output: { path: join(dir.path, 'founder.mp4') } });
    expect((await run(['creators', 'rm', 'founder-2'])).code).toBe(0);
    expect((await run(['creators', 'show', 'founder-2'])).code).toBe(2);
    expect((await run(['creators', 'show', 'founder'])).code).toBe(0);
  });

  it('warns when a photo is landscape or too small, saying its size and what is recommended (it is still added)', async () => {
    const wide = await run(['creators', 'add', 'wide.jpg', '--name', 'Wide One']);
    expect(wide.code).toBe(0);
    expect(wide.stderr).toMatch(/warning: wide\.jpg is landscape \(1920x1080\): a 9:16 ad shows only its middle 32%\. A portrait photo \(1080x1920\) fills the frame\./);
    const tiny = await run(['creators', 'add', 'tiny.jpg', '--name', 'Tiny One']);
    expect(tiny.code).toBe(0);
    expect(tiny.stderr).toMatch(/warning: tiny\.jpg is small \(400x600\): .* At least 720x1280 is recommended, 1080x1920 best\./);
    expect(tiny.stderr).not.toMatch(/landscape/);
  });
});

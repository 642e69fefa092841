import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Manifest } from '../src/batch/manifest.js';
import { MATRIX_COLUMNS, parseRowsFile, validateRows } from '../src/batch/rows.js';
import { REQUEST_FIELDS } from '../src/core/request.js';
import { loadRowsIn, writeIn } from './rows-files.js';
import { tempDir, ugc } from './support.js';

let dir: { path: string; cleanup: () => Promise<void> };
let env: Record<string, string>;

beforeAll(async () => {
  dir = await tempDir('ugc-matrix-');
  env = { UGC_CONFIG_DIR: join(dir.path, 'config') };
  await mkdir(join(dir.path, 'ads'), { recursive: true });
});
afterAll(() => dir.cleanup());

const write = (name: string, text: string) => writeIn(dir.path, name, text);
const load = (name: string, text: string) => loadRowsIn(dir.path, name, text);

const TESTIMONIAL = 'resolution: 720p\nscenes:\n  - creator: mia\n    script: I tried Glow Serum for a week.\n  - creator: leo\n    script: My skin has never looked better.\n';

describe('A/B variants in hook, script and cta columns', () => {
  it('expands script and cta variants as a matrix, each job named by its parts', async () => {
    const { jobs, errors } = await load('ab.csv', 'name,script,cta,creator\nglow,Hook one. Buy it.|Hook two. Love it.,Shop now|Try it today|Tap the link,mia|leo\n');
    expect(errors).toEqual([]);
    expect(jobs.map((j) => j.name)).toEqual([
      'glow-s1-c1-mia', 'glow-s1-c1-leo', 'glow-s1-c2-mia', 'glow-s1-c2-leo', 'glow-s1-c3-mia', 'glow-s1-c3-leo',
      'glow-s2-c1-mia', 'glow-s2-c1-leo', 'glow-s2-c2-mia', 'glow-s2-c2-leo', 'glow-s2-c3-mia', 'glow-s2-c3-leo',
    ]);
    const job = jobs.find((j) => j.name === 'glow-s2-c3-leo');
    expect(job?.request).toMatchObject({ script: 'Hook two. Love it.', cta: 'Tap the link', creator: 'leo' });
    expect(job?.combination).toEqual({ script: 'Hook two. Love it.', cta: 'Tap the link', creator: 'leo' });
    expect(new Set(jobs.map((j) => j.key)).size).toBe(12);
  });

  it('names every text column that is in the request table by its letter (hook joins when the field exists)', async () => {
    const letters = { hook: 'h', script: 's', cta: 'c' } as const;
    const present = (Object.keys(letters) as (keyof typeof letters)[]).filter((field) => field in REQUEST_FIELDS);
    expect(present).toEqual(expect.arrayContaining(['script', 'cta']));
    for (const field of present) {
      expect(MATRIX_COLUMNS).toContain(field);
      const { jobs, errors } = await load(`${field}.csv`, `name,script,${field === 'script' ? 'creator' : field}\nad,${field === 'script' ? 'One.|Two.,mia' : `Hello.,A|B`}\n`);
      expect(errors).toEqual([]);
      expect(jobs.map((j) => j.name)).toEqual([`ad-${letters[field]}1`, `ad-${letters[field]}2`]);
    }
  });

  it('keeps a script without | one job, and the same variant twice one variant', async () => {
    const { jobs } = await load('one.csv', 'name,script\nad,Only one.\nad2,Same.|Same.\n');
    expect(jobs.map((j) => j.name)).toEqual(['ad', 'ad2']);
  });
});

describe('a row that points at a spec file', () => {
  it('takes the spec (relative to the rows file) with its cells on top; a script column replaces its scenes', async () => {
    await write('rows/specs/glow.yaml', TESTIMONIAL);
    const { jobs, errors } = await load('rows/spec.csv', 'name,spec,aspect,script\nglow,specs/glow.yaml,1:1,\nsolo,specs/glow.yaml,,Just me.|Just us.\n');
    expect(errors).toEqual([]);
    expect(jobs.map((j) => j.name)).toEqual(['glow', 'solo-s1', 'solo-s2']);
    expect(jobs[0]?.spec).toBe('specs/glow.yaml');
    expect(jobs[0]?.request).toMatchObject({ aspect: '1:1', resolution: '720p', script: 'I tried Glow Serum for a week. My skin has never looked better.' });
    expect(jobs[0]?.request.scenes?.map((s) => s.creator)).toEqual(['mia', 'leo']);
    expect(jobs[1]?.request).toMatchObject({ script: 'Just me.', resolution: '720p' });
    expect(jobs[1]?.request.scenes).toBeUndefined();
  });

  it('keys a row with a spec by its content: the same folder moved elsewhere gives the same keys, another shot another key', async () => {
    const spec = 'scenes:\n  - creator: mia\n    script: Hi.\n  - image: leo.png\n    script: There.\n    broll: shot.png\n';
    for (const file of ['here/shot.png', 'here/leo.png', 'there/shot.png', 'there/leo.png', 'other/other.png', 'other/leo.png']) await write(file, 'png');
    await write('here/ad.yaml', spec);
    await write('there/ad.yaml', spec);
    await write('other/ad.yaml', spec.replace('shot.png', 'other.png'));
    const rows = 'name,spec\nad,ad.yaml\n';
    const here = await load('here/rows.csv', rows);
    const there = await load('there/rows.csv', rows);
    const other = await load('other/rows.csv', rows);
    expect(here.jobs[0]?.request.scenes?.[1]?.broll).toEqual([join(dir.path, 'here', 'shot.png')]);
    expect(there.jobs[0]?.key).toBe(here.jobs[0]?.key);
    expect(other.jobs[0]?.key).not.toBe(here.jobs[0]?.key);
  });

  it("says which row's spec is wrong, and where in it", async () => {
    await write('rows/specs/bad.yaml', 'script: Hello.\naspect: "4:3"\n');
    await write('rows/specs/typo.yaml', 'script: Hello.\nvoise: x\n');
    const { jobs, errors } = await load('rows/bad.csv', 'name,spec\na,specs/bad.yaml\nb,specs/none.yaml\nc,specs/typo.yaml\n');
    expect(jobs).toEqual([]);
    expect(errors.map((e) => [e.row, e.field, e.message])).toEqual([
      [1, 'spec', 'specs/bad.yaml: aspect: must be one of 9:16, 16:9, 1:1 (got "4:3")'],
      [2, 'spec', 'cannot read the spec file specs/none.yaml (no such file)'],
      [3, 'spec', expect.stringMatching(/^specs\/typo\.yaml: unknown field "voise"/)],
    ]);
  });

  it('reports an unknown creator in a scene of a row\'s spec by row, spec and scene (exit 2, nothing rendered)', async () => {
    await write('ads/maxx.yaml', 'scenes:\n  - creator: mia\n    script: Hi.\n  - creator: maxx\n    script: There.\n');
    await write('ads/rows.csv', 'name,spec\nad,maxx.yaml\n');
    const result = await ugc(['batch', 'ads/rows.csv', '--out', 'out-bad'], { cwd: dir.path, env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('row 1, spec: maxx.yaml: scenes[1].creator: unknown creator "maxx"');
  });

  it('renders a two-creator spec from a batch row, named in the manifest', async () => {
    await write('ads/two.yaml', TESTIMONIAL);
    await write('ads/two.csv', 'name,spec\ntestimonial,two.yaml\n');
    const result = await ugc(['batch', 'ads/two.csv', '--out', 'out'], { cwd: dir.path, env });
    expect(result.code).toBe(0);
    const manifest = await Manifest.load(join(dir.path, 'out'));
    const [entry] = Object.values(manifest?.entries ?? {});
    expect(entry).toMatchObject({ name: 'testimonial', state: 'completed', outputPath: join(dir.path, 'out', 'testimonial.mp4') });
  }, 120_000);
});

describe('the examples in docs/examples', () => {
  it('are a valid testimonial spec and an A/B rows file that points at it', async () => {
    const path = new URL('../docs/examples/ab-test.csv', import.meta.url).pathname;
    const { jobs, errors } = validateRows(await parseRowsFile(path), { cwd: dirname(path) });
    expect(errors).toEqual([]);
    expect(jobs.map((j) => j.name)).toEqual(['glow-c1', 'glow-c2', 'serum-ab-s1-mia', 'serum-ab-s1-leo', 'serum-ab-s2-mia', 'serum-ab-s2-leo']);
    expect(jobs[0]?.request.scenes?.map((s) => s.creator)).toEqual(['mia', 'leo', 'mia']);
    expect(jobs[1]?.request).toMatchObject({ cta: 'Try it today', productName: 'Glow Serum' });
  });
});

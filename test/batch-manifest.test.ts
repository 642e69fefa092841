import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Manifest, MANIFEST_FILE, type ManifestFile } from '../src/batch/manifest.js';
import { tempDir } from './support.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
let dir: { path: string; cleanup: () => Promise<void> };
/** manifest.ts and what it imports, compiled on their own (inside the project, so `zod` resolves from node_modules). */
let built: string;

beforeAll(async () => {
  dir = await tempDir('ugc-batch-manifest-');
  built = join(ROOT, 'node_modules', '.cache', `ugc-test-manifest-${process.pid}`);
  await execa(process.execPath, [
    join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
    '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022', '--strict', '--skipLibCheck',
    '--rootDir', join(ROOT, 'src'), '--outDir', built,
    join(ROOT, 'src', 'batch', 'manifest.ts'),
  ], { cwd: ROOT });
});
afterAll(async () => {
  await dir.cleanup();
  await rm(built, { recursive: true, force: true });
});

const readManifest = async (outDir: string) => JSON.parse(await readFile(join(outDir, MANIFEST_FILE), 'utf8')) as ManifestFile;

describe('batch manifest', () => {
  it('creates, updates and reopens', async () => {
    const out = join(dir.path, 'basic');
    const manifest = await Manifest.open(out, { rowsFile: join(dir.path, 'rows.csv'), totalJobs: 2 });
    await manifest.register([
      { key: 'k1', row: 1, name: 'one', provider: 'local' },
      { key: 'k2', row: 2, name: 'two', provider: 'local' },
    ]);
    const submitted = await manifest.update('k1', { state: 'submitted', jobId: 'job_1', outputPath: join(out, 'one.mp4') });
    expect(submitted).toMatchObject({ key: 'k1', row: 1, name: 'one', state: 'submitted', jobId: 'job_1', attempts: 1, error: null });
    expect(submitted.submittedAt).not.toBeNull();
    await manifest.update('k2', { state: 'failed', error: { code: 'render_failed', message: 'boom' } });

    const reopened = await Manifest.open(out, { rowsFile: join(dir.path, 'rows.csv'), totalJobs: 2 });
    expect(await reopened.get('k1')).toMatchObject({ state: 'submitted', jobId: 'job_1' });
    expect(await reopened.get('missing')).toBeNull();
    const retried = await reopened.update('k2', (current) => (current?.state === 'failed' ? { state: 'submitted' } : null));
    expect(retried).toMatchObject({ state: 'submitted', attempts: 1, error: null, finishedAt: null });
    const completed = await reopened.update('k2', { state: 'completed', remoteId: 'r-9' });
    expect(completed.finishedAt).not.toBeNull();
    expect((await reopened.entries()).map((e) => [e.key, e.state])).toEqual([['k1', 'submitted'], ['k2', 'completed']]);

    // Rows moved: same key, new row number; the entry keeps its state.
    await reopened.register([{ key: 'k1', row: 5, name: 'one', provider: 'local' }]);
    expect(await reopened.get('k1')).toMatchObject({ row: 5, state: 'submitted', jobId: 'job_1' });

    const file = await readManifest(out);
    expect(file).toMatchObject({ version: 1, rowsFile: join(dir.path, 'rows.csv'), rowsFiles: [join(dir.path, 'rows.csv')], totalJobs: 2 });
    expect(Object.keys(file.entries).sort()).toEqual(['k1', 'k2']);
    expect((await readdir(out)).sort()).toEqual([MANIFEST_FILE]);
  });

  it('keeps the entries when another rows file runs into the same directory, and records both', async () => {
    const out = join(dir.path, 'two-files');
    const first = await Manifest.open(out, { rowsFile: join(dir.path, 'a.csv'), totalJobs: 1 });
    await first.update('k', { row: 1, name: 'a', state: 'completed', outputPath: join(out, 'a.mp4') });
    const second = await Manifest.open(out, { rowsFile: join(dir.path, 'b.csv'), totalJobs: 3 });
    expect(await second.get('k')).toMatchObject({ state: 'completed' });
    expect(await readManifest(out)).toMatchObject({ rowsFile: join(dir.path, 'b.csv'), rowsFiles: [join(dir.path, 'a.csv'), join(dir.path, 'b.csv')], totalJobs: 3 });
  });

  it('loses no update among many parallel updates in one process', async () => {
    const out = join(dir.path, 'parallel');
    const a = await Manifest.open(out, { rowsFile: 'rows.csv', totalJobs: 40 });
    const b = await Manifest.open(out, { rowsFile: 'rows.csv', totalJobs: 40 });
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).update(`k${i}`, { row: i + 1, name: `n${i}`, state: 'submitted' })).concat(
        Array.from({ length: 20 }, () => a.update('counter', (current) => ({ attempts: (current?.attempts ?? 0) + 1 }))),
        Array.from({ length: 20 }, () => b.update('counter', (current) => ({ attempts: (current?.attempts ?? 0) + 1 }))),
      ),
    );
    const entries = await a.entries();
    expect(entries).toHaveLength(41);
    expect(entries.find((e) => e.key === 'counter')?.attempts).toBe(40);
    expect(entries.filter((e) => e.state === 'submitted')).toHaveLength(40);
  });

  it('loses no update when several processes update at once', async () => {
    const out = join(dir.path, 'processes');
    const manifest = await Manifest.open(out, { rowsFile: 'rows.csv', totalJobs: 0 });
    const moduleUrl = new URL(`file://${join(built, 'batch', 'manifest.js')}`).href;
    const worker = `
      const { Manifest } = await import(${JSON.stringify(moduleUrl)});
      const [outDir, id] = process.argv.slice(1);
      const manifest = await Manifest.open(outDir, { rowsFile: 'rows.csv', totalJobs: 0 });
      await Promise.all(Array.from({ length: 10 }, (_, i) => manifest.update(id + '-' + i, { state: 'submitted' })));
      for (let i = 0; i < 15; i++) await manifest.update('shared', (e) => ({ attempts: (e?.attempts ?? 0) + 1 }));`;
    await Promise.all(['p1', 'p2', 'p3', 'p4'].map((id) => execa(process.execPath, ['--input-type=module', '-e', worker, out, id])));
    const entries = await manifest.entries();
    expect(entries.find((e) => e.key === 'shared')?.attempts).toBe(60);
    expect(entries).toHaveLength(41);
    expect((await readdir(out)).sort()).toEqual([MANIFEST_FILE]);
  });

  it('isIntact: a completed entry whose output exists and is not empty', async () => {
    const out = join(dir.path, 'intact');
    const manifest = await Manifest.open(out, { rowsFile: 'rows.csv', totalJobs: 3 });
    await mkdir(out, { recursive: true });
    await writeFile(join(out, 'good.mp4'), 'video');
    await writeFile(join(out, 'empty.mp4'), '');
    const good = await manifest.update('good', { state: 'completed', outputPath: join(out, 'good.mp4') });
    const empty = await manifest.update('empty', { state: 'completed', outputPath: join(out, 'empty.mp4') });
    const gone = await manifest.update('gone', { state: 'completed', outputPath: join(out, 'gone.mp4') });
    const pending = await manifest.update('pending', { outputPath: join(out, 'good.mp4') });
    expect(await manifest.isIntact(good)).toBe(true);
    expect(await manifest.isIntact(empty)).toBe(false);
    expect(await manifest.isIntact(gone)).toBe(false);
    expect(await manifest.isIntact(pending)).toBe(false);
  });

  it('says which file is broken when the manifest is not valid', async () => {
    const out = join(dir.path, 'broken');
    await mkdir(out, { recursive: true });
    await writeFile(join(out, MANIFEST_FILE), '{"version": 1, "entr');
    await expect(Manifest.open(out, { rowsFile: 'rows.csv', totalJobs: 0 })).rejects.toThrow(/ugc-batch\.json is not valid/);
  });
});

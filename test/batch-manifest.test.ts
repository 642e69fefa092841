import { appendFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOURNAL_FILE, Manifest, MANIFEST_FILE, type ManifestFile } from '../src/batch/manifest.js';
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

/** The manifest as a fresh reader sees it (snapshot and journal). */
const readManifest = async (outDir: string) => (await Manifest.load(outDir)) as ManifestFile;

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
    expect((await readdir(out)).sort()).toEqual([MANIFEST_FILE, JOURNAL_FILE].sort());
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
    expect((await readdir(out)).sort()).toEqual([MANIFEST_FILE, JOURNAL_FILE].sort());
  });

  it('a row update appends one journal line and never rewrites the snapshot, however big the batch', async () => {
    const out = join(dir.path, 'big');
    const manifest = await Manifest.open(out, { rowsFile: 'rows.csv', totalJobs: 20_000 });
    await manifest.register(Array.from({ length: 20_000 }, (_, i) => ({ key: `k${i}`, row: i + 1, name: `ad-${i}`, provider: 'local' })));
    const before = { snapshot: await stat(join(out, MANIFEST_FILE)), journal: await stat(join(out, JOURNAL_FILE)) };
    await manifest.update('k19999', { state: 'submitted', jobId: 'job_x' });
    await manifest.update('k19999', { state: 'completed', outputPath: join(out, 'ad-19999.mp4') });
    const after = { snapshot: await stat(join(out, MANIFEST_FILE)), journal: await stat(join(out, JOURNAL_FILE)) };
    expect([after.snapshot.ino, after.snapshot.size, after.snapshot.mtimeMs]).toEqual([before.snapshot.ino, before.snapshot.size, before.snapshot.mtimeMs]);
    expect(after.journal.size - before.journal.size).toBeLessThan(2 * 1024);
    expect((await readManifest(out)).entries.k19999).toMatchObject({ state: 'completed', jobId: 'job_x', attempts: 1 });

    // Opening folds the journal into the snapshot: the journal is back to its one header line.
    const reopened = await Manifest.open(out, { rowsFile: 'rows.csv', totalJobs: 20_000 });
    expect((await readFile(join(out, JOURNAL_FILE), 'utf8')).trim().split('\n')).toHaveLength(1);
    const snapshot = JSON.parse(await readFile(join(out, MANIFEST_FILE), 'utf8')) as ManifestFile;
    expect(Object.keys(snapshot.entries)).toHaveLength(20_000);
    expect(snapshot.entries.k19999).toMatchObject({ state: 'completed' });
    expect(await reopened.get('k0')).toMatchObject({ state: 'pending', name: 'ad-0' });
  });

  it('sees changes made through another instance, also after that one compacted the manifest', async () => {
    const out = join(dir.path, 'two-views');
    const a = await Manifest.open(out, { rowsFile: 'rows.csv', totalJobs: 3 });
    await a.update('k1', { state: 'submitted' });
    const b = await Manifest.open(out, { rowsFile: 'rows.csv', totalJobs: 3 });
    expect(await b.get('k1')).toMatchObject({ state: 'submitted' });
    await a.update('k2', { state: 'failed', error: { code: 'x', message: 'boom' } });
    await b.update('k3', { state: 'completed' });
    expect(await b.get('k2')).toMatchObject({ state: 'failed' });
    expect(await a.get('k3')).toMatchObject({ state: 'completed' });
    expect(await (await Manifest.attach(out))?.entries()).toHaveLength(3);
    expect(await Manifest.attach(join(dir.path, 'no-batch-here'))).toBeNull();
  });

  it('a journal line torn by a crash loses only itself; a compaction cut short loses nothing', async () => {
    const out = join(dir.path, 'torn');
    const manifest = await Manifest.open(out, { rowsFile: 'rows.csv', totalJobs: 2 });
    await manifest.update('k1', { state: 'submitted' });
    await appendFile(join(out, JOURNAL_FILE), '{"entry":{"key":"k1","sta');
    const other = await Manifest.attach(out);
    await other?.update('k2', { state: 'completed' });
    expect((await readManifest(out)).entries).toMatchObject({ k1: { state: 'submitted' }, k2: { state: 'completed' } });

    // A new snapshot was written but the old journal (already folded into it) was not replaced yet.
    const journal = await readFile(join(out, JOURNAL_FILE));
    await Manifest.open(out, { rowsFile: 'rows.csv', totalJobs: 2 });
    await writeFile(join(out, JOURNAL_FILE), journal);
    const after = await Manifest.attach(out);
    expect(await after?.entries()).toMatchObject([{ key: 'k1', state: 'submitted', attempts: 1 }, { key: 'k2', state: 'completed' }]);
    await after?.update('k1', { state: 'completed' });
    expect((await readManifest(out)).entries).toMatchObject({ k1: { state: 'completed', attempts: 1 }, k2: { state: 'completed' } });
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

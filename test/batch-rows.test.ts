import { chmod } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatRowErrors, parseCsv, parseRowsFile, rowErrorFor, validateRows, type RawRow } from '../src/batch/rows.js';
import { UsageError } from '../src/core/errors.js';
import { InputError } from '../src/core/request.js';
import { loadRowsIn, writeIn } from './rows-files.js';
import { tempDir } from './support.js';

let dir: { path: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  dir = await tempDir('ugc-batch-rows-');
});
afterAll(() => dir.cleanup());

const write = (name: string, text: string) => writeIn(dir.path, name, text);
const load = (name: string, text: string) => loadRowsIn(dir.path, name, text);

describe('CSV parsing', () => {
  it('reads quoted commas, "" escapes and line breaks inside quotes', async () => {
    const path = await write('quoted.csv', 'name,script,creator\nfirst,"Hello, world. She said ""wow"".\nSecond line.",mia\nsecond,plain,leo\n');
    const rows = await parseRowsFile(path);
    expect(rows).toEqual([
      { row: 1, line: 2, fields: { name: 'first', script: 'Hello, world. She said "wow".\nSecond line.', creator: 'mia' } },
      { row: 2, line: 4, fields: { name: 'second', script: 'plain', creator: 'leo' } },
    ]);
  });

  it('reads CRLF line ends, a BOM, no trailing newline, and skips blank lines', async () => {
    const path = await write('crlf.csv', '\ufeffname,script\r\n\r\na,"one,\r\ntwo"\r\n,\r\nb,three');
    const rows = await parseRowsFile(path);
    expect(rows.map((r) => [r.row, r.line, r.fields])).toEqual([
      [1, 3, { name: 'a', script: 'one,\r\ntwo' }],
      [2, 6, { name: 'b', script: 'three' }],
    ]);
    // CRLF inside a value is normalised, so the same sheet saved with LF gives the same key.
    const lf = await write('lf.csv', 'name,script\na,"one,\ntwo"\nb,three\n');
    const a = validateRows(rows, { cwd: dir.path });
    const b = validateRows(await parseRowsFile(lf), { cwd: dir.path });
    expect(a.errors).toEqual([]);
    expect(a.jobs.map((j) => j.key)).toEqual(b.jobs.map((j) => j.key));
  });

  it('names the line of a row with more or fewer fields than the header', async () => {
    const path = await write('ragged.csv', 'name,script\na,"x\ny"\nb,one,extra\nc\n');
    const error = await parseRowsFile(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(/line 4 has 3 fields, line 5 has 1 fields, but the header has 2/);
  });

  it('rejects an unclosed quote and text after a closing quote, naming the line', () => {
    expect(() => parseCsv('a,b\n1,"open\n', 'x.csv')).toThrow(/x\.csv line 2: a quoted field is never closed/);
    expect(() => parseCsv('a,b\n1,"q"x\n', 'x.csv')).toThrow(/x\.csv line 2: unexpected text after a closing quote/);
  });
});

describe('JSON Lines and JSON', () => {
  it('reads one object per line, skipping blank lines, and names a bad line', async () => {
    const path = await write('rows.jsonl', '{"name":"a","script":"one","duration":12}\n\n{"name":"b","script":"two","param":{"seed":7}}\n');
    const rows = await parseRowsFile(path);
    expect(rows).toEqual([
      { row: 1, line: 1, fields: { name: 'a', script: 'one', duration: 12 } },
      { row: 2, line: 3, fields: { name: 'b', script: 'two', param: { seed: 7 } } },
    ]);
    const { jobs, errors } = validateRows(rows, { cwd: dir.path });
    expect(errors).toEqual([]);
    expect(jobs[0]?.request.durationSeconds).toBe(12);
    expect(jobs[1]?.request.params).toEqual({ seed: '7' });
    const bad = await write('bad.jsonl', '{"script":"ok"}\n{"script": oops}\n');
    await expect(parseRowsFile(bad)).rejects.toThrow(/bad\.jsonl line 2: not valid JSON/);
  });

  it('reads an array of objects', async () => {
    const path = await write('rows.json', JSON.stringify([{ script: 'one', creator: 'ava' }, { script: 'two', param: 'a=1;b=x y' }]));
    const rows = await parseRowsFile(path);
    expect(rows).toEqual([
      { row: 1, fields: { script: 'one', creator: 'ava' } },
      { row: 2, fields: { script: 'two', param: 'a=1;b=x y' } },
    ]);
    const { jobs } = validateRows(rows, { cwd: dir.path });
    expect(jobs.map((j) => j.name)).toEqual(['row-1', 'row-2']);
    expect(jobs[1]?.request.params).toEqual({ a: '1', b: 'x y' });
    await expect(parseRowsFile(await write('obj.json', '{"script":"x"}'))).rejects.toThrow(/JSON array/);
  });

  it('refuses other extensions and empty files', async () => {
    await expect(parseRowsFile(await write('rows.txt', 'x'))).rejects.toThrow(/\.csv, \.jsonl or \.json/);
    await expect(parseRowsFile(await write('empty.csv', 'name,script\n\n'))).rejects.toThrow(/has no rows/);
  });
});

describe('matrix rows and keys', () => {
  it('expands 2 creators x 2 aspects into 4 jobs with unique names and distinct keys', async () => {
    const { jobs, errors } = await load('matrix.csv', 'name,script,creator,aspect\nglow,Try it.,mia|leo,9:16|1:1\n,Plain one.,ava,\n');
    expect(errors).toEqual([]);
    expect(jobs.map((j) => [j.row, j.name, j.request.creator, j.request.aspect])).toEqual([
      [1, 'glow-mia-9x16', 'mia', '9:16'],
      [1, 'glow-mia-1x1', 'mia', '1:1'],
      [1, 'glow-leo-9x16', 'leo', '9:16'],
      [1, 'glow-leo-1x1', 'leo', '1:1'],
      [2, 'row-2', 'ava', '9:16'],
    ]);
    expect(jobs[1]?.combination).toEqual({ creator: 'mia', aspect: '1:1' });
    expect(jobs[4]?.combination).toEqual({});
    expect(new Set(jobs.map((j) => j.key)).size).toBe(5);
    expect(jobs.every((j) => j.request.idempotencyKey === j.key)).toBe(true);
    expect(jobs[0]?.key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

    const unnamed = await load('matrix2.csv', 'script,creator,captions\nHi.,noah,clean|none\n');
    expect(unnamed.jobs.map((j) => j.name)).toEqual(['row-1-clean', 'row-1-none']);
  });

  it('gives the same keys on every parse and a new key when any field changes', async () => {
    const text = 'name,script,creator,cta,param\nad,"Hello, there.",mia,Shop now,b=2;a=1\nad2,Other.,leo,,\n';
    const first = await load('stable.csv', text);
    const second = await load('stable.csv', text);
    expect(first.jobs.map((j) => j.key)).toEqual(second.jobs.map((j) => j.key));
    // Column order and param order do not matter; values do.
    const reordered = await load('stable.csv', 'param,cta,creator,script,name\na=1;b=2,Shop now,mia,"Hello, there.",ad\n');
    expect(reordered.jobs[0]?.key).toBe(first.jobs[0]?.key);
    const changed = await load('stable.csv', text.replace('Shop now', 'Buy now'));
    expect(changed.jobs[0]?.key).not.toBe(first.jobs[0]?.key);
    expect(changed.jobs[1]?.key).toBe(first.jobs[1]?.key);
    const renamed = await load('stable.csv', text.replace('ad,', 'ad-x,'));
    expect(renamed.jobs[0]?.key).not.toBe(first.jobs[0]?.key);
    // Another provider whose rules these rows meet (a script and a creator); vidgen's would refuse them (no image, no audio).
    const other = validateRows(await parseRowsFile(join(dir.path, 'stable.csv')), { cwd: dir.path, defaults: { provider: 'ultimatecreator' } });
    expect(other.jobs[0]?.provider).toBe('ultimatecreator');
    expect(other.jobs[0]?.key).not.toBe(first.jobs[0]?.key);
  });
});

describe('validation', () => {
  it('collects every error with its row and field', async () => {
    await write('media/me.png', 'png');
    const csv = [
      'name,script,creator,aspect,image,colour,duration',
      'one,Fine.,mia,9:16,,red,',
      'two,,mia,4:5,,,',
      'three,Fine.,,9:16,media/missing.png,,abc',
      'one,Duplicate name.,leo,1:1,,,',
      'five,"Both creator and image.",mia,,media/me.png,,',
      'six,Fine too.,ava,,media/me.png,,',
    ].join('\n');
    const { jobs, errors } = await load('bad.csv', csv);
    const missing = resolve(dir.path, 'media/missing.png');
    expect(errors.map((e) => [e.row, e.field])).toEqual([
      [1, 'colour'],
      [2, 'script'],
      [2, 'aspect'],
      [3, 'image'],
      [3, 'duration'],
      [4, 'name'],
      [5, 'creator'],
      [6, 'creator'],
    ]);
    expect(errors.find((e) => e.field === 'image')?.message).toBe(`no such file ${missing}`);
    expect(errors.find((e) => e.field === 'aspect')?.message).toBe('must be one of 9:16, 16:9, 1:1 (got "4:5")');
    expect(errors.find((e) => e.field === 'name')?.message).toBe('the output name "one" is already used by row 1');
    expect(jobs).toEqual([]);
    const text = formatRowErrors(errors);
    expect(text.split('\n')).toHaveLength(errors.length);
    expect(text).toContain('row 2, script: the script is empty');
    expect(text).toContain('row 1, colour: unknown column "colour"');
  });

  it('keeps the valid rows as jobs when others fail', async () => {
    const { jobs, errors } = await load('mixed.csv', 'name,script,captions\nok,Fine.,clean\nbad,Fine.,loud\n');
    expect(errors).toEqual([{ row: 2, line: 3, field: 'captions', message: 'must be one of karaoke, box, pop, clean, none (got "loud")' }]);
    expect(jobs.map((j) => j.name)).toEqual(['ok']);
  });

  it('resolves files and script files against the rows file directory, not the process', async () => {
    await write('nested/assets/face.png', 'png');
    await write('nested/assets/bed.mp3', 'mp3');
    await write('nested/ad.txt', 'Read from a file.\r\n');
    const path = await write('nested/rows.csv', 'name,script-file,image,music,product-image\nfile,ad.txt,assets/face.png,./assets/bed.mp3,https://cdn.example.com/p.jpg\n');
    const rows = await parseRowsFile(path);
    const { jobs, errors } = validateRows(rows, { cwd: dirname(path) });
    expect(errors).toEqual([]);
    expect(jobs[0]?.request).toMatchObject({
      script: 'Read from a file.',
      image: join(dir.path, 'nested/assets/face.png'),
      music: join(dir.path, 'nested/assets/bed.mp3'),
      productImage: 'https://cdn.example.com/p.jpg',
    });
    const elsewhere = validateRows(rows, { cwd: dir.path });
    expect(elsewhere.errors.map((e) => e.field)).toEqual(['script-file', 'image', 'music']);
  });

  it('reports an unreadable file', async () => {
    if (process.getuid?.() === 0) return; // root reads everything
    const path = await write('locked/secret.png', 'png');
    await chmod(path, 0o000);
    const { errors } = await load('locked/rows.csv', 'script,image\nHi.,secret.png\n');
    expect(errors).toEqual([{ row: 1, line: 2, field: 'image', message: `cannot read ${path} (EACCES)` }]);
  });

  it('checks param, provider, name and duplicate idempotency keys', async () => {
    const rows: RawRow[] = [
      { row: 1, fields: { script: 'a', param: '{"seed": ' } },
      { row: 2, fields: { script: 'b', param: 'novalue' } },
      { row: 3, fields: { script: 'c', provider: 'acme' } },
      { row: 4, fields: { script: 'd', name: '../escape' } },
      { row: 5, fields: { script: 'e', 'idempotency-key': 'k1' } },
      { row: 6, fields: { script: 'f', idempotencyKey: 'k1' } },
      { row: 7, fields: { script: 'g', duration: 900 } },
    ];
    const { errors } = validateRows(rows, { cwd: dir.path });
    expect(errors.map((e) => [e.row, e.field])).toEqual([
      [1, 'param'],
      [2, 'param'],
      [3, 'provider'],
      [4, 'name'],
      [6, 'idempotency-key'],
      [7, 'duration'],
    ]);
  });

  it('accepts the sample batch file', async () => {
    const path = new URL('../templates/batch-sample.csv', import.meta.url).pathname;
    const rows = await parseRowsFile(path);
    const { jobs, errors } = validateRows(rows, { cwd: dirname(path), defaults: { provider: 'local' } });
    expect(errors).toEqual([]);
    expect(rows.length).toBeGreaterThanOrEqual(5);
    expect(jobs.length).toBe(rows.length + 3);
    expect(jobs.some((j) => j.request.script.includes('\n'))).toBe(true);
  });
});

describe('errors name their field from the issue, in column names', () => {
  it('checks each row against its provider\'s rules, each problem at its own column', async () => {
    await write('media/face.png', 'png');
    const rows: RawRow[] = [
      { row: 1, fields: { provider: 'vidgen', image: 'media/face.png' } },
      { row: 2, fields: { provider: 'ugen', script: 'Hi.', 'product-name': 'Acme', 'product-image': 'media/face.png' } },
      { row: 3, fields: { provider: 'unrealugc', script: 'Hi.', 'product-name': 'Acme', creator: 'mia', audio: 'media/face.png' } },
      { row: 4, fields: { provider: 'vidgen', image: 'media/face.png', audio: 'media/face.png' } },
    ];
    const { jobs, errors } = validateRows(rows, { cwd: dir.path });
    expect(errors).toEqual([
      { row: 1, field: 'audio', message: 'vidgen needs audio' },
      { row: 2, field: 'product-image', message: 'ugen takes product-image as a public URL (https://…), not a file' },
      { row: 3, field: 'audio', message: 'unrealugc does not take audio: it voices the script itself (pick a voice with voice)' },
    ]);
    // vidgen takes a photo and a voiceover, and no script.
    expect(jobs.map((j) => [j.row, j.request.script])).toEqual([[4, '']]);
  });

  it('a provider\'s own check reports the field of its issue, not a field guessed from its words', () => {
    const job = { row: 7, line: 8 };
    expect(rowErrorFor(job, new InputError({ field: 'creator', message: 'unknown creator "zed" (see {voice} too)' }))).toEqual({ row: 7, line: 8, field: 'creator', message: 'unknown creator "zed" (see voice too)' });
    expect(rowErrorFor(job, new InputError({ field: 'durationSeconds', message: '{} must be a number of seconds between 1 and 600' }))).toMatchObject({ field: 'duration', message: 'must be a number of seconds between 1 and 600' });
    expect(rowErrorFor(job, new Error('--image is mentioned but this is not an input error'))).toMatchObject({ field: 'row' });
  });
});


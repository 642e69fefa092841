import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inPty, plain, ugcLine } from './pty.js';
import { tempDir, ugc } from './support.js';

/** What a person sees in a terminal: driven through a real pseudo-terminal, keys typed as keys. */

let dir: { path: string; cleanup: () => Promise<void> };
let env: Record<string, string>;

beforeAll(async () => {
  dir = await tempDir('ugc-terminal-');
  env = { UGC_CONFIG_DIR: join(dir.path, 'config') };
});
afterAll(() => dir.cleanup());

const SCRIPT = 'I have been using this serum for two weeks and my skin is genuinely glowing now. You need to try it, honestly, it changed my whole routine and I will never go back.';

describe('generate in a terminal', () => {
  it('Ctrl-C while the progress bar shows stops the render: exit 130, one error line, no file', async () => {
    const result = await inPty(ugcLine(['generate', '--script', SCRIPT, '--creator', 'mia', '--out', 'stopped.mp4']), { cwd: dir.path, env, keys: '\x03', when: /encoding/ });
    const screen = plain(result.screen);
    expect(screen).toMatch(/Rendering {2}encoding {2}━+ +\d+% {2}\d+ s/);
    expect(screen).toContain('error: the render was interrupted; no output was written');
    expect(result.code).toBe(130);
    expect((await readdir(dir.path)).filter((name) => name.startsWith('stopped') || name.includes('.tmp'))).toEqual([]);
  });

  it('Ctrl-C as soon as the bar shows (its modules still loading) ends it too, and gives the cursor back', async () => {
    const result = await inPty(ugcLine(['generate', '--script', SCRIPT, '--creator', 'mia', '--out', 'early.mp4']), { cwd: dir.path, env, keys: '\x03', when: /Starting/ });
    expect(result.code).toBe(130);
    expect(result.screen.lastIndexOf('\x1b[?25h')).toBeGreaterThan(result.screen.lastIndexOf('\x1b[?25l'));
    expect((await readdir(dir.path)).filter((name) => name.startsWith('early'))).toEqual([]);
  });

  it('shows the bar at once, with named stages and an ETA, and ends with a one-line summary', async () => {
    const result = await inPty(ugcLine(['generate', '--script', 'Short and sweet: this bottle keeps coffee hot all day.', '--creator', 'leo', '--out', 'ads/short.mp4']), { cwd: dir.path, env });
    expect(result.code).toBe(0);
    const screen = plain(result.screen);
    for (const stage of ['voice', 'lip-sync, captions', 'encoding']) expect(screen).toContain(`Rendering  ${stage}`);
    expect(screen).toMatch(/ETA \d+ s/);
    expect(screen).toMatch(/^ads\/short\.mp4$|\/ads\/short\.mp4$/m);
    expect(screen).toMatch(/^✓ \d+\.\d s 1080x1920 ad in \d+ s → ads\/short\.mp4$/m);
    expect(screen.split('\n').find((l) => l.trim())).toMatch(/^⠋ Starting/);
  });
});

describe('something on screen at once', () => {
  /** The quickest of a few starts: what the code costs, with the machine's momentary load mostly left out. */
  const quickest = async (command: string[]) => {
    const times: number[] = [];
    for (let i = 0; i < 3; i++) times.push((await inPty(command, { cwd: dir.path, env })).firstByteMs ?? Infinity);
    return Math.min(...times);
  };

  it('generate and batch show their bar within 200 ms of node starting, before their modules load', async () => {
    const rows = join(dir.path, 'first-byte.csv');
    await writeFile(rows, 'name,script,creator\nfirst,Hello there.,mia\n');
    // Measured against node printing one byte in the same terminal, so the terminal's and node's own start cancel out.
    const node = await quickest([process.execPath, '-e', 'process.stderr.write("x")']);
    const generate = await quickest(ugcLine(['generate', '--script', 'Hello there.', '--creator', 'nobody']));
    const batch = await quickest(ugcLine(['batch', rows, '--dry-run']));
    console.log(`time to first byte (quickest of 3): node ${node} ms, ugc generate ${generate} ms, ugc batch ${batch} ms`);
    expect(generate - node).toBeLessThan(200);
    expect(batch - node).toBeLessThan(200);
  });
});

describe('watch in a terminal', () => {
  it('Ctrl-C stops following (exit 130) and leaves the job running', async () => {
    const started = await ugc(['generate', '--script', SCRIPT, '--creator', 'mia', '--out', 'bg.mp4', '--no-wait'], { cwd: dir.path, env });
    expect(started.code).toBe(0);
    const id = started.stdout.trim();
    const result = await inPty(ugcLine(['watch', id]), { cwd: dir.path, env, keys: '\x03', when: /Watching job_\w+ {2}\w/ });
    expect(plain(result.screen)).toContain(`error: stopped following ${id}; it continues`);
    expect(result.code).toBe(130);
    await ugc(['cancel', id], { cwd: dir.path, env });
  });
});

describe('batch in a terminal', () => {
  it('shows the bar before the rows are read, and a table that is not garbled by it', async () => {
    const rows = join(dir.path, 'rows.csv');
    await writeFile(rows, 'name,script,creator\nfirst,Hello there.,mia\nsecond,Hi again.,leo\n');
    const result = await inPty(ugcLine(['batch', rows, '--dry-run']), { cwd: dir.path, env });
    expect(result.code).toBe(0);
    const screen = plain(result.screen);
    expect(screen.split('\n').find((l) => l.trim())).toMatch(/^⠋ Reading rows/);
    expect(screen).toMatch(/^ROW +NAME +PROVIDER/m);
    expect(screen).toMatch(/^1 +first +local +mia/m);
  });
});

describe('tables', () => {
  it('are borderless, headed by the JSON names; on a terminal statuses are coloured and times relative', async () => {
    const tty = await inPty(ugcLine(['jobs']), { cwd: dir.path, env });
    expect(tty.code).toBe(0);
    const lines = plain(tty.screen).split('\n').filter((l) => l.trim());
    expect(lines[0]).toMatch(/^ID +PROVIDER +STATUS +PROGRESS +CREATED AT +OUTPUT$/);
    expect(tty.screen).toContain('\x1b[32mcompleted');
    expect(tty.screen).toContain('\x1b[33mcancelled');
    expect(lines.find((l) => l.includes('completed'))).toMatch(/ (just now|\d+ min ago) +ads\/short\.mp4$/);
    expect(plain(tty.screen)).not.toMatch(/[│┌─]/);
    // Off a terminal: no colour, the local date and time.
    const piped = await ugc(['jobs'], { cwd: dir.path, env });
    const row = piped.stdout.split('\n').find((l) => l.includes('completed')) as string;
    const created = new Date(JSON.parse((await ugc(['jobs', '--json', '--status', 'completed'], { cwd: dir.path, env })).stdout)[0].createdAt as string);
    const two = (n: number) => String(n).padStart(2, '0');
    expect(row).toContain(`${created.getFullYear()}-${two(created.getMonth() + 1)}-${two(created.getDate())} ${two(created.getHours())}:${two(created.getMinutes())}`);
    expect(piped.stdout).not.toContain('\x1b[');
    // The headers name what --json gives.
    const json = JSON.parse((await ugc(['jobs', '--json'], { cwd: dir.path, env })).stdout) as Record<string, unknown>[];
    for (const field of ['id', 'provider', 'status', 'progress', 'createdAt', 'output']) expect(json[0]).toHaveProperty(field);
  });
});

import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { SaxesParser } from 'saxes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { junitXml } from '../src/core/junit.js';
import { PLATFORMS, UPLOAD_SPECS, type Platform } from '../src/core/platforms.js';
import { isFaststart, readMp4Layout } from '../src/render/mp4-boxes.js';
import { CHECK_IDS, checkUpload, type CheckId, type CheckStatus, type VideoFacts } from '../src/render/preflight.js';
import { tempDir, tools, ugc } from './support.js';

/**
 * `ugc check`: our own ad passes; files spoiled in one way each (made from it with ffmpeg) fail exactly
 * the check for that way, as each platform's spec rates it; a file that is no video is exit 2.
 */

interface Report {
  file: string;
  platform: Platform;
  spec: string;
  ok: boolean;
  counts: Record<CheckStatus, number>;
  checks: { id: CheckId; status: CheckStatus; value: number | string | null; measured: string; limit: string }[];
}

let dir: { path: string; cleanup: () => Promise<void> };
let env: Record<string, string>;
const at = (name: string) => join(dir.path, name);

async function ffmpeg(args: string[]): Promise<void> {
  await execa((await tools()).ffmpeg.path, ['-v', 'error', '-y', '-nostdin', ...args]);
}

async function check(file: string, platform: Platform, extra: string[] = []): Promise<{ code: number; report: Report }> {
  const result = await ugc(['check', file, '--platform', platform, '--json', ...extra], { cwd: dir.path, env });
  expect(result.stderr).toBe('');
  return { code: result.code, report: JSON.parse(result.stdout) as Report };
}

const idsWith = (report: Report, status: CheckStatus) => report.checks.filter((c) => c.status === status).map((c) => c.id);
const statusOf = (report: Report, id: CheckId) => report.checks.find((c) => c.id === id)?.status;

beforeAll(async () => {
  dir = await tempDir('ugc-check-');
  env = { UGC_CONFIG_DIR: at('config') };
  const result = await ugc(['generate', '--script', 'Glow serum changed my skin in one week. Honestly, try it today!', '--duration', '10', '--out', 'ad.mp4'], { cwd: dir.path, env });
  expect(result.code).toBe(0);
  // Each spoiled copy changes one thing and copies the rest.
  const copyRest = ['-movflags', '+faststart'];
  await ffmpeg(['-i', at('ad.mp4'), '-c:v', 'mpeg4', '-q:v', '5', '-c:a', 'copy', ...copyRest, at('mpeg4.mp4')]);
  await ffmpeg(['-i', at('ad.mp4'), '-c:v', 'copy', '-c:a', 'libmp3lame', '-b:a', '128k', ...copyRest, at('mp3.mp4')]);
  await ffmpeg(['-i', at('ad.mp4'), '-vf', 'fps=15', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'copy', ...copyRest, at('15fps.mp4')]);
  await ffmpeg(['-i', at('ad.mp4'), '-vf', 'scale=960:540,setsar=1', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'copy', ...copyRest, at('landscape.mp4')]);
  await ffmpeg(['-stream_loop', '6', '-i', at('ad.mp4'), '-t', '70', '-c', 'copy', ...copyRest, at('70s.mp4')]);
  await ffmpeg(['-i', at('ad.mp4'), '-t', '4', '-c', 'copy', ...copyRest, at('4s.mp4')]);
  await ffmpeg(['-i', at('ad.mp4'), '-c:v', 'copy', '-af', 'volume=-20dB', '-c:a', 'aac', '-b:a', '128k', ...copyRest, at('quiet.mp4')]);
  await ffmpeg(['-i', at('ad.mp4'), '-c:v', 'copy', '-af', 'volume=12dB', '-c:a', 'aac', '-b:a', '128k', ...copyRest, at('loud.mp4')]);
  // Without +faststart ffmpeg writes the index (moov) after the media (mdat).
  await ffmpeg(['-i', at('ad.mp4'), '-c', 'copy', at('moov-last.mp4')]);
});
afterAll(() => dir.cleanup());

describe('ugc check on our own ad', () => {
  it.each(PLATFORMS)('passes for %s (exit 0); TikTok and generic warn only that its still picture is under TikTok Ads\' 516 kbps', async (platform) => {
    const { code, report } = await check('ad.mp4', platform);
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(idsWith(report, 'fail')).toEqual([]);
    expect(idsWith(report, 'skip')).toEqual([]);
    const expectedWarnings = UPLOAD_SPECS[platform].videoKbps.warnUnder ? ['bitrate'] : [];
    expect(idsWith(report, 'warn')).toEqual(expectedWarnings);
    expect(report.checks.find((c) => c.id === 'loudness')?.value).toBeCloseTo(-14, 0);
  });
});

/** For each spoiled file: the check it spoils, that check's verdict on each platform, and what else fails. */
const SPOILED: { file: string; what: string; id: CheckId; verdicts: Record<Platform, CheckStatus>; alsoFails?: CheckId[] }[] = [
  { file: 'mpeg4.mp4', what: 'MPEG-4 Part 2 video', id: 'video-codec', verdicts: { tiktok: 'fail', reels: 'fail', shorts: 'warn', generic: 'fail' } },
  { file: 'mp3.mp4', what: 'MP3 audio', id: 'audio-codec', verdicts: { tiktok: 'warn', reels: 'fail', shorts: 'warn', generic: 'fail' } },
  { file: '15fps.mp4', what: '15 fps', id: 'frame-rate', verdicts: { tiktok: 'fail', reels: 'fail', shorts: 'warn', generic: 'fail' } },
  { file: 'landscape.mp4', what: 'landscape 16:9', id: 'aspect', verdicts: { tiktok: 'warn', reels: 'warn', shorts: 'fail', generic: 'fail' } },
  { file: '70s.mp4', what: '70 seconds', id: 'length', verdicts: { tiktok: 'fail', reels: 'pass', shorts: 'pass', generic: 'fail' } },
  { file: '4s.mp4', what: '4 seconds', id: 'length', verdicts: { tiktok: 'fail', reels: 'pass', shorts: 'pass', generic: 'fail' } },
  { file: 'quiet.mp4', what: 'too quiet (-34 LUFS)', id: 'loudness', verdicts: { tiktok: 'fail', reels: 'fail', shorts: 'fail', generic: 'fail' } },
  { file: 'loud.mp4', what: 'too loud and clipping', id: 'loudness', verdicts: { tiktok: 'fail', reels: 'fail', shorts: 'fail', generic: 'fail' }, alsoFails: ['true-peak'] },
  { file: 'moov-last.mp4', what: 'moov at the end (no +faststart)', id: 'faststart', verdicts: { tiktok: 'warn', reels: 'fail', shorts: 'warn', generic: 'fail' } },
];

describe('ugc check on spoiled files', () => {
  it.each(SPOILED)('$file ($what) fails exactly $id where its platform refuses it', async ({ file, id, verdicts, alsoFails = [] }) => {
    for (const platform of PLATFORMS) {
      const { code, report } = await check(file, platform);
      const verdict = verdicts[platform];
      expect(statusOf(report, id), `${file} on ${platform}`).toBe(verdict);
      const fails = verdict === 'fail' ? [id, ...alsoFails] : [];
      expect(idsWith(report, 'fail'), `${file} on ${platform}`).toEqual(CHECK_IDS.filter((c) => fails.includes(c)));
      expect(code, `${file} on ${platform}`).toBe(fails.length ? 1 : 0);
      expect(report.ok).toBe(fails.length === 0);
    }
  });

  it('judges a phone video as it is shown: stored landscape with a 90° rotation is portrait', async () => {
    await ffmpeg(['-i', at('landscape.mp4'), '-c', 'copy', '-metadata:s:v:0', 'rotate=90', '-movflags', '+faststart', at('phone.mp4')]);
    const { report } = await check('phone.mp4', 'shorts');
    expect(report.checks.find((c) => c.id === 'aspect')).toMatchObject({ status: 'pass', measured: '9:16' });
    expect(report.checks.find((c) => c.id === 'resolution')).toMatchObject({ status: 'warn', measured: '540x960' });
  });

  it('says what it measured and the limit, one line per check, then the verdict', async () => {
    const result = await ugc(['check', 'moov-last.mp4', '--platform', 'reels'], { cwd: dir.path, env });
    expect(result.code).toBe(1);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(CHECK_IDS.length + 1);
    expect(lines.map((line) => line.split(/\s+/)[1])).toEqual([...CHECK_IDS, 'moov-last.mp4']);
    expect(lines[CHECK_IDS.indexOf('faststart')]).toMatch(/^fail\s+faststart\s+moov after mdat\s+moov before mdat/);
    expect(lines[CHECK_IDS.indexOf('frame-rate')]).toMatch(/^pass\s+frame-rate\s+30 fps\s+23 to 60 fps$/);
    expect(lines.at(-1)).toBe('FAILED: moov-last.mp4 for Instagram Reels (reels): 11 passed, 0 warned, 1 failed');
    const tiktok = await ugc(['check', '70s.mp4', '--platform', 'tiktok'], { cwd: dir.path, env });
    expect(tiktok.stdout).toMatch(/^fail\s+length\s+70\.0 s\s+5 to 60 s; 9 to 15 s suggested$/m);
  });

  it('--json: the file, platform, verdict, counts and every check with its value, measurement and limit', async () => {
    const { report } = await check('quiet.mp4', 'shorts');
    expect(Object.keys(report)).toEqual(['file', 'platform', 'spec', 'ok', 'counts', 'checks']);
    expect(report).toMatchObject({ file: at('quiet.mp4'), platform: 'shorts', spec: 'YouTube Shorts', ok: false, counts: { pass: 11, warn: 0, fail: 1, skip: 0 } });
    expect(report.checks.map((c) => c.id)).toEqual(CHECK_IDS);
    for (const c of report.checks) expect(Object.keys(c)).toEqual(['id', 'status', 'value', 'measured', 'limit']);
    const loudness = report.checks.find((c) => c.id === 'loudness');
    expect(loudness?.value).toBeLessThan(-30);
    expect(loudness?.limit).toBe('-15 to -13 LUFS (-17 to -11 LUFS warns)');
    expect(report.checks.find((c) => c.id === 'resolution')).toMatchObject({ status: 'pass', value: '1080x1920' });
    expect(report.checks.find((c) => c.id === 'file-size')?.value).toBe((await stat(at('quiet.mp4'))).size);
  });
});

interface ParsedCase {
  name: string;
  classname: string;
  failure: string | null;
  skipped: string | null;
  out: string;
}

/** Parses JUnit XML with a conforming XML parser (it throws on anything that is not well-formed XML). */
function parseJunit(xml: string): { suite: Record<string, string>; cases: ParsedCase[] } {
  const parser = new SaxesParser();
  let suite: Record<string, string> = {};
  const cases: ParsedCase[] = [];
  let inOut = false;
  parser.on('error', (error) => {
    throw error;
  });
  parser.on('opentag', (tag) => {
    const attributes = tag.attributes as Record<string, string>;
    if (tag.name === 'testsuite') suite = attributes;
    if (tag.name === 'testcase') cases.push({ name: attributes.name ?? '', classname: attributes.classname ?? '', failure: null, skipped: null, out: '' });
    const current = cases.at(-1);
    if (tag.name === 'failure' && current) current.failure = attributes.message ?? '';
    if (tag.name === 'skipped' && current) current.skipped = attributes.message ?? '';
    inOut = tag.name === 'system-out';
  });
  parser.on('text', (text) => {
    const current = cases.at(-1);
    if (inOut && current) current.out += text;
  });
  parser.on('closetag', () => {
    inOut = false;
  });
  parser.write(xml).close();
  return { suite, cases };
}

describe('ugc check --report', () => {
  it('writes a JUnit report that parses and lists each check; names with XML metacharacters survive', async () => {
    const name = 'a&b <"q\'> \u0001.mp4';
    await writeFile(at(name), await readFile(at('moov-last.mp4')));
    const result = await ugc(['check', name, '--platform', 'generic', '--report', 'junit.xml'], { cwd: dir.path, env });
    expect(result.code).toBe(1);
    const xml = await readFile(at('junit.xml'), 'utf8');
    const { suite, cases } = parseJunit(xml);
    expect(suite).toMatchObject({ name: 'a&b <"q\'> .mp4 for generic', tests: String(CHECK_IDS.length), failures: '1', skipped: '0' });
    expect(cases.map((c) => c.name)).toEqual(CHECK_IDS);
    expect(cases.every((c) => c.classname === 'ugc check generic')).toBe(true);
    expect(cases.filter((c) => c.failure !== null).map((c) => c.name)).toEqual(['faststart']);
    expect(cases.find((c) => c.name === 'faststart')?.failure).toBe('moov after mdat (limit: moov before mdat (fast start))');
    expect(cases.find((c) => c.name === 'bitrate')?.out).toMatch(/^warn: \d+ kbps video \(limit: at least 516 kbps advised/);
    expect(cases.find((c) => c.name === 'container')?.out).toBe('pass: mp4 (isom) (limit: mp4 or mov)');
  });

  it('marks checks that do not apply as skipped: loudness of a file with no audio', async () => {
    await ffmpeg(['-i', at('ad.mp4'), '-an', '-c', 'copy', '-movflags', '+faststart', at('silent-film.mp4')]);
    const result = await ugc(['check', 'silent-film.mp4', '--platform', 'reels', '--report', 'skipped.xml'], { cwd: dir.path, env });
    expect(result.code).toBe(0); // Reels takes a video without sound: a warning
    expect(result.stdout).toMatch(/^warn\s+audio-codec\s+no audio track/m);
    const { suite, cases } = parseJunit(await readFile(at('skipped.xml'), 'utf8'));
    expect(suite.skipped).toBe('2');
    expect(cases.filter((c) => c.skipped !== null).map((c) => c.name)).toEqual(['loudness', 'true-peak']);
    const tiktok = await check('silent-film.mp4', 'tiktok');
    expect(tiktok.code).toBe(1); // TikTok in-feed ads require audio
    expect(idsWith(tiktok.report, 'fail')).toEqual(['audio-codec']);
  });

  it('refuses a report path in a missing directory before measuring anything (exit 2)', async () => {
    const result = await ugc(['check', 'ad.mp4', '--report', 'no/such/dir/junit.xml'], { cwd: dir.path, env });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^error: cannot write the report .*junit\.xml: .* is not a writable directory\n/);
  });
});

describe('ugc check on what is not a video', () => {
  it.each([
    ['a text file named .mp4', 'notes.mp4', async (path: string) => writeFile(path, 'these are my notes, not a video\n'), 'notes.mp4 is not a video: ffprobe cannot read it as media'],
    ['an image', 'photo.mp4', async (path: string) => ffmpeg(['-f', 'lavfi', '-i', 'color=c=red:s=320x240', '-frames:v', '1', '-f', 'image2', '-c:v', 'png', path]), 'photo.mp4 is an image, not a video'],
    ['audio alone', 'voice.m4a', async (path: string) => ffmpeg(['-i', at('ad.mp4'), '-vn', '-c:a', 'copy', path]), 'voice.m4a has no video track'],
    ['a missing file', 'missing.mp4', async () => {}, 'no such file: missing.mp4'],
    ['a directory', 'config', async () => {}, 'config is not a file'],
  ])('%s: exit 2 with a one-line error, no report written', async (_what, name, make, message) => {
    await make(at(name));
    const result = await ugc(['check', name, '--report', `${name}.xml`], { cwd: dir.path, env });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`error: ${message}\n`);
    await expect(stat(at(`${name}.xml`))).rejects.toThrow();
  });

  it('an unknown platform is a usage error naming the flag', async () => {
    const result = await ugc(['check', 'ad.mp4', '--platform', 'vine'], { cwd: dir.path, env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--platform must be one of tiktok, reels, shorts, generic \(got "vine"\)/);
  });
});

// ---- pure parts --------------------------------------------------------------------------------

const box = (type: string, payload = Buffer.alloc(0)) => {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(8 + payload.length, 0);
  header.write(type, 4, 'latin1');
  return Buffer.concat([header, payload]);
};

describe('MP4 box order', () => {
  it('reads top-level boxes from their headers: brand, order, 64-bit and to-the-end sizes, and stops at garbage', async () => {
    const ftyp = box('ftyp', Buffer.from('isom\0\0\x02\0isomiso2avc1mp41', 'latin1'));
    const moov = box('moov', Buffer.alloc(40));
    const mdat = box('mdat', Buffer.alloc(100));
    await writeFile(at('fast.bin'), Buffer.concat([ftyp, moov, mdat]));
    await writeFile(at('slow.bin'), Buffer.concat([ftyp, mdat, moov]));
    const fast = await readMp4Layout(at('fast.bin'));
    expect(fast).toEqual({ brand: 'isom', boxes: [{ type: 'ftyp', offset: 0, size: ftyp.length }, { type: 'moov', offset: ftyp.length, size: moov.length }, { type: 'mdat', offset: ftyp.length + moov.length, size: mdat.length }] });
    expect(isFaststart(fast!)).toBe(true);
    expect(isFaststart((await readMp4Layout(at('slow.bin')))!)).toBe(false);

    // A 64-bit size (size field 1) and a last box running to the end (size field 0).
    const large = Buffer.alloc(16 + 50);
    large.writeUInt32BE(1, 0);
    large.write('mdat', 4, 'latin1');
    large.writeBigUInt64BE(BigInt(large.length), 8);
    const open = box('moov', Buffer.alloc(20));
    open.writeUInt32BE(0, 0);
    await writeFile(at('large.bin'), Buffer.concat([box('ftyp', Buffer.from('qt  \0\0\0\0', 'latin1')), large, open]));
    const layout = await readMp4Layout(at('large.bin'));
    expect(layout?.brand).toBe('qt  ');
    expect(layout?.boxes.map((b) => [b.type, b.size])).toEqual([['ftyp', 16], ['mdat', large.length], ['moov', open.length]]);
    expect(isFaststart(layout!)).toBe(false);

    await writeFile(at('text.bin'), 'not a box at all, just some text');
    expect(await readMp4Layout(at('text.bin'))).toBeNull();
    await writeFile(at('truncated.bin'), Buffer.concat([ftyp, moov, mdat.subarray(0, 50)]));
    expect((await readMp4Layout(at('truncated.bin')))?.boxes.map((b) => b.type)).toEqual(['ftyp', 'moov']);
  });
});

describe('the upload specs', () => {
  const good: VideoFacts = {
    bytes: 5_000_000,
    seconds: 12,
    container: 'mp4',
    brand: 'isom',
    faststart: true,
    video: { codec: 'h264', profile: 'High', pixFmt: 'yuv420p', width: 1080, height: 1920, aspect: 9 / 16, fps: 30, kbps: 3000 },
    audio: { codec: 'aac', profile: 'LC', sampleRate: 48_000, channels: 2 },
    loudness: { integrated: -14, truePeak: -2 },
  };
  const variants: [string, VideoFacts][] = [
    ['good', good],
    ['webm', { ...good, container: 'matroska', faststart: null }],
    ['mov', { ...good, container: 'mov', brand: 'qt  ' }],
    ['3gp', { ...good, container: '3gp', brand: '3gp4' }],
    ['hevc', { ...good, video: { ...good.video, codec: 'hevc' } }],
    ['vp9', { ...good, video: { ...good.video, codec: 'vp9' } }],
    ['4:4:4', { ...good, video: { ...good.video, pixFmt: 'yuv444p' } }],
    ['opus', { ...good, audio: { ...good.audio!, codec: 'opus' } }],
    ['96 kHz 6 ch', { ...good, audio: { ...good.audio!, sampleRate: 96_000, channels: 6 } }],
    ['no audio', { ...good, audio: null, loudness: null }],
    ['undecodable audio', { ...good, loudness: null }],
    ['silent', { ...good, loudness: { integrated: -Infinity, truePeak: -Infinity } }],
    ['-16 LUFS', { ...good, loudness: { integrated: -16, truePeak: -3 } }],
    ['peak -0.5', { ...good, loudness: { integrated: -14, truePeak: -0.5 } }],
    ...[15, 23.976, 24, 25, 29.97, 48, 59.94, 60, 90, 120].map((fps): [string, VideoFacts] => [`${fps} fps`, { ...good, video: { ...good.video, fps } }]),
    ...[[720, 1280], [540, 960], [480, 854], [2160, 3840], [1080, 1080], [1080, 1350], [1920, 1080], [1080, 1940]].map(([width = 0, height = 0]): [string, VideoFacts] => [`${width}x${height}`, { ...good, video: { ...good.video, width, height, aspect: width / height } }]),
    ...[2, 4, 5, 8, 15, 16, 59, 61, 120, 181, 901].map((seconds): [string, VideoFacts] => [`${seconds} s`, { ...good, seconds }]),
    ...[null, 300, 600, 30_000].map((kbps): [string, VideoFacts] => [`${kbps} kbps`, { ...good, video: { ...good.video, kbps } }]),
    ...[299e6, 301e6, 501e6].map((bytes): [string, VideoFacts] => [`${bytes} bytes`, { ...good, bytes }]),
    ['moov last', { ...good, faststart: false }],
  ];
  const rank: Record<CheckStatus, number> = { skip: 0, pass: 1, warn: 2, fail: 3 };

  it('a well-made vertical ad passes every check on every platform', () => {
    for (const platform of PLATFORMS) expect(checkUpload(good, UPLOAD_SPECS[platform]).map((c) => c.status)).toEqual(CHECK_IDS.map(() => 'pass'));
  });

  it.each(variants)('generic is at least as strict as each platform: %s', (_name, facts) => {
    const generic = checkUpload(facts, UPLOAD_SPECS.generic);
    for (const platform of ['tiktok', 'reels', 'shorts'] as const) {
      const own = checkUpload(facts, UPLOAD_SPECS[platform]);
      for (const [i, c] of own.entries()) expect(rank[generic[i]!.status], `${c.id} on ${platform}: ${c.status}, generic: ${generic[i]!.status}`).toBeGreaterThanOrEqual(rank[c.status]);
    }
  });

  it('rates the edges as the documents say', () => {
    const verdict = (platform: Platform, facts: VideoFacts, id: CheckId) => checkUpload(facts, UPLOAD_SPECS[platform]).find((c) => c.id === id)?.status;
    // TikTok in-feed: 5-60 s, 9-15 s suggested.
    expect([4.9, 5, 8, 9, 15, 16, 60, 60.1].map((seconds) => verdict('tiktok', { ...good, seconds }, 'length'))).toEqual(['fail', 'warn', 'warn', 'pass', 'pass', 'warn', 'warn', 'fail']);
    // Shorts: square or vertical; a square one is a Short, though not full screen.
    expect(verdict('shorts', { ...good, video: { ...good.video, width: 1080, height: 1080, aspect: 1 } }, 'aspect')).toBe('warn');
    expect(verdict('shorts', { ...good, video: { ...good.video, width: 1350, height: 1080, aspect: 1.25 } }, 'aspect')).toBe('fail');
    // Reels: at most 1920 columns; 4:4:4 chroma refused.
    expect(verdict('reels', { ...good, video: { ...good.video, width: 2160, height: 3840 } }, 'resolution')).toBe('fail');
    expect(verdict('reels', { ...good, video: { ...good.video, pixFmt: 'yuv444p' } }, 'video-codec')).toBe('fail');
    // NTSC rates are YouTube's common rates too.
    expect(verdict('shorts', { ...good, video: { ...good.video, fps: 29.97 } }, 'frame-rate')).toBe('pass');
    expect(verdict('shorts', { ...good, video: { ...good.video, fps: 20 } }, 'frame-rate')).toBe('warn');
    // Loudness: within 1 LU passes, within 3 warns; true peak over -1 dBTP fails.
    expect([-14.9, -16, -17.5, -11.5, -10].map((integrated) => verdict('reels', { ...good, loudness: { integrated, truePeak: -3 } }, 'loudness'))).toEqual(['pass', 'warn', 'fail', 'warn', 'fail']);
    expect(verdict('reels', { ...good, loudness: { integrated: -14, truePeak: -0.9 } }, 'true-peak')).toBe('fail');
    expect(verdict('reels', { ...good, loudness: { integrated: -Infinity, truePeak: -Infinity } }, 'loudness')).toBe('fail');
  });
});

describe('JUnit XML', () => {
  it('counts failures and skips, and drops characters XML cannot hold', () => {
    const xml = junitXml('run', 'suite \u0000<1>', [
      { name: 'a', classname: 'c', seconds: 1.234 },
      { name: 'b', classname: 'c', seconds: 0, failure: { message: 'x "y" & z', type: 'fail' } },
      { name: 'c', classname: 'c', seconds: 0, skipped: 'n/a', output: 'lone \ud800 surrogate' },
    ]);
    const { suite, cases } = parseJunit(xml);
    expect(suite).toMatchObject({ name: 'suite <1>', tests: '3', failures: '1', skipped: '1', time: '1.23' });
    expect(cases.map((c) => [c.name, c.failure, c.skipped, c.out])).toEqual([
      ['a', null, null, ''],
      ['b', 'x "y" & z', null, ''],
      ['c', null, 'n/a', 'lone  surrogate'],
    ]);
  });
});

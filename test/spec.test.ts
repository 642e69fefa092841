import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../src/core/job.js';
import { createContext } from '../src/core/context.js';
import { checkRequest, describeIssue, parseRequest, REQUEST_FIELDS, type FieldSpec, type RequestField, type Scene } from '../src/core/request.js';
import { isPathField, readSpec, withSpec } from '../src/core/spec.js';
import { checkedInputs } from '../src/providers/local-render.js';
import { firstStream, probe, type ProbeResult } from '../src/render/ffmpeg/probe.js';
import { relabel, sceneCuts, SCENE_GAP } from '../src/render/scenes.js';
import { ffmpegStderr, makeTone, rgbFrame, tempDir, tools, ugc } from './support.js';

let dir: { path: string; cleanup: () => Promise<void> };
let env: Record<string, string>;

beforeAll(async () => {
  dir = await tempDir('ugc-spec-');
  env = { UGC_CONFIG_DIR: join(dir.path, 'config') };
  await mkdir(join(dir.path, 'ads'), { recursive: true });
  await makeTone(join(dir.path, 'ads', 'bed.wav'), 1, 220);
});
afterAll(() => dir.cleanup());

async function specFile(name: string, text: string): Promise<string> {
  const path = join(dir.path, 'ads', name);
  await writeFile(path, text);
  return path;
}

const TESTIMONIAL_YAML = `# two customers, one ad
aspect: "1:1"
product-name: Glow Serum
music: bed.wav
scenes:
  - creator: mia
    script: I tried Glow Serum for a week.
  - creator: leo
    script: My skin has never looked better.
`;

describe('reading a spec file', () => {
  it('reads YAML and JSON alike: fields by their flag or request name, paths relative to the file, scenes settled', async () => {
    const yaml = readSpec(await specFile('ad.yaml', TESTIMONIAL_YAML), 'ad.yaml');
    const json = readSpec(
      await specFile('ad.json', JSON.stringify({ aspect: '1:1', productName: 'Glow Serum', music: 'bed.wav', scenes: [{ creator: 'mia', script: 'I tried Glow Serum for a week.' }, { creator: 'leo', script: 'My skin has never looked better.' }] })),
      'ad.json',
    );
    expect(json).toEqual({ ...yaml, label: 'ad.json' });
    const { raw } = withSpec(yaml, {}, dir.path);
    const { request, issues } = parseRequest(raw, { cwd: dir.path, rules: { required: ['script'], scenes: true } });
    expect(issues).toEqual([]);
    expect(request).toMatchObject({ aspect: '1:1', productName: 'Glow Serum', music: join(dir.path, 'ads', 'bed.wav'), script: 'I tried Glow Serum for a week. My skin has never looked better.' });
    expect(request.scenes).toEqual([
      { script: 'I tried Glow Serum for a week.', creator: 'mia', image: null, voice: null, broll: [], product: false },
      { script: 'My skin has never looked better.', creator: 'leo', image: null, voice: null, broll: [], product: false },
    ]);
  });

  it('takes every field of the request table by its flag, so a field added there works in a spec unchanged', async () => {
    const bed = join(dir.path, 'ads', 'bed.wav');
    for (const [field, spec] of Object.entries(REQUEST_FIELDS) as [RequestField, FieldSpec][]) {
      const kind = spec.kind;
      const sample = isPathField(field) ? 'bed.wav' : kind.type === 'params' ? { seed: 7 } : kind.type === 'switch' ? true : kind.type === 'seconds' || kind.type === 'number' ? 1 : kind.type === 'choice' ? kind.choices[0] : 'text';
      const path = await specFile(`one-${spec.flag}.json`, JSON.stringify({ [spec.flag]: sample }));
      const read = readSpec(path, 'one.json');
      expect(Object.keys(read.raw), spec.flag).toEqual([field]);
      const { request, issues } = parseRequest({ script: 'Hi.', ...withSpec(read, {}, dir.path).raw }, { cwd: dir.path });
      expect(issues, spec.flag).toEqual([]);
      // A path is the spec's file made absolute (alone, or in the list a repeatable field holds).
      if (isPathField(field)) expect(JSON.stringify(request[field]), spec.flag).toContain(JSON.stringify(bed));
      else expect(request[field], spec.flag).toEqual(kind.type === 'params' ? { seed: '7' } : sample);
    }
  });

  it('lets the flags given beside it win, and a given script replace its scenes', async () => {
    const spec = readSpec(await specFile('ad.yaml', TESTIMONIAL_YAML), 'ad.yaml');
    const { raw, fromSpec } = withSpec(spec, { aspect: '16:9', productName: '', music: undefined }, dir.path);
    expect(raw.aspect).toBe('16:9');
    expect(fromSpec.has('aspect')).toBe(false);
    expect(raw.productName).toBe('Glow Serum');
    expect(fromSpec.has('productName')).toBe(true);
    const scripted = withSpec(spec, { script: 'Just one line.', creator: 'ava' }, dir.path).raw;
    expect(scripted).toMatchObject({ script: 'Just one line.', creator: 'ava' });
    expect(scripted.scenes).toBeUndefined();
  });

  it('makes scenes said by one creator a plain request any provider takes; a scene without a creator takes the ad\'s', async () => {
    const spec = readSpec(await specFile('one-cast.yaml', 'creator: leo\nscenes:\n  - script: First part.\n  - script: Second part.\n    creator: leo\n'), 'one-cast.yaml');
    const { raw } = withSpec(spec, {}, dir.path);
    expect(raw.scenes).toBeUndefined();
    expect(raw).toMatchObject({ script: 'First part. Second part.', creator: 'leo' });
    const mixed = withSpec(spec, { creator: 'mia' }, dir.path).raw;
    expect((mixed.scenes as Scene[]).map((s) => s.creator)).toEqual(['mia', 'leo']);
  });

  it('checks scenes however they arrive (a job record, a queue payload): each value by its kind, each problem naming its scene', () => {
    const { request, issues } = parseRequest(
      { script: 'ignored', scenes: [{ script: 'One.', creator: 'mia', broll: 'ads/bed.wav' }, 'two', { script: ' ', image: 'nowhere.png', product: 'maybe', voice: ['x'] }] },
      { cwd: dir.path, rules: { required: ['script'], scenes: true } },
    );
    expect(issues.map((i) => describeIssue(i, 'column'))).toEqual([
      'scene 1 must be an object with a script',
      'scenes[2].script: is empty',
      `scenes[2].image: no such file ${join(dir.path, 'nowhere.png')}`,
      'scenes[2].voice: must be text',
      'scenes[2].product: must be true or false (got "maybe")',
    ]);
    expect(request.scenes?.[0]).toEqual({ script: 'One.', creator: 'mia', image: null, voice: null, broll: [join(dir.path, 'ads', 'bed.wav')], product: false });
    // The script is the scenes' own, whatever else a record says.
    const valid = parseRequest({ script: 'Something else.', scenes: [{ script: 'One.' }, { script: 'Two.', creator: 'leo' }] }, { cwd: dir.path, rules: { required: ['script'], scenes: true } });
    expect(valid.issues).toEqual([]);
    expect(valid.request.script).toBe('One. Two.');
  });

  it.each([
    ['bad.yaml', 'aspect: "1:1"\nvoise: x\n', /^bad\.yaml: unknown field "voise" \(fields: script, creator, image, voice,/],
    ['bad.yaml', 'scenes:\n  - script: Hi.\n  - script: There.\n    creator: [mia]\n', /^bad\.yaml: scenes\[1\]\.creator: must be text$/],
    ['bad.yaml', 'scenes:\n  - creator: mia\n', /^bad\.yaml: scenes\[0\]\.script: is required$/],
    ['bad.yaml', 'scenes: []\n', /^bad\.yaml: scenes: must hold at least one scene$/],
    ['bad.yaml', 'scenes:\n  - script: Hi.\n    creator: mia\n    image: me.png\n', /^bad\.yaml: scenes\[0\]\.image: give either creator or image, not both$/],
    ['bad.yaml', 'scenes:\n  - script: Hi.\n    product: yes please\n', /^bad\.yaml: scenes\[0\]\.product: must be true or false$/],
    ['bad.yaml', 'scenes:\n  - script: Hi.\n    broll: []\n', /^bad\.yaml: scenes\[0\]\.broll: must name at least one file$/],
    ['bad.yaml', 'script: Hi.\nscenes:\n  - script: There.\n', /^bad\.yaml: script: give the script either here or in scenes, not both$/],
    ['bad.yaml', 'product-name: A\nproductName: B\n', /^bad\.yaml: productName: the same field as "product-name": give it once$/],
    ['bad.yaml', 'aspect: [1\n', /^bad\.yaml line \d+: not valid YAML/],
    ['bad.json', '{"aspect": }', /^bad\.json: not valid JSON/],
    ['bad.yaml', '- just a list\n', /^bad\.yaml: must hold an object of fields/],
    ['bad.txt', 'aspect: "1:1"\n', /^bad\.txt: a spec file must end in \.json, \.yaml or \.yml$/],
  ])('refuses %s holding %j with a line naming the file and field', async (name, text, message) => {
    const path = await specFile(name, text);
    expect(() => readSpec(path, name)).toThrow(message);
  });
});

describe('generate --spec', () => {
  it('names the file and the field of a bad value, and the scene of an unknown creator (exit 2, nothing written)', async () => {
    await specFile('aspect.yaml', 'script: Hello there.\naspect: "4:3"\n');
    let result = await ugc(['generate', '--spec', 'ads/aspect.yaml', '--out', 'out/a.mp4'], { cwd: dir.path, env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('ads/aspect.yaml: aspect: must be one of 9:16, 16:9, 1:1 (got "4:3")');

    // The same value given as a flag is the flag's problem.
    result = await ugc(['generate', '--spec', 'ads/aspect.yaml', '--aspect', '5:4', '--out', 'out/a.mp4'], { cwd: dir.path, env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--aspect must be one of 9:16, 16:9, 1:1 (got "5:4")');

    await specFile('maxx.yaml', 'scenes:\n  - creator: mia\n    script: Hi.\n  - creator: maxx\n    script: There.\n');
    result = await ugc(['generate', '--spec', 'ads/maxx.yaml', '--out', 'out/a.mp4'], { cwd: dir.path, env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('ads/maxx.yaml: scenes[1].creator: unknown creator "maxx"');
    expect(await readdir(dir.path)).not.toContain('out');

    await specFile('shots.yaml', 'scenes:\n  - script: Hi.\n  - script: There.\n    product: true\n');
    result = await ugc(['generate', '--spec', 'ads/shots.yaml', '--out', 'out/a.mp4'], { cwd: dir.path, env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("ads/shots.yaml: scenes[1].product: needs the ad's product-image");

    await specFile('broll.yaml', 'scenes:\n  - script: Hi.\n    broll: [missing.mp4]\n');
    result = await ugc(['generate', '--spec', 'ads/broll.yaml', '--out', 'out/a.mp4'], { cwd: dir.path, env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`ads/broll.yaml: scenes[0].broll: no such file ${join(dir.path, 'ads', 'missing.mp4')}`);

    result = await ugc(['generate', '--spec', 'ads/none.yaml'], { cwd: dir.path, env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('cannot read the spec file ads/none.yaml (no such file)');
  });

  it('refuses scenes with several creators for a provider that renders one creator per ad (exit 2, before any request)', async () => {
    await specFile('ad.yaml', TESTIMONIAL_YAML);
    const result = await ugc(['generate', '--provider', 'vidgen', '--base-url', 'http://127.0.0.1:9', '--spec', 'ads/ad.yaml'], { cwd: dir.path, env: { ...env, UGC_API_KEY: 'k' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('ads/ad.yaml: scenes: vidgen renders one creator for the whole ad: it cannot render scenes with their own creator, image, voice or shots');
  });
});

describe('scenes', () => {
  it('cut the picture in the middle of the pause before each next scene', () => {
    expect(sceneCuts([0, 2], 0.3, 30)).toEqual([0, Math.round((0.3 + 2 - SCENE_GAP / 2) * 30)]);
  });

  it("move a clip's inputs and labels beside other clips' in one graph", () => {
    expect(relabel('[0:v]format=yuv420p[plate];[1:v]null[mouth];[plate][mouth]overlay', 3, 's1')).toBe('[3:v]format=yuv420p[s1plate];[4:v]null[s1mouth];[s1plate][s1mouth]overlay');
  });

  it("are each said by their creator's voice in their picture, or by the voice a scene names", async () => {
    await mkdir(join(dir.path, 'config'), { recursive: true });
    const stream = () => new PassThrough();
    const ctx = createContext({ stdout: stream(), stderr: stream(), stdin: stream(), env, cwd: dir.path }, { json: false, quiet: true, input: false, color: false, debug: false });
    const spec = readSpec(await specFile('voices.yaml', 'scenes:\n  - creator: mia\n    script: Hello there.\n  - creator: leo\n    script: Hi again.\n  - creator: leo\n    voice: en-gb-female\n    script: And bye.\n'), 'voices.yaml');
    const request = checkRequest(withSpec(spec, {}, dir.path).raw, { cwd: dir.path, rules: { required: ['script'], scenes: true } });
    const inputs = await checkedInputs(ctx, request);
    expect(inputs.scenes?.map((s) => [s.script, s.voice.id, basename(s.creatorImage)])).toEqual([
      ['Hello there.', 'en-us-female', expect.stringMatching(/mia/)],
      ['Hi again.', 'en-us-male', expect.stringMatching(/leo/)],
      ['And bye.', 'en-gb-female', expect.stringMatching(/leo/)],
    ]);
    expect(inputs.script).toBe('Hello there. Hi again. And bye.');
  });

  it('render two creators in one ad: the picture changes from the first to the second in the pause between their lines, captions run on', async () => {
    // No music (the pause must be silent) and no end card (the second speaker is seen to the end of their line).
    await specFile('two.yaml', TESTIMONIAL_YAML.replace('music: bed.wav\n', '').replace('product-name: Glow Serum\n', ''));
    // The spec asks for 1:1; the flag given beside it wins.
    const result = await ugc(['generate', '--spec', 'ads/two.yaml', '--aspect', '9:16', '--resolution', '720p', '--subtitles', 'vtt', '--out', 'two.mp4', '--json'], { cwd: dir.path, env });
    expect(result.stderr).not.toMatch(/error|warning/i);
    expect(result.code).toBe(0);
    const job = JSON.parse(result.stdout) as Job;
    expect((job.request.scenes as { creator: string }[]).map((s) => s.creator)).toEqual(['mia', 'leo']);
    const video = join(dir.path, 'two.mp4');
    // 9:16 at 720p: the flags, not the spec's 1:1.
    const stream = firstStream((await probe((await tools()).ffprobe.path, video)) as ProbeResult, 'video');
    expect([stream?.width, stream?.height]).toEqual([720, 1280]);

    // Word timings, from the sidecar: every word of both scenes, in order.
    const vtt = await readFile(join(dir.path, 'two.vtt'), 'utf8');
    const cues = [...vtt.matchAll(/^([\d:.]+) --> ([\d:.]+)\n(.+)$/gm)].map((m) => ({ start: seconds(m[1] as string), end: seconds(m[2] as string), text: (m[3] as string).replace(/<[^>]+>/g, '') }));
    expect(cues.map((c) => c.text).join(' ')).toBe('I tried Glow Serum for a week. My skin has never looked better.');
    const firstEnds = cues.find((c) => c.text.endsWith('week.'))?.end ?? NaN;
    const secondStarts = cues.find((c) => c.text.startsWith('My'))?.start ?? NaN;

    // Each frame while someone speaks (small, gray) said to be the first creator's or the second's by which
    // it is closer to: the first frame, or one in the middle of the second line.
    const { ffmpeg } = await tools();
    const w = 36;
    const h = 64;
    const lastEnds = cues.at(-1)?.end ?? NaN;
    const raw = Buffer.from((await execa(ffmpeg.path, ['-v', 'error', '-i', video, '-t', lastEnds.toFixed(3), '-vf', `scale=${w}:${h}`, '-f', 'rawvideo', '-pix_fmt', 'gray', '-'], { encoding: 'buffer' })).stdout);
    const frames = Array.from({ length: raw.length / (w * h) }, (_, i) => raw.subarray(i * w * h, (i + 1) * w * h));
    const distance = (a: Buffer, b: Buffer) => a.reduce((sum, v, i) => sum + Math.abs(v - (b[i] ?? 0)), 0);
    const [mia, leo] = [frames[0] as Buffer, frames[Math.round(((secondStarts + lastEnds) / 2) * 30)] as Buffer];
    expect(distance(mia, leo)).toBeGreaterThan(w * h * 20);
    const whose = frames.map((f) => (distance(f, mia) < distance(f, leo) ? 'mia' : 'leo'));
    const cut = whose.indexOf('leo');
    expect(whose.slice(cut).every((c) => c === 'leo')).toBe(true);
    expect(whose.slice(0, cut).every((c) => c === 'mia')).toBe(true);
    const cutAt = cut / 30;
    expect(cutAt).toBeGreaterThan(firstEnds);
    expect(cutAt).toBeLessThan(secondStarts);

    // And the voice is silent there: the cut falls in the pause between the two speakers.
    const silences = [...(await ffmpegStderr(['-i', video, '-af', 'silencedetect=n=-40dB:d=0.15', '-f', 'null', '-'])).matchAll(/silence_start: ([\d.]+)[\s\S]*?silence_end: ([\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(silences.some(([from, to]) => (from ?? 0) < cutAt && cutAt < (to ?? 0))).toBe(true);
  }, 120_000);

  it("show a scene's b-roll (a video, then an image, covering the frame) and a product shot pushing in, while the voice goes on", async () => {
    const { ffmpeg } = await tools();
    await execa(ffmpeg.path, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25:duration=1', '-pix_fmt', 'yuv420p', join(dir.path, 'ads', 'clip.mp4')]);
    await execa(ffmpeg.path, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=0xff8000:s=400x300,drawbox=x=150:y=100:w=100:h=100:c=0x0000ff:t=fill', '-frames:v', '1', join(dir.path, 'ads', 'shot.png')]);
    await execa(ffmpeg.path, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=0x00c000:s=300x300,drawbox=x=0:y=0:w=150:h=300:c=0xffffff:t=fill', '-frames:v', '1', join(dir.path, 'ads', 'product.png')]);
    await specFile('shots-ok.yaml', [
      'resolution: 720p', 'captions: none', 'product-image: product.png', 'scenes:',
      '  - creator: mia', '    script: I tried Glow Serum for a week.',
      '  - creator: mia', '    broll: [clip.mp4, shot.png]', '    script: Every morning, one drop, and that is all I need.',
      '  - creator: leo', '    product: true', '    script: My skin has never looked better.', '',
    ].join('\n'));
    const result = await ugc(['generate', '--spec', 'ads/shots-ok.yaml', '--subtitles', 'vtt', '--out', 'shots.mp4'], { cwd: dir.path, env });
    expect(result.code).toBe(0);
    const video = join(dir.path, 'shots.mp4');
    const words = vttWords(await readFile(join(dir.path, 'shots.vtt'), 'utf8'));
    const at = (word: string) => words.find((w) => w.text === word)?.start ?? NaN;
    const [sceneTwo, sceneThree] = [at('Every'), at('My')];
    const [w, h] = [720, 1280];
    const share = async (t: number, colour: [number, number, number]) => {
      const frame = await rgbFrame(video, t, w, h);
      let near = 0;
      for (let i = 0; i < frame.length; i += 3) if (colour.every((c, k) => Math.abs((frame[i + k] ?? 0) - c) < 40)) near++;
      return near / (w * h);
    };
    // The video's first half of the scene: its colour bars (testsrc's yellow), none of the image's orange.
    const videoAt = sceneTwo + (sceneThree - sceneTwo) * 0.2;
    expect(await share(videoAt, [255, 255, 0])).toBeGreaterThan(0.03);
    expect(await share(videoAt, [255, 128, 0])).toBeLessThan(0.01);
    // The image's half: orange edge to edge (covered, not letterboxed), its blue square in the middle.
    const imageAt = sceneTwo + (sceneThree - sceneTwo) * 0.7;
    expect(await share(imageAt, [255, 128, 0])).toBeGreaterThan(0.6);
    expect(await share(imageAt, [0, 0, 255])).toBeGreaterThan(0.05);
    // The product scene: the product's green and white, and it pushes in (a later frame shows more of it).
    const early = await share(sceneThree + 0.2, [0, 192, 0]);
    const late = await share(at('better.'), [0, 192, 0]);
    expect(early).toBeGreaterThan(0.05);
    expect(late).toBeGreaterThan(early * 1.05);
    expect(await share(sceneThree + 0.2, [255, 128, 0])).toBeLessThan(0.01);
  }, 120_000);
});

/** Each word of a word-by-word WebVTT file with its start: a cue's first word at the cue's start, the others at their tags. */
function vttWords(vtt: string): { text: string; start: number }[] {
  return [...vtt.matchAll(/^([\d:.]+) --> [\d:.]+\n(.+)$/gm)].flatMap((m) => {
    let start = seconds(m[1] as string);
    return (m[2] as string).split(' ').map((token) => {
      const tag = /^<([\d:.]+)>(.*)$/.exec(token);
      if (tag) start = seconds(tag[1] as string);
      return { text: tag ? (tag[2] as string) : token, start };
    });
  });
}

function seconds(stamp: string): number {
  const [h, m, s] = stamp.split(':').map(Number) as [number, number, number];
  return h * 3600 + m * 60 + s;
}

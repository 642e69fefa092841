import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UgcError, UsageError } from '../src/core/errors.js';
import { fillTemplate, parseCommandTemplate } from '../src/render/runners/command-template.js';
import { newPredictionId, saveOutput } from '../src/render/runners/cog.js';
import { runnerSettingsFrom, typedValue } from '../src/render/runners/configured.js';
import { lastLines } from '../src/render/runners/exec.js';
import { checkModelVideo, modelClip } from '../src/render/runners/model-io.js';
import { tempDir, tools } from './support.js';

let dir: { path: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  dir = await tempDir('ugc-runner-settings-');
});
afterAll(() => dir.cleanup());

describe('--exec templates', () => {
  it('split like a shell word list: blanks separate, quotes group, backslashes escape', () => {
    expect(parseCommandTemplate(`python  "my model/infer.py" --face {image} --note 'a "b" c' --x=a\\ b "\\$HOME \\"q\\"" ''`)).toEqual(['python', 'my model/infer.py', '--face', '{image}', '--note', 'a "b" c', '--x=a b', '$HOME "q"', '']);
  });

  it('refuse what would need a shell', () => {
    for (const template of ['run {image} | tee log', 'run {image}; rm -rf x', 'run $HOME/{image}', 'run `x`', 'run {image} > out', 'run ~/model', 'run (x)', 'run {image} &']) {
      expect(() => parseCommandTemplate(template), template).toThrow(/needs a shell/);
    }
    expect(() => parseCommandTemplate("run 'open")).toThrow(/unbalanced single quote/);
    expect(() => parseCommandTemplate('run \\')).toThrow(/lone backslash/);
  });

  it('fill placeholders after the split, so a value with blanks, quotes or $() stays one literal argument', () => {
    const words = parseCommandTemplate('infer --face {image} --audio={audio} --size {width}x{height}@{fps} --out {out} {unknown}');
    const filled = fillTemplate(words, { image: "/tmp/a b/it's $(rm -rf ~).jpg", audio: '/tmp/v.wav', video: '', out: '/tmp/o.mp4', fps: '30', width: '720', height: '1280' });
    expect(filled).toEqual(['infer', '--face', "/tmp/a b/it's $(rm -rf ~).jpg", '--audio=/tmp/v.wav', '--size', '720x1280@30', '--out', '/tmp/o.mp4', '{unknown}']);
  });

  it('the last stderr lines, on one line', () => {
    expect(lastLines('a\n\nb\r\nc\n  d  \n', 3)).toBe('b | c | d');
  });
});

describe('runner settings from the flags of `models add`', () => {
  const where = { cwd: '/work', now: new Date('2026-01-01T00:00:00Z') };
  it('a Cog runner: defaults, mapped names, typed params, URL tidied', () => {
    expect(runnerSettingsFrom('sad-talker.v2', { cog: 'http://gpu-box:5000/', input: [], param: [] }, where)).toEqual({
      name: 'sad-talker.v2',
      addedAt: '2026-01-01T00:00:00.000Z',
      timeoutSeconds: 1800,
      slots: 1,
      kind: 'cog',
      url: 'http://gpu-box:5000',
      inputs: { image: 'image', audio: 'audio' },
      params: {},
      callback: null,
    });
    const latentsync = runnerSettingsFrom('latentsync', { cog: 'https://gpu.example.com/cog', input: ['video=video', 'audio=driven'], param: ['inference_steps=20', 'guidance_scale=1.5', 'still=false', 'mode=full', 'seed=-3'], timeout: 600, slots: 2, callback: 'http://10.0.0.5:7000' }, where);
    expect(latentsync).toMatchObject({ url: 'https://gpu.example.com/cog', inputs: { video: 'video', audio: 'driven' }, params: { inference_steps: 20, guidance_scale: 1.5, still: false, mode: 'full', seed: -3 }, timeoutSeconds: 600, slots: 2, callback: 'http://10.0.0.5:7000' });
    expect(latentsync.kind === 'cog' && latentsync.inputs.image).toBeUndefined();
    expect(runnerSettingsFrom('x', { cog: 'http://h:1', input: [], param: [], callback: 'http://127.0.0.1:0' }, where)).toMatchObject({ callback: 'http://127.0.0.1:0' });
    expect(() => runnerSettingsFrom('x', { cog: 'http://h:1', input: ['image=face'], param: ['face=1'] }, where)).toThrow(/--param face is already the model's image input/);
    expect(() => runnerSettingsFrom('x', { cog: 'http://user:pw@h:1', input: [], param: [] }, where)).toThrow(UsageError);
  });

  it('a command runner keeps its template and the directory it was added from', () => {
    expect(runnerSettingsFrom('w2l', { exec: ' python inference.py --face {image} --audio {audio} --outfile {out} ', input: [], param: [] }, where)).toMatchObject({ kind: 'exec', command: 'python inference.py --face {image} --audio {audio} --outfile {out}', cwd: '/work' });
    expect(() => runnerSettingsFrom('w2l', { exec: '{image} {audio} {out}', input: [], param: [] }, where)).toThrow(/the program itself cannot be a placeholder/);
  });

  it('types param values as JSON would', () => {
    expect([typedValue('12'), typedValue('-0.5'), typedValue('1e3'), typedValue('true'), typedValue('False'), typedValue('0x10'), typedValue('12px')]).toEqual([12, -0.5, 1000, true, 'False', '0x10', '12px']);
  });
});

describe('the Cog wire', () => {
  it('prediction ids are 26 lowercase base32 characters, a new one each time', () => {
    const ids = Array.from({ length: 200 }, newPredictionId);
    for (const id of ids) expect(id).toMatch(/^[a-z2-7]{26}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('outputs: a data: URL, an http URL, the last of a list; anything else is refused', async () => {
    const video = join(dir.path, 'clip.mp4');
    const { ffmpeg } = await tools();
    await execa(ffmpeg.path, ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=256x256:rate=25:duration=1', '-pix_fmt', 'yuv420p', video]);
    const bytes = await import('node:fs/promises').then((fs) => fs.readFile(video));
    const server = createServer((req, res) => {
      if (req.url === '/out.mp4') res.writeHead(200, { 'content-type': 'video/mp4' }).end(bytes);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const signal = new AbortController().signal;
    try {
      const a = join(dir.path, 'a');
      const b = join(dir.path, 'b');
      await mkdir(a);
      await mkdir(b);
      const fromData = await saveOutput('m', `data:video/mp4;base64,${bytes.toString('base64')}`, a, signal);
      expect(fromData).toBe(join(a, 'model-output.mp4'));
      expect(await checkModelVideo(fromData, await tools(), 'm')).toMatchObject({ width: 256, height: 256 });
      const fromUrl = await saveOutput('m', ['data:text/plain,first', `${base}/out.mp4`], b, signal);
      expect(await checkModelVideo(fromUrl, await tools(), 'm')).toMatchObject({ width: 256 });
      await expect(saveOutput('m', { video: 'x' }, a, signal)).rejects.toThrow(/m returned \{"video":"x"\}, not a file/);
      await expect(saveOutput('m', 'file:///etc/passwd', a, signal)).rejects.toThrow(/neither a data: nor an http\(s\) URL/);
      await expect(saveOutput('m', `${base}/missing.mp4`, a, signal)).rejects.toThrow(/HTTP 404/);
    } finally {
      server.close();
    }
  });

  it('a model answer that is not a video with frames fails the job with what it was', async () => {
    const { ffmpeg } = await tools();
    const still = join(dir.path, 'still.png');
    await execa(ffmpeg.path, ['-v', 'error', '-f', 'lavfi', '-i', 'color=red:size=64x64', '-frames:v', '1', still]);
    const text = join(dir.path, 'notes.mp4');
    await writeFile(text, 'Traceback: out of memory');
    await expect(checkModelVideo(still, await tools(), 'm')).rejects.toThrow(/m returned a still image \(png\), not a video/);
    await expect(checkModelVideo(text, await tools(), 'm')).rejects.toThrow(UgcError);
    await expect(checkModelVideo(text, await tools(), 'm')).rejects.toThrow(/m returned a file that is not a video/);
  });

  it("the clip filter covers the frame at the ad's frame rate and holds the last frame", () => {
    expect(modelClip('/tmp/m.mp4', { width: 1080, height: 1920 }, 30, 12.5)).toEqual({
      inputs: [['-i', '/tmp/m.mp4']],
      filter: '[0:v]setpts=PTS-STARTPTS,scale=1080:1920:force_original_aspect_ratio=increase,crop=1080:1920,setsar=1,fps=30,format=yuv420p,tpad=stop_mode=clone:stop_duration=12.500',
    });
  });
});

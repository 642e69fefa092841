import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { blinkTrack, type EyeState } from '../blinks.js';
import { frameCropFilter } from '../framing.js';
import { visemeTrack, type Viseme } from '../visemes.js';
import { stillPlateFilter, stillRunner } from './still.js';
import type { CreatorClip, ModelRunner, RunnerInput } from './types.js';

interface TimedFile {
  file: string;
  frames: number;
}

/**
 * An ffconcat list showing each file for its number of frames. Every switch comes half a frame early, so
 * rounding in the demuxer's clock can never delay it by a frame; the last file is listed twice because
 * the demuxer ignores the last entry's duration.
 */
export function concatList(items: TimedFile[], fps: number): string {
  const quote = (path: string) => `'${path.replaceAll("'", "'\\''")}'`;
  const lines = ['ffconcat version 1.0'];
  items.forEach((item, i) => lines.push(`file ${quote(item.file)}`, `duration ${((item.frames - (i === 0 ? 0.5 : 0)) / fps).toFixed(6)}`));
  const last = items[items.length - 1];
  if (last) lines.push(`file ${quote(last.file)}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Makes the creator talk and blink without a model: the mouth patch of each shape of the viseme track and
 * the eye patches of a blink schedule, each a stream of small images (ffmpeg's concat demuxer) laid over the
 * still plate once per frame. Only the mouth and eyes change, so the encode stays near a still image's.
 * A picture without a rig (no face found) is rendered still.
 */
export const talkingRunner: ModelRunner = {
  id: 'talking',
  description: 'Creator photo that talks in sync and blinks: mouth shapes from the phonemes (built in, CPU only)',
  available: async () => true,
  async prepare(input: RunnerInput): Promise<CreatorClip> {
    const rig = input.plate.rig;
    if (!rig) return stillRunner.prepare(input);
    const { fps } = input;
    const mouth = visemeTrack({ phonemes: input.phonemes, words: input.words, offsetSeconds: input.voiceOffsetSeconds, durationSeconds: input.durationSeconds, fps });
    const mouthList = join(input.workDir, 'mouth.ffconcat');
    await writeFile(mouthList, concatList(mouth.map((run) => ({ file: rig.mouth.shapes[run.viseme as Viseme], frames: run.frames })), fps));
    const inputs = [['-i', input.plate.path], ['-f', 'concat', '-safe', '0', '-i', mouthList]];
    const steps = [`[0:v]${stillPlateFilter(fps)}[plate]`, `[1:v]format=yuv420p[mouth]`, `[plate][mouth]overlay=x=${rig.mouth.box.x}:y=${rig.mouth.box.y}:eof_action=repeat[talking]`];
    let last = 'talking';
    if (rig.eyes) {
      const eyes = rig.eyes;
      // Seeded by what is said and how long: the same render blinks the same way, another render differently.
      const seed = JSON.stringify([input.words, input.durationSeconds]);
      const blinks = blinkTrack({ seed, durationSeconds: input.durationSeconds, fps });
      const eyesList = join(input.workDir, 'eyes.ffconcat');
      await writeFile(eyesList, concatList(blinks.map((run) => ({ file: eyes.states[run.state as EyeState], frames: run.frames })), fps));
      inputs.push(['-f', 'concat', '-safe', '0', '-i', eyesList]);
      steps.push(`[2:v]format=yuv420p[eyes]`, `[${last}][eyes]overlay=x=${eyes.box.x}:y=${eyes.box.y}:eof_action=repeat[blinking]`);
      last = 'blinking';
    }
    steps.push(`[${last}]${frameCropFilter(input.size, input.plate)}`);
    return { inputs, filter: steps.join(';\n') };
  },
};

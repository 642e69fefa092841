import { join } from 'node:path';
import { firstStream, probe } from '../ffmpeg/probe.js';
import { runFfmpeg } from '../ffmpeg/run.js';
import { driftCropFilter, framePlateFilter, plateSize } from '../framing.js';
import type { CreatorClip, ModelRunner, RunnerInput } from './types.js';

/** The built-in runner: the creator's photo, framed for the aspect, with a slow camera drift. No model. */
export const stillRunner: ModelRunner = {
  id: 'still',
  description: 'Creator photo with gentle camera motion (built in, CPU only)',
  available: async () => true,
  async prepare(input: RunnerInput): Promise<CreatorClip> {
    const info = await probe(input.tools.ffprobe.path, input.imagePath);
    const video = info ? firstStream(info, 'video') : undefined;
    const source = { width: video?.width ?? input.size.width, height: video?.height ?? input.size.height };
    const plate = plateSize(input.size);
    const platePath = join(input.workDir, 'plate.png');
    await runFfmpeg(
      input.tools.ffmpeg.path,
      ['-i', input.imagePath, '-filter_complex', framePlateFilter(source, plate), '-map', '[plate]', '-frames:v', '1', platePath],
      { what: 'framing the creator image', signal: input.signal },
    );
    return {
      inputArgs: ['-i', platePath],
      filter: `loop=loop=-1:size=1:start=0,setpts=N/${input.fps}/TB,${driftCropFilter(input.size, plate)}`,
    };
  },
};

import { driftCropFilter } from '../framing.js';
import type { CreatorClip, ModelRunner, RunnerInput } from './types.js';

/** The built-in runner: the framed creator photo with a slow camera drift. No model, no extra encode. */
export const stillRunner: ModelRunner = {
  id: 'still',
  description: 'Creator photo with gentle camera motion (built in, CPU only)',
  available: async () => true,
  async prepare(input: RunnerInput): Promise<CreatorClip> {
    return {
      inputArgs: ['-i', input.plate.path],
      filter: `loop=loop=-1:size=1:start=0,setpts=N/${input.fps}/TB,${driftCropFilter(input.size, input.plate)}`,
    };
  },
};

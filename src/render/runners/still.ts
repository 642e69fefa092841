import { frameCropFilter } from '../framing.js';
import type { CreatorClip, ModelRunner, RunnerInput } from './types.js';

/** The image, converted to the encoder's pixel format once and then repeated: the cheapest stream there is. */
export function stillPlateFilter(fps: number): string {
  return `format=yuv420p,loop=loop=-1:size=1:start=0,setpts=N/${fps}/TB`;
}

/** The built-in runner: the framed creator photo, still. No model, no extra encode. */
export const stillRunner: ModelRunner = {
  id: 'still',
  description: 'Creator photo, still (built in, CPU only)',
  available: async () => true,
  async prepare(input: RunnerInput): Promise<CreatorClip> {
    return {
      inputs: [['-i', input.plate.path]],
      filter: `[0:v]${stillPlateFilter(input.fps)},${frameCropFilter(input.size, input.plate)}`,
    };
  },
};

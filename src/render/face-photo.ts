import type { FaceRig } from './face-rig.js';
import type { FfmpegTools } from './ffmpeg/locate.js';

export async function photoRig(_imagePath: string, _configDir: string, _tools: FfmpegTools): Promise<FaceRig | null> {
  return null;
}

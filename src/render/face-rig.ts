import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { SPOKEN_VISEMES } from './visemes.js';

/** A rectangle in pixels of the image it belongs to. */
export const BoxSchema = z.object({
  x: z.number().int().nonnegative(),
  y: z.number().int().nonnegative(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
});
export type Box = z.infer<typeof BoxSchema>;

/**
 * What makes a creator's picture talk: small patches drawn or warped from the picture itself (one per
 * mouth shape, the eyes half and fully closed), where they go, and where the face is (for layout).
 * Coordinates are in the creator image's pixels; patch paths are files (relative to the rig's folder
 * in the stock catalogue).
 */
export const FaceRigSchema = z.object({
  face: BoxSchema,
  mouth: BoxSchema.extend({ shapes: z.record(z.enum(SPOKEN_VISEMES), z.string()) }),
  eyes: BoxSchema.extend({ states: z.object({ half: z.string(), closed: z.string() }) }).nullable(),
});
export type FaceRig = z.infer<typeof FaceRigSchema>;

/** The rig with every patch path made absolute against `dir`. */
export function resolveRigPaths(rig: FaceRig, dir: string): FaceRig {
  const at = (path: string) => (isAbsolute(path) ? path : join(dir, path));
  const shapes = Object.fromEntries(Object.entries(rig.mouth.shapes).map(([shape, path]) => [shape, at(path)])) as FaceRig['mouth']['shapes'];
  return {
    face: rig.face,
    mouth: { ...rig.mouth, shapes },
    eyes: rig.eyes ? { ...rig.eyes, states: { half: at(rig.eyes.states.half), closed: at(rig.eyes.states.closed) } } : null,
  };
}

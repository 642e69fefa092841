import { resolve } from 'node:path';
import { output } from '../core/present.js';
import type { UploadKind } from '../providers/definition.js';
import { checkMediaFile, checkUploadLimits } from '../providers/media.js';
import { currentProvider, requirePart } from '../providers/registry.js';
import { defineCommand } from './define.js';

/** Presigned upload of an avatar image or a voice sample, checked by content first; prints the storage key to finalise with. */
const upload = (kind: UploadKind, example: string) =>
  defineCommand({
    args: ['path'],
    examples: [example],
    async run(ctx, { path }) {
      const provider = await currentProvider(ctx);
      const uploads = requirePart(provider, 'uploads', `uploads ${kind}`);
      const file = resolve(ctx.cwd, path);
      await checkUploadLimits(provider.name, uploads.limits[kind], kind, file);
      await checkMediaFile(ctx, file, kind === 'avatar' ? 'image' : 'audio');
      await output(ctx, await uploads.upload(ctx, kind, file), (result) => result.key);
    },
  });

export const avatar = upload('avatar', 'ugc uploads avatar me.png --provider unrealugc');
export const voiceSample = upload('voice-sample', 'ugc uploads voice-sample me.mp3 --provider unrealugc --json');

import { resolve } from 'node:path';
import { output } from '../core/present.js';
import { currentProvider, requirePart } from '../providers/registry.js';
import { listItems, removeItem, showItem } from './catalog.js';
import { defineCommand, isWholeIn, list as repeatable, number, text } from './define.js';

export const list = defineCommand({
  examples: ['ugc models', 'ugc models --json', 'ugc models --provider apex'],
  run: (ctx) => listItems(ctx, 'models'),
});

export const show = showItem('models', 'ugc models show sadtalker --json');

/** A lip-sync model configured on this machine by name: a Cog server, or a command line. */
export const add = defineCommand({
  args: ['name'],
  flags: {
    cog: text('<url>', 'a Cog model server (its HTTP API), e.g. http://gpu-box:5000'),
    exec: text('<command>', 'a command line with {image} {audio} {video} {out} {fps} {width} {height}, run without a shell'),
    input: repeatable('<ours=theirs>', "Cog: which model input gets our image, audio or video (default image=image, audio=audio)"),
    param: repeatable('<key=value>', 'Cog: a fixed model input, repeatable; numbers and booleans are sent typed'),
    timeout: number('<seconds>', 'longest a prediction or command may take, waits included (default 1800)', 'a number of seconds from 1 to 86400', (n) => n >= 1 && n <= 86_400),
    slots: number('<n>', 'predictions it runs at once (Cog: concurrency.max; default 1)', 'a whole number from 1 to 64', isWholeIn(1, 64)),
    callback: text('<url>', "Cog: this machine as the server reaches it (http://host:port): files are served there and the result comes by webhook"),
    cwd: text('<dir>', 'command: the directory it runs in (default: this one)'),
  },
  examples: [
    'ugc models add sadtalker --cog http://gpu-box:5000 --input image=source_image --input audio=driven_audio --param preprocess=full --param still=true',
    'ugc models add latentsync --cog http://gpu-box:5001 --input video=video --input audio=audio --param inference_steps=20 --callback http://10.0.0.5:7000',
    'ugc models add wav2lip --exec "python inference.py --face {image} --audio {audio} --outfile {out}" --timeout 900',
  ],
  async run(ctx, { name, cwd, ...flags }) {
    const runners = requirePart(await currentProvider(ctx), 'runners', 'models add');
    const added = await runners.add(ctx, name, { ...flags, cwd: cwd === undefined ? undefined : resolve(ctx.cwd, cwd) });
    await output(ctx, added, (item) => item.id);
  },
});

export const rm = removeItem('models', 'ugc models rm wav2lip');

import { addItem, listItems, removeItem, showItem } from './catalog.js';
import { choice, defineCommand } from './define.js';

export const list = defineCommand({
  flags: { include: choice('<kind>', 'stock or custom', ['stock', 'custom']) },
  examples: ['ugc creators', 'ugc creators --include custom --json', 'ugc creators --provider unrealugc'],
  run: (ctx, { include }) => listItems(ctx, 'creators', include),
});
export const show = showItem('creators', 'ugc creators show mia --json');
export const add = addItem('creators', 'image', 'ugc creators add founder.jpg --name "Founder"');
export const rm = removeItem('creators', 'ugc creators rm cc_1a2b3c4d5e6f');

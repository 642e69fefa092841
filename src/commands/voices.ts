import { addItem, listItems, removeItem, showItem } from './catalog.js';
import { defineCommand } from './define.js';

export const list = defineCommand({
  examples: ['ugc voices', 'ugc voices --json', 'ugc voices --provider unrealugc'],
  run: (ctx) => listItems(ctx, 'voices'),
});
export const show = showItem('voices', 'ugc voices show en-us-female');
export const add = addItem('voices', 'audio', 'ugc voices add founder.mp3 --name "Founder" --provider unrealugc');
export const rm = removeItem('voices', 'ugc voices rm voice_123 --provider unrealugc');

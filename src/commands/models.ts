import { listItems } from './catalog.js';
import { defineCommand } from './define.js';

export default defineCommand({
  examples: ['ugc models', 'ugc models --json', 'ugc models --provider apex'],
  run: (ctx) => listItems(ctx, 'models'),
});

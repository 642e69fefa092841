import { output } from '../core/present.js';
import { currentProvider, requirePart } from '../providers/registry.js';
import { defineCommand } from './define.js';
import { requestFlags, requestFromFlags } from './request-flags.js';

/** The credit cost of `generate` with the same flags, before anything is spent. Local renders cost nothing. */
export default defineCommand({
  flags: requestFlags({ submit: false }),
  examples: [
    'ugc estimate --provider unrealugc --script "…" --creator tech-savvy-female-30 --product-name Acme --json',
    'ugc estimate --provider ugen --script "…" --product-name Acme --product-image https://cdn.example.com/p.jpg',
  ],
  async run(ctx, input) {
    const provider = await currentProvider(ctx);
    const request = requestFromFlags(ctx, input, provider, 'estimate');
    const estimate = requirePart(provider, 'estimate', 'estimate');
    await requirePart(provider, 'jobs', 'estimate').validate(ctx, request);
    await output(ctx, { provider: provider.name, ...(await estimate(ctx, request)) }, (r) => `${r.credits} credits`);
  },
});

import { output } from '../core/present.js';
import { currentProvider, requirePart } from '../providers/registry.js';
import { defineCommand } from './define.js';
import { inSpecTerms, requestFlags, requestFromFlags, SPEC_FLAG } from './request-flags.js';

/** The credit cost of `generate` with the same flags, before anything is spent. Local renders cost nothing. */
export default defineCommand({
  flags: { ...requestFlags({ submit: false }), spec: SPEC_FLAG },
  examples: [
    'ugc estimate --provider unrealugc --script "…" --creator tech-savvy-female-30 --product-name Acme --json',
    'ugc estimate --provider ugen --script "…" --product-name Acme --product-image https://cdn.example.com/p.jpg',
    'ugc estimate --provider unrealugc --spec ad.yaml',
  ],
  async run(ctx, input) {
    const provider = await currentProvider(ctx);
    const { request, origin } = await requestFromFlags(ctx, input, provider, 'estimate');
    const estimate = requirePart(provider, 'estimate', 'estimate');
    await requirePart(provider, 'jobs', 'estimate').validate(ctx, request).catch((error: unknown) => {
      throw inSpecTerms(error, origin);
    });
    await output(ctx, { provider: provider.name, ...(await estimate(ctx, request)) }, (r) => `${r.credits} credits`);
  },
});

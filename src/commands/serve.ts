import { resolve } from 'node:path';
import type { Context } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import { eachRow, output, printLine } from '../core/present.js';
import { DEFAULT_PROVIDER, getProvider, requirePart, supported } from '../providers/registry.js';
import { KeyStore, type KeyRecord } from '../serve/keys.js';
import { dataLayout, defaultDataDir } from '../serve/layout.js';
import { serveSecret, startServe } from '../serve/server.js';
import { defineCommand, isWholeIn, number, text, toggle, withDefault } from './define.js';

const dataDirFlag = text('<dir>', 'where serve keeps its keys, jobs, uploads and videos (default <config dir>/serve)');
const dataDirOf = (ctx: Context, given: string | undefined) => (given ? resolve(ctx.cwd, given) : defaultDataDir(ctx.configDir));

/** `ugc serve`: the vidgen API over the local pipeline, in the foreground until Ctrl-C or SIGTERM. */
export default defineCommand({
  flags: {
    port: withDefault(number('<n>', 'the port to listen on (0: any free port)', 'a port number', isWholeIn(0, 65535)), 8080),
    host: withDefault(text('<address>', 'the address to listen on (0.0.0.0: every interface)'), '127.0.0.1'),
    dataDir: dataDirFlag,
    concurrency: withDefault(number('<n>', 'renders at once', 'a whole number from 1 to 16', isWholeIn(1, 16)), 1),
    model: text('<id>', 'the model runner that renders every job: built in, or configured here (`ugc models`)'),
    publicUrl: text('<url>', 'the origin clients reach this server at, for the outputVideo and share URLs (default: the Host each request came with)'),
    allowPrivateWebhooks: toggle('let webhookUrl name private, loopback and link-local addresses, over http too (local tests, a private network)'),
  },
  examples: ['ugc serve keys add ci-bot', 'ugc serve --port 8080 --host 0.0.0.0 --data-dir /var/lib/ugc-serve', 'ugc serve --model sadtalker --concurrency 2 --public-url https://render.example.com'],
  async run(ctx, input) {
    if (input.model) {
      const local = getProvider(DEFAULT_PROVIDER);
      await supported(requirePart(local, 'models', 'serve').get, local, 'serve')(ctx, input.model);
    }
    if (input.publicUrl && !/^https?:\/\/[^/]+\/?$/.test(input.publicUrl)) throw new UsageError(`--public-url must be an origin like https://render.example.com (got "${input.publicUrl}")`);
    const dataDir = dataDirOf(ctx, input.dataDir);
    const keys = await new KeyStore(dataLayout(dataDir).keys).list();
    const log = (line: string) => printLine(ctx, `${new Date().toISOString()} ${line}`);
    const server = await startServe({ ctx, dataDir, host: input.host, port: input.port, publicUrl: input.publicUrl?.replace(/\/$/, '') ?? null, concurrency: input.concurrency, model: input.model ?? null, allowPrivateWebhooks: input.allowPrivateWebhooks === true, log });
    printLine(ctx, `ugc serve listening on ${server.url} (data dir ${dataDir}, ${input.concurrency} render${input.concurrency === 1 ? '' : 's'} at once)`);
    if (!keys.some((k) => !k.revokedAt)) ctx.io.stderr.write(`No API keys yet: every request but /api/health gets 401. Add one with: ugc serve keys add <name>${input.dataDir ? ` --data-dir ${input.dataDir}` : ''}\n`);
    await new Promise<void>((done) => {
      const stop = (signal: string) => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        printLine(ctx, `${signal}: stopping (a running render is queued again for the next start)`);
        void server.close().then(done);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
  },
});

const keyRow = (k: KeyRecord) => [k.name, k.id, k.createdAt, k.revokedAt ? `revoked ${k.revokedAt}` : 'active'];

export const keysAdd = defineCommand({
  args: ['name'],
  flags: { dataDir: dataDirFlag },
  examples: ['ugc serve keys add ci-bot', 'KEY=$(ugc serve keys add web-app --data-dir /var/lib/ugc-serve)'],
  async run(ctx, { name, dataDir }) {
    const { record, key } = await new KeyStore(dataLayout(dataDirOf(ctx, dataDir)).keys).add(name);
    // The key goes to stdout once (for a pipe or a secret store); only its hash is kept.
    if (ctx.global.json) return output(ctx, { ...record, key }, () => []);
    ctx.io.stdout.write(`${key}\n`);
    if (!ctx.global.quiet) ctx.io.stderr.write(`Key "${record.name}" (${record.id}) added. It is shown only now: store it; ugc keeps only its hash.\n`);
  },
});

export const keysList = defineCommand({
  flags: { dataDir: dataDirFlag },
  examples: ['ugc serve keys list', 'ugc serve keys list --json'],
  async run(ctx, { dataDir }) {
    const records = await new KeyStore(dataLayout(dataDirOf(ctx, dataDir)).keys).list();
    const shown = records.map(({ sha256: _hash, ...rest }) => rest);
    await output(ctx, shown, eachRow({ head: ['NAME', 'ID', 'CREATED', 'STATE'], row: (k: (typeof shown)[number]) => keyRow({ ...k, sha256: '' }) }));
  },
});

export const keysRevoke = defineCommand({
  args: ['name'],
  flags: { dataDir: dataDirFlag },
  examples: ['ugc serve keys revoke ci-bot', 'ugc serve keys revoke key_3f2a9c01d4e5'],
  async run(ctx, { name, dataDir }) {
    const record = await new KeyStore(dataLayout(dataDirOf(ctx, dataDir)).keys).revoke(name);
    await output(ctx, { ...record, sha256: undefined }, () => `revoked ${record.name} (${record.id}): its requests get 401 from now on`);
  },
});

/** Prints the secret that signs the webhook deliveries of one key's jobs (`X-Webhook-Signature`), alone, on stdout. */
export const secret = defineCommand({
  args: ['name'],
  flags: { dataDir: dataDirFlag },
  examples: ['ugc serve secret ci-bot', 'export WEBHOOK_SECRET=$(ugc serve secret web-app --data-dir /var/lib/ugc-serve)'],
  async run(ctx, { name, dataDir }) {
    const root = dataDirOf(ctx, dataDir);
    const record = await new KeyStore(dataLayout(root).keys).find(name);
    ctx.io.stdout.write(`${await serveSecret(root, record.id)}\n`);
  },
});

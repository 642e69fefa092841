import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import type { Context, GlobalOptions, World } from './core/context.js';
import { ExitCode } from './core/errors.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

export type { World } from './core/context.js';

// `never[]` accepts handlers of any argument list; commander supplies the arguments at run time.
type Handler = (ctx: Context, ...args: never[]) => Promise<number | void>;

/** Command modules are imported only when their command runs, so `ugc --version` loads almost nothing. */
const lazy =
  (load: () => Promise<{ default: Handler }>) =>
  (world: World, program: Command) =>
  async (...args: unknown[]) => {
    const command = args[args.length - 1] as Command;
    const { createContext } = await import('./core/context.js');
    const ctx = createContext(world, command.optsWithGlobals() as GlobalOptions);
    const { default: handler } = await load();
    program.setOptionValue('__exitCode', (await (handler as (ctx: Context, ...rest: unknown[]) => Promise<number | void>)(ctx, ...args.slice(0, -1))) ?? ExitCode.Ok);
  };

const examples = (lines: string[]) => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The flags of `generate`, shared by `estimate` (same flags, nothing spent). */
function addGenerateOptions(command: Command): Command {
  return command
    .option('--script <text>', 'what the creator says')
    .option('--script-file <path>', 'read the script from a file')
    .option('--creator <id|slug>', 'stock or custom creator (see `ugc creators`)')
    .option('--image <path>', 'your own photo instead of a stock creator')
    .option('--voice <id>', 'voice (see `ugc voices`); default: the creator\'s')
    .option('--audio <path>', 'your own voiceover (no TTS); the script then only feeds the captions')
    .option('--aspect <ratio>', '9:16 (default), 16:9 or 1:1')
    .option('--captions <style>', 'karaoke (default), clean or none')
    .option('--music <path>', 'background music, looped and ducked under the voice')
    .option('--product-name <text>', 'product name for the end card')
    .option('--product-image <path|url>', 'product photo shown as a card')
    .option('--cta <text>', 'call to action for the end card')
    .option('--prompt <text>', 'scene prompt (providers that take one)')
    .option('--model <id>', 'model (see `ugc models`)')
    .option('--duration <seconds>', 'target length in seconds')
    .option('--resolution <res>', '720p or 1080p (default)')
    .option('--param <key=value>', 'provider-specific field, repeatable', collect, [])
    .option('--webhook-url <url>', 'URL the provider calls when the job ends')
    .option('--idempotency-key <key>', 'reuse to make a retried submission return the same job')
    .option('--out <file.mp4|dir>', 'where to write the video (default ./ugc-out/<id>.mp4)');
}

function buildProgram(world: World): Command {
  const program = new Command('ugc')
    .description('Render UGC-style video ads on this machine, or drive remote UGC video APIs, from one CLI.')
    .version(version, '-v, --version')
    .addOption(new Option('--provider <name>', 'provider: local (default), unrealugc, ultimatecreator, ugen, apex, vidgen'))
    .option('--base-url <url>', 'override the provider API base URL')
    .option('--profile <name>', 'stored profile to use')
    .option('--json', 'print JSON on stdout', false)
    .option('--quiet', 'no progress or hints on stderr', false)
    .option('--no-input', 'never prompt; fail with the flag to pass instead')
    .option('--no-color', 'no colour or spinner')
    .option('--debug', 'log details (secrets redacted) and stack traces to stderr', false)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => world.stdout.write(s),
      writeErr: (s) => world.stderr.write(s),
    })
    .exitOverride();
  const action = (load: () => Promise<{ default: Handler }>) => lazy(load)(world, program);

  program
    .command('generate')
    .description('render an ad (local) or submit it to a provider, wait for it and download it')
    .option('--no-wait', 'return the job id as soon as the job is accepted')
    .addHelpText('after', examples([
      'ugc generate --script "I have been using this for two weeks and I am genuinely shocked." --creator mia',
      'ugc generate --script-file ad.txt --creator leo --aspect 1:1 --captions clean --music bed.mp3 --out ads/',
      'ugc generate --script "Meet Glow Serum." --image me.jpg --product-image serum.png --product-name "Glow Serum" --cta "Shop now"',
      'ugc generate --script "…" --creator mia --no-wait --json',
    ]))
    .action(action(() => import('./commands/generate.js')));
  addGenerateOptions(program.commands.find((c) => c.name() === 'generate') as Command);

  addGenerateOptions(
    program
      .command('estimate')
      .description('the credit cost of a generate with the same flags, before spending anything')
      .addHelpText('after', examples(['ugc estimate --provider unrealugc --script "…" --creator tech-savvy-female-30 --product-name Acme --json']))
      .action(action(() => import('./commands/estimate.js'))),
  );

  program
    .command('status <id>')
    .description('show a job')
    .addHelpText('after', examples(['ugc status job_abc123', 'ugc status job_abc123 --json']))
    .action(action(() => import('./commands/status.js')));

  program
    .command('watch <id>')
    .description('follow a job to the end, then download its video')
    .option('--interval <seconds>', 'seconds between polls')
    .option('--timeout <seconds>', 'give up after this many seconds')
    .option('--out <file.mp4|dir>', 'where to write the video')
    .addHelpText('after', examples(['ugc watch job_abc123', 'ugc watch job_abc123 --json --timeout 600']))
    .action(action(() => import('./commands/watch.js')));

  program
    .command('cancel <id>')
    .description('cancel a queued or running job (a local render is stopped and leaves no file)')
    .addHelpText('after', examples(['ugc cancel job_abc123']))
    .action(action(() => import('./commands/cancel.js')));

  program
    .command('jobs')
    .description('list the jobs this machine created, newest first')
    .option('--status <status>', 'only jobs with this status')
    .option('--limit <n>', 'at most this many', '20')
    .addHelpText('after', examples(['ugc jobs', 'ugc jobs --status failed --json']))
    .action(action(() => import('./commands/jobs.js')));

  const creators = program.command('creators').description('stock and custom creators');
  creators
    .command('list', { isDefault: true })
    .description('list creators')
    .option('--include <kind>', 'stock or custom')
    .addHelpText('after', examples(['ugc creators', 'ugc creators --include custom --json']))
    .action(action(() => import('./commands/creators.js').then((m) => ({ default: m.list }))));
  creators
    .command('show <id>')
    .description('show one creator')
    .addHelpText('after', examples(['ugc creators show mia --json']))
    .action(action(() => import('./commands/creators.js').then((m) => ({ default: m.show }))));
  creators
    .command('add <image-path>')
    .description('add a custom creator from a photo')
    .requiredOption('--name <name>', 'display name')
    .addHelpText('after', examples(['ugc creators add founder.jpg --name "Founder"']))
    .action(action(() => import('./commands/creators.js').then((m) => ({ default: m.add }))));
  creators
    .command('rm <id>')
    .description('remove a custom creator')
    .addHelpText('after', examples(['ugc creators rm cc_1a2b3c4d5e6f']))
    .action(action(() => import('./commands/creators.js').then((m) => ({ default: m.rm }))));

  const voices = program.command('voices').description('voices for the voiceover');
  voices
    .command('list', { isDefault: true })
    .description('list voices')
    .addHelpText('after', examples(['ugc voices', 'ugc voices --json']))
    .action(action(() => import('./commands/voices.js').then((m) => ({ default: m.list }))));
  voices
    .command('show <id>')
    .description('show one voice')
    .addHelpText('after', examples(['ugc voices show en-us-female']))
    .action(action(() => import('./commands/voices.js').then((m) => ({ default: m.show }))));
  voices
    .command('add <sample-path>')
    .description('clone a voice from an audio sample (remote providers)')
    .requiredOption('--name <name>', 'display name')
    .addHelpText('after', examples(['ugc voices add founder.mp3 --name "Founder" --provider unrealugc']))
    .action(action(() => import('./commands/voices.js').then((m) => ({ default: m.add }))));
  voices
    .command('rm <id>')
    .description('remove a cloned voice (remote providers)')
    .addHelpText('after', examples(['ugc voices rm voice_123 --provider unrealugc']))
    .action(action(() => import('./commands/voices.js').then((m) => ({ default: m.rm }))));

  const uploads = program.command('uploads').description('presigned uploads (remote providers)');
  uploads
    .command('avatar <image-path>')
    .description('upload a creator photo; prints the storage key')
    .addHelpText('after', examples(['ugc uploads avatar me.png --provider unrealugc']))
    .action(action(() => import('./commands/uploads.js').then((m) => ({ default: m.avatar }))));
  uploads
    .command('voice-sample <audio-path>')
    .description('upload a voice sample; prints the storage key')
    .addHelpText('after', examples(['ugc uploads voice-sample me.mp3 --provider unrealugc --json']))
    .action(action(() => import('./commands/uploads.js').then((m) => ({ default: m.voiceSample }))));

  program
    .command('models')
    .description('models (local: the model runners that animate the creator)')
    .addHelpText('after', examples(['ugc models --json']))
    .action(action(() => import('./commands/models.js')));

  program
    .command('doctor')
    .description('check ffmpeg, TTS, the config dir and keys')
    .addHelpText('after', examples(['ugc doctor', 'ugc doctor --json']))
    .action(action(() => import('./commands/doctor.js')));

  program
    .command('login')
    .description('store an API key for a provider (checked with the provider first)')
    .option('--with-token', 'read the key from stdin instead of prompting')
    .addHelpText('after', examples(['ugc login --provider unrealugc', 'echo "$UNREALUGC_KEY" | ugc login --provider unrealugc --with-token']))
    .action(action(() => import('./commands/account.js').then((m) => ({ default: m.login }))));
  program
    .command('logout')
    .description('remove the stored API key of a provider')
    .addHelpText('after', examples(['ugc logout --provider unrealugc']))
    .action(action(() => import('./commands/account.js').then((m) => ({ default: m.logout }))));
  program
    .command('whoami')
    .description('the account, its credits, and where the key came from')
    .addHelpText('after', examples(['ugc whoami --provider ugen --json']))
    .action(action(() => import('./commands/account.js').then((m) => ({ default: m.whoami }))));

  const webhooks = program.command('webhooks').description('forward signed job events to a local endpoint, like `stripe listen`');
  webhooks
    .command('secret')
    .description("print the signing secret ugc uses for a provider's events (stable across runs)")
    .addHelpText('after', examples(['ugc webhooks secret --provider ugen', 'export UGC_WEBHOOK_SECRET=$(ugc webhooks secret --provider local)']))
    .action(action(() => import('./commands/webhooks.js').then((m) => ({ default: m.secret }))));
  webhooks
    .command('listen')
    .description('forward events of local renders, remote jobs and inbound deliveries to your endpoint')
    .option('--forward-to <url>', 'where to POST events, repeatable', collect, [])
    .option('--events <a,b>', 'only these event types')
    .option('--port <n>', 'also receive provider deliveries at http://127.0.0.1:<n>/<provider>')
    .addHelpText('after', examples(['ugc webhooks listen --forward-to http://localhost:3000/webhooks', 'ugc webhooks listen --forward-to http://localhost:3000/hooks --events video.completed,video.failed --port 4242 --json']))
    .action(action(() => import('./commands/webhooks.js').then((m) => ({ default: m.listenCommand }))));
  webhooks
    .command('trigger <event>')
    .description('send a signed sample event (or a real job\'s) to a handler')
    .option('--forward-to <url>', 'where to POST it, repeatable', collect, [])
    .option('--job <id>', 'use this job instead of a sample')
    .addHelpText('after', examples(['ugc webhooks trigger video.completed --forward-to http://localhost:3000/webhooks', 'ugc webhooks trigger job.completed --provider ugen --forward-to http://localhost:3000/ugen']))
    .action(action(() => import('./commands/webhooks.js').then((m) => ({ default: m.trigger }))));
  webhooks
    .command('events')
    .description('recent events and how their deliveries went')
    .option('--limit <n>', 'at most this many', '50')
    .addHelpText('after', examples(['ugc webhooks events', 'ugc webhooks events --json']))
    .action(action(() => import('./commands/webhooks.js').then((m) => ({ default: m.events }))));
  webhooks
    .command('replay <event-id>')
    .description('send a recorded event again')
    .option('--forward-to <url>', 'send it here instead of its original targets, repeatable', collect, [])
    .addHelpText('after', examples(['ugc webhooks replay evt_3f2a9c1b7d4e', 'ugc webhooks replay evt_3f2a9c1b7d4e --forward-to http://localhost:3001/hooks']))
    .action(action(() => import('./commands/webhooks.js').then((m) => ({ default: m.replay }))));

  program
    .command('batch <rows>')
    .description('produce many ads from a CSV, JSON Lines or JSON rows file; resumable; exit 5 if any row failed')
    .option('--out <dir>', 'output directory (default ./ugc-out); holds the resume manifest')
    .option('--concurrency <n>', 'rows at once (default: half the cores for local renders, the provider\'s limit otherwise)')
    .option('--max-credits <n>', 'refuse to start if the estimate is higher')
    .option('--dry-run', 'print the plan and the credit estimate; spend nothing')
    .option('--report <junit.xml>', 'write a JUnit report for CI')
    .option('--queue <redis-url>', 'put the rows on a BullMQ queue for `ugc worker` processes')
    .option('--retry-failed', 'also redo rows that failed in an earlier run')
    .addHelpText('after', examples(['ugc batch templates/batch-sample.csv --out ads/', 'ugc batch rows.csv --provider unrealugc --dry-run --max-credits 5000', 'ugc batch rows.jsonl --out /shared/ads --queue redis://redis:6379 --report junit.xml']))
    .action(action(() => import('./commands/batch.js')));
  program
    .command('worker')
    .description('take batch rows off a BullMQ queue (run on any number of machines)')
    .option('--queue <redis-url>', 'the Redis behind the queue')
    .option('--concurrency <n>', 'rows at once in this worker', '1')
    .addHelpText('after', examples(['ugc worker --queue redis://redis:6379', 'ugc worker --queue redis://redis:6379 --concurrency 2']))
    .action(action(() => import('./commands/worker.js')));

  program.command('__render-job <id>', { hidden: true }).action(action(() => import('./commands/render-job.js')));
  return program;
}

/** Runs the CLI and resolves to the exit code. Never throws; never calls process.exit. */
export async function run(argv: string[], world: World = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() }): Promise<number> {
  const program = buildProgram(world);
  try {
    await program.parseAsync(argv);
    return (program.getOptionValue('__exitCode') as number | undefined) ?? ExitCode.Ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return ExitCode.Ok;
      return ExitCode.Usage;
    }
    const { reportError } = await import('./core/report-error.js');
    return reportError(world.stderr, error, argv.includes('--debug'));
  }
}

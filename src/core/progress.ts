import type { Context } from './context.js';

/** What each stage of a render or a remote job is called on screen. */
const STAGE_NAMES: Record<string, string> = {
  voice: 'voice',
  prepare: 'lip-sync, captions',
  encode: 'encoding',
  finish: 'finishing',
  download: 'downloading',
  queued: 'queued',
  processing: 'processing',
};

export const stageName = (stage: string): string => STAGE_NAMES[stage] ?? stage;

const FRAMES = '⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏';
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
const BAR_WIDTH = 20;
const REDRAW_MS = 100;

type Stream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

/** `12 s`, `3 min 5 s`. */
export function formatSeconds(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  return whole < 60 ? `${whole} s` : `${Math.floor(whole / 60)} min ${whole % 60} s`;
}

/**
 * The bar on a terminal: one line redrawn in place (spinner, title, stage, bar, percent, elapsed, ETA).
 * It never touches stdin, so Ctrl-C stays the terminal's: a SIGINT to the process. Lines other code
 * writes to the same stream meanwhile are printed above the bar, which is drawn again under them.
 */
class TerminalBar {
  private frame = 0;
  private stage = '';
  private percent: number | null = null;
  private readonly started = Date.now();
  private stopped = false;
  private readonly timer: NodeJS.Timeout;
  private readonly write: Stream['write'];

  constructor(
    private readonly stream: Stream,
    public title: string,
  ) {
    this.write = stream.write.bind(stream) as Stream['write'];
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      this.write('\r\x1b[2K');
      const written = (this.write as (...args: unknown[]) => boolean)(chunk, ...rest);
      this.draw();
      return written;
    }) as Stream['write'];
    this.write('\x1b[?25l');
    process.once('exit', this.restoreCursor);
    for (const signal of SIGNALS) process.on(signal, this.onSignal);
    this.draw();
    this.timer = setInterval(() => this.draw(), REDRAW_MS);
    this.timer.unref();
  }

  private readonly restoreCursor = () => this.write('\x1b[?25h');

  /**
   * A signal never leaves the terminal's cursor hidden. When nothing else handles it (a command's modules
   * are still loading), it is raised again once this listener is gone, so the default still ends the process.
   */
  private readonly onSignal = (signal: NodeJS.Signals) => {
    this.restoreCursor();
    if (process.listenerCount(signal) > 1) return;
    this.stop();
    this.write('\n');
    process.kill(process.pid, signal);
  };

  update(stage: string, percent: number): void {
    this.stage = stageName(stage);
    this.percent = Math.max(0, Math.min(100, percent));
    this.draw();
  }

  private draw(): void {
    const elapsed = (Date.now() - this.started) / 1000;
    const spinner = `\x1b[36m${FRAMES[this.frame++ % FRAMES.length]}\x1b[39m`;
    const parts = [`${spinner} ${this.title}`];
    if (this.stage) parts.push(this.stage);
    if (this.percent !== null) {
      const filled = Math.round((this.percent / 100) * BAR_WIDTH);
      parts.push(`\x1b[36m${'━'.repeat(filled)}\x1b[2m${'━'.repeat(BAR_WIDTH - filled)}\x1b[22m\x1b[39m ${String(this.percent).padStart(3)}%`);
    }
    let times = formatSeconds(elapsed);
    // An estimate only once there is something to go on.
    if (this.percent !== null && this.percent >= 3 && this.percent < 100 && elapsed >= 1) times += ` · ETA ${formatSeconds((elapsed * (100 - this.percent)) / this.percent)}`;
    parts.push(`\x1b[2m${times}\x1b[22m`);
    this.write(`\r\x1b[2K${fitWidth(parts.join('  '), (this.stream.columns ?? 80) - 1)}`);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    this.stream.write = this.write;
    this.write('\r\x1b[2K');
    this.restoreCursor();
    process.off('exit', this.restoreCursor);
    for (const signal of SIGNALS) process.off(signal, this.onSignal);
  }
}

// eslint-disable-next-line no-control-regex -- terminal escape sequences are what it finds
const ESCAPE = /(\x1b\[[0-9;?]*[a-zA-Z])/;

/** Cuts a line with colour codes to `width` visible characters, so it never wraps (a wrapped line cannot be redrawn in place). */
function fitWidth(line: string, width: number): string {
  let visible = 0;
  let out = '';
  for (const part of line.split(ESCAPE)) {
    if (part.startsWith('\x1b[')) {
      out += part;
      continue;
    }
    const room = Math.max(0, width - visible);
    out += [...part].slice(0, room).join('');
    visible += Math.min(room, [...part].length);
  }
  return `${out}\x1b[0m`;
}

/** A bar shown by the CLI as soon as a long command starts, before its modules load; the command's display takes it over. */
let early: { stream: Stream; bar: TerminalBar } | null = null;

/**
 * Stage and percent on stderr: a bar for a person at a terminal, otherwise a plain line whenever the
 * stage changes or another 10% is done (readable in CI logs). Silent under --quiet.
 */
export class ProgressDisplay {
  private lastStage = '';
  private lastDecile = -1;

  private constructor(
    private readonly ctx: Context,
    private readonly bar: TerminalBar | null,
    private readonly silent: boolean,
  ) {}

  /**
   * Shows the bar at once on a terminal (a person sees something within a moment of pressing Enter);
   * elsewhere nothing until the first update. Stopping it clears its line, so an input error found before
   * any work is still one clean line.
   */
  static start(ctx: Context, text: string, options: { show?: boolean } = {}): ProgressDisplay {
    const title = text.replace(/…$/, '');
    const silent = ctx.global.quiet || options.show === false;
    if (silent || !ctx.fancy) {
      dismissEarlyProgress();
      return new ProgressDisplay(ctx, null, silent);
    }
    const stream = ctx.io.stderr as Stream;
    let bar: TerminalBar;
    if (early && early.stream === stream) {
      bar = early.bar;
      bar.title = title;
    } else {
      dismissEarlyProgress();
      bar = new TerminalBar(stream, title);
    }
    early = null;
    return new ProgressDisplay(ctx, bar, false);
  }

  /** The bar's title, once the command knows what it is doing (`Rendering`, `Generating with vidgen`). */
  retitle(text: string): void {
    if (this.bar) this.bar.title = text.replace(/…$/, '');
  }

  update(stage: string, percent: number): void {
    if (this.silent) return;
    if (this.bar) return this.bar.update(stage, percent);
    const decile = Math.floor(percent / 10);
    if (stage === this.lastStage && decile === this.lastDecile) return;
    this.lastStage = stage;
    this.lastDecile = decile;
    this.ctx.io.stderr.write(`${stageName(stage)} ${percent}%\n`);
  }

  stop(): void {
    this.bar?.stop();
  }
}

/** Starts the bar for a long command before its modules load (cli.ts); `ProgressDisplay.start` takes it over. */
export function showEarlyProgress(stream: Stream, title: string): void {
  if (early) return;
  early = { stream, bar: new TerminalBar(stream, title) };
}

/** Clears a bar no command took over (the command failed or printed something else first). */
export function dismissEarlyProgress(): void {
  early?.bar.stop();
  early = null;
}

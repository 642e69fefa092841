import type { Context } from './context.js';

/**
 * Stage and percent on stderr: a spinner for a person at a terminal, otherwise a plain line whenever the
 * stage changes or another 10% is done (readable in CI logs). Silent under --quiet.
 */
export class ProgressDisplay {
  private spinner: { text: string; stop(): void; succeed(text?: string): void; fail(text?: string): void } | null = null;
  private lastStage = '';
  private lastDecile = -1;

  private constructor(private readonly ctx: Context) {}

  static async start(ctx: Context, text: string): Promise<ProgressDisplay> {
    const display = new ProgressDisplay(ctx);
    if (ctx.global.quiet) return display;
    if (ctx.fancy) {
      const { default: ora } = await import('ora');
      display.spinner = ora({ text, stream: ctx.io.stderr as NodeJS.WriteStream }).start();
    } else {
      ctx.io.stderr.write(`${text}\n`);
    }
    return display;
  }

  update(stage: string, percent: number): void {
    if (this.ctx.global.quiet) return;
    if (this.spinner) {
      this.spinner.text = `${stage} ${percent}%`;
      return;
    }
    const decile = Math.floor(percent / 10);
    if (stage === this.lastStage && decile === this.lastDecile) return;
    this.lastStage = stage;
    this.lastDecile = decile;
    this.ctx.io.stderr.write(`${stage} ${percent}%\n`);
  }

  succeed(text: string): void {
    if (this.spinner) this.spinner.succeed(text);
    else if (!this.ctx.global.quiet) this.ctx.io.stderr.write(`${text}\n`);
  }

  fail(text: string): void {
    if (this.spinner) this.spinner.fail(text);
    else if (!this.ctx.global.quiet) this.ctx.io.stderr.write(`${text}\n`);
  }

  stop(): void {
    this.spinner?.stop();
  }
}

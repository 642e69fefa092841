import type { Context } from './context.js';

/**
 * Stage and percent on stderr: a spinner for a person at a terminal, otherwise a plain line whenever the
 * stage changes or another 10% is done (readable in CI logs). Silent under --quiet.
 */
export class ProgressDisplay {
  private spinner: { text: string; stop(): void } | null = null;
  private lastStage = '';
  private lastDecile = -1;

  private constructor(
    private readonly ctx: Context,
    private readonly title: string,
  ) {}

  /** Shows nothing until the first update, so input errors found before any work stay one clean line. */
  static async start(ctx: Context, text: string): Promise<ProgressDisplay> {
    const display = new ProgressDisplay(ctx, text.replace(/…$/, ''));
    if (ctx.fancy && !ctx.global.quiet) {
      const { default: ora } = await import('ora');
      display.makeSpinner = () => ora({ text, stream: ctx.io.stderr as NodeJS.WriteStream }).start();
    }
    return display;
  }

  private makeSpinner: (() => NonNullable<ProgressDisplay['spinner']>) | null = null;

  update(stage: string, percent: number): void {
    if (this.ctx.global.quiet) return;
    if (this.makeSpinner) {
      this.spinner = this.makeSpinner();
      this.makeSpinner = null;
    }
    if (this.spinner) {
      this.spinner.text = `${this.title}: ${stage} ${percent}%`;
      return;
    }
    const decile = Math.floor(percent / 10);
    if (stage === this.lastStage && decile === this.lastDecile) return;
    this.lastStage = stage;
    this.lastDecile = decile;
    this.ctx.io.stderr.write(`${stage} ${percent}%\n`);
  }

  stop(): void {
    this.spinner?.stop();
  }
}

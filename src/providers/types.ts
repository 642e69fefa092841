import type { Context } from '../core/context.js';
import type { Job, ProviderName } from '../core/job.js';
import type { GenerateRequest } from '../core/request.js';

export interface ProviderCapabilities {
  cancel: boolean;
  creators: boolean;
  voices: boolean;
  uploads: boolean;
  models: boolean;
  estimate: boolean;
  projects: boolean;
}

export interface SubmitOptions {
  /** The id the new job record gets (the default output file is named after it). */
  jobId: string;
  /** Resolved `--out`: where the finished video goes. */
  outputPath: string;
  /** Render or poll to completion in this process (`generate`), or hand off and return (`--no-wait`). */
  wait: boolean;
  onProgress?: (stage: string, percent: number) => void;
  signal: AbortSignal;
}

/** One adapter per provider: a thin mapping between the unified job model and that provider's API. */
export interface Provider {
  readonly name: ProviderName;
  readonly capabilities: ProviderCapabilities;
  /** How often `watch` and a waiting `generate` poll (the provider's recommendation). */
  readonly pollIntervalSeconds: number;
  /** Checks the request against what this provider accepts (files, creators, voices) before anything is spent. */
  validate(ctx: Context, request: GenerateRequest): Promise<void>;
  submit(ctx: Context, request: GenerateRequest, options: SubmitOptions): Promise<Job>;
  /** The job's current state (refreshing the stored record). */
  refresh(ctx: Context, job: Job): Promise<Job>;
  cancel(ctx: Context, job: Job): Promise<Job>;
}

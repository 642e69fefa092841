import { UsageError } from '../../core/errors.js';
import { stillRunner } from './still.js';
import { talkingRunner } from './talking.js';
import type { ModelRunner } from './types.js';

export type { CreatorClip, ModelRunner, RunnerInput } from './types.js';

const runners = new Map<string, ModelRunner>([stillRunner, talkingRunner].map((r) => [r.id, r]));

/** Lets a plug-in (e.g. a lip-sync model behind an HTTP server on a GPU box) add itself. */
export function registerRunner(runner: ModelRunner): void {
  runners.set(runner.id, runner);
}

export function listRunners(): ModelRunner[] {
  return [...runners.values()];
}

export function getRunner(id: string): ModelRunner {
  const runner = runners.get(id);
  if (!runner) throw new UsageError(`unknown model "${id}" for the local provider`, `Known models: ${[...runners.keys()].join(', ')} (see \`ugc models\`).`);
  return runner;
}

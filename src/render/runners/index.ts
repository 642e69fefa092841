import { UsageError } from '../../core/errors.js';
import { cogHealth, cogRunner, CogServer } from './cog.js';
import { findConfiguredRunner, listConfiguredRunners, type RunnerSettings } from './configured.js';
import { execRunner } from './exec.js';
import { stillRunner } from './still.js';
import { talkingRunner } from './talking.js';
import type { ModelRunner, RunnerHealth, RunnerHooks } from './types.js';

export type { CreatorClip, ModelRunner, RunnerHealth, RunnerHooks, RunnerInput } from './types.js';

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

/** Whether `id` names a runner built into (or registered with) this process, rather than one configured in the config dir. */
export const isBuiltInRunner = (id: string): boolean => runners.has(id);

/** A configured runner's settings as a runner (a Cog server or a command), reporting its progress through `hooks`. */
export function configuredRunner(settings: RunnerSettings, hooks: RunnerHooks = {}): ModelRunner {
  return settings.kind === 'cog' ? cogRunner(settings, hooks) : execRunner(settings, hooks);
}

/** A runner by id: built in or registered, else configured in `configDir` (`ugc models add`); unknown ids are a usage error. */
export async function findRunner(id: string, configDir: string, hooks: RunnerHooks = {}): Promise<ModelRunner> {
  const builtIn = runners.get(id);
  if (builtIn) return builtIn;
  const settings = await findConfiguredRunner(configDir, id);
  if (settings) return configuredRunner(settings, hooks);
  const configured = (await listConfiguredRunners(configDir)).map((r) => r.name);
  throw new UsageError(`unknown model "${id}" for the local provider`, `Known models: ${[...runners.keys(), ...configured].join(', ')} (see \`ugc models\`; add one with \`ugc models add\`).`);
}

/** One runner as `ugc models` lists it: what it is and whether it can run now. */
export interface RunnerSummary extends RunnerHealth {
  id: string;
  kind: 'built-in' | RunnerSettings['kind'];
  description: string;
}

const builtInSummary = (runner: ModelRunner, available: boolean): RunnerSummary => ({ id: runner.id, kind: 'built-in', description: runner.description, available, status: available ? 'READY' : 'UNAVAILABLE', detail: null });

async function configuredSummary(settings: RunnerSettings): Promise<RunnerSummary> {
  const runner = configuredRunner(settings);
  const health = await (runner.health as () => Promise<RunnerHealth>)();
  return { id: settings.name, kind: settings.kind, description: runner.description, ...health };
}

/** Every runner with its live health (configured ones asked in parallel). */
export async function runnerSummaries(configDir: string): Promise<RunnerSummary[]> {
  const builtIn = await Promise.all(listRunners().map(async (r) => builtInSummary(r, await r.available())));
  return [...builtIn, ...(await Promise.all((await listConfiguredRunners(configDir)).map(configuredSummary)))];
}

/** `ugc models show`: a runner's settings and live health; for a Cog server also the model's own inputs (from its OpenAPI schema). */
export async function describeRunner(id: string, configDir: string): Promise<RunnerSummary & Record<string, unknown>> {
  const builtIn = runners.get(id);
  if (builtIn) return { ...builtInSummary(builtIn, await builtIn.available()) };
  const settings = await findConfiguredRunner(configDir, id);
  if (!settings) await findRunner(id, configDir);
  const known = settings as RunnerSettings;
  const { name, ...rest } = known;
  const summary = await configuredSummary(known);
  if (known.kind !== 'cog') return { ...summary, ...rest, id: name };
  const modelInputs = summary.status === 'UNREACHABLE' ? null : await new CogServer(known.url).inputs();
  return { ...summary, ...rest, id: name, modelInputs, problems: modelInputs ? inputProblems(known, modelInputs) : [] };
}

/** Names we would send that the model does not take (Cog drops unknown inputs silently, then the model misses them). */
export function inputProblems(settings: Extract<RunnerSettings, { kind: 'cog' }>, modelInputs: Record<string, unknown>): string[] {
  const known = Object.keys(modelInputs);
  const problems: string[] = [];
  for (const [kind, field] of Object.entries(settings.inputs)) {
    if (field && !(field in modelInputs)) problems.push(`the model has no input "${field}" for our ${kind} (--input ${kind}=<name>); its inputs: ${known.join(', ')}`);
  }
  for (const key of Object.keys(settings.params)) {
    if (!(key in modelInputs)) problems.push(`the model has no input "${key}" (--param ${key}=…); its inputs: ${known.join(', ')}`);
  }
  return problems;
}

export { cogHealth, cogRunner, execRunner };

import type { Context } from '../core/context.js';
import { UgcError, UsageError } from '../core/errors.js';
import { note } from '../core/present.js';
import { InputError, type GenerateRequest } from '../core/request.js';
import { addConfiguredRunner, alreadyConfigured, findConfiguredRunner, removeConfiguredRunner, runnerSettingsFrom, type RunnerFlags, type RunnerSettings } from '../render/runners/configured.js';
import { CogServer } from '../render/runners/cog.js';
import { configuredRunner, describeRunner, findRunner, inputProblems, isBuiltInRunner, runnerSummaries, type RunnerHealth } from '../render/runners/index.js';
import type { CatalogItem } from './definition.js';

/**
 * The local provider's model runners: the built-in ones and those configured on this machine with
 * `ugc models add` (a Cog server or a command). Loaded only by the commands and renders that need them.
 */

export async function listModels(ctx: Context): Promise<CatalogItem[]> {
  return (await runnerSummaries(ctx.configDir)) as unknown as CatalogItem[];
}

export async function showModel(ctx: Context, id: string): Promise<CatalogItem> {
  return (await describeRunner(id, ctx.configDir)) as CatalogItem;
}

export async function removeModel(ctx: Context, id: string): Promise<void> {
  await removeConfiguredRunner(ctx.configDir, id);
}

/**
 * `ugc models add`: the settings from the flags; a Cog server that answers is asked for its inputs and
 * must take the names we would send (a model that does not answer now is stored with a notice).
 */
export async function addModel(ctx: Context, name: string, flags: RunnerFlags): Promise<CatalogItem> {
  const settings = runnerSettingsFrom(name, flags, { cwd: ctx.cwd });
  if (await findConfiguredRunner(ctx.configDir, name)) throw alreadyConfigured(name);
  const health = await (configuredRunner(settings).health as () => Promise<RunnerHealth>)();
  let checked = false;
  if (settings.kind === 'cog' && health.status !== 'UNREACHABLE') {
    const modelInputs = await new CogServer(settings.url).inputs();
    const [problem] = modelInputs ? inputProblems(settings, modelInputs) : [];
    if (problem) throw new UsageError(`${name}: ${problem}`, 'Nothing was stored. Map our inputs with --input image=<name> --input audio=<name> (or video=<name>).');
    checked = modelInputs !== null;
  }
  await addConfiguredRunner(ctx.configDir, settings);
  const unchecked = settings.kind === 'cog' && !checked ? '; its input names could not be checked' : '';
  if (!health.available || unchecked) note(ctx, `${name} was added${health.available ? '' : `, but it is not available now (${health.status}${health.detail ? `: ${health.detail}` : ''})`}${unchecked}.`);
  const { name: id, ...rest } = settings;
  return { id, ...rest, ...health };
}

/** `--model` and `--fallback` name runners that exist here (checked with the rest of the request, before anything runs). */
export async function checkModelFields(ctx: Context, request: GenerateRequest): Promise<void> {
  if (request.model) {
    await findRunner(request.model, ctx.configDir).catch((error: unknown) => {
      if (error instanceof UsageError) throw new InputError({ field: 'model', message: `{}: ${error.message}`, hint: error.hint });
      throw error;
    });
  }
  if (request.fallback && !isBuiltInRunner(request.fallback)) {
    throw new InputError({ field: 'fallback', message: `{} must be a built-in runner (talking or still), used when {model}'s is unavailable (got "${request.fallback}")` });
  }
}

/**
 * The runner a local job renders with, decided once at its start: a configured runner must be available
 * now (a Cog server that answers and has not failed, a command that exists), or the job stops before any
 * work (exit 1), or with `--fallback` renders with that built-in runner instead, saying so.
 */
export async function chooseRunner(ctx: Context, request: GenerateRequest): Promise<string | null> {
  const id = request.model;
  if (!id || isBuiltInRunner(id)) return id;
  const settings = (await findConfiguredRunner(ctx.configDir, id)) as RunnerSettings;
  const health = await (configuredRunner(settings).health as () => Promise<RunnerHealth>)();
  if (health.available) return id;
  const why = `${id} is unavailable (${health.status}${health.detail ? `: ${health.detail}` : ''})`;
  if (request.fallback) {
    note(ctx, `${why}: rendering with the built-in ${request.fallback} runner instead (--fallback).`);
    return request.fallback;
  }
  throw new UgcError(`${why}; nothing was rendered`, { code: 'model_unavailable', hint: `\`ugc models show ${id}\` shows its settings and health; --fallback talking renders without it.` });
}

/**
 * How many of these jobs can usefully run at once: when every one renders with a configured runner, the
 * sum of those runners' slots (a model server that holds one prediction at a time takes one job at a time).
 */
export async function slotsFor(ctx: Context, requests: GenerateRequest[]): Promise<number | null> {
  const names = new Set(requests.map((r) => r.model));
  const runners: RunnerSettings[] = [];
  for (const name of names) {
    const settings = name && !isBuiltInRunner(name) ? await findConfiguredRunner(ctx.configDir, name) : null;
    if (!settings) return null;
    runners.push(settings);
  }
  return runners.reduce((sum, r) => sum + r.slots, 0);
}

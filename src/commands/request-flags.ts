import { resolve } from 'node:path';
import type { Context } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import { checkRequest, InputError, parseRequest, REQUEST_FIELDS, SCRIPT_FILE, type FieldSpec, type GenerateRequest, type InputField, type RawRequest, type RequestField } from '../core/request.js';
import { describeSpecIssue, readSpec, withSpec, type AdSpec } from '../core/spec.js';
import type { ProviderDefinition } from '../providers/definition.js';
import { requirePart } from '../providers/registry.js';
import { list, text, toggle, type Flag } from './define.js';

type Fields = typeof REQUEST_FIELDS;
type SubmitOnly = { [F in RequestField]: Fields[F] extends { submitOnly: true } ? F : never }[RequestField];
type FlagOf<F extends RequestField> = Fields[F]['kind'] extends { type: 'params' } | { type: 'shots' } ? Flag<string[]> & { defaultValue: string[] } : Fields[F]['kind'] extends { type: 'switch' } ? Flag<boolean> : Flag<string>;

/** The request's flags: every field of the request table, plus `--script-file`; `estimate` leaves out what only matters on submission. */
export type RequestFlags<Submit extends boolean> = { [F in Submit extends true ? RequestField : Exclude<RequestField, SubmitOnly>]: FlagOf<F> } & { scriptFile: Flag<string> };

/** One-letter flags for the request fields people type most. */
const SHORT: Partial<Record<RequestField | 'scriptFile', string>> = { script: 's', creator: 'c' };

/** The flags of `generate` (`submit: true`) or `estimate`, derived from REQUEST_FIELDS, in its order. */
export function requestFlags<Submit extends boolean>(options: { submit: Submit }): RequestFlags<Submit> {
  const flags: Record<string, Flag<unknown>> = {};
  for (const [field, spec] of Object.entries(REQUEST_FIELDS) as [RequestField, FieldSpec][]) {
    if (spec.submitOnly && !options.submit) continue;
    const { flag: name, value, help, kind } = spec;
    flags[field] = kind.type === 'params' || kind.type === 'shots' ? list(value, help, { name }) : kind.type === 'switch' ? { ...toggle(help), name } : text(value, help, { name, short: SHORT[field] });
    if (field === 'script') flags.scriptFile = text(SCRIPT_FILE.value, SCRIPT_FILE.help, { name: SCRIPT_FILE.flag });
  }
  return flags as RequestFlags<Submit>;
}

/** `--spec`: the ad as a file, its fields overridden by the flags given beside it. */
export const SPEC_FLAG = text('<file>', 'the ad as a JSON or YAML file: any of these flags as fields, and scenes (see docs/cli.md); flags given override it');

/** Where the request came from, so a problem found later (a scene's creator) names the spec file and field. */
export interface RequestOrigin {
  spec: AdSpec;
  fromSpec: ReadonlySet<InputField>;
}

/**
 * The request the flags (and `--spec`'s file) describe, checked against `provider`'s rules; the first
 * problem is a usage error naming its flag, or the spec file and its field.
 */
export async function requestFromFlags(
  ctx: Context,
  input: Partial<Record<RequestField | 'scriptFile', unknown>> & { spec?: string },
  provider: ProviderDefinition,
  command: string,
): Promise<{ request: GenerateRequest; origin: RequestOrigin | null }> {
  const raw: RawRequest = { scriptFile: input.scriptFile };
  for (const field of Object.keys(REQUEST_FIELDS) as RequestField[]) raw[field] = input[field];
  const options = { cwd: ctx.cwd, rules: requirePart(provider, 'jobs', command).inputs, provider: provider.name };
  if (!input.spec) return { request: checkRequest(raw, options), origin: null };
  const spec = readSpec(resolve(ctx.cwd, input.spec), input.spec);
  const { raw: merged, fromSpec } = withSpec(spec, raw, ctx.cwd);
  const origin = { spec, fromSpec };
  const { request, issues } = parseRequest(merged, options);
  if (issues[0]) throw specError(issues[0], origin);
  return { request, origin };
}

/** An input error about a field the spec file gave, said as the file's (`ad.yaml: scenes[1].creator: …`); others unchanged. */
export function inSpecTerms(error: unknown, origin: RequestOrigin | null): unknown {
  return origin && error instanceof InputError ? specError(error.issue, origin) : error;
}

function specError(issue: InputError['issue'], origin: RequestOrigin): UsageError {
  return new UsageError(describeSpecIssue(issue, origin.spec, origin.fromSpec), new InputError(issue).hint);
}

import type { Context } from '../core/context.js';
import { checkRequest, REQUEST_FIELDS, SCRIPT_FILE, type FieldSpec, type GenerateRequest, type RawRequest, type RequestField } from '../core/request.js';
import type { ProviderDefinition } from '../providers/definition.js';
import { requirePart } from '../providers/registry.js';
import { list, text, toggle, type Flag } from './define.js';

type Fields = typeof REQUEST_FIELDS;
type SubmitOnly = { [F in RequestField]: Fields[F] extends { submitOnly: true } ? F : never }[RequestField];
type FlagOf<F extends RequestField> = Fields[F]['kind'] extends { type: 'params' } | { type: 'shots' } ? Flag<string[]> & { defaultValue: string[] } : Fields[F]['kind'] extends { type: 'switch' } ? Flag<boolean> : Flag<string>;

/** The request's flags: every field of the request table, plus `--script-file`; `estimate` leaves out what only matters on submission. */
export type RequestFlags<Submit extends boolean> = { [F in Submit extends true ? RequestField : Exclude<RequestField, SubmitOnly>]: FlagOf<F> } & { scriptFile: Flag<string> };

/** The flags of `generate` (`submit: true`) or `estimate`, derived from REQUEST_FIELDS, in its order. */
export function requestFlags<Submit extends boolean>(options: { submit: Submit }): RequestFlags<Submit> {
  const flags: Record<string, Flag<unknown>> = {};
  for (const [field, spec] of Object.entries(REQUEST_FIELDS) as [RequestField, FieldSpec][]) {
    if (spec.submitOnly && !options.submit) continue;
    const { flag: name, value, help, kind } = spec;
    flags[field] = kind.type === 'params' || kind.type === 'shots' ? list(value, help, { name }) : kind.type === 'switch' ? { ...toggle(help), name } : text(value, help, { name });
    if (field === 'script') flags.scriptFile = text(SCRIPT_FILE.value, SCRIPT_FILE.help, { name: SCRIPT_FILE.flag });
  }
  return flags as RequestFlags<Submit>;
}

/** The request the flags describe, checked against `provider`'s rules; the first problem is a usage error naming its flag. */
export function requestFromFlags(ctx: Context, input: Partial<Record<RequestField | 'scriptFile', unknown>>, provider: ProviderDefinition, command: string): GenerateRequest {
  const raw: RawRequest = { scriptFile: input.scriptFile };
  for (const field of Object.keys(REQUEST_FIELDS) as RequestField[]) raw[field] = input[field];
  return checkRequest(raw, { cwd: ctx.cwd, rules: requirePart(provider, 'jobs', command).inputs, provider: provider.name });
}

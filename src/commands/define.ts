import type { Context } from '../core/context.js';
import { parseDecimal } from '../core/decimal.js';

/**
 * How a command declares itself, beside its handler: its arguments, its flags and their types, its
 * help examples. The handler's input type is derived from the declaration, so a flag is declared once.
 * src/cli.ts turns a declaration into a commander command when that command runs or shows its help.
 */

/** A flag. The key it is declared under is the handler's input field; its long flag is the key in kebab-case unless `name` says otherwise. */
export interface Flag<T> {
  /** The value's placeholder in help (`<seconds>`); absent for a switch. */
  readonly value?: string;
  readonly description: string;
  /** The long flag without dashes, when it is not the key in kebab-case (`duration` for `durationSeconds`). */
  readonly name?: string;
  /** A one-letter short flag (`o` for `-o`), for the flags people type most. */
  readonly short?: string;
  /** Reads a value; throws InvalidValue saying what is wrong (the flag is named in front of it). */
  parse?(raw: string, previous: T | undefined): T;
  readonly defaultValue?: T;
  /** Declared as `--no-<name>`: on unless turned off. */
  readonly negatable?: boolean;
  readonly required?: boolean;
  /** Declared with `number()`: its value is checked as a number before the command runs. */
  readonly numeric?: boolean;
}

export type Flags = Record<string, Flag<unknown>>;

/** The handler's view of declared flags: a flag with a default or marked required always has a value. */
export type FlagValues<F extends Flags> = {
  [K in keyof F]: F[K] extends Flag<infer T> ? (F[K] extends { defaultValue: unknown } | { required: true } ? T : T | undefined) : never;
};

/** Positional arguments by name (`imagePath` shows as `<image-path>`); all required. */
export type ArgValues<A extends readonly string[]> = { [K in A[number]]: string };

export interface CommandSpec<A extends readonly string[] = readonly string[], F extends Flags = Flags> {
  readonly args?: A;
  readonly flags?: F;
  /** Command lines shown under "Examples:" in its help, without the `$ `; every command has some (test/cli.test.ts). */
  readonly examples: readonly string[];
  run(ctx: Context, input: ArgValues<A> & FlagValues<F>): Promise<number | void>;
}

// `{}` is the right default for "no flags": a Record with no keys.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export function defineCommand<const A extends readonly string[] = [], F extends Flags = {}>(spec: CommandSpec<A, F>): CommandSpec<A, F> {
  return spec;
}

/** A flag value that cannot be used; the message reads after the flag (`must be …`). */
export class InvalidValue extends Error {}

export const kebab = (name: string): string => name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();

// ---- flag kinds --------------------------------------------------------------------------------

export const text = (value: string, description: string, options: { name?: string; short?: string } = {}): Flag<string> => ({ value, description, ...options });

export const requiredText = (value: string, description: string): Flag<string> & { required: true } => ({ value, description, required: true });

/** Repeatable: every occurrence is kept, in order. */
export const list = (value: string, description: string, options: { name?: string } = {}): Flag<string[]> & { defaultValue: string[] } => ({
  value,
  description,
  ...options,
  parse: (raw, previous) => [...(previous ?? []), raw],
  defaultValue: [],
});

/** One of a fixed set of words. */
export function choice<const C extends readonly string[]>(value: string, description: string, choices: C): Flag<C[number]> {
  return {
    value,
    description,
    parse: (raw) => {
      if (!choices.includes(raw)) throw new InvalidValue(`must be one of ${choices.join(', ')} (got "${raw}")`);
      return raw as C[number];
    },
  };
}

/** A switch: true when given. */
export const toggle = (description: string): Flag<boolean> => ({ description });

/** `--no-<name>`: true unless turned off. */
export const negatable = (description: string): Flag<boolean> & { defaultValue: boolean } => ({ description, negatable: true, defaultValue: true });

/** A number the flag must hold, `what` saying which (`a positive whole number`). Every numeric flag is declared with it. */
export function number(value: string, description: string, what: string, ok: (n: number) => boolean): Flag<number> & { numeric: true } {
  return {
    value,
    description,
    numeric: true,
    parse: (raw) => {
      const n = parseDecimal(raw);
      if (!Number.isFinite(n) || !ok(n)) throw new InvalidValue(`must be ${what} (got "${raw}")`);
      return n;
    },
  };
}

export const withDefault = <T>(flag: Flag<T>, defaultValue: T): Flag<T> & { defaultValue: T } => ({ ...flag, defaultValue });

export const isWholeIn = (min: number, max: number) => (n: number) => Number.isInteger(n) && n >= min && n <= max;

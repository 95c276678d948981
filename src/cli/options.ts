/**
 * Declarative command-line options: each command lists its options once, as a record of these
 * (flags, description, type, default), and the parser (command.ts) builds the help, the
 * validation and the typed values from it. Adding an option is one line in that record.
 *
 * Value errors are CliErrors naming the flag and the value: `--laps must be a whole number ≥ 1 (got '-1')`.
 */
import { CliError } from './args.js';

/** One option. `T` includes `undefined` when the option has no default. */
export interface OptionDef<T> {
  /** commander flags: `-n, --laps <n>`, `--json [file]`, `--expert`, `--no-record`. */
  readonly flags: string;
  readonly description: string;
  /** Applied when the option is absent, and shown in the help. */
  readonly defaultValue?: T;
  /** Shown in the help for a default that is not a fixed value ("the model's period"). */
  readonly defaultLabel?: string;
  /** Converts (and checks) one raw value; `previous` is the value so far (for repeatable options). */
  readonly parse?: (raw: string, previous: T | undefined) => T;
  /** The value of a bare `--flag` whose argument is optional (`--randomize [0..1]`). */
  readonly preset?: string;
  /**
   * An optional argument is only taken from the next word when it matches (`--foxglove 8766`); any other
   * word stays an argument of the command (`--foxglove runs/oval`). `--flag=value` is always the value.
   */
  readonly valuePattern?: RegExp;
  /** Shown in the help as the allowed values. */
  readonly choices?: readonly string[];
  /** Marks a `--flag` without a value (true when given). */
  readonly boolean?: true;
  /** Left out of the help (an alias kept for old command lines). */
  readonly hidden?: boolean;
  /** Phantom field carrying the value type. */
  readonly __type?: T;
}

// Each option has its own value type; the record only fixes the keys.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type OptionDefs = Readonly<Record<string, OptionDef<any>>>;

/** The typed values of a command's options. */
export type Values<O extends OptionDefs> = { -readonly [K in keyof O]: O[K] extends OptionDef<infer T> ? T : never };

interface Common<T> {
  readonly default?: T;
  readonly defaultLabel?: string;
  readonly hidden?: boolean;
  /** The raw value of a bare `--flag` whose argument is optional (`[value]` in the flags). */
  readonly preset?: string;
  /** With `preset`: the words after the flag that are its value (see OptionDef). */
  readonly valuePattern?: RegExp;
}
type Out<T, O> = O extends { readonly default: unknown } ? T : T | undefined;

/** `--long` from `-s, --long <value>`: the name errors use. */
export function longFlag(flags: string): string {
  const m = /--[A-Za-z0-9][\w-]*/.exec(flags);
  if (!m) throw new Error(`option '${flags}' has no long flag`);
  return m[0];
}

function common<T>(o: Common<T> | undefined): Pick<OptionDef<T>, 'defaultValue' | 'defaultLabel' | 'hidden' | 'preset' | 'valuePattern'> {
  return {
    ...(o?.preset !== undefined ? { preset: o.preset } : {}),
    ...(o?.valuePattern !== undefined ? { valuePattern: o.valuePattern } : {}),
    ...(o?.default !== undefined ? { defaultValue: o.default } : {}),
    ...(o?.defaultLabel !== undefined ? { defaultLabel: o.defaultLabel } : {}),
    ...(o?.hidden ? { hidden: true } : {}),
  };
}

/** A switch: true when given, false otherwise. `--no-x` switches are true when given too. */
export function flag(flags: string, description: string, o: { hidden?: boolean } = {}): OptionDef<boolean> {
  return { flags, description, boolean: true, defaultValue: false, ...(o.hidden ? { hidden: true } : {}) };
}

/** A string value. */
export function text<const O extends Common<string>>(flags: string, description: string, o?: O): OptionDef<Out<string, O>> {
  return { flags, description, parse: (raw) => raw, ...common(o) } as OptionDef<Out<string, O>>;
}

/** One of a fixed set of words. */
export function choice<const C extends readonly string[], const O extends Common<C[number]> = Common<C[number]>>(
  flags: string,
  description: string,
  choices: C,
  o?: O & { message?: (flag: string, raw: string) => string },
): OptionDef<Out<C[number], O>> {
  const flag = longFlag(flags);
  const parse = (raw: string): C[number] => {
    if ((choices as readonly string[]).includes(raw)) return raw;
    throw new CliError(o?.message ? o.message(flag, raw) : `${flag} must be one of ${choices.join(', ')} (got '${raw}')`);
  };
  return { flags, description, choices, parse, ...common(o) } as OptionDef<Out<C[number], O>>;
}

export interface NumberRule {
  /** Smallest allowed value (inclusive). */
  readonly min?: number;
  /** Largest allowed value (inclusive). */
  readonly max?: number;
  /** Values must be > 0. */
  readonly positive?: boolean;
  readonly integer?: boolean;
  /** The error text, when a command words it its own way. */
  readonly message?: (flag: string, raw: string) => string;
}

/** The message for a value outside `rule`. */
export function numberProblem(flag: string, raw: string, rule: NumberRule): string {
  if (rule.message) return rule.message(flag, raw);
  const kind = rule.integer ? 'a whole number' : 'a number';
  const { min, max } = rule;
  if (min !== undefined && max !== undefined) return `${flag} must be ${kind} in [${min}, ${max}] (got '${raw}')`;
  if (rule.positive) return `${flag} must be ${rule.integer ? 'a positive whole number' : 'a positive number'} (got '${raw}')`;
  if (min !== undefined) return `${flag} must be ${kind} ≥ ${min} (got '${raw}')`;
  if (max !== undefined) return `${flag} must be ${kind} ≤ ${max} (got '${raw}')`;
  return `${flag} must be ${kind} (got '${raw}')`;
}

/** `raw` as a number obeying `rule`, else a CliError naming `flag`. */
export function parseNumber(raw: string, flag: string, rule: NumberRule): number {
  const n = raw.trim() === '' ? Number.NaN : Number(raw);
  const bad =
    !Number.isFinite(n) ||
    (rule.integer === true && !Number.isInteger(n)) ||
    (rule.positive === true && n <= 0) ||
    (rule.min !== undefined && n < rule.min) ||
    (rule.max !== undefined && n > rule.max);
  if (bad) throw new CliError(numberProblem(flag, raw, rule));
  return n;
}

/** A number, checked against `rule` (negative numbers are accepted as values: `--laps -1` is a range error). */
export function number<const O extends Common<number> & NumberRule>(flags: string, description: string, o?: O): OptionDef<Out<number, O>> {
  const flag = longFlag(flags);
  return { flags, description, parse: (raw: string) => parseNumber(raw, flag, o ?? {}), ...common(o) } as OptionDef<Out<number, O>>;
}

/** A value of any type, from `convert` (which throws a CliError naming the flag on bad input). */
export function custom<T, const O extends Common<T> = Common<T>>(
  flags: string,
  description: string,
  convert: (raw: string, flag: string) => T,
  o?: O,
): OptionDef<Out<T, O>> {
  const flag = longFlag(flags);
  return { flags, description, parse: (raw: string) => convert(raw, flag), ...common(o) } as OptionDef<Out<T, O>>;
}

/** Repeatable (`--topic a --topic b`); with `split`, each value may also be a comma-separated list. */
export function repeated(flags: string, description: string, o: { split?: boolean; hidden?: boolean } = {}): OptionDef<string[] | undefined> {
  const parse = (raw: string, previous: string[] | undefined): string[] => {
    const items = o.split ? raw.split(',').map((s) => s.trim()).filter(Boolean) : [raw];
    return [...(previous ?? []), ...items];
  };
  return { flags, description, parse, ...(o.hidden ? { hidden: true } : {}) };
}

/** A comma-separated list in one value (`--tracks lake,city-block`). */
export function commaList(flags: string, description: string, o: Common<string[]> = {}): OptionDef<string[] | undefined> {
  return { flags, description, parse: (raw: string) => raw.split(',').map((s) => s.trim()).filter(Boolean), ...common(o) };
}

/** Options every command takes. */
export const COMMON_OPTIONS = {
  quiet: flag('-q, --quiet', 'results only: no progress or log lines on stderr (errors and warnings still are)'),
  verbose: flag('--verbose', "also the libraries' own diagnostics (e.g. Dawn's WebGPU limit warnings)"),
} as const;

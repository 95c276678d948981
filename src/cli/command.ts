/**
 * Commands declared as data (name, summary, arguments, options, examples, run), parsed with
 * commander: per-command `--help` with defaults and examples, did-you-mean for unknown commands
 * and options, negative numbers as option values. Usage errors are CliErrors (exit 2).
 */
import { Command, CommanderError, Option } from 'commander';
import { showNativeDiagnostics } from '../core/util/native-diagnostics.js';
import { CliError } from './args.js';
import { COMMON_OPTIONS, longFlag, type OptionDef, type OptionDefs, type Values } from './options.js';
import { createOutput, type Output } from './output.js';

export interface ArgumentDef {
  /** `<bag>`, `[model]`, `<inputs...>`. */
  readonly name: string;
  readonly description: string;
}

/** What a command's run gets: typed option values, its positional arguments, where to print. */
export interface Parsed<O extends OptionDefs> {
  readonly values: Values<O & typeof COMMON_OPTIONS>;
  readonly positionals: readonly string[];
  /** The options given on the command line (not defaulted), by key. */
  readonly given: ReadonlySet<string>;
  /** The command's arguments as given (after its name), `--ros-args ...` included. */
  readonly args: readonly string[];
  readonly out: Output;
}

export interface CommandDef<O extends OptionDefs = OptionDefs> {
  readonly name: string;
  /** One line, in the list of commands. */
  readonly summary: string;
  /** More, at the top of its own help. */
  readonly description?: string;
  readonly arguments?: readonly ArgumentDef[];
  readonly options: O;
  readonly examples: readonly string[];
  /** The arguments the parser sees (e.g. without `--ros-args ...`, which go to ROS). */
  readonly ownArgs?: (args: readonly string[]) => readonly string[];
  readonly run: (input: Parsed<O>) => Promise<number>;
}

/** A command made of subcommands (`pilot bag info`, `pilot model inspect`). */
export interface GroupDef {
  readonly name: string;
  readonly summary: string;
  readonly commands: readonly AnyCommand[];
}

// The run's parameter type varies per command; the parser only hands it what it declared.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCommand = CommandDef<any> | GroupDef;

export function defineCommand<const O extends OptionDefs>(def: CommandDef<O>): CommandDef<O> {
  return def;
}

export function isGroup(c: AnyCommand): c is GroupDef {
  return 'commands' in c;
}

/** commander ended the parse: help or version shown (exit 0), or a usage error (exit 2). */
export class ParseExit extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
    /** The command the error is about: `drive`, `bag info`, '' for pilot itself. */
    readonly command: string,
  ) {
    super(message);
  }
}

/** "error: unknown option '--tick'\n(Did you mean --ticks?)" → "unknown option '--tick' (did you mean --ticks?)". */
function oneLine(message: string): string {
  return message
    .replace(/^error: /, '')
    .replace(/\n\(Did you mean (.*)\?\)/, ' (did you mean $1?)')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
}

function pathOf(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Settings every command gets: output through console (stdout for help), errors thrown, not printed. */
export function configure(cmd: Command): Command {
  return cmd
    .configureOutput({
      writeOut: (s) => console.log(s.replace(/\n$/, '')),
      writeErr: (s) => console.error(s.replace(/\n$/, '')),
      outputError: () => {},
    })
    .showSuggestionAfterError(true)
    .exitOverride((err: CommanderError) => {
      const shown = err.code === 'commander.helpDisplayed' || err.code === 'commander.help' || err.code === 'commander.version';
      throw new ParseExit(shown && err.exitCode === 0 ? 0 : 2, shown ? '' : oneLine(err.message), pathOf(cmd));
    });
}

/** The help line of an option: its description, allowed values and default. */
function describe(def: OptionDef<unknown>): string {
  const notes: string[] = [];
  if (def.choices) notes.push(`one of ${def.choices.join(', ')}`);
  const shown = def.defaultLabel ?? (def.defaultValue !== undefined && !def.boolean ? String(def.defaultValue) : undefined);
  if (shown !== undefined) notes.push(`default: ${shown}`);
  return notes.length ? `${def.description} (${notes.join('; ')})` : def.description;
}

function toOption(def: OptionDef<unknown>): Option {
  const option = new Option(def.flags, describe(def));
  if (def.parse) option.argParser(def.parse as (raw: string, previous: unknown) => unknown);
  if (def.preset !== undefined) option.preset(def.preset);
  if (def.hidden) option.hideHelp();
  return option;
}

function allOptions(def: CommandDef): OptionDefs {
  return { ...def.options, ...COMMON_OPTIONS };
}

/** What the parser hands a command's run. */
export interface ParsedValues {
  readonly values: Record<string, unknown>;
  readonly positionals: string[];
  readonly given: ReadonlySet<string>;
}

/** The typed values of a parsed command (parsed values, else the declared defaults) and which were given. */
function valuesOf(cmd: Command, options: OptionDefs, registered: ReadonlyMap<string, Option>): ParsedValues {
  const values: Record<string, unknown> = {};
  const given = new Set<string>();
  for (const [key, def] of Object.entries(options)) {
    const option = registered.get(key)!;
    const raw: unknown = cmd.getOptionValue(option.attributeName());
    if (def.boolean) values[key] = option.negate ? raw === false : raw === true;
    else values[key] = raw ?? def.defaultValue;
    if (cmd.getOptionValueSource(option.attributeName()) === 'cli' && (!def.boolean || values[key] === true)) given.add(key);
  }
  return { values, positionals: [...cmd.args], given };
}

/** A commander command for `def`; `onParsed` gets the values once commander has checked them. */
export function buildCommand(def: CommandDef, onParsed: (parsed: ParsedValues) => void): Command {
  const cmd = configure(new Command(def.name));
  cmd.summary(def.summary).description(def.description ? `${def.summary}\n\n${def.description}` : def.summary);
  for (const a of def.arguments ?? []) cmd.argument(a.name, a.description);
  const options = allOptions(def);
  const registered = new Map<string, Option>();
  for (const [key, o] of Object.entries(options)) {
    const option = toOption(o);
    registered.set(key, option);
    cmd.addOption(option);
  }
  if (def.examples.length > 0) cmd.addHelpText('after', `\nExamples:\n${def.examples.map((e) => `  ${e}`).join('\n')}`);
  cmd.action((...params: unknown[]) => {
    const self = params[params.length - 1] as Command;
    onParsed(valuesOf(self, options, registered));
  });
  return cmd;
}

/** Where the command prints, from its --quiet and --verbose; --verbose also lets the libraries' own diagnostics through. */
export function outputFor(values: Record<string, unknown>): Output {
  showNativeDiagnostics(values.verbose === true);
  return createOutput(values);
}

/**
 * `--flag word` where the flag's value is optional and `word` is not one (its valuePattern): `--flag=<preset>`
 * then `word`, so the word stays an argument of the command (`pilot bag play --foxglove runs/oval`).
 */
function keepArguments(options: OptionDefs, args: readonly string[]): string[] {
  const byFlag = new Map<string, OptionDef<unknown>>();
  for (const o of Object.values(options)) if (o.valuePattern && o.preset !== undefined) byFlag.set(longFlag(o.flags), o);
  const words: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      words.push(...args.slice(i));
      break;
    }
    const o = byFlag.get(arg);
    const next = args[i + 1];
    words.push(o && next !== undefined && !next.startsWith('-') && !o.valuePattern!.test(next) ? `${arg}=${o.preset}` : arg);
  }
  return words;
}

/** The arguments commander parses for `def`: its own (without `--ros-args ...`), optional values sorted out. */
export function parserArgs(def: CommandDef, args: readonly string[]): string[] {
  return keepArguments(allOptions(def), def.ownArgs ? def.ownArgs(args) : args);
}

/**
 * Parses `args` (the command's arguments, after its name) for `def`. Help asked for is printed and
 * comes back as a ParseExit with exit code 0; usage errors as CliErrors.
 */
export async function parseCommand<O extends OptionDefs>(def: CommandDef<O>, args: readonly string[]): Promise<Parsed<O>> {
  let parsed: Parsed<O> | undefined;
  const cmd = buildCommand(def as unknown as CommandDef, ({ values, positionals, given }) => {
    parsed = { values: values as Values<O & typeof COMMON_OPTIONS>, positionals, given, args, out: outputFor(values) };
  });
  try {
    await cmd.parseAsync(parserArgs(def as unknown as CommandDef, args), { from: 'user' });
  } catch (err) {
    if (err instanceof ParseExit && err.exitCode !== 0) throw new CliError(err.message);
    throw err;
  }
  if (!parsed) throw new ParseExit(0, '', def.name);
  return parsed;
}

/** Parses `args` for `def` and runs it: what `main` does for one command, for callers that have the arguments. */
export async function invoke<O extends OptionDefs>(def: CommandDef<O>, args: readonly string[]): Promise<number> {
  return def.run(await parseCommand(def, args));
}

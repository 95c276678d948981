/** `pilot` command line: every command is declared in its module; commander parses, helps and suggests. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { packageRoot } from '../core/util/package-root.js';
import { CliError } from './args.js';
import { buildCommand, configure, isGroup, outputFor, parserArgs, ParseExit, type AnyCommand, type CommandDef, type Parsed, type ParsedValues } from './command.js';
import { commandsFor } from './commands.js';
import type { OptionDefs } from './options.js';

interface Pending extends ParsedValues {
  readonly def: CommandDef;
}

function version(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

function build(c: AnyCommand, onParsed: (p: Pending) => void): Command {
  if (!isGroup(c)) return buildCommand(c, (parsed) => onParsed({ def: c, ...parsed }));
  const group = configure(new Command(c.name)).summary(c.summary).description(c.summary);
  for (const sub of c.commands) group.addCommand(build(sub, onParsed));
  return group;
}

function program(commands: readonly AnyCommand[], onParsed: (p: Pending) => void): Command {
  const root = configure(new Command('pilot'))
    .description('pilot: control runtime for robots and vehicles')
    .version(version(), '-V, --version', "print pilot's version")
    .helpCommand('help [command]', 'the help of a command')
    .enablePositionalOptions()
    .addHelpText('after', '\n`pilot <command> --help` lists its options with their defaults and an example; README.md is the manual.');
  for (const c of commands) root.addCommand(build(c, onParsed));
  return root;
}

/** The commands `argv` names (`bag info`) and the arguments after them. */
function locate(commands: readonly AnyCommand[], argv: readonly string[]): { path: string[]; leaf?: CommandDef; rest: readonly string[] } {
  const path: string[] = [];
  let list: readonly AnyCommand[] = commands;
  for (const word of argv) {
    const c = list.find((x) => x.name === word);
    if (!c) break;
    path.push(word);
    if (!isGroup(c)) return { path, leaf: c, rest: argv.slice(path.length) };
    list = c.commands;
  }
  return { path, rest: argv.slice(path.length) };
}

export async function main(argv: readonly string[]): Promise<number> {
  const commands = await commandsFor(argv);
  const { path, leaf, rest } = locate(commands, argv);
  let pending: Pending | undefined;
  try {
    const words = leaf ? [...path, ...parserArgs(leaf, rest)] : [...argv];
    await program(commands, (p) => (pending = p)).parseAsync(words, { from: 'user' });
    if (!pending) return 0;
    const { def, values, positionals, given } = pending as Pending;
    return await def.run({ values: values as Parsed<OptionDefs>['values'], positionals, given, args: rest, out: outputFor(values) });
  } catch (err) {
    return report(err, path.join(' '));
  }
}

/** One line for the error; usage errors also say where the help is (exit 2), others exit 1. */
function report(err: unknown, command: string): number {
  if (err instanceof ParseExit) {
    if (err.exitCode === 0 || !err.message) return err.exitCode; // help shown (on stderr when a command was missing)
    console.error(`pilot${err.command ? ` ${err.command}` : ''}: ${err.message}`);
    console.error(`see \`pilot${err.command ? ` ${err.command}` : ''} --help\``);
    return err.exitCode;
  }
  if (err instanceof CliError) {
    console.error(`pilot${command ? ` ${command}` : ''}: ${err.message}`);
    console.error(`see \`pilot${command ? ` ${command}` : ''} --help\``);
    return 2;
  }
  console.error(`pilot: ${(err as Error).message}`);
  return 1;
}

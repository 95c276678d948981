/**
 * Errors advise only what works: every error message in src/ and sim/ that names a `pilot` command,
 * a `--flag` or a config key (`model.require_eval: false`) names one that exists — a command and
 * its options as the command line declares them, a key as the config schemas accept it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { SimConfigSchema } from '../../sim/config/sim-config.js';
import { FaultsSchema } from '../../sim/faults/config.js';
import { BridgeConfigSchema } from '../../src/cli/bridge-config.js';
import { isGroup, type AnyCommand, type CommandDef } from '../../src/cli/command.js';
import { loadAllCommands } from '../../src/cli/commands.js';
import { COMMON_OPTIONS } from '../../src/cli/options.js';
import { PilotConfig } from '../../src/core/config/schema.js';

const COMMANDS = await loadAllCommands();

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** The text of the string literal (or `+`-joined literals) starting at `i`; `${…}` becomes `…`. */
function literalAt(code: string, i: number): string | undefined {
  let text = '';
  for (;;) {
    while (/\s/.test(code[i] ?? '')) i++;
    const quote = code[i];
    if (quote !== "'" && quote !== '"' && quote !== '`') return text || undefined;
    i++;
    while (i < code.length && code[i] !== quote) {
      if (code[i] === '\\') i += 2;
      else if (quote === '`' && code.startsWith('${', i)) {
        let depth = 1;
        i += 2;
        while (i < code.length && depth > 0) depth += code[i] === '{' ? 1 : code[i] === '}' ? -1 : 0, i++;
        text += '…';
      } else text += code[i++];
    }
    i++;
    while (/\s/.test(code[i] ?? '')) i++;
    if (code[i] !== '+') return text;
    i++;
  }
}

interface Message {
  readonly where: string;
  readonly code: string;
  readonly text: string;
}

/** Every `Error('E_…', '…')` and `new CliError('…')` message in the sources. */
function messages(): Message[] {
  const out: Message[] = [];
  for (const file of [...sources('src'), ...sources('sim')]) {
    const code = readFileSync(file, 'utf8');
    for (const m of code.matchAll(/Error\(\s*'(E_[A-Z0-9_]+)',/g)) {
      const text = literalAt(code, m.index + m[0].length);
      if (text) out.push({ where: `${file}:${code.slice(0, m.index).split('\n').length}`, code: m[1]!, text });
    }
    for (const m of code.matchAll(/new CliError\(/g)) {
      const text = literalAt(code, m.index + m[0].length);
      if (text) out.push({ where: `${file}:${code.slice(0, m.index).split('\n').length}`, code: 'usage', text });
    }
    // How to allow something, passed into messages: `allowRemoteSetting: '…'`, `?? '…'`, `SETTING = '…'`.
    for (const m of code.matchAll(/(?:[A-Za-z]*Setting:|Setting \?\?|SETTING =|setting =)\s*/g)) {
      const text = literalAt(code, m.index + m[0].length);
      if (text) out.push({ where: `${file}:${code.slice(0, m.index).split('\n').length}`, code: 'setting', text });
    }
  }
  return out;
}

/** `bag record` → its definition; every command by its words. */
function commandTable(list: readonly AnyCommand[] = COMMANDS, path: string[] = []): Map<string, AnyCommand> {
  const table = new Map<string, AnyCommand>();
  for (const c of list) {
    table.set([...path, c.name].join(' '), c);
    if (isGroup(c)) for (const [k, v] of commandTable(c.commands, [...path, c.name])) table.set(k, v);
  }
  return table;
}

function flagsOf(def: CommandDef): Set<string> {
  return new Set(Object.values({ ...def.options, ...COMMON_OPTIONS }).flatMap((o) => o.flags.match(/--?[\w-]+/g) ?? []));
}

/** Flags that belong to another program, named as such: ROS 2's arguments after `--ros-args`. */
const FOREIGN_FLAGS = new Set(['--ros-args', '--params-file']);

// zod 4's definition objects, walked to see whether a key path exists.
type Def = { type: string; shape?: Record<string, z.ZodType>; innerType?: z.ZodType; element?: z.ZodType; valueType?: z.ZodType; in?: z.ZodType; out?: z.ZodType; options?: z.ZodType[] };
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

function hasPath(schema: z.ZodType, keys: readonly string[]): boolean {
  const def = defOf(schema);
  if (['optional', 'default', 'nullable', 'readonly', 'prefault', 'catch', 'nonoptional'].includes(def.type)) return hasPath(def.innerType!, keys);
  if (def.type === 'pipe') return hasPath(def.in!, keys) || hasPath(def.out!, keys);
  if (def.type === 'union') return def.options!.some((o) => hasPath(o, keys));
  if (keys.length === 0) return true;
  if (def.type === 'array') return hasPath(def.element!, keys);
  if (def.type === 'record') return hasPath(def.valueType!, keys.slice(1));
  if (def.type === 'object') return def.shape![keys[0]!] !== undefined && hasPath(def.shape![keys[0]!]!, keys.slice(1));
  return false;
}

const SCHEMAS: readonly { schema: z.ZodType; prefix: string[] }[] = [
  { schema: PilotConfig, prefix: [] },
  { schema: SimConfigSchema, prefix: [] },
  { schema: FaultsSchema, prefix: ['faults'] },
  { schema: BridgeConfigSchema, prefix: [] },
];

function keyExists(path: string): boolean {
  const keys = path.replace(/\[\d+\]|\[…\]/g, '').split('.');
  return SCHEMAS.some(({ schema, prefix }) => keys.slice(0, prefix.length).join('.') === prefix.join('.') && hasPath(schema, keys.slice(prefix.length)));
}

const FILE_EXTENSIONS = /\.(ya?ml|json|onnx|mcap|db3|ts|js|mjs|html|md|so|node|csv|jpg|png|txt)$/;

const COMMAND = '([a-z][a-z0-9-]*(?: [a-z][a-z0-9-]*)?)';
const KEY = '([a-z_][a-z0-9_]*(?:\\.[a-z_][a-z0-9_]*)+)';

/**
 * What a message advises: commands to run (`` `pilot x …` ``, "run pilot x", "pilot x --flag"; "pilot
 * reads" is prose), flags, and config keys to set ("set a.b", "use a.b: v", "`a.b`", "a.b: true").
 * "a.b: expected …" names where a value is wrong, not what to do.
 */
function advice(text: string): { commands: string[]; flags: string[]; keys: string[] } {
  const commands = [
    ...text.matchAll(new RegExp(`\`pilot ${COMMAND}`, 'g')),
    ...text.matchAll(new RegExp(`\\b(?:run|use|try|with) pilot ${COMMAND}`, 'g')),
    ...text.matchAll(new RegExp(`\\bpilot ${COMMAND}(?= --)`, 'g')),
  ].map((m) => m[1]!);
  const flags = [...text.matchAll(/(?<![\w-])--[a-z][a-z0-9-]*/g)].map((m) => m[0]);
  const keys = [
    ...text.matchAll(new RegExp(`\\b(?:set|use|add|setting)\\s+${KEY}`, 'g')),
    ...text.matchAll(new RegExp(`\`${KEY}[:\` ]`, 'g')),
    ...text.matchAll(new RegExp(`\\b${KEY}(?=: (?:true|false)\\b)`, 'g')),
  ]
    .map((m) => m[1]!)
    .filter((k) => !FILE_EXTENSIONS.test(k));
  return { commands: [...new Set(commands)], flags, keys: [...new Set(keys)] };
}

describe('error advice', () => {
  const all = messages();
  const table = commandTable();
  const everyFlag = new Set([...table.values()].flatMap((c) => (isGroup(c) ? [] : [...flagsOf(c)])));

  it('finds the messages to check', () => {
    expect(all.length).toBeGreaterThan(300);
    expect(all.some((m) => m.code === 'E_MODEL_NOT_EVALUATED' && m.text.includes('pilot eval --model'))).toBe(true);
    expect(all.some((m) => m.code === 'E_NOT_LOOPBACK' && m.text.includes('policy_server.allow_remote'))).toBe(true);
    expect(all.some((m) => m.code === 'setting' && m.text.includes('transport.allow_remote: true'))).toBe(true);
    const found = all.map((m) => advice(m.text));
    expect(found.flatMap((a) => a.commands).length).toBeGreaterThanOrEqual(8);
    expect(found.flatMap((a) => a.flags).length).toBeGreaterThanOrEqual(100);
    expect(new Set(found.flatMap((a) => a.keys))).toEqual(
      new Set(['transport.allow_remote', 'zeromq.allow_remote', 'model.require_eval', 'model.allow_nonfinite', 'policy_server.allow_remote', 'safety.limits', 'loop.trigger']),
    );
  });

  it('names only pilot commands that exist', () => {
    const bad: string[] = [];
    for (const m of all) {
      for (const c of advice(m.text).commands) {
        const words = c.split(' ');
        // `pilot drive` or `pilot bag record`; a second word that is no subcommand is prose ("pilot sim instead").
        const known = table.get(c) ?? table.get(words[0]!);
        if (!known || (isGroup(known) && !table.has(c))) bad.push(`${m.where} ${m.code}: pilot ${c}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('names only flags that exist, on the command it names', () => {
    const bad: string[] = [];
    for (const m of all) {
      const { commands, flags } = advice(m.text);
      const named = commands.map((c) => table.get(c) ?? table.get(c.split(' ')[0]!)).filter((c): c is CommandDef => c !== undefined && !isGroup(c));
      for (const flag of flags) {
        if (FOREIGN_FLAGS.has(flag)) continue;
        const ok = named.length > 0 ? named.some((c) => flagsOf(c).has(flag)) || everyFlag.has(flag) : everyFlag.has(flag);
        if (!ok) bad.push(`${m.where} ${m.code}: ${flag}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('names only config keys that a config schema accepts', () => {
    const bad: string[] = [];
    for (const m of all) for (const key of advice(m.text).keys) if (!keyExists(key)) bad.push(`${m.where} ${m.code}: ${key}`);
    expect(bad).toEqual([]);
  });

  it('would catch the advice issue 21 found: allowRemote, allow_remote outside its sections, a flag no command has', () => {
    expect(keyExists('transport.allow_remote')).toBe(true);
    expect(keyExists('policy_server.allow_remote')).toBe(true);
    expect(keyExists('model.allow_remote')).toBe(false);
    expect(keyExists('model.require_eval')).toBe(true);
    expect(keyExists('faults.camera.drop_probability')).toBe(true);
    expect(advice('set transport.allow_remote: true').keys).toEqual(['transport.allow_remote']);
    expect(advice('run `pilot eval --model m.onnx` first')).toEqual({ commands: ['eval'], flags: ['--model'], keys: [] });
    expect(advice('pilot reads and writes; driver.beta: expected a number').commands).toEqual([]);
    expect(advice('driver.beta: expected a number').keys).toEqual([]);
    expect(everyFlag.has('--allow-remote')).toBe(true);
    expect(everyFlag.has('--allowRemote')).toBe(false);
  });
});

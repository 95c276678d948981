/**
 * The command line as a user meets it: per-command help with defaults and an example, --version,
 * did-you-mean, one-line errors that point at the help, negative numbers as values, report numbering.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { isGroup, parseCommand, type AnyCommand, type CommandDef } from '../../src/cli/command.js';
import { loadAllCommands } from '../../src/cli/commands.js';
import { main } from '../../src/cli/main.js';
import { createOutput } from '../../src/cli/output.js';
import { claimReportPath } from '../../src/cli/report-path.js';
import { TRAIN } from '../../src/cli/train-command.js';
import { capture } from '../helpers/capture-console.js';

const COMMANDS = await loadAllCommands();

afterEach(() => vi.restoreAllMocks());
const dir = mkdtempSync(join(tmpdir(), 'pilot-command-line-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every runnable command with the words that name it: [['drive'], DRIVE], [['bag', 'info'], INFO], ... */
function leaves(list: readonly AnyCommand[], path: string[] = []): [string[], CommandDef][] {
  return list.flatMap((c) => (isGroup(c) ? leaves(c.commands, [...path, c.name]) : [[[...path, c.name], c] as [string[], CommandDef]]));
}

describe('pilot <command> --help', () => {
  it.each(leaves(COMMANDS).map(([path, def]) => [path.join(' '), path, def] as const))('%s --help: its options, defaults and an example, exit 0', async (_name, path, def) => {
    const { out, err } = capture();
    expect(await main([...path, '--help'])).toBe(0);
    const text = out.join('\n');
    expect(text).toContain(`Usage: pilot ${path.join(' ')} [options]`);
    // Every declared option is listed, with its default where it has one.
    for (const option of Object.values(def.options)) {
      if (option.hidden) continue;
      const long = /--[\w-]+/.exec(option.flags)![0];
      expect(text).toContain(long);
    }
    expect(text).toMatch(/Examples:\n {2}pilot /);
    expect(def.examples.every((e) => e.startsWith(`pilot ${path.join(' ')}`))).toBe(true);
    expect(err).toEqual([]);
  });

  it('drive --help shows the defaults', async () => {
    const { out } = capture();
    expect(await main(['drive', '--help'])).toBe(0);
    expect(out.join('\n')).toMatch(/-n, --laps <n>\s+laps to drive\s+\(default:\s+3\)/);
    expect(out.join('\n')).toMatch(/--transport <kind>\s+the message transport\s+\(one of zeromq,\s+inprocess;\s+default:\s+zeromq\)/);
  });

  it('pilot help <command> is the same help; pilot with no command prints the list on stderr and exits 2', async () => {
    const { out, err } = capture();
    expect(await main(['help', 'bench'])).toBe(0);
    expect(out.join('\n')).toContain('Usage: pilot bench [options]');
    expect(await main([])).toBe(2);
    expect(err.join('\n')).toMatch(/Commands:[\s\S]*drive \[options\]/);
  });
});

describe('pilot --version', () => {
  it("prints package.json's version", async () => {
    const { out } = capture();
    expect(await main(['--version'])).toBe(0);
    expect(out).toEqual([JSON.parse(readFileSync('package.json', 'utf8')).version]);
  });
});

describe('usage errors', () => {
  it('suggest the command meant, in one line and a pointer to the help (exit 2)', async () => {
    const { out, err } = capture();
    expect(await main(['drvie'])).toBe(2);
    expect(err).toEqual(["pilot: unknown command 'drvie' (did you mean drive?)", 'see `pilot --help`']);
    expect(out).toEqual([]);
  });

  it('suggest the option meant, without printing the whole usage', async () => {
    const { err } = capture();
    expect(await main(['bench', '--tick', '5'])).toBe(2);
    expect(err).toEqual(["pilot bench: unknown option '--tick' (did you mean --ticks?)", 'see `pilot bench --help`']);
    expect(await main(['bag', 'inf', 'x'])).toBe(2);
    expect(err.slice(2)).toEqual(["pilot bag: unknown command 'inf' (did you mean info?)", 'see `pilot bag --help`']);
  });

  it('take a negative number as a value and say what range it must be in', async () => {
    const { err } = capture();
    expect(await main(['drive', '--laps', '-1'])).toBe(2);
    expect(err).toEqual(["pilot drive: --laps must be a whole number ≥ 1 (got '-1')", 'see `pilot drive --help`']);
    // Where negative values make sense they are accepted.
    const parsed = await parseCommand(TRAIN, ['--latency-ms', '-20', '--out', 'x.onnx']);
    expect(parsed.values['latency-ms']).toBe(-20);
    expect(parsed.given.has('latency-ms')).toBe(true);
    expect(parsed.given.has('seed')).toBe(false);
    expect(parsed.values.seed).toBe(1);
  });

  it('name a missing argument', async () => {
    const { err } = capture();
    expect(await main(['bag', 'info'])).toBe(2);
    expect(err).toEqual(["pilot bag info: missing required argument 'bag'", 'see `pilot bag info --help`']);
  });
});

describe('--quiet', () => {
  it('drops progress and logs, keeps warnings and results', () => {
    const { out, err } = capture();
    const quiet = createOutput({ quiet: true });
    quiet.log('progress');
    quiet.warn('warning');
    quiet.result('result');
    expect(err).toEqual(['warning']);
    expect(out).toEqual(['result']);
    expect(quiet.live).toBe(false);
  });

  it('is accepted by every command', async () => {
    for (const [path, def] of leaves(COMMANDS)) {
      const operands = (def.arguments ?? []).filter((a) => a.name.startsWith('<')).map(() => 'x');
      const parsed = await parseCommand(def, [...operands, '--quiet']);
      expect(parsed.values.quiet, path.join(' ')).toBe(true);
    }
  });
});

describe('report files', () => {
  it('number each run instead of overwriting: drive-lake-1.json, then drive-lake-2.json', () => {
    const stem = join(dir, 'runs', 'drive-lake');
    const first = claimReportPath(stem);
    const second = claimReportPath(stem);
    expect(first).toBe(`${stem}-1.json`);
    expect(second).toBe(`${stem}-2.json`);
    expect(existsSync(first) && existsSync(second)).toBe(true);
    // An HTML report alone (a run with --json -) takes its number too.
    expect(claimReportPath(stem, '.html')).toBe(`${stem}-3.html`);
    expect(claimReportPath(stem)).toBe(`${stem}-4.json`);
  });
});

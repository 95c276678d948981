import { afterEach, describe, expect, it, vi } from 'vitest';
import { CliError } from '../../src/cli/args.js';
import { parseCommand } from '../../src/cli/command.js';
import { DRIVE } from '../../src/cli/drive-command.js';
import { main } from '../../src/cli/main.js';
import { PLAY } from '../../src/cli/play-command.js';
import { REPLAY } from '../../src/cli/replay-command.js';

afterEach(() => vi.restoreAllMocks());

describe('--foxglove [port]', () => {
  it('is absent, bare (port 8765), with a port, or --foxglove=<port>; the other options still parse', async () => {
    expect((await parseCommand(DRIVE, ['--expert', '--laps', '1'])).values.foxglove).toBeUndefined();
    const bare = await parseCommand(DRIVE, ['--foxglove', '--laps', '2']);
    expect(bare.values).toMatchObject({ foxglove: 8765, laps: 2 });
    expect(bare.given.has('foxglove')).toBe(true);
    expect((await parseCommand(DRIVE, ['--expert', '--foxglove'])).values).toMatchObject({ foxglove: 8765, expert: true });
    expect((await parseCommand(DRIVE, ['--foxglove', '0', '--expert'])).values).toMatchObject({ foxglove: 0, expert: true });
    expect((await parseCommand(DRIVE, ['--foxglove=9000', '--expert'])).values).toMatchObject({ foxglove: 9000, expert: true });
  });

  it('leaves a following bag path to the command, and what comes after --', async () => {
    const play = await parseCommand(PLAY, ['--foxglove', 'runs/bag', '--rate', '2']);
    expect(play.values).toMatchObject({ foxglove: 8765, rate: 2 });
    expect(play.positionals).toEqual(['runs/bag']);
    const replay = await parseCommand(REPLAY, ['bag', '--', '--foxglove']);
    expect(replay.values.foxglove).toBeUndefined();
    expect(replay.positionals).toEqual(['bag', '--foxglove']);
  });

  it('rejects a port out of range or not a number, naming the flag and the value', async () => {
    await expect(parseCommand(DRIVE, ['--foxglove=70000'])).rejects.toThrow(/--foxglove takes a port in 0\.\.65535 .*'70000'/);
    await expect(parseCommand(DRIVE, ['--foxglove=x1'])).rejects.toThrow(CliError);
    await expect(parseCommand(DRIVE, ['--foxglove=x1'])).rejects.toThrow(/'x1'/);
    await expect(parseCommand(DRIVE, ['--foxglove', '65536'])).rejects.toThrow(/'65536'/);
  });

  it('is in the help of run, drive, sim, replay and bag play', async () => {
    const out: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    for (const command of [['run'], ['drive'], ['sim'], ['replay'], ['bag', 'play']]) {
      out.length = 0;
      expect(await main([...command, '--help'])).toBe(0);
      // Help lines wrap at the terminal's width: compare with the whitespace collapsed.
      expect(out.join('\n').replace(/\s+/g, ' '), command.join(' ')).toMatch(/--foxglove \[port\] serve a live view to Foxglove or Lichtblick on this loopback port \(0: any free port\) \(preset: "8765"\)/);
    }
  });
});

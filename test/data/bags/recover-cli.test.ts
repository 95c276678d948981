/** `pilot bag recover`: a recovered copy beside the original by default, `-o` to name it, `--in-place` to change the original. */
import { readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createBagWriter, MemoryBagFolder, openBag } from '../../../src/data/bags/index.js';
import { main } from '../../../src/cli/main.js';
import { collect, MS, T0, tempDir, writeSampleBag } from './helpers.js';
import { capture } from '../../helpers/capture-console.js';


afterEach(() => vi.restoreAllMocks());

/** A bag folder whose only file lost its summary and the end of its last chunk (as a kill leaves it). */
async function crashedBag(dir: string): Promise<{ bag: string; file: string }> {
  const bag = join(dir, 'crashed');
  const writer = await createBagWriter(bag, { chunkSizeBytes: 2048 });
  writer.addTopic('/cmd', 'geometry_msgs/msg/Twist');
  for (let i = 0; i < 200; i++) await writer.writeMessage('/cmd', { linear: { x: i, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 0 } }, T0 + BigInt(i) * MS);
  await writer.close();
  const file = join(bag, 'crashed_0.mcap');
  truncateSync(file, Math.floor(statSync(file).size * 0.6));
  return { bag, file };
}

describe('pilot bag recover', () => {
  it('writes the recovered bag beside the original and leaves the original byte for byte', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const { bag, file } = await crashedBag(dir);
      const original = readFileSync(file);
      const { out } = capture();
      expect(await main(['bag', 'recover', bag])).toBe(0);
      expect(readFileSync(file)).toEqual(original);
      expect(out.at(-1)).toBe(`recovered bag: ${bag}-recovered (the original ${bag} is unchanged; --in-place recovers it where it is)`);
      const reader = await openBag(`${bag}-recovered`);
      const got = await collect(reader.decoded<{ linear: { x: number } }>());
      await reader.close();
      expect(got.length).toBeGreaterThan(50);
      expect(got.map((m) => m.message.linear.x)).toEqual([...got.keys()]);

      // A second run does not overwrite the first copy; -o names another.
      const { err } = capture();
      expect(await main(['bag', 'recover', bag])).toBe(1);
      expect(err.join('\n')).toContain(`E_BAG_EXISTS: ${bag}-recovered exists already; name another copy with -o <path>, or recover ${bag} itself with --in-place`);
      expect(await main(['bag', 'recover', bag, '-o', join(dir, 'second')])).toBe(0);
      expect(readFileSync(join(dir, 'second', 'crashed_0.mcap'))).toEqual(readFileSync(join(`${bag}-recovered`, 'crashed_0.mcap')));

      expect(await main(['bag', 'recover', bag, '--in-place', '-o', join(dir, 'x')])).toBe(2);
      expect(err.join('\n')).toContain('-o ' + join(dir, 'x') + ' and --in-place exclude each other');
      expect(await main(['bag', 'recover', bag, '--in-place'])).toBe(0);
      expect(readFileSync(file)).not.toEqual(original);
      expect(readFileSync(file)).toEqual(readFileSync(join(`${bag}-recovered`, 'crashed_0.mcap')));
    } finally {
      cleanup();
    }
  });

  it('recovers a single .mcap file to <name>-recovered.mcap, and copies nothing when every file is intact', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const folder = new MemoryBagFolder();
      await writeSampleBag(folder, { seconds: 1 });
      const whole = folder.bytes('sample_0.mcap')!;
      const intact = join(dir, 'whole.mcap');
      writeFileSync(intact, whole);
      const { out } = capture();
      expect(await main(['bag', 'recover', intact])).toBe(0);
      expect(out.at(-1)).toBe(`${intact}: every MCAP file is intact; nothing to recover, no copy written`);
      expect(() => statSync(join(dir, 'whole-recovered.mcap'))).toThrow();

      const cut = join(dir, 'cut.mcap');
      writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
      expect(await main(['bag', 'recover', cut])).toBe(0);
      const reader = await openBag(join(dir, 'cut-recovered.mcap'));
      expect(reader.info().files[0]!.indexed).toBe(true);
      expect(reader.info().messageCount).toBeGreaterThan(0);
      await reader.close();
      expect(readFileSync(cut)).toEqual(Buffer.from(whole.subarray(0, Math.floor(whole.length / 2))));
    } finally {
      cleanup();
    }
  });

  it('record refuses a bad --flush-interval-ms, naming the flag', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const { err } = capture();
      expect(await main(['bag', 'record', '-o', join(dir, 'b'), '--topic', '/x:std_msgs/msg/Bool', '--transport', 'inprocess', '--flush-interval-ms=-1'])).toBe(2);
      expect(err.join('\n')).toContain("--flush-interval-ms must be a number of milliseconds ≥ 0 (0 = only full chunks), got '-1'");
    } finally {
      cleanup();
    }
  });
});

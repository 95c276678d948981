/**
 * The proof of issue 22: a sweep run as 4 shards by 4 processes (each given its JOB_COMPLETION_INDEX,
 * as the pods of an Indexed Job are), one of them killed and rerun, merges into a report byte-identical
 * to the same sweep run as one shard on one machine (with 2 worker processes).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeSweep } from '../../../src/learning/sweep/merge.js';
import { expandPlan, shardItems } from '../../../src/learning/sweep/plan.js';
import { loadSweep } from '../../../src/learning/sweep/sweep-file.js';
import { bundleCli, filesUnder, inodesUnder, startPilot, writeDiskBag, writeText } from './helpers.js';

let cli: { path: string; remove: () => void };
const dir = mkdtempSync(join(tmpdir(), 'pilot-sweep-proof-'));

beforeAll(async () => {
  cli = await bundleCli();
}, 60_000);
afterAll(() => {
  cli?.remove();
  rmSync(dir, { recursive: true, force: true });
});

async function sweepFile(): Promise<string> {
  mkdirSync(join(dir, 'bags'), { recursive: true });
  const left = await writeDiskBag(join(dir, 'bags', 'left'), 30, (i) => (i < 15 ? 0.2 : -0.1));
  const right = await writeDiskBag(join(dir, 'bags', 'right'), 30, (i) => 0.3 * Math.sin(i / 4));
  return writeText(
    join(dir, 'sweep.yaml'),
    `version: 1
name: proof
models: [expert, { name: pilotnet, path: models/pilotnet-test.onnx }]
drives:
  models: [expert]
  tracks: [oval]
  seeds: { from: 1, count: 3 }
  levels: [0, 0.5]
  faults: { none: null, odom-drops: { odom: { drop_probability: 0.2 } } }
  laps: 1
bags:
  paths: [${left}, ${right}]
gate:
  min_pass_rate: 0.5
`,
  );
}

describe('pilot sweep: sharded run → merge', () => {
  it('4 shards (one killed and rerun) merge byte-identically to --shards 1 --jobs 2', async () => {
    const sweep = await sweepFile();
    const plan = expandPlan(loadSweep(sweep));
    expect(plan.items).toHaveLength(14); // 12 expert drives, 2 bag replays
    const sharded = join(dir, 'sharded');
    const run = (index: number) => startPilot(cli.path, ['sweep', 'run', sweep, '--shards', '4', '--out', sharded], { JOB_COMPLETION_INDEX: String(index) });

    // Four pods at once; shard 1 (three drives, then a bag replay) is killed as soon as it has started.
    const shards = [0, 1, 2, 3].map(run);
    await shards[1]!.saw('shard 1 of 4');
    shards[1]!.child.kill('SIGKILL');
    const ends = await Promise.all(shards.map((s) => s.done));
    expect(ends[1]!.signal).toBe('SIGKILL');
    for (const i of [0, 2, 3]) expect(ends[i]!.code, ends[i]!.stderr).toBe(0);

    // The merge sees what is missing: shard 1's bag at least, nothing of the other shards.
    const ownIds = shardItems(plan, 1, 4).map((p) => p.item.id);
    const partial = await mergeSweep({ dirs: [sharded] });
    expect(partial.exitCode).toBe(3);
    expect(partial.report.complete).toBe(false);
    expect(partial.report.completeness.missing).toContain('bag/pilotnet/right');
    for (const id of partial.report.completeness.missing) expect(ownIds).toContain(id);
    expect(existsSync(join(sharded, 'shards', '1-of-4.json'))).toBe(false);

    // The rerun replaces shard 1's items and touches no other file.
    const before = inodesUnder(join(sharded, 'items'));
    const rerun = await run(1).done;
    expect(rerun.code, rerun.stderr).toBe(0);
    const after = inodesUnder(join(sharded, 'items'));
    for (const [file, ino] of before) if (!ownIds.some((id) => file === `${id}.json`)) expect(after.get(file), file).toBe(ino);
    expect(after.size).toBe(14);

    // One machine, one shard, two worker processes.
    const single = join(dir, 'single');
    const one = await startPilot(cli.path, ['sweep', 'run', sweep, '--shards', '1', '--jobs', '2', '--out', single]).done;
    expect(one.code, one.stderr).toBe(0);

    const a = await mergeSweep({ dirs: [sharded], json: join(dir, 'sharded.json'), html: join(dir, 'sharded.html') });
    const b = await mergeSweep({ dirs: [single], json: join(dir, 'single.json'), html: join(dir, 'single.html') });
    expect(a.report.complete).toBe(true);
    expect(a.report.counts).toMatchObject({ planned: 14, ran: 14, missing: 0, failed: 0, duplicates: 0, stale: 0 });
    expect(a.exitCode).toBe(b.exitCode);
    expect(readFileSync(join(dir, 'sharded.json')).equals(readFileSync(join(dir, 'single.json')))).toBe(true);
    expect(readFileSync(join(dir, 'sharded.html')).equals(readFileSync(join(dir, 'single.html')))).toBe(true);
    // Every item result too, byte for byte.
    const itemsA = filesUnder(join(sharded, 'items'));
    const itemsB = filesUnder(join(single, 'items'));
    expect([...itemsA.keys()]).toEqual([...itemsB.keys()]);
    for (const [file, bytes] of itemsA) expect(bytes.equals(itemsB.get(file)!), file).toBe(true);
    // …while the wall-clock figures, kept out of them, were measured.
    expect(a.timing.all.items).toBe(14);
    expect(a.timing.bags.latencyP99Ms?.max).toBeGreaterThan(0);
    expect(a.report.bags.byModel[0]!.fields.find((f) => f.name === 'steering_angle')!.n).toBeGreaterThan(40);
  }, 120_000);
});

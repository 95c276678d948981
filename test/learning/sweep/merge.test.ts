import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { EXIT_DETERMINISTIC } from '../../../src/learning/sweep/k8s.js';
import { EXIT_INCOMPLETE, mergeSweep } from '../../../src/learning/sweep/merge.js';
import { writeDiskBag, writeText } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'pilot-sweep-merge-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

function capture(): string[] {
  const err: string[] = [];
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  return err;
}

const DRIVES = 'drives: { models: [expert], tracks: [oval], seeds: [1, 2], laps: 1 }';
let bag: string;
let results: string;

beforeAll(async () => {
  bag = await writeDiskBag(join(dir, 'bag'), 30, (i) => (i < 15 ? 0.2 : -0.1));
  // Two expert drives, a bag replay, and a "bag" without recorded commands (its run fails).
  const sweep = writeText(join(dir, 'sweep.yaml'), `version: 1\nname: m\nmodels: [expert, models/pilotnet-test.onnx]\n${DRIVES}\nbags: { paths: [${bag}, test/fixtures/bags/mcap_zstd] }\n`);
  results = join(dir, 'results');
  const err = capture();
  const code = await main(['sweep', 'run', sweep, '--out', results]);
  vi.restoreAllMocks();
  expect(code, err.join('\n')).toBe(EXIT_DETERMINISTIC);
  expect(err.join('\n')).toMatch(/failed: bag\/pilotnet-test\/mcap_zstd: E_SWEEP_BAG: .*no recorded commands on \/cmd\/ackermann/);
}, 60_000);

describe('pilot sweep merge', () => {
  it('lists an item whose run failed and exits 3 (incomplete), writing the reports all the same', async () => {
    expect(JSON.parse(readFileSync(join(results, 'shards', '0-of-1.json'), 'utf8'))).toMatchObject({ status: 'errors', items: 4 });
    const err = capture();
    expect(await main(['sweep', 'merge', results])).toBe(EXIT_INCOMPLETE);
    expect(err.join('\n')).toMatch(/sweep m: INCOMPLETE\n.*4 planned, 3 ran .* 1 failed to run/);
    const report = JSON.parse(readFileSync(join(results, 'report.json'), 'utf8'));
    expect(report.completeness.failed).toEqual([{ id: 'bag/pilotnet-test/mcap_zstd', error: expect.stringMatching(/no recorded commands/) }]);
    expect(report.drives.groups).toHaveLength(1);
    expect(report.drives.groups[0]).toMatchObject({ model: 'expert', track: 'oval', runs: 2, passed: 2, passRate: 1, lapsCompleted: 2, interventions: 0 });
    expect(report.bags.bags[0]).toMatchObject({ model: 'pilotnet-test', bag: 'bag', framesFraction: 1 });
    expect(readFileSync(join(results, 'report.html'), 'utf8')).toMatch(/<h2>Failed to run: 1<\/h2>/);
    expect(JSON.parse(readFileSync(join(results, 'timing.json'), 'utf8'))).toMatchObject({ all: { items: 3 } });
  });

  it('pools the bag MAE over the ticks of each bag, beside the baselines', async () => {
    const { report } = await mergeSweep({ dirs: [results] });
    const perBag = report.bags.bags[0]!.fields.find((f) => f.name === 'steering_angle')!;
    const pooled = report.bags.byModel[0]!.fields.find((f) => f.name === 'steering_angle')!;
    expect(pooled).toEqual(perBag); // one bag: pooled = its own
    expect(pooled.n).toBeGreaterThan(20);
    // The recorded steering is 0.2 for 15 frames then -0.1: the zero baseline's MAE is their mean size.
    expect(pooled.zeroMae).toBeGreaterThan(0.1);
    expect(pooled.zeroMae).toBeLessThan(0.2);
  });

  it('finds items in two results directories (duplicates), results of another sweep version (stale) and strays', async () => {
    const copy = join(dir, 'copy');
    cpSync(results, copy, { recursive: true });
    const twice = await mergeSweep({ dirs: [results, copy] });
    expect(twice.exitCode).toBe(EXIT_INCOMPLETE);
    expect(twice.report.completeness.duplicates.map((d) => d.copies)).toEqual([2, 2, 2, 2]);

    const item = join(copy, 'items', 'drive', 'expert', 'oval', 'seed-2', 'level-0', 'fault-none.json');
    writeFileSync(item, readFileSync(item, 'utf8').replace(/"digest": "[0-9a-f]+"/, '"digest": "0000"'));
    mkdirSync(join(copy, 'items', 'drive', 'expert', 'lake'), { recursive: true });
    writeFileSync(join(copy, 'items', 'drive', 'expert', 'lake', 'old.json'), '{}');
    const merged = await mergeSweep({ dirs: [copy] });
    expect(merged.report.completeness).toMatchObject({ stale: ['drive/expert/oval/seed-2/level-0/fault-none'], unexpected: ['drive/expert/lake/old'], duplicates: [] });
    expect(merged.report.drives.groups[0]).toMatchObject({ planned: 2, runs: 1, pass: false });
  });

  it('refuses to merge results of different sweeps', async () => {
    const other = join(dir, 'other');
    cpSync(results, other, { recursive: true });
    writeFileSync(join(other, 'plan.json'), readFileSync(join(other, 'plan.json'), 'utf8').replace('"name": "m"', '"name": "n"'));
    await expect(mergeSweep({ dirs: [results, other] })).rejects.toThrow(/hold results of different sweeps \(their plan\.json differ\)/);
    await expect(mergeSweep({ dirs: [join(dir, 'nowhere')] })).rejects.toThrow(/cannot read the plan .*nowhere\/plan\.json \(ENOENT\): no shard has started here/);
  });

  it('exits 0 when complete and every group passes, 1 when a group misses its pass rate; --wait-s gives up when told', async () => {
    const pass = writeText(join(dir, 'pass.yaml'), `version: 1\nname: p\nmodels: [expert]\n${DRIVES}\n`);
    const fail = writeText(join(dir, 'fail.yaml'), `version: 1\nname: f\nmodels: [expert]\n${DRIVES}\ngate: { drive: { min_laps: 2 } }\n`);
    const err = capture();
    expect(await main(['sweep', 'run', pass, '--out', join(dir, 'pass')])).toBe(0);
    expect(await main(['sweep', 'merge', join(dir, 'pass')])).toBe(0);
    expect(err.join('\n')).toMatch(/sweep p: PASS/);
    expect(await main(['sweep', 'run', fail, '--out', join(dir, 'fail')])).toBe(0); // missing a bar is the merge's verdict
    expect(await main(['sweep', 'merge', join(dir, 'fail'), '--json', join(dir, 'fail.json')])).toBe(1);
    expect(JSON.parse(readFileSync(join(dir, 'fail.json'), 'utf8')).failingRuns[0]).toEqual({ id: 'drive/expert/oval/seed-1/level-0/fault-none', failedChecks: ['laps completed: 1 (>= 2)'] });
    // A shard that has not run: the merge waits --wait-s for it, then reports it missing.
    rmSync(join(dir, 'pass', 'items', 'drive', 'expert', 'oval', 'seed-2'), { recursive: true });
    expect(await main(['sweep', 'merge', join(dir, 'pass'), '--wait-s', '1', '--shards', '2'])).toBe(EXIT_INCOMPLETE);
    expect(err.join('\n')).toMatch(/sweep merge: waiting: 1 of 2 items, 0 of 2 shards done/);
  });

  it('a sweep file that cannot run exits 42 (not worth a retry) and marks the shard failed', async () => {
    const bad = writeText(join(dir, 'bad.yaml'), 'version: 1\nname: b\nmodels: [expert]\ndrives: { tracks: [moon] }\n');
    const err = capture();
    expect(await main(['sweep', 'run', bad, '--out', join(dir, 'bad'), '--shard', '3', '--shards', '3'])).toBe(2);
    expect(err.join('\n')).toMatch(/--shard 3 is not below --shards 3 \(shards are numbered 0 to 2\)/);
    process.env.JOB_COMPLETION_INDEX = '2';
    try {
      expect(await main(['sweep', 'run', bad, '--out', join(dir, 'bad'), '--shards', '3'])).toBe(EXIT_DETERMINISTIC);
    } finally {
      delete process.env.JOB_COMPLETION_INDEX;
    }
    expect(err.join('\n')).toMatch(/E_SWEEP: .*bad\.yaml: drives\.tracks\.0: unknown track name/);
    expect(JSON.parse(readFileSync(join(dir, 'bad', 'shards', '2-of-3.json'), 'utf8'))).toMatchObject({ shard: 2, status: 'failed' });
    expect(existsSync(join(dir, 'bad', 'plan.json'))).toBe(false);
  });
});

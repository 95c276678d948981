import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { expandPlan, shardItems } from '../../../src/learning/sweep/plan.js';
import { loadSweep, parseSweep } from '../../../src/learning/sweep/sweep-file.js';

const dir = mkdtempSync(join(tmpdir(), 'pilot-sweep-plan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const errorOf = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    return (err as Error).message;
  }
  return 'no error';
};

describe('sweep file', () => {
  it('fills in the defaults and expands seeds given as a range', () => {
    const sweep = parseSweep({ version: 1, name: 'a', models: ['expert', 'models/pilotnet-test.onnx'], drives: { tracks: ['oval'], seeds: { from: 5, count: 3 } } }, 's.yaml');
    expect(sweep.config).toBe('launch/drive.yaml');
    expect(sweep.transport).toBe('inprocess');
    expect(sweep.models).toEqual([{ name: 'expert', kind: 'expert' }, { name: 'pilotnet-test', kind: 'model', path: 'models/pilotnet-test.onnx' }]);
    expect(sweep.drives).toMatchObject({ models: ['expert', 'pilotnet-test'], seeds: [5, 6, 7], levels: [0], faults: { none: null }, laps: 1 });
    expect(sweep.bags.models).toEqual(['pilotnet-test']);
    expect(sweep.gate).toEqual({
      drive: { max_mean_cte_m: 0.25, max_interventions: 0, max_collisions: 0 },
      bags: { max_mae: { steering_angle: 0.08 }, min_improvement_over_constant: 0.2, min_frames_fraction: 0.9 },
      min_pass_rate: 1,
    });
  });

  it('names the file and the key of a bad value', () => {
    const bad = file('bad.yaml', 'version: 1\nname: a\nmodels: [expert]\ndrives:\n  tracks: [oval]\n  levels: [0, 1.5]\n');
    expect(errorOf(() => loadSweep(bad))).toMatch(/^E_SWEEP: .*bad\.yaml: drives\.levels\.1: .*\(got 1\.5\)/);
    expect(errorOf(() => parseSweep({ version: 1, name: 'Not OK', models: ['expert'], drives: { tracks: ['oval'] } }, 'x.yaml'))).toMatch(/x\.yaml: name: expected 1–40 characters a-z, 0-9 and -/);
    expect(errorOf(() => parseSweep({ version: 1, name: 'a', models: ['expert'], drives: { tracks: ['oval'], seeds: [1, 1] } }, 'x.yaml'))).toMatch(/x\.yaml: drives\.seeds: seeds must be distinct \("1" is there twice\)/);
    expect(errorOf(() => parseSweep({ version: 1, name: 'a', models: ['expert'], drives: { tracks: ['oval'], lapz: 2 } }, 'x.yaml'))).toMatch(/x\.yaml: drives: Unrecognized key: "lapz"/);
    expect(errorOf(() => parseSweep({ version: 1, name: 'a', models: ['expert'] }, 'x.yaml'))).toMatch(/x\.yaml: \(root\): nothing to run: give drives: and\/or bags:/);
    expect(errorOf(() => parseSweep({ version: 1, name: 'a', models: ['expert'], bags: { paths: ['b'] } }, 'x.yaml'))).toMatch(/x\.yaml: models: the expert replays no bags/);
    expect(errorOf(() => parseSweep({ version: 1, name: 'a', models: ['expert'], drives: { models: ['pilot'], tracks: ['oval'] } }, 'x.yaml'))).toMatch(/x\.yaml: drives\.models\.0: no model named "pilot" \(models: expert\)/);
    expect(errorOf(() => loadSweep(join(dir, 'missing.yaml')))).toMatch(/cannot read sweep file .*missing\.yaml: ENOENT/);
  });

  it('checks tracks, models, configs and fault profiles when expanding, naming the key', () => {
    const sweep = (extra: object) => parseSweep({ version: 1, name: 'a', models: ['expert'], drives: { tracks: ['oval'] }, ...extra }, 'x.yaml');
    expect(errorOf(() => expandPlan(parseSweep({ version: 1, name: 'a', models: ['expert'], drives: { tracks: ['oval', 'moon'] } }, 'x.yaml')))).toMatch(/x\.yaml: drives\.tracks\.1: unknown track name; bundled: .*oval.* \(got "moon"\)/);
    expect(errorOf(() => expandPlan(sweep({ models: ['expert', 'models/none.onnx'] })))).toMatch(/x\.yaml: models\.1: cannot read the model models\/none\.onnx \(ENOENT/);
    expect(errorOf(() => expandPlan(sweep({ models: ['models/pilotnet-test.onnx'], config: 'launch/nope.yaml' })))).toMatch(/x\.yaml: config: cannot read the runtime config launch\/nope\.yaml/);
    const faults = (profile: object) => parseSweep({ version: 1, name: 'a', models: ['expert'], drives: { tracks: ['oval'], faults: { bad: profile } } }, 'x.yaml');
    expect(errorOf(() => expandPlan(faults({ camera: { drop_probability: 2 } })))).toMatch(/x\.yaml: drives\.faults\.bad: .*camera\.drop_probability/);
    expect(errorOf(() => expandPlan(faults({ nan_policy: [{ start_s: 1, duration_s: 1 }] })))).toMatch(/x\.yaml: drives\.faults\.bad\.nan_policy: .*leave expert out of drives\.models/);
  });
});

describe('plan and shards', () => {
  const sweep = () =>
    parseSweep(
      {
        version: 1,
        name: 'a',
        models: ['expert', { name: 'net', path: 'models/pilotnet-test.onnx' }],
        drives: { models: ['expert'], tracks: ['oval', 'lake'], seeds: [1, 2], levels: [0, 0.5], faults: { none: null, drops: { camera: { drop_probability: 0.1 } } } },
        bags: { paths: ['test/fixtures/bags/mcap_zstd', 'test/fixtures/bags/jazzy_db3/'] },
      },
      'x.yaml',
    );

  it('expands in a fixed order with readable ids', () => {
    const ids = expandPlan(sweep()).items.map((p) => p.item.id);
    expect(ids).toHaveLength(2 * 2 * 2 * 2 + 2);
    expect(ids.slice(0, 3)).toEqual(['drive/expert/oval/seed-1/level-0/fault-none', 'drive/expert/oval/seed-2/level-0/fault-none', 'drive/expert/oval/seed-1/level-0/fault-drops']);
    expect(ids.slice(-2)).toEqual(['bag/net/mcap_zstd', 'bag/net/jazzy_db3']);
    expect(new Set(ids).size).toBe(ids.length);
    expect(expandPlan(sweep()).items).toEqual(expandPlan(sweep()).items);
  });

  it('puts every item in exactly one shard, the same one each time, shards differing by at most one item', () => {
    const plan = expandPlan(sweep());
    const again = expandPlan(sweep());
    for (const n of [1, 3, 4, 7, 25]) {
      const shards = Array.from({ length: n }, (_, s) => shardItems(plan, s, n).map((p) => p.item.id));
      expect(shards.flat().sort()).toEqual(plan.items.map((p) => p.item.id).sort());
      const sizes = shards.map((s) => s.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      expect(shards).toEqual(Array.from({ length: n }, (_, s) => shardItems(again, s, n).map((p) => p.item.id)));
    }
    expect(errorOf(() => shardItems(plan, 4, 4))).toMatch(/shard must be a whole number in \[0, 3\] for 4 shards \(got 4\)/);
  });

  it("lists the bags under a prefix by name, and a model's new bytes change its items' digests only", () => {
    const prefix = join(dir, 'prefix');
    for (const b of ['b-bag', 'a-bag']) mkdirSync(join(prefix, b), { recursive: true });
    writeFileSync(join(prefix, 'b-bag', 'metadata.yaml'), 'x: 1\n');
    writeFileSync(join(prefix, 'a-bag', 'a_0.mcap'), '');
    writeFileSync(join(prefix, 'c.mcap'), '');
    mkdirSync(join(prefix, 'not-a-bag'));
    const model = join(dir, 'm.onnx');
    copyFileSync('models/pilotnet-test.onnx', model);
    const make = () => expandPlan(parseSweep({ version: 1, name: 'a', models: ['expert', model], drives: { models: ['expert'], tracks: ['oval'] }, bags: { prefix } }, 'x.yaml'));
    const first = make();
    expect(first.items.map((p) => p.item.id)).toEqual(['drive/expert/oval/seed-1/level-0/fault-none', 'bag/m/a-bag', 'bag/m/b-bag', 'bag/m/c']);
    writeFileSync(model, 'other bytes');
    const second = make();
    expect(second.items[0]!.digest).toBe(first.items[0]!.digest);
    for (let i = 1; i < 4; i++) expect(second.items[i]!.digest).not.toBe(first.items[i]!.digest);
  });
});

describe('pilot sweep plan', () => {
  it('prints each item with its shard, and the shard sizes', async () => {
    const path = file('cli.yaml', 'version: 1\nname: c\nmodels: [expert]\ndrives: { tracks: [oval], seeds: { from: 1, count: 5 } }\n');
    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
    try {
      expect(await main(['sweep', 'plan', path, '--shards', '2'])).toBe(0);
      expect(await main(['sweep', 'plan', path, '--shards', 'x'])).toBe(2);
    } finally {
      vi.restoreAllMocks();
    }
    expect(out).toEqual([0, 1, 0, 1, 0].map((shard, i) => `${shard}\tdrive/expert/oval/seed-${i + 1}/level-0/fault-none`));
    expect(err[0]).toBe('sweep c: 5 items (5 drives, 0 bag replays) in 2 shard(s) of 2–3');
    expect(err.join('\n')).toMatch(/--shards must be a whole number ≥ 1 \(got 'x'\)/);
  });
});

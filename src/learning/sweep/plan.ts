/**
 * A sweep expanded into its work items, in a fixed order, and split into shards.
 *
 * Ids: `drive/<model>/<track>/seed-<n>/level-<l>/fault-<profile>` and `bag/<model>/<bag>`. Order: the
 * drives (models × tracks × levels × faults × seeds, each in the file's order), then the bags (models ×
 * `bags.paths`, then the bags under `bags.prefix` sorted by name). Item i of the list belongs to shard
 * i mod N: for a given sweep file and N, an item always lands in the same shard, and shards differ by
 * at most one item. Each item has a digest of everything its result depends on (model and config
 * bytes, its settings, the bars it is held to), so a result from another sweep is not taken for it.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseFaultConfig } from '../../../sim/index.js';
import { loadTrack } from '../../../sim/index.js';
import { PilotError } from '../../core/util/errors.js';
import { sweepError, type Sweep } from './sweep-file.js';

export interface DriveItem {
  readonly kind: 'drive';
  readonly id: string;
  readonly model: string;
  readonly track: string;
  readonly seed: number;
  /** Domain randomisation strength. */
  readonly level: number;
  /** Fault profile name (a key of drives.faults). */
  readonly fault: string;
}

export interface BagItem {
  readonly kind: 'bag';
  readonly id: string;
  readonly model: string;
  /** The bag's name in the id. */
  readonly bag: string;
  readonly path: string;
}

export type WorkItem = DriveItem | BagItem;

export interface PlannedItem {
  readonly item: WorkItem;
  /** SHA-256 (hex) of what the item's result depends on. */
  readonly digest: string;
}

export interface Plan {
  readonly sweep: Sweep;
  readonly items: readonly PlannedItem[];
}

/** Expands a sweep into its ordered work items; checks that models, configs, tracks and fault profiles exist. */
export function expandPlan(sweep: Sweep): Plan {
  const shared = sharedInputs(sweep);
  const items: PlannedItem[] = [];
  const add = (item: WorkItem, settings: unknown): void => {
    items.push({ item, digest: sha256(JSON.stringify({ item, settings, model: shared.models.get(item.model), config: shared.config, simConfig: shared.simConfig, providers: sweep.providers ?? null, transport: sweep.transport })) });
  };
  const d = sweep.drives;
  if (d) {
    d.tracks.forEach((track, i) => checkTrack(sweep, track, i));
    for (const [name, profile] of Object.entries(d.faults)) checkFaults(sweep, name, profile);
    for (const model of d.models) {
      for (const track of d.tracks) {
        for (const level of d.levels) {
          for (const fault of Object.keys(d.faults)) {
            for (const seed of d.seeds) {
              const id = `drive/${model}/${track}/seed-${seed}/level-${level}/fault-${fault}`;
              add({ kind: 'drive', id, model, track, seed, level, fault }, { laps: d.laps, maxTimeS: d.maxTimeS ?? null, faults: d.faults[fault] ?? null, gate: sweep.gate.drive });
            }
          }
        }
      }
    }
  }
  const bags = sweep.bags.models.length > 0 ? listBags(sweep) : [];
  for (const model of sweep.bags.models) {
    for (const bag of bags) add({ kind: 'bag', id: `bag/${model}/${bag.name}`, model, bag: bag.name, path: bag.path }, { gate: sweep.gate.bags });
  }
  return { sweep, items };
}

/** The items of shard `shard` of `shards` (0-based), in plan order. */
export function shardItems(plan: Plan, shard: number, shards: number): PlannedItem[] {
  if (!Number.isInteger(shards) || shards < 1) throw new PilotError('E_SWEEP', `shards must be a whole number ≥ 1 (got ${shards})`);
  if (!Number.isInteger(shard) || shard < 0 || shard >= shards) throw new PilotError('E_SWEEP', `shard must be a whole number in [0, ${shards - 1}] for ${shards} shards (got ${shard})`);
  return plan.items.filter((_, i) => i % shards === shard);
}

function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Digests of the files every item depends on. */
function sharedInputs(sweep: Sweep): { models: Map<string, string>; config: string; simConfig: string | null } {
  const models = new Map<string, string>();
  sweep.models.forEach((m, i) => models.set(m.name, m.path ? fileDigest(sweep, m.path, `models.${i}`, 'model') : 'expert'));
  const needsConfig = sweep.models.some((m) => m.kind === 'model');
  return {
    models,
    config: needsConfig ? fileDigest(sweep, sweep.config, 'config', 'runtime config') : 'none',
    simConfig: sweep.simConfig ? fileDigest(sweep, sweep.simConfig, 'sim_config', 'simulator config') : null,
  };
}

function fileDigest(sweep: Sweep, path: string, key: string, what: string): string {
  try {
    return sha256(readFileSync(path));
  } catch (err) {
    throw sweepError(sweep.source, key, `cannot read the ${what} ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; paths are relative to the working directory)`);
  }
}

function checkTrack(sweep: Sweep, track: string, i: number): void {
  try {
    loadTrack(track);
  } catch (err) {
    throw sweepError(sweep.source, `drives.tracks.${i}`, (err as Error).message.replace(/^E_[A-Z_]+: (tracks: )?/, ''));
  }
}

function checkFaults(sweep: Sweep, name: string, profile: Record<string, unknown> | null): void {
  if (profile === null) return;
  const config = parseFaultConfig(profile, `${sweep.source}: drives.faults.${name}`);
  if (config.nanPolicy.length > 0 && sweep.drives!.models.includes('expert')) {
    throw sweepError(sweep.source, `drives.faults.${name}.nan_policy`, "corrupts a model's output, but the expert has none: leave expert out of drives.models, or this profile out");
  }
}

/** The bags: `bags.paths` in order, then the bags under `bags.prefix` by name; names made unique-safe. */
function listBags(sweep: Sweep): { name: string; path: string }[] {
  const bags = sweep.bags.paths.map((path) => ({ path, key: 'bags.paths' }));
  if (sweep.bags.prefix) {
    const prefix = sweep.bags.prefix;
    let entries: string[];
    try {
      entries = readdirSync(prefix).sort();
    } catch (err) {
      throw sweepError(sweep.source, 'bags.prefix', `cannot list ${prefix} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    for (const e of entries) if (isBag(join(prefix, e))) bags.push({ path: join(prefix, e), key: 'bags.prefix' });
  }
  const seen = new Map<string, string>();
  return bags.map(({ path, key }) => {
    const name = basename(path.replace(/[/\\]+$/, '')).replace(/\.(mcap|db3)$/, '').replace(/[^A-Za-z0-9_.-]+/g, '_') || 'bag';
    const other = seen.get(name);
    if (other !== undefined) throw sweepError(sweep.source, key, `bags ${other} and ${path} have the same name ${JSON.stringify(name)}: rename one`);
    seen.set(name, path);
    return { name, path };
  });
}

/** A rosbag2 folder (metadata.yaml, .mcap or .db3 files) or a single .mcap/.db3 file. */
function isBag(path: string): boolean {
  if (/\.(mcap|db3)$/.test(path)) return true;
  try {
    if (!statSync(path).isDirectory()) return false;
  } catch {
    return false;
  }
  return existsSync(join(path, 'metadata.yaml')) || readdirSync(path).some((f) => /\.(mcap|db3)$/.test(f));
}

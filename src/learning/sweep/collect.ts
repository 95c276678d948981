/**
 * Reads a sweep's results directories for the merge: the plan, and for every planned item whether its
 * result is there exactly once, for this sweep (same digest), and ran. Lists what is missing, failed,
 * duplicated (the same item in two directories), stale (a result of another version of the sweep) or
 * unexpected (a result no item of the plan has).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PilotError } from '../../core/util/errors.js';
import type { ItemEnvelope } from './run-item.js';
import { itemPath, listItemIds, readJson, readPlanFile, timingPath, type PlanFile } from './results-dir.js';
import type { ItemTiming } from './wall-clock.js';

export interface Completeness {
  readonly missing: readonly string[];
  readonly failed: readonly { readonly id: string; readonly error: string }[];
  readonly duplicates: readonly { readonly id: string; readonly copies: number }[];
  readonly stale: readonly string[];
  readonly unexpected: readonly string[];
}

export interface Collected {
  readonly plan: PlanFile;
  /** Items whose result ran (status ok, right digest, exactly once), by id. */
  readonly results: ReadonlyMap<string, ItemEnvelope>;
  readonly completeness: Completeness;
  /** Wall-clock figures of the items in `results` that have them. */
  readonly timings: ReadonlyMap<string, ItemTiming>;
}

export function collectResults(dirs: readonly string[]): Collected {
  if (dirs.length === 0) throw new PilotError('E_SWEEP_RESULTS', 'no results directory given');
  const plan = samePlan(dirs);
  const planned = new Set(plan.items.map((i) => i.id));
  const found = new Map<string, string[]>();
  const unexpected = new Set<string>();
  for (const dir of dirs) {
    for (const id of listItemIds(dir)) {
      if (!planned.has(id)) unexpected.add(id);
      else found.set(id, [...(found.get(id) ?? []), dir]);
    }
  }
  const results = new Map<string, ItemEnvelope>();
  const timings = new Map<string, ItemTiming>();
  const missing: string[] = [];
  const failed: { id: string; error: string }[] = [];
  const duplicates: { id: string; copies: number }[] = [];
  const stale: string[] = [];
  for (const item of plan.items) {
    const where = found.get(item.id) ?? [];
    if (where.length === 0) missing.push(item.id);
    else if (where.length > 1) duplicates.push({ id: item.id, copies: where.length });
    if (where.length !== 1) continue;
    const envelope = readEnvelope(itemPath(where[0]!, item.id));
    if (!envelope || envelope.id !== item.id || envelope.digest !== item.digest) stale.push(item.id);
    else if (envelope.status !== 'ok') failed.push({ id: item.id, error: envelope.error ?? 'failed' });
    else {
      results.set(item.id, envelope);
      const timing = readTiming(timingPath(where[0]!, item.id));
      if (timing) timings.set(item.id, timing);
    }
  }
  return { plan, results, timings, completeness: { missing, failed, duplicates, stale, unexpected: [...unexpected].sort() } };
}

/** Whether every planned item ran exactly once. */
export function isComplete(c: Completeness): boolean {
  return c.missing.length === 0 && c.failed.length === 0 && c.duplicates.length === 0 && c.stale.length === 0;
}

function samePlan(dirs: readonly string[]): PlanFile {
  const plan = readPlanFile(dirs[0]!);
  const text = readFileSync(join(dirs[0]!, 'plan.json'), 'utf8');
  for (const dir of dirs.slice(1)) {
    readPlanFile(dir);
    if (readFileSync(join(dir, 'plan.json'), 'utf8') !== text) {
      throw new PilotError('E_SWEEP_RESULTS', `${dirs[0]} and ${dir} hold results of different sweeps (their plan.json differ): merge them separately`);
    }
  }
  return plan;
}

/** The `sweep` key of an item file; undefined when the file is not an item result. */
function readEnvelope(path: string): ItemEnvelope | undefined {
  try {
    const envelope = (readJson(path, 'item result') as { sweep?: ItemEnvelope }).sweep;
    return envelope && typeof envelope === 'object' ? envelope : undefined;
  } catch {
    return undefined;
  }
}

function readTiming(path: string): ItemTiming | undefined {
  try {
    return readJson(path, 'timing') as ItemTiming;
  } catch {
    return undefined;
  }
}

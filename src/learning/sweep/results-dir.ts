/**
 * The results directory of a sweep (a local folder or a mounted volume), written by any number of
 * shards at once:
 *
 * ```text
 * <dir>/plan.json                 the expanded plan (items, digests, bars); the same bytes from every shard
 * <dir>/items/<item id>.json      one result per item (deterministic)
 * <dir>/timing/<item id>.json     its wall-clock figures (not part of the report)
 * <dir>/shards/<i>-of-<N>.json    written when shard i of N ends (done, or failed deterministically)
 * ```
 *
 * Every file is written to a temporary name beside it and renamed into place, so a killed shard
 * leaves whole files or none (plus a `*.tmp-*` file that nothing reads). A shard writes only its own
 * items: a rerun replaces them and nothing else.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { PilotError } from '../../core/util/errors.js';
import type { Plan, WorkItem } from './plan.js';
import type { SweepGate } from './sweep-file.js';

export const PLAN_SCHEMA = 'pilot.sweep-plan/1';
export const TMP_MARK = '.tmp-';

export interface PlanFile {
  readonly schema: typeof PLAN_SCHEMA;
  readonly name: string;
  readonly models: readonly { readonly name: string; readonly kind: 'expert' | 'model'; readonly path?: string }[];
  readonly gate: SweepGate;
  readonly items: readonly (WorkItem & { readonly digest: string })[];
}

/** Writes `text` to `path` through a temporary file and a rename (atomic on one file system). */
export function writeAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}${TMP_MARK}${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

export function itemPath(dir: string, id: string): string {
  return join(dir, 'items', `${id}.json`);
}

export function timingPath(dir: string, id: string): string {
  return join(dir, 'timing', `${id}.json`);
}

export function shardMarkerPath(dir: string, shard: number, shards: number): string {
  return join(dir, 'shards', `${shard}-of-${shards}.json`);
}

export function planFile(plan: Plan): PlanFile {
  return {
    schema: PLAN_SCHEMA,
    name: plan.sweep.name,
    models: plan.sweep.models.map((m) => ({ name: m.name, kind: m.kind, ...(m.path ? { path: m.path } : {}) })),
    gate: plan.sweep.gate,
    items: plan.items.map((p) => ({ ...p.item, digest: p.digest })),
  };
}

export function writePlanFile(dir: string, plan: Plan): void {
  writeAtomic(join(dir, 'plan.json'), `${JSON.stringify(planFile(plan), null, 2)}\n`);
}

export function readPlanFile(dir: string): PlanFile {
  const path = join(dir, 'plan.json');
  const data = readJson(path, 'plan');
  if ((data as { schema?: unknown }).schema !== PLAN_SCHEMA) throw new PilotError('E_SWEEP_RESULTS', `${path}: not a sweep plan (schema ${JSON.stringify((data as { schema?: unknown }).schema)}, expected ${PLAN_SCHEMA})`);
  return data as PlanFile;
}

export function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const hint = code === 'ENOENT' && what === 'plan' ? ': no shard has started here (pilot sweep run writes it)' : '';
    throw new PilotError('E_SWEEP_RESULTS', `cannot read the ${what} ${path} (${code ?? (err as Error).message})${hint}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new PilotError('E_SWEEP_RESULTS', `${path}: not JSON (${(err as Error).message})`);
  }
}

/** Ids of the item files under `<dir>/items`, sorted; temporary files left by a killed shard are skipped. */
export function listItemIds(dir: string): string[] {
  const root = join(dir, 'items');
  let entries: string[];
  try {
    entries = readdirSync(root, { recursive: true }) as string[];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return entries
    // A temporary file is `<name>.json.tmp-…`: not taken.
    .filter((e) => e.endsWith('.json'))
    .map((e) => relative(root, join(root, e)).split(sep).join('/').replace(/\.json$/, ''))
    .sort();
}

/** The shard markers present: `i-of-N` names. */
export function listShardMarkers(dir: string): string[] {
  try {
    return readdirSync(join(dir, 'shards')).filter((f) => /^\d+-of-\d+\.json$/.test(f)).map((f) => f.replace(/\.json$/, ''));
  } catch {
    return [];
  }
}

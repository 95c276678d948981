/**
 * The sweep's wall-clock figures (`pilot sweep merge --timing`): the runtime's tick latency and
 * deadline misses per drive group and per model's bags, and what each item cost. Measured on whatever
 * machines ran the shards, so never byte-identical and kept out of the report.
 */
import type { PlanFile } from './results-dir.js';
import type { ItemTiming } from './wall-clock.js';

export const TIMING_SCHEMA = 'pilot.sweep-timing/1';

export interface TimingStats {
  /** Items with a timing record. */
  readonly items: number;
  readonly wallS: number;
  readonly wallSPerItem: number | null;
  /** Over the items' own p99 tick latencies: the median and the largest (null without a runtime: the expert). */
  readonly latencyP99Ms: { readonly median: number; readonly max: number } | null;
  readonly deadlineMisses: number | null;
}

export interface TimingGroup extends TimingStats {
  readonly kind: 'drive' | 'bag';
  readonly model: string;
  readonly track?: string;
  readonly level?: number;
  readonly fault?: string;
}

export interface SweepTiming {
  readonly schema: typeof TIMING_SCHEMA;
  readonly sweep: string;
  readonly all: TimingStats;
  readonly drives: TimingStats;
  readonly bags: TimingStats;
  /** Per model × track × level × fault for drives, per model for bags, in plan order. */
  readonly groups: readonly TimingGroup[];
}

export function aggregateTiming(plan: PlanFile, timings: ReadonlyMap<string, ItemTiming>): SweepTiming {
  const groups = new Map<string, { key: Omit<TimingGroup, keyof TimingStats>; ids: string[] }>();
  for (const item of plan.items) {
    const key = item.kind === 'drive' ? { kind: item.kind, model: item.model, track: item.track, level: item.level, fault: item.fault } : { kind: item.kind, model: item.model };
    const name = JSON.stringify(key);
    if (!groups.has(name)) groups.set(name, { key, ids: [] });
    groups.get(name)!.ids.push(item.id);
  }
  const of = (ids: readonly string[]): TimingStats => timingStats(ids.map((id) => timings.get(id)).filter((t): t is ItemTiming => t !== undefined));
  return {
    schema: TIMING_SCHEMA,
    sweep: plan.name,
    all: of(plan.items.map((i) => i.id)),
    drives: of(plan.items.filter((i) => i.kind === 'drive').map((i) => i.id)),
    bags: of(plan.items.filter((i) => i.kind === 'bag').map((i) => i.id)),
    groups: [...groups.values()].map((g) => ({ ...g.key, ...of(g.ids) })),
  };
}

export function timingStats(items: readonly ItemTiming[]): TimingStats {
  const wallS = items.reduce((s, t) => s + (Number.isFinite(t.wallS) ? t.wallS : 0), 0);
  const p99 = items.map((t) => t.latencyMs?.p99).filter((v): v is number => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  const misses = items.map((t) => t.deadlineMisses).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return {
    items: items.length,
    wallS,
    wallSPerItem: items.length > 0 ? wallS / items.length : null,
    latencyP99Ms: p99.length > 0 ? { median: p99[Math.floor((p99.length - 1) / 2)]!, max: p99[p99.length - 1]! } : null,
    deadlineMisses: misses.length > 0 ? misses.reduce((a, b) => a + b, 0) : null,
  };
}

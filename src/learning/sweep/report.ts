/**
 * The merged sweep report (`pilot sweep merge --json`): completeness, the verdict and the aggregates.
 * Deterministic: built from the item results in plan order, no paths of the results directories, no
 * clock readings, numbers to 6 significant digits; the same results give the same bytes, whether they
 * came from one process or a hundred pods. Wall-clock figures are in the timing file instead.
 */
import { aggregateBags, aggregateDrives, type BagModelStats, type BagRow, type DriveGroup } from './aggregate.js';
import { isComplete, type Collected, type Completeness } from './collect.js';
import type { PlanFile } from './results-dir.js';

export const REPORT_SCHEMA = 'pilot.sweep-report/1';

export interface SweepReport {
  readonly schema: typeof REPORT_SCHEMA;
  readonly sweep: string;
  readonly models: PlanFile['models'];
  readonly gate: PlanFile['gate'];
  /** Every planned item ran exactly once. */
  readonly complete: boolean;
  /** Complete, and every group's pass rate reaches gate.min_pass_rate. */
  readonly passed: boolean;
  readonly counts: {
    readonly planned: number;
    readonly ran: number;
    readonly passed: number;
    readonly failedChecks: number;
    readonly missing: number;
    readonly failed: number;
    readonly duplicates: number;
    readonly stale: number;
  };
  readonly completeness: Completeness;
  readonly drives: { readonly groups: readonly DriveGroup[]; readonly byModel: readonly DriveGroup[]; readonly byTrack: readonly DriveGroup[]; readonly byLevel: readonly DriveGroup[]; readonly byFault: readonly DriveGroup[] };
  readonly bags: { readonly bags: readonly BagRow[]; readonly byModel: readonly BagModelStats[] };
  /** Runs that ran and missed a bar, with the checks they failed, in plan order. */
  readonly failingRuns: readonly { readonly id: string; readonly failedChecks: readonly string[] }[];
}

export function buildReport(c: Collected): SweepReport {
  const plan = c.plan;
  const drives = aggregateDrives(plan, c.results);
  const bags = aggregateBags(plan, c.results);
  const complete = isComplete(c.completeness);
  const ran = [...c.results.values()];
  const failingRuns = plan.items
    .map((i) => c.results.get(i.id))
    .filter((r) => r !== undefined && !r.pass)
    .map((r) => ({ id: r!.id, failedChecks: r!.checks.filter((k) => !k.pass).map((k) => `${k.label}: ${k.actual ?? 'not measured'} (${k.op} ${k.limit}${k.unit ? ` ${k.unit}` : ''})`) }));
  return {
    schema: REPORT_SCHEMA,
    sweep: plan.name,
    models: plan.models,
    gate: plan.gate,
    complete,
    passed: complete && drives.groups.every((g) => g.pass) && bags.byModel.every((m) => m.pass),
    counts: {
      planned: plan.items.length,
      ran: ran.length,
      passed: ran.filter((r) => r.pass).length,
      failedChecks: ran.filter((r) => !r.pass).length,
      missing: c.completeness.missing.length,
      failed: c.completeness.failed.length,
      duplicates: c.completeness.duplicates.length,
      stale: c.completeness.stale.length,
    },
    completeness: c.completeness,
    drives,
    bags,
    failingRuns,
  };
}

/** JSON text: insertion order (fixed by the code), numbers to 6 significant digits, non-finite as null. */
export function serializeReport(value: unknown): string {
  return `${JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' ? roundNumber(v) : v), 2)}\n`;
}

function roundNumber(v: number): number | null {
  if (!Number.isFinite(v)) return null;
  if (Number.isInteger(v)) return v;
  const r = Number(v.toPrecision(6));
  return Object.is(r, -0) ? 0 : r;
}

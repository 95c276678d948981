/**
 * The sweep's figures, from the item results in plan order (so the sums come out the same to the
 * last bit however the items were sharded): per model × track × level × fault for the drives, with
 * roll-ups per model and per track, level and fault; per bag and pooled per model for the replays.
 * Pure.
 */
import type { BagFieldSummary, BagSummary, DriveSummary } from './item-verdict.js';
import type { PlanFile } from './results-dir.js';
import type { ItemEnvelope } from './run-item.js';

type PlanItem = PlanFile['items'][number];
type DrivePlanItem = Extract<PlanItem, { kind: 'drive' }>;
type BagPlanItem = Extract<PlanItem, { kind: 'bag' }>;

export interface DriveStats {
  /** Items planned in the group, and those with a result. */
  readonly planned: number;
  readonly runs: number;
  readonly passed: number;
  /** passed / runs (null without runs). */
  readonly passRate: number | null;
  /** passRate ≥ the gate's min_pass_rate, and every planned run there. */
  readonly pass: boolean;
  readonly lapsCompleted: number;
  readonly lapsRequested: number;
  readonly interventions: number;
  readonly interventionsPerRun: number | null;
  readonly collisions: number;
  readonly offRoadEvents: number;
  /** Mean over the runs of each run's mean |cross-track error|. */
  readonly meanAbsCteM: number | null;
  /** Largest |cross-track error| of any run. */
  readonly maxAbsCteM: number | null;
}

export interface DriveGroup extends DriveStats {
  readonly model: string;
  readonly track?: string;
  readonly level?: number;
  readonly fault?: string;
}

export interface BagFieldStats {
  readonly name: string;
  readonly unit: string;
  readonly n: number;
  readonly mae: number | null;
  /** null: no training mean stored in the model (or no ticks). */
  readonly constantMeanMae: number | null;
  readonly zeroMae: number | null;
  /** 1 − MAE / the better baseline's MAE: > 0 when the model beats both baselines. */
  readonly improvement: number | null;
}

export interface BagRow {
  readonly model: string;
  readonly bag: string;
  readonly pass: boolean;
  readonly framesFraction: number | null;
  readonly fields: readonly BagFieldStats[];
  readonly failedChecks: readonly string[];
}

export interface BagModelStats {
  readonly model: string;
  readonly planned: number;
  readonly bags: number;
  readonly passed: number;
  readonly passRate: number | null;
  readonly pass: boolean;
  /** Pooled over the bags' compared ticks. */
  readonly fields: readonly BagFieldStats[];
}

/** The drive groups: every model × track × level × fault, then the roll-ups, each in plan order. */
export function aggregateDrives(plan: PlanFile, results: ReadonlyMap<string, ItemEnvelope>): { groups: DriveGroup[]; byModel: DriveGroup[]; byTrack: DriveGroup[]; byLevel: DriveGroup[]; byFault: DriveGroup[] } {
  const drives = plan.items.filter((i): i is DrivePlanItem => i.kind === 'drive');
  const minRate = plan.gate.min_pass_rate;
  const group = (key: (i: DrivePlanItem) => Omit<DriveGroup, keyof DriveStats>): DriveGroup[] => {
    const groups = new Map<string, { key: Omit<DriveGroup, keyof DriveStats>; items: DrivePlanItem[] }>();
    for (const item of drives) {
      const k = key(item);
      const name = JSON.stringify(k);
      if (!groups.has(name)) groups.set(name, { key: k, items: [] });
      groups.get(name)!.items.push(item);
    }
    return [...groups.values()].map((g) => ({ ...g.key, ...driveStats(g.items, results, minRate) }));
  };
  return {
    groups: group((i) => ({ model: i.model, track: i.track, level: i.level, fault: i.fault })),
    byModel: group((i) => ({ model: i.model })),
    byTrack: group((i) => ({ model: i.model, track: i.track })),
    byLevel: group((i) => ({ model: i.model, level: i.level })),
    byFault: group((i) => ({ model: i.model, fault: i.fault })),
  };
}

function driveStats(items: readonly DrivePlanItem[], results: ReadonlyMap<string, ItemEnvelope>, minRate: number): DriveStats {
  let runs = 0, passed = 0, lapsCompleted = 0, lapsRequested = 0, interventions = 0, collisions = 0, offRoad = 0;
  let cteSum = 0, cteRuns = 0, cteMax = -Infinity;
  for (const item of items) {
    const r = results.get(item.id);
    if (!r) continue;
    const s = r.summary as DriveSummary;
    runs++;
    if (r.pass) passed++;
    lapsCompleted += s.lapsCompleted;
    lapsRequested += s.lapsRequested;
    interventions += s.interventions;
    collisions += s.collisions;
    offRoad += s.offRoadEvents;
    if (typeof s.meanAbsCteM === 'number') (cteSum += s.meanAbsCteM), cteRuns++;
    if (typeof s.maxAbsCteM === 'number') cteMax = Math.max(cteMax, s.maxAbsCteM);
  }
  const passRate = runs > 0 ? passed / runs : null;
  return {
    planned: items.length,
    runs,
    passed,
    passRate,
    pass: runs === items.length && passRate !== null && passRate >= minRate,
    lapsCompleted,
    lapsRequested,
    interventions,
    interventionsPerRun: runs > 0 ? interventions / runs : null,
    collisions,
    offRoadEvents: offRoad,
    meanAbsCteM: cteRuns > 0 ? cteSum / cteRuns : null,
    maxAbsCteM: cteMax > -Infinity ? cteMax : null,
  };
}

/** One row per bag replayed, and per model the MAE pooled over its bags beside the pooled baselines. */
export function aggregateBags(plan: PlanFile, results: ReadonlyMap<string, ItemEnvelope>): { bags: BagRow[]; byModel: BagModelStats[] } {
  const items = plan.items.filter((i): i is BagPlanItem => i.kind === 'bag');
  const rows: BagRow[] = [];
  const models = new Map<string, { planned: number; summaries: BagSummary[]; passed: number }>();
  for (const item of items) {
    const m = models.get(item.model) ?? { planned: 0, summaries: [], passed: 0 };
    models.set(item.model, m);
    m.planned++;
    const r = results.get(item.id);
    if (!r) continue;
    const s = r.summary as BagSummary;
    m.summaries.push(s);
    if (r.pass) m.passed++;
    rows.push({
      model: item.model,
      bag: item.bag,
      pass: r.pass,
      framesFraction: s.cameraFrames > 0 ? s.framesAccepted / s.cameraFrames : null,
      fields: s.fields.map((f) => pooledField([f])),
      failedChecks: r.checks.filter((c) => !c.pass).map((c) => c.label),
    });
  }
  const byModel = [...models].map(([model, m]) => {
    const names = [...new Set(m.summaries.flatMap((s) => s.fields.map((f) => f.name)))];
    const passRate = m.summaries.length > 0 ? m.passed / m.summaries.length : null;
    return {
      model,
      planned: m.planned,
      bags: m.summaries.length,
      passed: m.passed,
      passRate,
      pass: m.summaries.length === m.planned && passRate !== null && passRate >= plan.gate.min_pass_rate,
      fields: names.map((name) => pooledField(m.summaries.flatMap((s) => s.fields.filter((f) => f.name === name)))),
    };
  });
  return { bags: rows, byModel };
}

/** MAEs pooled over the compared ticks of several bags (an MAE is a mean over ticks: weight by n). */
function pooledField(fields: readonly BagFieldSummary[]): BagFieldStats {
  let n = 0, mae = 0, zero = 0, constant = 0;
  let haveConstant = fields.length > 0;
  for (const f of fields) {
    if (!(f.n > 0) || typeof f.mae !== 'number') continue;
    n += f.n;
    mae += f.n * f.mae;
    zero += f.n * (f.zeroMae ?? NaN);
    if (f.constantMean && typeof f.constantMean.mae === 'number') constant += f.n * f.constantMean.mae;
    else haveConstant = false;
  }
  const per = (sum: number): number | null => (n > 0 && Number.isFinite(sum) ? sum / n : null);
  const result = { mae: per(mae), constant: haveConstant ? per(constant) : null, zero: per(zero) };
  const best = result.constant !== null && result.zero !== null ? Math.min(result.constant, result.zero) : result.zero;
  return {
    name: fields[0]?.name ?? '',
    unit: fields[0]?.unit ?? '',
    n,
    mae: result.mae,
    constantMeanMae: result.constant,
    zeroMae: result.zero,
    improvement: result.mae !== null && best !== null && best > 0 ? 1 - result.mae / best : null,
  };
}

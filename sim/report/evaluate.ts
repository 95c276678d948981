/**
 * PASS/FAIL of a drive against thresholds. Each threshold that is set becomes one check; a check
 * whose metric was not measured (no runtime stats for an expert drive, no completed lap, NaN)
 * fails, because a bar that cannot be shown to be met is not met.
 */
import type { DriveResult } from '../drive/drive-result.js';

export interface DriveThresholds {
  /** Completed laps, at least. */
  minLaps?: number;
  /** Mean |cross-track error|, at most. */
  maxMeanCrossTrackM?: number;
  /** Largest |cross-track error|, at most. */
  maxPeakCrossTrackM?: number;
  maxOffRoadEvents?: number;
  maxInterventions?: number;
  maxCollisions?: number;
  /** Slowest completed lap, at most. */
  maxLapTimeS?: number;
  /** Mean |steering rate|, at most. */
  maxMeanSteeringRateRadps?: number;
  maxDeadlineMisses?: number;
  /** Runtime tick latency p99, at most. */
  maxLatencyP99Ms?: number;
  maxCommandTimeouts?: number;
  /** Sim time / wall time, at least. */
  minRealtimeFactor?: number;
}

export type DriveCheckId = keyof DriveThresholds;

export interface DriveCheck {
  id: DriveCheckId;
  label: string;
  /** NaN when not measured. */
  actual: number;
  limit: number;
  op: '<=' | '>=';
  unit: string;
  /** Decimals to show actual and limit with. */
  decimals: number;
  measured: boolean;
  pass: boolean;
}

export interface DriveEvaluation {
  /** Every check passed (true when no threshold was set). */
  pass: boolean;
  checks: DriveCheck[];
}

interface CheckSpec {
  id: DriveCheckId;
  label: string;
  op: '<=' | '>=';
  unit: string;
  decimals: number;
  actual: (r: DriveResult) => number | undefined;
}

/** In report order. */
const CHECKS: readonly CheckSpec[] = [
  { id: 'minLaps', label: 'laps completed', op: '>=', unit: '', decimals: 0, actual: (r) => r.lapsCompleted },
  { id: 'maxMeanCrossTrackM', label: 'mean |cross-track|', op: '<=', unit: 'm', decimals: 3, actual: (r) => r.crossTrack.meanAbsM },
  { id: 'maxPeakCrossTrackM', label: 'max |cross-track|', op: '<=', unit: 'm', decimals: 3, actual: (r) => r.crossTrack.maxAbsM },
  { id: 'maxOffRoadEvents', label: 'off-road events', op: '<=', unit: '', decimals: 0, actual: (r) => r.offRoadEvents },
  { id: 'maxInterventions', label: 'interventions', op: '<=', unit: '', decimals: 0, actual: (r) => r.interventions },
  { id: 'maxCollisions', label: 'collisions', op: '<=', unit: '', decimals: 0, actual: (r) => r.collisions },
  { id: 'maxLapTimeS', label: 'slowest lap', op: '<=', unit: 's', decimals: 3, actual: (r) => (r.lapTimesS.length > 0 ? Math.max(...r.lapTimesS) : undefined) },
  {
    id: 'maxMeanSteeringRateRadps',
    label: 'mean |steering rate|',
    op: '<=',
    unit: 'rad/s',
    decimals: 3,
    actual: (r) => r.steeringSmoothness.meanAbsRateRadps,
  },
  { id: 'maxDeadlineMisses', label: 'deadline misses', op: '<=', unit: '', decimals: 0, actual: (r) => r.runtime?.deadlineMisses },
  { id: 'maxLatencyP99Ms', label: 'tick latency p99', op: '<=', unit: 'ms', decimals: 2, actual: (r) => r.runtime?.latencyMs.p99 },
  { id: 'maxCommandTimeouts', label: 'command timeouts', op: '<=', unit: '', decimals: 0, actual: (r) => r.lockstep?.commandTimeouts },
  { id: 'minRealtimeFactor', label: '× real time', op: '>=', unit: '×', decimals: 1, actual: (r) => r.realtimeFactor },
];

/** One check per threshold set, in a fixed order. */
export function evaluateDrive(result: DriveResult, thresholds: DriveThresholds): DriveEvaluation {
  const checks: DriveCheck[] = [];
  for (const spec of CHECKS) {
    const limit = thresholds[spec.id];
    if (limit === undefined) continue;
    if (!Number.isFinite(limit)) throw new RangeError(`drive threshold ${spec.id} must be a finite number, got ${limit}`);
    const raw = spec.actual(result);
    // JSON files carry unmeasured metrics as null.
    const actual = raw === undefined || raw === null || !Number.isFinite(raw) ? NaN : raw;
    const measured = !Number.isNaN(actual);
    const pass = measured && (spec.op === '<=' ? actual <= limit : actual >= limit);
    checks.push({ id: spec.id, label: spec.label, actual, limit, op: spec.op, unit: spec.unit, decimals: spec.decimals, measured, pass });
  }
  return { pass: checks.every((c) => c.pass), checks };
}

/** The bars a drive is held to when none are given: every lap requested, no interventions, no collisions. */
export function defaultThresholds(result: DriveResult): DriveThresholds {
  return { minLaps: result.lapsRequested, maxInterventions: 0, maxCollisions: 0 };
}

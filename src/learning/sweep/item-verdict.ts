/**
 * What a sweep item's result file says about itself, beside the one-machine result: its checks
 * against the sweep's bars (the same checks `pilot drive` and `pilot eval` make) and the few figures
 * the merge aggregates. Pure.
 */
import type { DriveResult } from '../../../sim/index.js';
import { evaluateDrive } from '../../../sim/index.js';
import { compareWithBaselines, type FieldBaselineComparison } from '../../data/replay/baselines.js';
import { baselineCheck } from '../eval/run-eval.js';
import type { ReplayRun } from '../../data/replay/replay-session.js';
import type { SweepGate } from './sweep-file.js';

export interface ItemCheck {
  readonly label: string;
  /** null: not measured (fails). */
  readonly actual: number | null;
  readonly op: '<=' | '>=';
  readonly limit: number;
  readonly unit: string;
  readonly pass: boolean;
}

export interface DriveSummary {
  readonly lapsRequested: number;
  readonly lapsCompleted: number;
  readonly meanAbsCteM: number;
  readonly maxAbsCteM: number;
  readonly interventions: number;
  readonly collisions: number;
  readonly offRoadEvents: number;
  readonly simTimeS: number;
}

export interface BagFieldSummary {
  readonly name: string;
  readonly unit: string;
  /** Ticks compared with a recorded command. */
  readonly n: number;
  readonly mae: number;
  /** null: the model stores no training mean. */
  readonly constantMean: { readonly value: number; readonly mae: number } | null;
  readonly zeroMae: number;
}

export interface BagSummary {
  readonly cameraFrames: number;
  readonly framesAccepted: number;
  readonly fields: readonly BagFieldSummary[];
}

export interface Verdict<S> {
  readonly pass: boolean;
  readonly checks: readonly ItemCheck[];
  readonly summary: S;
}

/** A drive held to gate.drive (laps default: every lap asked for). */
export function driveVerdict(result: DriveResult, gate: SweepGate['drive']): Verdict<DriveSummary> {
  const evaluation = evaluateDrive(result, {
    minLaps: gate.min_laps ?? result.lapsRequested,
    maxMeanCrossTrackM: gate.max_mean_cte_m,
    maxInterventions: gate.max_interventions,
    maxCollisions: gate.max_collisions,
  });
  const checks = evaluation.checks.map((c) => ({ label: c.label, actual: c.measured ? c.actual : null, op: c.op, limit: c.limit, unit: c.unit, pass: c.pass }));
  return {
    pass: evaluation.pass,
    checks,
    summary: {
      lapsRequested: result.lapsRequested,
      lapsCompleted: result.lapsCompleted,
      meanAbsCteM: result.crossTrack.meanAbsM,
      maxAbsCteM: result.crossTrack.maxAbsM,
      interventions: result.interventions,
      collisions: result.collisions,
      offRoadEvents: result.offRoadEvents,
      simTimeS: result.simTimeS,
    },
  };
}

/** A replay held to gate.bags: MAE per gated field, the margin over the constant-mean baseline, frames seen. */
export function bagVerdict(run: ReplayRun, gate: SweepGate['bags']): Verdict<BagSummary> {
  const fields = run.evaluation?.fields ?? [];
  const checks: ItemCheck[] = [];
  for (const [name, limit] of Object.entries(gate.max_mae)) {
    const field: FieldBaselineComparison = fields.find((f) => f.name === name) ?? compareWithBaselines(name, [], [], undefined);
    checks.push(check(`${name} MAE`, field.mae, '<=', limit, ''));
    const c = baselineCheck(field, gate.min_improvement_over_constant, fields.find((f) => f.name === name)?.unit ?? '');
    checks.push({ label: c.label, actual: c.actual, op: c.op, limit: c.limit, unit: c.unit, pass: c.pass });
  }
  const input = run.input;
  checks.push(check('camera frames the model saw', input.cameraFrames > 0 ? 100 * input.fraction : NaN, '>=', 100 * gate.min_frames_fraction, '%'));
  return {
    pass: checks.every((c) => c.pass),
    checks,
    summary: {
      cameraFrames: input.cameraFrames,
      framesAccepted: input.framesAccepted,
      fields: fields.map((f) => ({ name: f.name, unit: f.unit, n: f.n, mae: f.mae, constantMean: f.baselines.constant_mean ?? null, zeroMae: f.baselines.zero.mae })),
    },
  };
}

function check(label: string, actual: number, op: '<=' | '>=', limit: number, unit: string): ItemCheck {
  const measured = Number.isFinite(actual);
  return { label, actual: measured ? actual : null, op, limit, unit, pass: measured && (op === '<=' ? actual <= limit : actual >= limit) };
}

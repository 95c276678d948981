/**
 * How a trained policy scores against the trivial baselines, on validation (the frames that picked
 * the epoch) and held-out frames (never touched in training), with the warnings a user needs: a model
 * that loses to a constant, and a validation figure that disagrees with the held-out one.
 */
import type { ImageDataset } from '../dataset/dataset.js';
import { formatComparison, type FieldBaselineComparison } from '../../data/replay/baselines.js';
import type { ContractOutputField } from '../../runtime/policy/contract.js';
import { compareFromPredictions } from './held-out.js';

export interface PolicyScores {
  readonly validation: readonly FieldBaselineComparison[];
  readonly holdout: readonly FieldBaselineComparison[];
  readonly warnings: readonly string[];
}

/** Held-out MAE more than this factor away from validation MAE (either way) is flagged. */
export const DISAGREEMENT_FACTOR = 1.5;

/** A set of frames and the network's raw predictions for them (predictRaw). */
export interface PredictedSet {
  readonly ds: ImageDataset;
  readonly raw: Float32Array;
}

export function scorePolicy(
  sets: { readonly validation: PredictedSet | undefined; readonly holdout: PredictedSet | undefined },
  fields: readonly ContractOutputField[],
  constantMean: Readonly<Record<string, number>>,
): PolicyScores {
  const on = (set: PredictedSet | undefined) => (set && set.ds.count > 0 ? compareFromPredictions(set.raw, set.ds, fields, constantMean) : []);
  const validation = on(sets.validation);
  const holdout = on(sets.holdout);
  const warnings: string[] = [];
  const graded = holdout.length > 0 ? holdout : validation;
  const where = holdout.length > 0 ? 'held-out' : 'validation';
  for (const c of graded) {
    // A label that never changes (a fixed cruise speed) has nothing to learn: no verdict on it.
    if (!(c.bestBaseline.mae > 1e-9)) continue;
    if (c.improvement <= 0) warnings.push(`${c.name}: on ${where} frames the model (MAE ${c.mae.toFixed(4)}) does not beat the ${c.bestBaseline.name} baseline (MAE ${c.bestBaseline.mae.toFixed(4)}): predicting a constant would do better; do not deploy it`);
  }
  for (const h of holdout) {
    const v = validation.find((c) => c.name === h.name);
    if (!v || !(v.mae > 0) || !(h.mae > 0)) continue;
    const ratio = h.mae / v.mae;
    if (ratio > DISAGREEMENT_FACTOR || ratio < 1 / DISAGREEMENT_FACTOR) {
      warnings.push(`${h.name}: validation and held-out disagree: MAE ${v.mae.toFixed(4)} on validation, ${h.mae.toFixed(4)} held out (×${ratio.toFixed(2)}); the validation figure is not a reliable estimate for this data`);
    }
  }
  return { validation, holdout, warnings };
}

/** Log lines: one comparison per field and set, then the warnings. */
export function formatScores(s: PolicyScores): string[] {
  return [
    ...s.validation.map((c) => `train: validation ${formatComparison(c)}`),
    ...s.holdout.map((c) => `train: held out ${formatComparison(c)}`),
    ...s.warnings.map((w) => `train: warning: ${w}`),
  ];
}

/** Flat metrics for the training record and the summary: model, baselines and correlation per set and field. */
export function scoreMetrics(s: PolicyScores, units: Readonly<Record<string, string>>): Record<string, number> {
  const out: Record<string, number> = {};
  const add = (set: string, list: readonly FieldBaselineComparison[]) => {
    for (const c of list) {
      const u = units[c.name] ? ` (${units[c.name]})` : '';
      out[`${set} MAE ${c.name}${u}`] = c.mae;
      if (c.baselines.constant_mean) out[`${set} constant-mean baseline MAE ${c.name}${u}`] = c.baselines.constant_mean.mae;
      out[`${set} zero baseline MAE ${c.name}${u}`] = c.baselines.zero.mae;
      if (c.corr !== null) out[`${set} correlation ${c.name}`] = c.corr;
    }
  };
  add('validation', s.validation);
  add('held-out', s.holdout);
  return out;
}

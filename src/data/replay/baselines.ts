/**
 * Trivial baselines a learned policy must beat, and the statistics that show whether it does: for
 * each output field, the MAE of always predicting the training-set mean (`constant_mean`) and of
 * always predicting zero (`zero`), beside the model's MAE and the Pearson correlation between its
 * predictions and the reference. The training-set means are stored in the model (ONNX metadata
 * `pilot.baselines`, physical units) so `replay` and `eval` compare against the same constant that
 * `train` did.
 */
import { z } from 'zod';
import { readOnnxInfo } from '../../core/onnx/onnx-read.js';
import { PilotError } from '../../core/util/errors.js';
import { readModelFile } from '../../core/onnx/model-file.js';

export const BASELINES_METADATA_KEY = 'pilot.baselines';

/** What `pilot train` stores: per output field, the mean of its training labels in physical units. */
export const TrainingBaselines = z
  .object({
    version: z.literal(1),
    /** Frames the means were computed over. */
    train_frames: z.number().int().min(0),
    constant_mean: z.record(z.string(), z.number()),
  })
  .strict();
export type TrainingBaselines = z.infer<typeof TrainingBaselines>;

/** The baselines stored in a model's metadata (undefined when it carries none); `source` names the model. */
export function parseTrainingBaselines(json: string | undefined, source: string): TrainingBaselines | undefined {
  if (json === undefined) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    throw new PilotError('E_BASELINES', `${source}: metadata ${BASELINES_METADATA_KEY} is not JSON (${(e as Error).message})`);
  }
  const parsed = TrainingBaselines.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new PilotError('E_BASELINES', `${source}: metadata ${BASELINES_METADATA_KEY}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

/** The baselines a model file stores; undefined when it carries none (a model trained before they were stored). */
export function readModelBaselines(modelPath: string): TrainingBaselines | undefined {
  return parseTrainingBaselines(readOnnxInfo(readModelFile(modelPath), modelPath).metadata[BASELINES_METADATA_KEY], modelPath);
}

/** Mean absolute difference; NaN for no values. */
export function meanAbsError(predicted: ArrayLike<number>, reference: ArrayLike<number>): number {
  const n = Math.min(predicted.length, reference.length);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.abs(predicted[i]! - reference[i]!);
  return n > 0 ? sum / n : NaN;
}

/** Mean absolute difference from one constant; NaN for no values. */
export function constantMae(value: number, reference: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < reference.length; i++) sum += Math.abs(value - reference[i]!);
  return reference.length > 0 ? sum / reference.length : NaN;
}

/** Arithmetic mean; NaN for no values. */
export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return values.length > 0 ? sum / values.length : NaN;
}

/**
 * Pearson correlation; NaN when either side is constant (a constant predictor has no correlation)
 * or there are fewer than two values.
 */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  if (n < 2) return NaN;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma, db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  // Relative threshold: float noise on a constant series must not look like a signal.
  const eps = 1e-12 * n * (1 + ma * ma + mb * mb);
  return saa > eps && sbb > eps ? sab / Math.sqrt(saa * sbb) : NaN;
}

/** One field's model figures beside both baselines, as `replay --json` and the training record carry them. */
export interface FieldBaselineComparison {
  readonly name: string;
  readonly n: number;
  readonly mae: number;
  /** Pearson correlation of predictions with the reference; null when undefined (constant series). */
  readonly corr: number | null;
  readonly baselines: {
    /** Absent when the model carries no training means (an older model). */
    readonly constant_mean?: { readonly value: number; readonly mae: number };
    readonly zero: { readonly mae: number };
  };
  /** The better of the two baselines' MAE (the one the model has to beat). */
  readonly bestBaseline: { readonly name: 'constant_mean' | 'zero'; readonly mae: number };
  /** 1 − model MAE / best baseline MAE: > 0 when the model beats both (0.3 = 30 % lower error). */
  readonly improvement: number;
}

export function compareWithBaselines(
  name: string,
  predicted: ArrayLike<number>,
  reference: ArrayLike<number>,
  constantMean: number | undefined,
): FieldBaselineComparison {
  const n = Math.min(predicted.length, reference.length);
  const ref = reference.length === n ? reference : Array.prototype.slice.call(reference, 0, n);
  const mae = meanAbsError(predicted, ref);
  const corr = pearson(predicted, ref);
  const zero = constantMae(0, ref);
  const constant = constantMean !== undefined && Number.isFinite(constantMean) ? { value: constantMean, mae: constantMae(constantMean, ref) } : undefined;
  const bestBaseline = constant && constant.mae < zero ? { name: 'constant_mean' as const, mae: constant.mae } : { name: 'zero' as const, mae: zero };
  return {
    name,
    n,
    mae,
    corr: Number.isFinite(corr) ? corr : null,
    baselines: { ...(constant ? { constant_mean: constant } : {}), zero: { mae: zero } },
    bestBaseline,
    improvement: bestBaseline.mae > 0 ? 1 - mae / bestBaseline.mae : mae === 0 ? 0 : -Infinity,
  };
}

/** `steering_angle: model MAE 0.1000 (corr 0.71) | constant 0.0300 → MAE 0.1500 | zero MAE 0.1400 | 29 % below the best baseline`. */
export function formatComparison(c: FieldBaselineComparison, digits = 4): string {
  const f = (v: number): string => (Number.isFinite(v) ? v.toFixed(digits) : '—');
  const constant = c.baselines.constant_mean ? `constant ${f(c.baselines.constant_mean.value)} → MAE ${f(c.baselines.constant_mean.mae)}` : 'constant: no training mean in the model';
  const pct = Number.isFinite(c.improvement) ? Math.round(Math.abs(c.improvement) * 100) : NaN;
  const verdict = !Number.isFinite(c.improvement)
    ? 'no baseline error to compare with'
    : c.improvement > 0
      ? `${pct} % below the best baseline (${c.bestBaseline.name})`
      : `${pct} % WORSE than the ${c.bestBaseline.name} baseline`;
  return `${c.name}: model MAE ${f(c.mae)} (corr ${c.corr === null ? '—' : c.corr.toFixed(2)}) | ${constant} | zero MAE ${f(c.baselines.zero.mae)} | ${verdict}`;
}

/**
 * Whether the model's MAE beats the constant-mean baseline by at least `margin` (0.2: 20 % lower).
 * Without a stored training mean it is held to the zero baseline and says so.
 */
export function beatsConstantBaseline(c: FieldBaselineComparison, margin: number): { pass: boolean; limit: number; against: string } {
  const base = c.baselines.constant_mean?.mae ?? c.baselines.zero.mae;
  const against = c.baselines.constant_mean ? 'constant-mean baseline' : 'zero baseline (the model stores no training mean)';
  const limit = base * (1 - margin);
  return { pass: Number.isFinite(c.mae) && c.mae <= limit, limit, against };
}

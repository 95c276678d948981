/**
 * Open-loop evaluation, pure: predicted commands (one per control tick) against the recorded command
 * in force at each tick (the newest one logged at or before it), field by field. MAE, RMSE, max error,
 * bias, per-segment errors and the worst moments, beside the trivial baselines over the same ticks
 * (the training-set mean, zero) and the correlation of predictions with the recorded commands; and
 * the same statistics between two models.
 */
import { compareWithBaselines, type FieldBaselineComparison } from './baselines.js';

/** The commands a runtime published during a replay, one per tick, times in ms from the window start. */
export interface PredictionSeries {
  readonly names: readonly string[];
  readonly units: readonly string[];
  readonly tMs: readonly number[];
  /** values[field][tick] */
  readonly values: readonly (readonly number[])[];
  /** The safety layer's reason per tick (`ok`, `stale_input`, …). */
  readonly reasons: readonly string[];
}

/** Recorded commands, sorted by time (ms from the window start; may be negative: before the window). */
export interface ReferenceSeries {
  readonly tMs: readonly number[];
  readonly values: readonly (readonly number[])[];
}

export interface EvaluateOptions {
  /** Segment length for per-segment errors, s (default 5). */
  readonly segmentS?: number;
  /** Worst moments kept per field (default 10). */
  readonly worst?: number;
  /** Worst moments closer than this to a worse one are the same moment, s (default 1). */
  readonly momentGapS?: number;
  /** A recorded command older than this is no longer "in force", ms (default 500). */
  readonly maxReferenceAgeMs?: number;
  /** Ticks with these safety reasons are not evaluated (default startup, shutdown). */
  readonly excludeReasons?: readonly string[];
}

export interface FieldError {
  readonly name: string;
  readonly unit: string;
  readonly n: number;
  readonly mae: number;
  readonly rmse: number;
  readonly maxAbs: number;
  /** When the largest error happened, s from the window start. */
  readonly maxAtS: number;
  /** Mean signed error (predicted − recorded). */
  readonly bias: number;
}

/** A field's errors beside the baselines computed over the same ticks. */
export interface EvaluatedField extends FieldError {
  /** Pearson correlation of predicted with recorded; null when undefined (a constant series). */
  readonly corr: number | null;
  readonly baselines: FieldBaselineComparison['baselines'];
  /** The better baseline, and 1 − model MAE / its MAE (> 0: the model beats both). */
  readonly bestBaseline: FieldBaselineComparison['bestBaseline'];
  readonly improvement: number;
}

export interface SegmentError {
  readonly startS: number;
  readonly endS: number;
  readonly n: number;
  /** Per field, in `names` order. */
  readonly mae: readonly number[];
  readonly rmse: readonly number[];
  readonly maxAbs: readonly number[];
}

export interface Moment {
  /** s from the window start. */
  readonly tS: number;
  readonly tick: number;
  readonly predicted: number;
  readonly recorded: number;
  /** predicted − recorded. */
  readonly error: number;
  readonly reason: string;
}

export interface Evaluation {
  readonly names: readonly string[];
  readonly units: readonly string[];
  readonly ticks: number;
  /** Ticks compared with a recorded command. */
  readonly evaluated: number;
  /** Ticks before the first recorded command, or whose newest recorded command was too old. */
  readonly noReference: number;
  /** Ticks left out for their safety reason, by reason. */
  readonly excluded: Readonly<Record<string, number>>;
  readonly fields: readonly EvaluatedField[];
  readonly segments: readonly SegmentError[];
  /** worst[field]: largest |error| first. */
  readonly worst: readonly (readonly Moment[])[];
  /** Per tick: the recorded value in force (NaN where not evaluated), recorded[field][tick]. */
  readonly recorded: readonly (readonly number[])[];
  readonly options: Required<EvaluateOptions>;
}

export const DEFAULT_EVALUATE_OPTIONS: Required<EvaluateOptions> = {
  segmentS: 5,
  worst: 10,
  momentGapS: 1,
  maxReferenceAgeMs: 500,
  excludeReasons: ['startup', 'shutdown'],
};

/**
 * Indices of the `count` largest `magnitude` values, largest first, where an index closer than
 * `gapS` (by `tS`) to one already chosen is skipped: one bad second yields one moment, not ten ticks.
 * NaN magnitudes are never chosen. Ties keep time order.
 */
export function worstMoments(tS: readonly number[], magnitude: readonly number[], count: number, gapS: number): number[] {
  const order: number[] = [];
  for (let i = 0; i < magnitude.length; i++) if (Number.isFinite(magnitude[i]!)) order.push(i);
  order.sort((a, b) => magnitude[b]! - magnitude[a]! || a - b);
  const chosen: number[] = [];
  for (const i of order) {
    if (chosen.length >= count) break;
    if (chosen.some((j) => Math.abs(tS[j]! - tS[i]!) < gapS)) continue;
    chosen.push(i);
  }
  return chosen;
}

interface Accumulator {
  n: number;
  sumAbs: number;
  sumSq: number;
  sum: number;
  maxAbs: number;
  maxAt: number;
}

const accumulator = (): Accumulator => ({ n: 0, sumAbs: 0, sumSq: 0, sum: 0, maxAbs: 0, maxAt: NaN });

function add(a: Accumulator, e: number, tS: number): void {
  a.n++;
  a.sum += e;
  a.sumAbs += Math.abs(e);
  a.sumSq += e * e;
  if (Math.abs(e) > a.maxAbs || a.n === 1) {
    a.maxAbs = Math.abs(e);
    a.maxAt = tS;
  }
}

const mae = (a: Accumulator): number => (a.n > 0 ? a.sumAbs / a.n : NaN);
const rmse = (a: Accumulator): number => (a.n > 0 ? Math.sqrt(a.sumSq / a.n) : NaN);

/** Field statistics of signed errors `e[field][tick]` over the ticks where `use[tick]`. */
export function errorStats(names: readonly string[], units: readonly string[], tMs: readonly number[], errors: readonly (readonly number[])[], use: readonly boolean[]): FieldError[] {
  return names.map((name, f) => {
    const a = accumulator();
    for (let i = 0; i < tMs.length; i++) if (use[i]) add(a, errors[f]![i]!, tMs[i]! / 1000);
    return { name, unit: units[f] ?? '', n: a.n, mae: mae(a), rmse: rmse(a), maxAbs: a.n > 0 ? a.maxAbs : NaN, maxAtS: a.maxAt, bias: a.n > 0 ? a.sum / a.n : NaN };
  });
}

/** Per-segment MAE/RMSE/max of `errors` (segments of `segmentS` from 0, empty ones left out). */
export function segmentStats(tMs: readonly number[], errors: readonly (readonly number[])[], use: readonly boolean[], segmentS: number): SegmentError[] {
  const bySegment = new Map<number, Accumulator[]>();
  for (let i = 0; i < tMs.length; i++) {
    if (!use[i]) continue;
    const k = Math.floor(tMs[i]! / 1000 / segmentS);
    let accs = bySegment.get(k);
    if (!accs) bySegment.set(k, (accs = errors.map(() => accumulator())));
    accs.forEach((a, f) => add(a, errors[f]![i]!, tMs[i]! / 1000));
  }
  return [...bySegment.entries()]
    .sort((x, y) => x[0] - y[0])
    .map(([k, accs]) => ({
      startS: k * segmentS,
      endS: (k + 1) * segmentS,
      n: accs[0]?.n ?? 0,
      mae: accs.map(mae),
      rmse: accs.map(rmse),
      maxAbs: accs.map((a) => a.maxAbs),
    }));
}

/**
 * Each field's statistics beside its baselines over exactly the ticks in `use`: the constant
 * `constantMean[name]` (the training-set mean; absent: none) and zero, and the correlation.
 */
export function withBaselines(
  fields: readonly FieldError[],
  values: readonly (readonly number[])[],
  recorded: readonly (readonly number[])[],
  use: readonly boolean[],
  constantMean: Readonly<Record<string, number>> | undefined,
): EvaluatedField[] {
  return fields.map((field, f) => {
    const predicted: number[] = [];
    const reference: number[] = [];
    for (let i = 0; i < use.length; i++) {
      if (!use[i]) continue;
      predicted.push(values[f]![i]!);
      reference.push(recorded[f]![i]!);
    }
    const c = compareWithBaselines(field.name, predicted, reference, constantMean?.[field.name]);
    return { ...field, corr: c.corr, baselines: c.baselines, bestBaseline: c.bestBaseline, improvement: c.improvement };
  });
}

/** `constantMean`: the training-set mean per field name (the model's `pilot.baselines`), when known. */
export function evaluate(
  predictions: PredictionSeries,
  reference: ReferenceSeries,
  options: EvaluateOptions = {},
  constantMean?: Readonly<Record<string, number>>,
): Evaluation {
  const o = { ...DEFAULT_EVALUATE_OPTIONS, ...options };
  const { names, units, tMs, values, reasons } = predictions;
  const ticks = tMs.length;
  const excludeSet = new Set(o.excludeReasons);
  const recorded = names.map(() => new Array<number>(ticks).fill(NaN));
  const errors = names.map(() => new Array<number>(ticks).fill(NaN));
  const use = new Array<boolean>(ticks).fill(false);
  const excluded: Record<string, number> = {};
  let noReference = 0;
  let evaluated = 0;
  // Both series are in time order: one pointer walks the recorded commands.
  let r = -1;
  for (let i = 0; i < ticks; i++) {
    const t = tMs[i]!;
    while (r + 1 < reference.tMs.length && reference.tMs[r + 1]! <= t) r++;
    if (excludeSet.has(reasons[i]!)) {
      excluded[reasons[i]!] = (excluded[reasons[i]!] ?? 0) + 1;
      continue;
    }
    if (r < 0 || t - reference.tMs[r]! > o.maxReferenceAgeMs) {
      noReference++;
      continue;
    }
    use[i] = true;
    evaluated++;
    for (let f = 0; f < names.length; f++) {
      const ref = reference.values[f]![r]!;
      recorded[f]![i] = ref;
      errors[f]![i] = values[f]![i]! - ref;
    }
  }
  const tS = tMs.map((t) => t / 1000);
  const worst = names.map((_, f) => {
    const mag = errors[f]!.map((e, i) => (use[i] ? Math.abs(e) : NaN));
    return worstMoments(tS, mag, o.worst, o.momentGapS).map((i) => ({
      tS: tS[i]!,
      tick: i,
      predicted: values[f]![i]!,
      recorded: recorded[f]![i]!,
      error: errors[f]![i]!,
      reason: reasons[i]!,
    }));
  });
  return {
    names,
    units,
    ticks,
    evaluated,
    noReference,
    excluded,
    fields: withBaselines(errorStats(names, units, tMs, errors, use), values, recorded, use, constantMean),
    segments: segmentStats(tMs, errors, use, o.segmentS),
    worst,
    recorded,
    options: o,
  };
}

export interface Disagreement {
  /** s from the window start. */
  readonly tS: number;
  readonly a: number;
  readonly b: number;
  /** b − a. */
  readonly difference: number;
  readonly reasonA: string;
  readonly reasonB: string;
}

export interface Comparison {
  readonly names: readonly string[];
  readonly units: readonly string[];
  /** Ticks both runs have (same scheduled time), minus excluded reasons. */
  readonly compared: number;
  /** Ticks only one of the two has. */
  readonly unmatched: number;
  /** Statistics of b − a. */
  readonly fields: readonly FieldError[];
  readonly segments: readonly SegmentError[];
  /** Per field, largest |b − a| first. */
  readonly worst: readonly (readonly Disagreement[])[];
  /** Per compared tick: time (ms) and difference per field, for plots. */
  readonly tMs: readonly number[];
  readonly differences: readonly (readonly number[])[];
}

/** Where two runs over the same ticks disagree: statistics of b − a and the worst moments. */
export function compareSeries(a: PredictionSeries, b: PredictionSeries, options: EvaluateOptions = {}): Comparison {
  const o = { ...DEFAULT_EVALUATE_OPTIONS, ...options };
  if (a.names.join() !== b.names.join()) {
    throw new Error(`cannot compare commands with fields [${a.names.join(', ')}] and [${b.names.join(', ')}]`);
  }
  const exclude = new Set(o.excludeReasons);
  const indexB = new Map<number, number>();
  b.tMs.forEach((t, i) => indexB.set(t, i));
  const tMs: number[] = [];
  const pairs: [number, number][] = [];
  let matched = 0;
  for (let i = 0; i < a.tMs.length; i++) {
    const j = indexB.get(a.tMs[i]!);
    if (j === undefined) continue;
    matched++;
    if (exclude.has(a.reasons[i]!) || exclude.has(b.reasons[j]!)) continue;
    tMs.push(a.tMs[i]!);
    pairs.push([i, j]);
  }
  const differences = a.names.map((_, f) => pairs.map(([i, j]) => b.values[f]![j]! - a.values[f]![i]!));
  const use = new Array<boolean>(tMs.length).fill(true);
  const tS = tMs.map((t) => t / 1000);
  const worst = a.names.map((_, f) =>
    worstMoments(tS, differences[f]!.map(Math.abs), o.worst, o.momentGapS).map((k) => {
      const [i, j] = pairs[k]!;
      return { tS: tS[k]!, a: a.values[f]![i]!, b: b.values[f]![j]!, difference: differences[f]![k]!, reasonA: a.reasons[i]!, reasonB: b.reasons[j]! };
    }),
  );
  return {
    names: a.names,
    units: a.units,
    compared: tMs.length,
    unmatched: a.tMs.length - matched + (b.tMs.length - matched),
    fields: errorStats(a.names, a.units, tMs, differences, use),
    segments: segmentStats(tMs, differences, use, o.segmentS),
    worst,
    tMs,
    differences,
  };
}

/**
 * The replay result as JSON: log times (bigint ns) as decimal strings, non-finite numbers as null,
 * per-tick series as columns (t, predicted and recorded per field) so a long bag stays compact.
 */
import type { ReplayResult } from './replay-session.js';

export interface ReplayJsonOptions {
  /** Include the per-tick series (default true). */
  readonly series?: boolean;
}

function clean(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) return value.map(clean);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = clean(v);
    return out;
  }
  return value;
}

/** A plain JSON-ready object. */
export function replayJson(result: ReplayResult, options: ReplayJsonOptions = {}): unknown {
  const series = options.series ?? true;
  const runs = result.runs.map((run) => {
    const { predictions, evaluation, ...rest } = run;
    return {
      ...rest,
      fields: predictions.names.map((name, f) => ({ name, unit: predictions.units[f] })),
      evaluation: evaluation
        ? {
            evaluated: evaluation.evaluated,
            noReference: evaluation.noReference,
            excluded: evaluation.excluded,
            options: evaluation.options,
            fields: evaluation.fields,
            segments: evaluation.segments,
            worst: Object.fromEntries(evaluation.names.map((n, f) => [n, evaluation.worst[f]])),
          }
        : null,
      ...(series
        ? {
            series: {
              tS: predictions.tMs.map((t) => t / 1000),
              reason: predictions.reasons,
              predicted: Object.fromEntries(predictions.names.map((n, f) => [n, predictions.values[f]])),
              ...(evaluation ? { recorded: Object.fromEntries(evaluation.names.map((n, f) => [n, evaluation.recorded[f]])) } : {}),
            },
          }
        : {}),
    };
  });
  const c = result.comparison;
  return clean({
    ...result,
    runs,
    comparison: c
      ? {
          labels: result.runs.slice(0, 2).map((r) => r.label),
          compared: c.compared,
          unmatched: c.unmatched,
          fields: c.fields,
          segments: c.segments,
          worst: Object.fromEntries(c.names.map((n, f) => [n, c.worst[f]])),
        }
      : null,
  });
}

export function serializeReplay(result: ReplayResult, options: ReplayJsonOptions = {}): string {
  return JSON.stringify(replayJson(result, options), null, 2);
}

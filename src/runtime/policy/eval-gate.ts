/**
 * The evaluation gate a model must pass before deployment: thresholds written into the model (ONNX
 * metadata `pilot.gate`, rendered in its model card) by `pilot train`, checked by `pilot eval`.
 */
import { z } from 'zod';
import { PilotError } from '../../core/util/errors.js';

export const GATE_METADATA_KEY = 'pilot.gate';

const count = z.number().int().min(0);

export const EvalGate = z
  .object({
    version: z.literal(1),
    /** Open-loop error against recorded commands on held-out bags, per action field (physical units). */
    open_loop: z
      .object({
        max_mae: z.record(z.string(), z.number().positive()),
        /**
         * Per field of max_mae, pooled over the held-out bags: the model's MAE must be at least this
         * fraction below the MAE of always predicting the training-set mean (ONNX metadata
         * `pilot.baselines`; the zero baseline for a model without it). 0.2: 20 % lower. Absent in
         * gates written before it existed: DEFAULT_MIN_IMPROVEMENT_OVER_CONSTANT applies.
         */
        min_improvement_over_constant: z.number().min(0).lt(1).optional(),
      })
      .strict(),
    /** Closed-loop drives on tracks never used in training, nominal look. */
    closed_loop: z
      .object({
        tracks: z.array(z.string().min(1)).min(1),
        laps: z.number().int().min(1),
        max_mean_cte_m: z.number().positive(),
        max_interventions: count,
        max_collisions: count,
      })
      .strict(),
    /** The same drives under domain randomisation (one drive per track and seed). */
    robustness: z
      .object({
        randomize: z.number().min(0).max(1),
        seeds: z.array(z.number().int()).min(1),
        max_mean_cte_m: z.number().positive(),
        max_interventions: count,
      })
      .strict(),
    /** Runtime tick latency on the evaluating machine, and deadline misses over all drives. */
    latency: z.object({ max_p99_ms: z.number().positive(), max_deadline_misses: count }).strict(),
  })
  .strict();
export type EvalGate = z.infer<typeof EvalGate>;

/** The margin over the constant-mean baseline when a gate does not name one (0.2: 20 % lower MAE). */
export const DEFAULT_MIN_IMPROVEMENT_OVER_CONSTANT = 0.2;

/** The gate's open-loop margin over the constant-mean baseline, with the default for older gates. */
export function minImprovementOverConstant(gate: EvalGate): number {
  return gate.open_loop.min_improvement_over_constant ?? DEFAULT_MIN_IMPROVEMENT_OVER_CONSTANT;
}

/** The bars of the fine-tuning issue: 3 clean laps on each unseen track, mean CTE < 0.25 m, also randomised. */
export const DEFAULT_DRIVING_GATE: EvalGate = {
  version: 1,
  open_loop: { max_mae: { steering_angle: 0.08 }, min_improvement_over_constant: DEFAULT_MIN_IMPROVEMENT_OVER_CONSTANT },
  closed_loop: { tracks: ['lake', 'city-block'], laps: 3, max_mean_cte_m: 0.25, max_interventions: 0, max_collisions: 0 },
  robustness: { randomize: 0.7, seeds: [11], max_mean_cte_m: 0.25, max_interventions: 0 },
  latency: { max_p99_ms: 10, max_deadline_misses: 0 },
};

/** The gate stored in a model's metadata; `source` names the model in errors. */
export function parseGate(json: string | undefined, source: string): EvalGate | undefined {
  if (json === undefined) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    throw new PilotError('E_GATE', `${source}: metadata ${GATE_METADATA_KEY} is not JSON (${(e as Error).message})`);
  }
  const parsed = EvalGate.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new PilotError('E_GATE', `${source}: metadata ${GATE_METADATA_KEY}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

/**
 * The `faults:` section of the simulator config, snake_case like the rest of it:
 *
 * ```yaml
 * faults:
 *   seed: 7                       # optional; default the simulator's seed
 *   camera:
 *     drop_probability: 0.05      # each message, independently
 *     drop_windows: [{ start_s: 10, duration_s: 0.5 }]   # total drop-outs
 *     latency_ms: 30              # fixed extra delay
 *     jitter_ms: 10               # random extra delay on top (never negative)
 *     jitter_distribution: uniform   # uniform in [0, jitter_ms] | gaussian: |N(0, jitter_ms)|
 *     allow_reorder: false        # by default a message never overtakes the previous one
 *     noise_bursts: [{ start_s: 20, duration_s: 2, multiplier: 4 }]
 *   imu: { … }
 *   odom: { … }
 * ```
 *
 * Errors name the key and the value: `E_SIM_CONFIG: faults.camera.drop_probability: expected
 * number in [0, 1] (got 2)`.
 */
import { z } from 'zod';
import { PilotError } from '../../src/util/errors.js';

export type TopicClass = 'camera' | 'imu' | 'odom';
export const TOPIC_CLASSES: readonly TopicClass[] = Object.freeze(['camera', 'imu', 'odom'] as const);

export type JitterDistribution = 'uniform' | 'gaussian';

/** [startS, startS + durationS) in sim time. */
export interface FaultWindow {
  readonly startS: number;
  readonly durationS: number;
}

export interface NoiseBurst extends FaultWindow {
  /** Scales the sensor's noise sigmas while active (overlapping bursts: the largest wins). */
  readonly multiplier: number;
}

export interface TopicFaults {
  readonly dropProbability: number;
  readonly dropWindows: readonly FaultWindow[];
  readonly latencyMs: number;
  readonly jitterMs: number;
  readonly jitterDistribution: JitterDistribution;
  readonly allowReorder: boolean;
  readonly noiseBursts: readonly NoiseBurst[];
}

export interface FaultConfig {
  /** Seed for the fault streams; undefined = whatever the simulator passes. */
  readonly seed: number | undefined;
  readonly camera: TopicFaults;
  readonly imu: TopicFaults;
  readonly odom: TopicFaults;
}

export const NO_TOPIC_FAULTS: TopicFaults = Object.freeze({
  dropProbability: 0,
  dropWindows: Object.freeze([]),
  latencyMs: 0,
  jitterMs: 0,
  jitterDistribution: 'uniform',
  allowReorder: false,
  noiseBursts: Object.freeze([]),
});

export const NO_FAULTS: FaultConfig = Object.freeze({ seed: undefined, camera: NO_TOPIC_FAULTS, imu: NO_TOPIC_FAULTS, odom: NO_TOPIC_FAULTS });

const number = (want: string): z.ZodNumber => z.number({ error: `expected ${want}` });
const nonNegative = (): z.ZodNumber => number('number ≥ 0').min(0, { error: 'expected number ≥ 0' });
const positive = (): z.ZodNumber => number('number > 0').positive({ error: 'expected number > 0' });

const WindowSchema = z.strictObject({ start_s: nonNegative(), duration_s: positive() }, { error: 'expected { start_s, duration_s }' });
const BurstSchema = z.strictObject(
  { start_s: nonNegative(), duration_s: positive(), multiplier: nonNegative() },
  { error: 'expected { start_s, duration_s, multiplier }' },
);

const TopicSchema = z.strictObject(
  {
    drop_probability: number('number in [0, 1]').min(0, { error: 'expected number in [0, 1]' }).max(1, { error: 'expected number in [0, 1]' }).default(0),
    drop_windows: z.array(WindowSchema, { error: 'expected a list of { start_s, duration_s }' }).default([]),
    latency_ms: nonNegative().default(0),
    jitter_ms: nonNegative().default(0),
    jitter_distribution: z.enum(['uniform', 'gaussian'], { error: "expected 'uniform' or 'gaussian'" }).default('uniform'),
    allow_reorder: z.boolean({ error: 'expected true or false' }).default(false),
    noise_bursts: z.array(BurstSchema, { error: 'expected a list of { start_s, duration_s, multiplier }' }).default([]),
  },
  { error: 'expected a mapping of fault settings' },
);

const FaultsSchema = z.strictObject(
  {
    seed: number('integer').int({ error: 'expected integer' }).optional(),
    camera: TopicSchema.optional(),
    imu: TopicSchema.optional(),
    odom: TopicSchema.optional(),
  },
  { error: 'expected a mapping with camera, imu, odom' },
);

type TopicInput = z.infer<typeof TopicSchema>;

/**
 * Validate the `faults:` section (`raw` is its value; null/undefined = no faults). `source`
 * (a file name) prefixes the message when given.
 */
export function parseFaultConfig(raw: unknown, source?: string): FaultConfig {
  const parsed = FaultsSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const where = source ? `${source}: ` : '';
    throw new PilotError('E_SIM_CONFIG', `${where}${describeFaultIssue(parsed.error.issues, raw)}`);
  }
  const d = parsed.data;
  return Object.freeze({
    seed: d.seed,
    camera: d.camera ? toTopicFaults(d.camera) : NO_TOPIC_FAULTS,
    imu: d.imu ? toTopicFaults(d.imu) : NO_TOPIC_FAULTS,
    odom: d.odom ? toTopicFaults(d.odom) : NO_TOPIC_FAULTS,
  });
}

function toTopicFaults(t: TopicInput): TopicFaults {
  return Object.freeze({
    dropProbability: t.drop_probability,
    dropWindows: Object.freeze(t.drop_windows.map((w) => Object.freeze({ startS: w.start_s, durationS: w.duration_s }))),
    latencyMs: t.latency_ms,
    jitterMs: t.jitter_ms,
    jitterDistribution: t.jitter_distribution,
    allowReorder: t.allow_reorder,
    noiseBursts: Object.freeze(t.noise_bursts.map((b) => Object.freeze({ startS: b.start_s, durationS: b.duration_s, multiplier: b.multiplier }))),
  });
}

/** `faults.camera.drop_windows[0].start_s: expected number ≥ 0 (got -1)` for the first issue. */
function describeFaultIssue(issues: readonly z.core.$ZodIssue[], raw: unknown): string {
  const issue = issues[0]!;
  let key = 'faults';
  for (const part of issue.path) key += typeof part === 'number' ? `[${part}]` : `.${String(part)}`;
  const more = issues.length > 1 ? ` [+${issues.length - 1} more]` : '';
  if (issue.code === 'unrecognized_keys') {
    return `${key}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}${more}`;
  }
  let got: unknown = raw;
  for (const part of issue.path) got = got !== null && typeof got === 'object' ? (got as Record<PropertyKey, unknown>)[part as PropertyKey] : undefined;
  const shown = got === undefined ? '' : ` (got ${show(got)})`;
  return `${key}: ${issue.message}${shown}${more}`;
}

function show(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'bigint') return String(v); // NaN and Infinity too
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

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
 *   # Faults of the robot as a whole (windows in sim time):
 *   nan_policy: [{ start_s: 5, duration_s: 0.5 }]      # the model's output replaced by NaN (embedded runtime)
 *   frozen_camera: [{ start_s: 8, duration_s: 1, stamps: advancing }]  # the frame at the window's start, repeated
 *   clock_jump: [{ at_s: 12, offset_s: 2 }, { at_s: 15, offset_s: -2 }]   # /clock and sensor stamps jump
 * ```
 *
 * `frozen_camera.stamps`: `advancing` (default) is what a stuck camera driver does, re-sending its last
 * image with new stamps; `frozen` repeats the whole message, stamp included. `clock_jump` offsets the
 * time the simulator publishes (`/clock` and every sensor message's stamp) by `offset_s` from `at_s` on,
 * added up over the jumps in order; physics keeps true time. A runtime on `/clock` sees it (use_sim_time);
 * the embedded lockstep runtime runs on the simulator's step clock and does not.
 *
 * Errors name the key and the value: `E_SIM_CONFIG: faults.camera.drop_probability: expected
 * number in [0, 1] (got 2)`.
 */
import { z } from 'zod';
import { PilotError } from '../../src/core/util/errors.js';

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

/** frozen_camera: the camera repeats the frame of the window's start; `stamps` as the file comment says. */
export interface FrozenCameraWindow extends FaultWindow {
  readonly stamps: 'advancing' | 'frozen';
}

/** clock_jump: from `atS` (true sim time) on, published time is offset by a further `offsetS`. */
export interface ClockJump {
  readonly atS: number;
  readonly offsetS: number;
}

export interface FaultConfig {
  /** Seed for the fault streams; undefined = whatever the simulator passes. */
  readonly seed: number | undefined;
  readonly camera: TopicFaults;
  readonly imu: TopicFaults;
  readonly odom: TopicFaults;
  /** nan_policy windows: every inference in them returns NaN. */
  readonly nanPolicy: readonly FaultWindow[];
  readonly frozenCamera: readonly FrozenCameraWindow[];
  /** In time order. */
  readonly clockJumps: readonly ClockJump[];
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

export const NO_FAULTS: FaultConfig = Object.freeze({
  seed: undefined,
  camera: NO_TOPIC_FAULTS,
  imu: NO_TOPIC_FAULTS,
  odom: NO_TOPIC_FAULTS,
  nanPolicy: Object.freeze([]),
  frozenCamera: Object.freeze([]),
  clockJumps: Object.freeze([]),
});

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

const FrozenSchema = z.strictObject(
  {
    start_s: nonNegative(),
    duration_s: positive(),
    stamps: z.enum(['advancing', 'frozen'], { error: "expected 'advancing' or 'frozen'" }).default('advancing'),
  },
  { error: 'expected { start_s, duration_s, stamps? }' },
);
const JumpSchema = z.strictObject(
  {
    at_s: nonNegative(),
    offset_s: number('number ≠ 0').refine((v) => v !== 0 && Number.isFinite(v), { error: 'expected number ≠ 0' }),
  },
  { error: 'expected { at_s, offset_s }' },
);

const FaultsSchema = z.strictObject(
  {
    seed: number('integer').int({ error: 'expected integer' }).optional(),
    camera: TopicSchema.optional(),
    imu: TopicSchema.optional(),
    odom: TopicSchema.optional(),
    nan_policy: z.array(WindowSchema, { error: 'expected a list of { start_s, duration_s }' }).default([]),
    frozen_camera: z.array(FrozenSchema, { error: 'expected a list of { start_s, duration_s, stamps? }' }).default([]),
    clock_jump: z.array(JumpSchema, { error: 'expected a list of { at_s, offset_s }' }).default([]),
  },
  { error: 'expected a mapping with camera, imu, odom, nan_policy, frozen_camera, clock_jump' },
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
  const where = source ? `${source}: ` : '';
  return Object.freeze({
    seed: d.seed,
    camera: d.camera ? toTopicFaults(d.camera) : NO_TOPIC_FAULTS,
    imu: d.imu ? toTopicFaults(d.imu) : NO_TOPIC_FAULTS,
    odom: d.odom ? toTopicFaults(d.odom) : NO_TOPIC_FAULTS,
    nanPolicy: Object.freeze(d.nan_policy.map((w) => Object.freeze({ startS: w.start_s, durationS: w.duration_s }))),
    frozenCamera: Object.freeze(d.frozen_camera.map((w) => Object.freeze({ startS: w.start_s, durationS: w.duration_s, stamps: w.stamps }))),
    clockJumps: toClockJumps(d.clock_jump, where),
  });
}

/** Jumps must come in time order, and the published clock never goes below 0. */
function toClockJumps(jumps: readonly { at_s: number; offset_s: number }[], where: string): readonly ClockJump[] {
  let offsetS = 0;
  return Object.freeze(
    jumps.map((j, i) => {
      const previous = jumps[i - 1];
      if (previous && !(j.at_s > previous.at_s)) {
        throw new PilotError('E_SIM_CONFIG', `${where}faults.clock_jump[${i}].at_s: expected jumps in time order, after ${previous.at_s} (got ${j.at_s})`);
      }
      offsetS += j.offset_s;
      if (j.at_s + offsetS < 0) {
        throw new PilotError(
          'E_SIM_CONFIG',
          `${where}faults.clock_jump[${i}].offset_s: the clock would read ${+(j.at_s + offsetS).toFixed(6)} s at at_s ${j.at_s} (offsets add up to ${+offsetS.toFixed(6)} s); it must stay ≥ 0 (got ${j.offset_s})`,
        );
      }
      return Object.freeze({ atS: j.at_s, offsetS: j.offset_s });
    }),
  );
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

/**
 * Seeded fault injection for sensor messages: drops (random and in windows), latency, jitter
 * and noise bursts per topic class. Pure: decisions depend only on the config, the seed and the
 * sequence of calls per class, never on the wall clock. Each class has its own random stream,
 * and every decide() draws the same count from it, so changing one class's faults or a window
 * never shifts the other decisions. The robot-wide faults (nan_policy, frozen_camera, clock_jump)
 * are windows in sim time and draw nothing.
 */
import { PilotError } from '../../src/core/util/errors.js';
import { mulberry32 } from '../../src/core/util/prng.js';
import { boxMuller, type NoiseMultiplierHook } from '../sensors/noise.js';
import { TOPIC_CLASSES, type FaultConfig, type FaultWindow, type FrozenCameraWindow, type TopicClass, type TopicFaults } from './config.js';

/** Reused result object: read it before the next decide(). */
export interface DeliveryDecision {
  deliver: boolean;
  /** When to hand the message over (≥ simTimeMs); meaningless when deliver is false. */
  deliverAtMs: number;
}

export interface FaultCounters {
  decided: number;
  dropped: number;
  /** Delivered later than the send time. */
  delayed: number;
}

/** What the robot-wide faults did (reported in the drive result's `faults`). */
export interface RobotFaultCounters {
  /** Inferences whose output was replaced by NaN (nan_policy). */
  policyNanRuns: number;
  /** Camera frames sent with the frozen frame's content (frozen_camera). */
  cameraFrozenFrames: number;
  /** Clock jumps the published time has gone through (clock_jump). */
  clockJumps: number;
}

interface ClassState {
  readonly faults: TopicFaults;
  readonly hook: NoiseMultiplierHook;
  random: () => number;
  lastDeliverAtMs: number;
}

export class FaultInjector {
  readonly seed: number;
  readonly config: FaultConfig;
  /** Per topic class; the objects stay the same across reset(). */
  readonly counters: Readonly<Record<TopicClass, Readonly<FaultCounters>>>;
  readonly #counters: Record<TopicClass, FaultCounters>;
  readonly #classes: Record<TopicClass, ClassState>;
  readonly #decision: DeliveryDecision = { deliver: true, deliverAtMs: 0 };
  readonly robot: RobotFaultCounters = { policyNanRuns: 0, cameraFrozenFrames: 0, clockJumps: 0 };
  /** clock_jump: how many jumps the published time has passed (counted once each). */
  #jumpsPassed = 0;

  /** `seed` defaults to the config's seed, else 0. */
  constructor(config: FaultConfig, seed: number = config.seed ?? 0) {
    if (!Number.isFinite(seed)) throw new PilotError('E_SIM_CONFIG', `FaultInjector: seed: expected finite number (got ${seed})`);
    this.seed = seed;
    this.config = config;
    const counters = (): FaultCounters => ({ decided: 0, dropped: 0, delayed: 0 });
    this.#counters = { camera: counters(), imu: counters(), odom: counters() };
    this.counters = this.#counters;
    const state = (cls: TopicClass): ClassState => ({
      faults: config[cls],
      hook: (simTimeMs: number) => this.noiseMultiplier(cls, simTimeMs),
      random: classStream(seed, cls),
      lastDeliverAtMs: -Infinity,
    });
    this.#classes = { camera: state('camera'), imu: state('imu'), odom: state('odom') };
  }

  /** Restart the random streams and zero the counters (a new episode with the same seed). */
  reset(): void {
    for (const cls of TOPIC_CLASSES) {
      const c = this.#classes[cls];
      c.random = classStream(this.seed, cls);
      c.lastDeliverAtMs = -Infinity;
      const n = this.#counters[cls];
      n.decided = 0;
      n.dropped = 0;
      n.delayed = 0;
    }
    this.robot.policyNanRuns = 0;
    this.robot.cameraFrozenFrames = 0;
    this.robot.clockJumps = 0;
    this.#jumpsPassed = 0;
  }

  /** nan_policy: whether an inference at `simTimeMs` returns NaN (counted when it does). */
  policyNaN(simTimeMs: number): boolean {
    if (!inAnyWindow(this.config.nanPolicy, simTimeMs / 1000)) return false;
    this.robot.policyNanRuns++;
    return true;
  }

  /**
   * frozen_camera: the window a camera frame sent at `simTimeMs` falls in (the same object for the whole
   * window, so the caller keeps the window's first frame), or undefined. Counted per frame.
   */
  frozenCamera(simTimeMs: number): FrozenCameraWindow | undefined {
    const tS = simTimeMs / 1000;
    const w = this.config.frozenCamera.find((x) => tS >= x.startS && tS < x.startS + x.durationS);
    if (w) this.robot.cameraFrozenFrames++;
    return w;
  }

  /** clock_jump: ms added to the time published at true sim time `simTimeMs` (the jumps up to it, summed). */
  clockOffsetMs(simTimeMs: number): number {
    const jumps = this.config.clockJumps;
    let offsetMs = 0;
    let passed = 0;
    for (; passed < jumps.length && jumps[passed]!.atS * 1000 <= simTimeMs; passed++) offsetMs += jumps[passed]!.offsetS * 1000;
    if (passed > this.#jumpsPassed) {
      this.robot.clockJumps += passed - this.#jumpsPassed;
      this.#jumpsPassed = passed;
    }
    return offsetMs;
  }

  /** Whether and when a message of `topicClass` sent at `simTimeMs` arrives. Allocation-free. */
  decide(topicClass: TopicClass, simTimeMs: number): DeliveryDecision {
    const c = this.#classes[topicClass];
    const n = this.#counters[topicClass];
    const f = c.faults;
    const d = this.#decision;
    // Three draws every call, used or not (see the file comment).
    const uDrop = c.random();
    const u1 = c.random();
    const u2 = c.random();
    n.decided++;
    if (uDrop < f.dropProbability || inAnyWindow(f.dropWindows, simTimeMs / 1000)) {
      n.dropped++;
      d.deliver = false;
      d.deliverAtMs = simTimeMs;
      return d;
    }
    let atMs = simTimeMs + f.latencyMs;
    if (f.jitterMs > 0) atMs += f.jitterMs * (f.jitterDistribution === 'uniform' ? u1 : Math.abs(boxMuller(u1, u2)));
    if (!f.allowReorder && atMs < c.lastDeliverAtMs) atMs = c.lastDeliverAtMs;
    c.lastDeliverAtMs = atMs;
    if (atMs > simTimeMs) n.delayed++;
    d.deliver = true;
    d.deliverAtMs = atMs;
    return d;
  }

  /** Noise scale for `topicClass` at `simTimeMs`: the largest active burst's multiplier, else 1. */
  noiseMultiplier(topicClass: TopicClass, simTimeMs: number): number {
    const bursts = this.#classes[topicClass].faults.noiseBursts;
    const tS = simTimeMs / 1000;
    let m = -1;
    for (let i = 0; i < bursts.length; i++) {
      const b = bursts[i]!;
      if (tS >= b.startS && tS < b.startS + b.durationS && b.multiplier > m) m = b.multiplier;
    }
    return m < 0 ? 1 : m;
  }

  /** noiseMultiplier bound to one class, for a sensor's `noiseMultiplier` option (created once, not per call). */
  noiseHook(topicClass: TopicClass): NoiseMultiplierHook {
    return this.#classes[topicClass].hook;
  }
}

/** Golden-ratio offsets give each class an unrelated stream from one seed. */
function classStream(seed: number, cls: TopicClass): () => number {
  return mulberry32((seed ^ Math.imul(TOPIC_CLASSES.indexOf(cls) + 1, 0x9e3779b9)) >>> 0);
}

function inAnyWindow(windows: readonly FaultWindow[], tS: number): boolean {
  for (let i = 0; i < windows.length; i++) {
    const w = windows[i]!;
    if (tS >= w.startS && tS < w.startS + w.durationS) return true;
  }
  return false;
}

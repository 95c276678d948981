/**
 * Who drives the simulated car in a test drive: the real runtime (model, preprocessing, safety layer)
 * embedded on the simulator's clock, or the expert on ground truth. Both answer on the command topic
 * through the transport, so the simulator treats them alike and a recording looks the same.
 */
import type { PilotConfig } from '../../src/core/config/schema.js';
import { ManualClock, WallClock, type Clock } from '../../src/runtime/index.js';
import { makeAckermannDriveStamped } from '../../src/core/messages/factories.js';
import { timeFromMs } from '../../src/core/messages/time.js';
import type { AckermannDriveStamped } from '../../src/core/messages/types.js';
import type { Policy } from '../../src/runtime/index.js';
import { Pilot } from '../../src/runtime/index.js';
import type { Publisher, Transport } from '../../src/transport/index.js';
import { RELIABLE_QOS } from '../../src/transport/index.js';
import type { DriveChunkStats, DriveRuntimeStats } from './drive-result.js';
import type { LockstepDriver } from './lockstep.js';
import type { Simulation } from '../core/simulation.js';
import { ExpertDriver, type ExpertCommand, type ExpertOptions } from '../expert/expert-driver.js';

export interface SimDriver extends LockstepDriver {
  readonly kind: 'model' | 'expert' | 'external';
  /** The safety layer's reason for the newest command (model only). */
  readonly lastReason: string | undefined;
  start(): void;
  /** Called after each lockstep exchange (bookkeeping on the tick that just ran). */
  afterStep(): void;
  runtimeStats(): DriveRuntimeStats | undefined;
  dispose(): Promise<void>;
}

/** The runtime on a ManualClock the simulator advances; durations measured in wall time. */
export class RuntimeDriver implements SimDriver {
  readonly kind = 'model' as const;
  readonly pilot: Pilot;
  /** Lockstep: the simulator advances it. Real time: null, the runtime runs on the wall clock. */
  readonly clock: ManualClock | null;
  /** Ticks whose wall-time work overran the deadline: sim time stands still in lockstep, wall time does not. */
  #overDeadline = 0;
  #ticksSeen = 0;

  private constructor(pilot: Pilot, clock: ManualClock | null) {
    this.pilot = pilot;
    this.clock = clock;
  }

  static async create(
    config: PilotConfig,
    transport: Transport,
    options: { realtime?: boolean; policy?: Policy; log?: (line: string) => void } = {},
  ): Promise<RuntimeDriver> {
    const manual = options.realtime ? null : new ManualClock();
    const clock: Clock = manual ?? new WallClock();
    const pilot = await Pilot.create(config, {
      transport,
      clock,
      stopwatch: () => performance.now(),
      ...(options.policy ? { policy: options.policy } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
    return new RuntimeDriver(pilot, manual);
  }

  get lastReason(): string | undefined {
    return this.pilot.timeline.last.reason;
  }

  start(): void {
    this.pilot.start();
  }

  inputsArrived(): number {
    return this.pilot.inputsArrived;
  }

  advanceTo(tMs: number): void {
    this.clock?.advanceTo(tMs);
  }

  afterStep(): void {
    const ticks = this.pilot.timeline.windows.tickLatencyMs.total;
    if (ticks === this.#ticksSeen) return;
    this.#ticksSeen = ticks;
    if (this.pilot.timeline.last.tickLatencyMs > this.pilot.loop.options.deadlineMs) this.#overDeadline++;
  }

  runtimeStats(): DriveRuntimeStats {
    const p = this.pilot;
    const latency = p.timeline.summary('tickLatencyMs');
    const inference = p.timeline.summary('inferenceMs');
    const reasons = { ...p.safety.counters.byReason } as Record<string, number>;
    return {
      ticks: p.loop.stats.ticks,
      deadlineMisses: p.counters.lateResults + this.#overDeadline,
      skippedCycles: p.loop.stats.skippedCycles,
      staleInput: reasons.stale_input ?? 0,
      latencyMs: { p50: latency.p50, p90: latency.p90, p99: latency.p99, max: latency.max },
      inferenceMs: { p50: inference.p50, p99: inference.p99 },
      safetyReasons: reasons,
      ...(p.chunks ? { chunks: chunkStats(p) } : {}),
    };
  }

  async dispose(): Promise<void> {
    await this.pilot.dispose();
  }
}

/** A chunked policy's queue over the drive, for the report. */
function chunkStats(p: Pilot): DriveChunkStats {
  const c = p.chunks!;
  const w = c.windows;
  const chunk = p.policy.contract.outputs[0]!.chunk!;
  return {
    steps: chunk.steps,
    stepMs: chunk.step_ms,
    blend: p.config.chunking.blend,
    inferences: c.counters.inferences,
    chunksQueued: c.counters.chunksQueued,
    emptyQueueFallbacks: c.counters.emptyQueueFallbacks,
    blendedActions: c.counters.blendedActions,
    freshActions: c.counters.freshActions,
    queueDepthSteps: { p50: w.queueDepthSteps.percentile(50), min: w.queueDepthSteps.percentile(0) },
    chunkAgeMs: { p50: w.chunkAgeMs.percentile(50), p99: w.chunkAgeMs.percentile(99), max: w.chunkAgeMs.maxEver },
    inferenceMs: { p50: w.inferenceMs.percentile(50), p99: w.inferenceMs.percentile(99) },
    chunksExpired: c.queue.counters.expiredOnArrival + c.queue.counters.expiredUnused,
  };
}

/** The expert on ground truth, publishing Ackermann commands like a runtime would. */
export class ExpertCommandDriver implements SimDriver {
  readonly kind = 'expert' as const;
  readonly lastReason = undefined;
  readonly expert: ExpertDriver;
  readonly #sim: Simulation;
  readonly #publisher: Publisher<AckermannDriveStamped>;
  readonly #message = makeAckermannDriveStamped({ header: { stamp: { sec: 0, nanosec: 0 }, frame_id: 'base_link' } });
  readonly #command: ExpertCommand = { steeringRad: 0, speedMps: 0 };
  #lastMs = 0;

  constructor(sim: Simulation, transport: Transport, topic: string, options: ExpertOptions) {
    this.#sim = sim;
    this.expert = new ExpertDriver(sim.track, options);
    this.#publisher = transport.advertise<AckermannDriveStamped>(topic, 'ackermann_msgs/msg/AckermannDriveStamped', RELIABLE_QOS);
  }

  start(): void {}

  afterStep(): void {}

  /** The expert reads ground truth directly: nothing to wait for. */
  inputsArrived(): number {
    return Number.MAX_SAFE_INTEGER;
  }

  advanceTo(tMs: number): void {
    const s = this.#sim.vehicle.state;
    const dtS = Math.max(1e-3, (tMs - this.#lastMs) / 1000);
    this.#lastMs = tMs;
    this.expert.command({ x: s.x, y: s.y, yawRad: s.yawRad, speedMps: s.vxMps }, dtS, this.#command);
    const t = timeFromMs(tMs);
    this.#message.header.stamp.sec = t.sec;
    this.#message.header.stamp.nanosec = t.nanosec;
    this.#message.drive.steering_angle = this.#command.steeringRad;
    this.#message.drive.speed = this.#command.speedMps;
    this.#publisher.publish(this.#message);
  }

  runtimeStats(): undefined {
    return undefined;
  }

  async dispose(): Promise<void> {
    this.#publisher.close();
  }
}

/** A driver in another process (e.g. `pilot run`): the simulator only publishes and listens. */
export class ExternalDriver implements SimDriver {
  readonly kind = 'external' as const;
  readonly lastReason = undefined;
  start(): void {}
  afterStep(): void {}
  inputsArrived(): number {
    return Number.MAX_SAFE_INTEGER;
  }
  advanceTo(): void {}
  runtimeStats(): undefined {
    return undefined;
  }
  async dispose(): Promise<void> {}
}

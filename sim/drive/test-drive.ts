/**
 * A closed-loop test drive: simulator + driver (runtime with a model, or the expert) over a transport,
 * lockstep (deterministic, as fast as the machine allows) or real time, until N laps or a time limit.
 * Produces a DriveResult with laps, cross-track error, interventions and the runtime's statistics.
 */
import type { Transport } from '../../src/transport/index.js';
import { CommandListener, type SteeringCommand } from '../bridge/command-listener.js';
import { SensorPublisher, type DeliveryPolicy } from '../bridge/sensor-publisher.js';
import type { Simulation } from '../core/simulation.js';
import type { DriveDriverInfo, DriveResult, DriveSample, TrackOutline } from './drive-result.js';
import type { SimDriver } from './drivers.js';
import { Lockstep } from './lockstep.js';
import { DriveMetrics, type DriveFinishInfo } from './metrics.js';
import { sentOn, waitUntilWall } from './pacing.js';

export interface TestDriveOptions {
  sim: Simulation;
  driver: SimDriver;
  driverInfo: DriveDriverInfo;
  transport: Transport;
  laps: number;
  seed: number;
  mode: 'lockstep' | 'realtime';
  /** Control step: the runtime's period (its loop rate). */
  stepMs: number;
  /** Topics the driver reads (the lockstep barrier counts what was sent on them). */
  driverInputTopics: readonly string[];
  domain?: string;
  faults?: (DeliveryPolicy & { counters(): Record<string, number> }) | null;
  /** Stop after this much sim time even if the laps are not done. Default: 4 min per lap. */
  maxSimTimeS?: number;
  /** Called after every step with the newest sample (progress bar, viewer, recorder). */
  onStep?: (sample: Readonly<DriveSample>, metrics: DriveMetrics) => void;
  /** Called with each camera frame published (viewer). */
  onFrame?: (rgb: Uint8Array, width: number, height: number) => void;
  /**
   * May overwrite the command applied this step (the driver's, after the failsafe), before physics
   * runs: DAgger's β mixture lets the expert take over here. The sim state is still the one at tMs.
   */
  overrideCommand?: (command: SteeringCommand, tMs: number) => void;
  /** Abort (Ctrl-C). */
  signal?: AbortSignal;
}

export async function runTestDrive(o: TestDriveOptions): Promise<DriveResult> {
  return new TestDrive(o).run();
}

/** Steps of sensor output at `hz` for a control step of `stepMs` (at least every step). */
function stepsPer(hz: number, stepMs: number): number {
  return Math.max(1, Math.round(1000 / hz / stepMs));
}

/** One drive: the sensor bridge, the command listener and the metrics, stepped until the drive ends. */
class TestDrive {
  readonly #o: TestDriveOptions;
  readonly #sensors: SensorPublisher;
  readonly #commands: CommandListener;
  readonly #lockstep: Lockstep;
  readonly #metrics: DriveMetrics;
  readonly #cameraEvery: number;
  readonly #imuEvery: number;
  readonly #odomEvery: number;
  readonly #maxSimMs: number;
  readonly #applied: SteeringCommand = { steeringRad: 0, speedMps: 0 };
  #lastCommandMs = 0;
  #commandsSeen = 0;

  constructor(o: TestDriveOptions) {
    const { sim, transport } = o;
    const cfg = sim.config;
    this.#o = o;
    this.#sensors = new SensorPublisher(
      transport,
      { camera: cfg.camera.topic, imu: cfg.sensors.imu_topic, odom: cfg.sensors.odom_topic, clock: cfg.clock_topic },
      o.faults ?? null,
    );
    this.#commands = new CommandListener(transport, cfg.command.topic, cfg.command.type, sim.vehicle.limits.wheelbaseM);
    this.#lockstep = new Lockstep(o.driver, this.#commands, cfg.lockstep.step_timeout_ms);
    this.#metrics = new DriveMetrics({
      track: { name: sim.track.name, split: sim.track.split, lengthM: sim.track.lengthM, widthM: sim.track.widthM },
      lapsRequested: o.laps,
      driver: o.driverInfo,
      seed: o.seed,
      mode: o.mode,
      domain: o.domain ?? 'nominal',
      outline: trackOutline(sim),
      startTimeS: 0,
    });
    this.#cameraEvery = stepsPer(cfg.camera.rate_hz, o.stepMs);
    this.#imuEvery = stepsPer(cfg.sensors.imu_rate_hz, o.stepMs);
    this.#odomEvery = stepsPer(cfg.sensors.odom_rate_hz, o.stepMs);
    this.#maxSimMs = (o.maxSimTimeS ?? 240 * o.laps) * 1000;
  }

  async run(): Promise<DriveResult> {
    const wallStart = performance.now();
    this.#o.driver.start();
    let endReason: string;
    try {
      endReason = await this.#stepUntilDone(wallStart);
    } finally {
      this.#commands.close();
    }
    const result = this.#metrics.finish(this.#finishInfo((performance.now() - wallStart) / 1000, endReason));
    this.#sensors.close();
    return result;
  }

  /** Steps until the laps are done, the time limit or an abort; the end reason. */
  async #stepUntilDone(wallStart: number): Promise<string> {
    const o = this.#o;
    for (let k = 0; ; k++) {
      if (o.signal?.aborted) return 'interrupted';
      const tMs = k * o.stepMs;
      if (tMs >= this.#maxSimMs) return `time limit of ${(this.#maxSimMs / 1000).toFixed(0)} s sim time reached`;
      if (o.mode === 'realtime') await waitUntilWall(wallStart + tMs);
      await this.#publishSensors(k, tMs);
      if (await this.#exchange(tMs)) this.#lastCommandMs = tMs;
      this.#applyCommand(tMs);
      if (this.#metrics.lapsCompleted >= o.laps) return 'laps completed';
    }
  }

  /** The sensors of the state at `tMs` (step `k`), each at its own rate, and the clock. */
  async #publishSensors(k: number, tMs: number): Promise<void> {
    const { sim, onFrame } = this.#o;
    const sensors = this.#sensors;
    sensors.releaseDue(tMs);
    if (k % this.#cameraEvery === 0 && sim.canRender) {
      const image = await sim.renderCamera(sim.config.camera.frame_id);
      sensors.camera(image, tMs);
      onFrame?.(image.data, image.width, image.height);
    }
    if (k % this.#imuEvery === 0) sensors.imu(sim.imuMessage(), tMs);
    if (k % this.#odomEvery === 0) sensors.odom(sim.odomMessage(), tMs);
    sensors.publishClock(tMs);
  }

  /** Lets the driver run at `tMs`; whether a fresh command came in. */
  async #exchange(tMs: number): Promise<boolean> {
    const { driver, transport, driverInputTopics } = this.#o;
    if (this.#o.mode === 'lockstep') {
      const gotCommand = await this.#lockstep.exchange(tMs, sentOn(transport, this.#sensors, driverInputTopics));
      driver.afterStep();
      return gotCommand;
    }
    driver.advanceTo(tMs);
    // Real time: whatever arrived since the last step is the command in force.
    const gotCommand = this.#commands.received > this.#commandsSeen;
    this.#commandsSeen = this.#commands.received;
    return gotCommand;
  }

  /** Applies the command in force, steps the physics to `tMs` + one step and accounts for the step. */
  #applyCommand(tMs: number): void {
    const { sim, driver, stepMs } = this.#o;
    const applied = this.#applied;
    const latest = this.#commands.latest;
    // ESC-style failsafe: no fresh command for too long and the car brakes (steering held).
    applied.speedMps = tMs - this.#lastCommandMs > sim.config.command.timeout_ms ? 0 : latest.speedMps;
    applied.steeringRad = latest.steeringRad;
    this.#o.overrideCommand?.(applied, tMs);
    sim.setCommand(applied.steeringRad, applied.speedMps);
    sim.stepTo(tMs + stepMs);
    const sample = sim.sample;
    sample.steeringRad = applied.steeringRad;
    sample.safetyReason = driver.lastReason;
    this.#metrics.add(sample);
    this.#o.onStep?.(sample, this.#metrics);
  }

  #finishInfo(wallTimeS: number, endReason: string): DriveFinishInfo {
    const { driver, mode, faults, sim } = this.#o;
    const sensors = this.#sensors;
    return {
      wallTimeS,
      endReason,
      ...(driver.runtimeStats() ? { runtime: driver.runtimeStats()! } : {}),
      ...(mode === 'lockstep' ? { lockstep: { ...this.#lockstep.stats } } : {}),
      faults: {
        ...(faults ? faults.counters() : {}),
        camera_dropped: sensors.dropped.camera,
        camera_delayed: sensors.delayed.camera,
        interventions_off_road_far: sim.interventions.offRoadTooFar,
        interventions_off_road_long: sim.interventions.offRoadTooLong,
        interventions_stuck: sim.interventions.stuck,
        interventions_collision: sim.interventions.collision,
        commands_rejected: this.#commands.rejected,
      },
    };
  }
}

function trackOutline(sim: Simulation): TrackOutline {
  const { x, y, headingRad } = sim.track.samples;
  const half = sim.track.widthM / 2;
  const centre: [number, number][] = [];
  const left: [number, number][] = [];
  const right: [number, number][] = [];
  for (let i = 0; i < x.length; i++) {
    const nx = -Math.sin(headingRad[i]!);
    const ny = Math.cos(headingRad[i]!);
    centre.push([x[i]!, y[i]!]);
    left.push([x[i]! + nx * half, y[i]! + ny * half]);
    right.push([x[i]! - nx * half, y[i]! - ny * half]);
  }
  return { centre, left, right, closed: true };
}

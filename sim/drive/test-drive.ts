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
import { DriveMetrics } from './metrics.js';

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
  const { sim, driver, transport } = o;
  const cfg = sim.config;
  const sensors = new SensorPublisher(
    transport,
    { camera: cfg.camera.topic, imu: cfg.sensors.imu_topic, odom: cfg.sensors.odom_topic, clock: cfg.clock_topic },
    o.faults ?? null,
  );
  const commands = new CommandListener(transport, cfg.command.topic, cfg.command.type, sim.vehicle.limits.wheelbaseM);
  const lockstep = new Lockstep(driver, commands, cfg.lockstep.step_timeout_ms);
  const metrics = new DriveMetrics({
    track: { name: sim.track.name, split: sim.track.split, lengthM: sim.track.lengthM, widthM: sim.track.widthM },
    lapsRequested: o.laps,
    driver: o.driverInfo,
    seed: o.seed,
    mode: o.mode,
    domain: o.domain ?? 'nominal',
    outline: trackOutline(sim),
    startTimeS: 0,
  });

  const stepMs = o.stepMs;
  const every = (hz: number) => Math.max(1, Math.round(1000 / hz / stepMs));
  const cameraEvery = every(cfg.camera.rate_hz);
  const imuEvery = every(cfg.sensors.imu_rate_hz);
  const odomEvery = every(cfg.sensors.odom_rate_hz);
  const maxSimMs = (o.maxSimTimeS ?? 240 * o.laps) * 1000;
  const failsafeMs = cfg.command.timeout_ms;
  let lastCommandMs = 0;
  let commandsSeen = 0;
  let endReason = 'laps completed';
  const wallStart = performance.now();

  driver.start();
  const sample = sim.sample;
  const applied: SteeringCommand = { steeringRad: 0, speedMps: 0 };
  try {
    for (let k = 0; ; k++) {
      if (o.signal?.aborted) {
        endReason = 'interrupted';
        break;
      }
      const tMs = k * stepMs;
      if (tMs >= maxSimMs) {
        endReason = `time limit of ${(maxSimMs / 1000).toFixed(0)} s sim time reached`;
        break;
      }
      if (o.mode === 'realtime') await waitUntilWall(wallStart + tMs);
      // Sensors of the state at t.
      sensors.releaseDue(tMs);
      if (k % cameraEvery === 0 && sim.canRender) {
        const image = await sim.renderCamera(cfg.camera.frame_id);
        sensors.camera(image, tMs);
        o.onFrame?.(image.data, image.width, image.height);
      }
      if (k % imuEvery === 0) sensors.imu(sim.imuMessage(), tMs);
      if (k % odomEvery === 0) sensors.odom(sim.odomMessage(), tMs);
      sensors.publishClock(tMs);

      let gotCommand: boolean;
      if (o.mode === 'lockstep') {
        gotCommand = await lockstep.exchange(tMs, sentOn(transport, sensors, o.driverInputTopics));
        driver.afterStep();
      } else {
        driver.advanceTo(tMs);
        // Real time: whatever arrived since the last step is the command in force.
        gotCommand = commands.received > commandsSeen;
        commandsSeen = commands.received;
      }
      if (gotCommand) lastCommandMs = tMs;
      // ESC-style failsafe: no fresh command for too long and the car brakes (steering held).
      applied.speedMps = tMs - lastCommandMs > failsafeMs ? 0 : commands.latest.speedMps;
      applied.steeringRad = commands.latest.steeringRad;
      o.overrideCommand?.(applied, tMs);
      sim.setCommand(applied.steeringRad, applied.speedMps);
      sim.stepTo(tMs + stepMs);
      sample.steeringRad = applied.steeringRad;
      sample.safetyReason = driver.lastReason;
      metrics.add(sample);
      o.onStep?.(sample, metrics);
      if (metrics.lapsCompleted >= o.laps) break;
    }
  } finally {
    commands.close();
  }
  const wallTimeS = (performance.now() - wallStart) / 1000;
  const result = metrics.finish({
    wallTimeS,
    endReason,
    ...(driver.runtimeStats() ? { runtime: driver.runtimeStats()! } : {}),
    ...(o.mode === 'lockstep' ? { lockstep: { ...lockstep.stats } } : {}),
    faults: {
      ...(o.faults ? o.faults.counters() : {}),
      camera_dropped: sensors.dropped.camera,
      camera_delayed: sensors.delayed.camera,
      interventions_off_road_far: sim.interventions.offRoadTooFar,
      interventions_off_road_long: sim.interventions.offRoadTooLong,
      interventions_stuck: sim.interventions.stuck,
      interventions_collision: sim.interventions.collision,
      commands_rejected: commands.rejected,
    },
  });
  sensors.close();
  return result;
}

/** Messages that really left on the driver's topics (send drops never arrive, so don't wait for them). */
function sentOn(transport: Transport, sensors: SensorPublisher, topics: readonly string[]): number {
  let drops = 0;
  const stats = transport.stats();
  for (const t of topics) drops += stats.get(t)?.sendDrops ?? 0;
  return sensors.sentOn(topics) - drops;
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

async function waitUntilWall(atMs: number): Promise<void> {
  const wait = atMs - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}

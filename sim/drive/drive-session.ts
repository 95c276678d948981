/**
 * Assembles a test drive from files and options: track, calibration, simulator settings, renderer,
 * transport and driver. The CLI, the tests and the trainer's DAgger loop all start drives here.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadCameraCalibration, type CameraCalibration } from '../../src/core/calibration/camera.js';
import { loadCameraMount, type CameraMount } from '../../src/core/calibration/mount.js';
import { loadVehicleCalibration, type VehicleCalibration } from '../../src/core/calibration/vehicle.js';
import type { PilotConfig } from '../../src/core/config/schema.js';
import type { Policy } from '../../src/runtime/index.js';
import type { Recorder, RecordTopic } from '../../src/data/bags/index.js';
import { createTransport, type TransportKind } from '../../src/transport/index.js';
import { RELIABLE_QOS, SENSOR_QOS } from '../../src/transport/index.js';
import type { Transport } from '../../src/transport/index.js';
import { PilotError } from '../../src/core/util/errors.js';
import { simConfigSource, type SimConfig } from '../config/sim-config.js';
import { Simulation } from '../core/simulation.js';
import { HeadlessRenderer } from '../render/headless-renderer.js';
import { effectsFromDomain, lookFromDomain, NOMINAL_LOOK } from '../render/domain-look.js';
import type { SceneLook } from '../render/scene-builder.js';
import type { SteeringCommand } from '../bridge/command-listener.js';
import type { DeliveryPolicy } from '../bridge/sensor-publisher.js';
import type { VehicleState } from '../vehicle/types.js';
import { parseFaultConfig, TOPIC_CLASSES } from '../faults/config.js';
import { FaultInjector } from '../faults/fault-injector.js';
import { NanPolicy } from '../faults/nan-policy.js';
import { createPolicy } from '../../src/runtime/index.js';
import { sampleDomain, describeDomain, type DomainParams } from '../world/domain-randomization.js';
import { loadTrack, type Track, type TrackProjection } from '../world/track.js';
import type { DriveDriverInfo, DriveResult, DriveSample } from './drive-result.js';
import { ExpertCommandDriver, ExternalDriver, RuntimeDriver, type SimDriver } from './drivers.js';
import type { DriveMetrics } from './metrics.js';
import { runtimeConfigOf, sameCamera, startRecording, withRuntimeTopics } from './session-setup.js';
import { runTestDrive, type TestDriveOptions } from './test-drive.js';

export interface DriveSessionOptions {
  track: string | Track;
  laps: number;
  /** `expert`, or a runtime config (its model drives). */
  driver:
    | { kind: 'expert'; noiseRad?: number; recovery?: boolean }
    /** Someone else drives over the transport (`pilot run` in another process); real time only. */
    | { kind: 'external' }
    | { kind: 'model'; config: PilotConfig | string; modelPath?: string; /** Already-created policy (tests, benchmarks). */ policy?: Policy };
  sim: SimConfig;
  seed?: number;
  mode?: 'lockstep' | 'realtime';
  transport?: TransportKind;
  /** Domain randomisation strength (0 = nominal look, no camera corruption). */
  randomize?: number;
  maxSimTimeS?: number;
  /** Render camera frames even for the expert (recording demonstrations, viewer). */
  renderForExpert?: boolean;
  onStep?: (sample: Readonly<DriveSample>, metrics: DriveMetrics) => void;
  /** Each camera frame rendered, with the ground truth it was rendered at (training labels, viewer). */
  onFrame?: (rgb: Uint8Array, width: number, height: number, truth: Readonly<DriveTruth>) => void;
  /**
   * May overwrite the command applied this step (the driver's, after the failsafe), given the ground
   * truth the step starts from: DAgger's β mixture, where the expert takes over for some steps.
   */
  overrideCommand?: (command: SteeringCommand, truth: Readonly<DriveTruth>) => void;
  /** The world as built (track and look), e.g. for the viewer. */
  onWorld?: (track: Track, look: SceneLook) => void;
  /**
   * Record every topic of the drive (sensors, /clock, commands, diagnostics) into a rosbag2 folder.
   * Log times are sim time in lockstep, so the bag replays with the drive's own timing.
   */
  record?: { dir: string; compression?: 'none' | 'lz4' | 'zstd' };
  /** Extra wiring on the shared transport before the drive starts. */
  onTransport?: (transport: Transport) => void | Promise<void>;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

/** Ground truth at a step: sim time and the vehicle state (live objects: read, don't keep). */
export interface DriveTruth {
  tMs: number;
  state: Readonly<VehicleState>;
  /** The car's projection onto the centreline at `state`. */
  projection: Readonly<TrackProjection>;
}

export async function runDriveSession(o: DriveSessionOptions): Promise<DriveResult> {
  const plan = planDrive(o);
  const { camera, domain } = plan;
  const renderer = plan.needCamera ? await HeadlessRenderer.create({ width: camera.width, height: camera.height, backend: o.sim.render.backend }) : null;
  const transport = createTransport(o.transport ?? 'zeromq');
  const look = domain ? lookFromDomain(domain) : NOMINAL_LOOK;
  o.onWorld?.(plan.track, look);
  const simulation = buildSimulation(o.sim, plan, look, renderer);
  let driver: SimDriver | undefined;
  let recorder: Recorder | undefined;
  try {
    await o.onTransport?.(transport);
    if (o.record) {
      recorder = await startRecording({
        ...o.record,
        transport,
        topics: recordedTopics(o.sim, plan.runtimeConfig),
        simTimeMs: plan.mode === 'lockstep' ? () => simulation.timeMs : null,
        log: o.log,
      });
    }
    const chosen = await createDriver(o, plan, simulation, transport);
    driver = chosen.driver;
    // Give ZeroMQ subscriptions a moment to connect before the first exchange.
    if ((o.transport ?? 'zeromq') === 'zeromq') await new Promise((r) => setTimeout(r, 100));
    return await runTestDrive(testDriveOptions(o, plan, simulation, transport, chosen));
  } finally {
    // The runtime's last words (the stop command) go into the bag before it closes.
    await driver?.dispose();
    if (recorder) {
      const stats = await recorder.stop();
      o.log?.(`record: ${o.record!.dir}: ${stats.written} messages, ${(stats.bytesWritten / 1e6).toFixed(1)} MB, ${stats.dropped} dropped`);
    }
    simulation.dispose();
    renderer?.dispose();
    await transport.close();
  }
}

/** What a drive loads and decides before anything starts; every input error is found here. */
interface DrivePlan {
  seed: number;
  mode: 'lockstep' | 'realtime';
  track: Track;
  camera: CameraCalibration;
  mount: CameraMount;
  vehicle: VehicleCalibration;
  /** The runtime's config when a model drives. */
  runtimeConfig: PilotConfig | undefined;
  stepMs: number;
  domain: DomainParams | null;
  needCamera: boolean;
  faults: FaultInjector | null;
}

function planDrive(o: DriveSessionOptions): DrivePlan {
  const seed = o.seed ?? 1;
  const mode = o.mode ?? 'lockstep';
  const track = typeof o.track === 'string' ? loadTrack(o.track) : o.track;
  const sim = o.sim;
  const camera = loadCameraCalibration(sim.camera.calibration);
  const mount = loadCameraMount(sim.camera.mount);
  const vehicle = loadVehicleCalibration(sim.vehicle.calibration);
  if (camera.d.some((c) => c !== 0)) o.log?.(`sim: ${sim.camera.calibration} has distortion coefficients; the simulator renders an ideal pinhole and ignores them`);
  let runtimeConfig: PilotConfig | undefined;
  if (o.driver.kind === 'model') {
    runtimeConfig = runtimeConfigOf(o.driver);
    checkSameCamera(camera, sim.camera.calibration, loadCameraCalibration(runtimeConfig.calibration.camera), runtimeConfig.calibration.camera);
    checkTopics(sim, runtimeConfig);
  }
  // The runtime's period in the loop; 10 ms physics steps for an external driver (commands land when they arrive).
  const stepMs = runtimeConfig ? 1000 / runtimeConfig.loop.rate_hz : o.driver.kind === 'external' ? 10 : 1000 / sim.camera.rate_hz;
  if (runtimeConfig?.loop.trigger === 'camera') {
    throw new PilotError('E_SIM_CONFIG', 'test drives step at the runtime rate: use loop.trigger: timer in the runtime config (the camera then arrives every step it is due)');
  }
  const strength = o.randomize ?? 0;
  const domain = strength > 0 ? sampleDomain(seed, strength) : null;
  // Demonstrations need the camera: an expert drive renders it when recording.
  const needCamera = o.driver.kind !== 'expert' || o.renderForExpert === true || o.record !== undefined;
  if (o.driver.kind === 'external' && mode !== 'realtime') {
    throw new PilotError('E_SIM_CONFIG', 'an external driver runs on its own clock: the simulator must run in real time (not lockstep)');
  }
  return { seed, mode, track, camera, mount, vehicle, runtimeConfig, stepMs, domain, needCamera, faults: faultInjector(sim, seed, o.driver.kind) };
}

function buildSimulation(sim: SimConfig, plan: DrivePlan, look: SceneLook, renderer: HeadlessRenderer | null): Simulation {
  const { track, camera, mount, vehicle, seed, domain, faults } = plan;
  return new Simulation({
    track,
    config: sim,
    camera,
    mount,
    vehicle,
    seed,
    look,
    effects: domain ? effectsFromDomain(domain, camera.width, camera.height) : null,
    renderer,
    noiseMultiplier: faults ? (sensor, simTimeMs) => faults.noiseMultiplier(sensor, simTimeMs) : null,
  });
}

interface ChosenDriver {
  driver: SimDriver;
  driverInfo: DriveDriverInfo;
}

/** The runtime with the model, someone else over the transport, or the expert on ground truth. */
async function createDriver(o: DriveSessionOptions, plan: DrivePlan, simulation: Simulation, transport: Transport): Promise<ChosenDriver> {
  const { runtimeConfig, faults, vehicle, seed } = plan;
  if (runtimeConfig) {
    const given = o.driver.kind === 'model' ? o.driver.policy : undefined;
    const policy = faults ? await withNanPolicy(faults, given, runtimeConfig, () => simulation.timeMs, o.log) : given;
    const driver = await RuntimeDriver.create(runtimeConfig, transport, {
      realtime: plan.mode === 'realtime',
      ...(policy ? { policy } : {}),
      ...(o.log ? { log: o.log } : {}),
    });
    return { driver, driverInfo: { kind: 'model', model: runtimeConfig.model.path, sha256: sha256(runtimeConfig.model.path) } };
  }
  if (o.driver.kind === 'external') {
    return { driver: new ExternalDriver(), driverInfo: { kind: 'external', detail: `commands from ${o.sim.command.topic}` } };
  }
  const expert = o.driver as { noiseRad?: number; recovery?: boolean };
  const driver = new ExpertCommandDriver(simulation, transport, o.sim.command.topic, {
    wheelbaseM: vehicle.wheelbase_m,
    maxSteeringRad: vehicle.max_steering_angle_rad,
    maxSpeedMps: Math.min(2.0, vehicle.max_speed_mps),
    seed,
    steeringNoiseRad: expert.noiseRad ?? 0,
    recovery: expert.recovery ? { everyS: 6, durationS: 0.8, offsetM: 0.3 } : null,
  });
  return { driver, driverInfo: { kind: 'expert', detail: 'pure pursuit on ground truth' } };
}

/** The test drive of this session; the callbacks that want ground truth get the simulation's live view of it. */
function testDriveOptions(o: DriveSessionOptions, plan: DrivePlan, simulation: Simulation, transport: Transport, chosen: ChosenDriver): TestDriveOptions {
  const { runtimeConfig, domain, faults } = plan;
  // The vehicle state and projection are live objects of the simulation: one view, updated in place.
  const truth: DriveTruth = { tMs: 0, state: simulation.vehicle.state, projection: simulation.projection };
  const truthAt = (tMs: number): DriveTruth => ((truth.tMs = tMs), truth);
  return {
    sim: simulation,
    driver: chosen.driver,
    driverInfo: chosen.driverInfo,
    transport,
    laps: o.laps,
    seed: plan.seed,
    mode: plan.mode,
    stepMs: plan.stepMs,
    driverInputTopics: runtimeConfig ? [runtimeConfig.inputs.camera.topic, ...new Set(runtimeConfig.inputs.state.map((s) => s.topic))] : [],
    domain: domain ? describeDomain(domain) : 'nominal',
    faults: faults ? faultHooks(faults) : null,
    ...(o.maxSimTimeS ? { maxSimTimeS: o.maxSimTimeS } : {}),
    ...(o.onStep ? { onStep: o.onStep } : {}),
    ...(o.onFrame ? { onFrame: (rgb: Uint8Array, w: number, h: number) => o.onFrame!(rgb, w, h, truthAt(simulation.timeMs)) } : {}),
    ...(o.overrideCommand ? { overrideCommand: (c: SteeringCommand, tMs: number) => o.overrideCommand!(c, truthAt(tMs)) } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  };
}

function recordedTopics(sim: SimConfig, runtime: PilotConfig | undefined): RecordTopic[] {
  const commandType = sim.command.type === 'ackermann' ? 'ackermann_msgs/msg/AckermannDriveStamped' : 'geometry_msgs/msg/Twist';
  return withRuntimeTopics(
    [
      { topic: sim.camera.topic, type: 'sensor_msgs/msg/Image', qos: SENSOR_QOS },
      { topic: sim.sensors.imu_topic, type: 'sensor_msgs/msg/Imu', qos: SENSOR_QOS },
      { topic: sim.sensors.odom_topic, type: 'nav_msgs/msg/Odometry', qos: SENSOR_QOS },
      { topic: sim.clock_topic, type: 'rosgraph_msgs/msg/Clock', qos: RELIABLE_QOS },
      { topic: sim.command.topic, type: commandType, qos: RELIABLE_QOS },
    ],
    runtime,
  );
}

function checkSameCamera(sim: CameraCalibration, simPath: string, runtime: CameraCalibration, runtimePath: string): void {
  if (!sameCamera(sim, runtime)) {
    throw new PilotError(
      'E_SIM_CONFIG',
      `the simulator renders the camera of ${simPath} (${sim.width}×${sim.height}, fx ${sim.k[0]}) but the runtime expects ${runtimePath} ` +
        `(${runtime.width}×${runtime.height}, fx ${runtime.k[0]}): use the same calibration file for both`,
    );
  }
}

/** The simulator config's faults, if any; nan_policy needs a model to corrupt. */
function faultInjector(sim: SimConfig, seed: number, driverKind: DriveSessionOptions['driver']['kind']): FaultInjector | null {
  if (!sim.faults) return null;
  const source = simConfigSource(sim);
  const faults = new FaultInjector(parseFaultConfig(sim.faults, source), seed);
  if (faults.config.nanPolicy.length > 0 && driverKind !== 'model') {
    throw new PilotError(
      'E_SIM_CONFIG',
      `${source}: faults.nan_policy corrupts the model's output, but the ${driverKind} driver has no model here: run pilot drive with --model <onnx> or --config <yaml> instead of --expert / pilot sim`,
    );
  }
  return faults;
}

function checkTopics(sim: SimConfig, runtime: PilotConfig): void {
  const where = `(simulator: ${simConfigSource(sim)})`;
  if (runtime.inputs.camera.type !== 'image') {
    throw new PilotError('E_SIM_CONFIG', `the simulator publishes sensor_msgs/Image; the runtime config reads '${runtime.inputs.camera.type}' on ${runtime.inputs.camera.topic} ${where}`);
  }
  if (runtime.inputs.camera.topic !== sim.camera.topic) {
    throw new PilotError('E_SIM_CONFIG', `the simulator publishes the camera on ${sim.camera.topic} but the runtime reads ${runtime.inputs.camera.topic} ${where}`);
  }
  if (runtime.outputs.command.topic !== sim.command.topic || runtime.outputs.command.type !== sim.command.type) {
    throw new PilotError(
      'E_SIM_CONFIG',
      `the runtime publishes ${runtime.outputs.command.type} on ${runtime.outputs.command.topic} but the simulator listens for ${sim.command.type} on ${sim.command.topic} ${where}`,
    );
  }
  const simTopics = new Set([sim.sensors.imu_topic, sim.sensors.odom_topic]);
  for (const s of runtime.inputs.state) {
    if (!simTopics.has(s.topic)) throw new PilotError('E_SIM_CONFIG', `the runtime reads state '${s.field}' from ${s.topic}, which the simulator does not publish (it has ${[...simTopics].join(', ')}) ${where}`);
  }
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** What the sensor bridge asks the fault injector, and the counters for the result. */
function faultHooks(faults: FaultInjector): DeliveryPolicy & { counters(): Record<string, number> } {
  return {
    decide: (c, t) => faults.decide(c, t),
    frozenCamera: (t) => faults.frozenCamera(t),
    clockOffsetMs: (t) => faults.clockOffsetMs(t),
    counters: () => faultCounters(faults),
  };
}

function faultCounters(faults: FaultInjector): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of TOPIC_CLASSES) {
    for (const [k, v] of Object.entries(faults.counters[c])) if (typeof v === 'number' && v > 0) out[`${c}_${k}`] = v;
  }
  const robot = faults.robot;
  if (robot.policyNanRuns > 0) out.policy_nan_runs = robot.policyNanRuns;
  if (robot.cameraFrozenFrames > 0) out.camera_frozen_frames = robot.cameraFrozenFrames;
  if (robot.clockJumps > 0) out.clock_jumps = robot.clockJumps;
  return out;
}

/**
 * nan_policy: the runtime's policy (the one given, or loaded from the config) wrapped so that its
 * output is NaN while a window is on at the simulator's time. Without nan_policy windows: as given.
 */
async function withNanPolicy(
  faults: FaultInjector,
  given: Policy | undefined,
  config: PilotConfig,
  simTimeMs: () => number,
  log: ((line: string) => void) | undefined,
): Promise<Policy | undefined> {
  if (faults.config.nanPolicy.length === 0) return given;
  const policy = given ?? (await createPolicy(config, log ? { log } : {}));
  return new NanPolicy(policy, () => faults.policyNaN(simTimeMs()));
}

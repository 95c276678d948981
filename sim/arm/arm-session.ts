/**
 * Runs arm episodes: sim + driver (the runtime with a model, the IK expert, or someone else over the
 * transport) exactly like a test drive (sim/drive). Each step the simulator publishes /joint_states,
 * the arm camera (when due) and /clock for sim time t, waits in lockstep for the driver's command (or
 * the step timeout, counted), applies it as the joints' position targets (clamped to the joint
 * limits, counted) and integrates the joints to t + dt. Sim time stands still while the driver
 * computes, so runs with the same seeds are identical.
 *
 * Every episode gets a fresh world, a fresh runtime (a new Pilot on its own clock from 0; the policy
 * is loaded once and shared) and, when recording, its own bag `<dir>/episode-NNNN`, so episodes do not
 * depend on each other or on their order.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createBagWriter } from '../../src/data/bags/index.js';
import { Recorder, type RecordTopic } from '../../src/data/bags/index.js';
import { loadCameraCalibration, type CameraCalibration } from '../../src/core/calibration/camera.js';
import { loadCameraMount } from '../../src/core/calibration/mount.js';
import { loadConfig } from '../../src/core/config/load.js';
import type { PilotConfig } from '../../src/core/config/schema.js';
import { loadArmDescription, type ArmDescription } from '../../src/core/kinematics/index.js';
import { PolicySession, type Policy } from '../../src/runtime/index.js';
import { createTransport, type TransportKind } from '../../src/transport/index.js';
import { RELIABLE_QOS, SENSOR_QOS, type Transport } from '../../src/transport/index.js';
import { PilotError } from '../../src/core/util/errors.js';
import { ExternalDriver, RuntimeDriver, type SimDriver } from '../drive/drivers.js';
import { Lockstep } from '../drive/lockstep.js';
import { ArmCommandListener, ArmSensorPublisher } from './arm-bridge.js';
import { ArmCameraView } from './arm-camera.js';
import { ArmExpert, ArmExpertDriver, checkEpisodeReachable } from './arm-expert.js';
import { NOMINAL_ARM_LOOK, sampleArmLook } from './arm-look.js';
import { SuccessMonitor, summarize, type ArmEpisodeResult, type ArmRunSummary } from './arm-metrics.js';
import { loadArmSimConfig, type ArmSimConfig } from './arm-sim-config.js';
import { episodeSeeds, parseTaskKind, sampleEpisode, type ArmEpisodeSpec, type ArmTaskKind, type ArmTaskOptions, type PlacementSplit } from './arm-task.js';
import { ArmWorld } from './arm-world.js';

export type ArmDriverOption =
  | { kind: 'expert' }
  /** The runtime with a model (launch/arm.yaml); `policy`: already created (stays open: the caller disposes it). */
  | { kind: 'model'; config: PilotConfig | string; modelPath?: string; policy?: Policy }
  /** Someone else drives over the transport (`pilot run` in another process); real time only. */
  | { kind: 'external' };

export interface ArmSessionOptions {
  task: ArmTaskKind | string;
  /** Default 1. */
  episodes?: number;
  /** Seed of the first episode (episode i uses seed + i; shifted by the unseen seed base for split 'unseen'). Default 1. */
  seed?: number;
  /** Which placements: training, held-out (unseen) or any. Default 'any'. */
  split?: PlacementSplit;
  taskOptions?: ArmTaskOptions;
  /** Explicit episodes instead of sampled ones (scripted scenarios, tests). */
  specs?: readonly ArmEpisodeSpec[];
  driver: ArmDriverOption;
  /** Default: the built-in settings (loadArmSimConfig()). */
  sim?: ArmSimConfig | string;
  mode?: 'lockstep' | 'realtime';
  /** Default `inprocess` (one process, deterministic, no sockets); the CLI uses zeromq. */
  transport?: TransportKind;
  /** Look randomisation strength 0..1 (lighting, colours); placements are always randomised. Default 0. */
  randomize?: number;
  /** Render the camera. Default: for a model or external driver, or when recording or `onFrame` is set. */
  render?: boolean;
  /** One rosbag2 folder per episode under `dir` (episode-0000, …) plus `episodes.json` with the layouts. */
  record?: { dir: string; compression?: 'none' | 'lz4' | 'zstd' };
  /** Each camera frame (rgb8, tightly packed) with the ground truth it was rendered at. */
  onFrame?: (rgb: Uint8Array, width: number, height: number, truth: Readonly<ArmTruth>) => void;
  /** May overwrite the joint targets applied this step (DAgger's β mixture), given the state the step starts from. */
  overrideCommand?: (command: Float64Array, truth: Readonly<ArmTruth>) => void;
  onStep?: (truth: Readonly<ArmTruth>) => void;
  onEpisode?: (result: ArmEpisodeResult) => void;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

/** Ground truth at a step (live objects: read, don't keep). */
export interface ArmTruth {
  /** Episode index in this run. */
  episode: number;
  spec: ArmEpisodeSpec;
  /** Sim time since the episode start. */
  tMs: number;
  world: ArmWorld;
}

export interface ArmRunResult {
  episodes: ArmEpisodeResult[];
  summary: ArmRunSummary;
  description: ArmDescription;
  /** Control step (ms): the runtime's loop period, or the simulator's rate for the expert. */
  stepMs: number;
}

export async function runArmSession(o: ArmSessionOptions): Promise<ArmRunResult> {
  const kind = parseTaskKind(o.task);
  const split = o.split ?? 'any';
  const sim = typeof o.sim === 'string' || o.sim === undefined ? loadArmSimConfig(o.sim) : o.sim;
  const description = loadArmDescription(sim.description);
  const specs = o.specs ?? episodeSeeds(o.seed ?? 1, o.episodes ?? 1, split).map((s) => sampleEpisode(kind, s, split, description.home, o.taskOptions));
  for (const s of specs) if (s.kind !== kind) throw new PilotError('E_ARM_TASK', `episode with seed ${s.seed} is a ${s.kind} episode in a ${kind} run`);
  // Unreachable layouts are input errors, found before anything starts.
  const checker = new ArmExpert(description);
  for (const s of specs) checkEpisodeReachable(checker, s);

  const mode = o.mode ?? 'lockstep';
  if (o.driver.kind === 'external' && mode !== 'realtime') {
    throw new PilotError('E_ARM_SIM_CONFIG', 'an external driver runs on its own clock: the simulator must run in real time (not lockstep)');
  }
  const calibration = loadCameraCalibration(sim.camera.calibration);
  const mount = loadCameraMount(sim.camera.mount);
  if (calibration.d.some((c) => c !== 0)) o.log?.(`arm sim: ${sim.camera.calibration} has distortion coefficients; the simulator renders an ideal pinhole and ignores them`);

  let runtimeConfig: PilotConfig | undefined;
  if (o.driver.kind === 'model') {
    runtimeConfig = typeof o.driver.config === 'string' ? loadConfig(o.driver.config) : o.driver.config;
    if (o.driver.modelPath) runtimeConfig = { ...runtimeConfig, model: { ...runtimeConfig.model, path: o.driver.modelPath } };
    checkRuntimeAgainstSim(runtimeConfig, sim, calibration, description);
  }
  const stepMs = runtimeConfig ? 1000 / runtimeConfig.loop.rate_hz : 1000 / sim.rate_hz;
  const randomize = o.randomize ?? 0;
  if (!(randomize >= 0 && randomize <= 1)) throw new PilotError('E_ARM_SIM_CONFIG', `randomize strength must be in [0, 1] (got ${randomize})`);
  const render = o.render ?? (o.driver.kind !== 'expert' || o.record !== undefined || o.onFrame !== undefined);
  const transportKind = o.transport ?? 'inprocess';

  let ownPolicy: Policy | undefined;
  let view: ArmCameraView | undefined;
  const transport = createTransport(transportKind);
  let sensors: ArmSensorPublisher | undefined;
  let commands: ArmCommandListener | undefined;
  let expertDriver: ArmExpertDriver | undefined;
  const results: ArmEpisodeResult[] = [];
  const wallStart = performance.now();
  try {
    sensors = new ArmSensorPublisher(transport, { jointStates: sim.joint_states_topic, camera: sim.camera.topic, clock: sim.clock_topic }, description.jointNames, description.baseLink);
    commands = new ArmCommandListener(transport, sim.command.topic, sim.command.type, description.jointNames, description.home);
    let policy: Policy | undefined;
    if (o.driver.kind === 'model') {
      policy = o.driver.policy ?? (ownPolicy = await PolicySession.create({ model: runtimeConfig!.model, ...(o.log ? { log: o.log } : {}) }));
      checkContractAgainstArm(policy, description);
    }
    if (render) view = await ArmCameraView.create({ calibration, mount, description, backend: sim.render.backend });
    if (o.record) {
      mkdirSync(o.record.dir, { recursive: true });
      writeFileSync(join(o.record.dir, 'episodes.json'), JSON.stringify({ task: kind, split, joint_names: description.jointNames, step_ms: stepMs, episodes: specs.map((s, i) => ({ bag: episodeBagName(i), ...s })) }, null, 2) + '\n');
    }
    // Everything the runtime reads: the lockstep barrier waits until all of it has arrived.
    const driverInputTopics = runtimeConfig
      ? [...new Set([runtimeConfig.inputs.camera.topic, ...(runtimeConfig.arm ? [runtimeConfig.arm.joint_states.topic] : []), ...runtimeConfig.inputs.state.map((s) => s.topic)])]
      : [];
    for (let i = 0; i < specs.length; i++) {
      if (o.signal?.aborted) break;
      const spec = specs[i]!;
      const world = new ArmWorld(description, spec, sim.substep_s);
      view?.setLook(randomize > 0 ? sampleArmLook(spec.seed, randomize) : NOMINAL_ARM_LOOK);
      view?.setEpisode(spec);
      commands.reset(world.q);
      let driver: SimDriver | undefined;
      let recorder: Recorder | undefined;
      let result: ArmEpisodeResult;
      try {
        if (o.driver.kind === 'model') {
          driver = await RuntimeDriver.create(runtimeConfig!, transport, {
            realtime: mode === 'realtime',
            policy: borrowed(policy!),
            // The runtime's start-up line once, not once per episode.
            log: (line) => (i === 0 || !line.startsWith('pilot: model ')) && o.log?.(line),
          });
        } else if (o.driver.kind === 'external') {
          driver = new ExternalDriver();
        } else {
          expertDriver ??= new ArmExpertDriver(new ArmExpert(description), transport, sim.command, stepMs);
          expertDriver.begin(world);
          driver = expertDriver;
        }
        if (o.record) {
          const writer = await createBagWriter(join(o.record.dir, episodeBagName(i)), { compression: o.record.compression ?? 'none', onError: (e) => o.log?.(`record: ${e.message}`) });
          recorder = Recorder.start({
            transport,
            writer,
            topics: recordedTopics(sim, runtimeConfig),
            ...(mode === 'lockstep' ? { clock: () => BigInt(Math.round(world.timeMs * 1e6)) } : {}),
            onError: (e) => o.log?.(`record: ${e.message}`),
          });
        }
        // ZeroMQ subscriptions made this episode (runtime, recorder) need a moment to connect.
        if (transportKind === 'zeromq' && (o.driver.kind === 'model' || recorder || i === 0)) await new Promise((r) => setTimeout(r, 100));
        result = await runEpisode({ index: i, spec, world, driver, sensors, commands, transport, view, sim, mode, stepMs, driverInputTopics, options: o });
      } finally {
        // The runtime's last words (its stop command) go into the bag before it closes.
        if (driver && driver !== expertDriver) await driver.dispose();
        if (recorder) {
          const stats = await recorder.stop();
          if (stats.dropped > 0 || stats.error) o.log?.(`record: ${episodeBagName(i)}: ${stats.written} messages, ${stats.dropped} dropped${stats.error ? `, ${stats.error.message}` : ''}`);
        }
      }
      results.push(result);
      o.onEpisode?.(result);
    }
  } finally {
    await expertDriver?.dispose();
    commands?.close();
    sensors?.close();
    view?.dispose();
    await ownPolicy?.dispose();
    await transport.close();
  }
  const wallS = (performance.now() - wallStart) / 1000;
  const driverName = o.driver.kind === 'model' ? `model ${runtimeConfig!.model.path}` : o.driver.kind;
  return { episodes: results, summary: summarize(results, { kind, split, driver: driverName, wallS }), description, stepMs };
}

interface EpisodeContext {
  index: number;
  spec: ArmEpisodeSpec;
  world: ArmWorld;
  driver: SimDriver;
  sensors: ArmSensorPublisher;
  commands: ArmCommandListener;
  transport: Transport;
  view: ArmCameraView | undefined;
  sim: ArmSimConfig;
  mode: 'lockstep' | 'realtime';
  stepMs: number;
  driverInputTopics: readonly string[];
  options: ArmSessionOptions;
}

async function runEpisode(c: EpisodeContext): Promise<ArmEpisodeResult> {
  const { spec, world, driver, sensors, commands, view, sim, stepMs, options: o } = c;
  const lockstep = new Lockstep(driver, commands, sim.lockstep.step_timeout_ms);
  const monitor = new SuccessMonitor(spec.toleranceM, spec.holdSteps);
  const truth: ArmTruth = { episode: c.index, spec, tMs: 0, world };
  const cameraEvery = Math.max(1, Math.round(1000 / sim.camera.rate_hz / stepMs));
  const maxSteps = Math.ceil((spec.timeLimitS * 1000) / stepMs - 1e-9);
  const runtime = driver instanceof RuntimeDriver ? driver.pilot.safety.counters : null;
  // Lockstep counts sensor messages relative to this episode: the runtime is new, the publishers are not.
  const sentBefore = sentOn(c.transport, sensors, c.driverInputTopics);
  const rejectedBefore = commands.rejected;
  const applied = new Float64Array(world.q.length);
  let interventions = 0;
  let commandTimeouts = 0;
  let commandsSeen = commands.received;
  let endReason: ArmEpisodeResult['endReason'] = 'time limit';
  let steps = 0;
  const wallStart = performance.now();
  driver.start();
  for (let k = 0; k < maxSteps; k++) {
    if (o.signal?.aborted) {
      endReason = 'interrupted';
      break;
    }
    const tMs = k * stepMs;
    truth.tMs = tMs;
    if (c.mode === 'realtime') await waitUntilWall(wallStart + tMs);
    sensors.jointStates(world.q, world.dynamics.velocity, tMs);
    if (view && k % cameraEvery === 0) {
      const image = await view.render(world, tMs, sim.camera.frame_id);
      sensors.camera(image);
      o.onFrame?.(image.data, image.width, image.height, truth);
    }
    sensors.publishClock(tMs);
    const clampedBefore = runtime?.clamped ?? 0;
    if (c.mode === 'lockstep') {
      if (!(await lockstep.exchange(tMs, sentOn(c.transport, sensors, c.driverInputTopics) - sentBefore))) commandTimeouts++;
      driver.afterStep();
    } else {
      driver.advanceTo(tMs);
      if (commands.received === commandsSeen) commandTimeouts++;
      commandsSeen = commands.received;
    }
    applied.set(commands.latest);
    o.overrideCommand?.(applied, truth);
    const clamped = world.command(applied);
    if (clamped > 0 || (runtime?.clamped ?? 0) > clampedBefore) interventions++;
    world.stepTo(tMs + stepMs);
    steps++;
    truth.tMs = tMs + stepMs;
    o.onStep?.(truth);
    if (monitor.update(world.taskError(), tMs + stepMs)) {
      endReason = 'success';
      break;
    }
  }
  const stats = driver.runtimeStats();
  return {
    index: c.index,
    seed: spec.seed,
    kind: spec.kind,
    split: spec.split,
    success: monitor.succeeded,
    timeToSuccessS: monitor.succeeded ? monitor.enteredAtMs / 1000 : null,
    finalErrorM: world.taskError(),
    minErrorM: monitor.minErrorM,
    steps,
    simTimeS: world.timeMs / 1000,
    jointLimitInterventions: interventions,
    commandTimeouts,
    commandsRejected: commands.rejected - rejectedBefore,
    tableContacts: world.tableContacts,
    endReason,
    target: [...spec.target],
    ...(stats ? { safetyReasons: stats.safetyReasons } : {}),
  };
}

export function episodeBagName(index: number): string {
  return `episode-${String(index).padStart(4, '0')}`;
}

function recordedTopics(sim: ArmSimConfig, runtime: PilotConfig | undefined): RecordTopic[] {
  const commandType = sim.command.type === 'joint_trajectory' ? 'trajectory_msgs/msg/JointTrajectory' : 'std_msgs/msg/Float64MultiArray';
  const topics: RecordTopic[] = [
    { topic: sim.camera.topic, type: 'sensor_msgs/msg/Image', qos: SENSOR_QOS },
    { topic: sim.joint_states_topic, type: 'sensor_msgs/msg/JointState', qos: SENSOR_QOS },
    { topic: sim.clock_topic, type: 'rosgraph_msgs/msg/Clock', qos: RELIABLE_QOS },
    { topic: sim.command.topic, type: commandType, qos: RELIABLE_QOS },
  ];
  if (runtime) topics.push({ topic: runtime.outputs.diagnostics.topic, type: 'diagnostic_msgs/msg/DiagnosticArray', qos: RELIABLE_QOS });
  return topics;
}

/** The runtime config must read what the simulator publishes and publish what it listens to. */
function checkRuntimeAgainstSim(runtime: PilotConfig, sim: ArmSimConfig, simCamera: CameraCalibration, simArm: ArmDescription): void {
  const fail = (message: string): never => {
    throw new PilotError('E_ARM_SIM_CONFIG', message);
  };
  if (runtime.loop.trigger === 'camera') fail('arm episodes step at the runtime rate: use loop.trigger: timer in the runtime config');
  const rc = loadCameraCalibration(runtime.calibration.camera);
  const same = rc.width === simCamera.width && rc.height === simCamera.height && rc.k.every((v, i) => Math.abs(v - simCamera.k[i]!) < 1e-9);
  if (!same) {
    fail(
      `the simulator renders the arm camera of ${sim.camera.calibration} (${simCamera.width}×${simCamera.height}, fx ${simCamera.k[0]}) but the runtime expects ` +
        `${runtime.calibration.camera} (${rc.width}×${rc.height}, fx ${rc.k[0]}): use the same calibration file for both`,
    );
  }
  if (runtime.inputs.camera.type !== 'image') fail(`the simulator publishes sensor_msgs/Image; the runtime config reads '${runtime.inputs.camera.type}' on ${runtime.inputs.camera.topic}`);
  if (runtime.inputs.camera.topic !== sim.camera.topic) fail(`the simulator publishes the arm camera on ${sim.camera.topic} but the runtime reads ${runtime.inputs.camera.topic}`);
  if (runtime.outputs.command.topic !== sim.command.topic || runtime.outputs.command.type !== sim.command.type) {
    fail(`the runtime publishes ${runtime.outputs.command.type} on ${runtime.outputs.command.topic} but the simulator listens for ${sim.command.type} on ${sim.command.topic}`);
  }
  if (!runtime.arm) fail("the runtime config has no arm: section (arm.description, arm.joint_states): it cannot drive an arm (see launch/arm.yaml)");
  const arm = runtime.arm!;
  if (arm.joint_states.topic !== sim.joint_states_topic) fail(`the runtime reads joint states on ${arm.joint_states.topic} but the simulator publishes them on ${sim.joint_states_topic}`);
  const runtimeArm = loadArmDescription(arm.description);
  if (runtimeArm.jointNames.join(',') !== simArm.jointNames.join(',')) {
    fail(`the runtime limits the arm of ${arm.description} (joints ${runtimeArm.jointNames.join(', ')}) but the simulator moves ${sim.description} (joints ${simArm.jointNames.join(', ')}): use the same arm description for both`);
  }
  for (const s of runtime.inputs.state) {
    if (s.topic !== sim.joint_states_topic) fail(`the runtime reads state '${s.field}' from ${s.topic}; the arm simulator publishes joint states on ${sim.joint_states_topic} only`);
  }
}

/** The model must command exactly the arm's joints, in its order, as an arm policy. */
function checkContractAgainstArm(policy: Policy, arm: ArmDescription): void {
  const c = policy.contract;
  const fields = c.outputs[0]!.fields.map((f) => f.name);
  if (c.profile !== 'arm') throw new PilotError('E_ARM_MODEL', `${policy.modelPath}: contract profile is '${c.profile}', an arm episode needs an 'arm' policy`);
  if (fields.join(',') !== arm.jointNames.join(',')) {
    throw new PilotError('E_ARM_MODEL', `${policy.modelPath}: output fields [${fields.join(', ')}] do not match the arm's joints [${arm.jointNames.join(', ')}] (${arm.source})`);
  }
}

/** Messages that really left on the driver's topics (send drops never arrive, so don't wait for them). */
function sentOn(transport: Transport, sensors: ArmSensorPublisher, topics: readonly string[]): number {
  let drops = 0;
  const stats = transport.stats();
  for (const t of topics) drops += stats.get(t)?.sendDrops ?? 0;
  return sensors.sentOn(topics) - drops;
}

/** The policy as the runtime sees it, except that disposing it is left to its owner (each episode's runtime disposes its policy). */
function borrowed(policy: Policy): Policy {
  return new Proxy(policy, {
    get(target, key) {
      if (key === 'dispose') return async () => {};
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function waitUntilWall(atMs: number): Promise<void> {
  const wait = atMs - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}

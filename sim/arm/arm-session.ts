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
import type { Recorder, RecordTopic } from '../../src/data/bags/index.js';
import { loadCameraCalibration, type CameraCalibration } from '../../src/core/calibration/camera.js';
import { loadCameraMount, type CameraMount } from '../../src/core/calibration/mount.js';
import type { PilotConfig } from '../../src/core/config/schema.js';
import { loadArmDescription, type ArmDescription } from '../../src/core/kinematics/index.js';
import { borrowedPolicy, createPolicy, type Policy } from '../../src/runtime/index.js';
import { createTransport, type TransportKind } from '../../src/transport/index.js';
import { RELIABLE_QOS, SENSOR_QOS, type Transport } from '../../src/transport/index.js';
import { PilotError } from '../../src/core/util/errors.js';
import { ExternalDriver, RuntimeDriver, type SimDriver } from '../drive/drivers.js';
import { Lockstep } from '../drive/lockstep.js';
import { sentOn, waitUntilWall } from '../drive/pacing.js';
import { runtimeConfigOf, sameCamera, startRecording, withRuntimeTopics } from '../drive/session-setup.js';
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
  const plan = planArmRun(o);
  const rig: ArmRig = { transport: createTransport(plan.transportKind) };
  const results: ArmEpisodeResult[] = [];
  const wallStart = performance.now();
  try {
    await setUpRig(o, plan, rig);
    if (o.record) writeEpisodeIndex(o.record.dir, plan);
    const { runtimeConfig } = plan;
    // Everything the runtime reads: the lockstep barrier waits until all of it has arrived.
    const driverInputTopics = runtimeConfig
      ? [...new Set([runtimeConfig.inputs.camera.topic, ...(runtimeConfig.arm ? [runtimeConfig.arm.joint_states.topic] : []), ...runtimeConfig.inputs.state.map((s) => s.topic)])]
      : [];
    for (let i = 0; i < plan.specs.length; i++) {
      if (o.signal?.aborted) break;
      const result = await runEpisodeWithDriver(o, plan, rig, i, driverInputTopics);
      results.push(result);
      o.onEpisode?.(result);
    }
  } finally {
    await rig.expertDriver?.dispose();
    rig.commands?.close();
    rig.sensors?.close();
    rig.view?.dispose();
    await rig.ownPolicy?.dispose();
    await rig.transport.close();
  }
  const wallS = (performance.now() - wallStart) / 1000;
  const driverName = o.driver.kind === 'model' ? `model ${plan.runtimeConfig!.model.path}` : o.driver.kind;
  return { episodes: results, summary: summarize(results, { kind: plan.kind, split: plan.split, driver: driverName, wallS }), description: plan.description, stepMs: plan.stepMs };
}

/** What a run loads and decides before anything starts; every input error is found here. */
interface ArmRunPlan {
  kind: ArmTaskKind;
  split: PlacementSplit;
  sim: ArmSimConfig;
  description: ArmDescription;
  specs: readonly ArmEpisodeSpec[];
  mode: 'lockstep' | 'realtime';
  calibration: CameraCalibration;
  mount: CameraMount;
  /** The runtime's config when a model drives. */
  runtimeConfig: PilotConfig | undefined;
  stepMs: number;
  randomize: number;
  render: boolean;
  transportKind: TransportKind;
}

function planArmRun(o: ArmSessionOptions): ArmRunPlan {
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
    runtimeConfig = runtimeConfigOf(o.driver);
    checkRuntimeAgainstSim(runtimeConfig, sim, calibration, description);
  }
  const stepMs = runtimeConfig ? 1000 / runtimeConfig.loop.rate_hz : 1000 / sim.rate_hz;
  const randomize = o.randomize ?? 0;
  if (!(randomize >= 0 && randomize <= 1)) throw new PilotError('E_ARM_SIM_CONFIG', `randomize strength must be in [0, 1] (got ${randomize})`);
  const render = o.render ?? (o.driver.kind !== 'expert' || o.record !== undefined || o.onFrame !== undefined);
  return { kind, split, sim, description, specs, mode, calibration, mount, runtimeConfig, stepMs, randomize, render, transportKind: o.transport ?? 'inprocess' };
}

/** What the episodes of a run share; each part is set as soon as it exists, so a failed set-up closes what was made. */
interface ArmRig {
  transport: Transport;
  sensors?: ArmSensorPublisher;
  commands?: ArmCommandListener;
  /** The model's policy (given, or `ownPolicy`), loaded once for all episodes. */
  policy?: Policy;
  /** A policy this run created, disposed at its end. */
  ownPolicy?: Policy;
  view?: ArmCameraView;
  /** Created by the first expert episode, reused by the others. */
  expertDriver?: ArmExpertDriver;
}

async function setUpRig(o: ArmSessionOptions, plan: ArmRunPlan, rig: ArmRig): Promise<void> {
  const { sim, description, runtimeConfig } = plan;
  rig.sensors = new ArmSensorPublisher(rig.transport, { jointStates: sim.joint_states_topic, camera: sim.camera.topic, clock: sim.clock_topic }, description.jointNames, description.baseLink);
  rig.commands = new ArmCommandListener(rig.transport, sim.command.topic, sim.command.type, description.jointNames, description.home);
  if (o.driver.kind === 'model') {
    // createPolicy: a chunked model on the worker thread, or the policy server of `policy_server:`.
    rig.policy = o.driver.policy ?? (rig.ownPolicy = await createPolicy(runtimeConfig!, o.log ? { log: o.log } : {}));
    checkContractAgainstArm(rig.policy, description);
  }
  if (plan.render) rig.view = await ArmCameraView.create({ calibration: plan.calibration, mount: plan.mount, description, backend: sim.render.backend });
}

/** `<dir>/episodes.json`: the task, the joints, the step and each episode's layout and bag. */
function writeEpisodeIndex(dir: string, plan: ArmRunPlan): void {
  mkdirSync(dir, { recursive: true });
  const index = { task: plan.kind, split: plan.split, joint_names: plan.description.jointNames, step_ms: plan.stepMs, episodes: plan.specs.map((s, i) => ({ bag: episodeBagName(i), ...s })) };
  writeFileSync(join(dir, 'episodes.json'), JSON.stringify(index, null, 2) + '\n');
}

/** Episode `i` in a fresh world, with its own driver and, when recording, its own bag. */
async function runEpisodeWithDriver(o: ArmSessionOptions, plan: ArmRunPlan, rig: ArmRig, i: number, driverInputTopics: readonly string[]): Promise<ArmEpisodeResult> {
  const { sim, description, randomize, mode, stepMs } = plan;
  const sensors = rig.sensors!;
  const commands = rig.commands!;
  const spec = plan.specs[i]!;
  const world = new ArmWorld(description, spec, sim.substep_s);
  rig.view?.setLook(randomize > 0 ? sampleArmLook(spec.seed, randomize) : NOMINAL_ARM_LOOK);
  rig.view?.setEpisode(spec);
  commands.reset(world.q);
  let driver: SimDriver | undefined;
  let recorder: Recorder | undefined;
  try {
    driver = await createEpisodeDriver(o, plan, rig, i, world);
    if (o.record) {
      const topics = recordedTopics(sim, plan.runtimeConfig);
      const simTimeMs = mode === 'lockstep' ? () => world.timeMs : null;
      recorder = await startRecording({ ...o.record, dir: join(o.record.dir, episodeBagName(i)), transport: rig.transport, topics, simTimeMs, log: o.log });
    }
    // ZeroMQ subscriptions made this episode (runtime, recorder) need a moment to connect.
    if (plan.transportKind === 'zeromq' && (o.driver.kind === 'model' || recorder || i === 0)) await new Promise((r) => setTimeout(r, 100));
    return await runEpisode({ index: i, spec, world, driver, sensors, commands, transport: rig.transport, view: rig.view, sim, mode, stepMs, driverInputTopics, options: o });
  } finally {
    // The runtime's last words (its stop command) go into the bag before it closes.
    if (driver && driver !== rig.expertDriver) await driver.dispose();
    if (recorder) {
      const stats = await recorder.stop();
      if (stats.dropped > 0 || stats.error) o.log?.(`record: ${episodeBagName(i)}: ${stats.written} messages, ${stats.dropped} dropped${stats.error ? `, ${stats.error.message}` : ''}`);
    }
  }
}

/** A fresh runtime on the shared policy, someone else over the transport, or the run's IK expert begun on `world`. */
async function createEpisodeDriver(o: ArmSessionOptions, plan: ArmRunPlan, rig: ArmRig, i: number, world: ArmWorld): Promise<SimDriver> {
  if (o.driver.kind === 'model') {
    return RuntimeDriver.create(plan.runtimeConfig!, rig.transport, {
      realtime: plan.mode === 'realtime',
      policy: borrowedPolicy(rig.policy!),
      // The runtime's start-up line once, not once per episode.
      log: (line) => (i === 0 || !line.startsWith('pilot: model ')) && o.log?.(line),
    });
  }
  if (o.driver.kind === 'external') return new ExternalDriver();
  rig.expertDriver ??= new ArmExpertDriver(new ArmExpert(plan.description), rig.transport, plan.sim.command, plan.stepMs);
  rig.expertDriver.begin(world);
  return rig.expertDriver;
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
  return episodeResult(c, monitor, { steps, interventions, commandTimeouts, commandsRejected: commands.rejected - rejectedBefore, endReason });
}

/** What an episode counted as it ran. */
interface EpisodeTally {
  steps: number;
  interventions: number;
  commandTimeouts: number;
  commandsRejected: number;
  endReason: ArmEpisodeResult['endReason'];
}

function episodeResult(c: EpisodeContext, monitor: SuccessMonitor, t: EpisodeTally): ArmEpisodeResult {
  const { spec, world } = c;
  const stats = c.driver.runtimeStats();
  return {
    index: c.index,
    seed: spec.seed,
    kind: spec.kind,
    split: spec.split,
    success: monitor.succeeded,
    timeToSuccessS: monitor.succeeded ? monitor.enteredAtMs / 1000 : null,
    finalErrorM: world.taskError(),
    minErrorM: monitor.minErrorM,
    steps: t.steps,
    simTimeS: world.timeMs / 1000,
    jointLimitInterventions: t.interventions,
    commandTimeouts: t.commandTimeouts,
    commandsRejected: t.commandsRejected,
    tableContacts: world.tableContacts,
    endReason: t.endReason,
    target: [...spec.target],
    ...(stats ? { safetyReasons: stats.safetyReasons, deadlineMisses: stats.deadlineMisses } : {}),
    ...(stats?.chunks ? { chunks: stats.chunks } : {}),
  };
}

export function episodeBagName(index: number): string {
  return `episode-${String(index).padStart(4, '0')}`;
}

function recordedTopics(sim: ArmSimConfig, runtime: PilotConfig | undefined): RecordTopic[] {
  const commandType = sim.command.type === 'joint_trajectory' ? 'trajectory_msgs/msg/JointTrajectory' : 'std_msgs/msg/Float64MultiArray';
  return withRuntimeTopics(
    [
      { topic: sim.camera.topic, type: 'sensor_msgs/msg/Image', qos: SENSOR_QOS },
      { topic: sim.joint_states_topic, type: 'sensor_msgs/msg/JointState', qos: SENSOR_QOS },
      { topic: sim.clock_topic, type: 'rosgraph_msgs/msg/Clock', qos: RELIABLE_QOS },
      { topic: sim.command.topic, type: commandType, qos: RELIABLE_QOS },
    ],
    runtime,
  );
}

/** The runtime config must read what the simulator publishes and publish what it listens to. */
function checkRuntimeAgainstSim(runtime: PilotConfig, sim: ArmSimConfig, simCamera: CameraCalibration, simArm: ArmDescription): void {
  const fail = (message: string): never => {
    throw new PilotError('E_ARM_SIM_CONFIG', message);
  };
  if (runtime.loop.trigger === 'camera') fail('arm episodes step at the runtime rate: use loop.trigger: timer in the runtime config');
  const rc = loadCameraCalibration(runtime.calibration.camera);
  if (!sameCamera(rc, simCamera)) {
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

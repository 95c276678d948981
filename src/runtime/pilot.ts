/**
 * One pilot instance: inputs → loop → preprocess → policy → actions → safety → command, with
 * diagnostics. Slow work (loading, checking, allocating) happens in `create`; `tick` is the
 * real-time path: no I/O besides publishing, no per-tick allocation of our own.
 *
 * The same runtime drives a vehicle or an arm; the model contract's profile and the config say which.
 * An arm (config `arm:`) adds the sensor_msgs/JointState input read by joint name (it fills the model's
 * joint-state input and is the measured position the safety layer holds on stop), joint position,
 * velocity and acceleration limits and the workspace check from the arm description, and publishes
 * nothing until the first joint state has arrived.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { cameraInfoTopicFor, loadCameraCalibration, type CameraCalibration } from '../core/calibration/camera.js';
import { loadVehicleCalibration, type VehicleCalibration } from '../core/calibration/vehicle.js';
import { ActionDecoder } from './actions/action-decoder.js';
import { createCommandBuilder, type CommandBuilder } from './commands/command-builder.js';
import type { PilotConfig } from '../core/config/schema.js';
import { DiagnosticsReporter, type PilotCounters } from './diagnostics/diagnostics-reporter.js';
import { InputSlot } from './input/input-slot.js';
import { JointStateReader } from './input/joint-state-reader.js';
import { FieldPath } from './input/state-reader.js';
import { loadArmDescription, type ArmDescription } from '../core/kinematics/arm-description.js';
import { WallClock, type Clock } from './loop/clock.js';
import { LoopRunner } from './loop/loop-runner.js';
import { Timeline, type TickRecord } from './loop/timeline.js';
import { TICK_TIMELINE_TYPE, type TickTimelineMessage } from '../core/messages/tick-timeline.js';
import { writeTimeFromMs } from '../core/messages/time.js';
import type { Bool, CameraInfo, CompressedImage, Image, JointState } from '../core/messages/types.js';
import { type Policy } from './policy/policy-session.js';
import { chunkOf, type CameraContractInput } from './policy/contract.js';
import { createPolicy } from './policy/create-policy.js';
import { ChunkedInference } from './chunking/chunked-inference.js';
import { CameraPreprocessor, type CameraGeometry, type CameraGeometryStats, type RawFrame } from './preprocess/camera-preprocessor.js';
import { decodeCompressed } from './preprocess/decode-compressed.js';
import { SafetyLayer, type SafetyReason } from './safety/safety-layer.js';
import { buildSafetyFields } from './safety/safety-spec.js';
import { WorkspaceCheck } from './safety/workspace-check.js';
import { RELIABLE_QOS, SENSOR_QOS, type Publisher, type Subscription, type Transport } from '../transport/transport.js';
import { realtimeAsked, startRealtime, type RealtimeGrant } from './realtime/apply-realtime.js';
import { threadsStartedDuring } from './realtime/proc-threads.js';
import type { RealtimeReport } from './realtime/realtime-report.js';
import { checkContractAgainstConfig, isJointStateInput } from './check-contract.js';

/**
 * Timer mode: a camera frame arriving this close before a tick is due (or during one) is preprocessed
 * right after that tick, so the tick neither starts late nor runs longer for it.
 */
const FRAME_GUARD_MS = 1;

/** How long stop() waits for a tick in flight before it publishes the stop command anyway (wall time). */
const STOP_WAIT_MS = 1000;

/** Marks a concurrent inference overtaken by its deadline. */
const DEADLINE = Symbol('deadline');

export interface PilotDeps {
  readonly transport: Transport;
  readonly clock: Clock;
  /** Already-created policy (e.g. shared by a benchmark); created from the config otherwise. */
  readonly policy?: Policy;
  readonly log?: (line: string) => void;
  /** Samples kept for latency percentiles. */
  readonly timelineCapacity?: number;
  /**
   * Monotonic ms for measuring how long work takes (timeline). Defaults to the clock; lockstep
   * simulation passes wall time here, because its clock stands still while the runtime computes.
   */
  readonly stopwatch?: () => number;
  /** With `policy`: the threads it runs inference on besides the caller's (realtime.inference_cpus). */
  readonly inferenceThreads?: readonly number[];
}

interface StateSource {
  readonly slot: InputSlot<unknown>;
  readonly path: FieldPath;
  /** Index in the state tensor. */
  readonly target: Float32Array;
  readonly index: number;
}

/** The state inputs' slots (one per topic) and where each field goes; joint-state tensors apart (the arm's reader fills them). */
function stateSources(config: PilotConfig, policy: Policy, arm: ArmDescription | undefined, clock: Clock): { slots: Map<string, InputSlot<unknown>>; states: StateSource[]; jointTensors: Float32Array[] } {
  const slots = new Map<string, InputSlot<unknown>>();
  const states: StateSource[] = [];
  const jointTensors: Float32Array[] = [];
  for (const input of policy.contract.inputs) {
    if (input.role !== 'state') continue;
    const tensor = policy.inputs.get(input.name)!;
    if (isJointStateInput(input, arm)) {
      jointTensors.push(tensor);
      continue;
    }
    input.fields.forEach((field, index) => {
      const cfg = config.inputs.state.find((s) => s.field === field)!;
      let slot = slots.get(cfg.topic);
      if (!slot) {
        slot = new InputSlot(cfg.topic, cfg.type, cfg.max_age_ms, undefined, clock);
        slots.set(cfg.topic, slot);
      }
      states.push({ slot, path: new FieldPath(cfg.path), target: tensor, index });
    });
  }
  return { slots, states, jointTensors };
}

export type { PilotCounters } from './diagnostics/diagnostics-reporter.js';

export class Pilot {
  readonly timeline: Timeline;
  readonly loop: LoopRunner;
  readonly safety: SafetyLayer;
  readonly decoder: ActionDecoder;
  readonly camera: InputSlot<Image | CompressedImage>;
  readonly counters: PilotCounters = { lateResults: 0, policyErrors: 0, commandsPublished: 0, commandsWithheld: 0, framesDeferred: 0 };
  /** Arm only: the JointState input, its by-name reader, and the workspace check (when enabled). */
  readonly jointStates: InputSlot<JointState> | undefined;
  readonly jointStateReader: JointStateReader | undefined;
  readonly workspace: WorkspaceCheck | undefined;
  /**
   * A chunked model's action queue and asynchronous inference (undefined for a single-step model, or
   * with chunking.enabled false: then one inference per tick and the chunk's first action).
   */
  readonly chunks: ChunkedInference | undefined;
  /** The model's joint-state input tensors (arm), filled from the reader each tick. */
  readonly #jointTensors: readonly Float32Array[];
  #newestJointStateRejected = false;
  readonly diagnostics: DiagnosticsReporter;
  readonly #clock: Clock;
  readonly #stopwatch: () => number;
  readonly #preprocessor: CameraPreprocessor;
  readonly #cameraTensor: Float32Array;
  readonly #states: readonly StateSource[];
  readonly #inputSlots: readonly InputSlot<unknown>[];
  readonly #actions: Float64Array;
  readonly #builder: CommandBuilder;
  readonly #commandPub: Publisher;
  /** Per-tick stage times for the black box (outputs.timeline), reused message. */
  readonly #timelinePub: Publisher<TickTimelineMessage> | null;
  readonly #timelineMessage: TickTimelineMessage = {
    stamp: { sec: 0, nanosec: 0 },
    scheduled_ms: 0,
    input_age_ms: 0,
    preprocess_ms: 0,
    inference_ms: 0,
    postprocess_ms: 0,
    publish_ms: 0,
    tick_latency_ms: 0,
    reason: '',
  };
  readonly #subscriptions: Subscription[] = [];
  #cameraInfoTopic = '';
  #lastCameraInfo: CameraInfo | undefined;
  readonly #log: (line: string) => void;
  #state: 'created' | 'running' | 'stopped' | 'disposed' = 'created';
  #newestFrameRejected = false;
  /** A tick is in progress (frames handled meanwhile are charged to it in the timeline). */
  #inTick = false;
  /** Decode time of the frame being handled, ms (0 for raw images). */
  #frameDecodeMs = 0;
  #realtime: RealtimeGrant | undefined;
  /** The newest frame that arrived during a tick or just before one: preprocessed right after it (timer mode). */
  #pendingFrame: Image | CompressedImage | undefined;
  /**
   * Timer mode on the wall clock. Not in camera mode (frames trigger the ticks) nor on a simulated or
   * replayed clock, where every tick must see exactly the frames sent before it.
   */
  readonly #deferFrames: boolean;
  /** realtime.gc_every_ticks: a young-generation GC after every Nth tick (wall-clock timer loop only). */
  readonly #minorGc: (() => void) | undefined;
  #ticksSinceGc = 0;

  private constructor(
    readonly config: PilotConfig,
    readonly policy: Policy,
    readonly cameraCalibration: CameraCalibration,
    readonly vehicle: VehicleCalibration | undefined,
    readonly arm: ArmDescription | undefined,
    readonly transport: Transport,
    clock: Clock,
    log: (line: string) => void,
    timelineCapacity: number,
    stopwatch: (() => number) | undefined,
  ) {
    this.#clock = clock;
    this.#deferFrames = config.loop.trigger === 'timer' && clock instanceof WallClock;
    this.#minorGc = this.#deferFrames && config.realtime.gc_every_ticks > 0 ? minorGcFunction() : undefined;
    this.#stopwatch = stopwatch ?? (() => clock.now());
    this.#log = log;
    const contract = policy.contract;
    checkContractAgainstConfig(contract, config, cameraCalibration, arm);
    const periodMs = 1000 / config.loop.rate_hz;

    const camInput = contract.inputs.find((i): i is CameraContractInput => i.role === 'camera')!;
    // Frames of another size than the calibration's: camera_info's geometry, or the intrinsics scaled (one notice).
    this.#preprocessor = new CameraPreprocessor(camInput, cameraCalibration, { log });
    this.#cameraTensor = policy.inputs.get(camInput.name)!;
    const camCfg = config.inputs.camera;
    const camType = camCfg.type === 'image' ? 'sensor_msgs/msg/Image' : 'sensor_msgs/msg/CompressedImage';
    this.camera = new InputSlot(camCfg.topic, camType, camCfg.max_age_ms, config.loop.rate_hz, clock);

    const { slots, states, jointTensors } = stateSources(config, policy, arm, clock);
    this.#states = states;
    this.#jointTensors = jointTensors;
    if (arm && config.arm) {
      const js = config.arm.joint_states;
      this.jointStates = new InputSlot<JointState>(js.topic, 'sensor_msgs/msg/JointState', js.max_age_ms, undefined, clock);
      this.jointStateReader = new JointStateReader(arm.jointNames);
      this.workspace = config.arm.workspace_check ? new WorkspaceCheck(arm) : undefined;
    }
    this.#inputSlots = [this.camera, ...(this.jointStates ? [this.jointStates as InputSlot<unknown>] : []), ...slots.values()];

    this.decoder = new ActionDecoder(contract.outputs[0]!);
    this.#actions = new Float64Array(this.decoder.size);
    const chunk = chunkOf(contract);
    this.chunks =
      chunk && config.chunking.enabled
        ? new ChunkedInference({ policy, decoder: this.decoder, chunk, settings: config.chunking, clock, stopwatch: this.#stopwatch, log, windowCapacity: timelineCapacity })
        : undefined;
    this.safety = new SafetyLayer({
      fields: buildSafetyFields(this.decoder.names, contract.profile, config.safety, vehicle, arm),
      periodMs,
      onDeadlineMiss: config.safety.on_deadline_miss,
      maxConsecutiveMisses: config.safety.max_consecutive_misses,
      ...(arm ? { holdMeasured: true } : {}),
      ...(this.workspace ? { commandCheck: this.workspace } : {}),
    });
    this.#builder = createCommandBuilder({
      kind: config.outputs.command.type,
      actionNames: this.decoder.names,
      frameId: config.outputs.frame_id,
      periodMs,
      ...(vehicle ? { vehicle } : {}),
    });
    this.timeline = new Timeline(timelineCapacity);
    this.loop = new LoopRunner(
      {
        clock,
        periodMs,
        deadlineMs: config.loop.deadline_ms ?? 0.8 * periodMs,
        trigger: config.loop.trigger,
        watchdogMs: camCfg.max_age_ms,
      },
      this,
    );

    this.#commandPub = transport.advertise(config.outputs.command.topic, this.#builder.type, RELIABLE_QOS);
    const timelineOut = config.outputs.timeline;
    this.#timelinePub = timelineOut.enabled ? transport.advertise<TickTimelineMessage>(timelineOut.topic, TICK_TIMELINE_TYPE, RELIABLE_QOS) : null;
    this.#subscribeInputs(camType, slots);
    this.diagnostics = new DiagnosticsReporter(this, transport, clock, config.outputs.diagnostics);
  }

  /** Camera, e-stop, camera_info (unless 'none'), state topics and joint states, in that order. */
  #subscribeInputs(camType: 'sensor_msgs/msg/Image' | 'sensor_msgs/msg/CompressedImage', slots: ReadonlyMap<string, InputSlot<unknown>>): void {
    const { transport, config } = this;
    const camCfg = config.inputs.camera;
    this.#subscriptions.push(
      transport.subscribe<Image | CompressedImage>(camCfg.topic, camType, this.#onCamera, SENSOR_QOS),
      transport.subscribe<Bool>(config.safety.estop_topic, 'std_msgs/msg/Bool', this.#onEstop, RELIABLE_QOS),
    );
    const infoTopic = camCfg.info_topic ?? cameraInfoTopicFor(camCfg.topic);
    if (infoTopic !== 'none') {
      this.#cameraInfoTopic = infoTopic;
      this.#subscriptions.push(transport.subscribe<CameraInfo>(infoTopic, 'sensor_msgs/msg/CameraInfo', this.#onCameraInfo, SENSOR_QOS));
    }
    for (const slot of slots.values()) {
      this.#subscriptions.push(transport.subscribe(slot.topic, slot.type, (msg: unknown) => slot.put(msg), SENSOR_QOS));
    }
    if (this.jointStates) {
      this.#subscriptions.push(transport.subscribe<JointState>(this.jointStates.topic, this.jointStates.type, this.#onJointState, SENSOR_QOS));
    }
  }

  /** Load calibration and model, check everything against everything, allocate. Fails with a message. */
  static async create(config: PilotConfig, deps: PilotDeps): Promise<Pilot> {
    const log = deps.log ?? ((line: string) => console.warn(line));
    const camera = loadCameraCalibration(config.calibration.camera);
    // An arm deployment has no vehicle: its limits come from the arm description.
    const arm = config.arm ? loadArmDescription(config.arm.description) : undefined;
    const vehicle = arm ? undefined : loadVehicleCalibration(config.calibration.vehicle);
    const rt = config.realtime;
    // The threads that appear while the policy is created run inference (ORT's pool, the inference worker).
    const created = deps.policy
      ? { value: deps.policy, tids: deps.inferenceThreads ?? [] }
      : realtimeAsked(rt)
        ? await threadsStartedDuring(() => createPolicy(config, { log }))
        : { value: await createPolicy(config, { log }), tids: [] };
    const policy = created.value;
    let pilot: Pilot | undefined;
    try {
      pilot = new Pilot(config, policy, camera, vehicle, arm, deps.transport, deps.clock, log, deps.timelineCapacity ?? 4096, deps.stopwatch);
      // After the topics are open: the transport's I/O threads exist by then.
      pilot.#realtime = await startRealtime(rt, created.tids, log);
      return pilot;
    } catch (err) {
      if (pilot) pilot.#closeTopics();
      if (!deps.policy) await policy.dispose();
      throw err;
    }
  }

  /**
   * Timer mode on the wall clock, loop running: work that can wait (a frame that arrives just before a
   * tick, the diagnostics report) is done right after the next tick instead of delaying it.
   */
  get housekeepingAfterTicks(): boolean {
    return this.#deferFrames && this.loop.running;
  }

  /** What the `realtime:` settings were granted (undefined when none were asked). */
  get realtime(): RealtimeReport | undefined {
    return this.#realtime?.report;
  }

  /** The camera geometry of the newest accepted frame size, and how often it was not the calibration's own. */
  get cameraGeometry(): { readonly current: CameraGeometry; readonly stats: Readonly<CameraGeometryStats>; readonly notices: readonly string[] } {
    const p = this.#preprocessor;
    return { current: p.geometry, stats: p.geometryStats, notices: p.notices };
  }

  /**
   * Hook for sensor_msgs/CameraInfo published beside the camera (replay feeds a bag's camera_info
   * here; a live camera_info subscription would too): frames of its size that differ from the
   * calibration's are sampled with its geometry. `source` names it in notices. Returns '' when
   * usable, else why not.
   */
  useCameraInfo(info: CameraInfo, source: string): string {
    return this.#preprocessor.useCameraInfo(info, source);
  }

  /**
   * Sensor messages that reached this runtime so far (accepted or rejected), over the camera and state
   * inputs: a lockstep simulator waits on it so every tick sees exactly the inputs sent before it.
   */
  get inputsArrived(): number {
    let n = 0;
    for (const slot of this.#inputSlots) n += slot.received + slot.rejected;
    return n;
  }

  /** Starts in the safe state: the first command published is the stop command. */
  start(): void {
    if (this.#state !== 'created') throw new Error(`pilot: start() called when ${this.#state}`);
    this.#state = 'running';
    this.#syncMeasured();
    this.safety.update('startup', null);
    this.#publish();
    this.loop.start();
    this.diagnostics.start();
    this.#log(
      `pilot: model ${this.policy.contract.id} on ${this.policy.providerSummary}, ${this.config.loop.rate_hz} Hz ${this.config.loop.trigger} loop, ` +
        `camera ${this.camera.topic}${this.jointStates ? ` + ${this.jointStates.topic}` : ''} → ${this.config.outputs.command.topic} (${this.#builder.type})` +
        (this.arm ? `; arm ${this.arm.robot.name}: ${this.arm.jointNames.length} joints, workspace check ${this.workspace ? 'on' : 'off'}` : '') +
        (this.chunks ? `; action chunks of ${this.chunks.queue.horizonMs} ms, ${this.config.chunking.blend} blend, next inference below ${this.chunks.refillBelowMs} ms left` : ''),
    );
  }

  /** Stop the loop and leave the robot with a stop command. Idempotent. */
  async stop(): Promise<void> {
    if (this.#state !== 'running') return;
    this.#state = 'stopped';
    // A hung inference must not keep the stop command from going out.
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = await Promise.race([
      this.loop.stop().then(() => this.chunks?.whenIdle()).then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), STOP_WAIT_MS))),
    ]);
    clearTimeout(timer);
    if (gaveUp) this.#log(`pilot: the tick in flight did not finish within ${STOP_WAIT_MS} ms; stopping without it`);
    this.diagnostics.stop();
    this.#syncMeasured();
    this.safety.update('shutdown', null);
    this.#publish();
    this.#closeTopics();
  }

  #closeTopics(): void {
    for (const s of this.#subscriptions) s.close();
    this.#commandPub.close();
    this.#timelinePub?.close();
  }

  async dispose(): Promise<void> {
    await this.stop();
    this.#realtime?.restore();
    this.#state = 'disposed';
    await this.policy.dispose();
  }

  /** Once the command is out: the timeline, a frame deferred during the tick, a due diagnostics report, the scheduled minor GC. */
  #afterTick(rec: TickRecord): void {
    this.timeline.commit();
    if (this.#timelinePub) this.#publishTimeline(rec);
    if (this.#pendingFrame) this.#takePendingFrame();
    this.diagnostics.afterTick();
    if (this.#minorGc && ++this.#ticksSinceGc >= this.config.realtime.gc_every_ticks) {
      this.#ticksSinceGc = 0;
      this.#minorGc();
    }
  }

  /** The real-time path. Never throws: every failure becomes a counted fallback command. */
  async tick(scheduledMs: number, deadlineAtMs: number): Promise<void> {
    const clock = this.#clock;
    const watch = this.#stopwatch;
    const rec = this.timeline.last;
    const start = clock.now();
    const watchStart = watch();
    rec.scheduledMs = scheduledMs;
    rec.preprocessMs = NaN;
    rec.inferenceMs = NaN;
    rec.startLatenessMs = start - scheduledMs;
    rec.frameDecodeMs = 0;
    rec.framePreprocessMs = 0;
    this.#inTick = true;
    // Input ready: frame arrival in camera mode, tick start in timer mode.
    const inputReady = this.config.loop.trigger === 'camera' ? Math.max(this.camera.receivedAtMs, scheduledMs) : start;
    rec.inputAgeMs = this.camera.ageMs(start);

    this.#syncMeasured();
    let reason: SafetyReason = this.#checkInputs(start);
    // The newest frame (or joint state) was rejected: fall back until a good one arrives (or the old one goes stale).
    if (reason === 'ok' && (this.#newestFrameRejected || this.#newestJointStateRejected)) reason = 'bad_input';
    if (reason === 'ok') reason = this.#readState();
    const afterPre = watch();
    rec.inputMs = afterPre - watchStart;

    let inflight: Promise<void> | undefined;
    if (this.chunks) {
      const observedMs = this.#observationMs(start);
      if (reason === 'ok') {
        this.chunks.prepare(start, observedMs);
        // chunking.min_inference_ms: a chunk due now whose inference has not finished (wall time) is waited for.
        if (this.chunks.mustWait(start)) await this.chunks.whenIdle();
      }
      reason = this.#stepChunked(reason, start, deadlineAtMs, observedMs);
    } else if (reason === 'ok') {
      try {
        if (this.policy.concurrent) {
          // The network runs elsewhere: if the deadline comes first, the fallback goes out now.
          inflight = this.policy.run();
          if ((await this.#raceDeadline(inflight, deadlineAtMs)) === 'deadline') throw DEADLINE;
          inflight = undefined;
        } else {
          await this.policy.run();
        }
      } catch (err) {
        if (err === DEADLINE) {
          this.counters.lateResults++;
          reason = 'deadline_miss';
        } else {
          this.counters.policyErrors++;
          reason = 'policy_error';
          if (this.counters.policyErrors === 1) this.#log(`pilot: inference failed: ${(err as Error).message}`);
        }
      }
      rec.inferenceMs = watch() - afterPre;
      if (reason === 'ok' && clock.now() > deadlineAtMs) {
        // Late result: dropped, the fallback goes out for this tick.
        this.counters.lateResults++;
        reason = 'deadline_miss';
      }
    }
    const beforePost = watch();
    if (reason === 'ok' && !this.chunks) this.decoder.decode(this.policy.output, this.#actions);
    rec.reason = this.safety.update(reason, reason === 'ok' ? this.#actions : null);
    const beforePublish = watch();
    rec.postprocessMs = beforePublish - beforePost;
    this.#publish();
    const end = watch();
    rec.publishMs = end - beforePublish;
    // Waiting before the tick (clock) plus the tick's own work (stopwatch).
    rec.tickLatencyMs = start - inputReady + (end - watchStart);
    this.#inTick = false;
    this.#afterTick(rec);
    // At most one inference in flight: the late one must finish (its result is dropped) before the next tick.
    if (inflight) await inflight.catch(() => {});
  }

  /**
   * A chunked model's tick: the action for now from the queue (which may start the next inference on
   * the newest frame, without waiting for it). E-stop and stale input forget the queued chunks.
   */
  #stepChunked(reason: SafetyReason, startMs: number, deadlineAtMs: number, observedMs: number): SafetyReason {
    const chunks = this.chunks!;
    if (reason === 'estop' || reason === 'stale_input') chunks.clear();
    if (reason !== 'ok') return reason;
    const applied = chunks.step(startMs, observedMs, this.#actions);
    if (applied === 'ok' && this.#clock.now() > deadlineAtMs) {
      this.counters.lateResults++;
      return 'deadline_miss';
    }
    return applied;
  }

  /**
   * When the newest frame was taken, on the loop's clock: its header stamp (stamp time → loop time by the
   * clock's own offset), unless that is in the future or further than the camera's max age from the
   * frame's arrival (a camera on another clock); then its arrival.
   */
  #observationMs(nowMs: number): number {
    const arrivedMs = this.camera.receivedAtMs;
    const stamp = this.camera.latest?.header?.stamp;
    if (!stamp) return arrivedMs;
    const ms = stamp.sec * 1000 + stamp.nanosec / 1e6 - (this.#clock.stampMs() - nowMs);
    return ms <= nowMs && Math.abs(ms - arrivedMs) <= this.camera.maxAgeMs ? ms : arrivedMs;
  }

  #publishTimeline(rec: TickRecord): void {
    const m = this.#timelineMessage;
    writeTimeFromMs(m.stamp, this.#clock.stampMs());
    m.scheduled_ms = rec.scheduledMs;
    m.input_age_ms = rec.inputAgeMs;
    m.preprocess_ms = rec.preprocessMs;
    m.inference_ms = rec.inferenceMs;
    m.postprocess_ms = rec.postprocessMs;
    m.publish_ms = rec.publishMs;
    m.tick_latency_ms = rec.tickLatencyMs;
    m.reason = rec.reason;
    this.#timelinePub!.publish(m);
  }

  #raceDeadline(run: Promise<void>, deadlineAtMs: number): Promise<'done' | 'deadline'> {
    return new Promise((resolve, reject) => {
      const timer = this.#clock.schedule(deadlineAtMs, () => resolve('deadline'));
      run.then(
        () => {
          this.#clock.cancel(timer);
          resolve('done');
        },
        (err: unknown) => {
          this.#clock.cancel(timer);
          reject(err);
        },
      );
    });
  }

  #checkInputs(now: number): SafetyReason {
    if (this.safety.estopped) return 'estop';
    if (!this.camera.isFresh(now)) return 'stale_input';
    if (this.jointStates && !this.jointStates.isFresh(now)) return 'stale_input';
    for (let i = 0; i < this.#states.length; i++) if (!this.#states[i]!.slot.isFresh(now)) return 'stale_input';
    return 'ok';
  }

  /**
   * Preprocess on arrival, so the tensor is ready when the tick starts. A frame never lands in the
   * tensor while the network reads it: the main-thread session reads it synchronously, and the
   * worker policy copies it to shared memory before signalling.
   * Returns an empty string on success, else why the frame was rejected (tensor untouched).
   */
  #preprocess(msg: Image | CompressedImage): string {
    let frame: RawFrame;
    this.#frameDecodeMs = 0;
    if ('format' in msg) {
      const decodeStart = this.#stopwatch();
      const decoded = decodeCompressed(msg.format, msg.data);
      this.#frameDecodeMs = this.#stopwatch() - decodeStart;
      if (!decoded.ok) return decoded.reason;
      frame = decoded.frame;
    } else {
      frame = msg;
    }
    return this.#preprocessor.process(frame, this.#cameraTensor) === 'ok' ? '' : this.#preprocessor.lastRejection;
  }

  /** Arm: the newest accepted joint positions become the measured position the safety layer holds. */
  #syncMeasured(): void {
    const reader = this.jointStateReader;
    if (reader?.hasPositions) this.safety.setMeasured(reader.positions);
  }

  #readState(): SafetyReason {
    const joints = this.jointStateReader;
    if (joints) {
      for (let t = 0; t < this.#jointTensors.length; t++) {
        const tensor = this.#jointTensors[t]!;
        for (let i = 0; i < tensor.length; i++) tensor[i] = joints.positions[i]!;
      }
    }
    for (let i = 0; i < this.#states.length; i++) {
      const s = this.#states[i]!;
      const v = s.path.read(s.slot.latest);
      if (!Number.isFinite(v)) {
        s.slot.reject(`field ${s.path.path} is not a finite number`);
        return 'bad_input';
      }
      s.target[s.index] = v;
    }
    return 'ok';
  }

  #publish(): void {
    if (!this.safety.commandValid) {
      this.counters.commandsWithheld++;
      return;
    }
    const message = this.#builder.fill(this.safety.command, this.#clock.stampMs());
    this.#commandPub.publish(message);
    this.counters.commandsPublished++;
  }

  readonly #onCamera = (msg: Image | CompressedImage): void => {
    if (this.#deferFrames && (this.#inTick || this.loop.dueWithinMs(FRAME_GUARD_MS))) {
      // Frames bunched up behind a late loop: the older one is taken in now rather than dropped.
      if (this.#pendingFrame && !this.#inTick) this.#takePendingFrame();
      this.#pendingFrame = msg;
      this.counters.framesDeferred++;
      return;
    }
    this.#takeFrame(msg);
  };

  #takePendingFrame(): void {
    const msg = this.#pendingFrame!;
    this.#pendingFrame = undefined;
    this.#takeFrame(msg);
  }

  #takeFrame(msg: Image | CompressedImage): void {
    if (!msg || typeof msg !== 'object' || !(msg.data instanceof Uint8Array)) {
      this.camera.reject('message has no byte data');
      this.#newestFrameRejected = true;
      return;
    }
    const start = this.#stopwatch();
    const rejection = this.#preprocess(msg);
    if (rejection) {
      this.camera.reject(rejection);
      this.#newestFrameRejected = true;
      return;
    }
    const frameMs = this.#stopwatch() - start;
    this.timeline.windows.preprocessMs.push(frameMs);
    if (this.#inTick) this.#chargeFrameToTick(frameMs);
    this.#newestFrameRejected = false;
    this.camera.put(msg);
    this.loop.onFrame();
  }

  /** A frame handled while a tick awaited its inference: its time shows in that tick's record. */
  #chargeFrameToTick(frameMs: number): void {
    const rec = this.timeline.last;
    rec.frameDecodeMs += this.#frameDecodeMs;
    rec.framePreprocessMs += frameMs - this.#frameDecodeMs;
  }

  readonly #onJointState = (msg: JointState): void => {
    const slot = this.jointStates!;
    const rejection = this.jointStateReader!.read(msg);
    if (rejection) {
      slot.reject(rejection);
      if (slot.rejected === 1) this.#log(`pilot: joint state rejected on ${slot.topic}: ${rejection} (counted; the arm holds position)`);
      this.#newestJointStateRejected = true;
      return;
    }
    this.#newestJointStateRejected = false;
    slot.put(msg);
  };

  /**
   * A live camera_info: handed to the preprocessor when its size or intrinsics change (cameras publish
   * it with every frame; the same geometry is not re-applied), so frames of its size use its geometry.
   */
  readonly #onCameraInfo = (info: CameraInfo): void => {
    const last = this.#lastCameraInfo;
    if (last && last.width === info.width && last.height === info.height && sameNumbers(last.k, info.k) && sameNumbers(last.d, info.d)) return;
    this.#lastCameraInfo = info;
    this.useCameraInfo(info, this.#cameraInfoTopic);
  };

  readonly #onEstop = (msg: Bool): void => {
    const engaged = msg?.data === true;
    if (engaged !== this.safety.estopped) this.#log(`pilot: e-stop ${engaged ? 'ENGAGED' : 'released'} via ${this.config.safety.estop_topic}`);
    this.safety.setEstop(engaged);
  };
}

/** V8's gc() (exposed at run time), asked for a young-generation collection. */
function minorGcFunction(): () => void {
  if (typeof globalThis.gc !== 'function') setFlagsFromString('--expose-gc');
  const gc = (typeof globalThis.gc === 'function' ? globalThis.gc : runInNewContext('gc')) as (options: { type: 'minor' }) => void;
  const options = { type: 'minor' as const };
  return () => gc(options);
}

/** Element-wise equality of two numeric arrays (camera_info's k and d). */
function sameNumbers(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

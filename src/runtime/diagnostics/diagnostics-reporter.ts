/**
 * Publishes diagnostic_msgs/DiagnosticArray on /diagnostics (1 Hz by default), the way ROS 2
 * diagnostic_updater does: one status per concern, values as key/value strings.
 */
import type { PilotConfig } from '../../core/config/schema.js';
import type { Clock, TimerHandle } from '../loop/clock.js';
import { DiagnosticLevel, type DiagnosticArray, type DiagnosticStatus } from '../../core/messages/types.js';
import { RELIABLE_QOS, type Publisher, type Transport } from '../../transport/transport.js';
import type { ArmDescription } from '../../core/kinematics/arm-description.js';
import type { CompressedImage, Image, JointState } from '../../core/messages/types.js';
import type { ChunkedInference } from '../chunking/chunked-inference.js';
import type { InputSlot } from '../input/input-slot.js';
import type { JointStateReader } from '../input/joint-state-reader.js';
import type { LoopRunner } from '../loop/loop-runner.js';
import type { Timeline } from '../loop/timeline.js';
import type { Policy } from '../policy/policy-session.js';
import type { CameraGeometry, CameraGeometryStats } from '../preprocess/camera-preprocessor.js';
import type { SafetyLayer } from '../safety/safety-layer.js';
import type { WorkspaceCheck } from '../safety/workspace-check.js';

export interface PilotCounters {
  /** Ticks whose inference finished after the deadline (result dropped, fallback published). */
  lateResults: number;
  policyErrors: number;
  commandsPublished: number;
  /** Arm: commands not published because no joint position was measured yet (any command would move it). */
  commandsWithheld: number;
  /** Camera frames preprocessed after a tick instead of on arrival (they came during it or just before it). */
  framesDeferred: number;
}

/** What the reporter reads of a running pilot (the runtime's DiagnosticsSource provides it). */
export interface DiagnosticsSource {
  readonly config: PilotConfig;
  readonly transport: Transport;
  readonly policy: Policy;
  readonly timeline: Timeline;
  readonly loop: LoopRunner;
  readonly safety: SafetyLayer;
  readonly camera: InputSlot<Image | CompressedImage>;
  readonly counters: PilotCounters;
  /** Reports built right after a tick instead of on their timer (realtime.gc_every_ticks and friends). */
  readonly housekeepingAfterTicks: boolean;
  readonly arm: ArmDescription | undefined;
  readonly jointStates: InputSlot<JointState> | undefined;
  readonly jointStateReader: JointStateReader | undefined;
  readonly workspace: WorkspaceCheck | undefined;
  readonly chunks: ChunkedInference | undefined;
  readonly cameraGeometry: { readonly current: CameraGeometry; readonly stats: Readonly<CameraGeometryStats>; readonly notices: readonly string[] };
}

export class DiagnosticsReporter {
  readonly #pilot: DiagnosticsSource;
  readonly #clock: Clock;
  readonly #periodMs: number;
  readonly #publisher: Publisher<DiagnosticArray>;
  #timer: TimerHandle | undefined;
  #lastTicks = 0;
  #lastMisses = 0;
  #lastAtMs = 0;
  /** Due while the loop ran: published right after the next tick (see afterTick). */
  #due = false;
  published = 0;

  constructor(pilot: DiagnosticsSource, transport: Transport, clock: Clock, config: PilotConfig['outputs']['diagnostics']) {
    this.#pilot = pilot;
    this.#clock = clock;
    this.#periodMs = 1000 / config.rate_hz;
    this.#publisher = transport.advertise<DiagnosticArray>(config.topic, 'diagnostic_msgs/msg/DiagnosticArray', RELIABLE_QOS);
  }

  start(): void {
    this.#lastAtMs = this.#clock.now();
    this.#timer = this.#clock.schedule(this.#lastAtMs + this.#periodMs, this.#fire);
  }

  stop(): void {
    if (this.#timer) this.#clock.cancel(this.#timer);
    this.#timer = undefined;
    this.#publisher.close();
  }

  readonly #fire = (): void => {
    const nextMs = this.#clock.now() + this.#periodMs;
    // Building the report sorts the latency windows (milliseconds): not inside a tick, nor just before one.
    if (this.#pilot.housekeepingAfterTicks) this.#due = true;
    else this.#publish();
    this.#timer = this.#clock.schedule(this.#due ? nextMs : this.#lastAtMs + this.#periodMs, this.#fire);
  };

  /** Called by the runtime right after each tick: publishes a report that fell due meanwhile. */
  afterTick(): void {
    if (!this.#due) return;
    this.#due = false;
    this.#publish();
  }

  #publish(): void {
    this.#publisher.publish(this.build());
    this.published++;
  }

  /** Snapshot of the runtime's health as a DiagnosticArray. */
  build(): DiagnosticArray {
    const p = this.#pilot;
    const now = this.#clock.now();
    const statuses: DiagnosticStatus[] = [this.#loopStatus(now), policyStatus(p), inputsStatus(p, now), safetyStatus(p)];
    if (p.arm) statuses.push(armStatus(p, now));
    if (p.chunks) statuses.push(queueStatus(p.chunks));
    const stamp = this.#clock.stampMs();
    const sec = Math.floor(stamp / 1000);
    return { header: { stamp: { sec, nanosec: Math.round((stamp - sec * 1000) * 1e6) }, frame_id: '' }, status: statuses };
  }

  /** The loop's rate and misses since the last report (and moves the window on). */
  #loopStatus(now: number): DiagnosticStatus {
    const p = this.#pilot;
    const elapsedS = Math.max(1e-9, (now - this.#lastAtMs) / 1000);
    const ticks = p.loop.stats.ticks;
    const misses = p.counters.lateResults;
    const rateHz = (ticks - this.#lastTicks) / elapsedS;
    const newMisses = misses - this.#lastMisses;
    this.#lastTicks = ticks;
    this.#lastMisses = misses;
    this.#lastAtMs = now;
    const lat = p.timeline.summary('tickLatencyMs');
    const inf = p.timeline.summary('inferenceMs');
    const expected = p.config.loop.rate_hz;
    const level = newMisses > 0 || rateHz < 0.9 * expected ? DiagnosticLevel.WARN : DiagnosticLevel.OK;
    return status(level, 'pilot: control loop', level === DiagnosticLevel.OK ? 'running' : 'deadline misses or low rate', {
      rate_hz: rateHz.toFixed(1),
      expected_rate_hz: String(expected),
      ticks: String(ticks),
      deadline_misses: String(misses),
      skipped_cycles: String(p.loop.stats.skippedCycles),
      tick_latency_p50_ms: fmt(lat.p50),
      tick_latency_p99_ms: fmt(lat.p99),
      tick_latency_max_ms: fmt(lat.max),
      inference_p50_ms: fmt(inf.p50),
      inference_p99_ms: fmt(inf.p99),
    });
  }
}

function policyStatus(p: DiagnosticsSource): DiagnosticStatus {
  return status(DiagnosticLevel.OK, 'pilot: policy', `${p.policy.contract.id} on ${p.policy.activeProvider}`, {
    model_id: p.policy.contract.id,
    model_path: p.policy.modelPath,
    execution_provider: p.policy.activeProvider,
    providers: p.policy.providerSummary,
    policy_errors: String(p.counters.policyErrors),
  });
}

function inputsStatus(p: DiagnosticsSource, now: number): DiagnosticStatus {
  const cam = p.camera.health(now);
  let sendDrops = 0;
  let gaps = 0;
  let decodeErrors = 0;
  let handlerErrors = 0;
  for (const s of p.transport.stats().values()) {
    sendDrops += s.sendDrops;
    gaps += s.receiveGaps;
    decodeErrors += s.decodeErrors;
    handlerErrors += s.handlerErrors;
  }
  return status(cam.alive ? DiagnosticLevel.OK : DiagnosticLevel.ERROR, 'pilot: inputs', cam.alive ? 'fresh' : 'camera stale', {
    camera_topic: p.camera.topic,
    camera_age_ms: fmt(cam.ageMs),
    camera_rate_hz: cam.rateHz.toFixed(1),
    frames_received: String(p.camera.received),
    frames_rejected: String(p.camera.rejected),
    last_rejection: p.camera.lastRejection,
    // Frames of another size than the calibration's: sampled with scaled intrinsics or camera_info's.
    camera_geometry: describeGeometry(p),
    frames_scaled_intrinsics: String(p.cameraGeometry.stats.scaledFrames),
    frames_camera_info_geometry: String(p.cameraGeometry.stats.cameraInfoFrames),
    transport_send_drops: String(sendDrops),
    // Gaps include the publisher's own send drops when both ends share a process.
    transport_receive_gaps: String(gaps),
    transport_decode_errors: String(decodeErrors),
    transport_handler_errors: String(handlerErrors),
  });
}

function safetyStatus(p: DiagnosticsSource): DiagnosticStatus {
  const by = p.safety.counters.byReason;
  const level = p.safety.estopped || p.safety.lastReason === 'stale_input' ? DiagnosticLevel.ERROR : p.safety.lastReason === 'ok' ? DiagnosticLevel.OK : DiagnosticLevel.WARN;
  return status(level, 'pilot: safety', p.safety.estopped ? 'E-STOP' : p.safety.lastReason, {
    estop: String(p.safety.estopped),
    last_reason: p.safety.lastReason,
    clamped: String(p.safety.counters.clamped),
    slew_limited: String(p.safety.counters.slewLimited),
    ...Object.fromEntries(p.safety.reasons.map((k) => [`ticks_${k}`, String(by[k])])),
  });
}

/** A chunked policy's action queue: WARN once it ran empty (fallbacks, like deadline misses). */
function queueStatus(c: ChunkedInference): DiagnosticStatus {
  const empty = c.counters.emptyQueueFallbacks > 0;
  return status(empty ? DiagnosticLevel.WARN : DiagnosticLevel.OK, 'pilot: action queue', empty ? 'queue ran empty (fallbacks)' : 'ok', c.diagnostics());
}

/** `calibration 320x240`, `scaled ×0.5 to 160x120`, `camera_info 640x480`. */
function describeGeometry(p: DiagnosticsSource): string {
  const g = p.cameraGeometry.current;
  if (g.source === 'scaled') return `scaled ×${Number(g.scaleX.toFixed(4))}${g.scaleX !== g.scaleY ? `/${Number(g.scaleY.toFixed(4))}` : ''} to ${g.widthPx}x${g.heightPx}`;
  return `${g.source} ${g.widthPx}x${g.heightPx}`;
}

/** Arm: joint-state input health, measured and commanded joints, limit interventions, the workspace. */
function armStatus(p: DiagnosticsSource, now: number): DiagnosticStatus {
  const arm = p.arm!;
  const slot = p.jointStates!;
  const reader = p.jointStateReader!;
  const js = slot.health(now);
  const ws = p.workspace;
  const reason = p.safety.lastReason;
  let level: number = DiagnosticLevel.OK;
  let message = 'joint states fresh';
  if (!reader.hasPositions) [level, message] = [DiagnosticLevel.ERROR, 'no joint state yet: no command sent'];
  else if (!js.alive) [level, message] = [DiagnosticLevel.ERROR, 'joint states stale: holding the measured position'];
  else if (reason === 'workspace') [level, message] = [DiagnosticLevel.WARN, 'target outside the workspace: holding'];
  else if (reason === 'bad_input' && slot.rejected > 0) [level, message] = [DiagnosticLevel.WARN, `bad input, holding; last joint state rejection: ${slot.lastRejection}`];
  const joints = (values: ArrayLike<number>) => arm.jointNames.map((_, i) => fmt(values[i]!)).join(', ');
  return status(level, 'pilot: arm', message, {
    description: arm.source,
    joints: arm.jointNames.join(', '),
    joint_states_topic: slot.topic,
    joint_states_age_ms: fmt(js.ageMs),
    joint_states_rate_hz: js.rateHz.toFixed(1),
    joint_states_received: String(slot.received),
    joint_states_rejected: String(slot.rejected),
    last_rejection: slot.lastRejection,
    measured_rad: reader.hasPositions ? joints(reader.positions) : 'n/a',
    commanded_rad: p.safety.commandValid ? joints(p.safety.command) : 'n/a',
    commands_withheld: String(p.counters.commandsWithheld),
    position_clamped: String(p.safety.counters.clamped),
    velocity_limited: String(p.safety.counters.slewLimited),
    acceleration_limited: String(p.safety.counters.accelerationLimited),
    workspace_check: ws ? 'on' : 'off',
    workspace_held: String(p.safety.counters.byReason.workspace),
    last_outside_tool_point_m: ws && ws.outside > 0 ? Array.from(ws.lastOutsidePoint, (v) => v.toFixed(3)).join(', ') : 'none',
  });
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toFixed(3) : 'n/a';
}

function status(level: number, name: string, message: string, values: Record<string, string>): DiagnosticStatus {
  return {
    level,
    name,
    message,
    hardware_id: 'pilot',
    values: Object.entries(values).map(([key, value]) => ({ key, value })),
  };
}

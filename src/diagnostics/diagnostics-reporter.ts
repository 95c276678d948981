/**
 * Publishes diagnostic_msgs/DiagnosticArray on /diagnostics (1 Hz by default), the way ROS 2
 * diagnostic_updater does: one status per concern, values as key/value strings.
 */
import type { PilotConfig } from '../config/schema.js';
import type { Clock, TimerHandle } from '../loop/clock.js';
import { DiagnosticLevel, type DiagnosticArray, type DiagnosticStatus } from '../messages/types.js';
import { RELIABLE_QOS, type Publisher, type Transport } from '../transport/transport.js';
import type { Pilot } from '../runtime/pilot.js';

export class DiagnosticsReporter {
  readonly #pilot: Pilot;
  readonly #clock: Clock;
  readonly #periodMs: number;
  readonly #publisher: Publisher<DiagnosticArray>;
  #timer: TimerHandle | undefined;
  #lastTicks = 0;
  #lastMisses = 0;
  #lastAtMs = 0;
  published = 0;

  constructor(pilot: Pilot, transport: Transport, clock: Clock, config: PilotConfig['outputs']['diagnostics']) {
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
    this.#publisher.publish(this.build());
    this.published++;
    this.#timer = this.#clock.schedule(this.#lastAtMs + this.#periodMs, this.#fire);
  };

  /** Snapshot of the runtime's health as a DiagnosticArray. */
  build(): DiagnosticArray {
    const p = this.#pilot;
    const now = this.#clock.now();
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
    const loopLevel = newMisses > 0 || rateHz < 0.9 * expected ? DiagnosticLevel.WARN : DiagnosticLevel.OK;
    const cam = p.camera.health(now);
    const by = p.safety.counters.byReason;
    const safetyLevel = p.safety.estopped || p.safety.lastReason === 'stale_input' ? DiagnosticLevel.ERROR : p.safety.lastReason === 'ok' ? DiagnosticLevel.OK : DiagnosticLevel.WARN;
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
    const stamp = this.#clock.stampMs();
    const sec = Math.floor(stamp / 1000);
    const statuses: DiagnosticStatus[] = [
      status(loopLevel, 'pilot: control loop', loopLevel === DiagnosticLevel.OK ? 'running' : 'deadline misses or low rate', {
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
      }),
      status(DiagnosticLevel.OK, 'pilot: policy', `${p.policy.contract.id} on ${p.policy.activeProvider}`, {
        model_id: p.policy.contract.id,
        model_path: p.policy.modelPath,
        execution_provider: p.policy.activeProvider,
        providers: p.policy.providerSummary,
        policy_errors: String(p.counters.policyErrors),
      }),
      status(cam.alive ? DiagnosticLevel.OK : DiagnosticLevel.ERROR, 'pilot: inputs', cam.alive ? 'fresh' : 'camera stale', {
        camera_topic: p.camera.topic,
        camera_age_ms: fmt(cam.ageMs),
        camera_rate_hz: cam.rateHz.toFixed(1),
        frames_received: String(p.camera.received),
        frames_rejected: String(p.camera.rejected),
        last_rejection: p.camera.lastRejection,
        transport_send_drops: String(sendDrops),
        // Gaps include the publisher's own send drops when both ends share a process.
        transport_receive_gaps: String(gaps),
        transport_decode_errors: String(decodeErrors),
        transport_handler_errors: String(handlerErrors),
      }),
      status(safetyLevel, 'pilot: safety', p.safety.estopped ? 'E-STOP' : p.safety.lastReason, {
        estop: String(p.safety.estopped),
        last_reason: p.safety.lastReason,
        clamped: String(p.safety.counters.clamped),
        slew_limited: String(p.safety.counters.slewLimited),
        ...Object.fromEntries(Object.entries(by).map(([k, v]) => [`ticks_${k}`, String(v)])),
      }),
    ];
    return { header: { stamp: { sec, nanosec: Math.round((stamp - sec * 1000) * 1e6) }, frame_id: '' }, status: statuses };
  }
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

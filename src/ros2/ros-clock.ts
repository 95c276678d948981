/**
 * Simulated time from `/clock` (rosgraph_msgs/Clock), for `use_sim_time`: the loop, input ages and
 * message stamps follow the time a simulator or `ros2 bag play --clock` publishes, like rclcpp's
 * ROS time. Timers fire when a /clock message moves time past their due time, each at its own due
 * time and in order (so a 50 Hz loop under a 100 Hz clock ticks every 20 ms of sim time).
 *
 * Before the first /clock message time is 0 and nothing fires; `ready` says whether one arrived.
 * Time never goes backwards: an older /clock message (a bag played with --loop restarting) is ignored
 * and counted, and the node logs it once.
 */
import type { Clock, TimerHandle } from '../runtime/loop/clock.js';
import { ManualClock } from '../runtime/loop/clock.js';
import { msFromTime } from '../core/messages/time.js';
import type { ClockMsg } from '../core/messages/types.js';
import { SENSOR_QOS, type Subscription, type Transport } from '../transport/transport.js';

export interface RosTimeClockOptions {
  readonly topic?: string;
  /** Called once for the first backwards jump (later ones are only counted). */
  readonly onJumpBack?: (fromMs: number, toMs: number) => void;
}

export class RosTimeClock implements Clock {
  /** /clock messages older than the current time, ignored. */
  jumpsBack = 0;
  readonly #clock = new ManualClock({ startMs: 0, epochMs: 0 });
  readonly #subscription: Subscription;
  readonly #onJumpBack: ((fromMs: number, toMs: number) => void) | undefined;
  readonly #waiters: (() => void)[] = [];
  #ready = false;

  constructor(transport: Transport, options: RosTimeClockOptions = {}) {
    this.#onJumpBack = options.onJumpBack;
    this.#subscription = transport.subscribe<ClockMsg>(options.topic ?? '/clock', 'rosgraph_msgs/msg/Clock', (msg) => this.set(msFromTime(msg.clock)), SENSOR_QOS);
  }

  /** Whether a /clock message has arrived. */
  get ready(): boolean {
    return this.#ready;
  }

  /** Resolves at the first /clock message (at once if one arrived). */
  whenReady(): Promise<void> {
    return this.#ready ? Promise.resolve() : new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Moves sim time to `ms` (what a /clock message does), firing due timers in order. */
  set(ms: number): void {
    if (!Number.isFinite(ms)) return;
    const now = this.#clock.now();
    if (this.#ready && ms < now) {
      if (this.jumpsBack++ === 0) this.#onJumpBack?.(now, ms);
      return;
    }
    if (!this.#ready) {
      // The first message defines time; nothing was scheduled against a meaningful time before it.
      this.#clock.setNow(ms);
      this.#ready = true;
      for (const resolve of this.#waiters.splice(0)) resolve();
    }
    this.#clock.advanceTo(ms);
  }

  now(): number {
    return this.#clock.now();
  }

  /** Sim time is a time since the epoch (or since the simulation started), used as is for stamps. */
  stampMs(): number {
    return this.#clock.now();
  }

  schedule(atMs: number, callback: () => void): TimerHandle {
    return this.#clock.schedule(atMs, callback);
  }

  cancel(handle: TimerHandle): void {
    this.#clock.cancel(handle);
  }

  close(): void {
    this.#subscription.close();
  }
}

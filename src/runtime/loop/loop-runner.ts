/**
 * Runs a control task at a fixed rate, or once per camera frame, on an injected clock.
 * Drift-free (tick k is due at start + k·period), never bursts: a cycle that is missed because the
 * previous tick overran or the process stalled is skipped and counted, not run late.
 */
import type { Clock, TimerHandle } from './clock.js';

export interface LoopTask {
  /**
   * One control cycle: read inputs, infer, publish. `scheduledMs` is when the cycle was due,
   * `deadlineAtMs` when its command must be out. Must not throw (errors become fallback commands).
   */
  tick(scheduledMs: number, deadlineAtMs: number): Promise<void> | void;
}

export interface LoopRunnerOptions {
  readonly clock: Clock;
  readonly periodMs: number;
  readonly deadlineMs: number;
  readonly trigger: 'timer' | 'camera';
  /** Camera mode: run a tick anyway when no frame arrives for this long (so stale input still stops). */
  readonly watchdogMs?: number;
}

export interface LoopRunnerStats {
  ticks: number;
  /** Cycles not run because the previous tick was still running or the timer woke up too late. */
  skippedCycles: number;
  /** Camera frames that arrived while a tick was running (camera mode). */
  framesWhileBusy: number;
  /** Largest lateness of a tick start versus its due time, ms. */
  maxStartLatenessMs: number;
}

export class LoopRunner {
  readonly stats: LoopRunnerStats = { ticks: 0, skippedCycles: 0, framesWhileBusy: 0, maxStartLatenessMs: 0 };
  readonly #clock: Clock;
  readonly #task: LoopTask;
  #running = false;
  #busy = false;
  #startMs = 0;
  #k = 0;
  #timer: TimerHandle | undefined;
  #idle: Promise<void> = Promise.resolve();
  #resolveIdle: (() => void) | undefined;
  readonly #onTimer = (): void => this.#timerFired();
  readonly #onWatchdog = (): void => this.#watchdogFired();

  constructor(readonly options: LoopRunnerOptions, task: LoopTask) {
    if (!(options.periodMs > 0)) throw new RangeError(`loop period must be positive, got ${options.periodMs} ms`);
    if (!(options.deadlineMs > 0 && options.deadlineMs <= options.periodMs)) {
      throw new RangeError(`loop deadline must be in (0, period=${options.periodMs}] ms, got ${options.deadlineMs} ms`);
    }
    this.#clock = options.clock;
    this.#task = task;
  }

  get running(): boolean {
    return this.#running;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#startMs = this.#clock.now();
    this.#k = 0;
    if (this.options.trigger === 'timer') this.#armTimer(this.#startMs);
    else this.#armWatchdog();
  }

  /** Stop scheduling; resolves when the tick in progress (if any) has finished. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer) this.#clock.cancel(this.#timer);
    this.#timer = undefined;
    await this.#idle;
  }

  /** Timer mode, running: whether the next tick is due within `ms` (inputs can wait until after it). */
  dueWithinMs(ms: number): boolean {
    if (!this.#running || this.options.trigger !== 'timer') return false;
    return this.#startMs + this.#k * this.options.periodMs - this.#clock.now() < ms;
  }

  /** Resolves when no tick is in progress (tests and lockstep simulation step with this). */
  whenIdle(): Promise<void> {
    return this.#idle;
  }

  /** Camera mode: a new frame arrived. At most one tick in flight: a frame during a tick is skipped. */
  onFrame(): void {
    if (!this.#running || this.options.trigger !== 'camera') return;
    if (this.#busy) {
      this.stats.framesWhileBusy++;
      return;
    }
    const now = this.#clock.now();
    this.#armWatchdog();
    this.#run(now, now);
  }

  #armTimer(dueMs: number): void {
    this.#timer = this.#clock.schedule(dueMs, this.#onTimer);
  }

  #armWatchdog(): void {
    if (this.#timer) this.#clock.cancel(this.#timer);
    const watchdogMs = this.options.watchdogMs ?? 2 * this.options.periodMs;
    this.#timer = this.#clock.schedule(this.#clock.now() + watchdogMs, this.#onWatchdog);
  }

  #watchdogFired(): void {
    this.#timer = undefined;
    if (!this.#running) return;
    this.#armWatchdog();
    if (!this.#busy) {
      const now = this.#clock.now();
      this.#run(now, now);
    }
  }

  #timerFired(): void {
    this.#timer = undefined;
    if (!this.#running) return;
    const period = this.options.periodMs;
    const now = this.#clock.now();
    const due = this.#startMs + this.#k * period;
    // Cycles whose due time has fully passed are skipped, not run in a burst.
    const behind = Math.floor((now - due) / period);
    if (behind > 0) {
      this.stats.skippedCycles += behind;
      this.#k += behind;
    }
    const scheduled = this.#startMs + this.#k * period;
    this.#k++;
    if (this.#busy) this.stats.skippedCycles++;
    else this.#run(scheduled, now);
    this.#armTimer(this.#startMs + this.#k * period);
  }

  #run(scheduledMs: number, startedMs: number): void {
    this.#busy = true;
    this.stats.ticks++;
    const lateness = startedMs - scheduledMs;
    if (lateness > this.stats.maxStartLatenessMs) this.stats.maxStartLatenessMs = lateness;
    this.#idle = new Promise((resolve) => (this.#resolveIdle = resolve));
    const result = this.#task.tick(scheduledMs, scheduledMs + this.options.deadlineMs);
    if (result) result.then(this.#done, this.#done);
    else this.#done();
  }

  readonly #done = (): void => {
    this.#busy = false;
    this.#resolveIdle?.();
  };
}

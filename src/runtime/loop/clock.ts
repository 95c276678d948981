/**
 * Time source injected into everything that needs "now": the loop owns time, nothing reads the
 * system clock directly, so the simulator and replay drive the same code deterministically.
 */
export interface Clock {
  /** Monotonic time in milliseconds (fractional). Loop scheduling, ages and latencies use this. */
  now(): number;
  /** Time for message stamps in ms since the epoch (wall time, or sim time under /clock). */
  stampMs(): number;
  /** Call `callback` once when `now()` reaches `atMs`. Returns a handle for `cancel`. */
  schedule(atMs: number, callback: () => void): TimerHandle;
  cancel(handle: TimerHandle): void;
}

export type TimerHandle = { readonly id: number };

/**
 * Timers in wall time, for the clocks that follow the wall (WallClock, replay's ScaledWallClock):
 * setTimeout for the coarse wait and setImmediate for the last stretch, because setTimeout alone
 * wakes up to ~1 ms late. A subclass says how its time maps to wall time (`wallAt`).
 */
export abstract class WallTimerClock implements Clock {
  /** How long before the due time to stop sleeping and poll instead. */
  readonly #spinMs: number;
  #nextId = 1;
  readonly #live = new Set<number>();

  constructor(spinMs = 1.5) {
    this.#spinMs = spinMs;
  }

  abstract now(): number;

  abstract stampMs(): number;

  /** Wall milliseconds (performance.now()) at which this clock's time `ms` is reached. */
  abstract wallAt(ms: number): number;

  /** The wall due time is fixed when scheduling: a later change of the clock's mapping does not move it. */
  schedule(atMs: number, callback: () => void): TimerHandle {
    const handle = { id: this.#nextId++ };
    this.#live.add(handle.id);
    const wallDue = this.wallAt(atMs);
    const poll = (): void => {
      if (!this.#live.has(handle.id)) return;
      const remaining = wallDue - performance.now();
      if (remaining <= 0) {
        this.#live.delete(handle.id);
        callback();
      } else if (remaining > this.#spinMs) {
        setTimeout(poll, remaining - this.#spinMs);
      } else {
        setImmediate(poll);
      }
    };
    poll();
    return handle;
  }

  cancel(handle: TimerHandle): void {
    this.#live.delete(handle.id);
  }
}

/** Wall clock: performance.now() for monotonic time, its timers those of WallTimerClock. */
export class WallClock extends WallTimerClock {
  readonly #epochOffsetMs = Date.now() - performance.now();

  /** `spinMs`: how long before the due time to stop sleeping and poll instead (default 1.5). */
  constructor(options: { spinMs?: number } = {}) {
    super(options.spinMs);
  }

  now(): number {
    return performance.now();
  }

  stampMs(): number {
    return this.#epochOffsetMs + performance.now();
  }

  /** This clock's time is wall time. */
  wallAt(ms: number): number {
    return ms;
  }
}

/**
 * Manually advanced clock for tests, lockstep simulation and as-fast-as-possible replay.
 * `advanceTo` fires due timers in time order; time never goes backwards.
 */
export class ManualClock implements Clock {
  #nowMs: number;
  readonly #epochMs: number;
  #nextId = 1;
  #timers: { id: number; atMs: number; callback: () => void }[] = [];

  constructor(options: { startMs?: number; epochMs?: number } = {}) {
    this.#nowMs = options.startMs ?? 0;
    this.#epochMs = options.epochMs ?? 0;
  }

  now(): number {
    return this.#nowMs;
  }

  stampMs(): number {
    return this.#epochMs + this.#nowMs;
  }

  schedule(atMs: number, callback: () => void): TimerHandle {
    const id = this.#nextId++;
    this.#timers.push({ id, atMs, callback });
    return { id };
  }

  cancel(handle: TimerHandle): void {
    this.#timers = this.#timers.filter((t) => t.id !== handle.id);
  }

  /** Due time of the earliest pending timer, or undefined. */
  nextDueMs(): number | undefined {
    let best: number | undefined;
    for (const t of this.#timers) if (best === undefined || t.atMs < best) best = t.atMs;
    return best;
  }

  /** Advance to `targetMs`, firing each timer at its own due time (timers may schedule more). */
  advanceTo(targetMs: number): void {
    if (targetMs < this.#nowMs) throw new RangeError(`ManualClock cannot go back from ${this.#nowMs} to ${targetMs} ms`);
    for (;;) {
      const due = this.nextDueMs();
      if (due === undefined || due > targetMs) break;
      this.fireNext();
    }
    this.#nowMs = targetMs;
  }

  /**
   * Fires the earliest timer (ties in scheduling order), moving time to its due time. Replay steps
   * with this and `setNow`, so it can stop *at* a message's time before the tick due then runs.
   */
  fireNext(): boolean {
    const due = this.nextDueMs();
    if (due === undefined) return false;
    const index = this.#timers.findIndex((t) => t.atMs === due);
    const [timer] = this.#timers.splice(index, 1);
    this.#nowMs = Math.max(this.#nowMs, due);
    timer!.callback();
    return true;
  }

  /** Moves time to `ms` without firing anything (timers due before it must have been fired). */
  setNow(ms: number): void {
    if (ms < this.#nowMs) throw new RangeError(`ManualClock cannot go back from ${this.#nowMs} to ${ms} ms`);
    this.#nowMs = ms;
  }

  advanceBy(deltaMs: number): void {
    this.advanceTo(this.#nowMs + deltaMs);
  }
}

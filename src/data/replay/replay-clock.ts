/**
 * Clocks for replay. Both count milliseconds from the start of the replayed window (bag time), and
 * stamp messages with bag time (`epochMs` = the window start in ms since the epoch), so predicted
 * commands line up with the recorded ones whatever the mode.
 *
 * - As fast as possible (deterministic): a ManualClock the replay loop steps with `fireNext` and
 *   `setNow`, so it can stop *at* a message's time without firing the timers due then: a frame
 *   recorded at t is in the runtime before the tick due at t runs, as in the simulator's lockstep.
 * - `ScaledWallClock` (real time): bag time = wall time × rate since start.
 */
import { WallTimerClock } from '../../runtime/loop/clock.js';

/**
 * Wall time scaled by `rate` from the moment of construction: `now()` is `startMs` plus the wall
 * milliseconds since then × rate. Its timers are the loop's wall timers (WallTimerClock), due at
 * `wallAt` of their time.
 */
export class ScaledWallClock extends WallTimerClock {
  readonly #epochMs: number;
  readonly #rate: number;
  #startMs: number;
  #wallStart: number;

  constructor(options: { epochMs?: number; startMs?: number; rate?: number } = {}) {
    super();
    const rate = options.rate ?? 1;
    if (!(rate > 0 && Number.isFinite(rate))) throw new RangeError(`replay rate must be a positive number, got ${rate}`);
    this.#epochMs = options.epochMs ?? 0;
    this.#startMs = options.startMs ?? 0;
    this.#rate = rate;
    this.#wallStart = performance.now();
  }

  get rate(): number {
    return this.#rate;
  }

  now(): number {
    return this.#startMs + (performance.now() - this.#wallStart) * this.#rate;
  }

  stampMs(): number {
    return this.#epochMs + this.now();
  }

  /** Restarts the scale: `now()` is `startMs` at this instant. Timers already scheduled keep their wall times. */
  anchor(startMs: number): void {
    this.#startMs = startMs;
    this.#wallStart = performance.now();
  }

  /** Wall milliseconds (performance.now()) at which bag time `ms` is reached. */
  wallAt(ms: number): number {
    return this.#wallStart + (ms - this.#startMs) / this.#rate;
  }

  /** Resolves once bag time `ms` is reached (or at once if it has passed). */
  waitUntil(ms: number): Promise<void> {
    return new Promise((resolve) => this.schedule(ms, resolve));
  }
}

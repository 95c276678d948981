/**
 * The newest sample of one input topic with its arrival time, plus health derived from it
 * (alive, age, rate). The loop reads the slot; the transport callback only overwrites it.
 */
import type { Clock } from '../loop/clock.js';

export interface InputHealth {
  readonly alive: boolean;
  readonly ageMs: number;
  readonly rateHz: number;
}

export class InputSlot<T> {
  latest: T | undefined = undefined;
  /** Clock time of the newest arrival. */
  receivedAtMs = -Infinity;
  /** Samples received (valid ones stored). */
  received = 0;
  /** Samples rejected (wrong type, size, encoding, undecodable) with the last reason. */
  rejected = 0;
  lastRejection = '';
  #intervalMs = 0;

  constructor(
    readonly topic: string,
    readonly type: string,
    readonly maxAgeMs: number,
    readonly expectedRateHz: number | undefined,
    readonly clock: Clock,
  ) {}

  put(sample: T): void {
    const now = this.clock.now();
    if (this.received > 0) {
      const dt = now - this.receivedAtMs;
      // Exponential average of the arrival interval (about 10 samples of memory), inverted: averaging
      // instantaneous rates (1000/Δt) overstates an uneven stream (a 25 Hz camera read 30 Hz).
      if (dt >= 0) this.#intervalMs = this.#intervalMs === 0 ? dt : 0.9 * this.#intervalMs + 0.1 * dt;
    }
    this.latest = sample;
    this.receivedAtMs = now;
    this.received++;
  }

  reject(reason: string): void {
    this.rejected++;
    this.lastRejection = reason;
  }

  ageMs(now: number = this.clock.now()): number {
    return now - this.receivedAtMs;
  }

  isFresh(now: number = this.clock.now()): boolean {
    return this.latest !== undefined && now - this.receivedAtMs <= this.maxAgeMs;
  }

  health(now: number = this.clock.now()): InputHealth {
    return { alive: this.isFresh(now), ageMs: this.ageMs(now), rateHz: this.#intervalMs > 0 ? 1000 / this.#intervalMs : 0 };
  }
}

/**
 * The time the live view stamps messages with (their log time) and tells viewers: wall time, until
 * sim or bag time is set (a simulator's /clock, a lockstep step, a bag message's log time); from then
 * on that time, so a lockstep drive shows its own timing however fast it runs.
 */
import { wallClockNs } from '../data/bags/recorder.js';

export class LiveClock {
  readonly #wallNs = wallClockNs();
  readonly #onTime: (timeNs: bigint) => void;
  #simNs: bigint | undefined;

  /** `onTime`: called with each sim/bag time set (the server broadcasts it to viewers). */
  constructor(onTime: (timeNs: bigint) => void = () => {}) {
    this.#onTime = onTime;
  }

  /** Whether sim/bag time has been set. */
  get simulated(): boolean {
    return this.#simNs !== undefined;
  }

  nowNs(): bigint {
    return this.#simNs ?? this.#wallNs();
  }

  setNs(timeNs: bigint): void {
    if (timeNs === this.#simNs) return;
    this.#simNs = timeNs;
    this.#onTime(timeNs);
  }

  setMs(timeMs: number): void {
    this.setNs(BigInt(Math.round(timeMs * 1e6)));
  }
}

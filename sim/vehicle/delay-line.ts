/**
 * Fixed-size delay line for drive commands, keyed by sim time: a command pushed at t takes effect
 * at t + delay. Typed-array ring, so pushing and releasing never allocate.
 */
import type { DriveCommand } from './types.js';

/** Sim-time comparisons tolerate float error from summing substeps (t0 + k·h vs t0 + delay). */
const TIME_EPS_S = 1e-9;

export class CommandDelayLine {
  readonly capacity: number;
  /** Pushes that found the line full and replaced the newest pending command instead. */
  overflows = 0;
  readonly #atS: Float64Array;
  readonly #steeringRad: Float64Array;
  readonly #speedMps: Float64Array;
  #head = 0;
  #count = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.#atS = new Float64Array(capacity);
    this.#steeringRad = new Float64Array(capacity);
    this.#speedMps = new Float64Array(capacity);
  }

  get size(): number {
    return this.#count;
  }

  /** Queue `cmd` to take effect at `effectiveAtS`; times never go backwards (no reordering). */
  push(cmd: DriveCommand, effectiveAtS: number): void {
    let at = effectiveAtS;
    if (this.#count > 0) {
      const last = (this.#head + this.#count - 1) % this.capacity;
      if (at < this.#atS[last]!) at = this.#atS[last]!;
      if (this.#count === this.capacity) {
        // Full: the newest pending entry takes the newer value, older timing stays intact.
        this.overflows++;
        this.#steeringRad[last] = cmd.steeringRad;
        this.#speedMps[last] = cmd.speedMps;
        return;
      }
    }
    const i = (this.#head + this.#count) % this.capacity;
    this.#atS[i] = at;
    this.#steeringRad[i] = cmd.steeringRad;
    this.#speedMps[i] = cmd.speedMps;
    this.#count++;
  }

  /** Write the newest command due at `nowS` into `out`; false when none was due. */
  release(nowS: number, out: DriveCommand): boolean {
    let released = false;
    while (this.#count > 0 && this.#atS[this.#head]! <= nowS + TIME_EPS_S) {
      out.steeringRad = this.#steeringRad[this.#head]!;
      out.speedMps = this.#speedMps[this.#head]!;
      this.#head = (this.#head + 1) % this.capacity;
      this.#count--;
      released = true;
    }
    return released;
  }

  clear(): void {
    this.#head = 0;
    this.#count = 0;
  }
}

/**
 * Position-controlled joints, like a ros2_control forward position controller on servo motors: each
 * joint tracks its position target as fast as its velocity and acceleration limits allow, braking in
 * time to stop on the target (a trapezoidal profile), and never leaves its position limits.
 * Pure and stepped with an explicit dt; allocates nothing per step.
 */
import type { ArmJointLimits } from '../../src/core/kinematics/index.js';
import { PilotError } from '../../src/core/util/errors.js';

export class JointDynamics {
  readonly n: number;
  /** Joint positions (rad), description order. */
  readonly position: Float64Array;
  /** Joint velocities (rad/s). */
  readonly velocity: Float64Array;
  /** Position targets (rad), always within the limits. */
  readonly target: Float64Array;
  readonly #lower: Float64Array;
  readonly #upper: Float64Array;
  readonly #vMax: Float64Array;
  readonly #aMax: Float64Array;

  constructor(limits: readonly ArmJointLimits[], initial: ArrayLike<number>) {
    this.n = limits.length;
    if (initial.length !== this.n) throw new PilotError('E_ARM_STATE', `initial joint positions: ${initial.length} values for ${this.n} joints`);
    this.#lower = Float64Array.from(limits, (l) => l.lower);
    this.#upper = Float64Array.from(limits, (l) => l.upper);
    this.#vMax = Float64Array.from(limits, (l) => l.maxVelocity);
    this.#aMax = Float64Array.from(limits, (l) => l.maxAcceleration);
    this.position = new Float64Array(this.n);
    this.velocity = new Float64Array(this.n);
    this.target = new Float64Array(this.n);
    this.reset(initial);
  }

  /** At rest at `q` (clamped to the limits), target = q. */
  reset(q: ArrayLike<number>): void {
    for (let i = 0; i < this.n; i++) {
      const v = q[i]!;
      if (!Number.isFinite(v)) throw new PilotError('E_ARM_STATE', `joint ${i}: position ${v} is not finite`);
      this.position[i] = this.target[i] = Math.min(this.#upper[i]!, Math.max(this.#lower[i]!, v));
      this.velocity[i] = 0;
    }
  }

  /**
   * Sets the position targets, clamped to the position limits. Returns how many joints had to be
   * clamped (0 when the command was within limits). Non-finite values keep the previous target and
   * count as clamped.
   */
  setTarget(q: ArrayLike<number>): number {
    let clamped = 0;
    for (let i = 0; i < this.n; i++) {
      const v = q[i]!;
      if (!Number.isFinite(v)) {
        clamped++;
        continue;
      }
      const c = Math.min(this.#upper[i]!, Math.max(this.#lower[i]!, v));
      if (c !== v) clamped++;
      this.target[i] = c;
    }
    return clamped;
  }

  /**
   * Advances by `dtS`: per joint, accelerate (within the limit) towards the fastest velocity that can
   * still stop on the target. Semi-implicit Euler (q += v₁·dt), with the stopping speed of the discrete
   * braking sequence, v₁²/2a + v₁·dt/2 ≤ distance, so the joint lands on its target without overshoot.
   */
  step(dtS: number): void {
    for (let i = 0; i < this.n; i++) {
      const error = this.target[i]! - this.position[i]!;
      const a = this.#aMax[i]!;
      const distance = Math.abs(error);
      let speed = Math.min(this.#vMax[i]!, distance / dtS);
      if (Number.isFinite(a)) speed = Math.min(speed, a * (Math.sqrt((dtS * dtS) / 4 + (2 * distance) / a) - dtS / 2));
      const wanted = Math.sign(error) * speed;
      const v0 = this.velocity[i]!;
      const dvMax = Number.isFinite(a) ? a * dtS : Infinity;
      let v = v0 + Math.min(dvMax, Math.max(-dvMax, wanted - v0));
      let q = this.position[i]! + v * dtS;
      if (q <= this.#lower[i]!) {
        q = this.#lower[i]!;
        v = Math.max(0, v);
      } else if (q >= this.#upper[i]!) {
        q = this.#upper[i]!;
        v = Math.min(0, v);
      }
      this.position[i] = q;
      this.velocity[i] = v;
    }
  }
}

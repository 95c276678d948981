/**
 * The arm's workspace as a safety check: forward kinematics of a joint-position vector, and how far the
 * tool point lies outside the description's axis-aligned box (base frame; 0 inside). Allocation-free; the chain and the
 * scratch point are its own, so it never shares state with the simulator or another user.
 */
import type { ArmDescription } from '../../core/kinematics/arm-description.js';
import type { KinematicChain } from '../../core/kinematics/forward-kinematics.js';
import type { CommandCheck } from './safety-layer.js';

export class WorkspaceCheck implements CommandCheck {
  readonly name = 'workspace';
  readonly min: readonly [number, number, number];
  readonly max: readonly [number, number, number];
  /** Positions checked, and found outside, so far. */
  checked = 0;
  outside = 0;
  /** Tool point (m, base frame) of the last position found outside; NaN before any. */
  readonly lastOutsidePoint = new Float64Array([NaN, NaN, NaN]);
  /** Tool point of the last position checked. */
  readonly lastPoint = new Float64Array(3);
  readonly #chain: KinematicChain;

  constructor(arm: ArmDescription) {
    this.#chain = arm.createChain();
    this.min = arm.workspace.min;
    this.max = arm.workspace.max;
  }

  /** q: joint positions in the arm's joint order. 0 inside the box, else the tool point's distance to it (m). */
  violation(q: Float64Array): number {
    this.#chain.solve(q);
    const p = this.#chain.toolPosition(this.lastPoint);
    this.checked++;
    let sq = 0;
    for (let i = 0; i < 3; i++) {
      const v = p[i]!;
      const d = v < this.min[i]! ? this.min[i]! - v : v > this.max[i]! ? v - this.max[i]! : 0;
      sq += d * d;
    }
    if (sq === 0) return 0;
    this.outside++;
    this.lastOutsidePoint.set(p);
    return Math.sqrt(sq);
  }
}

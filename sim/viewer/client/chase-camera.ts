/**
 * A chase camera behind the car: follows the pose with first-order smoothing (position and yaw with
 * their own time constants, yaw the short way round) so 30 Hz states look steady at 60 frames/s, and
 * snaps on the first pose or a jump (an intervention puts the car back on the centreline).
 * Pure maths in the REP-103 frame (z up); the page copies `position`/`target` into a three.js camera.
 */

export interface ChasePose {
  x: number;
  y: number;
  yawRad: number;
}

export interface ChaseCameraOptions {
  /** Behind the followed point, along its heading. */
  distanceM?: number;
  heightM?: number;
  /** The camera looks at a point this far ahead of the car… */
  lookAheadM?: number;
  /** …and this high above the ground. */
  targetHeightM?: number;
  positionTimeConstantS?: number;
  yawTimeConstantS?: number;
  /** A pose further than this from the followed point is a jump: snap instead of gliding across the map. */
  snapDistanceM?: number;
}

export interface Vec3 {
  x: number;
  y: number;
  z: number;
}

const TWO_PI = 2 * Math.PI;
/** Steps smaller than this (m, rad) are not worth a frame. */
export const SETTLED = 1e-4;

/** An angle wrapped into (-π, π]. */
export function wrapAngleRad(a: number): number {
  const w = a - TWO_PI * Math.floor((a + Math.PI) / TWO_PI);
  return w === -Math.PI ? Math.PI : w;
}

export class ChaseCamera {
  readonly position: Vec3 = { x: 0, y: 0, z: 0 };
  readonly target: Vec3 = { x: 0, y: 0, z: 0 };
  readonly #distanceM: number;
  readonly #heightM: number;
  readonly #lookAheadM: number;
  readonly #targetHeightM: number;
  readonly #positionTauS: number;
  readonly #yawTauS: number;
  readonly #snapDistanceM: number;
  #x = 0;
  #y = 0;
  #yawRad = 0;
  #initialised = false;

  constructor({
    distanceM = 1.8,
    heightM = 0.75,
    lookAheadM = 1.0,
    targetHeightM = 0.05,
    positionTimeConstantS = 0.08,
    yawTimeConstantS = 0.3,
    snapDistanceM = 2,
  }: ChaseCameraOptions = {}) {
    this.#distanceM = distanceM;
    this.#heightM = heightM;
    this.#lookAheadM = lookAheadM;
    this.#targetHeightM = targetHeightM;
    this.#positionTauS = positionTimeConstantS;
    this.#yawTauS = yawTimeConstantS;
    this.#snapDistanceM = snapDistanceM;
  }

  get initialised(): boolean {
    return this.#initialised;
  }

  /** Jumps straight to the pose. */
  snap(pose: ChasePose): void {
    if (!isFinitePose(pose)) return;
    this.#x = pose.x;
    this.#y = pose.y;
    this.#yawRad = wrapAngleRad(pose.yawRad);
    this.#initialised = true;
    this.#place();
  }

  /**
   * Moves towards the pose over `dtS` seconds of wall time; returns whether the camera moved (by more
   * than `SETTLED` metres or radians), so a page can stop drawing once it has settled.
   * Non-finite poses and steps are ignored.
   */
  update(pose: ChasePose, dtS: number): boolean {
    if (!isFinitePose(pose)) return false;
    if (!this.#initialised || Math.hypot(pose.x - this.#x, pose.y - this.#y) > this.#snapDistanceM) {
      this.snap(pose);
      return true;
    }
    if (!(dtS > 0 && Number.isFinite(dtS))) return false;
    const kp = 1 - Math.exp(-dtS / this.#positionTauS);
    const ky = 1 - Math.exp(-dtS / this.#yawTauS);
    const dx = (pose.x - this.#x) * kp;
    const dy = (pose.y - this.#y) * kp;
    const dYaw = wrapAngleRad(pose.yawRad - this.#yawRad) * ky;
    if (Math.abs(dx) < SETTLED && Math.abs(dy) < SETTLED && Math.abs(dYaw) < SETTLED) return false;
    this.#x += dx;
    this.#y += dy;
    this.#yawRad = wrapAngleRad(this.#yawRad + dYaw);
    this.#place();
    return true;
  }

  #place(): void {
    const c = Math.cos(this.#yawRad);
    const s = Math.sin(this.#yawRad);
    this.position.x = this.#x - c * this.#distanceM;
    this.position.y = this.#y - s * this.#distanceM;
    this.position.z = this.#heightM;
    this.target.x = this.#x + c * this.#lookAheadM;
    this.target.y = this.#y + s * this.#lookAheadM;
    this.target.z = this.#targetHeightM;
  }
}

function isFinitePose(p: ChasePose): boolean {
  return Number.isFinite(p.x) && Number.isFinite(p.y) && Number.isFinite(p.yawRad);
}

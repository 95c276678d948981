/**
 * Forward kinematics of a serial chain: joint positions → pose of every link in the base frame.
 * Transforms are 4×4 row-major in preallocated Float64Arrays, so `solve` allocates nothing.
 */
import type { UrdfJoint, Vec3 } from './urdf.js';

export type Mat4 = Float64Array;

export function identity(out: Mat4 = new Float64Array(16)): Mat4 {
  out.fill(0);
  out[0] = out[5] = out[10] = out[15] = 1;
  return out;
}

/** URDF origin: translation, then fixed-axis roll (x), pitch (y), yaw (z): R = Rz(yaw)·Ry(pitch)·Rx(roll). */
export function fromOrigin(xyz: Vec3, rpy: Vec3, out: Mat4 = new Float64Array(16)): Mat4 {
  const [r, p, y] = rpy;
  const cr = Math.cos(r), sr = Math.sin(r), cp = Math.cos(p), sp = Math.sin(p), cy = Math.cos(y), sy = Math.sin(y);
  out[0] = cy * cp; out[1] = cy * sp * sr - sy * cr; out[2] = cy * sp * cr + sy * sr; out[3] = xyz[0];
  out[4] = sy * cp; out[5] = sy * sp * sr + cy * cr; out[6] = sy * sp * cr - cy * sr; out[7] = xyz[1];
  out[8] = -sp; out[9] = cp * sr; out[10] = cp * cr; out[11] = xyz[2];
  out[12] = 0; out[13] = 0; out[14] = 0; out[15] = 1;
  return out;
}

/** Rotation by `angle` about the unit `axis` (Rodrigues), or translation along it for prismatic joints. */
export function jointMotion(j: Pick<UrdfJoint, 'type' | 'axis'>, q: number, out: Mat4 = new Float64Array(16)): Mat4 {
  TMP_Q[0] = q;
  return jointMotionAt(j, TMP_Q, 0, out);
}

const TMP_Q = new Float64Array(1);

/**
 * jointMotion reading q from `qs[index]`: a double passed as an argument to a call V8 does not inline
 * is boxed on the heap, one allocation per joint per solve.
 */
export function jointMotionAt(j: Pick<UrdfJoint, 'type' | 'axis'>, qs: ArrayLike<number>, index: number, out: Mat4): Mat4 {
  const q = j.type === 'fixed' ? 0 : qs[index]!;
  identity(out);
  // Indexing, not destructuring: the iterator protocol may allocate on the hot path.
  const axis = j.axis;
  const x = axis[0], y = axis[1], z = axis[2];
  if (j.type === 'prismatic') {
    out[3] = x * q; out[7] = y * q; out[11] = z * q;
    return out;
  }
  if (j.type === 'fixed') return out;
  const c = Math.cos(q), s = Math.sin(q), t = 1 - c;
  out[0] = t * x * x + c; out[1] = t * x * y - s * z; out[2] = t * x * z + s * y;
  out[4] = t * x * y + s * z; out[5] = t * y * y + c; out[6] = t * y * z - s * x;
  out[8] = t * x * z - s * y; out[9] = t * y * z + s * x; out[10] = t * z * z + c;
  return out;
}

/** out = a·b (out may not alias a or b). */
export function multiply(a: Mat4, b: Mat4, out: Mat4): Mat4 {
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 4; c++) {
      out[r * 4 + c] = a[r * 4]! * b[c]! + a[r * 4 + 1]! * b[4 + c]! + a[r * 4 + 2]! * b[8 + c]! + a[r * 4 + 3]! * b[12 + c]!;
    }
  }
  return out;
}

/**
 * A chain from the base link to the tool link, with its movable joints in order. `solve(q)` fills
 * `linkPoses[i]` (pose of joint i's child link) and `toolPose`.
 */
export class KinematicChain {
  readonly joints: readonly UrdfJoint[];
  /** Indices into `joints` of the movable ones, i.e. the order of a joint-position vector. */
  readonly movable: readonly number[];
  readonly linkPoses: Mat4[];
  readonly toolPose: Mat4;
  readonly #origins: Mat4[];
  readonly #motion = new Float64Array(16);
  readonly #tmp = new Float64Array(16);
  readonly #acc = new Float64Array(16);

  constructor(chain: readonly UrdfJoint[]) {
    this.joints = chain;
    this.movable = chain.flatMap((j, i) => (j.type === 'fixed' ? [] : [i]));
    this.#origins = chain.map((j) => fromOrigin(j.originXyz, j.originRpy));
    this.linkPoses = chain.map(() => identity());
    this.toolPose = identity();
  }

  get movableNames(): string[] {
    return this.movable.map((i) => this.joints[i]!.name);
  }

  /** q: one position per movable joint, in `movable` order. Returns the tool pose (base frame). */
  solve(q: ArrayLike<number>): Mat4 {
    identity(this.#acc);
    let m = 0;
    for (let i = 0; i < this.joints.length; i++) {
      const j = this.joints[i]!;
      multiply(this.#acc, this.#origins[i]!, this.#tmp);
      jointMotionAt(j, q, m, this.#motion);
      if (j.type !== 'fixed') m++;
      multiply(this.#tmp, this.#motion, this.#acc);
      this.linkPoses[i]!.set(this.#acc);
    }
    this.toolPose.set(this.#acc);
    return this.toolPose;
  }

  /** Tool point (translation of the tool pose) after `solve`. */
  toolPosition(out: Float64Array = new Float64Array(3)): Float64Array {
    out[0] = this.toolPose[3]!;
    out[1] = this.toolPose[7]!;
    out[2] = this.toolPose[11]!;
    return out;
  }
}

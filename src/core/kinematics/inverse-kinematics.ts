/**
 * Inverse kinematics by damped least squares on the forward kinematics (src/core/kinematics): joint
 * positions that put the tool point on a target, optionally with a tool axis pointing along a given
 * direction (e.g. the tool straight down). Position rows come first; the pointing rows are weighted
 * in metres per radian. Each step solves (JᵀJ + λ²I) Δq = Jᵀe, limits the step, and clamps to the
 * joint limits. `solve` allocates nothing: the result and all scratch arrays are preallocated.
 *
 * From a fixed seed the answer is a deterministic, smooth function of the target, which is what an
 * expert's labels need (the same target always gives the same goal configuration).
 */
import { PilotError } from '../util/errors.js';
import { mulberry32 } from '../util/prng.js';
import type { ArmDescription } from './arm-description.js';
import type { KinematicChain } from './forward-kinematics.js';
import type { Vec3 } from './urdf.js';

export interface IkPointing {
  /** Unit axis in the tool frame, e.g. [0, 0, 1] (the tool's z). */
  readonly toolAxis: Vec3;
  /** Unit direction in the base frame it should point along, e.g. [0, 0, -1] (down). */
  readonly direction: Vec3;
  /** Weight of the pointing rows: metres of position error one radian counts as. Default 0.1. */
  readonly weightM?: number;
}

export interface IkOptions {
  /** Default 200. */
  readonly maxIterations?: number;
  /** Damping λ in metres (regularises the step near singularities and out of reach). Default 0.005. */
  readonly dampingM?: number;
  /** Tool-point error at which a solution counts as reached. Default 1 mm. */
  readonly toleranceM?: number;
  /** Pointing error at which a solution counts as reached. Default 0.01 rad. */
  readonly pointingToleranceRad?: number;
  /** Largest change of any joint per iteration. Default 0.25 rad. */
  readonly maxStepRad?: number;
  /** Tool axis constraint; null or absent: position only. */
  readonly pointing?: IkPointing | null;
}

/** One solve's outcome; the object and `q` are reused by the next `solve`. */
export interface IkResult {
  /** Joint positions, description order (copy before the next solve if you keep them). */
  readonly q: Float64Array;
  /** Position and pointing errors within the tolerances. */
  converged: boolean;
  positionErrorM: number;
  /** Angle between the tool axis and the wanted direction (0 without a pointing constraint). */
  pointingErrorRad: number;
  iterations: number;
}

export class InverseKinematics {
  readonly description: ArmDescription;
  readonly chain: KinematicChain;
  readonly result: IkResult;
  readonly #n: number;
  readonly #rows: number;
  readonly #maxIterations: number;
  readonly #lambda2: number;
  readonly #toleranceM: number;
  readonly #pointingToleranceRad: number;
  readonly #maxStep: number;
  readonly #pointing: { axis: Vec3; direction: Vec3; weight: number } | null;
  readonly #lower: Float64Array;
  readonly #upper: Float64Array;
  /** Jacobian, rows × n, row-major. */
  readonly #j: Float64Array;
  readonly #e: Float64Array;
  /** Normal equations, n × (n + 1) augmented. */
  readonly #a: Float64Array;
  readonly #dq: Float64Array;
  readonly #restartSeed: Float64Array;
  readonly #best: Float64Array;

  constructor(description: ArmDescription, options: IkOptions = {}) {
    this.description = description;
    this.chain = description.createChain();
    const n = description.jointNames.length;
    this.#n = n;
    const pointing = options.pointing ?? null;
    if (pointing) {
      for (const [what, v] of [['toolAxis', pointing.toolAxis], ['direction', pointing.direction]] as const) {
        const norm = Math.hypot(v[0], v[1], v[2]);
        if (!(Math.abs(norm - 1) < 1e-6)) throw new PilotError('E_IK_OPTIONS', `pointing.${what} must be a unit vector (got [${v.join(', ')}], length ${norm})`);
      }
      const weight = pointing.weightM ?? 0.1;
      if (!(weight > 0)) throw new PilotError('E_IK_OPTIONS', `pointing.weightM must be positive (got ${weight})`);
      this.#pointing = { axis: pointing.toolAxis, direction: pointing.direction, weight };
    } else {
      this.#pointing = null;
    }
    this.#rows = this.#pointing ? 6 : 3;
    const positive = (v: number | undefined, fallback: number, name: string): number => {
      const x = v ?? fallback;
      if (!(x > 0 && Number.isFinite(x))) throw new PilotError('E_IK_OPTIONS', `${name} must be a positive number (got ${v})`);
      return x;
    };
    this.#maxIterations = Math.round(positive(options.maxIterations, 200, 'maxIterations'));
    this.#lambda2 = positive(options.dampingM, 0.005, 'dampingM') ** 2;
    this.#toleranceM = positive(options.toleranceM, 1e-3, 'toleranceM');
    this.#pointingToleranceRad = positive(options.pointingToleranceRad, 0.01, 'pointingToleranceRad');
    this.#maxStep = positive(options.maxStepRad, 0.25, 'maxStepRad');
    this.#lower = Float64Array.from(description.limits, (l) => l.lower);
    this.#upper = Float64Array.from(description.limits, (l) => l.upper);
    this.#j = new Float64Array(this.#rows * n);
    this.#e = new Float64Array(this.#rows);
    this.#a = new Float64Array(n * (n + 1));
    this.#dq = new Float64Array(n);
    this.#restartSeed = new Float64Array(n);
    this.#best = new Float64Array(n);
    this.result = { q: new Float64Array(n), converged: false, positionErrorM: Infinity, pointingErrorRad: 0, iterations: 0 };
  }

  /**
   * Joint positions for the tool point at `target` (base frame, metres), starting from `seed`
   * (clamped to the limits). Returns the shared result; check `converged`.
   */
  solve(target: ArrayLike<number>, seed: ArrayLike<number>): IkResult {
    const n = this.#n;
    const r = this.result;
    const q = r.q;
    if (target.length < 3 || !(Number.isFinite(target[0]!) && Number.isFinite(target[1]!) && Number.isFinite(target[2]!))) {
      throw new PilotError('E_IK_TARGET', `target must be three finite numbers x, y, z in metres (got [${Array.from(target).join(', ')}])`);
    }
    if (seed.length !== n) throw new PilotError('E_IK_SEED', `seed has ${seed.length} joint positions, the arm has ${n} (${this.description.jointNames.join(', ')})`);
    for (let i = 0; i < n; i++) {
      const s = seed[i]!;
      if (!Number.isFinite(s)) throw new PilotError('E_IK_SEED', `seed[${i}] (${this.description.jointNames[i]}) is ${s}`);
      q[i] = Math.min(this.#upper[i]!, Math.max(this.#lower[i]!, s));
    }
    const tx = target[0]!, ty = target[1]!, tz = target[2]!;
    const chain = this.chain;
    const pointing = this.#pointing;
    let iterations = 0;
    for (;;) {
      const tool = chain.solve(q);
      const px = tool[3]!, py = tool[7]!, pz = tool[11]!;
      const e = this.#e;
      e[0] = tx - px;
      e[1] = ty - py;
      e[2] = tz - pz;
      r.positionErrorM = Math.hypot(e[0], e[1], e[2]);
      let ax = 0, ay = 0, az = 0;
      r.pointingErrorRad = 0;
      if (pointing) {
        const [ux, uy, uz] = pointing.axis;
        ax = tool[0]! * ux + tool[1]! * uy + tool[2]! * uz;
        ay = tool[4]! * ux + tool[5]! * uy + tool[6]! * uz;
        az = tool[8]! * ux + tool[9]! * uy + tool[10]! * uz;
        const [dx, dy, dz] = pointing.direction;
        const w = pointing.weight;
        e[3] = w * (dx - ax);
        e[4] = w * (dy - ay);
        e[5] = w * (dz - az);
        r.pointingErrorRad = Math.acos(Math.max(-1, Math.min(1, ax * dx + ay * dy + az * dz)));
      }
      // Far tighter than the tolerance: the solution settles, so nearby targets give nearby answers.
      if (r.positionErrorM < 1e-6 && r.pointingErrorRad < 1e-5) break;
      if (iterations >= this.#maxIterations) break;
      iterations++;
      this.#jacobian(px, py, pz, ax, ay, az);
      if (!this.#step()) break;
      let largest = 0;
      for (let i = 0; i < n; i++) largest = Math.max(largest, Math.abs(this.#dq[i]!));
      const scale = largest > this.#maxStep ? this.#maxStep / largest : 1;
      let moved = 0;
      for (let i = 0; i < n; i++) {
        const next = Math.min(this.#upper[i]!, Math.max(this.#lower[i]!, q[i]! + scale * this.#dq[i]!));
        moved = Math.max(moved, Math.abs(next - q[i]!));
        q[i] = next;
      }
      // Stuck (at a limit, or the best it can do out of reach).
      if (moved < 1e-10) {
        chain.solve(q);
        break;
      }
    }
    // Errors at the final q (the loop may have ended right after a step).
    const tool = chain.solve(q);
    r.positionErrorM = Math.hypot(tx - tool[3]!, ty - tool[7]!, tz - tool[11]!);
    if (pointing) {
      const [ux, uy, uz] = pointing.axis;
      const [dx, dy, dz] = pointing.direction;
      const cx = tool[0]! * ux + tool[1]! * uy + tool[2]! * uz;
      const cy = tool[4]! * ux + tool[5]! * uy + tool[6]! * uz;
      const cz = tool[8]! * ux + tool[9]! * uy + tool[10]! * uz;
      r.pointingErrorRad = Math.acos(Math.max(-1, Math.min(1, cx * dx + cy * dy + cz * dz)));
    }
    r.iterations = iterations;
    r.converged = r.positionErrorM <= this.#toleranceM && r.pointingErrorRad <= this.#pointingToleranceRad;
    return r;
  }

  /**
   * `solve` from `seed`, then, if that does not converge, from restarts: the seed with the first
   * joint turned towards the target (when it is a yaw joint), then `restarts` seeds drawn uniformly
   * within the limits from a fixed random sequence (so the answer is repeatable). Returns the first
   * converged result, else the closest. For "can the arm reach this at all"; a single seed gives
   * answers that vary more smoothly with the target.
   */
  solveWithRestarts(target: ArrayLike<number>, seed: ArrayLike<number>, restarts = 16): IkResult {
    const r = this.solve(target, seed);
    if (r.converged) return r;
    const n = this.#n;
    const best = this.#best;
    best.set(r.q);
    let bestError = r.positionErrorM + 0.1 * r.pointingErrorRad;
    const panAxis = this.chain.joints[this.chain.movable[0]!]!.axis;
    const random = mulberry32(0x1c0ffee);
    const s = this.#restartSeed;
    for (let attempt = 0; attempt <= restarts; attempt++) {
      if (attempt === 0) {
        if (!(Math.abs(panAxis[2]) > 0.999)) continue;
        for (let i = 0; i < n; i++) s[i] = seed[i]!;
        s[0] = Math.atan2(target[1]!, target[0]!) * Math.sign(panAxis[2]);
      } else {
        for (let i = 0; i < n; i++) {
          const lo = Math.max(this.#lower[i]!, -Math.PI);
          const hi = Math.min(this.#upper[i]!, Math.PI);
          s[i] = lo + random() * (hi - lo);
        }
      }
      const again = this.solve(target, s);
      if (again.converged) return again;
      const error = again.positionErrorM + 0.1 * again.pointingErrorRad;
      if (error < bestError) {
        bestError = error;
        best.set(again.q);
      }
    }
    // Report the closest attempt (re-solved from its own answer).
    return this.solve(target, best);
  }

  /**
   * Like `solve`, but a target it cannot reach is an error naming the target and how close it got:
   * `E_ARM_UNREACHABLE`.
   */
  solveOrThrow(target: ArrayLike<number>, seed: ArrayLike<number>, what = 'target'): IkResult {
    const r = this.solve(target, seed);
    if (!r.converged) {
      const t = Array.from(target).slice(0, 3).map((v) => v.toFixed(3)).join(', ');
      const pointing = this.#pointing ? `, tool axis ${(r.pointingErrorRad * 180 / Math.PI).toFixed(1)}° off the wanted direction` : '';
      throw new PilotError(
        'E_ARM_UNREACHABLE',
        `${what} (${t}) m is out of reach of ${this.description.robot.name}: the closest tool point within the joint limits is ` +
          `${(r.positionErrorM * 100).toFixed(1)} cm away${pointing} (tolerance ${(this.#toleranceM * 1000).toFixed(1)} mm)`,
      );
    }
    return r;
  }

  /** Position rows: axis × (p − origin); pointing rows: w · (axis × a). Revolute/continuous; prismatic moves along its axis. */
  #jacobian(px: number, py: number, pz: number, ax: number, ay: number, az: number): void {
    const chain = this.chain;
    const j = this.#j;
    const n = this.#n;
    const w = this.#pointing?.weight ?? 0;
    for (let k = 0; k < n; k++) {
      const ji = chain.movable[k]!;
      const joint = chain.joints[ji]!;
      const m = chain.linkPoses[ji]!;
      const [lx, ly, lz] = joint.axis;
      const wx = m[0]! * lx + m[1]! * ly + m[2]! * lz;
      const wy = m[4]! * lx + m[5]! * ly + m[6]! * lz;
      const wz = m[8]! * lx + m[9]! * ly + m[10]! * lz;
      if (joint.type === 'prismatic') {
        j[k] = wx;
        j[n + k] = wy;
        j[2 * n + k] = wz;
        if (this.#rows === 6) j[3 * n + k] = j[4 * n + k] = j[5 * n + k] = 0;
        continue;
      }
      const rx = px - m[3]!, ry = py - m[7]!, rz = pz - m[11]!;
      j[k] = wy * rz - wz * ry;
      j[n + k] = wz * rx - wx * rz;
      j[2 * n + k] = wx * ry - wy * rx;
      if (this.#rows === 6) {
        j[3 * n + k] = w * (wy * az - wz * ay);
        j[4 * n + k] = w * (wz * ax - wx * az);
        j[5 * n + k] = w * (wx * ay - wy * ax);
      }
    }
  }

  /** Δq from (JᵀJ + λ²I) Δq = Jᵀe by Gaussian elimination with partial pivoting. False if singular. */
  #step(): boolean {
    const n = this.#n;
    const rows = this.#rows;
    const j = this.#j;
    const e = this.#e;
    const a = this.#a;
    const w = n + 1;
    for (let r = 0; r < n; r++) {
      for (let c = r; c < n; c++) {
        let s = 0;
        for (let k = 0; k < rows; k++) s += j[k * n + r]! * j[k * n + c]!;
        a[r * w + c] = s;
        a[c * w + r] = s;
      }
      a[r * w + r] = a[r * w + r]! + this.#lambda2;
      let b = 0;
      for (let k = 0; k < rows; k++) b += j[k * n + r]! * e[k]!;
      a[r * w + n] = b;
    }
    for (let col = 0; col < n; col++) {
      let pivot = col;
      for (let r = col + 1; r < n; r++) if (Math.abs(a[r * w + col]!) > Math.abs(a[pivot * w + col]!)) pivot = r;
      if (!(Math.abs(a[pivot * w + col]!) > 1e-300)) return false;
      if (pivot !== col) {
        for (let c = col; c < w; c++) {
          const t = a[col * w + c]!;
          a[col * w + c] = a[pivot * w + c]!;
          a[pivot * w + c] = t;
        }
      }
      const p = a[col * w + col]!;
      for (let r = col + 1; r < n; r++) {
        const f = a[r * w + col]! / p;
        if (f === 0) continue;
        for (let c = col; c < w; c++) a[r * w + c] = a[r * w + c]! - f * a[col * w + c]!;
      }
    }
    const dq = this.#dq;
    for (let r = n - 1; r >= 0; r--) {
      let s = a[r * w + n]!;
      for (let c = r + 1; c < n; c++) s -= a[r * w + c]! * dq[c]!;
      dq[r] = s / a[r * w + r]!;
    }
    return true;
  }
}

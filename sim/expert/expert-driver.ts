/**
 * An expert driver on ground truth: pure pursuit or Stanley steering along the centreline, a speed
 * profile from curvature, and optional seeded steering noise and recovery manoeuvres so recorded
 * demonstrations also show how to get back from the edge. Pure and stepped with an explicit dt.
 */
import { PilotError } from '../../src/core/util/errors.js';
import { mulberry32 } from '../../src/core/util/prng.js';
import { smoothCurvature, wrapAngle } from '../world/centreline.js';
import type { Track, TrackPose, TrackProjection } from '../world/track.js';

/** Vehicle state at the rear axle (base_link), world frame. */
export interface ExpertInput {
  x: number;
  y: number;
  yawRad: number;
  speedMps: number;
}

export interface ExpertCommand {
  steeringRad: number;
  speedMps: number;
}

export interface RecoveryOptions {
  /** Seconds between the starts of two manoeuvres. */
  everyS: number;
  /** Seconds spent drifting towards the offset line. */
  durationS: number;
  /** Lateral offset drifted to; capped so the car stays on the road. */
  offsetM: number;
}

export interface ExpertOptions {
  controller?: 'pure_pursuit' | 'stanley';
  wheelbaseM: number;
  maxSteeringRad: number;
  maxSpeedMps: number;
  /** For the speed profile: v ≤ sqrt(a / |κ|). Default 3 m/s². */
  maxLateralAccelMps2?: number;
  /** Braking the speed profile plans with (anticipation before bends). Default 2 m/s². */
  maxDecelMps2?: number;
  /** Pure pursuit lookahead time: lookahead = max(minLookaheadM, lookaheadS · speed). Default 0.3 s. */
  lookaheadS?: number;
  /** Default 0.4 m. */
  minLookaheadM?: number;
  /** Stanley cross-track gain (1/s). Default 2.5. */
  stanleyGain?: number;
  /** Ornstein-Uhlenbeck steering noise, stationary sigma. Default 0 (none). */
  steeringNoiseRad?: number;
  /** OU correlation time. Default 0.5 s. */
  noiseTimeConstantS?: number;
  /** Seeds the noise and the side of each recovery manoeuvre. Default 1. */
  seed?: number;
  recovery?: RecoveryOptions | null;
}

export type RecoveryPhase = 'none' | 'drift' | 'return';

/** Stanley softening speed: keeps the cross-track term finite when standing still. */
const STANLEY_SOFTENING_MPS = 0.5;
/** The return phase ends once back within this fraction of the offset, or after this long. */
const RETURN_DONE_FRACTION = 0.15;
const RETURN_MAX_S = 3;
/** Curvature is averaged over ±this arc length for the speed profile: the spline's knot ripple is not road. */
const PROFILE_SMOOTHING_M = 0.3;
/** Recovery offsets stop this far inside the road edge (the car is ~0.2 m wide). */
const RECOVERY_EDGE_MARGIN_M = 0.2;

export class ExpertDriver {
  readonly track: Track;
  /** Target speed at each centreline sample: curvature limit with braking anticipation. */
  readonly speedProfileMps: Float64Array;
  readonly #controller: 'pure_pursuit' | 'stanley';
  readonly #wheelbaseM: number;
  readonly #maxSteeringRad: number;
  readonly #lookaheadS: number;
  readonly #minLookaheadM: number;
  readonly #stanleyGain: number;
  readonly #noiseSigmaRad: number;
  readonly #noiseTauS: number;
  readonly #seed: number;
  readonly #recovery: RecoveryOptions | null;
  readonly #projection: TrackProjection = { index: 0, sM: 0, crossTrackM: 0, headingRad: 0, curvature: 0, x: 0, y: 0 };
  readonly #target: TrackPose = { x: 0, y: 0, headingRad: 0 };
  #random: () => number;
  #hint = -1;
  #noiseRad = 0;
  #spareGaussian = NaN;
  #phase: RecoveryPhase = 'none';
  #phaseS = 0;
  #sinceRecoveryS = 0;
  #recoverySide = 1;
  #offsetM = 0;
  #cleanSteeringRad = 0;

  constructor(track: Track, options: ExpertOptions) {
    const o = options;
    check(o.wheelbaseM > 0, 'wheelbaseM', 'must be positive', o.wheelbaseM);
    check(o.maxSteeringRad > 0 && o.maxSteeringRad < 1.5, 'maxSteeringRad', 'must be in (0, 1.5)', o.maxSteeringRad);
    check(o.maxSpeedMps > 0, 'maxSpeedMps', 'must be positive', o.maxSpeedMps);
    const aLat = o.maxLateralAccelMps2 ?? 3;
    const aDecel = o.maxDecelMps2 ?? 2;
    check(aLat > 0, 'maxLateralAccelMps2', 'must be positive', aLat);
    check(aDecel > 0, 'maxDecelMps2', 'must be positive', aDecel);
    check((o.steeringNoiseRad ?? 0) >= 0, 'steeringNoiseRad', 'must be ≥ 0', o.steeringNoiseRad);
    check((o.noiseTimeConstantS ?? 0.5) > 0, 'noiseTimeConstantS', 'must be positive', o.noiseTimeConstantS);
    if (o.recovery) {
      const r = o.recovery;
      check(r.everyS > 0, 'recovery.everyS', 'must be positive', r.everyS);
      check(r.durationS > 0 && r.durationS < r.everyS, 'recovery.durationS', 'must be positive and below everyS', r.durationS);
      check(r.offsetM >= 0, 'recovery.offsetM', 'must be ≥ 0', r.offsetM);
    }
    this.track = track;
    this.#controller = o.controller ?? 'pure_pursuit';
    this.#wheelbaseM = o.wheelbaseM;
    this.#maxSteeringRad = o.maxSteeringRad;
    this.#lookaheadS = o.lookaheadS ?? 0.3;
    this.#minLookaheadM = o.minLookaheadM ?? 0.4;
    this.#stanleyGain = o.stanleyGain ?? 2.5;
    this.#noiseSigmaRad = o.steeringNoiseRad ?? 0;
    this.#noiseTauS = o.noiseTimeConstantS ?? 0.5;
    this.#seed = o.seed ?? 1;
    this.#recovery = o.recovery
      ? { ...o.recovery, offsetM: Math.min(o.recovery.offsetM, Math.max(0, track.widthM / 2 - RECOVERY_EDGE_MARGIN_M)) }
      : null;
    this.#random = mulberry32(this.#seed);
    this.speedProfileMps = speedProfile(track, o.maxSpeedMps, aLat, aDecel);
  }

  /** True while drifting towards the offset line: the part a recorder may drop or label. */
  get inRecoveryManoeuvre(): boolean {
    return this.#phase === 'drift';
  }

  /** `drift` towards the offset line, then `return` to the centreline, else `none`. */
  get recoveryPhase(): RecoveryPhase {
    return this.#phase;
  }

  /** The last steering command before noise: a clean label for a noisy demonstration. */
  get cleanSteeringRad(): number {
    return this.#cleanSteeringRad;
  }

  /** Lateral offset (+ = left) the driver currently aims at. */
  get targetOffsetM(): number {
    return this.#offsetM;
  }

  /** Back to the state after construction: same seed, same noise and manoeuvres again. */
  reset(): void {
    this.#random = mulberry32(this.#seed);
    this.#hint = -1;
    this.#noiseRad = 0;
    this.#spareGaussian = NaN;
    this.#phase = 'none';
    this.#phaseS = 0;
    this.#sinceRecoveryS = 0;
    this.#recoverySide = 1;
    this.#offsetM = 0;
    this.#cleanSteeringRad = 0;
  }

  /** One control step. No allocation when `out` is given. */
  command(input: ExpertInput, dtS: number, out?: ExpertCommand): ExpertCommand {
    const o = out ?? { steeringRad: 0, speedMps: 0 };
    const dt = dtS > 0 && Number.isFinite(dtS) ? dtS : 0;
    this.#updateRecovery(dt);

    const L = this.#wheelbaseM;
    const cosYaw = Math.cos(input.yawRad);
    const sinYaw = Math.sin(input.yawRad);
    const speed = Math.max(0, input.speedMps);
    let steering: number;
    let sM: number;
    if (this.#controller === 'stanley') {
      // Stanley tracks with the front axle: heading error plus the cross-track term.
      const p = this.track.project(input.x + L * cosYaw, input.y + L * sinYaw, this.#hintOrUndefined(), this.#projection);
      this.#hint = p.index;
      sM = p.sM;
      const headingErr = wrapAngle(p.headingRad - input.yawRad);
      const e = p.crossTrackM - this.#offsetM;
      steering = headingErr + Math.atan2(-this.#stanleyGain * e, STANLEY_SOFTENING_MPS + speed);
    } else {
      const p = this.track.project(input.x, input.y, this.#hintOrUndefined(), this.#projection);
      this.#hint = p.index;
      sM = p.sM;
      const lookaheadM = Math.max(this.#minLookaheadM, this.#lookaheadS * speed);
      const t = this.track.poseAt(p.sM + lookaheadM, this.#offsetM, this.#target);
      const dx = t.x - input.x;
      const dy = t.y - input.y;
      // Target in the vehicle frame: lateral offset over squared distance gives the arc's curvature.
      const lateral = -sinYaw * dx + cosYaw * dy;
      const d2 = dx * dx + dy * dy;
      steering = d2 > 1e-9 ? Math.atan((2 * L * lateral) / d2) : 0;
    }
    steering = clamp(steering, this.#maxSteeringRad);
    this.#cleanSteeringRad = steering;
    if (this.#noiseSigmaRad > 0 && dt > 0) {
      // Exact OU discretisation: stationary std stays sigma whatever dt is.
      const decay = Math.exp(-dt / this.#noiseTauS);
      this.#noiseRad = this.#noiseRad * decay + this.#noiseSigmaRad * Math.sqrt(1 - decay * decay) * this.#gaussian();
      steering = clamp(steering + this.#noiseRad, this.#maxSteeringRad);
    }
    o.steeringRad = steering;
    o.speedMps = this.#targetSpeed(sM, speed);
    return o;
  }

  #hintOrUndefined(): number | undefined {
    return this.#hint >= 0 ? this.#hint : undefined;
  }

  /** Profile speed here and a short reaction time ahead (the car needs time to slow down). */
  #targetSpeed(sM: number, speedMps: number): number {
    return Math.min(this.#profileAt(sM), this.#profileAt(sM + 0.2 * speedMps));
  }

  #profileAt(sM: number): number {
    const n = this.speedProfileMps.length;
    let i = Math.round(sM / this.track.spacingM) % n;
    if (i < 0) i += n;
    return this.speedProfileMps[i]!;
  }

  #updateRecovery(dt: number): void {
    const r = this.#recovery;
    if (!r || r.offsetM === 0) return;
    this.#sinceRecoveryS += dt;
    this.#phaseS += dt;
    if (this.#phase === 'none' && this.#sinceRecoveryS >= r.everyS) {
      this.#phase = 'drift';
      this.#phaseS = 0;
      this.#sinceRecoveryS = 0;
      this.#recoverySide = this.#random() < 0.5 ? -1 : 1;
    }
    if (this.#phase === 'drift') {
      // Ramp out to the offset, like a car slowly drifting off its line.
      this.#offsetM = this.#recoverySide * r.offsetM * Math.min(1, this.#phaseS / r.durationS);
      if (this.#phaseS >= r.durationS) {
        this.#phase = 'return';
        this.#phaseS = 0;
        this.#offsetM = 0;
      }
    } else if (this.#phase === 'return') {
      const back = Math.abs(this.#projection.crossTrackM) < RETURN_DONE_FRACTION * r.offsetM;
      if (back || this.#phaseS >= RETURN_MAX_S) this.#phase = 'none';
    }
  }

  /** Standard normal by Box-Muller, two per pair of uniforms. */
  #gaussian(): number {
    if (!Number.isNaN(this.#spareGaussian)) {
      const g = this.#spareGaussian;
      this.#spareGaussian = NaN;
      return g;
    }
    const u1 = Math.max(this.#random(), 1e-12);
    const u2 = this.#random();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.#spareGaussian = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }
}

/**
 * v[i] = min over the road ahead of sqrt(vCurve(s')² + 2 a (s' - s)), vCurve = min(vmax, sqrt(aLat/|κ|)):
 * the fastest speed from which the car can still brake to every upcoming bend's limit.
 * Two backward passes round the loop carry braking across the start line.
 */
export function speedProfile(track: Track, maxSpeedMps: number, maxLateralAccelMps2: number, maxDecelMps2: number): Float64Array {
  const curvature = smoothCurvature(track.samples.curvature, track.spacingM, PROFILE_SMOOTHING_M);
  const n = curvature.length;
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const kappa = Math.abs(curvature[i]!);
    v[i] = kappa > 1e-9 ? Math.min(maxSpeedMps, Math.sqrt(maxLateralAccelMps2 / kappa)) : maxSpeedMps;
  }
  const brake = 2 * maxDecelMps2 * track.spacingM;
  for (let pass = 0; pass < 2; pass++) {
    for (let k = n - 1; k >= 0; k--) {
      const next = v[(k + 1) % n]!;
      const reachable = Math.sqrt(next * next + brake);
      if (reachable < v[k]!) v[k] = reachable;
    }
  }
  return v;
}

function check(ok: boolean, key: string, what: string, got: unknown): void {
  if (!ok) throw new PilotError('E_EXPERT', `ExpertDriver: ${key}: ${what} (got ${String(got)})`);
}

function clamp(v: number, limit: number): number {
  return v > limit ? limit : v < -limit ? -limit : v;
}

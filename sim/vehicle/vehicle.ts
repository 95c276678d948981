/**
 * The simulated car: actuators (delay line, steering limit and slew, longitudinal speed
 * controller) in front of a kinematic or dynamic bicycle model, integrated with fixed substeps.
 * Pure and deterministic: no clock, no randomness, no allocation in setCommand/step, so the same
 * commands at the same sim times give bit-identical states.
 *
 * The pose and velocities in `state` refer to base_link = rear-axle centre; the dynamic model
 * itself runs at the centre of gravity, `cgToFrontM` behind the front axle.
 */
import type { VehicleCalibration } from '../../src/core/calibration/vehicle.js';
import { PilotError } from '../../src/core/util/errors.js';
import { dynamicBlendWeight, dynamicRates, kinematicRates, type BicycleBody, type BicycleInput, type BicycleRates } from './bicycle.js';
import { CommandDelayLine } from './delay-line.js';
import {
  DEFAULT_VEHICLE_SIM_PARAMS,
  type DriveCommand,
  type Pose2D,
  type VehicleFootprint,
  type VehicleLimits,
  type VehicleSimParams,
  type VehicleState,
} from './types.js';

const DEFAULT_MASS_KG = 2.5;
const MAX_SUBSTEP_S = 0.01;
const TWO_PI = 2 * Math.PI;

export class Vehicle {
  readonly state: VehicleState = {
    x: 0, y: 0, yawRad: 0, vxMps: 0, vyMps: 0, yawRateRadps: 0, steeringRad: 0,
    axMps2: 0, ayMps2: 0, wheelSpeedMps: 0, odometerM: 0,
  };
  readonly limits: VehicleLimits;
  readonly params: Readonly<VehicleSimParams>;
  /** Non-finite commands refused by setCommand (the previous command stays). */
  rejectedCommands = 0;

  readonly #body: BicycleBody;
  readonly #delay: CommandDelayLine;
  /** Command in effect after the delay line (before limits and slew). */
  readonly #active: DriveCommand = { steeringRad: 0, speedMps: 0 };
  readonly #input: BicycleInput = { vxMps: 0, vyMps: 0, yawRateRadps: 0, steeringRad: 0, steeringRateRadps: 0, accelMps2: 0 };
  readonly #dyn: BicycleRates = { vxDotMps2: 0, vyDotMps2: 0, yawAccelRadps2: 0 };
  readonly #kin: BicycleRates = { vxDotMps2: 0, vyDotMps2: 0, yawAccelRadps2: 0 };
  readonly #bodyLengthM: number;
  // CG position and CG lateral velocity; vx and yaw rate are the same at every body point.
  #cgX = 0;
  #cgY = 0;
  #cgVy = 0;
  /** Current substep length; a field, not an argument, so it is not boxed per call. */
  #h = 0;

  constructor(calibration: VehicleCalibration, params: Partial<VehicleSimParams> = {}) {
    const p: VehicleSimParams = { ...DEFAULT_VEHICLE_SIM_PARAMS };
    for (const [k, v] of Object.entries(params)) if (v !== undefined) (p as unknown as Record<string, unknown>)[k] = v;
    const L = calibration.wheelbase_m;
    p.cgToFrontM ??= L / 2;
    p.massKg ??= calibration.mass_kg ?? DEFAULT_MASS_KG;
    p.bodyLengthM ??= 1.6 * L;
    validateParams(p, L);
    this.params = Object.freeze(p);
    this.limits = Object.freeze({
      wheelbaseM: L,
      trackWidthM: calibration.track_width_m,
      maxSteeringRad: calibration.max_steering_angle_rad,
      maxSteeringRateRadps: calibration.max_steering_rate_radps,
      maxSpeedMps: calibration.max_speed_mps,
      maxReverseSpeedMps: calibration.max_reverse_speed_mps,
      maxAccelMps2: calibration.max_acceleration_mps2,
      maxDecelMps2: calibration.max_deceleration_mps2,
      actuatorDelayS: calibration.actuator_delay_ms / 1000,
    });
    this.#body = {
      massKg: p.massKg,
      yawInertiaKgm2: p.yawInertiaKgm2,
      wheelbaseM: L,
      cgToFrontM: p.cgToFrontM,
      cgToRearM: L - p.cgToFrontM,
      corneringStiffnessFrontNpr: p.corneringStiffnessFrontNpr,
      corneringStiffnessRearNpr: p.corneringStiffnessRearNpr,
      frictionCoeff: p.frictionCoeff,
      gravityMps2: p.gravityMps2,
    };
    this.#bodyLengthM = p.bodyLengthM;
    this.#delay = new CommandDelayLine(p.delayLineCapacity);
    this.reset({ x: 0, y: 0, yawRad: 0 });
  }

  /** Commands folded into the newest pending one because the delay line was full. */
  get delayLineOverflows(): number {
    return this.#delay.overflows;
  }

  /** Commands waiting in the delay line. */
  get pendingCommands(): number {
    return this.#delay.size;
  }

  /** The command the actuators currently track (after the delay, before limits and slew). */
  get activeCommand(): Readonly<DriveCommand> {
    return this.#active;
  }

  /** Place the car (rear-axle pose) at rest or rolling straight at `speedMps`; clears pending commands and the odometer. */
  reset(pose: Pose2D, speedMps = 0): void {
    for (const [name, v] of [['pose.x', pose.x], ['pose.y', pose.y], ['pose.yawRad', pose.yawRad], ['speedMps', speedMps]] as const) {
      if (!Number.isFinite(v)) throw new PilotError('E_SIM_VEHICLE', `Vehicle.reset: ${name} must be finite (got ${v})`);
    }
    const speed = clamp(speedMps, -this.limits.maxReverseSpeedMps, this.limits.maxSpeedMps);
    const lr = this.#body.cgToRearM;
    const s = this.state;
    s.yawRad = normalizeAngle(pose.yawRad);
    this.#cgX = pose.x + lr * Math.cos(s.yawRad);
    this.#cgY = pose.y + lr * Math.sin(s.yawRad);
    this.#cgVy = 0;
    s.vxMps = speed;
    s.yawRateRadps = 0;
    s.steeringRad = 0;
    s.axMps2 = 0;
    s.ayMps2 = 0;
    s.odometerM = 0;
    this.#active.steeringRad = 0;
    this.#active.speedMps = speed;
    this.#delay.clear();
    this.#publishState();
  }

  /**
   * Queue a command issued at sim time `simTimeS`; it takes effect at simTimeS + actuator delay
   * (the calibration's actuator_delay_ms). Out-of-range values are limited by the actuators;
   * non-finite ones are refused and counted in `rejectedCommands`. Returns false when refused.
   */
  setCommand(cmd: DriveCommand, simTimeS: number): boolean {
    if (!Number.isFinite(cmd.steeringRad) || !Number.isFinite(cmd.speedMps) || !Number.isFinite(simTimeS)) {
      this.rejectedCommands++;
      return false;
    }
    this.#delay.push(cmd, simTimeS + this.limits.actuatorDelayS);
    return true;
  }

  /**
   * Advance from sim time `simTimeS` to simTimeS + dtS in ceil(dtS / substepS) equal substeps.
   * Delayed commands due at a substep's start apply from that substep on.
   */
  step(dtS: number, simTimeS: number): void {
    if (!(dtS >= 0) || !Number.isFinite(dtS)) throw new PilotError('E_SIM_STEP', `Vehicle.step: dtS must be a finite number ≥ 0 (got ${dtS})`);
    if (!Number.isFinite(simTimeS)) throw new PilotError('E_SIM_STEP', `Vehicle.step: simTimeS must be finite (got ${simTimeS})`);
    if (dtS === 0) return;
    // The epsilon keeps dt = k·substep from rounding up to k + 1 substeps.
    const n = Math.max(1, Math.ceil(dtS / this.params.substepS - 1e-9));
    const h = dtS / n;
    this.#h = h;
    let axSum = 0;
    let aySum = 0;
    for (let k = 0; k < n; k++) {
      this.#delay.release(simTimeS + k * h, this.#active);
      this.#substep();
      axSum += this.state.axMps2;
      aySum += this.state.ayMps2;
    }
    this.state.axMps2 = axSum / n;
    this.state.ayMps2 = aySum / n;
  }

  /**
   * Body rectangle for collision checks: length `bodyLengthM` (1.6 × wheelbase by default),
   * width track + margin, centred on the wheelbase midpoint. Pass `out` on per-step paths.
   */
  footprint(out: VehicleFootprint = { cx: 0, cy: 0, yawRad: 0, halfLengthM: 0, halfWidthM: 0 }): VehicleFootprint {
    const s = this.state;
    const half = this.limits.wheelbaseM / 2;
    out.cx = s.x + half * Math.cos(s.yawRad);
    out.cy = s.y + half * Math.sin(s.yawRad);
    out.yawRad = s.yawRad;
    out.halfLengthM = this.#bodyLengthM / 2;
    out.halfWidthM = (this.limits.trackWidthM + this.params.bodyWidthMarginM) / 2;
    return out;
  }

  #substep(): void {
    const h = this.#h;
    const s = this.state;
    const lim = this.limits;
    const body = this.#body;
    const lr = body.cgToRearM;
    const L = body.wheelbaseM;

    // Steering servo: position limit, then rate limit.
    const steeringTarget = clamp(this.#active.steeringRad, -lim.maxSteeringRad, lim.maxSteeringRad);
    const maxStepRad = lim.maxSteeringRateRadps * h;
    const dSteer = clamp(steeringTarget - s.steeringRad, -maxStepRad, maxStepRad);
    s.steeringRad += dSteer;
    const steeringRateRadps = dSteer / h;

    // Speed controller: P on speed error; speeding up is limited by max accel, slowing by max decel.
    const vx0 = s.vxMps;
    const speedTarget = clamp(this.#active.speedMps, -lim.maxReverseSpeedMps, lim.maxSpeedMps);
    const accelWanted = this.params.speedControllerGain * (speedTarget - vx0);
    const speedingUp = vx0 === 0 || (accelWanted > 0) === (vx0 > 0);
    const accelLimit = speedingUp ? lim.maxAccelMps2 : lim.maxDecelMps2;
    const accelMps2 = clamp(accelWanted, -accelLimit, accelLimit);

    const r0 = s.yawRateRadps;
    const vy0 = this.#cgVy;
    const vyRear0 = vy0 - lr * r0;
    let vx: number;
    let vy: number;
    let r: number;
    if (this.params.kind === 'kinematic') {
      vx = vx0 + accelMps2 * h;
      r = (vx * Math.tan(s.steeringRad)) / L;
      vy = lr * r;
    } else {
      // Linear tyres are singular at vx → 0: blend onto the kinematic model at low speed.
      const w = dynamicBlendWeight(vx0, this.params.blendLowMps, this.params.blendHighMps);
      const input = this.#input;
      input.vxMps = vx0;
      input.vyMps = vy0;
      input.yawRateRadps = r0;
      input.steeringRad = s.steeringRad;
      input.steeringRateRadps = steeringRateRadps;
      input.accelMps2 = accelMps2;
      const kin = kinematicRates(body, input, this.params.kinematicRelaxS, this.#kin);
      let vxDot = kin.vxDotMps2;
      let vyDot = kin.vyDotMps2;
      let rDot = kin.yawAccelRadps2;
      if (w > 0) {
        const dyn = dynamicRates(body, input, this.#dyn);
        vxDot = w * dyn.vxDotMps2 + (1 - w) * vxDot;
        vyDot = w * dyn.vyDotMps2 + (1 - w) * vyDot;
        rDot = w * dyn.yawAccelRadps2 + (1 - w) * rDot;
      }
      vx = vx0 + vxDot * h;
      vy = vy0 + vyDot * h;
      r = r0 + rDot * h;
    }

    // Semi-implicit Euler with the heading at mid-substep: second order along a circle.
    const yawMid = s.yawRad + 0.5 * r * h;
    const c = Math.cos(yawMid);
    const sn = Math.sin(yawMid);
    this.#cgX += (vx * c - vy * sn) * h;
    this.#cgY += (vx * sn + vy * c) * h;
    s.yawRad = wrapAngle(s.yawRad + r * h);
    this.#cgVy = vy;
    s.vxMps = vx;
    s.yawRateRadps = r;

    // Acceleration of the rear-axle point in the rotating body frame: v̇ + ω × v.
    const vyRear = vy - lr * r;
    s.axMps2 = (vx - vx0) / h - r * vyRear;
    s.ayMps2 = (vyRear - vyRear0) / h + r * vx;
    s.odometerM += Math.abs(vx) * h;
    this.#publishState();
  }

  /** Derive the rear-axle (base_link) quantities from the CG state. */
  #publishState(): void {
    const s = this.state;
    const lr = this.#body.cgToRearM;
    s.x = this.#cgX - lr * Math.cos(s.yawRad);
    s.y = this.#cgY - lr * Math.sin(s.yawRad);
    s.vyMps = this.#cgVy - lr * s.yawRateRadps;
    s.wheelSpeedMps = s.vxMps;
  }
}

function validateParams(p: VehicleSimParams, wheelbaseM: number): void {
  const bad = (name: string, want: string, got: unknown): never => {
    throw new PilotError('E_SIM_CONFIG', `vehicle params: ${name}: expected ${want} (got ${String(got)})`);
  };
  if (p.kind !== 'kinematic' && p.kind !== 'dynamic') bad('kind', "'kinematic' or 'dynamic'", p.kind);
  if (!(p.substepS > 0 && p.substepS <= MAX_SUBSTEP_S)) bad('substepS', `number in (0, ${MAX_SUBSTEP_S}]`, p.substepS);
  const positive = [
    'corneringStiffnessFrontNpr', 'corneringStiffnessRearNpr', 'frictionCoeff', 'yawInertiaKgm2', 'massKg',
    'speedControllerGain', 'kinematicRelaxS', 'gravityMps2', 'bodyLengthM',
  ] as const;
  for (const k of positive) {
    const v = p[k];
    if (!(typeof v === 'number' && Number.isFinite(v) && v > 0)) bad(k, 'finite number > 0', v);
  }
  if (!(p.cgToFrontM! > 0 && p.cgToFrontM! < wheelbaseM)) bad('cgToFrontM', `number in (0, wheelbase ${wheelbaseM})`, p.cgToFrontM);
  if (!(p.blendLowMps >= 0 && Number.isFinite(p.blendLowMps))) bad('blendLowMps', 'finite number ≥ 0', p.blendLowMps);
  if (!(p.blendHighMps > p.blendLowMps && Number.isFinite(p.blendHighMps))) bad('blendHighMps', `finite number > blendLowMps ${p.blendLowMps}`, p.blendHighMps);
  if (!(Number.isInteger(p.delayLineCapacity) && p.delayLineCapacity >= 1)) bad('delayLineCapacity', 'integer ≥ 1', p.delayLineCapacity);
  if (!(p.bodyWidthMarginM >= 0 && Number.isFinite(p.bodyWidthMarginM))) bad('bodyWidthMarginM', 'finite number ≥ 0', p.bodyWidthMarginM);
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** Any angle into (-π, π]. */
function normalizeAngle(a: number): number {
  const w = a - TWO_PI * Math.floor((a + Math.PI) / TWO_PI);
  return w === -Math.PI ? Math.PI : w;
}

/** Into (-π, π]; a single correction suffices because one substep turns far less than π. */
function wrapAngle(a: number): number {
  if (a > Math.PI) return a - TWO_PI;
  if (a <= -Math.PI) return a + TWO_PI;
  return a;
}

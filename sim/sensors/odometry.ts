/**
 * Simulated wheel odometry (wheel encoders for speed, a gyro for yaw rate, as most small cars
 * fuse them): nav_msgs/Odometry in `odom` with child `base_link`. The twist is measured with
 * noise; the pose is dead reckoning of that noisy twist, so it drifts like a real one. No lateral
 * velocity is measured: when the dynamic model slides, the odometry does not see it.
 *
 * The message is reused and filled in place (see ImuSensor for why that is safe in-process).
 */
import { makeOdometry } from '../../src/core/messages/factories.js';
import type { Odometry } from '../../src/core/messages/types.js';
import { PilotError } from '../../src/core/util/errors.js';
import type { Pose2D, VehicleState } from '../vehicle/types.js';
import { GaussianNoise, noiseScale, type NoiseMultiplierHook } from './noise.js';
import { floorVariance, requireFinite, requireNonNegative, variance, withoutUndefined } from './options.js';
import { writeTimeFromMs } from '../../src/core/messages/time.js';

/** Variance for what wheel odometry does not measure (z, roll, pitch): large, i.e. "ignore". */
export const UNMEASURED_VARIANCE = 1e6;

export interface WheelOdometryOptions {
  seed: number;
  frameId: string;
  childFrameId: string;
  speedSigmaMps: number;
  yawRateSigmaRadps: number;
  /** Wheel-radius error as a fraction: reported speed = (1 + e) · true speed. Systematic drift. */
  speedScaleError: number;
  speedBiasMps: number;
  yawRateBiasRadps: number;
  noiseMultiplier: NoiseMultiplierHook | null;
}

export const DEFAULT_ODOMETRY_OPTIONS: Readonly<Omit<WheelOdometryOptions, 'seed'>> = Object.freeze({
  frameId: 'odom',
  childFrameId: 'base_link',
  // Same defaults as the simulator config's sensors.noise section.
  speedSigmaMps: 0.01,
  yawRateSigmaRadps: 0.002,
  speedScaleError: 0,
  speedBiasMps: 0,
  yawRateBiasRadps: 0,
  noiseMultiplier: null,
});

export class WheelOdometry {
  readonly message: Odometry;
  readonly options: Readonly<WheelOdometryOptions>;
  readonly #noise: GaussianNoise;
  /** Dead-reckoned pose. */
  readonly #pose: Pose2D = { x: 0, y: 0, yawRad: 0 };
  /** Pose to start from on the next measure; null = the vehicle's true pose. */
  #startPose: Pose2D | null = null;
  #started = false;
  #lastTimeMs = 0;
  #lastSpeedMps = 0;
  #lastYawRateRadps = 0;
  #varXyM2 = 0;
  #varYawRad2 = 0;

  constructor(options: Partial<WheelOdometryOptions> & { seed: number }) {
    const o: WheelOdometryOptions = { ...DEFAULT_ODOMETRY_OPTIONS, ...withoutUndefined(options), seed: options.seed };
    requireFinite('WheelOdometry', 'seed', o.seed);
    requireNonNegative('WheelOdometry', 'speedSigmaMps', o.speedSigmaMps);
    requireNonNegative('WheelOdometry', 'yawRateSigmaRadps', o.yawRateSigmaRadps);
    requireFinite('WheelOdometry', 'speedScaleError', o.speedScaleError);
    requireFinite('WheelOdometry', 'speedBiasMps', o.speedBiasMps);
    requireFinite('WheelOdometry', 'yawRateBiasRadps', o.yawRateBiasRadps);
    this.options = Object.freeze(o);
    this.#noise = new GaussianNoise(o.seed);
    this.message = makeOdometry({ header: { stamp: { sec: 0, nanosec: 0 }, frame_id: o.frameId }, child_frame_id: o.childFrameId });
    const tc = this.message.twist.covariance;
    tc[0] = variance(o.speedSigmaMps);
    tc[7] = variance(o.speedSigmaMps); // lateral: assumed zero (no slip), about as sure as the speed
    tc[14] = UNMEASURED_VARIANCE;
    tc[21] = UNMEASURED_VARIANCE;
    tc[28] = UNMEASURED_VARIANCE;
    tc[35] = variance(o.yawRateSigmaRadps);
    const pc = this.message.pose.covariance;
    pc[14] = UNMEASURED_VARIANCE;
    pc[21] = UNMEASURED_VARIANCE;
    pc[28] = UNMEASURED_VARIANCE;
  }

  /** The dead-reckoned pose (also in `message.pose`). */
  get pose(): Readonly<Pose2D> {
    return this.#pose;
  }

  /**
   * Restart dead reckoning at the next measure(), from `pose` or, without one, from the vehicle's
   * true pose then (the simulator's odom frame is the world frame).
   */
  reset(pose?: Pose2D): void {
    this.#started = false;
    this.#startPose = pose ? { ...pose } : null;
  }

  /** Fill and return `message` for the state at `simTimeMs`; times must not go backwards. */
  measure(state: Readonly<VehicleState>, simTimeMs: number): Odometry {
    const o = this.options;
    const k = noiseScale(o.noiseMultiplier, simTimeMs);
    const speedMps = (1 + o.speedScaleError) * state.wheelSpeedMps + this.#noise.sample(o.speedSigmaMps, o.speedBiasMps, k);
    const yawRateRadps = state.yawRateRadps + this.#noise.sample(o.yawRateSigmaRadps, o.yawRateBiasRadps, k);
    const p = this.#pose;
    if (!this.#started) {
      const from = this.#startPose ?? state;
      p.x = from.x;
      p.y = from.y;
      p.yawRad = from.yawRad;
      this.#varXyM2 = 0;
      this.#varYawRad2 = 0;
      this.#started = true;
    } else {
      const dtS = (simTimeMs - this.#lastTimeMs) / 1000;
      if (!(dtS >= 0)) throw new PilotError('E_SIM_STEP', `WheelOdometry.measure: simTimeMs ${simTimeMs} is before the previous ${this.#lastTimeMs}`);
      // Trapezoid in time (encoders count over the interval), exact arc for a constant twist.
      const v = 0.5 * (speedMps + this.#lastSpeedMps);
      const w = 0.5 * (yawRateRadps + this.#lastYawRateRadps);
      const dYaw = w * dtS;
      const chordM = v * dtS * sinc(0.5 * dYaw);
      const heading = p.yawRad + 0.5 * dYaw;
      p.x += chordM * Math.cos(heading);
      p.y += chordM * Math.sin(heading);
      p.yawRad = wrapAngle(p.yawRad + dYaw);
      // Random-walk growth: along-track from speed noise, cross-track from heading uncertainty.
      const stepSpeed = o.speedSigmaMps * dtS;
      const stepYaw = o.yawRateSigmaRadps * dtS;
      this.#varXyM2 += stepSpeed * stepSpeed + chordM * chordM * this.#varYawRad2;
      this.#varYawRad2 += stepYaw * stepYaw;
    }
    this.#lastTimeMs = simTimeMs;
    this.#lastSpeedMps = speedMps;
    this.#lastYawRateRadps = yawRateRadps;

    const m = this.message;
    writeTimeFromMs(m.header.stamp, simTimeMs);
    m.pose.pose.position.x = p.x;
    m.pose.pose.position.y = p.y;
    m.pose.pose.position.z = 0;
    m.pose.pose.orientation.x = 0;
    m.pose.pose.orientation.y = 0;
    m.pose.pose.orientation.z = Math.sin(0.5 * p.yawRad);
    m.pose.pose.orientation.w = Math.cos(0.5 * p.yawRad);
    const pc = m.pose.covariance;
    pc[0] = floorVariance(this.#varXyM2);
    pc[7] = pc[0];
    pc[35] = floorVariance(this.#varYawRad2);
    m.twist.twist.linear.x = speedMps;
    m.twist.twist.linear.y = 0;
    m.twist.twist.linear.z = 0;
    m.twist.twist.angular.x = 0;
    m.twist.twist.angular.y = 0;
    m.twist.twist.angular.z = yawRateRadps;
    return m;
  }
}

/** sin(a)/a, with the series near 0 where the division loses precision. */
function sinc(a: number): number {
  return Math.abs(a) < 1e-4 ? 1 - (a * a) / 6 : Math.sin(a) / a;
}

function wrapAngle(a: number): number {
  if (a > Math.PI) return a - 2 * Math.PI;
  if (a <= -Math.PI) return a + 2 * Math.PI;
  return a;
}

/**
 * Simulated IMU mounted at base_link (the rear-axle centre, so the mount offset is zero): yaw
 * orientation, yaw rate and body-frame specific force (+g on z at rest, REP-145), with seeded
 * Gaussian noise, constant biases and filled covariances.
 *
 * The message object is reused and filled in place each measure(): a publisher on the
 * in-process transport holds it only until publish() returns, so that is safe there; anything
 * that keeps it longer (a delay queue, a recorder) must copy it.
 */
import { makeImu } from '../../src/core/messages/factories.js';
import type { Imu } from '../../src/core/messages/types.js';
import type { VehicleState } from '../vehicle/types.js';
import { GaussianNoise, noiseScale, type NoiseMultiplierHook } from './noise.js';
import { requireFinite, requireNonNegative, variance, withoutUndefined } from './options.js';
import { writeTimeFromMs } from '../../src/core/messages/time.js';

export type Vec3 = readonly [number, number, number];

export interface ImuSensorOptions {
  /** Seed of this sensor's noise stream. */
  seed: number;
  frameId: string;
  gyroSigmaRadps: number;
  accelSigmaMps2: number;
  /** Noise on the yaw of the orientation estimate (an AHRS output, not integrated here). */
  orientationSigmaRad: number;
  gyroBiasRadps: Vec3;
  accelBiasMps2: Vec3;
  gravityMps2: number;
  /** Scales all noise sigmas (not biases) at a sim time, e.g. a fault-injection noise burst. */
  noiseMultiplier: NoiseMultiplierHook | null;
}

export const DEFAULT_IMU_OPTIONS: Readonly<Omit<ImuSensorOptions, 'seed'>> = Object.freeze({
  frameId: 'imu_link',
  // Same defaults as the simulator config's sensors.noise section.
  gyroSigmaRadps: 0.002,
  accelSigmaMps2: 0.02,
  orientationSigmaRad: 0.005,
  gyroBiasRadps: [0, 0, 0] as const,
  accelBiasMps2: [0, 0, 0] as const,
  gravityMps2: 9.81,
  noiseMultiplier: null,
});

export class ImuSensor {
  readonly message: Imu;
  readonly options: Readonly<ImuSensorOptions>;
  readonly #noise: GaussianNoise;

  constructor(options: Partial<ImuSensorOptions> & { seed: number }) {
    const o: ImuSensorOptions = { ...DEFAULT_IMU_OPTIONS, ...withoutUndefined(options), seed: options.seed };
    requireFinite('ImuSensor', 'seed', o.seed);
    requireNonNegative('ImuSensor', 'gyroSigmaRadps', o.gyroSigmaRadps);
    requireNonNegative('ImuSensor', 'accelSigmaMps2', o.accelSigmaMps2);
    requireNonNegative('ImuSensor', 'orientationSigmaRad', o.orientationSigmaRad);
    requireNonNegative('ImuSensor', 'gravityMps2', o.gravityMps2);
    for (let i = 0; i < 3; i++) {
      requireFinite('ImuSensor', `gyroBiasRadps[${i}]`, o.gyroBiasRadps[i]!);
      requireFinite('ImuSensor', `accelBiasMps2[${i}]`, o.accelBiasMps2[i]!);
    }
    this.options = Object.freeze(o);
    this.#noise = new GaussianNoise(o.seed);
    this.message = makeImu({ header: { stamp: { sec: 0, nanosec: 0 }, frame_id: o.frameId } });
    // Nominal noise (a driver does not know about bursts), diagonal.
    const m = this.message;
    for (let i = 0; i < 3; i++) {
      m.orientation_covariance[i * 4] = variance(o.orientationSigmaRad);
      m.angular_velocity_covariance[i * 4] = variance(o.gyroSigmaRadps);
      m.linear_acceleration_covariance[i * 4] = variance(o.accelSigmaMps2);
    }
  }

  /** Fill and return `message` for the vehicle state at `simTimeMs`. Always draws 7 samples, so the stream stays aligned whatever the sigmas. */
  measure(state: Readonly<VehicleState>, simTimeMs: number): Imu {
    const o = this.options;
    const n = this.#noise;
    const k = noiseScale(o.noiseMultiplier, simTimeMs);
    const m = this.message;
    writeTimeFromMs(m.header.stamp, simTimeMs);

    const g = o.gyroBiasRadps;
    m.angular_velocity.x = n.sample(o.gyroSigmaRadps, g[0], k);
    m.angular_velocity.y = n.sample(o.gyroSigmaRadps, g[1], k);
    m.angular_velocity.z = state.yawRateRadps + n.sample(o.gyroSigmaRadps, g[2], k);

    const a = o.accelBiasMps2;
    m.linear_acceleration.x = state.axMps2 + n.sample(o.accelSigmaMps2, a[0], k);
    m.linear_acceleration.y = state.ayMps2 + n.sample(o.accelSigmaMps2, a[1], k);
    m.linear_acceleration.z = o.gravityMps2 + n.sample(o.accelSigmaMps2, a[2], k);

    // Planar world: rotation about z only.
    const half = 0.5 * (state.yawRad + n.sample(o.orientationSigmaRad, 0, k));
    m.orientation.x = 0;
    m.orientation.y = 0;
    m.orientation.z = Math.sin(half);
    m.orientation.w = Math.cos(half);
    return m;
  }
}


import { describe, expect, it } from 'vitest';
import { ImuSensor } from '../../../sim/sensors/imu.js';
import { Vehicle } from '../../../sim/vehicle/vehicle.js';
import { testCalibration } from '../vehicle/helpers.js';

const L = 0.26;

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}
function std(xs: readonly number[]): number {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}

describe('ImuSensor', () => {
  it('reads gravity and zero rates at rest, within the noise', () => {
    const v = new Vehicle(testCalibration());
    const imu = new ImuSensor({ seed: 3, gyroSigmaRadps: 0.002, accelSigmaMps2: 0.02 });
    const az: number[] = [];
    const ax: number[] = [];
    const wz: number[] = [];
    for (let i = 0; i < 4000; i++) {
      v.step(0.01, i * 0.01);
      const m = imu.measure(v.state, i * 10);
      az.push(m.linear_acceleration.z);
      ax.push(m.linear_acceleration.x);
      wz.push(m.angular_velocity.z);
    }
    const se = (sigma: number): number => (4 * sigma) / Math.sqrt(4000); // 4 standard errors
    expect(Math.abs(mean(az) - 9.81)).toBeLessThan(se(0.02));
    expect(Math.abs(mean(ax))).toBeLessThan(se(0.02));
    expect(Math.abs(mean(wz))).toBeLessThan(se(0.002));
    expect(std(az) / 0.02).toBeGreaterThan(0.9);
    expect(std(az) / 0.02).toBeLessThan(1.1);
    expect(std(wz) / 0.002).toBeGreaterThan(0.9);
    expect(std(wz) / 0.002).toBeLessThan(1.1);
  });

  it('on a constant-radius turn reads a_y ≈ v²/R and yaw rate ≈ v/R', () => {
    const speedMps = 2;
    const steeringRad = 0.25;
    const R = L / Math.tan(steeringRad);
    const v = new Vehicle(testCalibration(), { kind: 'kinematic' });
    v.reset({ x: 0, y: 0, yawRad: 0 }, speedMps);
    v.setCommand({ steeringRad, speedMps }, 0);
    const imu = new ImuSensor({ seed: 5 });
    const ay: number[] = [];
    const wz: number[] = [];
    for (let i = 0; i < 1000; i++) {
      v.step(0.01, i * 0.01);
      if (i < 200) continue; // steering slew and delay settle
      const m = imu.measure(v.state, i * 10);
      ay.push(m.linear_acceleration.y);
      wz.push(m.angular_velocity.z);
    }
    expect(Math.abs(mean(ay) - (speedMps * speedMps) / R) / ((speedMps * speedMps) / R)).toBeLessThan(0.01);
    expect(Math.abs(mean(wz) - speedMps / R) / (speedMps / R)).toBeLessThan(0.01);
  });

  it('fills one reused message: stamp, frame, yaw quaternion, covariances', () => {
    const v = new Vehicle(testCalibration());
    v.reset({ x: 0, y: 0, yawRad: Math.PI / 2 });
    const imu = new ImuSensor({ seed: 1, orientationSigmaRad: 0, gyroSigmaRadps: 0, accelSigmaMps2: 0 });
    const m1 = imu.measure(v.state, 1234.5);
    const m2 = imu.measure(v.state, 2000);
    expect(m2).toBe(m1);
    expect(m2.header).toEqual({ stamp: { sec: 2, nanosec: 0 }, frame_id: 'imu_link' });
    expect(m2.orientation.z).toBeCloseTo(Math.SQRT1_2, 12);
    expect(m2.orientation.w).toBeCloseTo(Math.SQRT1_2, 12);
    expect(m2.linear_acceleration).toEqual({ x: 0, y: 0, z: 9.81 });
    expect(m2.angular_velocity).toEqual({ x: 0, y: 0, z: 0 });
    // Noiseless still reports a (tiny) covariance: all zeros would mean "unknown".
    expect(m2.orientation_covariance[0]).toBeGreaterThan(0);
    expect(m2.orientation_covariance[1]).toBe(0);
    const noisy = new ImuSensor({ seed: 1, accelSigmaMps2: 0.05 });
    expect(noisy.message.linear_acceleration_covariance[4]).toBeCloseTo(0.0025, 12);
    expect(noisy.message.linear_acceleration_covariance[8]).toBeCloseTo(0.0025, 12);
  });

  it('adds biases and scales the noise by the burst multiplier hook', () => {
    const v = new Vehicle(testCalibration());
    const imu = new ImuSensor({
      seed: 9,
      gyroSigmaRadps: 0.01,
      gyroBiasRadps: [0, 0, 0.05],
      noiseMultiplier: (t) => (t >= 10_000 ? 5 : 1),
    });
    const quiet: number[] = [];
    const burst: number[] = [];
    for (let i = 0; i < 4000; i++) (i < 2000 ? quiet : burst).push(imu.measure(v.state, i < 2000 ? i : 10_000 + i).angular_velocity.z);
    expect(mean(quiet)).toBeCloseTo(0.05, 2);
    expect(std(quiet) / 0.01).toBeGreaterThan(0.9);
    expect(std(quiet) / 0.01).toBeLessThan(1.1);
    expect(std(burst) / 0.05).toBeGreaterThan(0.9);
    expect(std(burst) / 0.05).toBeLessThan(1.1);
  });

  it('is deterministic per seed', () => {
    const v = new Vehicle(testCalibration());
    const a = new ImuSensor({ seed: 11 });
    const b = new ImuSensor({ seed: 11 });
    for (let i = 0; i < 10; i++) expect(structuredClone(a.measure(v.state, i))).toEqual(structuredClone(b.measure(v.state, i)));
  });

  it('refuses bad options naming the value', () => {
    expect(() => new ImuSensor({ seed: 1, gyroSigmaRadps: -1 })).toThrow('E_SIM_CONFIG: ImuSensor: gyroSigmaRadps: expected finite number ≥ 0 (got -1)');
    expect(() => new ImuSensor({ seed: 1, accelBiasMps2: [0, Number.NaN, 0] })).toThrow(/accelBiasMps2\[1\].*got NaN/);
  });
});

import { describe, expect, it } from 'vitest';
import { WheelOdometry, type WheelOdometryOptions } from '../../../sim/sensors/odometry.js';
import { Vehicle } from '../../../sim/vehicle/vehicle.js';
import { testCalibration } from '../vehicle/helpers.js';

/** Drive a circle for `seconds` with odometry at 50 Hz; returns the final position error and the distance. */
function circleRun(options: Partial<WheelOdometryOptions> & { seed: number }, seconds = 30): { errorM: number; distanceM: number; yawErrorRad: number; odom: WheelOdometry } {
  const v = new Vehicle(testCalibration(), { kind: 'kinematic' });
  v.reset({ x: 1, y: -2, yawRad: 0.5 }, 2);
  v.setCommand({ steeringRad: 0.2, speedMps: 2 }, 0);
  const odom = new WheelOdometry(options);
  const dtS = 0.01;
  for (let i = 0; i < seconds / dtS; i++) {
    const t = i * dtS;
    if (i % 2 === 0) odom.measure(v.state, t * 1000);
    v.step(dtS, t);
  }
  odom.measure(v.state, seconds * 1000);
  const p = odom.message.pose.pose.position;
  const yawErr = Math.atan2(Math.sin(odom.pose.yawRad - v.state.yawRad), Math.cos(odom.pose.yawRad - v.state.yawRad));
  return { errorM: Math.hypot(p.x - v.state.x, p.y - v.state.y), distanceM: v.state.odometerM, yawErrorRad: yawErr, odom };
}

describe('WheelOdometry', () => {
  it('without noise dead-reckons a circle onto the ground truth within 1 %', () => {
    const r = circleRun({ seed: 1, speedSigmaMps: 0, yawRateSigmaRadps: 0 });
    expect(r.distanceM).toBeGreaterThan(55); // several laps of R = 1.28 m
    expect(r.errorM / r.distanceM).toBeLessThan(0.01);
    // What is left comes from sampling the steering ramp at the start at 50 Hz.
    expect(Math.abs(r.yawErrorRad)).toBeLessThan(5e-3);
  });

  it('with noise drifts, but stays bounded', () => {
    const errors: number[] = [];
    for (let seed = 1; seed <= 5; seed++) {
      const r = circleRun({ seed, speedSigmaMps: 0.05, yawRateSigmaRadps: 0.02 }, 60);
      errors.push(r.errorM / r.distanceM);
      // Reported uncertainty grows with the drive.
      expect(r.odom.message.pose.covariance[0]).toBeGreaterThan(1e-6);
    }
    expect(Math.max(...errors)).toBeGreaterThan(1e-4);
    expect(Math.max(...errors)).toBeLessThan(0.05);
  });

  it('drifts systematically with a wheel-radius error', () => {
    const r = circleRun({ seed: 1, speedSigmaMps: 0, yawRateSigmaRadps: 0, speedScaleError: 0.02 }, 10);
    expect(r.errorM).toBeGreaterThan(0.05);
  });

  it('fills one reused nav_msgs/Odometry: frames, stamp, twist, covariances', () => {
    const v = new Vehicle(testCalibration(), { kind: 'kinematic' });
    v.reset({ x: 0, y: 0, yawRad: 0 }, 1.5);
    v.setCommand({ steeringRad: 0, speedMps: 1.5 }, 0);
    const odom = new WheelOdometry({ seed: 1, speedSigmaMps: 0.01, yawRateSigmaRadps: 0 });
    const m1 = odom.measure(v.state, 0);
    v.step(0.1, 0);
    const m2 = odom.measure(v.state, 100);
    expect(m2).toBe(m1);
    expect(m2.header.frame_id).toBe('odom');
    expect(m2.child_frame_id).toBe('base_link');
    expect(m2.header.stamp).toEqual({ sec: 0, nanosec: 100_000_000 });
    expect(m2.twist.twist.linear.x).toBeCloseTo(1.5, 1);
    expect(m2.twist.twist.angular.z).toBe(0);
    expect(m2.pose.pose.position.x).toBeCloseTo(0.15, 2);
    expect(m2.twist.covariance[0]).toBeCloseTo(1e-4, 12);
    expect(m2.twist.covariance[35]).toBeGreaterThan(0);
    expect(m2.twist.covariance[14]).toBe(1e6); // z unmeasured
    expect(() => odom.measure(v.state, 50)).toThrow(/E_SIM_STEP: WheelOdometry.measure: simTimeMs 50 is before the previous 100/);
  });

  it('restarts from an explicit pose after reset', () => {
    const v = new Vehicle(testCalibration());
    v.reset({ x: 5, y: 5, yawRad: 1 });
    const odom = new WheelOdometry({ seed: 1, speedSigmaMps: 0, yawRateSigmaRadps: 0 });
    expect(odom.measure(v.state, 0).pose.pose.position.x).toBe(5);
    odom.reset({ x: 0, y: 0, yawRad: 0 });
    const m = odom.measure(v.state, 10);
    expect(m.pose.pose.position).toEqual({ x: 0, y: 0, z: 0 });
    expect(m.pose.pose.orientation.w).toBe(1);
  });
});

import { describe, expect, it } from 'vitest';
import { loadArmDescription } from '../../../src/core/kinematics/index.js';
import { JointDynamics } from '../../../sim/arm/joint-dynamics.js';

const arm = loadArmDescription('calibration/arm.yaml');

describe('joint dynamics (position targets within velocity and acceleration limits)', () => {
  it('moves every joint to its target at no more than its velocity and acceleration limits, without overshoot', () => {
    const d = new JointDynamics(arm.limits, arm.home);
    const target = [1.8, -1.0, 0.2, -1.5, 2.0];
    expect(d.setTarget(target)).toBe(0);
    const dt = 0.002;
    const prev = Float64Array.from(d.velocity);
    const start = Float64Array.from(d.position);
    let peak = new Float64Array(5);
    for (let k = 0; k < 2500; k++) {
      d.step(dt);
      for (let i = 0; i < 5; i++) {
        const l = arm.limits[i]!;
        expect(Math.abs(d.velocity[i]!)).toBeLessThanOrEqual(l.maxVelocity + 1e-9);
        expect(Math.abs(d.velocity[i]! - prev[i]!) / dt).toBeLessThanOrEqual(l.maxAcceleration + 1e-6);
        // Never past the target (in the direction of travel).
        const dir = Math.sign(target[i]! - start[i]!);
        expect(dir * (d.position[i]! - target[i]!)).toBeLessThanOrEqual(1e-4);
        peak[i] = Math.max(peak[i]!, Math.abs(d.velocity[i]!));
      }
      prev.set(d.velocity);
    }
    for (let i = 0; i < 5; i++) {
      expect(d.position[i]).toBeCloseTo(target[i]!, 6);
      expect(d.velocity[i]).toBeCloseTo(0, 6);
      // Long moves reach the velocity limit.
      if (Math.abs(target[i]! - start[i]!) > 1.5) expect(peak[i]).toBeCloseTo(arm.limits[i]!.maxVelocity, 6);
    }
  });

  it('takes as long as a trapezoidal profile at the limits says', () => {
    const d = new JointDynamics(arm.limits, [0, 0, 0, 0, 0]);
    d.setTarget([2.0, 0, 0, 0, 0]); // pan: 1.5 rad/s, 4 rad/s²
    let t = 0;
    while (Math.abs(d.position[0]! - 2.0) > 1e-4) {
      d.step(0.002);
      t += 0.002;
    }
    const v = 1.5, a = 4, x = 2.0;
    const expected = x / v + v / a; // accelerate, cruise, brake
    expect(t).toBeGreaterThan(expected - 0.02);
    expect(t).toBeLessThan(expected + 0.05);
  });

  it('clamps targets to the position limits and counts the clamped joints; non-finite targets keep the old one', () => {
    const d = new JointDynamics(arm.limits, arm.home);
    expect(d.setTarget([3.5, 0, -1, 0, 0])).toBe(2);
    expect(d.target[0]).toBe(2.6);
    expect(d.target[2]).toBe(-0.2);
    for (let k = 0; k < 3000; k++) d.step(0.002);
    expect(d.position[0]).toBe(2.6);
    expect(d.position[2]).toBe(-0.2);
    expect(d.setTarget([0, NaN, 1, 0, 0])).toBe(1);
    expect(d.target[1]).toBe(0); // kept from the previous command
    expect(() => new JointDynamics(arm.limits, [0, 0])).toThrow(/E_ARM_STATE: initial joint positions: 2 values for 5 joints/);
  });
});

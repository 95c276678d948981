import { describe, expect, it } from 'vitest';
import { loadArmDescription } from '../../../src/core/kinematics/index.js';
import { InverseKinematics } from '../../../src/core/kinematics/inverse-kinematics.js';
import { mulberry32 } from '../../../src/core/util/prng.js';
import { TOOL_DOWN } from '../../../sim/arm/arm-expert.js';
import { REACH_REGION } from '../../../sim/arm/arm-task.js';

const arm = loadArmDescription('calibration/arm.yaml');
const { min, max } = arm.workspace;
const inBox = (p: ArrayLike<number>) => [0, 1, 2].every((i) => p[i]! >= min[i]! && p[i]! <= max[i]!);

describe('inverse kinematics (damped least squares)', () => {
  it('reaches random reachable targets: tool points of random postures inside the workspace box', () => {
    const random = mulberry32(42);
    const chain = arm.createChain();
    const ik = new InverseKinematics(arm);
    const check = arm.createChain();
    let tried = 0;
    let reached = 0;
    while (tried < 300) {
      const q = arm.limits.map((l) => l.lower + random() * (l.upper - l.lower));
      chain.solve(q);
      const target = Array.from(chain.toolPosition());
      if (!inBox(target)) continue;
      tried++;
      const r = ik.solveWithRestarts(target, arm.home);
      if (!r.converged) continue;
      reached++;
      // The answer is within the limits and really puts the tool there.
      r.q.forEach((v, i) => {
        expect(v).toBeGreaterThanOrEqual(arm.limits[i]!.lower);
        expect(v).toBeLessThanOrEqual(arm.limits[i]!.upper);
      });
      check.solve(r.q);
      const p = check.toolPosition();
      expect(Math.hypot(p[0]! - target[0]!, p[1]! - target[1]!, p[2]! - target[2]!)).toBeLessThan(1e-3);
    }
    // Restarts find nearly all of them (what is left hugs the joint limits at the table).
    expect(reached / tried).toBeGreaterThanOrEqual(0.99);
  });

  it('with the tool pointing down, a single seed reaches every target of the task region to a micrometre', () => {
    const random = mulberry32(7);
    const ik = new InverseKinematics(arm, { pointing: TOOL_DOWN });
    const seed = Float64Array.from(arm.home);
    let worstM = 0;
    let worstIterations = 0;
    for (let i = 0; i < 500; i++) {
      const r = REACH_REGION.minRadiusM + random() * (REACH_REGION.maxRadiusM - REACH_REGION.minRadiusM);
      const az = (random() * 2 - 1) * (REACH_REGION.maxAzimuthDeg * Math.PI) / 180;
      // From the pushing height to well above the cubes.
      const target = [r * Math.cos(az), r * Math.sin(az), 0.015 + random() * 0.15];
      seed[0] = az;
      const res = ik.solve(target, seed);
      expect(res.converged, `target ${target.map((v) => v.toFixed(3))}`).toBe(true);
      expect(res.pointingErrorRad).toBeLessThan(1e-4);
      worstM = Math.max(worstM, res.positionErrorM);
      worstIterations = Math.max(worstIterations, res.iterations);
    }
    expect(worstM).toBeLessThan(1e-6);
    expect(worstIterations).toBeLessThan(30);
  });

  it('is a smooth, repeatable function of the target from a fixed seed (learnable labels)', () => {
    const ik = new InverseKinematics(arm, { pointing: TOOL_DOWN });
    const a = Array.from(ik.solve([0.25, 0.05, 0.09], arm.home).q);
    expect(Array.from(ik.solve([0.25, 0.05, 0.09], arm.home).q)).toEqual(a);
    const b = Array.from(ik.solve([0.251, 0.05, 0.09], arm.home).q);
    // 1 mm of target moves no joint by more than ~0.02 rad.
    a.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThan(0.02));
    expect(Math.abs(a[4]!)).toBeLessThan(1e-9); // the wrist roll stays at its seed
  });

  it('unreachable targets: not converged, the closest it gets, and E_ARM_UNREACHABLE naming the target', () => {
    const ik = new InverseKinematics(arm, { pointing: TOOL_DOWN });
    const far = ik.solve([1.2, 0, 0.1], arm.home);
    expect(far.converged).toBe(false);
    expect(far.positionErrorM).toBeGreaterThan(0.4);
    expect(() => ik.solveOrThrow([1.2, 0, 0.1], arm.home, 'reach target')).toThrow(/E_ARM_UNREACHABLE: reach target \(1\.200, 0\.000, 0\.100\) m is out of reach of pilot_arm_5: the closest tool point .* cm away/);
    // Inside the reach but below the table with the tool down: the wrist cannot get low enough.
    expect(() => ik.solveOrThrow([0.05, 0, -0.3], arm.home)).toThrow(/E_ARM_UNREACHABLE/);
  });

  it('rejects bad inputs with what was wrong', () => {
    const ik = new InverseKinematics(arm);
    expect(() => ik.solve([0.2, NaN, 0.1], arm.home)).toThrow(/E_IK_TARGET: target must be three finite numbers/);
    expect(() => ik.solve([0.2, 0.1], arm.home)).toThrow(/E_IK_TARGET/);
    expect(() => ik.solve([0.2, 0, 0.1], [0, 0, 0])).toThrow(/E_IK_SEED: seed has 3 joint positions, the arm has 5/);
    expect(() => ik.solve([0.2, 0, 0.1], [0, 0, Infinity, 0, 0])).toThrow(/E_IK_SEED: seed\[2\] \(elbow\) is Infinity/);
    expect(() => new InverseKinematics(arm, { pointing: { toolAxis: [0, 0, 2], direction: [0, 0, -1] } })).toThrow(/E_IK_OPTIONS: pointing.toolAxis must be a unit vector/);
    expect(() => new InverseKinematics(arm, { dampingM: -1 })).toThrow(/E_IK_OPTIONS: dampingM must be a positive number/);
  });

  it('solves without allocating (the result and q are reused)', () => {
    const ik = new InverseKinematics(arm, { pointing: TOOL_DOWN });
    const first = ik.solve([0.2, 0.1, 0.1], arm.home);
    const second = ik.solve([0.25, -0.1, 0.1], arm.home);
    expect(second).toBe(first);
    expect(second.q).toBe(first.q);
  });
});

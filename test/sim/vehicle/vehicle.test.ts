import { describe, expect, it } from 'vitest';
import { Vehicle } from '../../../sim/vehicle/vehicle.js';
import { CommandDelayLine } from '../../../sim/vehicle/delay-line.js';
import type { VehicleState } from '../../../sim/vehicle/types.js';
import { driveCircle, testCalibration } from './helpers.js';

const L = 0.26;

describe('Vehicle kinematic model', () => {
  it('drives a circle of radius L / tan(δ) at a constant steering angle', () => {
    for (const steeringRad of [0.1, 0.25, 0.45, -0.3]) {
      const r = driveCircle({ kind: 'kinematic' }, { steeringRad, speedMps: 1.5 });
      const expected = L / Math.tan(Math.abs(steeringRad));
      expect(Math.abs(r.radiusM - expected) / expected).toBeLessThan(0.01);
      expect(Math.sign(r.meanYawRateRadps)).toBe(Math.sign(steeringRad)); // + steering = left = CCW
      expect(r.vehicle.state.vyMps).toBe(0); // no slip at the rear axle
    }
  });

  it('reports body accelerations of a circle: a_y = v²/R, a_x ≈ 0', () => {
    const r = driveCircle({ kind: 'kinematic' }, { steeringRad: 0.3, speedMps: 2 });
    const R = L / Math.tan(0.3);
    expect(r.meanAyMps2).toBeCloseTo((2 * 2) / R, 2);
    expect(Math.abs(r.vehicle.state.axMps2)).toBeLessThan(1e-6);
  });

  it('moves along +x at yaw 0 and along +y at yaw π/2 (REP-103)', () => {
    const v = new Vehicle(testCalibration(), { kind: 'kinematic' });
    v.reset({ x: 1, y: 2, yawRad: Math.PI / 2 }, 2);
    v.setCommand({ steeringRad: 0, speedMps: 2 }, 0);
    for (let i = 0; i < 100; i++) v.step(0.01, i * 0.01);
    expect(v.state.x).toBeCloseTo(1, 9);
    expect(v.state.y).toBeCloseTo(4, 6);
    expect(v.state.odometerM).toBeCloseTo(2, 6);
    expect(v.state.wheelSpeedMps).toBe(v.state.vxMps);
  });
});

describe('Vehicle dynamic model', () => {
  it('matches the kinematic model at low speed', () => {
    for (const speedMps of [0.3, 0.8]) {
      const kin = driveCircle({ kind: 'kinematic' }, { steeringRad: 0.3, speedMps });
      const dyn = driveCircle({ kind: 'dynamic' }, { steeringRad: 0.3, speedMps });
      expect(Math.abs(dyn.radiusM - kin.radiusM) / kin.radiusM).toBeLessThan(0.02);
    }
  });

  it('understeers (larger radius) at high lateral acceleration', () => {
    const cmd = { steeringRad: 0.12, speedMps: 3.5 };
    const kin = driveCircle({ kind: 'kinematic' }, cmd);
    const dyn = driveCircle({ kind: 'dynamic' }, cmd);
    expect(kin.meanAyMps2).toBeGreaterThan(5);
    expect(dyn.radiusM).toBeGreaterThan(1.05 * kin.radiusM);
    // Lateral acceleration can never exceed what the tyres can give.
    expect(Math.abs(dyn.meanAyMps2)).toBeLessThanOrEqual(9.81 * 1.0 + 1e-6);
    // The rear axle slides outwards in a steady left turn.
    expect(dyn.vehicle.state.vyMps).toBeLessThan(0);
  });

  it('stays at the friction limit at full lock and high speed instead of diverging', () => {
    const r = driveCircle({ kind: 'dynamic' }, { steeringRad: 0.45, speedMps: 4 });
    expect(Number.isFinite(r.radiusM)).toBe(true);
    expect(Math.abs(r.meanAyMps2)).toBeLessThanOrEqual(9.81 + 1e-6);
    expect(Math.abs(r.meanAyMps2)).toBeGreaterThan(5);
  });

  it('slows from a turn to a stop without spinning on the spot', () => {
    const v = new Vehicle(testCalibration(), { kind: 'dynamic' });
    v.reset({ x: 0, y: 0, yawRad: 0 }, 3);
    v.setCommand({ steeringRad: 0.3, speedMps: 3 }, 0);
    let t = 0;
    for (let i = 0; i < 200; i++, t += 0.01) v.step(0.01, t);
    v.setCommand({ steeringRad: 0.3, speedMps: 0 }, t);
    for (let i = 0; i < 300; i++, t += 0.01) v.step(0.01, t);
    expect(v.state.vxMps).toBeCloseTo(0, 6);
    expect(Math.abs(v.state.yawRateRadps)).toBeLessThan(1e-6);
    expect(Math.abs(v.state.vyMps)).toBeLessThan(1e-6);
  });
});

describe('Vehicle actuators', () => {
  it('limits the steering angle and slews it at the max rate', () => {
    const cal = testCalibration({ actuator_delay_ms: 0 });
    const v = new Vehicle(cal, { kind: 'kinematic' });
    v.setCommand({ steeringRad: 1.0, speedMps: 0 }, 0);
    const dt = 0.01;
    let prev = 0;
    for (let i = 0; i < 40; i++) {
      v.step(dt, i * dt);
      const rate = (v.state.steeringRad - prev) / dt;
      expect(rate).toBeLessThanOrEqual(3.0 + 1e-9);
      prev = v.state.steeringRad;
    }
    expect(v.state.steeringRad).toBe(0.45);
    // 0.45 rad at 3 rad/s takes 0.15 s: after 0.1 s it is at 0.3.
    const w = new Vehicle(cal, { kind: 'kinematic' });
    w.setCommand({ steeringRad: -1, speedMps: 0 }, 0);
    w.step(0.1, 0);
    expect(w.state.steeringRad).toBeCloseTo(-0.3, 12);
  });

  it('keeps acceleration within [-max_decel, max_accel] and speed within [-max_reverse, max_speed]', () => {
    for (const kind of ['kinematic', 'dynamic'] as const) {
      const v = new Vehicle(testCalibration({ actuator_delay_ms: 0 }), { kind });
      const dt = 0.002;
      let t = 0;
      let prev = 0;
      let maxA = -Infinity;
      let minA = Infinity;
      let maxV = -Infinity;
      let minV = Infinity;
      const run = (speedMps: number, seconds: number): void => {
        v.setCommand({ steeringRad: 0, speedMps }, t);
        for (let i = 0; i < seconds / dt; i++, t += dt) {
          v.step(dt, t);
          const a = (v.state.vxMps - prev) / dt;
          prev = v.state.vxMps;
          maxA = Math.max(maxA, a);
          minA = Math.min(minA, a);
          maxV = Math.max(maxV, v.state.vxMps);
          minV = Math.min(minV, v.state.vxMps);
        }
      };
      run(10, 3); // above max_speed
      run(-5, 2); // reverse not allowed on this car
      expect(maxA).toBeLessThanOrEqual(3 + 1e-9);
      expect(maxA).toBeGreaterThan(2.99);
      expect(minA).toBeGreaterThanOrEqual(-6 - 1e-9);
      expect(minA).toBeLessThan(-5.99);
      expect(maxV).toBeLessThanOrEqual(4 + 1e-9);
      expect(maxV).toBeGreaterThan(3.99);
      expect(minV).toBeGreaterThanOrEqual(-1e-9);
    }
  });

  it('reverses with the reverse limit when the calibration allows it', () => {
    const v = new Vehicle(testCalibration({ actuator_delay_ms: 0, max_reverse_speed_mps: 1 }), { kind: 'dynamic' });
    v.setCommand({ steeringRad: 0.2, speedMps: -3 }, 0);
    for (let i = 0; i < 300; i++) v.step(0.01, i * 0.01);
    // A P-only speed loop leaves a small error against the tyre drag of the turn.
    expect(v.state.vxMps).toBeGreaterThanOrEqual(-1);
    expect(v.state.vxMps).toBeCloseTo(-1, 2);
    expect(v.state.yawRateRadps).toBeLessThan(0); // reversing with left steering turns clockwise
  });

  it('applies a step command exactly one actuator delay later', () => {
    const v = new Vehicle(testCalibration(), { kind: 'kinematic' });
    const dt = 0.002;
    let t = 0;
    for (let i = 0; i < 50; i++, t += dt) v.step(dt, t); // settle at t = 0.1
    const t0 = t;
    v.setCommand({ steeringRad: 0.3, speedMps: 1 }, t0);
    let firstMoveS = NaN;
    for (let i = 0; i < 50; i++, t += dt) {
      v.step(dt, t);
      if (Number.isNaN(firstMoveS) && v.state.steeringRad !== 0) firstMoveS = t; // step started at t
    }
    expect(firstMoveS - t0).toBeCloseTo(0.02, 9);
    expect(v.pendingCommands).toBe(0);
  });

  it('applies a delayed command in the middle of a longer step at the right substep', () => {
    const v = new Vehicle(testCalibration({ actuator_delay_ms: 20 }), { kind: 'kinematic', substepS: 0.002 });
    v.setCommand({ steeringRad: 0.3, speedMps: 0 }, 0);
    v.step(0.03, 0); // command active from 0.02: 5 substeps of slew at 3 rad/s
    expect(v.state.steeringRad).toBeCloseTo(0.03, 12);
  });

  it('rejects non-finite commands, counts them and keeps the previous command', () => {
    const v = new Vehicle(testCalibration({ actuator_delay_ms: 0 }), { kind: 'kinematic' });
    expect(v.setCommand({ steeringRad: 0.2, speedMps: 1 }, 0)).toBe(true);
    expect(v.setCommand({ steeringRad: Number.NaN, speedMps: 1 }, 0)).toBe(false);
    expect(v.setCommand({ steeringRad: 0, speedMps: Infinity }, 0)).toBe(false);
    expect(v.setCommand({ steeringRad: 0, speedMps: 1 }, Number.NaN)).toBe(false);
    for (let i = 0; i < 200; i++) v.step(0.01, i * 0.01);
    expect(v.rejectedCommands).toBe(3);
    expect(v.activeCommand).toEqual({ steeringRad: 0.2, speedMps: 1 });
    expect(v.state.steeringRad).toBeCloseTo(0.2, 12);
    expect(v.state.vxMps).toBeCloseTo(1, 6);
    for (const k of Object.keys(v.state) as (keyof VehicleState)[]) expect(Number.isFinite(v.state[k])).toBe(true);
  });

  it('gives bit-identical states for the same commands (determinism)', () => {
    const run = (): number[] => {
      const v = new Vehicle(testCalibration(), { kind: 'dynamic' });
      v.reset({ x: 0.5, y: -1, yawRad: 0.3 });
      const trace: number[] = [];
      for (let i = 0; i < 1000; i++) {
        const t = i * 0.01;
        v.setCommand({ steeringRad: 0.45 * Math.sin(t * 1.3), speedMps: 2 + 2 * Math.sin(t * 0.7) }, t);
        v.step(0.01, t);
        const s = v.state;
        trace.push(s.x, s.y, s.yawRad, s.vxMps, s.vyMps, s.yawRateRadps, s.steeringRad, s.axMps2, s.ayMps2, s.odometerM);
      }
      return trace;
    };
    const a = run();
    const b = run();
    expect(Buffer.from(new Float64Array(a).buffer).equals(Buffer.from(new Float64Array(b).buffer))).toBe(true);
  });

  it('refuses bad steps and parameters with the value in the message', () => {
    const v = new Vehicle(testCalibration());
    expect(() => v.step(-0.01, 0)).toThrow(/E_SIM_STEP: Vehicle.step: dtS .*got -0.01/);
    expect(() => v.reset({ x: Number.NaN, y: 0, yawRad: 0 })).toThrow(/pose.x must be finite \(got NaN\)/);
    expect(() => new Vehicle(testCalibration(), { substepS: 0 })).toThrow(/E_SIM_CONFIG: vehicle params: substepS: .*got 0/);
    expect(() => new Vehicle(testCalibration(), { cgToFrontM: 0.3 })).toThrow(/cgToFrontM.*got 0.3/);
  });

  it('places the footprint on the wheelbase midpoint with the documented size', () => {
    const v = new Vehicle(testCalibration());
    v.reset({ x: 1, y: 1, yawRad: Math.PI / 2 });
    const f = v.footprint();
    expect(f.cx).toBeCloseTo(1, 12);
    expect(f.cy).toBeCloseTo(1 + L / 2, 12);
    expect(f.halfLengthM).toBeCloseTo((1.6 * L) / 2, 12);
    expect(f.halfWidthM).toBeCloseTo((0.22 + 0.04) / 2, 12);
    const out = { cx: 0, cy: 0, yawRad: 0, halfLengthM: 0, halfWidthM: 0 };
    expect(v.footprint(out)).toBe(out);
  });
});

describe('CommandDelayLine', () => {
  it('never reorders, and folds overflow into the newest entry', () => {
    const d = new CommandDelayLine(2);
    const out = { steeringRad: 0, speedMps: 0 };
    d.push({ steeringRad: 1, speedMps: 1 }, 1.0);
    d.push({ steeringRad: 2, speedMps: 2 }, 0.5); // earlier time: held behind the first
    d.push({ steeringRad: 3, speedMps: 3 }, 2.0); // full
    expect(d.overflows).toBe(1);
    expect(d.release(0.9, out)).toBe(false);
    expect(d.release(1.0, out)).toBe(true);
    expect(out.steeringRad).toBe(3); // entry 2 took entry 3's value at 1.0
    expect(d.size).toBe(0);
  });
});

/** Shared fixtures for the vehicle and sensor tests: the bundled 1/10 car and a circle fit. */
import { parseVehicleCalibration, type VehicleCalibration } from '../../../src/core/calibration/vehicle.js';
import { Vehicle } from '../../../sim/vehicle/vehicle.js';
import type { DriveCommand, VehicleSimParams } from '../../../sim/vehicle/types.js';

/** calibration/vehicle.yaml, inlined so a calibration edit does not silently move the tests. */
export function testCalibration(overrides: Record<string, unknown> = {}): VehicleCalibration {
  return parseVehicleCalibration(
    {
      wheelbase_m: 0.26,
      track_width_m: 0.22,
      max_steering_angle_rad: 0.45,
      max_steering_rate_radps: 3.0,
      max_speed_mps: 4.0,
      max_reverse_speed_mps: 0.0,
      max_acceleration_mps2: 3.0,
      max_deceleration_mps2: 6.0,
      actuator_delay_ms: 20,
      mass_kg: 2.5,
      ...overrides,
    },
    'test vehicle',
  );
}

/**
 * Hold `cmd` from a rolling start at its speed for `settleS`, then record the rear-axle track
 * for `recordS`. Returns the fitted circle and the states seen while recording.
 */
export function driveCircle(
  params: Partial<VehicleSimParams>,
  cmd: DriveCommand,
  { settleS = 3, recordS = 4, dtS = 0.01 } = {},
): { radiusM: number; meanYawRateRadps: number; meanAyMps2: number; meanSpeedMps: number; vehicle: Vehicle } {
  const v = new Vehicle(testCalibration(), params);
  v.reset({ x: 0, y: 0, yawRad: 0 }, cmd.speedMps);
  v.setCommand(cmd, 0);
  let t = 0;
  const steps = Math.round(settleS / dtS);
  for (let i = 0; i < steps; i++, t += dtS) v.step(dtS, t);
  const xs: number[] = [];
  const ys: number[] = [];
  let yawRate = 0;
  let ay = 0;
  let speed = 0;
  const n = Math.round(recordS / dtS);
  for (let i = 0; i < n; i++, t += dtS) {
    v.step(dtS, t);
    xs.push(v.state.x);
    ys.push(v.state.y);
    yawRate += v.state.yawRateRadps;
    ay += v.state.ayMps2;
    speed += v.state.vxMps;
  }
  return { radiusM: fitCircle(xs, ys).radiusM, meanYawRateRadps: yawRate / n, meanAyMps2: ay / n, meanSpeedMps: speed / n, vehicle: v };
}

/** Least-squares (Kåsa) circle fit: x² + y² + D·x + E·y + F = 0. */
export function fitCircle(xs: readonly number[], ys: readonly number[]): { cx: number; cy: number; radiusM: number } {
  // Normal equations of [x y 1]·[D E F]ᵀ = -(x² + y²), solved by Cramer's rule.
  let sxx = 0, sxy = 0, syy = 0, sx = 0, sy = 0, sxz = 0, syz = 0, sz = 0;
  const n = xs.length;
  for (let i = 0; i < n; i++) {
    const x = xs[i]!;
    const y = ys[i]!;
    const z = -(x * x + y * y);
    sxx += x * x; sxy += x * y; syy += y * y; sx += x; sy += y; sxz += x * z; syz += y * z; sz += z;
  }
  const det3 = (a: number[]): number =>
    a[0]! * (a[4]! * a[8]! - a[5]! * a[7]!) - a[1]! * (a[3]! * a[8]! - a[5]! * a[6]!) + a[2]! * (a[3]! * a[7]! - a[4]! * a[6]!);
  const m = [sxx, sxy, sx, sxy, syy, sy, sx, sy, n];
  const d = det3(m);
  const D = det3([sxz, sxy, sx, syz, syy, sy, sz, sy, n]) / d;
  const E = det3([sxx, sxz, sx, sxy, syz, sy, sx, sz, n]) / d;
  const F = det3([sxx, sxy, sxz, sxy, syy, syz, sx, sy, sz]) / d;
  const cx = -D / 2;
  const cy = -E / 2;
  return { cx, cy, radiusM: Math.sqrt(cx * cx + cy * cy - F) };
}

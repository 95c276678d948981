/** Option checks shared by the sensors: errors name the sensor, the option and the value. */
import { PilotError } from '../../src/core/util/errors.js';

export function requireNonNegative(owner: string, name: string, value: number): void {
  if (!(Number.isFinite(value) && value >= 0)) throw new PilotError('E_SIM_CONFIG', `${owner}: ${name}: expected finite number ≥ 0 (got ${value})`);
}

export function requireFinite(owner: string, name: string, value: number): void {
  if (!Number.isFinite(value)) throw new PilotError('E_SIM_CONFIG', `${owner}: ${name}: expected finite number (got ${value})`);
}

/**
 * Variance reported for a noiseless channel. sensor_msgs treats an all-zero covariance as
 * "unknown", which a perfect simulated sensor is not.
 */
export const VARIANCE_FLOOR = 1e-9;

/** sigma², at least VARIANCE_FLOOR. */
export function variance(sigma: number): number {
  return floorVariance(sigma * sigma);
}

export function floorVariance(v: number): number {
  return v > VARIANCE_FLOOR ? v : VARIANCE_FLOOR;
}

/** A Partial without its undefined keys, so spreading it over defaults keeps the defaults. */
export function withoutUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

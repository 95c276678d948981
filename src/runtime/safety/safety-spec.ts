/**
 * Safety limits per action field from the vehicle calibration or the arm description, and the config
 * (the tighter wins). A field without any limit is an error at start: the robot never receives an
 * unbounded value. Arm joints get position, velocity (max_rate) and acceleration limits from the
 * description; their stop command holds the measured position, so `safety.stop` does not apply.
 */
import type { VehicleCalibration } from '../../core/calibration/vehicle.js';
import type { ArmDescription } from '../../core/kinematics/arm-description.js';
import type { PilotConfig } from '../../core/config/schema.js';
import { PilotError } from '../../core/util/errors.js';
import type { SafetyFieldSpec } from './safety-layer.js';

export function buildSafetyFields(
  actionNames: readonly string[],
  profile: 'vehicle' | 'arm',
  safety: PilotConfig['safety'],
  vehicle: VehicleCalibration | undefined,
  arm?: ArmDescription,
): SafetyFieldSpec[] {
  for (const key of Object.keys(safety.limits)) requireField(actionNames, key, 'safety.limits');
  for (const key of Object.keys(safety.max_rate)) requireField(actionNames, key, 'safety.max_rate');
  for (const key of Object.keys(safety.stop)) requireField(actionNames, key, 'safety.stop');
  if (profile === 'arm' && arm) {
    for (const key of Object.keys(safety.stop)) {
      throw new PilotError('E_CONFIG', `safety.stop.${key}: an arm holds its measured position on stop; a fixed stop value would move the joint (remove it)`);
    }
    return actionNames.map((name) => armField(name, arm, safety));
  }

  return actionNames.map((name) => {
    let min = -Infinity;
    let max = Infinity;
    let rate = Infinity;
    let stop: number | undefined = safety.stop[name];
    if (profile === 'vehicle' && vehicle) {
      if (name === 'steering_angle') {
        min = -vehicle.max_steering_angle_rad;
        max = vehicle.max_steering_angle_rad;
        rate = vehicle.max_steering_rate_radps;
      } else if (name === 'speed') {
        min = -vehicle.max_reverse_speed_mps;
        max = vehicle.max_speed_mps;
        rate = vehicle.max_acceleration_mps2;
        stop ??= 0;
      }
    }
    const configured = safety.limits[name];
    if (configured) {
      min = Math.max(min, configured[0]);
      max = Math.min(max, configured[1]);
      if (min > max) {
        throw new PilotError('E_SAFETY_CONFIG', `safety.limits.${name} [${configured.join(', ')}] does not overlap the vehicle calibration limits`);
      }
    }
    if (safety.max_rate[name] !== undefined) rate = Math.min(rate, safety.max_rate[name]!);
    if (!Number.isFinite(min) || !Number.isFinite(max)) {
      throw new PilotError('E_SAFETY_CONFIG', `action '${name}' has no limits: set safety.limits.${name}: [min, max] in the config`);
    }
    const initial = stop ?? (min <= 0 && max >= 0 ? 0 : (min + max) / 2);
    return { name, min, max, maxRatePerS: rate, stop, initial };
  });
}

function armField(name: string, arm: ArmDescription, safety: PilotConfig['safety']): SafetyFieldSpec {
  const j = arm.jointNames.indexOf(name);
  if (j < 0) throw new PilotError('E_MODEL_CONTRACT', `action '${name}' is not a joint of the arm (${arm.source}: ${arm.jointNames.join(', ')})`);
  const limits = arm.limits[j]!;
  let min = limits.lower;
  let max = limits.upper;
  const configured = safety.limits[name];
  if (configured) {
    min = Math.max(min, configured[0]);
    max = Math.min(max, configured[1]);
    if (min > max) {
      throw new PilotError('E_SAFETY_CONFIG', `safety.limits.${name} [${configured.join(', ')}] does not overlap the joint limits [${limits.lower}, ${limits.upper}] of ${arm.source}`);
    }
  }
  if (!Number.isFinite(min) || !Number.isFinite(max)) {
    throw new PilotError('E_SAFETY_CONFIG', `joint '${name}' has no position limits (continuous joint): set safety.limits.${name}: [min, max] in the config`);
  }
  const rate = Math.min(limits.maxVelocity, safety.max_rate[name] ?? Infinity);
  const home = arm.home[j]!;
  return { name, min, max, maxRatePerS: rate, maxAccelPerS2: limits.maxAcceleration, stop: undefined, initial: Math.min(max, Math.max(min, home)) };
}

function requireField(actionNames: readonly string[], key: string, where: string): void {
  if (!actionNames.includes(key)) {
    throw new PilotError('E_CONFIG', `${where}.${key}: the model has no action '${key}' (actions: ${actionNames.join(', ')})`);
  }
}

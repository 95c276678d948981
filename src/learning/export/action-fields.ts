/** The action fields of the contracts pilot writes: raw tanh ±1 mapped to each action's physical range. */

/** Driving: tanh ±1 ↔ ±max steering (rad) and 0..max speed (m/s). */
export function drivingActionFields(maxSteeringRad: number, maxSpeedMps: number): { name: string; unit: string; scale: number; offset: number }[] {
  return [
    { name: 'steering_angle', unit: 'rad', scale: maxSteeringRad, offset: 0 },
    { name: 'speed', unit: 'm/s', scale: maxSpeedMps / 2, offset: maxSpeedMps / 2 },
  ];
}

/** A joint's limits (rad). */
export interface JointLimits {
  readonly name: string;
  readonly lower: number;
  readonly upper: number;
}

/** Action fields of an arm policy: tanh ±1 ↔ each joint's [lower, upper] (scale = half range, offset = middle), rad. */
export function armActionFields(joints: readonly JointLimits[]): { name: string; unit: string; scale: number; offset: number }[] {
  return joints.map((j) => ({ name: j.name, unit: 'rad', scale: (j.upper - j.lower) / 2, offset: (j.upper + j.lower) / 2 }));
}


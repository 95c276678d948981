/**
 * Vehicle simulation types. Frames follow REP-103: world `odom` (x forward/east, y left/north,
 * z up, yaw CCW from +x), body `base_link` (x forward, y left). The reference point of the pose
 * and of the body velocities is `base_link` = the centre of the rear axle (the usual choice for
 * Ackermann cars, e.g. Autoware), so a kinematic car at steering δ drives a circle of radius
 * L / tan(δ) with zero lateral velocity.
 */

export interface VehicleState {
  /** Rear-axle centre in `odom`. */
  x: number;
  y: number;
  /** Heading in (-π, π]. */
  yawRad: number;
  /** Body-frame velocity of the rear-axle centre: forward… */
  vxMps: number;
  /** …and lateral (+ left); 0 for the kinematic model, the slip of the rear axle for the dynamic one. */
  vyMps: number;
  yawRateRadps: number;
  /** Actual front wheel angle after limits, slew and delay (+ left). */
  steeringRad: number;
  /** Body-frame acceleration of the rear-axle centre (what an IMU there feels, minus gravity), averaged over the last step. */
  axMps2: number;
  ayMps2: number;
  /** Rear wheel surface speed; wheels roll without longitudinal slip, so this equals vxMps. */
  wheelSpeedMps: number;
  /** Distance driven by the rear-axle centre since reset, always increasing. */
  odometerM: number;
}

/** Ackermann-style target, what ackermann_msgs/AckermannDrive carries. */
export interface DriveCommand {
  steeringRad: number;
  speedMps: number;
}

export type VehicleModelKind = 'kinematic' | 'dynamic';

/**
 * Simulation parameters beyond the calibration. Defaults describe a 1/10-scale car of about
 * 2.5 kg; tyre and inertia values are the F1TENTH single-track parameters (Althoff et al.,
 * CommonRoad vehicle models) scaled to this mass and wheelbase.
 */
export interface VehicleSimParams {
  kind: VehicleModelKind;
  /** Fixed integration substep; a step of dt runs ceil(dt / substepS) equal substeps. Dynamic model: keep ≤ 0.005 s (tyre dynamics are stiff at low speed). */
  substepS: number;
  /** Linear tyre cornering stiffness per axle, N/rad. Rear stiffer than front: the car understeers. */
  corneringStiffnessFrontNpr: number;
  corneringStiffnessRearNpr: number;
  /** Tyre-road friction coefficient; each axle's force stays inside μ·Fz (friction circle). */
  frictionCoeff: number;
  yawInertiaKgm2: number;
  /** CG to front axle; undefined = half the wheelbase. */
  cgToFrontM?: number;
  /** Mass; undefined = calibration mass_kg, else 2.5 kg. */
  massKg?: number;
  /** Longitudinal P gain, (m/s²) per (m/s) of speed error (time constant 1/gain). */
  speedControllerGain: number;
  /** Dynamic model: pure kinematic below this |vx|, pure dynamic above blendHighMps, linear blend between. */
  blendLowMps: number;
  blendHighMps: number;
  /** Time constant pulling lateral velocity and yaw rate onto the kinematic values in the kinematic regime, so a slide that slows below blendLowMps stops turning. */
  kinematicRelaxS: number;
  gravityMps2: number;
  /** Pending commands in the actuator delay line; more are folded into the newest (counted). */
  delayLineCapacity: number;
  /** Body length for the footprint; undefined = 1.6 × wheelbase. */
  bodyLengthM?: number;
  /** Body width minus track width (tyre width and bodywork). */
  bodyWidthMarginM: number;
}

export const DEFAULT_VEHICLE_SIM_PARAMS: Readonly<VehicleSimParams> = Object.freeze({
  kind: 'dynamic',
  substepS: 0.002,
  // F1TENTH: C_S ≈ 4.7 / 5.5 per unit load; × 12.3 N static load per axle for 2.5 kg.
  corneringStiffnessFrontNpr: 58,
  corneringStiffnessRearNpr: 67,
  frictionCoeff: 1.0,
  // F1TENTH 0.047 kg·m² scaled by mass and length², rounded up for a longer body.
  yawInertiaKgm2: 0.03,
  speedControllerGain: 10,
  blendLowMps: 0.25,
  blendHighMps: 0.5,
  kinematicRelaxS: 0.02,
  gravityMps2: 9.81,
  delayLineCapacity: 256,
  bodyWidthMarginM: 0.04,
});

/** Actuator limits from the calibration, in SI units. */
export interface VehicleLimits {
  readonly wheelbaseM: number;
  readonly trackWidthM: number;
  readonly maxSteeringRad: number;
  readonly maxSteeringRateRadps: number;
  readonly maxSpeedMps: number;
  readonly maxReverseSpeedMps: number;
  readonly maxAccelMps2: number;
  readonly maxDecelMps2: number;
  readonly actuatorDelayS: number;
}

/** Oriented rectangle of the body in `odom` (same shape as sim/core's OrientedBox). */
export interface VehicleFootprint {
  cx: number;
  cy: number;
  yawRad: number;
  halfLengthM: number;
  halfWidthM: number;
}

export interface Pose2D {
  x: number;
  y: number;
  yawRad: number;
}

/**
 * Single-track (bicycle) model maths, pure and allocation-free: rates of the CG body velocities
 * (vx, vy, yaw rate) for the kinematic and the dynamic model. See Rajamani, "Vehicle Dynamics and
 * Control", ch. 2–3, and the CommonRoad single-track model.
 */

export interface BicycleBody {
  massKg: number;
  yawInertiaKgm2: number;
  wheelbaseM: number;
  cgToFrontM: number;
  cgToRearM: number;
  corneringStiffnessFrontNpr: number;
  corneringStiffnessRearNpr: number;
  frictionCoeff: number;
  gravityMps2: number;
}

/**
 * Model inputs at one instant. Passed as a reused object rather than as arguments: doubles
 * passed to a call V8 does not inline are boxed, which would allocate every substep.
 */
export interface BicycleInput {
  /** CG body-frame velocities. */
  vxMps: number;
  vyMps: number;
  yawRateRadps: number;
  steeringRad: number;
  steeringRateRadps: number;
  accelMps2: number;
}

/** Time derivatives of the CG body-frame velocities. */
export interface BicycleRates {
  vxDotMps2: number;
  vyDotMps2: number;
  yawAccelRadps2: number;
}

/** Weight of the dynamic model: 0 below `lowMps`, 1 above `highMps`, linear between. */
export function dynamicBlendWeight(speedMps: number, lowMps: number, highMps: number): number {
  const v = Math.abs(speedMps);
  if (v <= lowMps) return 0;
  if (v >= highMps) return 1;
  return (v - lowMps) / (highMps - lowMps);
}

/**
 * Kinematic bicycle in CG velocities: vy and yaw rate follow the no-slip values
 * vx·lr·tanδ/L and vx·tanδ/L (their time derivatives, plus a relaxation with time constant
 * `relaxS` onto them so any leftover slide dies out).
 */
export function kinematicRates(body: BicycleBody, input: Readonly<BicycleInput>, relaxS: number, out: BicycleRates): BicycleRates {
  const { vxMps, vyMps, yawRateRadps, steeringRad, steeringRateRadps, accelMps2 } = input;
  const L = body.wheelbaseM;
  const t = Math.tan(steeringRad);
  const yawRateNoSlip = (vxMps * t) / L;
  const vyNoSlip = body.cgToRearM * yawRateNoSlip;
  // d/dt (vx·tanδ) = a·tanδ + vx·δ̇·sec²δ
  const d = accelMps2 * t + vxMps * steeringRateRadps * (1 + t * t);
  out.vxDotMps2 = accelMps2;
  out.vyDotMps2 = (body.cgToRearM * d) / L + (vyNoSlip - vyMps) / relaxS;
  out.yawAccelRadps2 = d / L + (yawRateNoSlip - yawRateRadps) / relaxS;
  return out;
}

/**
 * Dynamic bicycle with linear tyres saturating at the friction circle. Slip angles are taken in
 * each tyre's own frame against |longitudinal velocity|, so reversing works too. The commanded
 * acceleration is produced by both axles in proportion to their static load (4WD drive and
 * braking, as on most 1/10 cars); no load transfer, no longitudinal slip.
 */
export function dynamicRates(body: BicycleBody, input: Readonly<BicycleInput>, out: BicycleRates): BicycleRates {
  const { vxMps, vyMps, yawRateRadps, steeringRad, accelMps2 } = input;
  const { massKg: m, wheelbaseM: L, cgToFrontM: lf, cgToRearM: lr, gravityMps2: g, frictionCoeff: mu } = body;
  const fzFrontN = (m * g * lr) / L;
  const fzRearN = (m * g * lf) / L;
  const c = Math.cos(steeringRad);
  const s = Math.sin(steeringRad);

  // Front tyre: velocity of the front axle centre rotated into the wheel frame.
  const vyFront = vyMps + lf * yawRateRadps;
  const uFront = vxMps * c + vyFront * s;
  const wFront = -vxMps * s + vyFront * c;
  const slipFrontRad = Math.atan2(wFront, Math.abs(uFront));
  const slipRearRad = Math.atan2(vyMps - lr * yawRateRadps, Math.abs(vxMps));

  const fxFrontN = saturate((fzFrontN * accelMps2) / g, mu * fzFrontN);
  const fxRearN = saturate((fzRearN * accelMps2) / g, mu * fzRearN);
  const fyFrontN = saturate(-body.corneringStiffnessFrontNpr * slipFrontRad, remaining(mu * fzFrontN, fxFrontN));
  const fyRearN = saturate(-body.corneringStiffnessRearNpr * slipRearRad, remaining(mu * fzRearN, fxRearN));

  const fxBodyN = fxFrontN * c - fyFrontN * s + fxRearN;
  const fyFrontBodyN = fxFrontN * s + fyFrontN * c;
  out.vxDotMps2 = fxBodyN / m + yawRateRadps * vyMps;
  out.vyDotMps2 = (fyFrontBodyN + fyRearN) / m - yawRateRadps * vxMps;
  out.yawAccelRadps2 = (lf * fyFrontBodyN - lr * fyRearN) / body.yawInertiaKgm2;
  return out;
}

function saturate(value: number, limit: number): number {
  return value > limit ? limit : value < -limit ? -limit : value;
}

/** Lateral force left inside the friction circle once `usedN` goes to the longitudinal direction. */
function remaining(maxN: number, usedN: number): number {
  const r = maxN * maxN - usedN * usedN;
  return r > 0 ? Math.sqrt(r) : 0;
}

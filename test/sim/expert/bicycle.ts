/** A kinematic bicycle for closed-loop tests of the expert (the simulator's vehicle model is separate). */
import type { ExpertCommand, ExpertDriver } from '../../../sim/expert/expert-driver.js';
import type { Track, TrackProjection } from '../../../sim/world/track.js';

export interface BicycleParams {
  wheelbaseM: number;
  maxSteeringRad: number;
  maxSteeringRateRadps: number;
  maxAccelMps2: number;
  maxDecelMps2: number;
}

/** calibration/vehicle.yaml's car. */
export const CAR: BicycleParams = { wheelbaseM: 0.26, maxSteeringRad: 0.45, maxSteeringRateRadps: 3, maxAccelMps2: 3, maxDecelMps2: 6 };

export class Bicycle {
  x = 0;
  y = 0;
  yawRad = 0;
  speedMps = 0;
  steeringRad = 0;

  constructor(readonly params: BicycleParams = CAR) {}

  /** Rear-axle reference point; steering rate and acceleration limited towards the command. */
  step(command: ExpertCommand, dtS: number): void {
    const p = this.params;
    const wanted = Math.max(-p.maxSteeringRad, Math.min(p.maxSteeringRad, command.steeringRad));
    const dSteer = p.maxSteeringRateRadps * dtS;
    this.steeringRad += Math.max(-dSteer, Math.min(dSteer, wanted - this.steeringRad));
    const dv = command.speedMps - this.speedMps;
    this.speedMps += Math.max(-p.maxDecelMps2 * dtS, Math.min(p.maxAccelMps2 * dtS, dv));
    this.x += this.speedMps * Math.cos(this.yawRad) * dtS;
    this.y += this.speedMps * Math.sin(this.yawRad) * dtS;
    this.yawRad += (this.speedMps / p.wheelbaseM) * Math.tan(this.steeringRad) * dtS;
  }
}

export interface LapRun {
  laps: number;
  timeS: number;
  meanAbsCteM: number;
  maxAbsCteM: number;
  maxSpeedMps: number;
  /** Cross-track error at every step. */
  cte: Float64Array;
  recoverySteps: number;
}

/** Drive `laps` laps from the start line (or give up after `maxTimeS`). */
export function driveLaps(track: Track, expert: ExpertDriver, laps: number, dtS = 0.01, maxTimeS = 600): LapRun {
  const car = new Bicycle();
  const start = track.poseAt(0);
  car.x = start.x;
  car.y = start.y;
  car.yawRad = start.headingRad;
  const cmd: ExpertCommand = { steeringRad: 0, speedMps: 0 };
  const proj: TrackProjection = { index: 0, sM: 0, crossTrackM: 0, headingRad: 0, curvature: 0, x: 0, y: 0 };
  track.project(car.x, car.y, undefined, proj);
  let lastS = proj.sM;
  let progressM = 0;
  let t = 0;
  let sum = 0;
  let max = 0;
  let maxSpeed = 0;
  let recoverySteps = 0;
  const cte: number[] = [];
  while (progressM < laps * track.lengthM && t < maxTimeS) {
    expert.command({ x: car.x, y: car.y, yawRad: car.yawRad, speedMps: car.speedMps }, dtS, cmd);
    if (expert.inRecoveryManoeuvre) recoverySteps++;
    car.step(cmd, dtS);
    t += dtS;
    track.project(car.x, car.y, proj.index, proj);
    progressM += track.deltaS(lastS, proj.sM);
    lastS = proj.sM;
    const e = Math.abs(proj.crossTrackM);
    cte.push(proj.crossTrackM);
    sum += e;
    if (e > max) max = e;
    if (car.speedMps > maxSpeed) maxSpeed = car.speedMps;
  }
  return { laps: progressM / track.lengthM, timeS: t, meanAbsCteM: sum / cte.length, maxAbsCteM: max, maxSpeedMps: maxSpeed, cte: Float64Array.from(cte), recoverySteps };
}

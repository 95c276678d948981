/**
 * Synthetic drives on a circular track for the metrics and report tests: the car runs counter-
 * clockwise, progress s puts it at angle s / R, and a cross-track error e (+ left = towards the
 * centre) at radius R - e.
 */
import type { DriveSample, DriveTrackInfo } from '../../../sim/drive/drive-result.js';
import { DriveMetrics, type DriveMetricsOptions } from '../../../sim/drive/metrics.js';
import { outlineFromCentreline } from '../../../sim/drive/metrics-path.js';

export const RADIUS_M = 20;
export const WIDTH_M = 4;
export const LENGTH_M = 2 * Math.PI * RADIUS_M;

export function circleTrack(name = 'circle', radiusM = RADIUS_M, widthM = WIDTH_M): DriveTrackInfo {
  return { name, split: 'test', lengthM: 2 * Math.PI * radiusM, widthM };
}

export function circleCentre(radiusM = RADIUS_M, points = 720): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < points; i++) {
    const a = (2 * Math.PI * i) / points;
    out.push([radiusM * Math.cos(a), radiusM * Math.sin(a)]);
  }
  return out;
}

export function circleMetrics(overrides: Partial<DriveMetricsOptions> = {}): DriveMetrics {
  return new DriveMetrics({
    track: circleTrack(),
    lapsRequested: 3,
    driver: { kind: 'expert', detail: 'synthetic' },
    seed: 1,
    mode: 'lockstep',
    ...overrides,
  });
}

/** A sample object to reuse, as the simulator would. */
export function blankSample(): DriveSample {
  return { tS: 0, x: 0, y: 0, yawRad: 0, speedMps: 0, steeringRad: 0, crossTrackM: 0, progressM: 0, onRoad: true, collided: false, intervention: false };
}

/** Fill `s` for the car at progress `progressM` with error `crossTrackM` on a circle of `radiusM`. */
export function place(s: DriveSample, tS: number, progressM: number, crossTrackM = 0, speedMps = 5, radiusM = RADIUS_M): DriveSample {
  const a = progressM / radiusM;
  const r = radiusM - crossTrackM;
  s.tS = tS;
  s.x = r * Math.cos(a);
  s.y = r * Math.sin(a);
  s.yawRad = a + Math.PI / 2;
  s.speedMps = speedMps;
  s.crossTrackM = crossTrackM;
  s.progressM = progressM;
  s.onRoad = Math.abs(crossTrackM) <= WIDTH_M / 2;
  s.collided = false;
  s.intervention = false;
  s.steeringRad = 0;
  delete s.safetyReason;
  return s;
}

export interface DriveOptions {
  dtS?: number;
  speedMps?: number;
  /** Stop once progress reaches this. */
  untilProgressM: number;
  crossTrack?: (tS: number, step: number) => number;
  steering?: (tS: number, step: number) => number;
}

/** Drive forward at constant speed from progress 0 at t = 0; returns the steps fed. */
export function driveForward(m: DriveMetrics, o: DriveOptions): number {
  const dt = o.dtS ?? 0.01;
  const v = o.speedMps ?? 5;
  const s = blankSample();
  let step = 0;
  for (;;) {
    const t = step * dt;
    const p = v * t;
    place(s, t, p, o.crossTrack?.(t, step) ?? 0, v);
    s.steeringRad = o.steering?.(t, step) ?? 0;
    m.add(s);
    step++;
    if (p >= o.untilProgressM) return step;
  }
}

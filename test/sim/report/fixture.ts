/** A realistic drive result for the report tests: three laps of a circle with a wobble and a few incidents. */
import type { DriveResult, DriveRuntimeStats } from '../../../sim/drive/drive-result.js';
import { DriveMetrics } from '../../../sim/drive/metrics.js';
import { outlineFromCentreline } from '../../../sim/drive/metrics-path.js';
import { blankSample, circleCentre, circleTrack, place } from '../drive/circle-drive.js';

export const RUNTIME: DriveRuntimeStats = {
  ticks: 7600,
  deadlineMisses: 2,
  skippedCycles: 1,
  staleInput: 0,
  latencyMs: { p50: 1.93, p90: 2.4, p99: 4.59, max: 8.52 },
  inferenceMs: { p50: 1.74, p99: 4.27 },
  safetyReasons: { ok: 7580, startup: 18, deadline_miss: 2 },
};

export interface FixtureOptions {
  name?: string;
  radiusM?: number;
  rateHz?: number;
  laps?: number;
  /** Steps at which the car is reset after drifting off. */
  resets?: number[];
  collisions?: number[];
  wobbleM?: number;
}

export function fixtureResult(o: FixtureOptions = {}): DriveResult {
  const radiusM = o.radiusM ?? 20;
  const laps = o.laps ?? 3;
  const dt = 1 / (o.rateHz ?? 50);
  const v = 5;
  const track = circleTrack(o.name ?? 'circle', radiusM, 4);
  const m = new DriveMetrics({
    track,
    lapsRequested: laps,
    driver: { kind: 'model', model: 'models/pilotnet-test.onnx', sha256: 'ab'.repeat(32) },
    seed: 7,
    mode: 'lockstep',
    outline: outlineFromCentreline(circleCentre(radiusM, 2000), 4),
  });
  const resets = new Set(o.resets ?? []);
  const hits = new Set(o.collisions ?? []);
  const s = blankSample();
  const wobble = o.wobbleM ?? 0.15;
  for (let i = 0; ; i++) {
    const t = i * dt;
    const p = v * t;
    // Drift out just before each reset, then come back to the centreline.
    let cte = wobble * Math.sin(t * 0.7) + 0.05 * Math.sin(t * 3.1);
    for (const r of resets) if (i < r && i >= r - 50) cte = ((50 - (r - i)) / 50) * 2.6;
    place(s, t, p, cte, v, radiusM);
    s.steeringRad = 0.25 + 0.05 * Math.sin(t * 2);
    s.intervention = resets.has(i);
    s.collided = hits.has(i);
    s.safetyReason = i < 10 ? 'startup' : 'ok';
    m.add(s);
    if (p >= laps * track.lengthM + 0.5) break;
  }
  return m.finish({ wallTimeS: 9.5, runtime: RUNTIME, lockstep: { steps: m.samples, commandTimeouts: 0 } });
}

import { PerformanceObserver, constants, performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import type { DriveSample } from '../../../sim/drive/drive-result.js';
import { DriveMetrics } from '../../../sim/drive/metrics.js';

/**
 * `add` must not allocate per step (beyond typed-array doubling, pre-sized away here): count the
 * young-generation collections while a million steps with incidents run. One boxed double per
 * step (16 B) would cause about eight.
 */
describe('DriveMetrics.add allocation', () => {
  it('runs a million steps with off-road, collisions, resets and laps without minor GCs', async () => {
    const radiusM = 20;
    const m = new DriveMetrics({
      track: { name: 'circle', split: 'test', lengthM: 2 * Math.PI * radiusM, widthM: 4 },
      lapsRequested: 10_000,
      driver: { kind: 'expert' },
      seed: 1,
      mode: 'lockstep',
      initialCapacity: 1_400_000,
    });
    const s: DriveSample = { tS: 0, x: 0, y: 0, yawRad: 0, speedMps: 5, steeringRad: 0, crossTrackM: 0, progressM: 0, onRoad: true, collided: false, intervention: false, safetyReason: 'ok' };
    const step = (i: number): void => {
      const t = i * 0.01;
      const p = 5 * t;
      const a = p / radiusM;
      const e = 0.3 * Math.sin(t) + (i % 5000 < 80 ? 2.5 : 0);
      s.tS = t;
      s.x = (radiusM - e) * Math.cos(a);
      s.y = (radiusM - e) * Math.sin(a);
      s.yawRad = a;
      s.crossTrackM = e;
      s.progressM = p;
      s.steeringRad = 0.2 * Math.sin(3 * t);
      s.onRoad = Math.abs(e) <= 2;
      s.collided = i % 7000 < 3;
      s.intervention = i % 5000 === 80;
      m.add(s);
    };
    for (let i = 0; i < 300_000; i++) step(i); // warm up: every branch taken, add optimised

    const minor: number[] = [];
    const obs = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const detail = (entry as unknown as { detail?: { kind?: number } }).detail;
        if (detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) minor.push(entry.startTime);
      }
    });
    obs.observe({ entryTypes: ['gc'] });
    const from = performance.now();
    for (let i = 300_000; i < 1_300_000; i++) step(i);
    const to = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 50)); // gc entries arrive asynchronously
    obs.disconnect();

    expect(m.lapsCompleted).toBeGreaterThan(400);
    expect(m.interventions).toBe(260);
    expect(minor.filter((t) => t >= from && t <= to).length).toBeLessThanOrEqual(1);
  });
});

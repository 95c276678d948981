import { describe, expect, it } from 'vitest';
import { DriveMetrics } from '../../../sim/drive/metrics.js';
import { outlineFromCentreline } from '../../../sim/drive/metrics-path.js';
import { LENGTH_M, RADIUS_M, blankSample, circleCentre, circleMetrics, circleTrack, driveForward, place } from './circle-drive.js';

describe('DriveMetrics laps', () => {
  it('counts laps when progress passes k × length and times them crossing to crossing', () => {
    const m = circleMetrics({ lapsRequested: 3 });
    driveForward(m, { untilProgressM: 3 * LENGTH_M + 1, speedMps: 5, dtS: 0.01 });
    const r = m.finish({ wallTimeS: 2 });
    expect(r.lapsCompleted).toBe(3);
    expect(r.completed).toBe(true);
    expect(r.endReason).toBe('laps completed');
    expect(r.lapTimesS).toHaveLength(3);
    for (const t of r.lapTimesS) expect(t).toBeCloseTo(LENGTH_M / 5, 6); // 25.1327 s, interpolated between steps
    expect(r.laps.map((l) => l.lap)).toEqual([1, 2, 3]);
    expect(r.laps.every((l) => l.complete)).toBe(true);
    expect(r.events.filter((e) => e.kind === 'lap').map((e) => e.detail)).toEqual(['lap 1: 25.133 s', 'lap 2: 25.133 s', 'lap 3: 25.133 s']);
    expect(r.realtimeFactor).toBeCloseTo(r.simTimeS / 2, 9);
    expect(m.done).toBe(true);
  });

  it('times laps at different speeds and keeps per-lap cross-track stats apart', () => {
    const m = circleMetrics({ lapsRequested: 2 });
    const s = blankSample();
    let t = 0;
    let p = 0;
    const dt = 0.01;
    m.add(place(s, 0, 0, 0.1));
    while (p < 2 * LENGTH_M + 0.5) {
      const v = p < LENGTH_M ? 5 : 4;
      t += dt;
      p += v * dt;
      m.add(place(s, t, p, p < LENGTH_M ? 0.1 : -0.3, v));
    }
    const r = m.finish({ wallTimeS: 1 });
    expect(r.lapTimesS[0]).toBeCloseTo(LENGTH_M / 5, 2);
    expect(r.lapTimesS[1]).toBeCloseTo(LENGTH_M / 4, 2);
    expect(r.laps[0]!.meanAbsCrossTrackM).toBeCloseTo(0.1, 9);
    expect(r.laps[0]!.maxAbsCrossTrackM).toBeCloseTo(0.1, 9);
    expect(r.laps[1]!.meanAbsCrossTrackM).toBeCloseTo(0.3, 9);
  });

  it('gives a reversing car no laps', () => {
    const m = circleMetrics({ lapsRequested: 1 });
    const s = blankSample();
    for (let i = 0; i <= 5000; i++) m.add(place(s, i * 0.01, -i * 0.01 * 5, 0, -5)); // to -250 m ≈ -2 laps
    const r = m.finish({ wallTimeS: 1 });
    expect(r.lapsCompleted).toBe(0);
    expect(r.lapTimesS).toEqual([]);
    expect(r.completed).toBe(false);
    expect(r.endReason).toBe('stopped before the requested laps');
    expect(r.laps).toHaveLength(1); // the lap in progress, not completed
    expect(r.laps[0]!.complete).toBe(false);
    expect(r.laps[0]!.timeS).toBeCloseTo(50, 9);
    expect(r.speed.minMps).toBe(-5);
  });

  it('counts a lap once when the car rocks back and forth over the line, and makes it drive lost progress again', () => {
    const m = circleMetrics({ lapsRequested: 3 });
    const s = blankSample();
    const L = LENGTH_M;
    // Forward to 0.9 L, back to 0.2 L, then rock around the line 1 L ten times, back to 0.5 L, forward to 2.05 L.
    const waypoints = [0, 0.9 * L, 0.2 * L];
    for (let k = 0; k < 10; k++) waypoints.push(1.02 * L, 0.98 * L);
    waypoints.push(0.5 * L, 2.05 * L);
    let t = 0;
    let p = 0;
    m.add(place(s, 0, 0));
    for (const target of waypoints.slice(1)) {
      const dir = Math.sign(target - p);
      while ((target - p) * dir > 1e-9) {
        p = dir > 0 ? Math.min(target, p + 0.05) : Math.max(target, p - 0.05);
        t += 0.01;
        m.add(place(s, t, p, 0, 5 * dir));
      }
      if (target === 1.02 * L && m.lapsCompleted !== 1) throw new Error(`expected lap 1 at the first crossing, got ${m.lapsCompleted}`);
    }
    const r = m.finish({ wallTimeS: 1 });
    expect(r.lapsCompleted).toBe(2);
    expect(r.events.filter((e) => e.kind === 'lap')).toHaveLength(2);
  });

  it('rejects non-finite and out-of-order samples and bad options', () => {
    const m = circleMetrics();
    const s = blankSample();
    m.add(place(s, 1, 0));
    expect(() => m.add(place(s, 0.5, 1))).toThrow(/E_DRIVE_SAMPLE: sample time went backwards at step 1: 0.5 s after 1 s/);
    const bad = place(s, 2, 1);
    bad.crossTrackM = NaN;
    expect(() => m.add(bad)).toThrow(/E_DRIVE_SAMPLE: non-finite .*crossTrackM=NaN/);
    expect(() => circleMetrics({ lapsRequested: 0 })).toThrow(/E_DRIVE_METRICS: laps requested/);
    expect(() => circleMetrics({ track: { ...circleTrack(), lengthM: 0 } })).toThrow(/track length must be positive/);
    expect(() => circleMetrics({ sampleEvery: 0 })).toThrow(/sampleEvery/);
  });
});

describe('DriveMetrics incidents', () => {
  it('counts off-road events by transitions, with off-road time and durations', () => {
    const m = circleMetrics();
    const s = blankSample();
    //              0  1  2  3  4  5  6  7  8  9 10 11
    const onRoad = [1, 1, 0, 0, 0, 1, 1, 0, 1, 0, 0, 1].map(Boolean);
    onRoad.forEach((on, i) => {
      place(s, i * 0.1, i * 0.5, on ? 0.5 : 2.5);
      m.add(s);
    });
    const r = m.finish({ wallTimeS: 1 });
    expect(r.offRoadEvents).toBe(3);
    expect(r.offRoadTimeS).toBeCloseTo(6 * 0.1, 9); // six off-road steps
    const events = r.events.filter((e) => e.kind === 'off_road');
    expect(events.map((e) => Math.round(e.tS * 10) / 10)).toEqual([0.2, 0.7, 0.9]);
    expect(events.map((e) => e.detail)).toEqual(['off road for 0.30 s', 'off road for 0.10 s', 'off road for 0.20 s']);
  });

  it('counts a drive that starts off road as one off-road event, still open at the end', () => {
    const m = circleMetrics();
    const s = blankSample();
    m.add(place(s, 0, 0, 3));
    m.add(place(s, 0.1, 0.5, 3));
    const r = m.finish({ wallTimeS: 1 });
    expect(r.offRoadEvents).toBe(1);
    expect(r.events[0]!.detail).toBe('off road until the end');
  });

  it('debounces collisions: continuous or flickering contact is one collision', () => {
    const m = circleMetrics({ collisionDebounceS: 1 });
    const s = blankSample();
    const contactAt = new Set([10, 11, 12, 15, 30, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80]);
    for (let i = 0; i < 100; i++) {
      place(s, i * 0.1, i * 0.5);
      s.collided = contactAt.has(i);
      m.add(s);
    }
    // 1.0–1.2 s and the flicker at 1.5 s: one; 3.0 s (1.5 s after the last contact): two; 5.0–8.0 s continuous: three.
    const r = m.finish({ wallTimeS: 1 });
    expect(r.collisions).toBe(3);
    expect(r.events.filter((e) => e.kind === 'collision').map((e) => Math.round(e.tS * 10) / 10)).toEqual([1, 3, 5]);
    expect(r.laps[0]!.collisions).toBe(3);
  });

  it('counts interventions, marks them where the car was before the reset and breaks the path there', () => {
    const m = circleMetrics();
    const s = blankSample();
    for (let i = 0; i < 50; i++) {
      const reset = i === 20 || i === 35;
      place(s, i * 0.1, i * 0.5, reset ? 0 : i === 19 || i === 34 ? 2.2 : 0.1);
      s.intervention = reset;
      m.add(s);
    }
    const r = m.finish({ wallTimeS: 1 });
    expect(r.interventions).toBe(2);
    const ev = r.events.filter((e) => e.kind === 'intervention');
    expect(ev.map((e) => Math.round(e.tS * 10) / 10)).toEqual([2, 3.5]);
    const before = place(blankSample(), 1.9, 19 * 0.5, 2.2);
    expect(ev[0]!.x).toBeCloseTo(before.x, 9);
    expect(ev[0]!.y).toBeCloseTo(before.y, 9);
    expect(ev[0]!.detail).toBe('reset from |cross-track| 2.20 m');
    expect(r.path.breaks).toEqual([20, 35]);
  });

  it('caps listed events per kind but keeps the counters exact', () => {
    const m = circleMetrics({ maxEventsPerKind: 2 });
    const s = blankSample();
    for (let i = 0; i < 20; i++) m.add(place(s, i * 0.1, i * 0.5, i % 2 === 0 ? 0 : 3));
    const r = m.finish({ wallTimeS: 1 });
    expect(r.offRoadEvents).toBe(10);
    expect(r.events.filter((e) => e.kind === 'off_road')).toHaveLength(2);
    expect(r.eventsOmitted).toEqual({ off_road: 8 });
  });

  it('lists harness events (timeouts) in time order', () => {
    const m = circleMetrics();
    const s = blankSample();
    for (let i = 0; i < 10; i++) {
      m.add(place(s, i * 0.1, i * 0.5, i === 5 ? 3 : 0));
      if (i === 7) m.noteEvent('timeout', 0.45, 'no command within 200 ms');
    }
    const r = m.finish({ wallTimeS: 1, lockstep: { steps: 10, commandTimeouts: 1 } });
    expect(r.events.map((e) => e.kind)).toEqual(['timeout', 'off_road']);
    expect(r.events[0]!.detail).toBe('no command within 200 ms');
    expect(r.lockstep).toEqual({ steps: 10, commandTimeouts: 1 });
  });
});

describe('DriveMetrics statistics', () => {
  it('computes cross-track stats matching a hand-computed set', () => {
    const m = circleMetrics();
    const s = blankSample();
    // ±0.01 … ±0.20 m, alternating sign starting negative.
    for (let k = 1; k <= 20; k++) m.add(place(s, k * 0.1, k * 0.5, (k % 2 === 0 ? 1 : -1) * 0.01 * k));
    const ct = m.finish({ wallTimeS: 1 }).crossTrack;
    expect(ct.meanAbsM).toBeCloseTo(0.105, 12); // (0.01 + … + 0.20) / 20
    expect(ct.meanM).toBeCloseTo(0.005, 12); // ten pairs of +0.01, / 20
    expect(ct.rmsM).toBeCloseTo(Math.sqrt(0.01435), 12); // sqrt(0.0001 × 2870 / 20)
    expect(ct.maxAbsM).toBeCloseTo(0.2, 12);
    expect(ct.p95AbsM).toBeCloseTo(0.19, 12); // nearest rank: ceil(0.95 × 20) = 19th of 20
  });

  it('measures steering smoothness of a sine command', () => {
    const m = circleMetrics();
    const A = 0.2;
    const w = 2 * Math.PI * 0.5; // 0.5 Hz
    driveForward(m, { untilProgressM: 5 * 20, dtS: 0.001, steering: (t) => A * Math.sin(w * t) }); // 20 s = 10 periods
    const st = m.finish({ wallTimeS: 1 }).steeringSmoothness;
    expect(st.meanAbsRateRadps).toBeCloseTo((A * w * 2) / Math.PI, 3); // mean |A w cos|
    expect(st.maxAbsRateRadps).toBeCloseTo(A * w, 3);
    expect(st.rmsAccelRadps2 / ((A * w * w) / Math.SQRT2)).toBeCloseTo(1, 3);
  });

  it('does not count the steering jump across a reset', () => {
    const run = (withReset: boolean): number => {
      const m = circleMetrics();
      const s = blankSample();
      for (let i = 0; i < 10; i++) {
        place(s, i * 0.1, i * 0.5);
        s.intervention = withReset && i === 5;
        s.steeringRad = i > 5 ? 0.3 : 0;
        m.add(s);
      }
      return m.finish({ wallTimeS: 1 }).steeringSmoothness.maxAbsRateRadps;
    };
    expect(run(false)).toBeCloseTo(3, 9); // 0.3 rad in 0.1 s
    expect(run(true)).toBe(0);
  });

  it('counts steps by safety reason and passes runtime stats through', () => {
    const m = circleMetrics();
    const s = blankSample();
    for (let i = 0; i < 10; i++) {
      place(s, i * 0.1, i * 0.5);
      s.safetyReason = i < 3 ? 'startup' : 'ok';
      m.add(s);
    }
    const runtime = {
      ticks: 10,
      deadlineMisses: 0,
      skippedCycles: 0,
      staleInput: 0,
      latencyMs: { p50: 1, p90: 2, p99: 3, max: 4 },
      inferenceMs: { p50: 0.5, p99: 1 },
      safetyReasons: { ok: 7, startup: 3 },
    };
    const r = m.finish({ wallTimeS: 1, runtime, faults: { camera_dropout: 2 } });
    expect(r.stepsBySafetyReason).toEqual({ startup: 3, ok: 7 });
    expect(r.runtime).toEqual(runtime);
    expect(r.runtime).not.toBe(runtime);
    expect(r.faults).toEqual({ camera_dropout: 2 });
  });

  it('reports NaN, not zero, for what an empty drive could not measure', () => {
    const r = circleMetrics().finish({ wallTimeS: 0 });
    expect(r.samples).toBe(0);
    expect(r.crossTrack.meanAbsM).toBeNaN();
    expect(r.crossTrack.p95AbsM).toBeNaN();
    expect(r.steeringSmoothness.meanAbsRateRadps).toBeNaN();
    expect(r.realtimeFactor).toBeNaN();
    expect(r.path.tS).toEqual([]);
    expect(r.laps).toEqual([]);
  });
});

describe('DriveMetrics path', () => {
  it('decimates a long drive to the bound, keeping the first and last step and the worst error', () => {
    const m = circleMetrics({ maxPathPoints: 5000, initialCapacity: 16 });
    const steps = driveForward(m, {
      untilProgressM: 3 * LENGTH_M + 1,
      dtS: 0.005,
      crossTrack: (_t, i) => (i === 12_345 ? 1.75 : 0.05 * Math.sin(i / 100)),
    });
    expect(steps).toBeGreaterThan(15_000);
    const r = m.finish({ wallTimeS: 1 });
    expect(r.samples).toBe(steps);
    const p = r.path;
    expect(p.tS.length).toBe(5000);
    for (const a of [p.x, p.y, p.crossTrackM, p.speedMps, p.steeringRad]) expect(a.length).toBe(5000);
    expect(p.tS[0]).toBe(0);
    expect(p.tS[4999]).toBeCloseTo((steps - 1) * 0.005, 9);
    expect(p.tS.every((t, i) => i === 0 || t > p.tS[i - 1]!)).toBe(true);
    expect(Math.max(...p.crossTrackM.map(Math.abs))).toBe(1.75);
    expect(r.crossTrack.maxAbsM).toBe(1.75);
  });

  it('keeps a reset as a path break through decimation and sampling', () => {
    const m = circleMetrics({ maxPathPoints: 100, sampleEvery: 7 });
    const s = blankSample();
    const n = 10_000;
    for (let i = 0; i < n; i++) {
      place(s, i * 0.01, i * 0.05);
      s.intervention = i === 4_321; // not a multiple of 7: the step itself is not recorded
      m.add(s);
    }
    const r = m.finish({ wallTimeS: 1 });
    expect(r.path.tS.length).toBe(100);
    expect(r.path.tS[99]).toBeCloseTo((n - 1) * 0.01, 9); // the last step, although 9999 % 7 ≠ 0
    expect(r.path.breaks).toHaveLength(1);
    const k = r.path.breaks[0]!;
    expect(r.path.tS[k - 1]!).toBeLessThan(43.21);
    expect(r.path.tS[k]!).toBeGreaterThanOrEqual(43.21);
  });

  it('finish can be called again after more samples without duplicating path points', () => {
    const m = circleMetrics({ sampleEvery: 3 });
    const s = blankSample();
    for (let i = 0; i < 5; i++) m.add(place(s, i * 0.1, i));
    expect(m.finish({ wallTimeS: 1 }).path.tS).toEqual([0, 0.30000000000000004, 0.4]);
    expect(m.finish({ wallTimeS: 1 }).path.tS).toEqual([0, 0.30000000000000004, 0.4]);
    for (let i = 5; i < 8; i++) m.add(place(s, i * 0.1, i));
    expect(m.finish({ wallTimeS: 1 }).path.tS.length).toBe(5); // 0, 0.3, 0.4 (snapshot), 0.6, 0.7
  });

  it('decimates the track outline given to it', () => {
    const outline = outlineFromCentreline(circleCentre(RADIUS_M, 3000), 4);
    const m = circleMetrics({ outline, maxOutlinePoints: 500 });
    const r = m.finish({ wallTimeS: 1 });
    expect(r.trackOutline!.centre).toHaveLength(500);
    expect(r.trackOutline!.left).toHaveLength(500);
    expect(r.trackOutline!.closed).toBe(true);
    expect(r.trackOutline!.centre[0]).toEqual([RADIUS_M, 0]);
  });
});

import { describe, expect, it } from 'vitest';
import { defaultThresholds, evaluateDrive } from '../../../sim/report/evaluate.js';
import { fixtureResult } from './fixture.js';

describe('evaluateDrive', () => {
  const clean = fixtureResult();
  const messy = fixtureResult({ resets: [1000, 3000], collisions: [2000] });

  it('passes a clean drive against the example thresholds', () => {
    const ev = evaluateDrive(clean, { maxMeanCrossTrackM: 0.25, maxInterventions: 0, minLaps: 3 });
    expect(ev.pass).toBe(true);
    expect(ev.checks.map((c) => [c.id, c.pass])).toEqual([
      ['minLaps', true],
      ['maxMeanCrossTrackM', true],
      ['maxInterventions', true],
    ]);
  });

  it('fails each check that is over its limit, and only those', () => {
    const ev = evaluateDrive(messy, { maxMeanCrossTrackM: 0.25, maxInterventions: 0, maxCollisions: 1, minLaps: 3 });
    expect(ev.pass).toBe(false);
    const byId = Object.fromEntries(ev.checks.map((c) => [c.id, c]));
    expect(byId.maxInterventions!.pass).toBe(false);
    expect(byId.maxInterventions!.actual).toBe(2);
    expect(byId.maxCollisions!.pass).toBe(true);
    expect(byId.minLaps!.pass).toBe(true);
    expect(evaluateDrive(clean, { maxMeanCrossTrackM: clean.crossTrack.meanAbsM * 0.99 }).pass).toBe(false);
    expect(evaluateDrive(clean, { maxMeanCrossTrackM: clean.crossTrack.meanAbsM }).pass).toBe(true); // the limit itself passes
    expect(evaluateDrive(clean, { minLaps: 4 }).pass).toBe(false);
  });

  it('fails a threshold whose metric was not measured', () => {
    const expert = { ...clean, runtime: undefined };
    const ev = evaluateDrive(expert, { maxLatencyP99Ms: 10 });
    expect(ev.pass).toBe(false);
    expect(ev.checks[0]).toMatchObject({ measured: false, pass: false });
    expect(evaluateDrive(clean, { maxLatencyP99Ms: 10 }).pass).toBe(true);
    const noLaps = { ...clean, lapTimesS: [] };
    expect(evaluateDrive(noLaps, { maxLapTimeS: 100 }).checks[0]!.measured).toBe(false);
  });

  it('passes with no thresholds and defaults to all laps, no interventions, no collisions', () => {
    expect(evaluateDrive(clean, {})).toEqual({ pass: true, checks: [] });
    expect(defaultThresholds(clean)).toEqual({ minLaps: 3, maxInterventions: 0, maxCollisions: 0 });
    expect(evaluateDrive(messy, defaultThresholds(messy)).pass).toBe(false);
    expect(() => evaluateDrive(clean, { minLaps: NaN })).toThrow(/minLaps/);
  });
});

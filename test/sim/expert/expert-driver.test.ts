import { describe, expect, it } from 'vitest';
import { ExpertDriver, speedProfile, type ExpertOptions } from '../../../sim/expert/expert-driver.js';
import { generateTrack, listTracks, loadTrack, type Track } from '../../../sim/world/track.js';
import { driveLaps } from './bicycle.js';

const CAR = { wheelbaseM: 0.26, maxSteeringRad: 0.45 };
const base: ExpertOptions = { ...CAR, maxSpeedMps: 2 };
const tracks = new Map<string, Track>(listTracks().map((t) => [t.name, loadTrack(t.name)]));
const onRoadLimit = (t: Track) => t.widthM / 2 - 0.15;

describe('expert driver, closed loop on a kinematic bicycle (dt 0.01 s, steering ≤ 3 rad/s)', () => {
  for (const controller of ['pure_pursuit', 'stanley'] as const) {
    for (const name of tracks.keys()) {
      it(`${controller} drives 3 laps of ${name} at up to 2 m/s on the road`, () => {
        const track = tracks.get(name)!;
        const run = driveLaps(track, new ExpertDriver(track, { ...base, controller }), 3);
        expect(run.laps).toBeGreaterThanOrEqual(3);
        expect(run.meanAbsCteM).toBeLessThan(0.1);
        expect(run.maxAbsCteM).toBeLessThan(onRoadLimit(track));
        expect(run.maxSpeedMps).toBeLessThanOrEqual(2 + 1e-9);
        // Not crawling: 3 laps at a mean speed above 1.2 m/s.
        expect((3 * track.lengthM) / run.timeS).toBeGreaterThan(1.2);
      });
    }
  }

  it('drives generated tracks too', () => {
    for (const seed of [3, 17]) {
      const track = generateTrack(seed);
      for (const controller of ['pure_pursuit', 'stanley'] as const) {
        const run = driveLaps(track, new ExpertDriver(track, { ...base, controller }), 2);
        expect(run.laps).toBeGreaterThanOrEqual(2);
        expect(run.maxAbsCteM).toBeLessThan(onRoadLimit(track));
      }
    }
  });

  it('holds the road at 3 m/s, slowing for bends', () => {
    for (const name of ['hairpin', 'city-block']) {
      const track = tracks.get(name)!;
      const run = driveLaps(track, new ExpertDriver(track, { ...CAR, maxSpeedMps: 3 }), 2);
      expect(run.laps).toBeGreaterThanOrEqual(2);
      expect(run.meanAbsCteM).toBeLessThan(0.1);
      expect(run.maxAbsCteM).toBeLessThan(onRoadLimit(track));
    }
  });
});

describe('steering noise', () => {
  const track = tracks.get('esses')!;
  const noisy = (seed: number) => new ExpertDriver(track, { ...base, steeringNoiseRad: 0.05, seed });

  it('makes runs differ, while the same seed reproduces a run exactly', () => {
    const a = driveLaps(track, noisy(1), 1);
    const b = driveLaps(track, noisy(1), 1);
    const c = driveLaps(track, noisy(2), 1);
    const clean = driveLaps(track, new ExpertDriver(track, base), 1);
    expect(Buffer.from(a.cte.buffer).equals(Buffer.from(b.cte.buffer))).toBe(true);
    expect(Buffer.from(a.cte.buffer).equals(Buffer.from(c.cte.buffer))).toBe(false);
    expect(a.meanAbsCteM).toBeGreaterThan(2 * clean.meanAbsCteM);
    for (const run of [a, c]) {
      expect(run.laps).toBeGreaterThanOrEqual(1);
      expect(run.maxAbsCteM).toBeLessThan(onRoadLimit(track));
    }
  });

  it('replays after reset() and keeps a clean label beside the noisy command', () => {
    const expert = noisy(5);
    const first = driveLaps(track, expert, 1);
    expert.reset();
    const again = driveLaps(track, expert, 1);
    expect(Buffer.from(first.cte.buffer).equals(Buffer.from(again.cte.buffer))).toBe(true);
    const out = { steeringRad: 0, speedMps: 0 };
    const start = track.poseAt(0);
    let differs = 0;
    for (let i = 0; i < 100; i++) {
      expect(expert.command({ x: start.x, y: start.y, yawRad: start.headingRad, speedMps: 1 }, 0.01, out)).toBe(out);
      if (Math.abs(out.steeringRad - expert.cleanSteeringRad) > 1e-4) differs++;
    }
    expect(differs).toBeGreaterThan(50);
  });
});

describe('recovery manoeuvres', () => {
  it('drift off the line, flag the drift, and come back without leaving the road', () => {
    for (const controller of ['pure_pursuit', 'stanley'] as const) {
      const track = tracks.get('sweepers')!;
      const expert = new ExpertDriver(track, { ...base, controller, seed: 9, recovery: { everyS: 5, durationS: 1.5, offsetM: 0.4 } });
      const run = driveLaps(track, expert, 3);
      expect(run.laps).toBeGreaterThanOrEqual(3);
      expect(run.maxAbsCteM).toBeGreaterThan(0.25);
      expect(run.maxAbsCteM).toBeLessThan(onRoadLimit(track));
      // About durationS / everyS of the time is spent drifting.
      const fraction = run.recoverySteps / run.cte.length;
      expect(fraction).toBeGreaterThan(0.2);
      expect(fraction).toBeLessThan(0.35);
    }
  });

  it('caps the offset inside the road', () => {
    const track = tracks.get('esses')!;
    const expert = new ExpertDriver(track, { ...base, recovery: { everyS: 3, durationS: 2, offsetM: 2 } });
    const run = driveLaps(track, expert, 2);
    expect(run.maxAbsCteM).toBeLessThan(onRoadLimit(track));
    expect(run.maxAbsCteM).toBeGreaterThan(0.2);
  });
});

describe('speed profile', () => {
  it('limits lateral acceleration and brakes ahead of bends', () => {
    const track = tracks.get('hairpin')!;
    const aLat = 3;
    const aDecel = 2;
    const v = speedProfile(track, 4, aLat, aDecel);
    const n = v.length;
    let min = Infinity;
    let max = 0;
    for (let i = 0; i < n; i++) {
      min = Math.min(min, v[i]!);
      max = Math.max(max, v[i]!);
      expect(v[i]!).toBeLessThanOrEqual(4);
      // Braking from here reaches the next sample's speed at the planned deceleration.
      const next = v[(i + 1) % n]!;
      expect(v[i]! ** 2).toBeLessThanOrEqual(next ** 2 + 2 * aDecel * track.spacingM + 1e-9);
    }
    // The hairpin (radius ~1.3 m) allows about sqrt(3 * 1.3) ≈ 2 m/s; the straight allows 4.
    expect(min).toBeGreaterThan(1.7);
    expect(min).toBeLessThan(2.3);
    expect(max).toBe(4);
  });

  it('refuses impossible options', () => {
    const track = tracks.get('oval')!;
    expect(() => new ExpertDriver(track, { ...base, wheelbaseM: 0 })).toThrow(/E_EXPERT: ExpertDriver: wheelbaseM: must be positive \(got 0\)/);
    expect(() => new ExpertDriver(track, { ...base, recovery: { everyS: 1, durationS: 2, offsetM: 0.3 } })).toThrow(/recovery\.durationS/);
  });
});

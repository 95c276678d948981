import { describe, expect, it } from 'vitest';
import { findSectionOverlap, findSelfIntersection, totalTurnRad } from '../../../sim/world/centreline.js';
import { generateTrack, TRACK_LIMITS, type Track } from '../../../sim/world/track.js';

const bytes = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const sameSamples = (a: Track, b: Track) =>
  (['x', 'y', 'sM', 'headingRad', 'curvature'] as const).every((k) => bytes(a.samples[k]).equals(bytes(b.samples[k])));

describe('generateTrack', () => {
  it('gives byte-identical tracks for the same seed', () => {
    for (const seed of [0, 42, 0xffffffff]) {
      const a = generateTrack(seed);
      const b = generateTrack(seed);
      expect(sameSamples(a, b)).toBe(true);
      expect(a.scenery).toEqual(b.scenery);
      expect(a.widthM).toBe(b.widthM);
      expect(a.name).toBe(`gen-${seed}`);
      expect(a.split).toBe('generated');
    }
  });

  it('gives valid, different tracks for 20 seeds', () => {
    const lengths = new Set<number>();
    const directions = new Set<number>();
    for (let seed = 1; seed <= 20; seed++) {
      const t = generateTrack(seed);
      const { x, y, curvature, headingRad } = t.samples;
      let maxKappa = 0;
      for (const k of curvature) maxKappa = Math.max(maxKappa, Math.abs(k));
      expect(1 / maxKappa).toBeGreaterThanOrEqual(TRACK_LIMITS.minRadiusM);
      expect(findSelfIntersection(x, y)).toBeNull();
      expect(findSectionOverlap(x, y, t.spacingM, t.widthM + TRACK_LIMITS.minEdgeGapM, 3 * t.widthM + 1)).toBeNull();
      expect(t.lengthM).toBeGreaterThan(25);
      expect(t.lengthM).toBeLessThan(70);
      expect(t.widthM).toBeGreaterThanOrEqual(1.0);
      expect(t.widthM).toBeLessThanOrEqual(1.4);
      for (const c of t.scenery.cones) expect(Math.abs(t.project(c.x, c.y).crossTrackM)).toBeGreaterThan(t.widthM / 2 + 0.1);
      lengths.add(Math.round(t.lengthM));
      directions.add(Math.sign(totalTurnRad(headingRad)));
      expect(sameSamples(t, generateTrack(seed + 100))).toBe(false);
    }
    expect(lengths.size).toBeGreaterThan(10);
    expect(directions).toEqual(new Set([1, -1]));
  });

  it('honours the width and approximate length asked for', () => {
    const t = generateTrack(5, { widthM: 1.0, approxLengthM: 40 });
    expect(t.widthM).toBe(1.0);
    expect(Math.abs(t.lengthM - 40) / 40).toBeLessThan(0.02);
  });

  it('refuses bad seeds and options', () => {
    expect(() => generateTrack(-1)).toThrow(/E_TRACK: generateTrack: seed: must be an integer in \[0, 2\^32\) \(got -1\)/);
    expect(() => generateTrack(1.5)).toThrow(/seed/);
    expect(() => generateTrack(1, { widthM: 3 })).toThrow(/widthM: .* \(got 3\)/);
    expect(() => generateTrack(1, { approxLengthM: 5 })).toThrow(/approxLengthM: .* \(got 5\)/);
  });
});

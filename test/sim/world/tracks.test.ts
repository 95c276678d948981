import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findSectionOverlap, findSelfIntersection, totalTurnRad } from '../../../sim/world/centreline.js';
import { listTracks, loadTrack, TRACK_LIMITS, tracksDir } from '../../../sim/world/track.js';

const EXPECTED = ['chicane', 'city-block', 'esses', 'hairpin', 'lake', 'oval', 'sweepers'];

describe('bundled tracks', () => {
  it('are found under the package root and listed with their splits', () => {
    expect(existsSync(tracksDir())).toBe(true);
    const files = readdirSync(tracksDir()).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, ''));
    expect(files.sort()).toEqual(EXPECTED);
    const list = listTracks();
    expect(list.map((t) => t.name)).toEqual(EXPECTED);
    const train = list.filter((t) => t.split === 'train').map((t) => t.name);
    const unseen = list.filter((t) => t.split === 'unseen').map((t) => t.name);
    expect(train.length).toBeGreaterThanOrEqual(4);
    expect(unseen.sort()).toEqual(['city-block', 'lake']);
    for (const t of list) expect(t.description.length).toBeGreaterThan(20);
  });

  for (const name of EXPECTED) {
    it(`${name}: valid geometry, lap length, width and scenery off the road`, () => {
      const t = loadTrack(name);
      expect(t.name).toBe(name);
      expect(t.lengthM).toBeGreaterThan(25);
      expect(t.lengthM).toBeLessThan(70);
      expect(t.widthM).toBeGreaterThanOrEqual(1.0);
      expect(t.widthM).toBeLessThanOrEqual(1.4);
      const { x, y, curvature, headingRad } = t.samples;
      let maxKappa = 0;
      for (const k of curvature) maxKappa = Math.max(maxKappa, Math.abs(k));
      expect(1 / maxKappa).toBeGreaterThanOrEqual(TRACK_LIMITS.minRadiusM);
      expect(findSelfIntersection(x, y)).toBeNull();
      expect(findSectionOverlap(x, y, t.spacingM, t.widthM + TRACK_LIMITS.minEdgeGapM, 3 * t.widthM + 1)).toBeNull();
      expect(Math.abs(Math.abs(totalTurnRad(headingRad)) - 2 * Math.PI)).toBeLessThan(1e-6);
      // Heading is continuous: no jump between neighbouring samples.
      for (let i = 0; i < headingRad.length; i++) {
        const d = headingRad[(i + 1) % headingRad.length]! - headingRad[i]!;
        expect(Math.abs(Math.sin(d))).toBeLessThan(0.06);
      }
      for (const c of t.scenery.cones) expect(Math.abs(t.project(c.x, c.y).crossTrackM)).toBeGreaterThan(t.widthM / 2 + 0.1);
      for (const o of t.scenery.obstacles) {
        expect(Math.abs(t.project(o.x, o.y).crossTrackM)).toBeGreaterThan(t.widthM / 2 + o.widthM / 2); // aligned with the road
      }
      for (const k of t.scenery.kerbs) {
        // A kerb sits on the outside of its bend: the right side of a left turn.
        const mid = k.startSM <= k.endSM ? (k.startSM + k.endSM) / 2 : (k.startSM + k.endSM + t.lengthM) / 2;
        const kappa = t.project(t.poseAt(mid).x, t.poseAt(mid).y).curvature;
        expect(k.side).toBe(kappa > 0 ? 'right' : 'left');
      }
    });
  }

  it('have tight bends with kerbs and cones, and the city block corners of at least 1.2 m', () => {
    const hairpin = loadTrack('hairpin');
    expect(hairpin.minRadiusM).toBeLessThan(1.5);
    expect(hairpin.scenery.kerbs.length).toBeGreaterThan(0);
    expect(hairpin.scenery.cones.length).toBeGreaterThan(5);
    expect(hairpin.scenery.obstacles).toHaveLength(1);
    expect(loadTrack('city-block').minRadiusM).toBeGreaterThanOrEqual(1.2);
    // Both directions appear in training.
    const turns = EXPECTED.map((n) => loadTrack(n)).filter((t) => t.split === 'train').map((t) => Math.sign(totalTurnRad(t.samples.headingRad)));
    expect(new Set(turns)).toEqual(new Set([1, -1]));
  });

  it('loads by path as well as by name, and starts at the first control point', () => {
    const byPath = loadTrack(join(tracksDir(), 'oval.yaml'));
    const byName = loadTrack('oval');
    expect(Buffer.from(byPath.samples.x.buffer).equals(Buffer.from(byName.samples.x.buffer))).toBe(true);
    const start = byName.poseAt(0);
    expect(start.x).toBeCloseTo(0, 9);
    expect(start.y).toBeCloseTo(0, 9);
    expect(start.headingRad).toBeCloseTo(0, 3);
    expect(byName.surface).toEqual({});
    expect(loadTrack('city-block').surface).toMatchObject({ roadKind: 'concrete', groundKind: 'dirt' });
    expect(byName.markings.centreDashM).toBeGreaterThan(0);
  });

  it('refuses an unknown name and lists the known ones', () => {
    expect(() => loadTrack('ovl')).toThrow(/E_TRACK: tracks: unknown track name; bundled: chicane, .*oval.* \(got "ovl"\)/);
  });
});

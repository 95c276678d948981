import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src/core/util/prng.js';
import { buildTrack, loadTrack, type Track, type TrackProjection } from '../../../sim/world/track.js';
import { circlePoints } from './shapes.js';

const R = 5;
const circle = (clockwise = false, count = 48): Track =>
  buildTrack({ name: 'circle', description: 'test circle', split: 'train', widthM: 1.2, centreline: circlePoints(R, count, clockwise) });

describe('track geometry on a circle', () => {
  it('has the arc length of the circle and samples at a fixed spacing', () => {
    for (const count of [16, 48]) {
      const t = circle(false, count);
      expect(Math.abs(t.lengthM - 2 * Math.PI * R) / (2 * Math.PI * R)).toBeLessThan(0.005);
    }
    const t = circle();
    const { x, sM } = t.samples;
    expect(x).toBeInstanceOf(Float64Array);
    expect(t.spacingM).toBeCloseTo(0.05, 2);
    expect(x.length * t.spacingM).toBeCloseTo(t.lengthM, 9);
    for (let i = 0; i < sM.length; i++) expect(sM[i]).toBeCloseTo(i * t.spacingM, 9);
    // Samples lie on the circle.
    for (let i = 0; i < x.length; i += 17) expect(Math.hypot(x[i]!, t.samples.y[i]!)).toBeCloseTo(R, 2);
  });

  it('has curvature 1/r, signed by direction, and tangent headings', () => {
    for (const clockwise of [false, true]) {
      const t = circle(clockwise);
      const { curvature, headingRad, x, y } = t.samples;
      const sign = clockwise ? -1 : 1;
      let mean = 0;
      for (let i = 0; i < curvature.length; i++) {
        expect(curvature[i]! * sign).toBeGreaterThan(0.97 / R);
        expect(curvature[i]! * sign).toBeLessThan(1.03 / R);
        mean += curvature[i]!;
        // Tangent is perpendicular to the radius, pointing along the direction of travel.
        const tangent = Math.atan2(y[i]!, x[i]!) + (sign * Math.PI) / 2;
        expect(Math.abs(Math.sin(headingRad[i]! - tangent))).toBeLessThan(1e-3);
        expect(Math.cos(headingRad[i]! - tangent)).toBeGreaterThan(0.99);
      }
      expect((mean / curvature.length) * sign * R).toBeCloseTo(1, 2);
      expect(t.minRadiusM).toBeGreaterThan(0.97 * R);
    }
  });

  it('signs the cross-track error: + left of the centreline', () => {
    const ccw = circle(false);
    const cw = circle(true);
    const inside = [0, R - 0.3] as const;
    const outside = [0, R + 0.3] as const;
    // Anticlockwise the inside of the circle is on the left; clockwise on the right.
    expect(ccw.project(...inside).crossTrackM).toBeCloseTo(0.3, 3);
    expect(ccw.project(...outside).crossTrackM).toBeCloseTo(-0.3, 3);
    expect(cw.project(...inside).crossTrackM).toBeCloseTo(-0.3, 3);
    expect(cw.project(...outside).crossTrackM).toBeCloseTo(0.3, 3);
    const p = ccw.project(...outside);
    expect(Math.hypot(p.x, p.y)).toBeCloseTo(R, 2);
    expect(p.sM).toBeCloseTo(ccw.lengthM / 4, 1);
    expect(p.headingRad).toBeCloseTo(Math.PI, 2);
    expect(p.curvature).toBeCloseTo(1 / R, 2);
  });

  it('wraps arc-length differences into (-L/2, L/2]', () => {
    const t = circle();
    const L = t.lengthM;
    expect(t.deltaS(L - 0.1, 0.1)).toBeCloseTo(0.2, 9);
    expect(t.deltaS(0.1, L - 0.1)).toBeCloseTo(-0.2, 9);
    expect(t.deltaS(0, L / 2)).toBeCloseTo(L / 2, 9);
    expect(t.deltaS(L / 2, 0)).toBeCloseTo(L / 2, 9);
    expect(t.deltaS(1, 1 + 3 * L + 0.5)).toBeCloseTo(0.5, 9);
    expect(t.deltaS(2, 2)).toBe(0);
  });

  it('poses at an arc length and lateral offset that project back to them', () => {
    const t = circle();
    const random = mulberry32(7);
    for (let k = 0; k < 300; k++) {
      const s = random() * t.lengthM;
      const lateral = (random() * 2 - 1) * 0.6;
      const pose = t.poseAt(s, lateral);
      const p = t.project(pose.x, pose.y);
      expect(p.crossTrackM).toBeCloseTo(lateral, 6);
      expect(t.deltaS(s, p.sM)).toBeCloseTo(0, 6);
      expect(Math.cos(pose.headingRad - p.headingRad)).toBeGreaterThan(1 - 1e-9);
      expect(Math.hypot(pose.x - p.x, pose.y - p.y)).toBeCloseTo(Math.abs(lateral), 6);
      // The radius of an offset point on an anticlockwise circle shrinks by the (left) offset.
      expect(Math.hypot(pose.x, pose.y)).toBeCloseTo(R - lateral, 2);
    }
    // Arc length wraps modulo the lap.
    for (const [s, same] of [[1.25, 1.25 + t.lengthM], [t.lengthM - 1, -1], [0, -3 * t.lengthM]]) {
      const a = t.poseAt(s!);
      const b = t.poseAt(same!);
      expect(b.x).toBeCloseTo(a.x, 9);
      expect(b.y).toBeCloseTo(a.y, 9);
      expect(b.headingRad).toBeCloseTo(a.headingRad, 9);
    }
  });

  it('fills `out` in place', () => {
    const t = circle();
    const out: TrackProjection = { index: 0, sM: 0, crossTrackM: 0, headingRad: 0, curvature: 0, x: 0, y: 0 };
    expect(t.project(R, 0.1, 3, out)).toBe(out);
    const pose = { x: 0, y: 0, headingRad: 0 };
    expect(t.poseAt(2, 0.1, pose)).toBe(pose);
  });
});

describe('projection with and without a hint', () => {
  // The hairpin has sections 2.6 m apart: a stale hint must not lock onto the wrong one.
  for (const name of ['hairpin', 'city-block']) {
    it(`agrees on ${name} for points on the road, with good, stale and absent hints`, () => {
      const t = loadTrack(name);
      const n = t.samples.x.length;
      const random = mulberry32(11);
      const hinted: TrackProjection = { index: 0, sM: 0, crossTrackM: 0, headingRad: 0, curvature: 0, x: 0, y: 0 };
      for (let k = 0; k < 400; k++) {
        const s = random() * t.lengthM;
        const lateral = (random() * 2 - 1) * (t.widthM / 2);
        const pose = t.poseAt(s, lateral);
        const full = t.project(pose.x, pose.y);
        const near = Math.round(s / t.spacingM) + Math.round((random() * 2 - 1) * 10);
        const far = near + Math.floor(n / 2);
        for (const hint of [near, far, -5, n + 3]) {
          t.project(pose.x, pose.y, hint, hinted);
          expect(hinted.index).toBe(full.index);
          expect(hinted.sM).toBeCloseTo(full.sM, 9);
          expect(hinted.crossTrackM).toBeCloseTo(full.crossTrackM, 9);
        }
        expect(full.crossTrackM).toBeCloseTo(lateral, 5);
        expect(t.deltaS(s, full.sM)).toBeCloseTo(0, 5);
      }
    });
  }

  it('follows a car round the loop step by step with the hint', () => {
    const t = loadTrack('esses');
    const p: TrackProjection = { index: 0, sM: 0, crossTrackM: 0, headingRad: 0, curvature: 0, x: 0, y: 0 };
    let progress = 0;
    let last = 0;
    for (let s = 0; s <= 2 * t.lengthM; s += 0.03) {
      const pose = t.poseAt(s, 0.3 * Math.sin(s));
      t.project(pose.x, pose.y, p.index, p);
      progress += t.deltaS(last, p.sM);
      last = p.sM;
    }
    expect(progress).toBeCloseTo(2 * t.lengthM, 1);
  });
});

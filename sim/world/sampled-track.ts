/** A track sampled by arc length: projection, poses along it, and build-time validation. */
import { PilotError } from '../../src/core/util/errors.js';
import {
  findSectionOverlap,
  findSelfIntersection,
  sampleClosedSpline,
  tightestIndex,
  wrapAngle,
  wrapDeltaS,
  type CentrelineSamples,
} from './centreline.js';
import { buildScenery } from './scenery.js';
import { TRACK_LIMITS } from './limits.js';
import type {
  Track,
  TrackDefinition,
  TrackMarkings,
  TrackPose,
  TrackProjection,
  TrackSplit,
  TrackSurface,
} from './track.js';

const DEFAULT_MARKINGS: TrackMarkings = { edgeLineWidthM: 0.05, centreLineWidthM: 0.04, centreDashM: 0.3, centreGapM: 0.3 };

/** Hinted search covers ±this much arc length: far more than a car moves in one control step. */
const HINT_WINDOW_M = 1.5;

/**
 * Build and validate a track. `source` names the file (or generator) in errors.
 * Throws E_TRACK for too few or repeated points, a width out of range, a self-intersecting
 * centreline, a bend tighter than the minimum radius, or road edges of two sections overlapping.
 */
export function buildTrack(def: TrackDefinition, source: string = def.name): Track {
  validateDefinition(def, source);
  const samples = sampleClosedSpline(def.centreline, def.spacingM ?? TRACK_LIMITS.defaultSpacingM);
  validateGeometry(def, samples, source);
  return new SampledTrack(def, samples, source);
}

function fail(source: string, key: string, what: string, got: string): never {
  throw new PilotError('E_TRACK', `${source}: ${key}: ${what} (got ${got})`);
}

const f2 = (v: number) => v.toFixed(2);

function validateDefinition(def: TrackDefinition, source: string): void {
  const { widthM, centreline } = def;
  if (!Number.isFinite(widthM) || widthM < TRACK_LIMITS.minWidthM || widthM > TRACK_LIMITS.maxWidthM) {
    fail(source, 'width_m', `must be between ${TRACK_LIMITS.minWidthM} and ${TRACK_LIMITS.maxWidthM} m`, String(widthM));
  }
  if (centreline.length < 4) fail(source, 'centreline', 'a closed loop needs at least 4 control points', `${centreline.length}`);
  centreline.forEach((p, i) => {
    if (!Number.isFinite(p[0]) || !Number.isFinite(p[1])) fail(source, `centreline.${i}`, 'must be two finite numbers [x, y]', JSON.stringify(p));
    const prev = centreline[(i - 1 + centreline.length) % centreline.length]!;
    const gap = Math.hypot(p[0] - prev[0], p[1] - prev[1]);
    // Repeated points make zero-length spline segments (division by zero in the knot spacing).
    if (gap < 0.05) fail(source, `centreline.${i}`, `repeats the previous point (closer than 0.05 m)`, `${JSON.stringify(p)} after ${JSON.stringify(prev)}`);
  });
}

function validateGeometry(def: TrackDefinition, c: CentrelineSamples, source: string): void {
  const where = (i: number) => `(${f2(c.x[i]!)}, ${f2(c.y[i]!)}) at s=${c.sM[i]!.toFixed(1)} m${nearControl(c, i)}`;
  if (c.lengthM < TRACK_LIMITS.minLengthM || c.lengthM > TRACK_LIMITS.maxLengthM) {
    fail(source, 'centreline', `lap length must be between ${TRACK_LIMITS.minLengthM} and ${TRACK_LIMITS.maxLengthM} m`, `${f2(c.lengthM)} m`);
  }
  const crossing = findSelfIntersection(c.x, c.y);
  if (crossing) {
    fail(source, 'centreline', `self-intersecting: crosses itself near (${f2(crossing.x)}, ${f2(crossing.y)})`, `crossing between s=${c.sM[crossing.i]!.toFixed(1)} m and s=${c.sM[crossing.j]!.toFixed(1)} m`);
  }
  const tight = tightestIndex(c.curvature);
  const radiusM = 1 / Math.abs(c.curvature[tight]!);
  if (radiusM < TRACK_LIMITS.minRadiusM) {
    fail(source, 'centreline', `radius of curvature below the ${TRACK_LIMITS.minRadiusM} m minimum near ${where(tight)}`, `${f2(radiusM)} m`);
  }
  const minDistanceM = def.widthM + TRACK_LIMITS.minEdgeGapM;
  const overlap = findSectionOverlap(c.x, c.y, c.spacingM, minDistanceM, Math.max(3 * def.widthM, Math.PI * TRACK_LIMITS.minRadiusM + def.widthM));
  if (overlap) {
    fail(
      source,
      'centreline',
      `road edges of two sections overlap or leave less than ${TRACK_LIMITS.minEdgeGapM} m between them, near ${where(overlap.i)} and ${where(overlap.j)}`,
      `centre distance ${f2(overlap.distanceM)} m < width ${def.widthM} m + ${TRACK_LIMITS.minEdgeGapM} m`,
    );
  }
}

/** ", near centreline.k": the control point closest in arc length, to find the spot in the file. */
function nearControl(c: CentrelineSamples, i: number): string {
  const s = c.sM[i]!;
  let best = 0;
  for (let k = 1; k < c.controlSM.length; k++) {
    if (Math.abs(wrapDeltaS(c.controlSM[k]!, s, c.lengthM)) < Math.abs(wrapDeltaS(c.controlSM[best]!, s, c.lengthM))) best = k;
  }
  return `, near centreline.${best}`;
}

export class SampledTrack implements Track {
  readonly name: string;
  readonly description: string;
  readonly split: TrackSplit;
  readonly widthM: number;
  readonly lengthM: number;
  readonly spacingM: number;
  readonly samples: Track['samples'];
  readonly scenery: Track['scenery'];
  readonly markings: TrackMarkings;
  readonly surface: TrackSurface;
  readonly minRadiusM: number;
  readonly #n: number;
  readonly #window: number;

  constructor(def: TrackDefinition, c: CentrelineSamples, source: string) {
    this.name = def.name;
    this.description = def.description;
    this.split = def.split;
    this.widthM = def.widthM;
    this.lengthM = c.lengthM;
    this.spacingM = c.spacingM;
    this.samples = { x: c.x, y: c.y, sM: c.sM, headingRad: c.headingRad, curvature: c.curvature };
    this.markings = { ...DEFAULT_MARKINGS, ...def.markings };
    this.surface = { ...def.surface };
    this.minRadiusM = 1 / Math.abs(c.curvature[tightestIndex(c.curvature)]!);
    this.#n = c.x.length;
    this.#window = Math.min(Math.ceil(HINT_WINDOW_M / c.spacingM), Math.floor((this.#n - 1) / 2));
    this.scenery = buildScenery(this, def, source);
  }

  project(x: number, y: number, hint?: number, out?: TrackProjection): TrackProjection {
    const n = this.#n;
    const { x: xs, y: ys } = this.samples;
    let best = -1;
    if (hint !== undefined && Number.isFinite(hint)) {
      const h = ((Math.round(hint) % n) + n) % n;
      const w = this.#window;
      let bestD2 = Infinity;
      let bestK = 0;
      for (let k = -w; k <= w; k++) {
        const i = (h + k + n) % n;
        const dx = xs[i]! - x;
        const dy = ys[i]! - y;
        const d2 = dx * dx + dy * dy;
        if (d2 < bestD2) {
          bestD2 = d2;
          bestK = k;
        }
      }
      // Trust the window only for an interior minimum on the road: otherwise the hint is stale or
      // points at a neighbouring section, and the point belongs wherever the full search says.
      const half = this.widthM / 2;
      if (Math.abs(bestK) < w && bestD2 <= half * half) best = (h + bestK + n) % n;
    }
    if (best < 0) best = this.#nearest(x, y);
    return this.#refine(best, x, y, out ?? { index: 0, sM: 0, crossTrackM: 0, headingRad: 0, curvature: 0, x: 0, y: 0 });
  }

  poseAt(sM: number, lateralM = 0, out?: TrackPose): TrackPose {
    const { x, y, headingRad } = this.samples;
    const n = this.#n;
    let s = sM % this.lengthM;
    if (s < 0) s += this.lengthM;
    const u = s / this.spacingM;
    const i = Math.min(n - 1, Math.floor(u));
    const t = u - i;
    const j = i + 1 === n ? 0 : i + 1;
    const h = headingRad[i]! + t * wrapAngle(headingRad[j]! - headingRad[i]!);
    const px = x[i]! + t * (x[j]! - x[i]!) - Math.sin(h) * lateralM;
    const py = y[i]! + t * (y[j]! - y[i]!) + Math.cos(h) * lateralM;
    const o = out ?? { x: 0, y: 0, headingRad: 0 };
    o.x = px;
    o.y = py;
    o.headingRad = wrapAngle(h);
    return o;
  }

  deltaS(aSM: number, bSM: number): number {
    return wrapDeltaS(aSM, bSM, this.lengthM);
  }

  #nearest(x: number, y: number): number {
    const { x: xs, y: ys } = this.samples;
    let best = 0;
    let bestD2 = Infinity;
    for (let i = 0; i < this.#n; i++) {
      const dx = xs[i]! - x;
      const dy = ys[i]! - y;
      const d2 = dx * dx + dy * dy;
      if (d2 < bestD2) {
        bestD2 = d2;
        best = i;
      }
    }
    return best;
  }

  /**
   * Continuous projection near sample i along the interpolated normal field, the inverse of
   * poseAt(s, lateral): solves (p - c(s)) · tangent(s) = 0 on the segment either side of i.
   */
  #refine(i: number, px: number, py: number, out: TrackProjection): TrackProjection {
    const n = this.#n;
    const { x: xs, y: ys, headingRad, curvature } = this.samples;
    const along = (px - xs[i]!) * Math.cos(headingRad[i]!) + (py - ys[i]!) * Math.sin(headingRad[i]!);
    const a = along >= 0 ? i : (i - 1 + n) % n;
    const b = a + 1 === n ? 0 : a + 1;
    const ax = xs[a]!, ay = ys[a]!;
    const ex = xs[b]! - ax, ey = ys[b]! - ay;
    const ha = headingRad[a]!;
    const dh = wrapAngle(headingRad[b]! - ha);
    // Chord projection as the first guess, then Newton on the normal-field condition.
    let t = ((px - ax) * ex + (py - ay) * ey) / (ex * ex + ey * ey);
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    for (let iter = 0; iter < 3; iter++) {
      const h = ha + t * dh;
      const c = Math.cos(h), s = Math.sin(h);
      const rx = px - (ax + t * ex), ry = py - (ay + t * ey);
      const f = rx * c + ry * s;
      const df = -(ex * c + ey * s) + (-rx * s + ry * c) * dh;
      if (df === 0) break;
      t -= f / df;
      t = t < 0 ? 0 : t > 1 ? 1 : t;
    }
    const h = ha + t * dh;
    const cx = ax + t * ex, cy = ay + t * ey;
    let s = this.samples.sM[a]! + t * this.spacingM;
    if (s >= this.lengthM) s -= this.lengthM;
    out.index = i;
    out.sM = s;
    out.crossTrackM = -(px - cx) * Math.sin(h) + (py - cy) * Math.cos(h);
    out.headingRad = wrapAngle(h);
    out.curvature = curvature[a]! + t * (curvature[b]! - curvature[a]!);
    out.x = cx;
    out.y = cy;
    return out;
  }
}

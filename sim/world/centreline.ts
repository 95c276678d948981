/**
 * Centreline geometry: a closed centripetal Catmull-Rom spline through control points, resampled at
 * a fixed arc-length spacing, and the checks a drivable loop must pass. Pure maths on typed arrays.
 */

export type Point2 = readonly [number, number];

export interface CentrelineSamples {
  x: Float64Array;
  y: Float64Array;
  sM: Float64Array;
  headingRad: Float64Array;
  /** Signed, 1/m: + turns left (CCW). */
  curvature: Float64Array;
  lengthM: number;
  /** Exactly lengthM / sample count, so sample i sits at s = i * spacingM. */
  spacingM: number;
  /** Arc length at each control point, to name locations in errors. */
  controlSM: Float64Array;
}

/** Cubic coefficients per segment: p(t) = a t³ + b t² + c t + d for t in [0, 1]. */
interface Segments {
  ax: Float64Array;
  bx: Float64Array;
  cx: Float64Array;
  dx: Float64Array;
  ay: Float64Array;
  by: Float64Array;
  cy: Float64Array;
  dy: Float64Array;
}

/**
 * Centripetal (alpha = 0.5) Catmull-Rom in Hermite form: no cusps or self-loops inside a segment,
 * unlike the uniform variant, which matters when control points are unevenly spaced.
 */
function catmullRomSegments(points: readonly Point2[]): Segments {
  const n = points.length;
  const seg: Segments = {
    ax: new Float64Array(n), bx: new Float64Array(n), cx: new Float64Array(n), dx: new Float64Array(n),
    ay: new Float64Array(n), by: new Float64Array(n), cy: new Float64Array(n), dy: new Float64Array(n),
  };
  const knot = (p: Point2, q: Point2) => Math.sqrt(Math.hypot(q[0] - p[0], q[1] - p[1]));
  for (let i = 0; i < n; i++) {
    const p0 = points[(i - 1 + n) % n]!;
    const p1 = points[i]!;
    const p2 = points[(i + 1) % n]!;
    const p3 = points[(i + 2) % n]!;
    const t01 = knot(p0, p1);
    const t12 = knot(p1, p2);
    const t23 = knot(p2, p3);
    for (let k = 0; k < 2; k++) {
      const m1 = p2[k]! - p1[k]! + t12 * ((p1[k]! - p0[k]!) / t01 - (p2[k]! - p0[k]!) / (t01 + t12));
      const m2 = p2[k]! - p1[k]! + t12 * ((p3[k]! - p2[k]!) / t23 - (p3[k]! - p1[k]!) / (t12 + t23));
      const a = 2 * (p1[k]! - p2[k]!) + m1 + m2;
      const b = -3 * (p1[k]! - p2[k]!) - 2 * m1 - m2;
      if (k === 0) [seg.ax[i], seg.bx[i], seg.cx[i], seg.dx[i]] = [a, b, m1, p1[k]!];
      else [seg.ay[i], seg.by[i], seg.cy[i], seg.dy[i]] = [a, b, m1, p1[k]!];
    }
  }
  return seg;
}

/** Dense step when measuring arc length: relative error ~ (step κ)² / 24, below 1e-5 for κ ≤ 1/m. */
const DENSE_STEP_M = 0.01;

/**
 * Sample the closed spline through `points` every ~`spacingM` of arc length. Positions, heading and
 * curvature are evaluated on the spline itself (analytic derivatives), not on the resampled polyline.
 */
export function sampleClosedSpline(points: readonly Point2[], spacingM: number): CentrelineSamples {
  const nSeg = points.length;
  const seg = catmullRomSegments(points);
  const steps = new Int32Array(nSeg);
  let total = 0;
  for (let i = 0; i < nSeg; i++) {
    const next = points[(i + 1) % nSeg]!;
    const chord = Math.hypot(next[0] - points[i]![0], next[1] - points[i]![1]);
    // A segment can be longer than its chord; 1.5x covers the bulges the centripetal form allows.
    steps[i] = Math.max(16, Math.ceil((chord * 1.5) / DENSE_STEP_M));
    total += steps[i]!;
  }
  // Dense table of (global parameter u = segment + t, cumulative arc length).
  const uDense = new Float64Array(total + 1);
  const sDense = new Float64Array(total + 1);
  const controlSM = new Float64Array(nSeg);
  let s = 0;
  let px = seg.dx[0]!;
  let py = seg.dy[0]!;
  let j0 = 1;
  for (let i = 0; i < nSeg; i++) {
    controlSM[i] = s;
    const m = steps[i]!;
    for (let k = 1; k <= m; k++) {
      const t = k / m;
      const x = ((seg.ax[i]! * t + seg.bx[i]!) * t + seg.cx[i]!) * t + seg.dx[i]!;
      const y = ((seg.ay[i]! * t + seg.by[i]!) * t + seg.cy[i]!) * t + seg.dy[i]!;
      s += Math.hypot(x - px, y - py);
      px = x;
      py = y;
      uDense[j0] = i + t;
      sDense[j0] = s;
      j0++;
    }
  }
  const lengthM = s;
  const n = Math.max(8, Math.round(lengthM / spacingM));
  const spacing = lengthM / n;
  const out: CentrelineSamples = {
    x: new Float64Array(n),
    y: new Float64Array(n),
    sM: new Float64Array(n),
    headingRad: new Float64Array(n),
    curvature: new Float64Array(n),
    lengthM,
    spacingM: spacing,
    controlSM,
  };
  let j = 0;
  for (let i = 0; i < n; i++) {
    const target = i * spacing;
    while (j < sDense.length - 2 && sDense[j + 1]! < target) j++;
    const f = (target - sDense[j]!) / (sDense[j + 1]! - sDense[j]!);
    const u = uDense[j]! + f * (uDense[j + 1]! - uDense[j]!);
    const k = Math.min(nSeg - 1, Math.floor(u));
    const t = u - k;
    const x = ((seg.ax[k]! * t + seg.bx[k]!) * t + seg.cx[k]!) * t + seg.dx[k]!;
    const y = ((seg.ay[k]! * t + seg.by[k]!) * t + seg.cy[k]!) * t + seg.dy[k]!;
    const dx = (3 * seg.ax[k]! * t + 2 * seg.bx[k]!) * t + seg.cx[k]!;
    const dy = (3 * seg.ay[k]! * t + 2 * seg.by[k]!) * t + seg.cy[k]!;
    const ddx = 6 * seg.ax[k]! * t + 2 * seg.bx[k]!;
    const ddy = 6 * seg.ay[k]! * t + 2 * seg.by[k]!;
    out.x[i] = x;
    out.y[i] = y;
    out.sM[i] = target;
    out.headingRad[i] = Math.atan2(dy, dx);
    out.curvature[i] = (dx * ddy - dy * ddx) / Math.pow(dx * dx + dy * dy, 1.5);
  }
  return out;
}

/** Angle wrapped into (-π, π]. */
export function wrapAngle(rad: number): number {
  let a = rad % (2 * Math.PI);
  if (a <= -Math.PI) a += 2 * Math.PI;
  else if (a > Math.PI) a -= 2 * Math.PI;
  return a;
}

/** Arc-length difference b - a on a loop of length L, wrapped into (-L/2, L/2]. */
export function wrapDeltaS(aSM: number, bSM: number, lengthM: number): number {
  let d = (bSM - aSM) % lengthM;
  if (d <= -lengthM / 2) d += lengthM;
  else if (d > lengthM / 2) d -= lengthM;
  return d;
}

/**
 * Curvature averaged over ±`halfWindowM` of arc length: what a car or a kerb follows, without the
 * spline's ripple at the control points.
 */
export function smoothCurvature(curvature: Float64Array, spacingM: number, halfWindowM: number): Float64Array {
  const n = curvature.length;
  const half = Math.max(1, Math.min(Math.floor((n - 1) / 2), Math.round(halfWindowM / spacingM)));
  const out = new Float64Array(n);
  let sum = 0;
  for (let k = -half; k <= half; k++) sum += curvature[(k + n) % n]!;
  for (let i = 0; i < n; i++) {
    out[i] = sum / (2 * half + 1);
    sum += curvature[(i + half + 1) % n]! - curvature[(i - half + n) % n]!;
  }
  return out;
}

/** Index of the largest |curvature|. */
export function tightestIndex(curvature: Float64Array): number {
  let best = 0;
  for (let i = 1; i < curvature.length; i++) if (Math.abs(curvature[i]!) > Math.abs(curvature[best]!)) best = i;
  return best;
}

/** Sum of heading changes over the loop: ±2π for a simple closed curve (sign = direction). */
export function totalTurnRad(headingRad: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < headingRad.length; i++) sum += wrapAngle(headingRad[(i + 1) % headingRad.length]! - headingRad[i]!);
  return sum;
}

/** Sample indices bucketed by grid cell, for neighbour queries in O(n) instead of all pairs. */
class Grid {
  readonly #cells = new Map<number, number[]>();
  constructor(
    readonly cellM: number,
    xs: Float64Array,
    ys: Float64Array,
  ) {
    for (let i = 0; i < xs.length; i++) {
      const key = this.key(Math.floor(xs[i]! / cellM), Math.floor(ys[i]! / cellM));
      const cell = this.#cells.get(key);
      if (cell) cell.push(i);
      else this.#cells.set(key, [i]);
    }
  }

  key(cx: number, cy: number): number {
    return (cx + 1_000_000) * 2_000_003 + (cy + 1_000_000);
  }

  /** Calls `visit` for every index in the 3×3 cells around (x, y). */
  near(x: number, y: number, visit: (j: number) => void): void {
    const cx = Math.floor(x / this.cellM);
    const cy = Math.floor(y / this.cellM);
    for (let dx = -1; dx <= 1; dx++) {
      for (let dy = -1; dy <= 1; dy++) {
        const cell = this.#cells.get(this.key(cx + dx, cy + dy));
        if (cell) for (const j of cell) visit(j);
      }
    }
  }
}

/** First pair of non-adjacent polyline segments that cross, or null. */
export function findSelfIntersection(x: Float64Array, y: Float64Array): { i: number; j: number; x: number; y: number } | null {
  const n = x.length;
  // Bucket segments by midpoint: two crossing segments have midpoints closer than the longest segment.
  const mx = new Float64Array(n);
  const my = new Float64Array(n);
  let longest = 0;
  for (let i = 0; i < n; i++) {
    const i2 = (i + 1) % n;
    mx[i] = (x[i]! + x[i2]!) / 2;
    my[i] = (y[i]! + y[i2]!) / 2;
    longest = Math.max(longest, Math.hypot(x[i2]! - x[i]!, y[i2]! - y[i]!));
  }
  const grid = new Grid(Math.max(longest, 1e-6) * 2, mx, my);
  let found: { i: number; j: number; x: number; y: number } | null = null;
  for (let i = 0; i < n && !found; i++) {
    const i2 = (i + 1) % n;
    const ax = x[i]!, ay = y[i]!, bx = x[i2]!, by = y[i2]!;
    grid.near(mx[i]!, my[i]!, (j) => {
      if (found || j <= i + 1 || (i === 0 && j === n - 1)) return; // each pair once, neighbours share a point
      const j2 = (j + 1) % n;
      const cx = x[j]!, cy = y[j]!, dx = x[j2]!, dy = y[j2]!;
      // Bounding boxes first: also rejects disjoint collinear segments (all cross products 0 on a straight).
      if (Math.max(cx, dx) < Math.min(ax, bx) || Math.min(cx, dx) > Math.max(ax, bx)) return;
      if (Math.max(cy, dy) < Math.min(ay, by) || Math.min(cy, dy) > Math.max(ay, by)) return;
      const d1 = cross(cx - ax, cy - ay, bx - ax, by - ay);
      const d2 = cross(dx - ax, dy - ay, bx - ax, by - ay);
      const d3 = cross(ax - cx, ay - cy, dx - cx, dy - cy);
      const d4 = cross(bx - cx, by - cy, dx - cx, dy - cy);
      if (d1 * d2 <= 0 && d3 * d4 <= 0) {
        const t = d3 / (d3 - d4 || 1);
        found = { i, j, x: ax + t * (bx - ax), y: ay + t * (by - ay) };
      }
    });
  }
  return found;
}

function cross(ax: number, ay: number, bx: number, by: number): number {
  return ax * by - ay * bx;
}

/**
 * Closest pair of samples from different sections of the loop whose centres are nearer than
 * `minDistanceM`, or null. Samples count as the same section while their arc-length separation is
 * under `sameSectionM` (with radius ≥ 1 m a bend cannot bring such samples within a road width).
 */
export function findSectionOverlap(
  x: Float64Array,
  y: Float64Array,
  spacingM: number,
  minDistanceM: number,
  sameSectionM: number,
): { i: number; j: number; distanceM: number } | null {
  const n = x.length;
  const skip = Math.ceil(sameSectionM / spacingM);
  if (2 * skip >= n) return null;
  const grid = new Grid(minDistanceM, x, y);
  const min2 = minDistanceM * minDistanceM;
  let worst: { i: number; j: number; distanceM: number } | null = null;
  let worst2 = Infinity;
  for (let i = 0; i < n; i++) {
    const xi = x[i]!, yi = y[i]!;
    grid.near(xi, yi, (j) => {
      if (j <= i) return;
      const sep = Math.min(j - i, n - (j - i));
      if (sep <= skip) return;
      const dx = x[j]! - xi;
      const dy = y[j]! - yi;
      const d2 = dx * dx + dy * dy;
      if (d2 < min2 && d2 < worst2) {
        worst2 = d2;
        worst = { i, j, distanceM: Math.sqrt(d2) };
      }
    });
  }
  return worst;
}

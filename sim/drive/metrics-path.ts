/**
 * Geometry helpers for drive results: decimating a recorded path or a track outline to a bounded
 * size, building road edges from a centreline, and percentiles. Reporting path, not per step.
 */
import type { TrackOutline } from './drive-result.js';

/**
 * Which of `n` points to keep so at most `maxPoints` remain: the first and last always; in between,
 * `maxPoints - 2` equal buckets of consecutive points, each keeping its point of largest `weight`
 * (the first on ties), so peaks such as the worst cross-track error survive. Ascending indices.
 */
export function decimateIndices(n: number, maxPoints: number, weight?: (i: number) => number): Uint32Array {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`point count must be a non-negative integer, got ${n}`);
  if (!Number.isInteger(maxPoints) || maxPoints < 2) throw new RangeError(`maxPoints must be an integer ≥ 2, got ${maxPoints}`);
  if (n <= maxPoints) {
    const all = new Uint32Array(n);
    for (let i = 0; i < n; i++) all[i] = i;
    return all;
  }
  const out = new Uint32Array(maxPoints);
  out[0] = 0;
  out[maxPoints - 1] = n - 1;
  const interior = n - 2; // points 1 … n-2
  const buckets = maxPoints - 2;
  for (let b = 0; b < buckets; b++) {
    const start = 1 + Math.floor((b * interior) / buckets);
    const end = 1 + Math.floor(((b + 1) * interior) / buckets); // exclusive, > start since interior > buckets
    let best = start;
    if (weight) {
      let bestW = weight(start);
      for (let i = start + 1; i < end; i++) {
        const w = weight(i);
        if (w > bestW) {
          bestW = w;
          best = i;
        }
      }
    }
    out[b + 1] = best;
  }
  return out;
}

/** A polyline thinned to at most `maxPoints` evenly spaced points (by index), first and last kept. */
export function decimatePolyline(points: readonly (readonly [number, number])[], maxPoints: number): [number, number][] {
  const idx = decimateIndices(points.length, maxPoints);
  const out: [number, number][] = new Array(idx.length);
  for (let k = 0; k < idx.length; k++) {
    const p = points[idx[k]!]!;
    out[k] = [p[0], p[1]];
  }
  return out;
}

/** The outline with each ring decimated to at most `maxPoints`. */
export function decimateOutline(outline: TrackOutline, maxPoints: number): TrackOutline {
  return {
    centre: decimatePolyline(outline.centre, maxPoints),
    left: decimatePolyline(outline.left, maxPoints),
    right: decimatePolyline(outline.right, maxPoints),
    closed: outline.closed,
  };
}

/**
 * Road edges at ±widthM/2 from a centreline, along the normal of the local tangent (central
 * differences; wrapping when `closed`). Left is to the left of the direction of travel.
 */
export function outlineFromCentreline(centre: readonly (readonly [number, number])[], widthM: number, closed = true): TrackOutline {
  if (centre.length < 2) throw new RangeError(`a centreline needs at least 2 points, got ${centre.length}`);
  if (!(widthM > 0)) throw new RangeError(`road width must be positive, got ${widthM} m`);
  const n = centre.length;
  const half = widthM / 2;
  const c: [number, number][] = [];
  const left: [number, number][] = [];
  const right: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    const prev = centre[i > 0 ? i - 1 : closed ? n - 1 : 0]!;
    const next = centre[i < n - 1 ? i + 1 : closed ? 0 : n - 1]!;
    let tx = next[0] - prev[0];
    let ty = next[1] - prev[1];
    const len = Math.hypot(tx, ty);
    if (len > 0) {
      tx /= len;
      ty /= len;
    }
    const [x, y] = centre[i]!;
    c.push([x, y]);
    left.push([x - ty * half, y + tx * half]);
    right.push([x + ty * half, y - tx * half]);
  }
  return { centre: c, left, right, closed };
}

/** Nearest-rank percentile (p in [0, 100]) of values sorted ascending; NaN when empty. */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const rank = Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1));
  return sorted[rank]!;
}

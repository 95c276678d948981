/** Control points for test tracks: circles and turtle paths (straights and arcs). */
import type { Point2 } from '../../../sim/world/centreline.js';

/** `count` points on a circle of radius `radiusM`; anticlockwise unless `clockwise`. */
export function circlePoints(radiusM: number, count: number, clockwise = false): Point2[] {
  const pts: Point2[] = [];
  for (let i = 0; i < count; i++) {
    const a = ((clockwise ? -2 : 2) * Math.PI * i) / count;
    pts.push([radiusM * Math.cos(a), radiusM * Math.sin(a)]);
  }
  return pts;
}

/** ['S', lengthM] or ['A', radiusM (+ left, - right), turnDeg]. */
export type Move = ['S', number] | ['A', number, number];

/** Points every ~`stepM` along a path from the origin heading +x. */
export function turtle(moves: readonly Move[], stepM = 0.4): Point2[] {
  let x = 0;
  let y = 0;
  let h = 0;
  const pts: Point2[] = [];
  for (const m of moves) {
    const lengthM = m[0] === 'S' ? m[1] : Math.abs(m[1]) * ((m[2] * Math.PI) / 180);
    const k = m[0] === 'S' ? 0 : 1 / m[1];
    const n = Math.max(1, Math.round(lengthM / stepM));
    for (let i = 0; i < n; i++) {
      pts.push([x, y]);
      const ds = lengthM / n;
      if (k === 0) {
        x += ds * Math.cos(h);
        y += ds * Math.sin(h);
      } else {
        const h2 = h + k * ds;
        x += (Math.sin(h2) - Math.sin(h)) / k;
        y -= (Math.cos(h2) - Math.cos(h)) / k;
        h = h2;
      }
    }
  }
  return pts;
}

/**
 * A dog bone: two parallel legs 2·halfGapM apart joined by round ends (right 60°, left 300°,
 * right 60°). Radii ≥ 2 m, so only the closeness of the legs is wrong with it.
 */
export function dogBonePoints(halfGapM: number): Point2[] {
  const r1 = 2;
  const r2 = r1 + 2 * halfGapM; // the bulb centres on the bone's axis when r2 - r1 = 2 * halfGap
  const end: Move[] = [['A', -r1, 60], ['A', r2, 300], ['A', -r1, 60]];
  return turtle([['S', 8], ...end, ['S', 8], ...end]);
}

/** Contact tests between the car's footprint (an oriented rectangle) and cones or obstacles. */
import type { ConeSpec, ObstacleSpec } from '../world/track.js';

export interface OrientedBox {
  cx: number;
  cy: number;
  yawRad: number;
  halfLengthM: number;
  halfWidthM: number;
}

export const CONE_BASE_RADIUS_M = 0.05;

/** Distance from a point to an oriented box (0 inside). */
export function pointBoxDistance(px: number, py: number, b: OrientedBox): number {
  const c = Math.cos(b.yawRad);
  const s = Math.sin(b.yawRad);
  const dx = px - b.cx;
  const dy = py - b.cy;
  const lx = Math.abs(dx * c + dy * s) - b.halfLengthM;
  const ly = Math.abs(-dx * s + dy * c) - b.halfWidthM;
  return Math.hypot(Math.max(lx, 0), Math.max(ly, 0));
}

/** Separating-axis test for two oriented rectangles. */
export function boxesOverlap(a: OrientedBox, b: OrientedBox): boolean {
  for (const box of [a, b]) {
    for (const angle of [box.yawRad, box.yawRad + Math.PI / 2]) {
      const ax = Math.cos(angle);
      const ay = Math.sin(angle);
      const ra = projectedRadius(a, ax, ay);
      const rb = projectedRadius(b, ax, ay);
      const d = Math.abs((b.cx - a.cx) * ax + (b.cy - a.cy) * ay);
      if (d > ra + rb) return false;
    }
  }
  return true;
}

function projectedRadius(b: OrientedBox, ax: number, ay: number): number {
  const c = Math.cos(b.yawRad);
  const s = Math.sin(b.yawRad);
  return b.halfLengthM * Math.abs(c * ax + s * ay) + b.halfWidthM * Math.abs(-s * ax + c * ay);
}

const scratchObstacle: OrientedBox = { cx: 0, cy: 0, yawRad: 0, halfLengthM: 0, halfWidthM: 0 };

/** True when the car touches any cone or obstacle. Cones are few; a linear scan is cheap. */
export function touchesScenery(car: OrientedBox, cones: readonly ConeSpec[], obstacles: readonly ObstacleSpec[]): boolean {
  const reach = Math.hypot(car.halfLengthM, car.halfWidthM) + CONE_BASE_RADIUS_M;
  for (const cone of cones) {
    if (Math.abs(cone.x - car.cx) > reach || Math.abs(cone.y - car.cy) > reach) continue;
    if (pointBoxDistance(cone.x, cone.y, car) <= CONE_BASE_RADIUS_M) return true;
  }
  for (const o of obstacles) {
    scratchObstacle.cx = o.x;
    scratchObstacle.cy = o.y;
    scratchObstacle.yawRad = o.yawRad;
    scratchObstacle.halfLengthM = o.lengthM / 2;
    scratchObstacle.halfWidthM = o.widthM / 2;
    if (boxesOverlap(car, scratchObstacle)) return true;
  }
  return false;
}

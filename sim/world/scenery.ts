/** Scenery placed relative to the centreline: kerbs and cones on the outside of tight bends, obstacles beside the road. */
import { PilotError } from '../../src/core/util/errors.js';
import { smoothCurvature } from './centreline.js';
import type { ConeSpec, KerbSpec, ObstacleSpec, Track, TrackDefinition } from './track.js';

/** Bends tighter than this get a kerb on the outside. */
export const KERB_RADIUS_M = 3.0;
/** Bends tighter than this get cones along the outside edge. */
export const CONE_RADIUS_M = 2.5;
/** Cones stand this far beyond the road edge. */
export const CONE_OFFSET_M = 0.3;
const CONE_SPACING_M = 0.5;
/** Kerbs start and end a little before and after the tight part. */
const KERB_MARGIN_M = 0.3;
/** Default gap between the road edge and an obstacle's side. */
const OBSTACLE_GAP_M = 0.35;
/** Bends are judged on curvature averaged over ±this, so knot ripple makes no kerb fragments. */
const SMOOTHING_M = 0.3;

type Geometry = Pick<Track, 'widthM' | 'lengthM' | 'spacingM' | 'samples' | 'project' | 'poseAt'>;

export function buildScenery(track: Geometry, def: TrackDefinition, source: string): Track['scenery'] {
  return {
    kerbs: (def.scenery?.kerbs ?? 'auto') === 'auto' ? autoKerbs(track) : [],
    cones: (def.scenery?.cones ?? 'auto') === 'auto' ? autoCones(track) : [],
    obstacles: placeObstacles(track, def, source),
  };
}

/** Runs of consecutive samples (around the loop) where `test(i)` holds, as [first, last] index pairs. */
function runs(n: number, test: (i: number) => boolean): [number, number][] {
  let start = -1;
  for (let i = 0; i < n; i++) if (!test(i)) start = i;
  if (start < 0) return [[0, n - 1]];
  const out: [number, number][] = [];
  let first = -1;
  for (let k = 1; k <= n; k++) {
    const i = (start + k) % n;
    if (test(i)) {
      if (first < 0) first = i;
    } else if (first >= 0) {
      out.push([first, (i - 1 + n) % n]);
      first = -1;
    }
  }
  return out;
}

/** Outside of a left bend (κ > 0) is the right side. */
function outside(curvature: number): 'left' | 'right' {
  return curvature > 0 ? 'right' : 'left';
}

export function autoKerbs(track: Geometry): KerbSpec[] {
  const { sM } = track.samples;
  const curvature = smoothCurvature(track.samples.curvature, track.spacingM, SMOOTHING_M);
  const n = curvature.length;
  const kerbs: KerbSpec[] = [];
  const margin = Math.round(KERB_MARGIN_M / track.spacingM);
  for (const side of ['left', 'right'] as const) {
    const tight = (i: number) => Math.abs(curvature[i]!) > 1 / KERB_RADIUS_M && outside(curvature[i]!) === side;
    // Widened by the margin first, so neighbouring tight spots merge into one kerb.
    const near = new Uint8Array(n);
    for (let i = 0; i < n; i++) if (tight(i)) for (let k = -margin; k <= margin; k++) near[(i + k + n) % n] = 1;
    for (const [first, last] of runs(n, (i) => near[i] === 1)) {
      const wholeLoop = ((last - first + n) % n) + 1 === n;
      kerbs.push(wholeLoop ? { startSM: 0, endSM: track.lengthM, side } : { startSM: sM[first]!, endSM: sM[last]!, side });
    }
  }
  return kerbs.sort((a, b) => a.startSM - b.startSM);
}

export function autoCones(track: Geometry): ConeSpec[] {
  const { sM } = track.samples;
  const curvature = smoothCurvature(track.samples.curvature, track.spacingM, SMOOTHING_M);
  const n = curvature.length;
  const lateralM = track.widthM / 2 + CONE_OFFSET_M;
  const cones: ConeSpec[] = [];
  const probe = { index: 0, sM: 0, crossTrackM: 0, headingRad: 0, curvature: 0, x: 0, y: 0 };
  const pose = { x: 0, y: 0, headingRad: 0 };
  const every = Math.max(1, Math.round(CONE_SPACING_M / track.spacingM));
  const tight = (i: number) => Math.abs(curvature[i]!) > 1 / CONE_RADIUS_M;
  for (const [first, last] of runs(n, tight)) {
    const count = ((last - first + n) % n) + 1;
    for (let k = 0; k < count; k += every) {
      const i = (first + k) % n;
      const sign = curvature[i]! > 0 ? -1 : 1;
      track.poseAt(sM[i]!, sign * lateralM, pose);
      // A cone must not end up on (or at the edge of) another section of the road.
      track.project(pose.x, pose.y, undefined, probe);
      if (Math.abs(probe.crossTrackM) < track.widthM / 2 + CONE_OFFSET_M * 0.5) continue;
      cones.push({ x: pose.x, y: pose.y });
    }
  }
  return cones;
}

function placeObstacles(track: Geometry, def: TrackDefinition, source: string): ObstacleSpec[] {
  const half = track.widthM / 2;
  const probe = { index: 0, sM: 0, crossTrackM: 0, headingRad: 0, curvature: 0, x: 0, y: 0 };
  return (def.scenery?.obstacles ?? []).map((o, k) => {
    const key = `scenery.obstacles.${k}`;
    for (const [name, v] of [['length_m', o.lengthM], ['width_m', o.widthM], ['height_m', o.heightM]] as const) {
      if (!(v > 0 && v <= 5)) throw new PilotError('E_TRACK', `${source}: ${key}.${name}: must be in (0, 5] m (got ${v})`);
    }
    const offsetM = o.offsetM ?? half + OBSTACLE_GAP_M + o.widthM / 2;
    const pose = track.poseAt(o.sM, offsetM);
    const yawRad = pose.headingRad + (o.yawRad ?? 0);
    if (!o.onRoad) {
      // Corners, edge midpoints and centre of the footprint must all be off the road of every section.
      const c = Math.cos(yawRad), s = Math.sin(yawRad);
      for (const [u, v] of [[0, 0], [1, 1], [1, -1], [-1, 1], [-1, -1], [1, 0], [-1, 0], [0, 1], [0, -1]] as const) {
        const lx = (u * o.lengthM) / 2, ly = (v * o.widthM) / 2;
        track.project(pose.x + c * lx - s * ly, pose.y + s * lx + c * ly, undefined, probe);
        if (Math.abs(probe.crossTrackM) < half + 0.05) {
          throw new PilotError(
            'E_TRACK',
            `${source}: ${key}.offset_m: the obstacle reaches onto the road (set on_road: true if that is meant) (got ${offsetM.toFixed(2)} m at s_m ${o.sM})`,
          );
        }
      }
    }
    return { x: pose.x, y: pose.y, yawRad, lengthM: o.lengthM, widthM: o.widthM, heightM: o.heightM };
  });
}

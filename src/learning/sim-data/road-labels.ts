/**
 * Ground-truth road geometry in the vehicle frame: what a perception backbone should be able to read
 * from one camera frame. Pure maths on a Track; the pretraining generator labels every frame with it.
 *
 * Vehicle frame: base_link (rear axle centre on the ground), x forward, y left (REP-103). Every target
 * is stored raw = physical / scale, the scales chosen so the sampled poses give values of about ±1.
 */
import { wrapAngle } from '../../../sim/index.js';
import type { Track, TrackPose, TrackProjection } from '../../../sim/index.js';

export interface RoadTarget {
  readonly name: string;
  readonly unit: string;
  /** raw = physical / scale. */
  readonly scale: number;
  readonly description: string;
}

/** Arc lengths ahead (from the car's projection onto the centreline) whose lateral offset is a target. */
export const AHEAD_M = [0.5, 1.0, 1.5, 2.0] as const;

/** Curvature is averaged over ±this arc length: the spline's knot ripple (±5–15 %) is not road. */
const CURVATURE_SMOOTHING_M = 0.3;

/** The road-geometry targets, in column order. */
export const ROAD_TARGETS: readonly RoadTarget[] = [
  {
    name: 'lateral_offset',
    unit: 'm',
    scale: 0.5,
    description: "cross-track error of base_link: signed distance from the centreline, + = car left of it",
  },
  {
    name: 'heading_error',
    unit: 'rad',
    scale: 0.4,
    description: "car yaw − centreline heading at the projection, wrapped to (−π, π], + = car points left of the road's direction",
  },
  ...AHEAD_M.map((d) => ({
    name: `centre_y_${d.toFixed(1)}m`,
    unit: 'm',
    scale: 0.4 + 0.4 * d,
    description: `lateral (y) coordinate in the vehicle frame of the centreline point ${d.toFixed(1)} m of arc ahead of the projection, + = left`,
  })),
  {
    name: 'curvature',
    unit: '1/m',
    scale: 0.5,
    description: `centreline curvature at the projection, averaged over ±${CURVATURE_SMOOTHING_M} m of arc, + = bending left`,
  },
];

export const ROAD_TARGET_NAMES: readonly string[] = ROAD_TARGETS.map((t) => t.name);

/** Physical values of one pose's road targets, in ROAD_TARGETS order. */
export interface RoadGeometry {
  lateralOffsetM: number;
  headingErrorRad: number;
  /** One per AHEAD_M. */
  centreYM: Float64Array;
  curvature: number;
  /** The projection the labels were taken from (arc length, closest centreline point). */
  sM: number;
}

/** Labels poses on one track; reuses its scratch, so labelling allocates nothing per pose. */
export class RoadLabeller {
  readonly track: Track;
  readonly #projection: TrackProjection = { index: 0, sM: 0, crossTrackM: 0, headingRad: 0, curvature: 0, x: 0, y: 0 };
  readonly #ahead: TrackPose = { x: 0, y: 0, headingRad: 0 };
  readonly #smoothHalf: number;

  constructor(track: Track) {
    this.track = track;
    this.#smoothHalf = Math.max(0, Math.round(CURVATURE_SMOOTHING_M / track.spacingM));
  }

  /** Geometry of the road seen from a car at (x, y) heading `yawRad`. Full projection search (no hint). */
  geometry(x: number, y: number, yawRad: number, out?: RoadGeometry): RoadGeometry {
    const g = out ?? { lateralOffsetM: 0, headingErrorRad: 0, centreYM: new Float64Array(AHEAD_M.length), curvature: 0, sM: 0 };
    const p = this.track.project(x, y, undefined, this.#projection);
    g.lateralOffsetM = p.crossTrackM;
    g.headingErrorRad = wrapAngle(yawRad - p.headingRad);
    g.sM = p.sM;
    const c = Math.cos(yawRad);
    const s = Math.sin(yawRad);
    for (let k = 0; k < AHEAD_M.length; k++) {
      const a = this.track.poseAt(p.sM + AHEAD_M[k]!, 0, this.#ahead);
      g.centreYM[k] = -s * (a.x - x) + c * (a.y - y);
    }
    g.curvature = this.#smoothedCurvature(p.index);
    return g;
  }

  /** Writes the raw (scaled) targets of `g` into `out` from `offset`, in ROAD_TARGETS order. */
  static toRaw(g: Readonly<RoadGeometry>, out: Float32Array, offset = 0): void {
    let k = offset;
    const t = ROAD_TARGETS;
    out[k] = g.lateralOffsetM / t[0]!.scale;
    out[k + 1] = g.headingErrorRad / t[1]!.scale;
    for (let i = 0; i < AHEAD_M.length; i++) out[k + 2 + i] = g.centreYM[i]! / t[2 + i]!.scale;
    k += 2 + AHEAD_M.length;
    out[k] = g.curvature / t[k - offset]!.scale;
  }

  #smoothedCurvature(index: number): number {
    const curvature = this.track.samples.curvature;
    const n = curvature.length;
    const h = this.#smoothHalf;
    let sum = 0;
    for (let k = -h; k <= h; k++) sum += curvature[(((index + k) % n) + n) % n]!;
    return sum / (2 * h + 1);
  }
}

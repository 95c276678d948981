/**
 * The simulator's world: a closed road around a centreline, sampled by arc length, with scenery.
 * Frame: REP-103 `odom` (x east/forward, y north/left, z up), metres, yaw CCW from +x.
 * Pure data and maths; rendering and physics only read it.
 */
import type { Point2 } from './centreline.js';

export interface TrackProjection {
  /** Nearest centreline sample; pass it back as `hint` next step. */
  index: number;
  sM: number;
  /** Signed, + = left of the centreline. */
  crossTrackM: number;
  headingRad: number;
  curvature: number;
  /** Closest centreline point. */
  x: number;
  y: number;
}

export interface TrackPose {
  x: number;
  y: number;
  headingRad: number;
}

export interface ConeSpec {
  x: number;
  y: number;
}

export interface ObstacleSpec {
  x: number;
  y: number;
  yawRad: number;
  lengthM: number;
  widthM: number;
  heightM: number;
}

export interface KerbSpec {
  /** start > end when the kerb runs across the start line. */
  startSM: number;
  endSM: number;
  side: 'left' | 'right';
}

export interface TrackMarkings {
  edgeLineWidthM: number;
  centreLineWidthM: number;
  centreDashM: number;
  centreGapM: number;
}

/** Look hints from the track file; domain randomisation may override them. Colours are 0xRRGGBB. */
export interface TrackSurface {
  roadKind?: 'asphalt' | 'concrete' | 'worn';
  groundKind?: 'grass' | 'sand' | 'dirt';
  roadColour?: number;
  groundColour?: number;
  lineColour?: number;
}

export type TrackSplit = 'train' | 'unseen' | 'generated';

export interface Track {
  readonly name: string;
  readonly description: string;
  readonly split: TrackSplit;
  readonly widthM: number;
  readonly lengthM: number;
  readonly spacingM: number;
  /** Sample i sits at sM = i * spacingM; the loop closes from the last sample back to sample 0. */
  readonly samples: { x: Float64Array; y: Float64Array; sM: Float64Array; headingRad: Float64Array; curvature: Float64Array };
  readonly scenery: { cones: ConeSpec[]; obstacles: ObstacleSpec[]; kerbs: KerbSpec[] };
  readonly markings: TrackMarkings;
  readonly surface: TrackSurface;
  /** Smallest radius of curvature of the centreline. */
  readonly minRadiusM: number;
  /** Projection onto the centreline; `hint` = previous index for O(window) search per step, full search without it or when the hint is far off. Must not allocate when `out` is given. */
  project(x: number, y: number, hint?: number, out?: TrackProjection): TrackProjection;
  /** Pose on the centreline at arc length s (wraps modulo lengthM), optional lateral offset (+ = left). No allocation when `out` is given. */
  poseAt(sM: number, lateralM?: number, out?: TrackPose): TrackPose;
  /** Signed arc-length difference b - a wrapped into (-L/2, L/2]: used for progress and lap counting. */
  deltaS(aSM: number, bSM: number): number;
}

export interface ObstacleDefinition {
  /** Along the centreline. */
  sM: number;
  /** Centre's lateral offset (+ = left); default: beside the road on the left. */
  offsetM?: number;
  lengthM: number;
  widthM: number;
  heightM: number;
  /** Relative to the road heading at sM. */
  yawRad?: number;
  /** Allow the footprint on the road (an obstacle-avoidance scenario); refused otherwise. */
  onRoad?: boolean;
}

/** Everything needed to build a track, from a file or from the generator. */
export interface TrackDefinition {
  name: string;
  description: string;
  split: TrackSplit;
  widthM: number;
  centreline: readonly Point2[];
  spacingM?: number;
  scenery?: { cones?: 'auto' | 'none'; kerbs?: 'auto' | 'none'; obstacles?: readonly ObstacleDefinition[] };
  markings?: Partial<TrackMarkings>;
  surface?: TrackSurface;
}


/** Geometry limits every track must meet. */
export const TRACK_LIMITS = {
  /** The car turns down to ~0.55 m; keep a margin for a controller and for a learned policy. */
  minRadiusM: 1.0,
  minWidthM: 0.8,
  maxWidthM: 2.0,
  minLengthM: 10,
  maxLengthM: 500,
  /** Grass between the road edges of two sections, so cones and kerbs fit and a camera sees a gap. */
  minEdgeGapM: 0.5,
  defaultSpacingM: 0.05,
} as const;

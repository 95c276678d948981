/**
 * What the viewer server sends to the browser over its WebSocket. Shared by the server (Node) and the
 * page (browser): plain types and constants only, no Node or DOM APIs.
 *
 * Text frames carry JSON `ViewerMessage`s; binary frames carry one tag byte then the payload
 * (`FRAME_TAG_CAMERA_JPEG`: the robot camera's image as a JPEG file).
 */
import type { SceneLook } from '../render/scene-builder.js';
import type { ConeSpec, KerbSpec, ObstacleSpec, TrackMarkings } from '../world/track.js';

export const VIEWER_PROTOCOL_VERSION = 1;
export const VIEWER_SOCKET_PATH = '/ws';
export const FRAME_TAG_CAMERA_JPEG = 0x01;

/** A track as the scene builder reads it. A sim `Track` is one (its typed arrays are copied to JSON arrays on the wire). */
export interface ViewerTrack {
  readonly name: string;
  readonly widthM: number;
  readonly lengthM: number;
  readonly samples: {
    readonly x: ArrayLike<number>;
    readonly y: ArrayLike<number>;
    readonly sM: ArrayLike<number>;
    readonly headingRad: ArrayLike<number>;
    readonly curvature: ArrayLike<number>;
  };
  readonly scenery: { readonly cones: readonly ConeSpec[]; readonly obstacles: readonly ObstacleSpec[]; readonly kerbs: readonly KerbSpec[] };
  readonly markings: TrackMarkings;
}

export interface ViewerWorld {
  readonly track: ViewerTrack;
  readonly look: SceneLook;
}

/** The track as it travels: sample arrays as plain JSON arrays. */
export interface WireTrack extends Omit<ViewerTrack, 'samples'> {
  readonly samples: { x: number[]; y: number[]; sM: number[]; headingRad: number[]; curvature: number[] };
}

export interface WireWorld {
  readonly track: WireTrack;
  readonly look: SceneLook;
}

/** One sample of the drive for the viewer. Pose in the REP-103 odom frame (x forward, y left, yaw CCW). */
export interface ViewerState {
  /** Sim time. */
  tS: number;
  x: number;
  y: number;
  yawRad: number;
  steeringRad: number;
  speedMps: number;
  /** Signed, + = left of the centreline. */
  crossTrackM: number;
  /** Laps completed. */
  lap: number;
  lapsRequested: number;
  lapTimesS: number[];
  interventions: number;
  offRoadEvents: number;
  collisions: number;
  /** Sim seconds per wall second. */
  realtimeFactor: number;
  /** `expert`, the model's name, … */
  driver: string;
  latencyP50Ms?: number;
  latencyP99Ms?: number;
  /** Why the safety layer is holding or stopping, when it is. */
  safetyReason?: string;
}

export type ViewerMessage =
  | { type: 'hello'; version: number }
  | { type: 'world'; world: WireWorld }
  | { type: 'state'; state: ViewerState };

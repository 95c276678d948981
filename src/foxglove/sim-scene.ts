/**
 * The simulator's world for Foxglove's 3D panel: the track (road surface, edges, centreline, cones,
 * obstacles) as a `foxglove.SceneUpdate` in the fixed `world` frame, the car as an entity locked to
 * `base_link`, and the transform tree world → base_link → camera (the camera mount) → optical frame
 * as `foxglove.FrameTransforms`, so the camera image can be shown in the 3D view too.
 *
 * World coordinates are the track's (x, y in metres, z up), yaw counter-clockwise from +x, as the
 * simulator's DriveSample reports them.
 */
import type { Color, FrameTransform, FrameTransforms, Pose, SceneEntity, SceneUpdate, Time } from '@foxglove/schemas';
import type { CameraMount } from '../core/calibration/mount.js';

export const WORLD_FRAME = 'world';
export const BASE_FRAME = 'base_link';

/** What the scene needs of a track (sim/world/track.ts's Track has it). */
export interface SceneTrack {
  readonly name: string;
  readonly widthM: number;
  readonly samples: { readonly x: Float64Array; readonly y: Float64Array; readonly headingRad: Float64Array };
  readonly scenery: {
    readonly cones: readonly { x: number; y: number }[];
    readonly obstacles: readonly { x: number; y: number; yawRad: number; lengthM: number; widthM: number; heightM: number }[];
  };
}

export interface VehicleShape {
  readonly wheelbaseM: number;
  readonly trackWidthM: number;
}

const ROAD: Color = { r: 0.35, g: 0.35, b: 0.38, a: 1 };
const EDGE: Color = { r: 0.95, g: 0.95, b: 0.95, a: 1 };
const CENTRE: Color = { r: 1, g: 0.8, b: 0.1, a: 1 };
const CONE: Color = { r: 1, g: 0.45, b: 0, a: 1 };
const OBSTACLE: Color = { r: 0.55, g: 0.3, b: 0.2, a: 1 };
const BODY: Color = { r: 0.1, g: 0.45, b: 0.9, a: 1 };
const IDENTITY = { x: 0, y: 0, z: 0, w: 1 };
const ORIGIN: Pose = { position: { x: 0, y: 0, z: 0 }, orientation: IDENTITY };
const FOREVER = { sec: 0, nsec: 0 };

export function timeOfNs(ns: bigint): Time {
  return { sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) };
}

/** Rotation about z by `yawRad` as a quaternion. */
export function yawQuaternion(yawRad: number): { x: number; y: number; z: number; w: number } {
  return { x: 0, y: 0, z: Math.sin(yawRad / 2), w: Math.cos(yawRad / 2) };
}

/** Roll, pitch, yaw (fixed axes x, y, z; REP-103) as a quaternion. */
export function rpyQuaternion(rollRad: number, pitchRad: number, yawRad: number): { x: number; y: number; z: number; w: number } {
  const [cr, sr] = [Math.cos(rollRad / 2), Math.sin(rollRad / 2)];
  const [cp, sp] = [Math.cos(pitchRad / 2), Math.sin(pitchRad / 2)];
  const [cy, sy] = [Math.cos(yawRad / 2), Math.sin(yawRad / 2)];
  return {
    x: sr * cp * cy - cr * sp * sy,
    y: cr * sp * cy + sr * cp * sy,
    z: cr * cp * sy - sr * sp * cy,
    w: cr * cp * cy + sr * sp * sy,
  };
}

function entity(id: string, frameId: string, timeNs: bigint, parts: Partial<SceneEntity>): SceneEntity {
  return {
    timestamp: timeOfNs(timeNs),
    frame_id: frameId,
    id,
    lifetime: FOREVER,
    frame_locked: frameId !== WORLD_FRAME,
    metadata: [],
    arrows: [],
    cubes: [],
    spheres: [],
    cylinders: [],
    lines: [],
    triangles: [],
    texts: [],
    models: [],
    ...parts,
  };
}

/** The track as one entity in the world frame. */
export function trackScene(track: SceneTrack, timeNs: bigint): SceneUpdate {
  const { x, y, headingRad } = track.samples;
  const half = track.widthM / 2;
  const road: { x: number; y: number; z: number }[] = [];
  const left: { x: number; y: number; z: number }[] = [];
  const right: { x: number; y: number; z: number }[] = [];
  const centre: { x: number; y: number; z: number }[] = [];
  const indices: number[] = [];
  const n = x.length;
  for (let i = 0; i < n; i++) {
    const nx = -Math.sin(headingRad[i]!);
    const ny = Math.cos(headingRad[i]!);
    const l = { x: x[i]! + nx * half, y: y[i]! + ny * half, z: 0 };
    const r = { x: x[i]! - nx * half, y: y[i]! - ny * half, z: 0 };
    road.push(l, r);
    left.push({ ...l, z: 0.005 });
    right.push({ ...r, z: 0.005 });
    centre.push({ x: x[i]!, y: y[i]!, z: 0.005 });
    const j = (i + 1) % n;
    indices.push(2 * i, 2 * i + 1, 2 * j, 2 * i + 1, 2 * j + 1, 2 * j);
  }
  const line = (points: typeof left, color: Color, thickness: number) => ({ type: 1, pose: ORIGIN, thickness, scale_invariant: false, points, color, colors: [], indices: [] });
  const cone = (c: { x: number; y: number }) => ({ pose: { position: { x: c.x, y: c.y, z: 0.15 }, orientation: IDENTITY }, size: { x: 0.2, y: 0.2, z: 0.3 }, bottom_scale: 1, top_scale: 0, color: CONE });
  const obstacle = (o: SceneTrack['scenery']['obstacles'][number]) => ({
    pose: { position: { x: o.x, y: o.y, z: o.heightM / 2 }, orientation: yawQuaternion(o.yawRad) },
    size: { x: o.lengthM, y: o.widthM, z: o.heightM },
    color: OBSTACLE,
  });
  return {
    deletions: [],
    entities: [
      entity(`track/${track.name}`, WORLD_FRAME, timeNs, {
        triangles: [{ pose: ORIGIN, points: road, color: ROAD, colors: [], indices }],
        lines: [line(left, EDGE, 0.05), line(right, EDGE, 0.05), line(centre, CENTRE, 0.02)],
        cylinders: track.scenery.cones.map(cone),
        cubes: track.scenery.obstacles.map(obstacle),
      }),
    ],
  };
}

/** The car: a body over the wheelbase, locked to base_link (rear axle centre on the ground). */
export function vehicleScene(shape: VehicleShape, timeNs: bigint): SceneUpdate {
  const lengthM = shape.wheelbaseM * 1.6;
  const heightM = Math.max(0.06, shape.wheelbaseM * 0.35);
  return {
    deletions: [],
    entities: [
      entity('vehicle', BASE_FRAME, timeNs, {
        cubes: [
          {
            pose: { position: { x: shape.wheelbaseM / 2, y: 0, z: heightM / 2 + 0.03 }, orientation: IDENTITY },
            size: { x: lengthM, y: shape.trackWidthM, z: heightM },
            color: BODY,
          },
        ],
        arrows: [
          {
            pose: { position: { x: shape.wheelbaseM, y: 0, z: heightM + 0.05 }, orientation: IDENTITY },
            shaft_length: shape.wheelbaseM * 0.6,
            shaft_diameter: 0.02,
            head_length: shape.wheelbaseM * 0.3,
            head_diameter: 0.05,
            color: EDGE,
          },
        ],
      }),
    ],
  };
}

function transform(parent: string, child: string, timeNs: bigint, translation: { x: number; y: number; z: number }, rotation: { x: number; y: number; z: number; w: number }): FrameTransform {
  return { timestamp: timeOfNs(timeNs), parent_frame_id: parent, child_frame_id: child, translation, rotation };
}

/** camera_link (x forward, z up) → optical frame (z forward, x right, y down): roll −90°, yaw −90°. */
const OPTICAL = rpyQuaternion(-Math.PI / 2, 0, -Math.PI / 2);

/**
 * The mount's transforms: base_link → camera body frame, and → `opticalFrame` (the frame the camera
 * images are stamped with) when it differs from the body frame.
 */
export function cameraTransforms(mount: CameraMount, opticalFrame: string, timeNs: bigint): FrameTransform[] {
  const out = [transform(mount.parentFrame, mount.childFrame, timeNs, { x: mount.xM, y: mount.yM, z: mount.zM }, rpyQuaternion(mount.rollRad, mount.pitchRad, mount.yawRad))];
  if (opticalFrame !== mount.childFrame) out.push(transform(mount.childFrame, opticalFrame, timeNs, { x: 0, y: 0, z: 0 }, OPTICAL));
  return out;
}

/** world → base_link at the car's pose, followed by the fixed camera transforms. */
export function poseTransforms(xM: number, yM: number, yawRad: number, timeNs: bigint, fixed: readonly FrameTransform[]): FrameTransforms {
  const stamp = timeOfNs(timeNs);
  return {
    transforms: [
      transform(WORLD_FRAME, BASE_FRAME, timeNs, { x: xM, y: yM, z: 0 }, yawQuaternion(yawRad)),
      ...fixed.map((t) => ({ ...t, timestamp: stamp })),
    ],
  };
}

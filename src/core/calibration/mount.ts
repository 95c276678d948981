/** Camera mounting (extrinsics): where the camera sits on the robot, as a static transform from base_link. */
import { z } from 'zod';
import { describeIssue } from '../config/load.js';
import { PilotError } from '../util/errors.js';
import { readYamlFile } from './camera.js';

const Vec3 = z.tuple([z.number().finite(), z.number().finite(), z.number().finite()]);

const MountFile = z
  .object({
    parent_frame: z.string().min(1).default('base_link'),
    child_frame: z.string().min(1).default('camera_link'),
    translation_m: Vec3,
    rotation_rpy_rad: Vec3.refine((rpy) => rpy.every((a) => Math.abs(a) <= Math.PI), {
      message: 'roll, pitch and yaw must be within [-pi, pi]',
    }),
  })
  .strict();

export interface CameraMount {
  readonly parentFrame: string;
  readonly childFrame: string;
  readonly xM: number;
  readonly yM: number;
  readonly zM: number;
  readonly rollRad: number;
  /** Positive pitch tilts the camera down (rotation about +y, REP-103). */
  readonly pitchRad: number;
  readonly yawRad: number;
}

export function parseCameraMount(raw: unknown, source: string): CameraMount {
  const parsed = MountFile.safeParse(raw);
  if (!parsed.success) throw new PilotError('E_CALIBRATION', describeIssue(source, parsed.error.issues, raw));
  const m = parsed.data;
  return {
    parentFrame: m.parent_frame,
    childFrame: m.child_frame,
    xM: m.translation_m[0],
    yM: m.translation_m[1],
    zM: m.translation_m[2],
    rollRad: m.rotation_rpy_rad[0],
    pitchRad: m.rotation_rpy_rad[1],
    yawRad: m.rotation_rpy_rad[2],
  };
}

export function loadCameraMount(path: string): CameraMount {
  return parseCameraMount(readYamlFile(path, 'camera mount'), path);
}

/**
 * ROS messages from pilot's calibration files: sensor_msgs/CameraInfo from the camera intrinsics
 * (the same `camera_calibration` YAML camera_info_manager reads) and the camera mount as static
 * transforms for /tf_static: base_link → camera_link (the mount file) and camera_link → its optical
 * frame (REP-103: z forward, x right, y down), which is the frame CameraInfo and images refer to.
 */
import type { CameraCalibration } from '../core/calibration/camera.js';
import type { CameraMount } from '../core/calibration/mount.js';
import type { CameraInfo, Header, Quaternion, Vector3 } from '../core/messages/types.js';

export interface Transform {
  translation: Vector3;
  rotation: Quaternion;
}

/** geometry_msgs/msg/TransformStamped. */
export interface TransformStamped {
  header: Header;
  child_frame_id: string;
  transform: Transform;
}

/** tf2_msgs/msg/TFMessage. */
export interface TFMessage {
  transforms: TransformStamped[];
}

/**
 * The optical frame of a camera body frame, by the usual naming (`camera_link` → `camera_optical_frame`,
 * the frame the simulator stamps its images with).
 */
export const opticalFrame = (cameraFrame: string): string =>
  `${cameraFrame.endsWith('_link') ? cameraFrame.slice(0, -'_link'.length) : cameraFrame}_optical_frame`;

/** Quaternion of fixed-axis roll, pitch, yaw (tf2's setRPY: yaw about z, then pitch about y, then roll about x). */
export function quaternionFromRpy(roll: number, pitch: number, yaw: number): Quaternion {
  const [cr, sr] = [Math.cos(roll / 2), Math.sin(roll / 2)];
  const [cp, sp] = [Math.cos(pitch / 2), Math.sin(pitch / 2)];
  const [cy, sy] = [Math.cos(yaw / 2), Math.sin(yaw / 2)];
  return {
    x: sr * cp * cy - cr * sp * sy,
    y: cr * sp * cy + sr * cp * sy,
    z: cr * cp * sy - sr * sp * cy,
    w: cr * cp * cy + sr * sp * sy,
  };
}

export function cameraMountTransforms(mount: CameraMount, stamp: { sec: number; nanosec: number }): TFMessage {
  return {
    transforms: [
      {
        header: { stamp: { ...stamp }, frame_id: mount.parentFrame },
        child_frame_id: mount.childFrame,
        transform: { translation: { x: mount.xM, y: mount.yM, z: mount.zM }, rotation: quaternionFromRpy(mount.rollRad, mount.pitchRad, mount.yawRad) },
      },
      {
        header: { stamp: { ...stamp }, frame_id: mount.childFrame },
        child_frame_id: opticalFrame(mount.childFrame),
        transform: { translation: { x: 0, y: 0, z: 0 }, rotation: quaternionFromRpy(-Math.PI / 2, 0, -Math.PI / 2) },
      },
    ],
  };
}

export function cameraInfoFromCalibration(camera: CameraCalibration, frameId: string, stamp: { sec: number; nanosec: number }): CameraInfo {
  return {
    header: { stamp: { ...stamp }, frame_id: frameId },
    height: camera.height,
    width: camera.width,
    distortion_model: camera.distortionModel,
    d: Float64Array.from(camera.d),
    k: Float64Array.from(camera.k),
    r: Float64Array.from(camera.r),
    p: Float64Array.from(camera.p),
    binning_x: 0,
    binning_y: 0,
    roi: { x_offset: 0, y_offset: 0, height: 0, width: 0, do_rectify: false },
  };
}

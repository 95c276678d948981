import type { KnownTypeName, MessageTypeMap } from '../../../src/core/messages/index.js';
import { DiagnosticLevel } from '../../../src/core/messages/index.js';

const header = (frame_id: string, sec = 1_700_000_000, nanosec = 123_456_789) => ({ stamp: { sec, nanosec }, frame_id });
const f64 = (...xs: number[]) => Float64Array.from(xs);
const cov = (n: number, scale: number) => Float64Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? scale * (1 + i) : i / 100));

/** 640×480 rgb8 with a gradient, so any byte misplacement shows. */
function rgbImage() {
  const width = 640, height = 480;
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 10)) & 0xff;
  return { header: header('camera_optical'), height, width, encoding: 'rgb8', is_bigendian: 0, step: width * 3, data };
}

const point = (t: number) => ({
  positions: f64(0.1 * t, -0.2 * t, 0.3), velocities: f64(1, 2, 3), accelerations: f64(), effort: f64(-4.5, 0, 4.5),
  time_from_start: { sec: t, nanosec: 250_000_000 * t },
});

/** Non-trivial values for every known type; float32 fields use values float32 holds exactly. */
export const samples: { [K in KnownTypeName]: MessageTypeMap[K] } = {
  'builtin_interfaces/msg/Time': { sec: -2, nanosec: 300_000_000 },
  'builtin_interfaces/msg/Duration': { sec: 5, nanosec: 999_999_999 },
  'std_msgs/msg/Header': header('base_link'),
  'std_msgs/msg/Bool': { data: true },
  'std_msgs/msg/Float64MultiArray': {
    layout: { dim: [{ label: 'rows', size: 2, stride: 6 }, { label: 'cols', size: 3, stride: 3 }], data_offset: 0 },
    data: f64(1, 2, 3, 4, 5, Math.PI),
  },
  'std_msgs/msg/MultiArrayLayout': { dim: [{ label: 'x', size: 4, stride: 4 }], data_offset: 7 },
  'std_msgs/msg/MultiArrayDimension': { label: 'height', size: 480, stride: 921_600 },
  'sensor_msgs/msg/Image': rgbImage(),
  'sensor_msgs/msg/CompressedImage': { header: header('cam'), format: 'jpeg', data: Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]) },
  'sensor_msgs/msg/CameraInfo': {
    header: header('camera_optical'), height: 480, width: 640, distortion_model: 'plumb_bob',
    d: f64(-0.28, 0.07, 0.0002, -0.0001, 0),
    k: f64(525, 0, 319.5, 0, 525, 239.5, 0, 0, 1),
    r: f64(1, 0, 0, 0, 1, 0, 0, 0, 1),
    p: f64(525, 0, 319.5, 0, 0, 525, 239.5, 0, 0, 0, 1, 0),
    binning_x: 2, binning_y: 2,
    roi: { x_offset: 10, y_offset: 20, height: 100, width: 200, do_rectify: true },
  },
  'sensor_msgs/msg/RegionOfInterest': { x_offset: 1, y_offset: 2, height: 3, width: 4, do_rectify: true },
  'sensor_msgs/msg/Imu': {
    header: header('imu_link'), orientation: { x: 0, y: 0, z: Math.SQRT1_2, w: Math.SQRT1_2 },
    orientation_covariance: cov(3, 0.01), angular_velocity: { x: 0.1, y: -0.2, z: 0.3 },
    angular_velocity_covariance: cov(3, 0.02), linear_acceleration: { x: 0, y: 0, z: 9.81 },
    linear_acceleration_covariance: f64(-1, 0, 0, 0, 0, 0, 0, 0, 0),
  },
  'sensor_msgs/msg/JointState': {
    header: header(''), name: ['shoulder', 'elbow', 'wrist'], position: f64(0.5, -1, 1.5), velocity: f64(0, 0.1, 0),
    effort: f64(),
  },
  'nav_msgs/msg/Odometry': {
    header: header('odom'), child_frame_id: 'base_link',
    pose: { pose: { position: { x: 1, y: 2, z: 0 }, orientation: { x: 0, y: 0, z: 0.38268343, w: 0.92387953 } }, covariance: cov(6, 0.1) },
    twist: { twist: { linear: { x: 0.5, y: 0, z: 0 }, angular: { x: 0, y: 0, z: -0.25 } }, covariance: cov(6, 0.2) },
  },
  'geometry_msgs/msg/Twist': { linear: { x: 1.5, y: -2, z: 0 }, angular: { x: 0, y: 0, z: 0.75 } },
  'geometry_msgs/msg/TwistStamped': { header: header('base_link'), twist: { linear: { x: 0.2, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 1 } } },
  'geometry_msgs/msg/Vector3': { x: 1e-9, y: -1e9, z: Number.MAX_VALUE },
  'geometry_msgs/msg/Quaternion': { x: 0.5, y: -0.5, z: 0.5, w: -0.5 },
  'geometry_msgs/msg/Point': { x: -3, y: 4, z: 12.5 },
  'geometry_msgs/msg/Pose': { position: { x: 1, y: 1, z: 1 }, orientation: { x: 0, y: 1, z: 0, w: 0 } },
  'geometry_msgs/msg/PoseWithCovariance': { pose: { position: { x: 9, y: 8, z: 7 }, orientation: { x: 0, y: 0, z: 0, w: 1 } }, covariance: cov(6, 3) },
  'geometry_msgs/msg/TwistWithCovariance': { twist: { linear: { x: 1, y: 2, z: 3 }, angular: { x: 4, y: 5, z: 6 } }, covariance: cov(6, 4) },
  'ackermann_msgs/msg/AckermannDrive': { steering_angle: 0.25, steering_angle_velocity: 1.5, speed: -2.75, acceleration: 0.5, jerk: 8 },
  'ackermann_msgs/msg/AckermannDriveStamped': {
    header: header('base_link'), drive: { steering_angle: -0.125, steering_angle_velocity: 0, speed: 3.5, acceleration: 1, jerk: 0 },
  },
  'trajectory_msgs/msg/JointTrajectory': { header: header('world'), joint_names: ['j1', 'j2', 'j3'], points: [point(1), point(2), point(3)] },
  'trajectory_msgs/msg/JointTrajectoryPoint': point(7),
  'diagnostic_msgs/msg/DiagnosticArray': {
    header: header(''),
    status: [
      { level: DiagnosticLevel.OK, name: 'pilot: loop', message: 'ok', hardware_id: 'cpu0', values: [{ key: 'rate_hz', value: '100' }, { key: 'jitter_ms', value: '0.12' }] },
      { level: DiagnosticLevel.ERROR, name: 'pilot: camera', message: 'stale frames', hardware_id: '', values: [] },
      { level: DiagnosticLevel.STALE, name: 'pilot: imu', message: '', hardware_id: 'imu0', values: [{ key: 'age_ms', value: '250' }] },
    ],
  },
  'diagnostic_msgs/msg/DiagnosticStatus': { level: DiagnosticLevel.WARN, name: 'x', message: 'y', hardware_id: 'z', values: [{ key: 'k', value: 'v' }] },
  'diagnostic_msgs/msg/KeyValue': { key: 'temperature', value: '41.5' },
  'rosgraph_msgs/msg/Clock': { clock: { sec: 12, nanosec: 500_000_000 } },
};

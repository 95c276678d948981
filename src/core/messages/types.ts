/**
 * ROS 2 message shapes with the exact ROS 2 field names, so the same objects can go to rclnodejs.
 * Numeric arrays are typed arrays because that is what @foxglove/rosmsg2-serialization decodes
 * (uint8[] → Uint8Array, float64[] and float64[N] → Float64Array); string and message arrays
 * are plain arrays. builtin_interfaces Time/Duration decode as {sec, nanosec}.
 */

/** builtin_interfaces/msg/Time: sec (int32) plus nanosec (uint32, in [0, 1e9)). */
export interface Time {
  sec: number;
  nanosec: number;
}

/** builtin_interfaces/msg/Duration: same layout as Time. */
export interface Duration {
  sec: number;
  nanosec: number;
}

export interface Header {
  stamp: Time;
  frame_id: string;
}

export interface Bool {
  data: boolean;
}

export interface MultiArrayDimension {
  label: string;
  size: number;
  stride: number;
}

export interface MultiArrayLayout {
  dim: MultiArrayDimension[];
  data_offset: number;
}

export interface Float64MultiArray {
  layout: MultiArrayLayout;
  data: Float64Array;
}

export interface Image {
  header: Header;
  height: number;
  width: number;
  encoding: string;
  is_bigendian: number;
  step: number;
  data: Uint8Array;
}

export interface CompressedImage {
  header: Header;
  format: string;
  data: Uint8Array;
}

export interface RegionOfInterest {
  x_offset: number;
  y_offset: number;
  height: number;
  width: number;
  do_rectify: boolean;
}

export interface CameraInfo {
  header: Header;
  height: number;
  width: number;
  distortion_model: string;
  /** Distortion parameters, length depends on the model (5 for plumb_bob). */
  d: Float64Array;
  /** 3×3 row-major intrinsics: length 9. */
  k: Float64Array;
  /** 3×3 row-major rectification: length 9. */
  r: Float64Array;
  /** 3×4 row-major projection: length 12. */
  p: Float64Array;
  binning_x: number;
  binning_y: number;
  roi: RegionOfInterest;
}

export interface Vector3 {
  x: number;
  y: number;
  z: number;
}

export interface Point {
  x: number;
  y: number;
  z: number;
}

export interface Quaternion {
  x: number;
  y: number;
  z: number;
  w: number;
}

export interface Pose {
  position: Point;
  orientation: Quaternion;
}

export interface PoseWithCovariance {
  pose: Pose;
  /** 6×6 row-major: length 36. */
  covariance: Float64Array;
}

export interface Twist {
  linear: Vector3;
  angular: Vector3;
}

export interface TwistStamped {
  header: Header;
  twist: Twist;
}

export interface TwistWithCovariance {
  twist: Twist;
  /** 6×6 row-major: length 36. */
  covariance: Float64Array;
}

export interface Imu {
  header: Header;
  orientation: Quaternion;
  /** Length 9; element 0 = -1 means "no orientation estimate". */
  orientation_covariance: Float64Array;
  angular_velocity: Vector3;
  angular_velocity_covariance: Float64Array;
  linear_acceleration: Vector3;
  linear_acceleration_covariance: Float64Array;
}

export interface JointState {
  header: Header;
  name: string[];
  position: Float64Array;
  velocity: Float64Array;
  effort: Float64Array;
}

export interface Odometry {
  header: Header;
  child_frame_id: string;
  pose: PoseWithCovariance;
  twist: TwistWithCovariance;
}

/** ackermann_msgs/msg/AckermannDrive: all float32. */
export interface AckermannDrive {
  steering_angle: number;
  steering_angle_velocity: number;
  speed: number;
  acceleration: number;
  jerk: number;
}

export interface AckermannDriveStamped {
  header: Header;
  drive: AckermannDrive;
}

export interface JointTrajectoryPoint {
  positions: Float64Array;
  velocities: Float64Array;
  accelerations: Float64Array;
  effort: Float64Array;
  time_from_start: Duration;
}

export interface JointTrajectory {
  header: Header;
  joint_names: string[];
  points: JointTrajectoryPoint[];
}

export interface KeyValue {
  key: string;
  value: string;
}

export interface DiagnosticStatus {
  /** One of DiagnosticLevel (a `byte` in the .msg, decoded as a number). */
  level: number;
  name: string;
  message: string;
  hardware_id: string;
  values: KeyValue[];
}

export interface DiagnosticArray {
  header: Header;
  status: DiagnosticStatus[];
}

/** rosgraph_msgs/msg/Clock. */
export interface ClockMsg {
  clock: Time;
}

/** diagnostic_msgs/msg/DiagnosticStatus level constants, as in the .msg. */
export const DiagnosticLevel = { OK: 0, WARN: 1, ERROR: 2, STALE: 3 } as const;
export type DiagnosticLevel = (typeof DiagnosticLevel)[keyof typeof DiagnosticLevel];

/** Every vendored type, keyed by its ROS 2 full name. */
export interface MessageTypeMap {
  'builtin_interfaces/msg/Time': Time;
  'builtin_interfaces/msg/Duration': Duration;
  'std_msgs/msg/Header': Header;
  'std_msgs/msg/Bool': Bool;
  'std_msgs/msg/Float64MultiArray': Float64MultiArray;
  'std_msgs/msg/MultiArrayLayout': MultiArrayLayout;
  'std_msgs/msg/MultiArrayDimension': MultiArrayDimension;
  'sensor_msgs/msg/Image': Image;
  'sensor_msgs/msg/CompressedImage': CompressedImage;
  'sensor_msgs/msg/CameraInfo': CameraInfo;
  'sensor_msgs/msg/RegionOfInterest': RegionOfInterest;
  'sensor_msgs/msg/Imu': Imu;
  'sensor_msgs/msg/JointState': JointState;
  'nav_msgs/msg/Odometry': Odometry;
  'geometry_msgs/msg/Twist': Twist;
  'geometry_msgs/msg/TwistStamped': TwistStamped;
  'geometry_msgs/msg/Vector3': Vector3;
  'geometry_msgs/msg/Quaternion': Quaternion;
  'geometry_msgs/msg/Point': Point;
  'geometry_msgs/msg/Pose': Pose;
  'geometry_msgs/msg/PoseWithCovariance': PoseWithCovariance;
  'geometry_msgs/msg/TwistWithCovariance': TwistWithCovariance;
  'ackermann_msgs/msg/AckermannDrive': AckermannDrive;
  'ackermann_msgs/msg/AckermannDriveStamped': AckermannDriveStamped;
  'trajectory_msgs/msg/JointTrajectory': JointTrajectory;
  'trajectory_msgs/msg/JointTrajectoryPoint': JointTrajectoryPoint;
  'diagnostic_msgs/msg/DiagnosticArray': DiagnosticArray;
  'diagnostic_msgs/msg/DiagnosticStatus': DiagnosticStatus;
  'diagnostic_msgs/msg/KeyValue': KeyValue;
  'rosgraph_msgs/msg/Clock': ClockMsg;
}

export type KnownTypeName = keyof MessageTypeMap;

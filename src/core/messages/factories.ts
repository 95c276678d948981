/**
 * Fully populated default messages: every field present, fixed-size arrays at their ROS length,
 * so a default encodes as-is and compares equal to its own decode. `partial` is merged shallowly.
 */
import type {
  AckermannDrive, AckermannDriveStamped, Bool, CameraInfo, ClockMsg, CompressedImage,
  DiagnosticArray, DiagnosticStatus, Duration, Float64MultiArray, Header, Image, Imu, JointState,
  JointTrajectory, JointTrajectoryPoint, KeyValue, KnownTypeName, MessageTypeMap,
  MultiArrayDimension, MultiArrayLayout, Odometry, Point, Pose, PoseWithCovariance, Quaternion,
  RegionOfInterest, Time, Twist, TwistStamped, TwistWithCovariance, Vector3,
} from './types.js';
import { DiagnosticLevel } from './types.js';

export { timeFromMs, msFromTime, timeFromNs, nsFromTime } from './time.js';

export const makeTime = (p: Partial<Time> = {}): Time => ({ sec: 0, nanosec: 0, ...p });
export const makeDuration = (p: Partial<Duration> = {}): Duration => ({ sec: 0, nanosec: 0, ...p });
export const makeHeader = (p: Partial<Header> = {}): Header => ({ stamp: makeTime(), frame_id: '', ...p });
export const makeBool = (p: Partial<Bool> = {}): Bool => ({ data: false, ...p });

export const makeMultiArrayDimension = (p: Partial<MultiArrayDimension> = {}): MultiArrayDimension => ({
  label: '', size: 0, stride: 0, ...p,
});
export const makeMultiArrayLayout = (p: Partial<MultiArrayLayout> = {}): MultiArrayLayout => ({
  dim: [], data_offset: 0, ...p,
});
export const makeFloat64MultiArray = (p: Partial<Float64MultiArray> = {}): Float64MultiArray => ({
  layout: makeMultiArrayLayout(), data: new Float64Array(0), ...p,
});

export const makeImage = (p: Partial<Image> = {}): Image => ({
  header: makeHeader(), height: 0, width: 0, encoding: '', is_bigendian: 0, step: 0,
  data: new Uint8Array(0), ...p,
});
export const makeCompressedImage = (p: Partial<CompressedImage> = {}): CompressedImage => ({
  header: makeHeader(), format: '', data: new Uint8Array(0), ...p,
});
export const makeRegionOfInterest = (p: Partial<RegionOfInterest> = {}): RegionOfInterest => ({
  x_offset: 0, y_offset: 0, height: 0, width: 0, do_rectify: false, ...p,
});
/** Zeroed K means "uncalibrated" per CameraInfo.msg. */
export const makeCameraInfo = (p: Partial<CameraInfo> = {}): CameraInfo => ({
  header: makeHeader(), height: 0, width: 0, distortion_model: '', d: new Float64Array(0),
  k: new Float64Array(9), r: new Float64Array(9), p: new Float64Array(12), binning_x: 0,
  binning_y: 0, roi: makeRegionOfInterest(), ...p,
});

export const makeVector3 = (p: Partial<Vector3> = {}): Vector3 => ({ x: 0, y: 0, z: 0, ...p });
export const makePoint = (p: Partial<Point> = {}): Point => ({ x: 0, y: 0, z: 0, ...p });
/** Identity rotation: Quaternion.msg declares w default 1. */
export const makeQuaternion = (p: Partial<Quaternion> = {}): Quaternion => ({ x: 0, y: 0, z: 0, w: 1, ...p });
export const makePose = (p: Partial<Pose> = {}): Pose => ({ position: makePoint(), orientation: makeQuaternion(), ...p });
export const makePoseWithCovariance = (p: Partial<PoseWithCovariance> = {}): PoseWithCovariance => ({
  pose: makePose(), covariance: new Float64Array(36), ...p,
});
export const makeTwist = (p: Partial<Twist> = {}): Twist => ({ linear: makeVector3(), angular: makeVector3(), ...p });
export const makeTwistStamped = (p: Partial<TwistStamped> = {}): TwistStamped => ({
  header: makeHeader(), twist: makeTwist(), ...p,
});
export const makeTwistWithCovariance = (p: Partial<TwistWithCovariance> = {}): TwistWithCovariance => ({
  twist: makeTwist(), covariance: new Float64Array(36), ...p,
});

export const makeImu = (p: Partial<Imu> = {}): Imu => ({
  header: makeHeader(), orientation: makeQuaternion(), orientation_covariance: new Float64Array(9),
  angular_velocity: makeVector3(), angular_velocity_covariance: new Float64Array(9),
  linear_acceleration: makeVector3(), linear_acceleration_covariance: new Float64Array(9), ...p,
});
export const makeJointState = (p: Partial<JointState> = {}): JointState => ({
  header: makeHeader(), name: [], position: new Float64Array(0), velocity: new Float64Array(0),
  effort: new Float64Array(0), ...p,
});
export const makeOdometry = (p: Partial<Odometry> = {}): Odometry => ({
  header: makeHeader(), child_frame_id: '', pose: makePoseWithCovariance(),
  twist: makeTwistWithCovariance(), ...p,
});

export const makeAckermannDrive = (p: Partial<AckermannDrive> = {}): AckermannDrive => ({
  steering_angle: 0, steering_angle_velocity: 0, speed: 0, acceleration: 0, jerk: 0, ...p,
});
export const makeAckermannDriveStamped = (p: Partial<AckermannDriveStamped> = {}): AckermannDriveStamped => ({
  header: makeHeader(), drive: makeAckermannDrive(), ...p,
});

export const makeJointTrajectoryPoint = (p: Partial<JointTrajectoryPoint> = {}): JointTrajectoryPoint => ({
  positions: new Float64Array(0), velocities: new Float64Array(0), accelerations: new Float64Array(0),
  effort: new Float64Array(0), time_from_start: makeDuration(), ...p,
});
export const makeJointTrajectory = (p: Partial<JointTrajectory> = {}): JointTrajectory => ({
  header: makeHeader(), joint_names: [], points: [], ...p,
});

export const makeKeyValue = (p: Partial<KeyValue> = {}): KeyValue => ({ key: '', value: '', ...p });
export const makeDiagnosticStatus = (p: Partial<DiagnosticStatus> = {}): DiagnosticStatus => ({
  level: DiagnosticLevel.OK, name: '', message: '', hardware_id: '', values: [], ...p,
});
export const makeDiagnosticArray = (p: Partial<DiagnosticArray> = {}): DiagnosticArray => ({
  header: makeHeader(), status: [], ...p,
});
export const makeClock = (p: Partial<ClockMsg> = {}): ClockMsg => ({ clock: makeTime(), ...p });

/** A default maker for every known type; `makeMessage` picks from it by name. */
export const messageFactories: { readonly [K in KnownTypeName]: () => MessageTypeMap[K] } = {
  'builtin_interfaces/msg/Time': makeTime,
  'builtin_interfaces/msg/Duration': makeDuration,
  'std_msgs/msg/Header': makeHeader,
  'std_msgs/msg/Bool': makeBool,
  'std_msgs/msg/Float64MultiArray': makeFloat64MultiArray,
  'std_msgs/msg/MultiArrayLayout': makeMultiArrayLayout,
  'std_msgs/msg/MultiArrayDimension': makeMultiArrayDimension,
  'sensor_msgs/msg/Image': makeImage,
  'sensor_msgs/msg/CompressedImage': makeCompressedImage,
  'sensor_msgs/msg/CameraInfo': makeCameraInfo,
  'sensor_msgs/msg/RegionOfInterest': makeRegionOfInterest,
  'sensor_msgs/msg/Imu': makeImu,
  'sensor_msgs/msg/JointState': makeJointState,
  'nav_msgs/msg/Odometry': makeOdometry,
  'geometry_msgs/msg/Twist': makeTwist,
  'geometry_msgs/msg/TwistStamped': makeTwistStamped,
  'geometry_msgs/msg/Vector3': makeVector3,
  'geometry_msgs/msg/Quaternion': makeQuaternion,
  'geometry_msgs/msg/Point': makePoint,
  'geometry_msgs/msg/Pose': makePose,
  'geometry_msgs/msg/PoseWithCovariance': makePoseWithCovariance,
  'geometry_msgs/msg/TwistWithCovariance': makeTwistWithCovariance,
  'ackermann_msgs/msg/AckermannDrive': makeAckermannDrive,
  'ackermann_msgs/msg/AckermannDriveStamped': makeAckermannDriveStamped,
  'trajectory_msgs/msg/JointTrajectory': makeJointTrajectory,
  'trajectory_msgs/msg/JointTrajectoryPoint': makeJointTrajectoryPoint,
  'diagnostic_msgs/msg/DiagnosticArray': makeDiagnosticArray,
  'diagnostic_msgs/msg/DiagnosticStatus': makeDiagnosticStatus,
  'diagnostic_msgs/msg/KeyValue': makeKeyValue,
  'rosgraph_msgs/msg/Clock': makeClock,
};

/** Every known type's full name, in MessageTypeMap order. */
export const KNOWN_TYPE_NAMES = Object.keys(messageFactories) as KnownTypeName[];

export function makeMessage<K extends KnownTypeName>(typeName: K): MessageTypeMap[K] {
  return messageFactories[typeName]();
}

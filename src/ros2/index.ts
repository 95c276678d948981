/**
 * pilot on ROS 2 (rclnodejs, loaded only when used): the transport, the lifecycle node, the
 * ZeroMQ ⇄ ROS 2 bridge and the pieces they share.
 */
export {
  asApi,
  loadRclnodejs,
  importRclnodejs,
  rclnodejsLoader,
  ROS2_INSTALL_HINT,
  SUPPORTED_DISTROS,
  CALLBACK_SUCCESS,
  CALLBACK_FAILURE,
  CALLBACK_ERROR,
  ParamType,
  type RclnodejsApi,
  type RclnodejsLoader,
  type NodeApi,
  type LifecycleNodeApi,
  type RosMessageTypeName,
  type RosServiceTypeName,
  type RosMessage,
  type PublisherApi,
} from './rclnodejs-api.js';
export { checkRos2, ros2Problems, missingPackages, packagesForConfig, NODE_PACKAGES, type Ros2CheckOptions } from './preflight.js';
export { parseRosArgs, readParameterSections, resolveParameters, nodeKeyMatches, type ParameterSection, type RosArgs } from './ros-args.js';
export { Ros2Transport, RAW_PUBLISH_TYPES, GLOBAL_TOPICS, type Ros2TransportOptions } from './ros2-transport.js';
export { qosPolicies, rosQos, type RosQosPolicies } from './qos.js';
export { MessageChecker, isRosMessageType, normalizeTypeName } from './message-check.js';
export { RosTimeClock, type RosTimeClockOptions } from './ros-clock.js';
export { PilotNode, readContract, type PilotNodeOptions, type LifecycleStateLabel } from './pilot-node.js';
export { NodeParameters, previewConfig } from './node-parameters.js';
export { STATIC_PARAMS, limitsParam, maxRateParam, type ParamSpec, type ParamKind, type ParamValue } from './parameters.js';
export { TopicBridge, type BridgeSpec, type BridgeTopic, type BridgeRoute } from './bridge.js';
export { loadBridgeConfig, parseBridgeConfig, simulatorBridgeSpec, type BridgeConfig } from '../cli/bridge-config.js';
export { cameraInfoFromCalibration, cameraMountTransforms, quaternionFromRpy, opticalFrame, type TFMessage, type TransformStamped } from './calibration-messages.js';
export { readInterfaces, rosMessageRegistry, ros2DefinitionsDir, type InterfaceSet } from './interfaces.js';
export { startRclnodejs, openRos2Transport, type OpenRos2TransportOptions } from './open.js';

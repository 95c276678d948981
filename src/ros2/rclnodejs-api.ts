/**
 * The native boundary: exactly the part of rclnodejs the ROS 2 layer uses, as types picked from
 * rclnodejs's own published declarations (types/rclnodejs/, see its README). The real module is
 * checked against it at compile time (`asApi`), and the test stand-in implements it
 * (`satisfies RclnodejsApi`), so neither can drift from rclnodejs without a type error.
 *
 * rclnodejs is not a dependency: it builds against a sourced ROS 2 at install time. It is imported
 * only when the ROS 2 transport is selected, and a failed import becomes one clear message.
 */
import type * as rclnodejs from 'rclnodejs';
import { PilotError } from '../util/errors.js';

/** The Node methods the adapter calls (transport, parameters, logging, spinning). */
export type NodeApi = Pick<
  rclnodejs.Node,
  | 'name'
  | 'namespace'
  | 'getLogger'
  | 'createPublisher'
  | 'createSubscription'
  | 'createService'
  | 'destroyPublisher'
  | 'destroySubscription'
  | 'destroyService'
  | 'declareParameter'
  | 'undeclareParameter'
  | 'hasParameter'
  | 'getParameter'
  | 'getParameterOverrides'
  | 'addOnSetParametersCallback'
  | 'spin'
  | 'destroy'
>;

/** … plus the lifecycle state machine of a managed node. */
export type LifecycleNodeApi = NodeApi &
  Pick<
    rclnodejs.lifecycle.LifecycleNode,
    | 'registerOnConfigure'
    | 'registerOnActivate'
    | 'registerOnDeactivate'
    | 'registerOnCleanup'
    | 'registerOnShutdown'
    | 'registerOnError'
    | 'configure'
    | 'activate'
    | 'deactivate'
    | 'cleanup'
    | 'shutdown'
  >;

/** The module-level part: lifecycle of the library, QoS, parameters, node constructors. */
export interface RclnodejsApi {
  readonly init: typeof rclnodejs.init;
  readonly shutdown: typeof rclnodejs.shutdown;
  readonly isShutdown: typeof rclnodejs.isShutdown;
  /** rclnodejs shuts its context down on SIGINT by itself; pilot must publish its stop command first. */
  readonly removeSignalHandlers: typeof rclnodejs.removeSignalHandlers;
  readonly QoS: typeof rclnodejs.QoS;
  readonly Parameter: typeof rclnodejs.Parameter;
  readonly ParameterDescriptor: typeof rclnodejs.ParameterDescriptor;
  readonly FloatingPointRange: typeof rclnodejs.FloatingPointRange;
  readonly IntegerRange: typeof rclnodejs.IntegerRange;
  readonly Node: new (nodeName: string, namespace?: string) => NodeApi;
  readonly lifecycle: { readonly LifecycleNode: new (nodeName: string, namespace?: string) => LifecycleNodeApi };
}

/** Compile-time proof that the published rclnodejs module provides everything in RclnodejsApi. */
export function asApi(module: typeof rclnodejs): RclnodejsApi {
  return module;
}

/** What rclnodejs's message and service type names may be; narrowed at run time by `isRosMessageType`. */
export type RosMessageTypeName = rclnodejs.MessageTypeClassName;
export type RosServiceTypeName = rclnodejs.ServiceTypeClassName;

/** Transition callback results (rclnodejs `lifecycle.CallbackReturnCode`, a const enum in its typings). */
export const CALLBACK_SUCCESS: rclnodejs.lifecycle.CallbackReturnCode = 97;
export const CALLBACK_FAILURE: rclnodejs.lifecycle.CallbackReturnCode = 98;
export const CALLBACK_ERROR: rclnodejs.lifecycle.CallbackReturnCode = 99;

/** rclnodejs `ParameterType` (a const enum in its typings), the values of rcl_interfaces/msg/ParameterType. */
export const ParamType = {
  NOT_SET: 0,
  BOOL: 1,
  INTEGER: 2,
  DOUBLE: 3,
  STRING: 4,
  BYTE_ARRAY: 5,
  BOOL_ARRAY: 6,
  INTEGER_ARRAY: 7,
  DOUBLE_ARRAY: 8,
  STRING_ARRAY: 9,
} as const satisfies Record<string, rclnodejs.ParameterType>;

export const SUPPORTED_DISTROS = ['Humble', 'Jazzy', 'Kilted'] as const;

/** What to do when rclnodejs cannot be loaded. */
export const ROS2_INSTALL_HINT =
  `pilot's ROS 2 transport needs rclnodejs, which builds against a sourced ROS 2 (${SUPPORTED_DISTROS.join(', ')}):\n` +
  '  source /opt/ros/<distro>/setup.bash\n' +
  '  npm install --no-save rclnodejs   # in that same shell, in the pilot folder (npm >= 11: approve its install script)\n' +
  'then run pilot from a shell where ROS 2 is sourced. The ZeroMQ transport needs none of this.';

/**
 * How rclnodejs is obtained. The default is the dynamic import; a test injects the stand-in. The real
 * module must be assignable to RclnodejsApi for `importRclnodejs` to compile.
 */
export type RclnodejsLoader = () => Promise<RclnodejsApi | { readonly default: RclnodejsApi }>;

/** The dynamic import, kept in one place. */
export const importRclnodejs: RclnodejsLoader = () => import('rclnodejs');

/**
 * Loads rclnodejs (the CommonJS module's exports, whichever way Node exposes them to ESM). A missing
 * module, a build made without ROS 2 or an unsourced shell all end up as E_ROS2_UNAVAILABLE with the
 * hint above and the original error's first line.
 */
export async function loadRclnodejs(load: RclnodejsLoader = importRclnodejs): Promise<RclnodejsApi> {
  let module: Awaited<ReturnType<RclnodejsLoader>>;
  try {
    module = await load();
  } catch (err) {
    const first = String((err as Error)?.message ?? err).split('\n')[0];
    const sourced = process.env.ROS_DISTRO ? `ROS_DISTRO=${process.env.ROS_DISTRO} is sourced` : 'no ROS 2 is sourced in this shell (ROS_DISTRO is unset)';
    throw new PilotError('E_ROS2_UNAVAILABLE', `cannot load rclnodejs (${first}); ${sourced}.\n${ROS2_INSTALL_HINT}`);
  }
  return 'default' in module ? module.default : module;
}

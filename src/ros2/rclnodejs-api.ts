/**
 * The native boundary: exactly the part of rclnodejs the ROS 2 layer uses. The message-free part is
 * picked from rclnodejs's own declarations (node_modules/rclnodejs/types, installed with its install
 * scripts off, see package.json `allowScripts`); the methods whose types depend on message types
 * (publishers, subscriptions, services) are declared here in terms of pilot's own generated
 * declarations (`tsd/interfaces.d.ts`), because rclnodejs generates its message typings at install
 * time from whichever packages the sourced ROS 2 has (none with scripts off), and pilot's type-check
 * must not depend on that. The test stand-in implements this (`satisfies RclnodejsApi`).
 *
 * rclnodejs is an optional dependency: it needs a sourced ROS 2 and a native addon built against it.
 * It is imported only when a ROS 2 command runs, and only after `checkRos2` (preflight.ts) found
 * everything it needs, so its loader never gets to rebuild (and delete) its addon.
 */
import type * as rclnodejs from 'rclnodejs';
import { PilotError } from '../core/util/errors.js';
import { checkRos2, NODE_PACKAGES } from './preflight.js';
import type * as ros from './tsd/interfaces.js';

/** Message type names pilot has definitions (and generated typings) for. */
export type RosMessageTypeName = ros.MessageTypeClassName;
export type RosServiceTypeName = ros.ServiceTypeClassName;
/** The message object of a type, as rclnodejs takes and gives it. */
export type RosMessage<K extends RosMessageTypeName> = ros.MessageType<K>;
export type SetBoolRequest = ros.std_srvs.srv.SetBool_Request;
export type SetBoolResponse = ros.std_srvs.srv.SetBool_Response;
export type SetParametersResult = ros.rcl_interfaces.msg.SetParametersResult;
export type ParameterDescriptorMessage = ros.rcl_interfaces.msg.ParameterDescriptor;

/** A publisher as pilot uses it: a checked message object, or its serialized CDR bytes. */
export interface PublisherApi<K extends RosMessageTypeName = RosMessageTypeName> {
  publish(message: RosMessage<K> | Buffer): void;
}

/** A subscription or service: only ever handed back to `destroy…`. */
export type EntityApi = object;

export interface RosEntityOptions {
  readonly qos: rclnodejs.QoS | rclnodejs.QoS.ProfileRef;
}

/** The Node methods whose types depend on message types, in pilot's terms (raw subscriptions only). */
export interface MessageMethods {
  createPublisher<K extends RosMessageTypeName>(typeClass: K, topic: string, options: RosEntityOptions): PublisherApi<K>;
  createSubscription(typeClass: RosMessageTypeName, topic: string, options: RosEntityOptions & { readonly isRaw: true }, callback: (raw: Buffer) => void): EntityApi;
  createService(
    typeClass: 'std_srvs/srv/SetBool',
    serviceName: string,
    callback: (request: SetBoolRequest, response: { send(response: SetBoolResponse): void }) => void,
  ): EntityApi;
  destroyPublisher(publisher: PublisherApi<never>): void;
  destroySubscription(subscription: EntityApi): void;
  destroyService(service: EntityApi): void;
}

/** The message-free Node methods the adapter calls (parameters, logging, spinning), as rclnodejs declares them. */
type NodeMethodName =
  | 'name'
  | 'namespace'
  | 'getLogger'
  | 'declareParameter'
  | 'undeclareParameter'
  | 'hasParameter'
  | 'getParameter'
  | 'getParameterOverrides'
  | 'setParameter'
  | 'addOnSetParametersCallback'
  | 'spin'
  | 'destroy';

export type NodeApi = Pick<rclnodejs.Node, NodeMethodName> & MessageMethods;

type LifecycleMethodName =
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
  | 'shutdown';

/** … plus the lifecycle state machine of a managed node. */
export type LifecycleNodeApi = NodeApi & Pick<rclnodejs.lifecycle.LifecycleNode, LifecycleMethodName>;

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

/**
 * The real module as RclnodejsApi. Compile-time proof for everything but the message-typed methods:
 * the module-level members and the message-free node methods come from rclnodejs's declarations. The
 * message-typed methods cannot be checked against typings that depend on what rclnodejs generated;
 * the live suite (test/ros2/live) exercises them against a real ROS 2.
 */
export function asApi(module: typeof rclnodejs): RclnodejsApi {
  const moduleLevel: Omit<RclnodejsApi, 'Node' | 'lifecycle'> = module;
  const node: new (name: string, namespace?: string) => Pick<rclnodejs.Node, NodeMethodName> = module.Node;
  const lifecycleNode: new (name: string, namespace?: string) => Pick<rclnodejs.lifecycle.LifecycleNode, NodeMethodName | LifecycleMethodName> = module.lifecycle.LifecycleNode;
  void [moduleLevel, node, lifecycleNode];
  return module as unknown as RclnodejsApi;
}

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
  `pilot's ROS 2 commands need a sourced ROS 2 (${SUPPORTED_DISTROS.join(', ')}) and rclnodejs (an optional dependency, installed by \`npm install\` with its install script off) with its native addon:\n` +
  '  source /opt/ros/<distro>/setup.bash\n' +
  '  npm_config_yes=true npm explore rclnodejs -- npm run install   # in that shell: its prebuilt binary (Ubuntu) or a build from source\n' +
  'then run pilot from a shell where ROS 2 is sourced (README "Running on a robot (ROS 2)"). The ZeroMQ transport needs none of this.';

/**
 * How rclnodejs is obtained. The default is the checked dynamic import; a test injects the stand-in.
 */
export type RclnodejsLoader = () => Promise<RclnodejsApi | { readonly default: RclnodejsApi }>;

/** The real rclnodejs, imported only after `checkRos2` found a sourced ROS 2 with `packages` and a loadable addon. */
export function rclnodejsLoader(packages: readonly string[] = NODE_PACKAGES): RclnodejsLoader {
  return async () => {
    checkRos2({ packages });
    const module = (await import('rclnodejs')) as typeof rclnodejs | { readonly default: typeof rclnodejs };
    return asApi('default' in module ? module.default : module);
  };
}

/** The checked import for a lifecycle node's packages. */
export const importRclnodejs: RclnodejsLoader = rclnodejsLoader();

/**
 * Loads rclnodejs (the module's exports, whichever way Node exposes them to ESM). The preflight's
 * E_ROS2_UNAVAILABLE passes through; any other failure (a broken install, an addon built for another
 * ROS 2) becomes E_ROS2_UNAVAILABLE with the hint above and the original error's first line.
 */
export async function loadRclnodejs(load: RclnodejsLoader = importRclnodejs): Promise<RclnodejsApi> {
  let module: Awaited<ReturnType<RclnodejsLoader>>;
  try {
    module = await load();
  } catch (err) {
    if (err instanceof PilotError && err.code === 'E_ROS2_UNAVAILABLE') throw err;
    const first = String((err as Error)?.message ?? err).split('\n')[0];
    const sourced = process.env.ROS_DISTRO ? `ROS_DISTRO=${process.env.ROS_DISTRO} is sourced` : 'no ROS 2 is sourced in this shell (ROS_DISTRO is unset)';
    throw new PilotError('E_ROS2_UNAVAILABLE', `cannot load rclnodejs (${first}); ${sourced}.\n${ROS2_INSTALL_HINT}`);
  }
  return 'default' in module ? module.default : module;
}

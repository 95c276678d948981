/** Starting rclnodejs for a command: load it (clear message when missing), init, keep our stop on SIGINT. */
import { BASE_PACKAGES, packageOf } from './preflight.js';
import { loadRclnodejs, rclnodejsLoader, type RclnodejsApi, type RclnodejsLoader } from './rclnodejs-api.js';
import { parseRosArgs } from './ros-args.js';
import { Ros2Transport, type Ros2TransportOptions } from './ros2-transport.js';

/**
 * Loads and initialises rclnodejs. rcl reads the ROS arguments (`--ros-args -r …`) from `argv`, less
 * the parameter ones (`-p`, `--params-file`): rclnodejs 2.2.0 cannot take integer arrays from them, and
 * pilot's node applies them itself (ros-args.ts). rclnodejs's own SIGINT handler is removed: it would
 * shut the context down before pilot has published its stop command.
 */
export async function startRclnodejs(load?: RclnodejsLoader, argv: readonly string[] = process.argv): Promise<RclnodejsApi> {
  const api = await loadRclnodejs(load);
  await api.init(undefined, parseRosArgs(argv).rclArgs);
  api.removeSignalHandlers();
  return api;
}

/** Resolves at the first SIGINT or SIGTERM (and stops listening). */
export function untilSignal(): { promise: Promise<string>; dispose: () => void } {
  let dispose = (): void => {};
  const promise = new Promise<string>((resolve) => {
    const onInt = (): void => resolve('SIGINT');
    const onTerm = (): void => resolve('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
    dispose = () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    };
  });
  return { promise, dispose };
}

export interface OpenRos2TransportOptions extends Omit<Ros2TransportOptions, 'onClose'> {
  readonly nodeName?: string;
  readonly namespace?: string;
  /** How rclnodejs is loaded (tests inject the stand-in); default the checked import, for `types`' packages. */
  readonly load?: RclnodejsLoader;
  /** The message types the transport will carry (their packages are checked before rclnodejs is loaded). */
  readonly types?: readonly string[];
  readonly argv?: readonly string[];
}

/**
 * The ROS 2 transport on a plain node of its own, spinning (what `createTransport` cannot do
 * synchronously): close() destroys the node and shuts rclnodejs down.
 */
export async function openRos2Transport(options: OpenRos2TransportOptions = {}): Promise<Ros2Transport> {
  const { nodeName, namespace, load, argv, types, ...transportOptions } = options;
  const api = await startRclnodejs(load ?? rclnodejsLoader([...BASE_PACKAGES, ...(types ?? []).map(packageOf)]), argv);
  const node = new api.Node(nodeName ?? 'pilot_transport', namespace ?? '');
  const transport = new Ros2Transport(api, node, {
    ...transportOptions,
    onClose: () => {
      node.destroy();
      if (!api.isShutdown()) api.shutdown();
    },
  });
  node.spin();
  return transport;
}

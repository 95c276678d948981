/**
 * `pilot node`: pilot as a managed ROS 2 node. Everything after `--ros-args` is for ROS: rcl reads the
 * remappings and the rest (`-r __ns:=/robot1`); pilot applies `-p loop.rate_hz:=20.0` and
 * `--params-file launch/pilot.params.yaml` itself (see ros-args.ts). Before rclnodejs is loaded, the
 * sourced ROS 2 is checked for every message package the command line's config needs (preflight.ts).
 */
import { CliError, parse } from './args.js';
import { previewConfig } from '../ros2/node-parameters.js';
import { startRclnodejs, untilSignal } from '../ros2/open.js';
import { PilotNode } from '../ros2/pilot-node.js';
import { missingPackages, NODE_PACKAGES, packagesForConfig } from '../ros2/preflight.js';
import { rclnodejsLoader, type RclnodejsLoader } from '../ros2/rclnodejs-api.js';
import { fullyQualifiedName, parseRosArgs, readParameterSections, resolveParameters, type ParameterSection } from '../ros2/ros-args.js';

export const NODE_USAGE = `pilot node [--config <yaml>] [--autostart true|false] [--name pilot] [--namespace <ns>] [--ros-args ...]
              managed ROS 2 node (rclnodejs); --autostart configures and activates it at start`;

/** Splits pilot's own arguments from the ROS ones (`--ros-args ... [--]`). */
export function splitRosArgs(args: readonly string[]): { own: string[]; ros: string[] } {
  const own: string[] = [];
  const ros: string[] = [];
  let inRos = false;
  for (const a of args) {
    if (a === '--ros-args') {
      inRos = true;
      ros.push(a);
    } else if (inRos && a === '--') {
      inRos = false;
      ros.push(a);
    } else (inRos ? ros : own).push(a);
  }
  return { own, ros };
}

export async function nodeCommand(args: readonly string[], load?: RclnodejsLoader): Promise<number> {
  const { own, ros } = splitRosArgs(args);
  const { values } = parse(own, {
    config: { type: 'string', short: 'c' },
    autostart: { type: 'string' },
    name: { type: 'string' },
    namespace: { type: 'string' },
  });
  const autostart = values.autostart ?? 'false';
  if (autostart !== 'true' && autostart !== 'false') throw new CliError(`--autostart must be true or false, got '${autostart}'`);
  const rosArgs = parseRosArgs(ros);
  const sections = readParameterSections(rosArgs);
  const fqn = fullyQualifiedName(rosArgs.namespace ?? values.namespace ?? '', rosArgs.nodeName ?? values.name ?? 'pilot');
  const api = await startRclnodejs(load ?? rclnodejsLoader(startPackages(sections, fqn, values.config)), ['pilot', ...rosArgs.rclArgs]);
  const pilotNode = new PilotNode({
    api,
    sections,
    ...(values.name ? { nodeName: values.name } : {}),
    ...(values.namespace ? { namespace: values.namespace } : {}),
    ...(values.config ? { configFile: values.config } : {}),
    ...(load ? {} : { missingPackages: (packages: readonly string[]) => missingPackages(packages) }),
  });
  const signal = untilSignal();
  try {
    pilotNode.node.spin();
    if (autostart === 'true') {
      pilotNode.node.configure();
      if (pilotNode.state === 'inactive') pilotNode.node.activate();
      if (pilotNode.state !== 'active') console.error('pilot node: autostart did not reach active (see the log above); waiting for lifecycle requests');
    }
    const why = await Promise.race([signal.promise, pilotNode.whenFinalized().then(() => 'shutdown transition')]);
    console.error(`pilot node: ${why}: stopping`);
    await pilotNode.destroy();
    return 0;
  } finally {
    signal.dispose();
    if (!api.isShutdown()) api.shutdown();
  }
}

/** The message packages the node's config, as the command line gives it, will need (NODE_PACKAGES when it does not validate yet). */
export function startPackages(sections: readonly ParameterSection[], fqn: string, configFile: string | undefined): readonly string[] {
  const overrides = new Map([...resolveParameters(sections, fqn).values].map(([name, { value }]) => [name, value]));
  const config = previewConfig(overrides, configFile ? { configFile } : {});
  return config ? packagesForConfig(config, overrides.get('use_sim_time') === true) : NODE_PACKAGES;
}

/**
 * `pilot node`: pilot as a managed ROS 2 node. Everything after `--ros-args` is for ROS: rcl reads the
 * remappings and the rest (`-r __ns:=/robot1`); pilot applies `-p loop.rate_hz:=20.0` and
 * `--params-file launch/pilot.params.yaml` itself (see ros-args.ts). Before rclnodejs is loaded, the
 * sourced ROS 2 is checked for every message package the command line's config needs (preflight.ts).
 */
import { defineCommand, parseCommand, type Parsed } from './command.js';
import { choice, text } from './options.js';
import { previewConfig } from '../ros2/node-parameters.js';
import { startRclnodejs, untilSignal } from '../ros2/open.js';
import { PilotNode } from '../ros2/pilot-node.js';
import { missingPackages, NODE_PACKAGES, packagesForConfig } from '../ros2/preflight.js';
import { rclnodejsLoader, type RclnodejsLoader } from '../ros2/rclnodejs-api.js';
import { fullyQualifiedName, parseRosArgs, readParameterSections, resolveParameters, type ParameterSection } from '../ros2/ros-args.js';

const OPTIONS = {
  config: text('-c, --config <yaml>', 'the runtime config the node starts from (its parameters override it)'),
  autostart: choice('--autostart <bool>', 'configure and activate the node at start', ['true', 'false'], {
    default: 'false',
    message: (flag, raw) => `${flag} must be true or false, got '${raw}'`,
  }),
  name: text('--name <name>', 'the node name', { defaultLabel: 'pilot' }),
  namespace: text('--namespace <ns>', 'the node namespace'),
} as const;

export const NODE = defineCommand({
  name: 'node',
  summary: 'pilot as a managed ROS 2 node (rclnodejs); everything after --ros-args goes to ROS',
  options: OPTIONS,
  examples: ['pilot node --config launch/drive.yaml --autostart true --ros-args -r __ns:=/robot1 -p loop.rate_hz:=20.0'],
  ownArgs: (args) => splitRosArgs(args).own,
  run: (input) => runNode(input),
});

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
  return runNode(await parseCommand(NODE, args), load);
}

async function runNode({ values, args, out }: Parsed<typeof OPTIONS>, load?: RclnodejsLoader): Promise<number> {
  const { ros } = splitRosArgs(args);
  const autostart = values.autostart;
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
      if (pilotNode.state !== 'active') out.warn('pilot node: autostart did not reach active (see the log above); waiting for lifecycle requests');
    }
    const why = await Promise.race([signal.promise, pilotNode.whenFinalized().then(() => 'shutdown transition')]);
    out.log(`pilot node: ${why}: stopping`);
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

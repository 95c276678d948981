/**
 * `pilot bridge`: relays topics between ZeroMQ and ROS 2 so the simulator (`pilot sim`) drives a
 * ROS 2 graph. Without --config or topic lists it bridges the simulator's own topics.
 */
import { loadSimConfig } from '../../sim/index.js';
import { CliError, parse, positiveNumber } from './args.js';
import { ZeroMqTransport } from '../transport/zeromq.js';
import { TopicBridge, type BridgeSpec } from '../ros2/bridge.js';
import { bridgeSpec, loadBridgeConfig, parseBridgeConfig, parseTopicList, simulatorBridgeSpec } from './bridge-config.js';
import type { RclnodejsLoader } from '../ros2/rclnodejs-api.js';
import { openRos2Transport, untilSignal } from '../ros2/open.js';
import { splitRosArgs } from './node-command.js';
import { parseRosArgs } from '../ros2/ros-args.js';

export const BRIDGE_USAGE = `pilot bridge [--config <bridge.yaml>] [--to-ros|--topics <topic[=type]>,...] [--from-ros <topic[=type]>,...]
              [--sim-config <yaml>] [--ipc-dir <dir>] [--duration <s>] [--ros-args ...]
              relays ZeroMQ ⇄ ROS 2 (default: the simulator's camera, imu, odom, /clock → ROS 2; its command ← ROS 2)`;

export async function bridgeCommand(args: readonly string[], load?: RclnodejsLoader): Promise<number> {
  const { own } = splitRosArgs(args);
  const { values } = parse(own, {
    config: { type: 'string', short: 'c' },
    'to-ros': { type: 'string' },
    topics: { type: 'string' },
    'from-ros': { type: 'string' },
    'sim-config': { type: 'string' },
    'ipc-dir': { type: 'string' },
    duration: { type: 'string' },
  });
  if (values.topics && values['to-ros']) throw new CliError('--topics is another name for --to-ros: give one of them');
  const config = values.config ? loadBridgeConfig(values.config) : parseBridgeConfig({}, 'defaults');
  const sim = simulatorBridgeSpec(loadSimConfig(values['sim-config']));
  const known = [...sim.toRos, ...sim.fromRos, ...config.to_ros, ...config.from_ros];
  const toRosList = values['to-ros'] ?? values.topics;
  let spec: BridgeSpec;
  if (toRosList !== undefined || values['from-ros'] !== undefined) {
    spec = {
      toRos: toRosList ? parseTopicList(toRosList, '--to-ros', known) : [],
      fromRos: values['from-ros'] ? parseTopicList(values['from-ros'], '--from-ros', known) : [],
    };
  } else if (values.config) {
    spec = bridgeSpec(config);
  } else {
    spec = sim;
  }
  if (spec.toRos.length + spec.fromRos.length === 0) throw new CliError('nothing to bridge: give --to-ros/--from-ros or a --config with to_ros/from_ros');
  const durationS = values.duration ? positiveNumber(values.duration, '--duration', 0) : undefined;
  const rosArgs = parseRosArgs(args);
  for (const a of [...rosArgs.paramsFiles.map((f) => `--params-file ${f}`), ...rosArgs.params.map((p) => p.text)]) {
    console.error(`pilot bridge: ${a}: the bridge's node has no parameters; ignored`);
  }

  const ros = await openRos2Transport({
    nodeName: config.ros2.node_name,
    namespace: config.ros2.namespace,
    remap: config.ros2.remap,
    namespaced: config.ros2.namespaced_topics,
    types: [...spec.toRos, ...spec.fromRos].map((t) => t.type),
    ...(load ? { load } : {}),
  });
  const ipcDir = values['ipc-dir'] ?? config.zeromq.ipc_dir;
  const zmq = new ZeroMqTransport({ ...(ipcDir ? { ipcDir } : {}), endpoints: config.zeromq.endpoints });
  const signal = untilSignal();
  let bridge: TopicBridge | undefined;
  try {
    bridge = new TopicBridge(zmq, ros, spec);
    for (const r of bridge.routes) {
      console.error(`pilot bridge: ${r.direction === 'to_ros' ? 'ZeroMQ → ROS 2' : 'ROS 2 → ZeroMQ'}  ${r.topic}  ${r.type} (${r.qos}; ROS name ${ros.rosTopicName(r.topic)})`);
    }
    const timer = durationS ? new Promise<string>((resolve) => setTimeout(() => resolve('duration'), durationS * 1000).unref()) : new Promise<string>(() => {});
    const why = await Promise.race([signal.promise, timer]);
    console.error(`pilot bridge: ${why}: relayed ${bridge.routes.map((r) => `${r.topic} ${r.relayed}`).join(', ')}`);
    return 0;
  } finally {
    signal.dispose();
    bridge?.close();
    await zmq.close();
    await ros.close();
  }
}

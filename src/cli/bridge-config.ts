/**
 * What `pilot bridge` relays: a YAML file (launch/bridge.yaml), `--to-ros/--from-ros` lists, or by
 * default the simulator's own topics (from its settings, so a custom --sim-config is followed).
 */
import { z } from 'zod';
import type { SimConfig } from '../../sim/index.js';
import { describeIssue } from '../core/config/load.js';
import { readYamlFile } from '../core/calibration/camera.js';
import { PilotError } from '../core/util/errors.js';
import type { BridgeSpec, BridgeTopic } from '../ros2/bridge.js';

const TopicEntry = z
  .object({
    topic: z.string().startsWith('/'),
    type: z.string().regex(/^[a-z0-9_]+\/msg\/[A-Za-z0-9]+$/, 'expected a ROS 2 type like sensor_msgs/msg/Image'),
    qos: z.enum(['sensor', 'reliable']).default('reliable'),
  })
  .strict();

export const BridgeConfigSchema = z
  .object({
    to_ros: z.array(TopicEntry).default([]),
    from_ros: z.array(TopicEntry).default([]),
    zeromq: z
      .object({ ipc_dir: z.string().optional(), endpoints: z.record(z.string(), z.string()).default({}) })
      .strict()
      .default({ endpoints: {} }),
    ros2: z
      .object({
        node_name: z.string().min(1).default('pilot_bridge'),
        namespace: z.string().default(''),
        remap: z.record(z.string().startsWith('/'), z.string().min(1)).default({}),
        namespaced_topics: z.boolean().default(true),
      })
      .strict()
      .default({ node_name: 'pilot_bridge', namespace: '', remap: {}, namespaced_topics: true }),
  })
  .strict();

export type BridgeConfig = z.infer<typeof BridgeConfigSchema>;

export function parseBridgeConfig(raw: unknown, source: string): BridgeConfig {
  const parsed = BridgeConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) throw new PilotError('E_CONFIG', describeIssue(source, parsed.error.issues, raw));
  return parsed.data;
}

export function loadBridgeConfig(path: string): BridgeConfig {
  return parseBridgeConfig(readYamlFile(path, 'bridge config'), path);
}

export function bridgeSpec(config: BridgeConfig): BridgeSpec {
  return { toRos: config.to_ros, fromRos: config.from_ros };
}

const COMMAND_TYPES: Record<SimConfig['command']['type'], string> = {
  ackermann: 'ackermann_msgs/msg/AckermannDriveStamped',
  twist: 'geometry_msgs/msg/Twist',
};

/** The simulator's topics: its sensors and clock into ROS 2, the command it listens for back out. */
export function simulatorBridgeSpec(sim: SimConfig): BridgeSpec {
  return {
    toRos: [
      { topic: sim.camera.topic, type: 'sensor_msgs/msg/Image', qos: 'sensor' },
      { topic: sim.sensors.imu_topic, type: 'sensor_msgs/msg/Imu', qos: 'sensor' },
      { topic: sim.sensors.odom_topic, type: 'nav_msgs/msg/Odometry', qos: 'sensor' },
      { topic: sim.clock_topic, type: 'rosgraph_msgs/msg/Clock', qos: 'reliable' },
    ],
    fromRos: [{ topic: sim.command.topic, type: COMMAND_TYPES[sim.command.type], qos: 'reliable' }],
  };
}

/**
 * `--to-ros`/`--from-ros` items: `topic` or `topic=type`, comma separated. A topic without a type
 * takes the type (and QoS) the simulator uses for it.
 */
export function parseTopicList(list: string, flag: string, known: readonly BridgeTopic[]): BridgeTopic[] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((item) => {
      const [topic, type] = item.split('=', 2).map((s) => s.trim()) as [string, string | undefined];
      if (!topic.startsWith('/')) throw new PilotError('E_CONFIG', `${flag}: '${topic}' is not an absolute topic name`);
      const k = known.find((t) => t.topic === topic);
      if (type) {
        if (!/^[a-z0-9_]+\/msg\/[A-Za-z0-9]+$/.test(type)) throw new PilotError('E_CONFIG', `${flag}: '${type}' is not a ROS 2 type like sensor_msgs/msg/Image`);
        return { topic, type, qos: k?.type === type ? k.qos : 'reliable' };
      }
      if (!k) throw new PilotError('E_CONFIG', `${flag}: no type for ${topic}; write it as ${topic}=<pkg>/msg/<Type>`);
      return k;
    });
}

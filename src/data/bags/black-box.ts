/**
 * "Black box" recording of a running pilot: its inputs (camera, state topics, e-stop), its outputs
 * (command, diagnostics) and a per-tick timeline topic, from the same transport the runtime uses.
 * The runtime attaches it (or `pilot bag record` does with these topics); nothing here reaches into
 * the runtime.
 */
import type { PilotConfig } from '../../core/config/schema.js';
import { TICK_TIMELINE_TYPE } from '../../core/messages/tick-timeline.js';
import { RELIABLE_QOS, SENSOR_QOS } from '../../transport/transport.js';
import type { Transport } from '../../transport/transport.js';
import type { BagWriter } from './bag-writer.js';
import { Recorder, type RecordTopic, type RecorderOptions } from './recorder.js';

export { TICK_TIMELINE_TYPE };

/** Its `ros2msg` schema text (no dependencies beyond builtin_interfaces/Time). */
export const TICK_TIMELINE_SCHEMA = `# One control tick of the pilot runtime: when it was scheduled and how long each stage took.
builtin_interfaces/Time stamp
float64 scheduled_ms
float64 input_age_ms
float64 preprocess_ms
float64 inference_ms
float64 postprocess_ms
float64 publish_ms
float64 tick_latency_ms
# Why the safety layer chose the command (ok, stale_camera, deadline_miss, estop, ...).
string reason

================================================================================
MSG: builtin_interfaces/Time
int32 sec
uint32 nanosec
`;

export const DEFAULT_TIMELINE_TOPIC = '/pilot/timeline';

const COMMAND_MESSAGE_TYPES: Record<PilotConfig['outputs']['command']['type'], string> = {
  ackermann: 'ackermann_msgs/msg/AckermannDriveStamped',
  twist: 'geometry_msgs/msg/Twist',
  joint_trajectory: 'trajectory_msgs/msg/JointTrajectory',
  float64_multi_array: 'std_msgs/msg/Float64MultiArray',
};

export interface BlackBoxTopicOptions {
  /** Where the runtime publishes its TickTimeline (default /pilot/timeline); null to leave it out. */
  readonly timelineTopic?: string | null;
}

/** The topics a pilot configured by `config` reads and writes, with the types and QoS it uses. */
export function blackBoxTopics(config: PilotConfig, options: BlackBoxTopicOptions = {}): RecordTopic[] {
  const topics: RecordTopic[] = [];
  const add = (t: RecordTopic): void => {
    if (!topics.some((x) => x.topic === t.topic)) topics.push(t);
  };
  const camera = config.inputs.camera;
  add({ topic: camera.topic, type: camera.type === 'image' ? 'sensor_msgs/msg/Image' : 'sensor_msgs/msg/CompressedImage', qos: SENSOR_QOS });
  for (const s of config.inputs.state) add({ topic: s.topic, type: s.type, qos: SENSOR_QOS });
  add({ topic: config.safety.estop_topic, type: 'std_msgs/msg/Bool', qos: RELIABLE_QOS });
  add({ topic: config.outputs.command.topic, type: COMMAND_MESSAGE_TYPES[config.outputs.command.type], qos: RELIABLE_QOS });
  add({ topic: config.outputs.diagnostics.topic, type: 'diagnostic_msgs/msg/DiagnosticArray', qos: RELIABLE_QOS });
  const timeline = options.timelineTopic === undefined ? config.outputs.timeline.topic : options.timelineTopic;
  if (timeline !== null) add({ topic: timeline, type: TICK_TIMELINE_TYPE, qos: RELIABLE_QOS, schemaText: TICK_TIMELINE_SCHEMA });
  return topics;
}

export interface BlackBoxOptions extends BlackBoxTopicOptions, Omit<RecorderOptions, 'topics' | 'transport' | 'writer'> {
  readonly transport: Transport;
  readonly writer: BagWriter;
  readonly config: PilotConfig;
}

/** Starts recording everything a pilot with `config` reads and writes. Stop it with `recorder.stop()`. */
export function recordBlackBox(options: BlackBoxOptions): Recorder {
  const { config, timelineTopic, ...rest } = options;
  return Recorder.start({ ...rest, topics: blackBoxTopics(config, timelineTopic === undefined ? {} : { timelineTopic }) });
}

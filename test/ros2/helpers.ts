/** A PilotNode on the rclnodejs stand-in with a manual clock: inject camera frames, step time, read commands. */
import type * as rclnodejs from 'rclnodejs';
import { ManualClock } from '../../src/runtime/loop/clock.js';
import { makeHeader, makeImage } from '../../src/core/messages/factories.js';
import type { AckermannDriveStamped, Image } from '../../src/core/messages/types.js';
import type { Policy } from '../../src/runtime/policy/policy-session.js';
import type { PilotConfig } from '../../src/core/config/schema.js';
import { PilotNode } from '../../src/ros2/pilot-node.js';
import type { SetParametersResult } from '../../src/ros2/rclnodejs-api.js';
import { parseRosArgs, readParameterSections, type ParameterSection } from '../../src/ros2/ros-args.js';
import { createStandIn, StandInLifecycleNode, StandInQoS, type StandInGraph } from './stand-in/rclnodejs-stand-in.js';

export const PERIOD_MS = 10;

/** Overrides every node test starts from: the bundled test model, CPU, 100 Hz. */
export const BASE_OVERRIDES: Readonly<Record<string, unknown>> = {
  'model.path': 'models/pilotnet-test.onnx',
  'model.providers': ['cpu'],
  'model.warmup_runs': 1,
  'model.require_eval': false,
  // An integer, as a params file saying `rate_hz: 100` gives it: the node takes it as 100.0.
  'loop.rate_hz': 100,
  'loop.deadline_ms': 8.0,
  'safety.estop_topic': '/pilot/estop',
};

export function cameraFrame(width = 320, height = 240, value = 90): Image {
  return makeImage({ header: makeHeader({ frame_id: 'camera_optical_frame' }), height, width, encoding: 'rgb8', step: width * 3, data: new Uint8Array(width * height * 3).fill(value) });
}

export interface NodeRig {
  readonly graph: StandInGraph;
  readonly pilotNode: PilotNode;
  readonly node: StandInLifecycleNode;
  readonly clock: ManualClock;
  readonly logs: string[];
  /** Commands published on /cmd/ackermann so far (copies). */
  commands(): AckermannDriveStamped[];
  /** A camera frame in (unless null), then one period of time, then wait for the tick. */
  step(frame?: Image | null): Promise<void>;
  /** A parameter change as `ros2 param set` makes it. */
  set(name: string, type: rclnodejs.ParameterType, value: unknown): SetParametersResult;
  close(): Promise<void>;
}

export interface NodeRigOptions {
  /** Parameters for the node (under `/**`), as pilot's node reads them from the command line. */
  readonly overrides?: Readonly<Record<string, unknown>>;
  /** ROS arguments (`--ros-args --params-file … -p … -r __ns:=…`), split as `pilot node` splits them; they win over `overrides`. */
  readonly rosArgs?: readonly string[];
  /** Start from BASE_OVERRIDES (default true). */
  readonly baseOverrides?: boolean;
  readonly configFile?: string;
  readonly namespace?: string;
  readonly createPolicy?: (model: PilotConfig['model'], log: (line: string) => void) => Promise<Policy>;
  /** Message packages the sourced "ROS 2" lacks: configure's package check and rclnodejs's type support both miss them. */
  readonly missingPackages?: readonly string[];
  /** Packages only rclnodejs has no type support for (installed, but not generated): entity creation fails. */
  readonly typeSupportMissing?: readonly string[];
}

export function nodeRig(options: NodeRigOptions = {}): NodeRig {
  const { api, graph } = createStandIn({ missingPackages: [...(options.missingPackages ?? []), ...(options.typeSupportMissing ?? [])] });
  const rosArgs = parseRosArgs(options.rosArgs ?? []);
  graph.init(['pilot', ...rosArgs.rclArgs]);
  const overrides = { ...(options.baseOverrides === false ? {} : BASE_OVERRIDES), ...options.overrides };
  const sections: ParameterSection[] = [{ source: 'the test', key: '/**', values: new Map(Object.entries(overrides)) }, ...readParameterSections(rosArgs)];
  const clock = new ManualClock({ epochMs: 1_700_000_000_000 });
  const logs: string[] = [];
  const pilotNode = new PilotNode({
    api,
    wallClock: clock,
    log: (level, line) => logs.push(`${level}: ${line}`),
    sections,
    missingPackages: (packages) => packages.filter((p) => options.missingPackages?.includes(p)),
    ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
    ...(options.configFile !== undefined ? { configFile: options.configFile } : {}),
    ...(options.createPolicy ? { createPolicy: options.createPolicy } : {}),
  });
  const node = pilotNode.node as StandInLifecycleNode;
  // The node's namespace (rcl's `-r __ns:=` remap wins over the option).
  const ns = node.namespace() === '/' ? '' : node.namespace();
  const cameraTopic = `${ns}/camera/image_raw`;
  let target = -PERIOD_MS;
  return {
    graph,
    pilotNode,
    node,
    clock,
    logs,
    commands: () => graph.messages<AckermannDriveStamped>(`${ns}/cmd/ackermann`),
    async step(frame = cameraFrame()) {
      if (frame) graph.inject(cameraTopic, 'sensor_msgs/msg/Image', frame, new StandInQoS(1, 1, 2, 2));
      target = Math.max(target + PERIOD_MS, Math.ceil(clock.now() / PERIOD_MS) * PERIOD_MS);
      clock.advanceTo(target);
      await pilotNode.pilot?.loop.whenIdle();
      await pilotNode.settled();
    },
    set(name, type, value) {
      return node.setParameters([new api.Parameter(name, type, value)])[0]!;
    },
    async close() {
      await pilotNode.destroy();
    },
  };
}

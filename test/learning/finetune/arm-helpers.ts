/**
 * Tiny arm demonstration bags for the arm training tests, for the arm in calibration/arm.yaml. Each
 * frame shows a bright vertical bar; the joint state is random within the limits. The commanded
 * shoulder_pan depends only on the bar's column (the image), shoulder_lift only on the elbow's
 * position (the state); the other joints hold their home positions.
 */
import { writeFileSync } from 'node:fs';
import { createBagWriter } from '../../../src/data/bags/node-io.js';
import { ARM_CAMERA } from '../../../src/learning/finetune/arm-setup.js';
import { loadArmDescription } from '../../../src/core/kinematics/index.js';
import { timeFromNs } from '../../../src/core/messages/time.js';
import type { JointState, JointTrajectory } from '../../../src/core/messages/types.js';
import { exportBackboneOnnx, geometryHead, initTrainingBackend, Network, type BackboneArchitecture } from '../../../src/learning/train/index.js';
import { RELIABLE_QOS } from '../../../src/transport/transport.js';
import { mulberry32 } from '../../../src/core/util/prng.js';
import { barFrame, T0 } from './helpers.js';

export const ARM_YAML = 'calibration/arm.yaml';
export const ARM = loadArmDescription(ARM_YAML);

/** 24×32 input, two convolutions: small enough to train in seconds. */
export const TINY_ARM_BACKBONE: BackboneArchitecture = {
  input: { channels: 3, height: 24, width: 32 },
  convs: [
    { filters: 6, kernel: 3, stride: 2 },
    { filters: 8, kernel: 3, stride: 2 },
  ],
  dense: [16],
  activation: 'elu',
};

/** Commanded shoulder_pan (rad) for a bar at column fraction u. */
export const panFor = (u: number): number => -1.5 + 3 * u;
/** Commanded shoulder_lift (rad) for an elbow position (rad, −0.2..2.6). */
export const liftFor = (elbow: number): number => -1.2 + (2.4 * (elbow + 0.2)) / 2.8;

export interface ArmDemoOptions {
  readonly frames?: number;
  readonly seed?: number;
  /** Drop this joint from the JointState messages of every `dropEvery`-th frame (default every frame). */
  readonly dropJoint?: string;
  readonly dropEvery?: number;
}

/** A 20 Hz episode: frame i at 50·i ms, its joint state 2 ms before, its command (JointTrajectory) 1 ms before. */
export async function armDemoBag(dir: string, o: ArmDemoOptions = {}): Promise<string> {
  const writer = await createBagWriter(dir);
  writer.addTopic('/arm_camera/image_raw', 'sensor_msgs/msg/Image');
  writer.addTopic('/joint_states', 'sensor_msgs/msg/JointState');
  writer.addTopic('/arm_controller/joint_trajectory', 'trajectory_msgs/msg/JointTrajectory', { qos: RELIABLE_QOS });
  const random = mulberry32(o.seed ?? 1);
  const names = ARM.jointNames;
  for (let i = 0; i < (o.frames ?? 80); i++) {
    const t = T0 + BigInt(i) * 50_000_000n;
    const u = random();
    const q = ARM.limits.map((l) => l.lower + random() * (l.upper - l.lower));
    // Names in reverse order: the dataset reads them by name.
    const drop = o.dropJoint !== undefined && i % (o.dropEvery ?? 1) === 0;
    const order = names.map((_, j) => names.length - 1 - j).filter((j) => !(drop && names[j] === o.dropJoint));
    const js: JointState = {
      header: { stamp: timeFromNs(t - 2_000_000n), frame_id: '' },
      name: order.map((j) => names[j]!),
      position: Float64Array.from(order.map((j) => q[j]!)),
      velocity: new Float64Array(0),
      effort: new Float64Array(0),
    };
    await writer.writeMessage('/joint_states', js, t - 2_000_000n);
    const target = [panFor(u), liftFor(q[2]!), ARM.home[2]!, ARM.home[3]!, ARM.home[4]!];
    const cmd: JointTrajectory = {
      header: { stamp: timeFromNs(t - 1_000_000n), frame_id: 'base_link' },
      joint_names: [...names],
      points: [{ positions: Float64Array.from(target), velocities: new Float64Array(0), accelerations: new Float64Array(0), effort: new Float64Array(0), time_from_start: { sec: 0, nanosec: 50_000_000 } }],
    };
    await writer.writeMessage('/arm_controller/joint_trajectory', cmd, t - 1_000_000n);
    await writer.writeMessage('/arm_camera/image_raw', barFrame(u, t), t);
  }
  await writer.close();
  return dir;
}

/** An untrained TINY_ARM_BACKBONE file with the arm camera preprocessing. */
export async function tinyArmBackbone(path: string, seed = 3): Promise<string> {
  await initTrainingBackend();
  const net = new Network({ backbone: TINY_ARM_BACKBONE, head: geometryHead(['a']) }, { seed });
  try {
    writeFileSync(path, exportBackboneOnnx(net, { camera: ARM_CAMERA, provenance: { test: true } }));
  } finally {
    net.dispose();
  }
  return path;
}

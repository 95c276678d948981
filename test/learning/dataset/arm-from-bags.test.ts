/** Arm bags → datasets with joint states: pairing by joint name, commands of both types, skip reasons. */
import { afterEach, describe, expect, it } from 'vitest';
import { BagWriter, MemoryBagFolder, type BagReader } from '../../../src/data/bags/index.js';
import { armDatasetFromBags, armSpecFromContract, formatArmDatasetReport, type ArmBagDatasetOptions, type ArmDatasetSpec } from '../../../src/learning/dataset/arm-from-bags.js';
import { checkDataset, concatDatasets, splitByEpisode, subsetDataset, type ImageDataset } from '../../../src/learning/dataset/dataset.js';
import { timeFromNs } from '../../../src/core/messages/time.js';
import type { Float64MultiArray, JointState, JointTrajectory } from '../../../src/core/messages/types.js';
import type { ModelContract } from '../../../src/runtime/policy/contract.js';
import { armActionFields } from '../../../src/learning/train/onnx-io.js';
import { RELIABLE_QOS } from '../../../src/transport/transport.js';
import { cameraInput, image, open, T0 } from './helpers.js';

const JOINTS = [
  { name: 'pan', lower: -2, upper: 2 },
  { name: 'lift', lower: -1, upper: 1 },
  { name: 'elbow', lower: 0, upper: 2 },
];
const NAMES = JOINTS.map((j) => j.name);
const FIELDS = armActionFields(JOINTS);
const SPEC: ArmDatasetSpec = { input: cameraInput(), fields: FIELDS, stateNames: NAMES };

/** State of frame i (rad, joint order) and its command target. */
const stateOf = (i: number): number[] => [0.1 * i - 0.5, -0.05 * i, 0.2 + 0.1 * i];
const targetOf = (i: number): number[] => [-1 + 0.2 * i, 0.5 - 0.1 * i, 1.5 - 0.1 * i];

interface ArmBagOptions {
  readonly frames?: number;
  /** 'trajectory' on /arm_controller/joint_trajectory or 'array' on /forward_position_controller/commands. */
  readonly command?: 'trajectory' | 'array';
  /** Change a frame's joint state message (null: none). */
  readonly state?: (i: number, msg: JointState) => JointState | null;
  readonly cmd?: (i: number, msg: JointTrajectory | Float64MultiArray) => JointTrajectory | Float64MultiArray | null;
  readonly stateTopic?: string;
}

const readers: BagReader[] = [];
afterEach(async () => {
  for (const r of readers.splice(0)) await r.close();
});

/**
 * Frame i at 50·i ms; its joint state 2 ms before (names shuffled, with an extra gripper joint) and its
 * command 1 ms before (trajectory joint names in another order).
 */
async function armBag(o: ArmBagOptions = {}, name = 'arm'): Promise<BagReader> {
  const folder = new MemoryBagFolder(name);
  const writer = await BagWriter.create(folder, { name });
  const stateTopic = o.stateTopic ?? '/joint_states';
  const cmdTopic = o.command === 'array' ? '/forward_position_controller/commands' : '/arm_controller/joint_trajectory';
  writer.addTopic('/arm_camera/image_raw', 'sensor_msgs/msg/Image');
  writer.addTopic(stateTopic, 'sensor_msgs/msg/JointState');
  writer.addTopic(cmdTopic, o.command === 'array' ? 'std_msgs/msg/Float64MultiArray' : 'trajectory_msgs/msg/JointTrajectory', { qos: RELIABLE_QOS });
  for (let i = 0; i < (o.frames ?? 10); i++) {
    const t = T0 + BigInt(i) * 50_000_000n;
    const q = stateOf(i);
    const js: JointState = {
      header: { stamp: timeFromNs(t - 2_000_000n), frame_id: '' },
      name: ['elbow', 'gripper', 'pan', 'lift'],
      position: Float64Array.of(q[2]!, 0.01, q[0]!, q[1]!),
      velocity: new Float64Array(0),
      effort: new Float64Array(0),
    };
    const s = o.state ? o.state(i, js) : js;
    if (s) await writer.writeMessage(stateTopic, s, t - 2_000_000n);
    const g = targetOf(i);
    const cmd: JointTrajectory | Float64MultiArray =
      o.command === 'array'
        ? { layout: { dim: [], data_offset: 0 }, data: Float64Array.from(g) }
        : {
            header: { stamp: timeFromNs(t - 1_000_000n), frame_id: 'base_link' },
            joint_names: ['lift', 'elbow', 'pan'],
            points: [{ positions: Float64Array.of(g[1]!, g[2]!, g[0]!), velocities: new Float64Array(0), accelerations: new Float64Array(0), effort: new Float64Array(0), time_from_start: { sec: 0, nanosec: 50_000_000 } }],
          };
    const c = o.cmd ? o.cmd(i, cmd) : cmd;
    if (c) await writer.writeMessage(cmdTopic, c, t - 1_000_000n);
    await writer.writeMessage('/arm_camera/image_raw', image(i, t), t);
  }
  await writer.close();
  const reader = await open(folder);
  readers.push(reader);
  return reader;
}

function build(bags: BagReader[], options: Partial<ArmBagDatasetOptions> = {}) {
  return armDatasetFromBags(bags, { spec: SPEC, minFrames: 1, ...options });
}

const red = (ds: ImageDataset, j: number): number => ds.images[j * ds.height * ds.width * 3]! / 10;
const raw = (i: number): number[] => targetOf(i).map((v, q) => (v - FIELDS[q]!.offset) / FIELDS[q]!.scale);

describe('armDatasetFromBags', () => {
  it('pairs each frame with the latest joint state by name and the trajectory command in force, in joint order', async () => {
    const { dataset, report } = await build([await armBag()]);
    checkDataset(dataset);
    expect(dataset).toMatchObject({ count: 10, targetNames: NAMES, stateNames: NAMES, episodeNames: ['arm'] });
    for (let j = 0; j < 10; j++) {
      expect(red(dataset, j)).toBe(j);
      const q = stateOf(j);
      const r = raw(j);
      for (let k = 0; k < 3; k++) {
        expect(dataset.states![j * 3 + k]).toBeCloseTo(q[k]!, 6);
        expect(dataset.targets[j * 3 + k]).toBeCloseTo(r[k]!, 6);
      }
    }
    expect(report.bags[0]).toMatchObject({ cameraTopic: '/arm_camera/image_raw', stateTopic: '/joint_states', commandTopic: '/arm_controller/joint_trajectory', states: 10, badStates: 0, commands: 10, used: 10 });
    expect(report.states.map((s) => s.name)).toEqual(NAMES);
    expect(formatArmDatasetReport(report)).toMatch(/arm: 10\/10 frames .*10 joint states on \/joint_states, 10 commands on \/arm_controller\/joint_trajectory/);
  });

  it('reads Float64MultiArray commands in joint order; latency takes the next command', async () => {
    const bag = await armBag({ command: 'array' });
    const { dataset, report } = await build([bag], { latencyMs: 50 });
    expect(report.bags[0]!.commandTopic).toBe('/forward_position_controller/commands');
    expect(dataset.count).toBe(10);
    // Frame j gets command j+1 (the last keeps the last command, 50 ms old); the state stays frame j's.
    for (let j = 0; j < 10; j++) {
      expect(dataset.targets[j * 3]).toBeCloseTo(raw(Math.min(j + 1, 9))[0]!, 6);
      expect(dataset.states![j * 3]).toBeCloseTo(stateOf(j)[0]!, 6);
    }
  });

  it('skips and counts frames whose joint state lacks a joint, repeats one, is not finite, is stale or missing', async () => {
    const bag = await armBag({
      frames: 12,
      state: (i, js) => {
        if (i === 0) return null; // no state yet: no_state
        if (i === 3) return { ...js, name: ['pan', 'lift'], position: Float64Array.of(0, 0) }; // no elbow
        if (i === 5) return { ...js, name: ['pan', 'lift', 'elbow', 'pan'], position: Float64Array.of(0, 0, 0, 1) }; // pan twice
        if (i === 7) return { ...js, position: Float64Array.of(NaN, 0, 0, 0) }; // elbow NaN
        if (i === 9 || i === 10) return null; // frame 9 uses 8's (52 ms old, fine); frame 10 uses 8's (102 ms, stale at 60)
        return js;
      },
    });
    const log: string[] = [];
    const { dataset, report } = await build([bag], { maxStateAgeMs: 60, log: (l) => log.push(l) });
    const used = Array.from({ length: dataset.count }, (_, j) => red(dataset, j));
    expect(used).toEqual([1, 2, 4, 6, 8, 9, 11]);
    expect(report.skipped).toMatchObject({ no_state: 1, bad_state: 3, stale_state: 1, no_command: 0, bad_command: 0 });
    expect(report.bags[0]).toMatchObject({ states: 9, badStates: 3 });
    // Frame 9 was paired with frame 8's state, the latest at its time.
    expect(dataset.states![5 * 3]).toBeCloseTo(stateOf(8)[0]!, 6);
    // Times count from the bag's first message (frame 0's command, at −1 ms): frame 3's state is at 0.149 s.
    expect(log.join('\n')).toMatch(/3 of 9 joint state message\(s\) on \/joint_states rejected, first at 0\.149 s: no joint 'elbow' \(has pan, lift\)/);
    expect(formatArmDatasetReport(report)).toMatch(/skipped: no_state 1, stale_state 1, bad_state 3/);
  });

  it('skips and counts frames whose command lacks a joint or has the wrong length', async () => {
    const traj = await armBag({ cmd: (i, c) => (i === 2 ? { ...(c as JointTrajectory), joint_names: ['lift', 'elbow', 'wrist'] } : i === 4 ? { ...(c as JointTrajectory), points: [] } : c) }, 'traj');
    const arr = await armBag({ command: 'array', cmd: (i, c) => (i === 6 ? { ...(c as Float64MultiArray), data: Float64Array.of(1, 2) } : c) }, 'arr');
    const { report } = await build([traj, arr]);
    expect(report.bags.map((b) => b.skipped.bad_command)).toEqual([2, 1]);
    expect(report.bags[0]!.notes.join('\n')).toMatch(/no joint 'pan' \(has lift, elbow, wrist\)/);
    expect(report.bags[1]!.notes.join('\n')).toMatch(/Float64MultiArray has 2 values, the arm has 3 joints/);
    expect(report.used).toBe(17);
  });

  it('names missing topics, bags with no usable pair, and commands that never change', async () => {
    const other = await armBag({ stateTopic: '/robot/joint_states' });
    const { report } = await build([other]);
    expect(report.bags[0]!.notes).toContain('no /joint_states: reading joint states from /robot/joint_states');
    await expect(build([await armBag()], { jointStateTopic: '/nope' })).rejects.toThrow(/E_DATASET_TOPIC: arm: no joint state topic \/nope/);
    await expect(build([await armBag({ state: () => null })])).rejects.toThrow(/E_DATASET_NO_PAIRS: arm: no camera frame .*0 joint states.*skipped: no_state 10/);
    const still = await armBag({ cmd: (_i, c) => ({ ...(c as JointTrajectory), points: [{ ...(c as JointTrajectory).points[0]!, positions: Float64Array.of(0.1, 1, 0) }] }) });
    await expect(armDatasetFromBags([still], { spec: SPEC, minFrames: 1 })).rejects.toThrow(/E_DATASET_DEGENERATE: every joint's commanded position spans less than 0\.01 rad/);
  });

  it('takes its spec from an arm contract', () => {
    const contract = {
      version: 1,
      id: 'arm',
      profile: 'arm',
      inputs: [
        { ...cameraInput(), name: 'image' },
        { name: 'joint_state', role: 'state', shape: [1, 3], dtype: 'float32', fields: NAMES },
      ],
      outputs: [{ name: 'action', shape: [1, 3], dtype: 'float32', fields: FIELDS }],
    } as ModelContract;
    expect(armSpecFromContract(contract)).toEqual({ input: contract.inputs[0], fields: FIELDS, stateNames: NAMES });
    expect(() => armSpecFromContract({ ...contract, profile: 'vehicle' })).toThrow(/E_DATASET_CONTRACT: contract arm: profile is 'vehicle'/);
    expect(() => armSpecFromContract({ ...contract, inputs: [contract.inputs[0]!] })).toThrow(/exactly one state input/);
  });
});

describe('dataset helpers keep states', () => {
  it('concat, subset and split carry the state rows with their frames', async () => {
    const a = (await build([await armBag({}, 'a')])).dataset;
    const b = (await build([await armBag({ frames: 6 }, 'b')])).dataset;
    const both = concatDatasets([a, b]);
    checkDataset(both);
    expect(both.stateNames).toEqual(NAMES);
    expect(Array.from(both.states!.subarray(10 * 3, 11 * 3))).toEqual(Array.from(b.states!.subarray(0, 3)));
    const sub = subsetDataset(both, [12, 3]);
    expect(Array.from(sub.states!)).toEqual([...Array.from(both.states!.subarray(36, 39)), ...Array.from(both.states!.subarray(9, 12))]);
    const split = splitByEpisode(both, { validationFraction: 0.3, seed: 1 });
    for (const [part, idx] of [[split.train, split.trainIndices], [split.validation, split.validationIndices]] as const) {
      checkDataset(part);
      idx.forEach((src, j) => expect(Array.from(part.states!.subarray(j * 3, j * 3 + 3))).toEqual(Array.from(both.states!.subarray(src * 3, src * 3 + 3))));
    }
    const { states: _s, stateNames: _n, ...plain } = a;
    expect(() => concatDatasets([a, plain])).toThrow(/E_DATASET_SHAPE: concat: dataset 1 has no states, dataset 0 has states \[pan, lift, elbow\]/);
    expect(() => checkDataset({ ...a, states: a.states!.subarray(3) })).toThrow(/E_DATASET_SHAPE: dataset: states has 27 values, expected 10×3/);
    expect(() => checkDataset({ ...plain, stateNames: NAMES })).toThrow(/states and stateNames must come together/);
  });
});

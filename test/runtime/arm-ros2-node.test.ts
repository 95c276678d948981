/**
 * The arm profile as a ROS 2 lifecycle node (rclnodejs stand-in: messages go through CDR and are checked
 * field by field against their .msg): sensor_msgs/JointState and the camera in, one-point
 * trajectory_msgs/JointTrajectory out, with joint limits from the arm description.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JointTrajectory } from '../../src/core/messages/types.js';
import { nodeRig, type NodeRig } from '../ros2/helpers.js';
import { checkAgainstMsg, StandInQoS } from '../ros2/stand-in/rclnodejs-stand-in.js';
import { ARM, JOINTS, cameraFrame, jointState, writeArmTestModel } from './arm-fixtures.js';

const rigs: NodeRig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.close();
});

describe('arm profile as a ROS 2 node', () => {
  it('configures from a config file with an arm: section and drives joints from /joint_states', async () => {
    const model = writeArmTestModel();
    const configFile = join(mkdtempSync(join(tmpdir(), 'pilot-arm-node-')), 'arm.yaml');
    writeFileSync(
      configFile,
      [
        'inputs:',
        '  camera: { topic: /arm_camera/image_raw }',
        'arm:',
        `  description: ${join(process.cwd(), 'calibration/arm.yaml')}`,
        'outputs:',
        '  command: { topic: /arm_controller/joint_trajectory, type: joint_trajectory }',
        'ros2:',
        "  camera_mount: ''",
        '',
      ].join('\n'),
    );
    const r = nodeRig({ configFile, overrides: { 'model.path': model } });
    rigs.push(r);
    r.node.configure();
    expect(r.pilotNode.state, r.logs.join('\n')).toBe('inactive');
    r.node.activate();
    await r.pilotNode.settled();
    expect(r.pilotNode.state).toBe('active');
    const commands = () => r.graph.messages<JointTrajectory>('/arm_controller/joint_trajectory');
    expect(commands()).toHaveLength(0); // no joint state yet: nothing sent

    let t = 0;
    const measured = Float64Array.from(ARM.home);
    for (let i = 0; i < 10; i++) {
      // A driver listing joints in its own order.
      const order = [4, 3, 2, 1, 0];
      r.graph.inject('/joint_states', 'sensor_msgs/msg/JointState', jointState(order.map((j) => JOINTS[j]!), order.map((j) => measured[j]!)), new StandInQoS(1, 1, 2, 2));
      r.graph.inject('/arm_camera/image_raw', 'sensor_msgs/msg/Image', cameraFrame(), new StandInQoS(1, 1, 2, 2));
      t += 10;
      r.clock.advanceTo(t);
      await r.pilotNode.pilot?.loop.whenIdle();
      await r.pilotNode.settled();
      const last = commands().at(-1);
      if (last) measured.set(last.points[0]!.positions);
    }
    const sent = commands();
    expect(sent.length).toBeGreaterThanOrEqual(9);
    for (const c of sent) {
      expect(checkAgainstMsg('trajectory_msgs/msg/JointTrajectory', c)).toBe('');
      expect(c.joint_names).toEqual([...JOINTS]);
      expect(c.points).toHaveLength(1);
      expect(c.points[0]!.time_from_start).toEqual({ sec: 0, nanosec: 10_000_000 });
      ARM.limits.forEach((l, j) => {
        expect(c.points[0]!.positions[j]).toBeGreaterThanOrEqual(l.lower);
        expect(c.points[0]!.positions[j]).toBeLessThanOrEqual(l.upper);
      });
    }
    const pilot = r.pilotNode.pilot!;
    expect(pilot.jointStates!.rejected).toBe(0);
    expect(pilot.safety.counters.byReason.ok).toBeGreaterThanOrEqual(9);
    // The per-joint safety parameters exist, with the arm's limits.
    expect(r.node.getParameter('safety.limits.elbow').value).toEqual([-0.2, 2.6]);
  });
});

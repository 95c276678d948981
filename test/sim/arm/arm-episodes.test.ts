import { describe, expect, it } from 'vitest';
import { loadArmDescription } from '../../../src/core/kinematics/index.js';
import { makeFloat64MultiArray, makeJointTrajectory, makeJointTrajectoryPoint } from '../../../src/core/messages/factories.js';
import { InProcessTransport } from '../../../src/transport/in-process.js';
import { ArmCommandListener } from '../../../sim/arm/arm-bridge.js';
import { runArmSession, type ArmTruth } from '../../../sim/arm/arm-session.js';
import { customEpisode, sampleEpisode, TARGET_COLOUR } from '../../../sim/arm/arm-task.js';

const arm = loadArmDescription('calibration/arm.yaml');

describe('arm episodes with the IK expert', () => {
  it('reach: the expert succeeds in every randomised episode, seen and unseen placements', async () => {
    // The full 100-episode measurement is scripts/bench-arm.ts; here 40 episodes keep the test short.
    for (const split of ['any', 'unseen'] as const) {
      const { summary, episodes } = await runArmSession({ task: 'reach', episodes: 20, seed: 100, split, randomize: 1, driver: { kind: 'expert' } });
      expect(summary.episodes).toBe(20);
      expect(summary.successRate, JSON.stringify(episodes.filter((e) => !e.success))).toBeGreaterThanOrEqual(0.99);
      expect(summary.timeToSuccessS!.max).toBeLessThan(3);
      expect(summary.finalErrorM.max).toBeLessThan(0.02);
      expect(summary.jointLimitInterventions).toBe(0);
      expect(summary.commandTimeouts).toBe(0);
      expect(summary.tableContacts).toBe(0);
      for (const e of episodes) {
        expect(e.endReason).toBe('success');
        // Success = held for 5 steps of 50 ms after entering the 2 cm ball.
        expect(e.simTimeS).toBeCloseTo(e.timeToSuccessS! + 0.2, 6);
      }
    }
  });

  it('push: the expert pushes the puck into the goal', async () => {
    const { summary, episodes } = await runArmSession({ task: 'push', episodes: 8, seed: 3, driver: { kind: 'expert' } });
    expect(summary.successRate).toBe(1);
    for (const e of episodes) expect(e.finalErrorM).toBeLessThanOrEqual(0.03);
    // The puck really moved: it started 8–14 cm from the goal.
    const start = sampleEpisode('push', 3, 'any', arm.home);
    const puck = start.objects[0]!;
    expect(Math.hypot(puck.x - start.target[0], puck.y - start.target[1])).toBeGreaterThan(0.08);
  });

  it('is deterministic: the same seeds give the same trajectories, other seeds other ones', async () => {
    const trace = async (seed: number) => {
      const tool: number[] = [];
      const r = await runArmSession({ task: 'push', episodes: 2, seed, randomize: 1, driver: { kind: 'expert' }, onStep: (t: Readonly<ArmTruth>) => tool.push(...t.world.toolPosition) });
      return { tool, results: r.episodes.map(({ seed: s, success, timeToSuccessS, finalErrorM, steps }) => ({ s, success, timeToSuccessS, finalErrorM, steps })) };
    };
    const a = await trace(21);
    const b = await trace(21);
    expect(b.results).toEqual(a.results);
    expect(b.tool).toEqual(a.tool);
    const c = await trace(22);
    expect(c.tool).not.toEqual(a.tool);
  });

  it('renders the camera for the expert on request and reports each frame with its ground truth', async () => {
    let frames = 0;
    let lastQ: number[] = [];
    const r = await runArmSession({
      task: 'reach',
      episodes: 2,
      seed: 4,
      driver: { kind: 'expert' },
      render: true,
      onFrame: (rgb, w, h, truth) => {
        expect([w, h, rgb.length]).toEqual([160, 120, 160 * 120 * 3]);
        expect(truth.tMs % 50).toBe(0);
        frames++;
        lastQ = Array.from(truth.world.q);
      },
    });
    // One frame per 50 ms step (camera rate = control rate).
    expect(frames).toBe(r.episodes.reduce((s, e) => s + e.steps, 0));
    expect(lastQ).toHaveLength(5);
  });

  it('counts steps whose command had to be clamped to the joint limits', async () => {
    const r = await runArmSession({
      task: 'reach',
      episodes: 1,
      seed: 2,
      driver: { kind: 'expert' },
      // Three steps of an elbow command beyond its upper limit (2.6 rad).
      overrideCommand: (command, truth) => {
        if (truth.tMs >= 100 && truth.tMs < 250) command[2] = 3.0;
      },
    });
    expect(r.episodes[0]!.jointLimitInterventions).toBe(3);
    expect(r.episodes[0]!.success).toBe(true);
  });

  it('bad inputs: unknown task, unreachable targets, a task/episode mismatch and an external driver in lockstep', async () => {
    await expect(runArmSession({ task: 'pick', driver: { kind: 'expert' } })).rejects.toThrow("E_ARM_TASK: unknown arm task 'pick' (known: reach, push)");
    const cube = { role: 'target' as const, shape: 'box' as const, colour: TARGET_COLOUR, x: 0.6, y: 0, yawRad: 0, sizeM: 0.04, heightM: 0.04 };
    const far = customEpisode({ kind: 'reach', objects: [cube], target: [0.6, 0, 0.09], startQ: Array.from(arm.home) });
    await expect(runArmSession({ task: 'reach', specs: [far], driver: { kind: 'expert' } })).rejects.toThrow(
      /E_ARM_UNREACHABLE: target \(0\.600, 0\.000, 0\.090\) m is out of reach of pilot_arm_5: the closest tool point within the joint limits is [\d.]+ cm away/,
    );
    await expect(runArmSession({ task: 'push', specs: [sampleEpisode('reach', 1, 'any', arm.home)], driver: { kind: 'expert' } })).rejects.toThrow(/E_ARM_TASK: episode with seed 1 is a reach episode in a push run/);
    await expect(runArmSession({ task: 'reach', driver: { kind: 'external' } })).rejects.toThrow(/E_ARM_SIM_CONFIG: an external driver runs on its own clock/);
    await expect(runArmSession({ task: 'reach', driver: { kind: 'expert' }, randomize: 2 })).rejects.toThrow(/E_ARM_SIM_CONFIG: randomize strength must be in \[0, 1\]/);
    expect(() => customEpisode({ kind: 'reach', objects: [], target: [0.2, NaN, 0.1], startQ: Array.from(arm.home) })).toThrow(/E_ARM_TASK: target must be three finite numbers/);
  });
});

describe('arm command listener', () => {
  const setup = (type: 'joint_trajectory' | 'float64_multi_array') => {
    const transport = new InProcessTransport();
    const topic = '/arm_controller/cmd';
    const listener = new ArmCommandListener(transport, topic, type, arm.jointNames, arm.home);
    const pub = transport.advertise(topic, type === 'joint_trajectory' ? 'trajectory_msgs/msg/JointTrajectory' : 'std_msgs/msg/Float64MultiArray');
    return { listener, pub };
  };
  const trajectory = (names: string[], positions: number[]) =>
    makeJointTrajectory({ joint_names: names, points: [makeJointTrajectoryPoint({ positions: Float64Array.from(positions) })] });

  it('JointTrajectory: joints by name in any order; missing, repeated or non-finite joints are rejected and the arm holds', () => {
    const { listener, pub } = setup('joint_trajectory');
    const names = [...arm.jointNames].reverse();
    pub.publish(trajectory(names, [5, 4, 3, 2, 1]));
    expect(Array.from(listener.latest)).toEqual([1, 2, 3, 4, 5]);
    pub.publish(trajectory(names.slice(1), [4, 3, 2, 1]));
    expect(listener.lastRejection).toBe("joint 'wrist_roll' missing (got wrist_pitch, elbow, shoulder_lift, shoulder_pan)");
    pub.publish(trajectory([...names, 'elbow'], [5, 4, 3, 2, 1, 0]));
    expect(listener.lastRejection).toBe("joint 'elbow' given twice");
    pub.publish(trajectory(names, [5, 4, NaN, 2, 1]));
    expect(listener.lastRejection).toBe("joint 'elbow' position NaN is not finite");
    pub.publish(trajectory(names, [5, 4]));
    expect(listener.lastRejection).toBe('5 joint_names but 2 positions');
    expect([listener.received, listener.rejected]).toEqual([1, 4]);
    expect(Array.from(listener.latest)).toEqual([1, 2, 3, 4, 5]);
  });

  it('Float64MultiArray: the arm joint order, exactly one value per joint', () => {
    const { listener, pub } = setup('float64_multi_array');
    pub.publish(makeFloat64MultiArray({ data: Float64Array.from([1, 2, 3, 4, 5]) }));
    pub.publish(makeFloat64MultiArray({ data: Float64Array.from([1, 2, 3]) }));
    expect(listener.lastRejection).toBe("expected 5 values in the arm's joint order, got 3");
    expect([listener.received, listener.rejected]).toEqual([1, 1]);
    expect(Array.from(listener.latest)).toEqual([1, 2, 3, 4, 5]);
  });
});

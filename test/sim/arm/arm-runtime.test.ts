import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openBag } from '../../../src/data/bags/node-io.js';
import { loadArmDescription } from '../../../src/core/kinematics/index.js';
import type { Image, JointState, JointTrajectory } from '../../../src/core/messages/types.js';
import { ArmExpert } from '../../../sim/arm/arm-expert.js';
import { runArmSession } from '../../../sim/arm/arm-session.js';
import { parseArmSimConfig } from '../../../sim/arm/arm-sim-config.js';
import { sampleEpisode } from '../../../sim/arm/arm-task.js';
import { armRuntimeConfig, FakeArmPolicy } from './fake-arm-policy.js';

const arm = loadArmDescription('calibration/arm.yaml');
const dir = mkdtempSync(join(tmpdir(), 'pilot-arm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** raw (tanh space) of joint positions under the arm contract's scaling. */
function toRaw(q: ArrayLike<number>, out: Float32Array): void {
  arm.limits.forEach((l, j) => (out[j] = (q[j]! - (l.upper + l.lower) / 2) / ((l.upper - l.lower) / 2)));
}

/** A policy that "sees" the target: it answers with the expert's goal of the current episode. */
function oraclePolicy(specs: ReturnType<typeof sampleEpisode>[]) {
  const expert = new ArmExpert(arm);
  const goals = specs.map((s) => Float64Array.from(expert.goalFor(s.target)));
  const state = { episode: 0 };
  const policy = new FakeArmPolicy(arm, (_s, out) => toRaw(goals[state.episode]!, out));
  return { policy, state };
}

describe('arm episodes through the runtime (launch/arm.yaml)', () => {
  it('the runtime drives the simulated arm: joint states in, joint trajectories out, success', async () => {
    const specs = [1, 2, 3].map((s) => sampleEpisode('reach', s, 'any', arm.home));
    const { policy, state } = oraclePolicy(specs);
    const lines: string[] = [];
    const r = await runArmSession({
      task: 'reach',
      specs,
      driver: { kind: 'model', config: armRuntimeConfig(), policy },
      onEpisode: () => state.episode++,
      log: (l) => lines.push(l),
    });
    expect(r.summary.successRate).toBe(1);
    expect(r.summary.commandTimeouts).toBe(0);
    expect(r.summary.jointLimitInterventions).toBe(0);
    expect(r.stepMs).toBe(50);
    for (const e of r.episodes) {
      expect(e.safetyReasons!.ok).toBe(e.steps);
      expect(e.safetyReasons!.stale_input).toBe(0);
    }
    // The runtime fed the model the joint positions the simulator published (first tick: home).
    expect(Array.from(policy.statesSeen[0]!)).toEqual(Array.from(Float32Array.from(arm.home)));
    expect(policy.statesSeen).toHaveLength(r.episodes.reduce((s, e) => s + e.steps, 0));
    // One start-up line for the run, not one per episode; the shared policy is not disposed by the episodes.
    expect(lines.filter((l) => l.startsWith('pilot: model '))).toHaveLength(1);
    expect(policy.disposed).toBe(false);
  });

  it('joint-limit interventions come from the runtime: a policy beyond a joint limit is clamped and counted', async () => {
    const specs = [sampleEpisode('reach', 4, 'any', arm.home)];
    const expert = new ArmExpert(arm);
    const goal = Float64Array.from(expert.goalFor(specs[0]!.target));
    // Elbow raw 1.3: beyond the upper limit for the first 4 ticks.
    let ticks = 0;
    const policy = new FakeArmPolicy(arm, (_s, out) => {
      toRaw(goal, out);
      if (ticks++ < 4) out[2] = 1.3;
    });
    const r = await runArmSession({ task: 'reach', specs, driver: { kind: 'model', config: armRuntimeConfig(), policy } });
    expect(r.episodes[0]!.jointLimitInterventions).toBe(4);
    expect(r.episodes[0]!.success).toBe(true);
  });

  it('records each episode into its own bag with the runtime diagnostics, and the layouts beside them', async () => {
    const specs = [sampleEpisode('reach', 7, 'any', arm.home)];
    const { policy } = oraclePolicy(specs);
    const out = join(dir, 'runtime-bags');
    const r = await runArmSession({ task: 'reach', specs, driver: { kind: 'model', config: armRuntimeConfig(), policy }, record: { dir: out } });
    const steps = r.episodes[0]!.steps;
    const reader = await openBag(join(out, 'episode-0000'));
    const count = (topic: string) => reader.info().topics.find((t) => t.name === topic)?.messageCount;
    expect(count('/arm_camera/image_raw')).toBe(steps);
    expect(count('/joint_states')).toBe(steps);
    expect(count('/clock')).toBe(steps);
    // Every tick's command, plus the runtime's start-up hold and its stop command.
    expect(count('/arm_controller/joint_trajectory')).toBeGreaterThanOrEqual(steps);
    // Diagnostics are recorded too (1 Hz: a short episode may end before the first).
    expect(count('/diagnostics')).toBeDefined();
    let lastCommand: JointTrajectory | undefined;
    let lastState: JointState | undefined;
    for await (const m of reader.decoded<Image | JointState | JointTrajectory>({ topics: ['/arm_camera/image_raw', '/joint_states', '/arm_controller/joint_trajectory'] })) {
      if (m.topic === '/arm_camera/image_raw') expect((m.message as Image).encoding).toBe('rgb8');
      else if (m.topic === '/joint_states') lastState = m.message as JointState;
      else lastCommand = m.message as JointTrajectory;
    }
    await reader.close();
    expect(lastState!.name).toEqual([...arm.jointNames]);
    expect(lastCommand!.joint_names).toEqual([...arm.jointNames]);
    const layouts = JSON.parse(readFileSync(join(out, 'episodes.json'), 'utf8'));
    expect(layouts.episodes[0].bag).toBe('episode-0000');
    expect(layouts.episodes[0].target).toEqual(specs[0]!.target);
  });

  it('refuses a model whose outputs are not the arm joints, and a runtime that does not match the simulator', async () => {
    const wrong = new FakeArmPolicy(arm, () => {}, ['shoulder_pan', 'shoulder_lift', 'elbow', 'wrist_roll', 'wrist_pitch']);
    await expect(runArmSession({ task: 'reach', driver: { kind: 'model', config: armRuntimeConfig(), policy: wrong } })).rejects.toThrow(
      /E_ARM_MODEL: fake-arm.onnx: output fields \[shoulder_pan, shoulder_lift, elbow, wrist_roll, wrist_pitch\] do not match the arm's joints \[shoulder_pan, shoulder_lift, elbow, wrist_pitch, wrist_roll\]/,
    );
    const policy = new FakeArmPolicy(arm, () => {});
    await expect(runArmSession({ task: 'reach', driver: { kind: 'model', config: armRuntimeConfig({ jointStatesTopic: '/arm/joint_states' }), policy } })).rejects.toThrow(
      'E_ARM_SIM_CONFIG: the runtime reads joint states on /arm/joint_states but the simulator publishes them on /joint_states',
    );
    const sim = parseArmSimConfig({ command: { topic: '/forward_position_controller/commands', type: 'float64_multi_array' } }, 'test');
    await expect(runArmSession({ task: 'reach', sim, driver: { kind: 'model', config: armRuntimeConfig(), policy } })).rejects.toThrow(
      /E_ARM_SIM_CONFIG: the runtime publishes joint_trajectory on \/arm_controller\/joint_trajectory but the simulator listens for float64_multi_array/,
    );
    const vehicle = { ...armRuntimeConfig(), arm: undefined };
    await expect(runArmSession({ task: 'reach', driver: { kind: 'model', config: vehicle, policy } })).rejects.toThrow(/E_ARM_SIM_CONFIG: the runtime config has no arm: section/);
  });

  it('runs over ZeroMQ as the CLI does, with the same results as in-process (expert and runtime)', async () => {
    const strip = (r: Awaited<ReturnType<typeof runArmSession>>) =>
      r.episodes.map(({ seed, success, timeToSuccessS, finalErrorM, steps, safetyReasons }) => ({ seed, success, timeToSuccessS, finalErrorM, steps, safetyReasons }));
    const expert = async (transport: 'zeromq' | 'inprocess') => runArmSession({ task: 'reach', episodes: 2, seed: 9, driver: { kind: 'expert' }, transport });
    const zmqExpert = await expert('zeromq');
    expect(strip(zmqExpert)).toEqual(strip(await expert('inprocess')));
    expect(zmqExpert.summary.commandTimeouts).toBe(0);
    const specs = [11, 12].map((s) => sampleEpisode('reach', s, 'any', arm.home));
    const model = async (transport: 'zeromq' | 'inprocess') => {
      const { policy, state } = oraclePolicy(specs);
      return runArmSession({ task: 'reach', specs, transport, driver: { kind: 'model', config: armRuntimeConfig(), policy }, onEpisode: () => state.episode++ });
    };
    const zmqModel = await model('zeromq');
    expect(strip(zmqModel)).toEqual(strip(await model('inprocess')));
    expect(zmqModel.summary.successRate).toBe(1);
    expect(zmqModel.episodes.every((e) => e.safetyReasons!.stale_input === 0)).toBe(true);
  });
});

/**
 * The arm profile end to end: camera + sensor_msgs/JointState in → joint position commands out, through
 * the real Pilot (same runtime and safety layer as the vehicle) with a small arm-profile ONNX model on
 * the in-process transport and a manual clock. Bad input (missing/reordered joints, targets outside
 * limits or the workspace, stale input, a model that does not fit the arm) holds the arm.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config/load.js';
import type { DiagnosticArray, JointTrajectory } from '../../src/core/messages/types.js';
import { Pilot } from '../../src/runtime/pilot.js';
import { ManualClock } from '../../src/runtime/loop/clock.js';
import { InProcessTransport } from '../../src/transport/in-process.js';
import {
  ARM,
  JOINTS,
  PERIOD_MS,
  armConfig,
  armRig,
  cameraFrame,
  defaultOutputs,
  disposeRigs,
  jointState,
  rawFor,
  writeArmTestModel,
  type ArmRig,
} from './arm-fixtures.js';

const DT_S = PERIOD_MS / 1000;
let model: string;

beforeAll(() => {
  model = writeArmTestModel();
});
afterEach(disposeRigs);
afterAll(disposeRigs);

/** Checks velocity and acceleration limits between consecutive commands (rad, per joint). */
function expectWithinLimits(commands: readonly { positions: Float64Array }[], start: Float64Array): void {
  let prev = start;
  let prevRate = new Float64Array(JOINTS.length);
  for (const c of commands) {
    ARM.limits.forEach((l, i) => {
      const q = c.positions[i]!;
      expect(q).toBeGreaterThanOrEqual(l.lower);
      expect(q).toBeLessThanOrEqual(l.upper);
      const rate = (q - prev[i]!) / DT_S;
      expect(Math.abs(rate)).toBeLessThanOrEqual(l.maxVelocity + 1e-9);
      expect(Math.abs(rate - prevRate[i]!)).toBeLessThanOrEqual(l.maxAcceleration * DT_S + 1e-9);
      prevRate[i] = rate;
    });
    prev = c.positions;
  }
}

function decodedTarget(r: ArmRig): Float64Array {
  const out = new Float64Array(JOINTS.length);
  r.pilot.decoder.decode(r.pilot.policy.output, out);
  return out;
}

describe('arm profile: camera + joint states → joint commands through the real Pilot', () => {
  it('publishes nothing before the first joint state, then moves from the measured position toward the model’s target within the joint limits', async () => {
    const r = await armRig(model);
    r.pilot.start();
    expect(r.commands).toHaveLength(0); // no measured position yet: any command would move the arm
    expect(r.pilot.counters.commandsWithheld).toBe(1);
    await r.step({ joints: null });
    expect(r.commands).toHaveLength(0);
    expect(r.pilot.safety.lastReason).toBe('stale_input');

    await r.step();
    expect(r.commands).toHaveLength(1);
    const first = r.commands[0]!;
    expect(first.reason).toBe('ok');
    expect(first.names).toEqual([...JOINTS]);
    // The model saw the measured joint state, in the arm's order.
    expect(Array.from(r.pilot.policy.inputs.get('joint_state')!)).toEqual(Array.from(Float32Array.from(ARM.home)));
    // From rest, the first step moves toward the target by at most one period of acceleration.
    const target = decodedTarget(r);
    ARM.limits.forEach((l, i) => {
      const step = first.positions[i]! - ARM.home[i]!;
      expect(Math.abs(step)).toBeLessThanOrEqual(l.maxAcceleration * DT_S * DT_S + 1e-12);
      expect(Math.sign(step)).toBe(Math.sign(target[i]! - ARM.home[i]!));
    });

    await r.steps(40);
    expect(r.commands.every((c) => c.reason === 'ok')).toBe(true);
    expectWithinLimits(r.commands, ARM.home);
    expect(r.pilot.timeline.summary('inferenceMs').n).toBeGreaterThanOrEqual(40);
  });

  it('reaches a fixed target exactly, without overshoot, at the velocity limit in between', async () => {
    const r = await armRig(model);
    const goal = Float64Array.from(ARM.home);
    goal[0] = 1.0; // shoulder_pan: 1 rad away, 1.5 rad/s, 4 rad/s²
    goal[2] = 1.2; // elbow: 0.4 rad back
    r.forceRaw = rawFor(goal);
    r.pilot.start();
    await r.steps(140);
    const pan = r.commands.map((c) => c.positions[0]!);
    for (let i = 1; i < pan.length; i++) expect(pan[i]!).toBeGreaterThanOrEqual(pan[i - 1]! - 1e-12); // monotonic
    expect(Math.max(...pan)).toBeLessThanOrEqual(1.0 + 1e-6);
    expect(r.commands.at(-1)!.positions[0]).toBeCloseTo(1.0, 5); // float32 network output
    expect(r.commands.at(-1)!.positions[2]).toBeCloseTo(1.2, 5);
    const peakRate = Math.max(...pan.slice(1).map((q, i) => (q - pan[i]!) / DT_S));
    expect(peakRate).toBeCloseTo(ARM.limits[0]!.maxVelocity, 6);
    expectWithinLimits(r.commands, ARM.home);
    expect(r.pilot.safety.counters.slewLimited).toBeGreaterThan(0);
    expect(r.pilot.safety.counters.accelerationLimited).toBeGreaterThan(0);
  });

  it('reads joints by name: reordered joints and extra ones give the same commands as the arm’s order', async () => {
    const ordered = await armRig(model);
    const shuffled = await armRig(model);
    ordered.pilot.start();
    shuffled.pilot.start();
    const order = [3, 0, 4, 2, 1];
    for (let k = 0; k < 10; k++) {
      await ordered.step();
      const names = [...order.map((i) => JOINTS[i]!), 'gripper_finger'];
      const positions = [...order.map((i) => shuffled.measured[i]!), 0.02];
      await shuffled.step({ joints: jointState(names, positions) });
    }
    expect(shuffled.pilot.jointStates!.rejected).toBe(0);
    expect(shuffled.commands.map((c) => c.reason)).toEqual(ordered.commands.map((c) => c.reason));
    expect(shuffled.commands.map((c) => Array.from(c.positions))).toEqual(ordered.commands.map((c) => Array.from(c.positions)));
  });

  it('rejects a joint state with a missing, repeated or NaN joint, names it, counts it and holds position', async () => {
    const r = await armRig(model);
    r.pilot.start();
    await r.steps(5);
    const held = Float64Array.from(r.commands.at(-1)!.positions);
    const measured = Float64Array.from(r.sent);
    r.follow = false;
    const missing = jointState(JOINTS.filter((j) => j !== 'elbow'), [0, 0.3, 1.2, 0]);
    await r.step({ joints: missing });
    expect(r.pilot.jointStates!.rejected).toBe(1);
    expect(r.pilot.jointStates!.lastRejection).toMatch(/JointState lacks joint 'elbow' \(names \[shoulder_pan, shoulder_lift, wrist_pitch, wrist_roll\]/);
    expect(r.commands.at(-1)!.reason).toBe('bad_input');
    expect(Array.from(r.commands.at(-1)!.positions)).toEqual(Array.from(held)); // hold the last command
    // A run of bad ticks (max_consecutive_misses 3) ends at the last measured position.
    for (let i = 0; i < 3; i++) await r.step({ joints: missing });
    expect(r.commands.at(-1)!.reason).toBe('bad_input');
    expect(Array.from(r.commands.at(-1)!.positions)).toEqual(Array.from(measured));

    await r.step({ joints: jointState([...JOINTS, 'elbow'], [...measured, 1]) });
    expect(r.pilot.jointStates!.lastRejection).toMatch(/joint 'elbow' appears twice/);
    const nan = Array.from(measured);
    nan[3] = Number.NaN;
    await r.step({ joints: jointState(JOINTS, nan) });
    expect(r.pilot.jointStates!.lastRejection).toMatch(/joint 'wrist_pitch' position NaN is not a finite number/);
    expect(r.pilot.jointStates!.rejected).toBe(6);
    expect(r.commands.at(-1)!.reason).toBe('bad_input');
    expect(Array.from(r.commands.at(-1)!.positions)).toEqual(Array.from(measured));
    // The model never saw the bad values.
    expect(Array.from(r.pilot.policy.inputs.get('joint_state')!).every(Number.isFinite)).toBe(true);

    r.follow = true;
    await r.step();
    expect(r.commands.at(-1)!.reason).toBe('ok');
  });

  it('clamps targets outside the joint limits and never commands past them', async () => {
    const r = await armRig(model);
    const raw = rawFor(ARM.home);
    raw[0] = 5; // shoulder_pan decodes to 13 rad, far beyond its 2.6 rad limit
    raw[4] = -7; // wrist_roll below -2.8
    r.forceRaw = raw;
    r.pilot.start();
    await r.steps(300);
    const last = r.commands.at(-1)!.positions;
    expect(last[0]).toBe(ARM.limits[0]!.upper);
    expect(last[4]).toBe(ARM.limits[4]!.lower);
    expect(Math.max(...r.commands.map((c) => c.positions[0]!))).toBeLessThanOrEqual(ARM.limits[0]!.upper);
    expect(r.pilot.safety.counters.clamped).toBeGreaterThanOrEqual(2 * 300);
    expectWithinLimits(r.commands, ARM.home);
  });

  it('holds (and counts) a target whose tool point leaves the workspace box', async () => {
    const r = await armRig(model);
    const chain = ARM.createChain();
    const below = Float64Array.from(ARM.home);
    below[1] = 1.6; // shoulder_lift forward: the tool point goes under the table top
    chain.solve(below);
    expect(chain.toolPosition()[2]).toBeLessThan(ARM.workspace.min[2]); // precondition of this test
    r.pilot.start();
    await r.steps(3);
    const before = Float64Array.from(r.commands.at(-1)!.positions);
    r.forceRaw = rawFor(below);
    await r.steps(5);
    expect(r.commands.slice(-5).map((c) => c.reason)).toEqual(Array(5).fill('workspace'));
    expect(Array.from(r.commands.at(-1)!.positions)).toEqual(Array.from(before));
    expect(r.pilot.safety.counters.byReason.workspace).toBe(5);
    expect(r.pilot.workspace!.lastOutsidePoint[2]).toBeLessThan(ARM.workspace.min[2]);
    // A target inside again moves on.
    r.forceRaw = rawFor(ARM.home);
    await r.step();
    expect(r.commands.at(-1)!.reason).toBe('ok');
  });

  it('holds the last measured position when the joint states go stale, and on e-stop', async () => {
    const r = await armRig(model, { arm: { joint_states: { topic: '/joint_states', max_age_ms: 50 } } });
    const goal = Float64Array.from(ARM.home);
    goal[0] = 1.5;
    r.forceRaw = rawFor(goal);
    r.pilot.start();
    await r.steps(20);
    r.follow = false;
    const lastMeasured = Float64Array.from(r.sent);
    await r.steps(7, { joints: null }); // 70 ms > 50 ms
    const last = r.commands.at(-1)!;
    expect(last.reason).toBe('stale_input');
    expect(Array.from(last.positions)).toEqual(Array.from(lastMeasured));
    expect(r.pilot.safety.counters.byReason.stale_input).toBeGreaterThan(0);

    r.follow = true;
    await r.steps(3);
    expect(r.commands.at(-1)!.reason).toBe('ok');
    const estop = r.transport.advertise<{ data: boolean }>('/pilot/estop', 'std_msgs/msg/Bool');
    estop.publish({ data: true });
    r.follow = false;
    await r.step();
    const measured = Float64Array.from(r.sent);
    expect(r.commands.at(-1)!.reason).toBe('estop');
    expect(Array.from(r.commands.at(-1)!.positions)).toEqual(Array.from(measured));
    estop.publish({ data: false });
    r.follow = true;
    await r.step();
    expect(r.commands.at(-1)!.reason).toBe('ok');
    // After a hold the arm starts again from rest: one period of acceleration at most.
    const step = r.commands.at(-1)!.positions[0]! - measured[0]!;
    expect(Math.abs(step)).toBeLessThanOrEqual(ARM.limits[0]!.maxAcceleration * DT_S * DT_S + 1e-12);
  });

  it('publishes std_msgs/Float64MultiArray in joint order for a forward position controller', async () => {
    const r = await armRig(model, { outputs: { command: { topic: '/forward_position_controller/commands', type: 'float64_multi_array' } } });
    r.pilot.start();
    await r.steps(5);
    expect(r.commands).toHaveLength(5);
    expect(r.commands.every((c) => c.reason === 'ok' && c.positions.length === JOINTS.length)).toBe(true);
    expectWithinLimits(r.commands, ARM.home);
  });

  it('publishes an arm status in the diagnostics', async () => {
    const r = await armRig(model);
    const diags: DiagnosticArray[] = [];
    r.transport.subscribe<DiagnosticArray>('/diagnostics', 'diagnostic_msgs/msg/DiagnosticArray', (m) => diags.push(m));
    r.pilot.start();
    await r.steps(101);
    const arm = diags[0]!.status.find((s) => s.name === 'pilot: arm')!;
    expect(arm).toBeDefined();
    const kv = Object.fromEntries(arm.values.map((v) => [v.key, v.value]));
    expect(kv).toMatchObject({ joints: JOINTS.join(', '), joint_states_topic: '/joint_states', joint_states_rejected: '0', workspace_check: 'on', workspace_held: '0', commands_withheld: '1' });
    expect(kv.measured_rad!.split(', ')).toHaveLength(5);
    const safety = diags[0]!.status.find((s) => s.name === 'pilot: safety')!;
    expect(safety.values.some((v) => v.key === 'ticks_workspace')).toBe(true);
  });

  it('runs from launch/arm.yaml (arm camera calibration, 20 Hz, joint trajectory out)', async () => {
    const config = loadConfig('launch/arm.yaml');
    config.model.path = model;
    config.model.warmup_runs = 1;
    config.transport.kind = 'inprocess';
    const clock = new ManualClock();
    const transport = new InProcessTransport();
    const pilot = await Pilot.create(config, { transport, clock, log: () => {} });
    try {
      const got: JointTrajectory[] = [];
      transport.subscribe<JointTrajectory>('/arm_controller/joint_trajectory', 'trajectory_msgs/msg/JointTrajectory', (m) => got.push(structuredClone(m)));
      const joints = transport.advertise('/joint_states', 'sensor_msgs/msg/JointState');
      const camera = transport.advertise('/arm_camera/image_raw', 'sensor_msgs/msg/Image');
      pilot.start();
      for (let t = 0; t <= 100; t += 50) {
        joints.publish(jointState(JOINTS, ARM.home));
        camera.publish(cameraFrame(90, 160, 120));
        clock.advanceTo(t);
        await pilot.loop.whenIdle();
      }
      expect(got).toHaveLength(3);
      expect(got[0]!.points[0]!.time_from_start).toEqual({ sec: 0, nanosec: 50_000_000 });
      expect(pilot.camera.rejected).toBe(0);
    } finally {
      await pilot.dispose();
      await transport.close();
    }
  });

  it('on stop, leaves the arm holding its last measured position', async () => {
    const r = await armRig(model);
    r.pilot.start();
    await r.steps(10);
    const measured = Float64Array.from(r.sent);
    await r.pilot.stop();
    expect(r.commands.at(-1)!.reason).toBe('shutdown');
    expect(Array.from(r.commands.at(-1)!.positions)).toEqual(Array.from(measured));
  });
});

describe('arm profile: a model that does not fit the arm is refused at start', () => {
  const refuse = async (path: string, overrides = {}) => {
    const c = armConfig(path, overrides);
    return Pilot.create(c, { transport: new InProcessTransport(), clock: new ManualClock(), log: () => {} });
  };

  it.each([
    ['outputs in another order', { outputs: [...defaultOutputs()].reverse() }, /output 'action' fields \[wrist_roll, .*\] do not match the arm's joints \[shoulder_pan, shoulder_lift, elbow, wrist_pitch, wrist_roll\] .*arm.yaml\): same joints in a different order/],
    ['a joint missing', { outputs: defaultOutputs().slice(0, 4) }, /do not match the arm's joints .*: missing wrist_roll/],
    ['a joint the arm lacks', { outputs: [...defaultOutputs().slice(0, 4), { name: 'gripper', unit: 'rad', scale: 1, offset: 0 }] }, /missing wrist_roll; not joints of the arm: gripper/],
    ['degrees', { outputs: defaultOutputs().map((f) => ({ ...f, unit: 'deg' })) }, /field 'shoulder_pan' has unit 'deg', the revolute joint takes 'rad'/],
    ['state fields that are not the joints', { stateFields: ['shoulder_pan', 'elbow'] }, /state input 'joint_state' fields \[shoulder_pan, elbow\] do not match the arm's joints .*: missing shoulder_lift, wrist_pitch, wrist_roll/],
  ])('%s', async (_what, options, message) => {
    await expect(refuse(writeArmTestModel(options))).rejects.toThrow(message);
    await expect(refuse(writeArmTestModel(options))).rejects.toThrow(/^E_MODEL_CONTRACT: arm-test \(/);
  });

  it('an arm model without the arm: section, and a vehicle model with one', async () => {
    await expect(refuse(writeArmTestModel(), { arm: undefined })).rejects.toThrow(/profile 'arm' needs the config's arm: section/);
    const c = armConfig('models/pilotnet-test.onnx', { inputs: {}, outputs: {} });
    await expect(Pilot.create(c, { transport: new InProcessTransport(), clock: new ManualClock(), log: () => {} })).rejects.toThrow(
      /profile 'vehicle' cannot run with the config's arm: section/,
    );
  });

  it('an arm model with a vehicle command type', async () => {
    await expect(refuse(writeArmTestModel(), { outputs: { command: { topic: '/cmd', type: 'ackermann' } } })).rejects.toThrow(/profile 'arm' cannot drive command type 'ackermann'/);
  });

  it('a fixed stop value for a joint', async () => {
    await expect(refuse(writeArmTestModel(), { safety: { stop: { elbow: 0 } } })).rejects.toThrow(/E_CONFIG: safety.stop.elbow: an arm holds its measured position on stop/);
  });

  it('a camera-only arm model runs (joint states still feed the safety layer)', async () => {
    const r = await armRig(writeArmTestModel({ stateFields: [] }));
    r.forceRaw = rawFor(ARM.home); // its random target may lie outside the workspace
    r.pilot.start();
    await r.steps(3);
    expect(r.commands.map((c) => c.reason)).toEqual(['ok', 'ok', 'ok']);
  });
});

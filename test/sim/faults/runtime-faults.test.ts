/**
 * The robot-wide simulator faults against the real runtime, with what the actuator receives checked
 * command by command. No renderer and no physics: the simulator's sensor bridge (where the faults are
 * injected) publishes synthetic camera frames and /clock on an in-process transport; the runtime runs
 * the launch/drive.yaml model on a RosTimeClock fed by that /clock (as `pilot node` with use_sim_time
 * would), so a clock jump reaches it; the simulator's CommandListener is the actuator. Each step waits
 * for the tick to finish, so nothing depends on how fast this machine is.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/core/config/load.js';
import { makeHeader, makeImage } from '../../../src/core/messages/factories.js';
import { timeFromMs } from '../../../src/core/messages/time.js';
import type { AckermannDriveStamped, Image } from '../../../src/core/messages/types.js';
import { PolicySession } from '../../../src/runtime/policy/policy-session.js';
import { RosTimeClock } from '../../../src/ros2/ros-clock.js';
import { Pilot } from '../../../src/runtime/pilot.js';
import { InProcessTransport } from '../../../src/transport/in-process.js';
import { CommandListener } from '../../../sim/bridge/command-listener.js';
import { SensorPublisher } from '../../../sim/bridge/sensor-publisher.js';
import { parseFaultConfig } from '../../../sim/faults/config.js';
import { FaultInjector } from '../../../sim/faults/fault-injector.js';
import { NanPolicy } from '../../../sim/faults/nan-policy.js';

const PERIOD_MS = 50; // launch/drive.yaml: 20 Hz
const WIDTH = 320;
const HEIGHT = 240;

interface Received {
  /** True sim time of the step the command arrived in. */
  tMs: number;
  steering: number;
  speed: number;
  reason: string;
}

interface Rig {
  pilot: Pilot;
  clock: RosTimeClock;
  faults: FaultInjector;
  received: Received[];
  actuator: CommandListener;
  /** The runtime's camera tensor after each step (a copy), by step. */
  cameraTensors: Float32Array[];
  run(steps: number): Promise<void>;
  close(): Promise<void>;
}

const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.close();
});

/** A frame whose content changes every step (a moving scene). */
function frame(k: number, tMs: number): Image {
  const data = new Uint8Array(WIDTH * HEIGHT * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + k * 29) & 0xff;
  return makeImage({ header: makeHeader({ stamp: timeFromMs(tMs), frame_id: 'camera' }), width: WIDTH, height: HEIGHT, encoding: 'rgb8', step: WIDTH * 3, data });
}

async function rig(faultsYaml: unknown): Promise<Rig> {
  const file = loadConfig('launch/drive.yaml');
  const config = { ...file, model: { ...file.model, warmup_runs: 1 }, transport: { ...file.transport, kind: 'inprocess' as const } };
  const transport = new InProcessTransport();
  const faults = new FaultInjector(parseFaultConfig(faultsYaml, 'test'), 1);
  const sensors = new SensorPublisher(transport, { camera: '/camera/image_raw', imu: '/imu', odom: '/odom', clock: '/clock' }, faults);
  const clock = new RosTimeClock(transport);
  let trueMs = 0;
  const policy = new NanPolicy(await PolicySession.create({ model: config.model, log: () => {} }), () => faults.policyNaN(trueMs));
  const pilot = await Pilot.create(config, { transport, clock, policy, log: () => {} });
  const actuator = new CommandListener(transport, '/cmd/ackermann', 'ackermann', 0.26);
  const received: Received[] = [];
  transport.subscribe<AckermannDriveStamped>('/cmd/ackermann', 'ackermann_msgs/msg/AckermannDriveStamped', (m) =>
    received.push({ tMs: trueMs, steering: m.drive.steering_angle, speed: m.drive.speed, reason: pilot.safety.lastReason }),
  );
  const camera = config.inputs.camera.topic;
  const cameraInput = pilot.policy.contract.inputs.find((i) => i.role === 'camera')!.name;
  const cameraTensors: Float32Array[] = [];
  pilot.start();
  let k = 0;
  const r: Rig = {
    pilot,
    clock,
    faults,
    received,
    actuator,
    cameraTensors,
    async run(steps) {
      for (let end = k + steps; k < end; k++) {
        trueMs = k * PERIOD_MS;
        sensors.camera(frame(k, trueMs), trueMs);
        sensors.publishClock(trueMs);
        await pilot.loop.whenIdle();
        cameraTensors.push(Float32Array.from(pilot.policy.inputs.get(cameraInput)!));
      }
    },
    async close() {
      actuator.close();
      sensors.close();
      await pilot.dispose();
      clock.close();
      await transport.close();
    },
  };
  expect(camera).toBe('/camera/image_raw');
  rigs.push(r);
  return r;
}

/** Every command the actuator received is finite and within the runtime's safety limits. */
function expectAllSafe(r: Rig): void {
  const steering = r.pilot.safety.limitsOf('steering_angle');
  const speed = r.pilot.safety.limitsOf('speed');
  expect(r.received.length).toBeGreaterThan(0);
  for (const c of r.received) {
    expect(Number.isFinite(c.steering) && Number.isFinite(c.speed), JSON.stringify(c)).toBe(true);
    expect(c.steering, JSON.stringify(c)).toBeGreaterThanOrEqual(steering.min);
    expect(c.steering, JSON.stringify(c)).toBeLessThanOrEqual(steering.max);
    expect(c.speed, JSON.stringify(c)).toBeGreaterThanOrEqual(speed.min);
    expect(c.speed, JSON.stringify(c)).toBeLessThanOrEqual(speed.max);
  }
  expect(r.actuator.rejected).toBe(0);
}

const during = (r: Rig, fromMs: number, toMs: number): Received[] => r.received.filter((c) => c.tMs >= fromMs && c.tMs < toMs);

describe('nan_policy against the runtime', () => {
  it('holds the last safe command for max_consecutive_misses ticks, then stops, and recovers after the window', async () => {
    const r = await rig({ nan_policy: [{ start_s: 1, duration_s: 0.5 }] });
    await r.run(40);
    expectAllSafe(r);
    const window = during(r, 1000, 1500);
    expect(window.map((c) => c.reason)).toEqual(Array(10).fill('nonfinite'));
    expect(r.faults.robot.policyNanRuns).toBe(10);
    const lastOk = during(r, 0, 1000).at(-1)!;
    expect(lastOk.reason).toBe('ok');
    // launch/drive.yaml: hold, max_consecutive_misses 3; the vehicle's stop command is speed 0, steering held.
    for (const c of window.slice(0, 3)) expect([c.steering, c.speed]).toEqual([lastOk.steering, lastOk.speed]);
    for (const c of window.slice(3)) expect([c.steering, c.speed]).toEqual([lastOk.steering, 0]);
    expect(during(r, 1500, 2000).every((c) => c.reason === 'ok')).toBe(true);
    expect(r.pilot.safety.counters.byReason.nonfinite).toBe(10);
  });
});

describe('frozen_camera against the runtime', () => {
  it.each(['advancing', 'frozen'] as const)('the runtime gets the same image all window long (%s stamps), and the actuator only safe commands', async (stamps) => {
    const r = await rig({ frozen_camera: [{ start_s: 0.5, duration_s: 1, stamps }] });
    await r.run(40);
    expectAllSafe(r);
    expect(r.faults.robot.cameraFrozenFrames).toBe(20);
    // Steps 10..29 are in the window: the runtime's input never changes there, and does before and after.
    const same = (a: number, b: number): boolean => Buffer.from(r.cameraTensors[a]!.buffer).equals(Buffer.from(r.cameraTensors[b]!.buffer));
    for (let k = 11; k < 30; k++) expect(same(k, 10), `step ${k}`).toBe(true);
    expect(same(9, 10)).toBe(false);
    expect(same(30, 10)).toBe(false);
    // Fresh arrivals: the runtime treats the repeated image as live input (it has no frozen-frame check),
    // so what keeps the robot safe here is only the clamping and slew limiting of the model's commands.
    const reasons = new Set(during(r, 500, 1500).map((c) => c.reason));
    expect([...reasons].every((x) => x === 'ok' || x === 'stale_input')).toBe(true);
  });
});

describe('clock_jump against a runtime on /clock', () => {
  it('a forward jump costs one held tick (its result comes after the deadline), then it drives on', async () => {
    const r = await rig({ clock_jump: [{ at_s: 1, offset_s: 2 }] });
    await r.run(40);
    expectAllSafe(r);
    expect(r.faults.robot.clockJumps).toBe(1);
    const atJump = during(r, 1000, 1050);
    expect(atJump.map((c) => c.reason)).toEqual(['deadline_miss']);
    expect(r.pilot.loop.stats.skippedCycles).toBeGreaterThanOrEqual(39);
    expect(during(r, 1050, 2000).every((c) => c.reason === 'ok')).toBe(true);
  });

  it('a backward jump freezes the runtime (no commands: the vehicle failsafe brakes) until /clock catches up', async () => {
    const r = await rig({ clock_jump: [{ at_s: 1, offset_s: -0.5 }] });
    await r.run(40);
    expectAllSafe(r);
    // /clock reads 0.5..0.95 s again during 1.0..1.45 s of true time: all but the last behind the 0.95 s it had reached.
    expect(r.clock.jumpsBack).toBe(9);
    expect(during(r, 1000, 1500)).toEqual([]);
    expect(during(r, 1500, 2000).length).toBe(10);
    expect(during(r, 1500, 2000).every((c) => c.reason === 'ok')).toBe(true);
  });
});

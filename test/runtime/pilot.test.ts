import { PNG } from 'pngjs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/core/config/load.js';
import type { PilotConfigInput } from '../../src/core/config/schema.js';
import { ManualClock } from '../../src/runtime/loop/clock.js';
import { makeHeader, makeImage } from '../../src/core/messages/factories.js';
import type { AckermannDriveStamped, DiagnosticArray, Image } from '../../src/core/messages/types.js';
import { Pilot } from '../../src/runtime/pilot.js';
import { TICK_TIMELINE_TYPE, type TickTimelineMessage } from '../../src/core/messages/tick-timeline.js';
import { InProcessTransport } from '../../src/transport/in-process.js';

const PERIOD_MS = 10;

function config(overrides: Partial<PilotConfigInput> = {}) {
  return parseConfig(
    {
      model: { path: 'models/pilotnet-test.onnx', warmup_runs: 2 },
      transport: { kind: 'inprocess' },
      loop: { rate_hz: 1000 / PERIOD_MS, deadline_ms: 8 },
      ...overrides,
    },
    'test',
    process.cwd(),
  );
}

function cameraFrame(width = 320, height = 240, value = 90): Image {
  return makeImage({ header: makeHeader({ frame_id: 'camera' }), height, width, encoding: 'rgb8', step: width * 3, data: new Uint8Array(width * height * 3).fill(value) });
}

interface Rig {
  pilot: Pilot;
  clock: ManualClock;
  transport: InProcessTransport;
  commands: { steering: number; speed: number; reason: string }[];
  /** Advance one period with a fresh frame, and wait for the tick to finish. */
  step(frame?: Image | null): Promise<void>;
}

const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) {
    await r.pilot.dispose();
    await r.transport.close();
  }
});

async function rig(overrides: Partial<PilotConfigInput> = {}): Promise<Rig> {
  const clock = new ManualClock({ epochMs: 1_700_000_000_000 });
  const transport = new InProcessTransport();
  const pilot = await Pilot.create(config(overrides), { transport, clock, log: () => {} });
  const commands: Rig['commands'] = [];
  transport.subscribe<AckermannDriveStamped>('/cmd/ackermann', 'ackermann_msgs/msg/AckermannDriveStamped', (m) =>
    commands.push({ steering: m.drive.steering_angle, speed: m.drive.speed, reason: pilot.safety.lastReason }),
  );
  const camera = transport.advertise<Image>('/camera/image_raw', 'sensor_msgs/msg/Image');
  let target = -PERIOD_MS;
  const r: Rig = {
    pilot,
    clock,
    transport,
    commands,
    async step(frame = cameraFrame()) {
      if (frame) camera.publish(frame);
      // Ticks are due at k·period from start (t = 0); a slow tick may have moved time past one.
      target = Math.max(target + PERIOD_MS, Math.ceil(clock.now() / PERIOD_MS) * PERIOD_MS);
      clock.advanceTo(target);
      await pilot.loop.whenIdle();
    },
  };
  rigs.push(r);
  return r;
}

describe('Pilot end to end on the in-process transport and a manual clock', () => {
  it('starts with a stop command, then drives with finite, limited, slew-limited commands', async () => {
    const r = await rig();
    r.pilot.start();
    expect(r.commands[0]).toMatchObject({ speed: 0, reason: 'startup' });
    for (let i = 0; i < 20; i++) await r.step();
    const driven = r.commands.slice(1);
    expect(driven.length).toBeGreaterThanOrEqual(20);
    expect(driven.every((c) => c.reason === 'ok')).toBe(true);
    const v = r.pilot.vehicle!;
    for (const c of driven) {
      expect(Number.isFinite(c.steering) && Number.isFinite(c.speed)).toBe(true);
      expect(Math.abs(c.steering)).toBeLessThanOrEqual(v.max_steering_angle_rad);
      expect(c.speed).toBeGreaterThanOrEqual(0);
    }
    // Steering never moves faster than max_steering_rate × period between commands.
    for (let i = 1; i < driven.length; i++) {
      expect(Math.abs(driven[i]!.steering - driven[i - 1]!.steering)).toBeLessThanOrEqual((v.max_steering_rate_radps * PERIOD_MS) / 1000 + 1e-12);
    }
    expect(r.pilot.timeline.summary('inferenceMs').n).toBeGreaterThanOrEqual(20);
  });

  it('stops when the camera goes stale and recovers when frames return', async () => {
    const r = await rig();
    r.pilot.start();
    for (let i = 0; i < 5; i++) await r.step();
    for (let i = 0; i < 15; i++) await r.step(null); // 150 ms without frames > max_age_ms 100
    expect(r.commands.at(-1)).toMatchObject({ speed: 0, reason: 'stale_input' });
    expect(r.pilot.safety.counters.byReason.stale_input).toBeGreaterThan(0);
    await r.step();
    expect(r.commands.at(-1)!.reason).toBe('ok');
  });

  it('drops a frame of the wrong size, counts it, and keeps running', async () => {
    const r = await rig();
    r.pilot.start();
    await r.step();
    // 16:9 against the 4:3 calibration: the intrinsics cannot be scaled to it (a 4:3 size would be).
    await r.step(cameraFrame(640, 360));
    expect(r.pilot.camera.rejected).toBe(1);
    expect(r.pilot.camera.lastRejection).toMatch(/image 640x360 but calibration says 320x240 .*aspect ratio 1\.778 vs 1\.333/);
    expect(r.commands.at(-1)!.reason).toBe('bad_input');
    await r.step();
    expect(r.commands.at(-1)!.reason).toBe('ok');
  });

  it('latches the e-stop from its topic until released', async () => {
    const r = await rig();
    r.pilot.start();
    await r.step();
    const estop = r.transport.advertise<{ data: boolean }>('/pilot/estop', 'std_msgs/msg/Bool');
    estop.publish({ data: true });
    await r.step();
    await r.step();
    expect(r.commands.at(-1)).toMatchObject({ speed: 0, reason: 'estop' });
    estop.publish({ data: false });
    await r.step();
    expect(r.commands.at(-1)!.reason).toBe('ok');
  });

  it('publishes the fallback when inference misses the deadline, drops the late result, and skips the missed cycle', async () => {
    const r = await rig();
    const run = r.pilot.policy.run.bind(r.pilot.policy);
    let slow = false;
    r.pilot.policy.run = async () => {
      await run();
      if (slow) r.clock.advanceBy(12); // inference takes 12 ms > 8 ms deadline
    };
    r.pilot.start();
    await r.step();
    await r.step();
    const before = r.commands.at(-1)!;
    slow = true;
    await r.step();
    slow = false;
    expect(r.pilot.counters.lateResults).toBe(1);
    expect(r.commands.at(-1)).toMatchObject({ reason: 'deadline_miss', speed: before.speed, steering: before.steering });
    expect(r.pilot.loop.stats.skippedCycles).toBe(1);
    await r.step();
    expect(r.commands.at(-1)!.reason).toBe('ok');
  });

  it('never publishes NaN when the model outputs NaN', async () => {
    const r = await rig();
    const run = r.pilot.policy.run.bind(r.pilot.policy);
    r.pilot.policy.run = async () => {
      await run();
      r.pilot.policy.output.fill(NaN);
    };
    r.pilot.start();
    for (let i = 0; i < 3; i++) await r.step();
    expect(r.commands.every((c) => Number.isFinite(c.speed) && Number.isFinite(c.steering))).toBe(true);
    expect(r.pilot.safety.counters.byReason.nonfinite).toBe(3);
  });

  it('publishes diagnostics at 1 Hz with the loop, policy, input and safety status', async () => {
    const r = await rig();
    const diags: DiagnosticArray[] = [];
    r.transport.subscribe<DiagnosticArray>('/diagnostics', 'diagnostic_msgs/msg/DiagnosticArray', (m) => diags.push(m));
    r.pilot.start();
    for (let i = 0; i < 101; i++) await r.step(); // t = 0 … 1000 ms
    expect(diags).toHaveLength(1);
    const byName = new Map(diags[0]!.status.map((s) => [s.name, s]));
    expect([...byName.keys()]).toEqual(['pilot: control loop', 'pilot: policy', 'pilot: inputs', 'pilot: safety']);
    const kv = (name: string, key: string) => byName.get(name)!.values.find((v) => v.key === key)?.value;
    expect(Number(kv('pilot: control loop', 'rate_hz'))).toBeCloseTo(100, -1);
    expect(kv('pilot: policy', 'execution_provider')).toBe('cpu');
    expect(kv('pilot: policy', 'model_id')).toBe(r.pilot.policy.contract.id);
  });
});

describe('Pilot with inference on a worker thread', () => {
  const worker = { model: { path: 'models/pilotnet-test.onnx', warmup_runs: 2, inference_thread: 'worker' as const } };

  it('drives with the same results as on the main thread', async () => {
    const main = await rig();
    const threaded = await rig(worker);
    expect(threaded.pilot.policy.providerSummary).toBe('cpu on a worker thread');
    main.pilot.start();
    threaded.pilot.start();
    for (let i = 0; i < 5; i++) {
      const frame = cameraFrame(320, 240, 40 + i * 30);
      await main.step(frame);
      await threaded.step(frame);
    }
    expect(threaded.commands.map((c) => c.reason)).toEqual(main.commands.map((c) => c.reason));
    for (let i = 0; i < main.commands.length; i++) {
      expect(threaded.commands[i]!.steering).toBeCloseTo(main.commands[i]!.steering, 6);
      expect(threaded.commands[i]!.speed).toBeCloseTo(main.commands[i]!.speed, 6);
    }
  });

  it('publishes the fallback at the deadline while inference is still running, then drops the late result', async () => {
    const r = await rig(worker);
    r.pilot.start();
    await r.step();
    const before = r.commands.at(-1)!;
    const published = r.commands.length;
    // Start the next tick and move time past its 8 ms deadline before the worker can answer.
    r.clock.advanceTo(10);
    expect(r.commands.length).toBe(published);
    r.clock.advanceTo(18);
    await new Promise((resolve) => setImmediate(resolve)); // the tick resumes after the deadline decided the race
    expect(r.commands.length).toBe(published + 1); // the fallback went out at the deadline
    expect(r.commands.at(-1)).toMatchObject({ reason: 'deadline_miss', speed: before.speed, steering: before.steering });
    await r.pilot.loop.whenIdle(); // the late inference finishes; its result is dropped
    expect(r.pilot.counters.lateResults).toBe(1);
    expect(r.commands.length).toBe(published + 1);
    await r.step(); // t = 20
    expect(r.commands.at(-1)!.reason).toBe('ok');
  });
});

describe('Pilot with a CompressedImage camera', () => {
  it('decodes PNG frames, and falls back on undecodable ones without stopping the loop', async () => {
    const clock = new ManualClock();
    const transport = new InProcessTransport();
    const pilot = await Pilot.create(config({ inputs: { camera: { topic: '/camera/image_raw/compressed', type: 'compressed' } } }), {
      transport,
      clock,
      log: () => {},
    });
    rigs.push({ pilot, transport } as Rig);
    const png = new PNG({ width: 320, height: 240 });
    png.data.fill(120);
    const good = { header: { stamp: { sec: 0, nanosec: 0 }, frame_id: 'camera' }, format: 'png', data: new Uint8Array(PNG.sync.write(png)) };
    const bad = { ...good, format: 'jpeg', data: new Uint8Array([0xff, 0xd8, 0xff, 1, 2, 3]) };
    const pub = transport.advertise<typeof good>('/camera/image_raw/compressed', 'sensor_msgs/msg/CompressedImage');
    pilot.start();
    const reasons: string[] = [];
    for (const [t, frame] of [[0, good], [10, bad], [20, good]] as const) {
      pub.publish(frame);
      clock.advanceTo(t);
      await pilot.loop.whenIdle();
      reasons.push(pilot.safety.lastReason);
    }
    expect(reasons).toEqual(['ok', 'bad_input', 'ok']);
    expect(pilot.camera.rejected).toBe(1);
    expect(pilot.camera.lastRejection).toMatch(/jpeg decode failed/);
  });
});

describe('Pilot refuses a bad deployment at start', () => {
  it('names a missing model file', async () => {
    await expect(Pilot.create(config({ model: { path: 'models/nope.onnx' } }), { transport: new InProcessTransport(), clock: new ManualClock() })).rejects.toThrow(
      /E_MODEL_FILE: cannot read model .*nope.onnx: ENOENT/,
    );
  });

  it('names a state field the model does not take', async () => {
    const c = config({ inputs: { state: [{ field: 'speed_mps', topic: '/odom', type: 'nav_msgs/msg/Odometry', path: 'twist.twist.linear.x' }] } });
    await expect(Pilot.create(c, { transport: new InProcessTransport(), clock: new ManualClock(), log: () => {} })).rejects.toThrow(
      /config inputs.state field 'speed_mps' is not an input of the model/,
    );
  });

  it('refuses an arm command type for a vehicle model', async () => {
    const c = config({ outputs: { command: { topic: '/cmd', type: 'joint_trajectory' } } });
    await expect(Pilot.create(c, { transport: new InProcessTransport(), clock: new ManualClock(), log: () => {} })).rejects.toThrow(
      /profile 'vehicle' cannot drive command type 'joint_trajectory'/,
    );
  });

  it('falls back from an unavailable GPU provider to CPU with a one-line reason', async () => {
    const lines: string[] = [];
    const c = config({ model: { path: 'models/pilotnet-test.onnx', providers: ['cuda', 'cpu'], warmup_runs: 1 } });
    const transport = new InProcessTransport();
    const pilot = await Pilot.create(c, { transport, clock: new ManualClock(), log: (l) => lines.push(l) });
    rigs.push({ pilot, transport } as Rig);
    expect(pilot.policy.activeProvider).toBe('cpu');
    expect(pilot.policy.attempts[0]).toMatchObject({ provider: 'cuda', ok: false });
    // One line for the skipped provider, then the start-up headline naming the one that runs.
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/execution provider 'cuda' unavailable/);
    expect(lines[0]).not.toContain('\n');
    expect(lines[1]).toMatch(/pilotnet-test.onnx runs on cpu: first inference [\d.]+ ms/);
  });
});

describe('Pilot timeline output (black box)', () => {
  it('publishes one TickTimeline per tick with the stage times and the safety reason, when enabled', async () => {
    const r = await rig({ outputs: { timeline: { topic: '/pilot/timeline', enabled: true } } });
    const got: TickTimelineMessage[] = [];
    r.transport.subscribe<TickTimelineMessage>('/pilot/timeline', TICK_TIMELINE_TYPE, (m) => got.push({ ...m, stamp: { ...m.stamp } }));
    r.pilot.start();
    await r.step(null); // no frame yet: stale input
    await r.step();
    await r.step();
    expect(got.map((m) => m.reason)).toEqual(['stale_input', 'ok', 'ok']);
    expect(Number.isFinite(got[1]!.inference_ms)).toBe(true); // measured on the clock: 0 on a ManualClock
    expect(Number.isNaN(got[0]!.inference_ms)).toBe(true); // no inference on a stale tick
    expect(got[2]!.stamp.sec * 1000 + got[2]!.stamp.nanosec / 1e6 - (got[1]!.stamp.sec * 1000 + got[1]!.stamp.nanosec / 1e6)).toBeCloseTo(PERIOD_MS, 6);
  });

  it('publishes nothing on the timeline topic by default', async () => {
    const r = await rig();
    let n = 0;
    r.transport.subscribe('/pilot/timeline', TICK_TIMELINE_TYPE, () => n++);
    r.pilot.start();
    await r.step();
    await r.step();
    expect(r.commands.length).toBeGreaterThan(1);
    expect(n).toBe(0);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { CHUNKED_TEST_OPTIONS } from '../../../scripts/build-test-models.js';
import { parseConfig } from '../../../src/core/config/load.js';
import type { PilotConfigInput } from '../../../src/core/config/schema.js';
import { buildChunkedPolicy } from '../../../src/learning/export/chunked-policy.js';
import { ManualClock } from '../../../src/runtime/loop/clock.js';
import { makeHeader, makeImage } from '../../../src/core/messages/factories.js';
import type { AckermannDriveStamped, DiagnosticArray, Image } from '../../../src/core/messages/types.js';
import type { ModelContract } from '../../../src/runtime/policy/contract.js';
import type { Policy } from '../../../src/runtime/policy/policy-session.js';
import type { ProviderStartup } from '../../../src/runtime/policy/providers.js';
import { Pilot } from '../../../src/runtime/pilot.js';
import { InProcessTransport } from '../../../src/transport/in-process.js';

const PERIOD_MS = 10;
const STEPS = 20; // × 10 ms: a 200 ms horizon, refill below 100 ms by default

/** A policy whose runs finish when the test says so, with the chunk the test gives. */
class ControlledPolicy implements Policy {
  readonly concurrent = true;
  readonly modelPath = 'controlled.onnx';
  readonly activeProvider = 'cpu' as const;
  readonly attempts = [];
  readonly providerSummary = 'controlled';
  readonly startup = { active: 'cpu', attempts: [], notes: [] } as unknown as ProviderStartup;
  readonly inputs: Map<string, Float32Array>;
  readonly output = new Float32Array(STEPS * 2);
  readonly pending: { resolve: () => void; reject: (err: Error) => void }[] = [];
  runs = 0;

  constructor(readonly contract: ModelContract) {
    this.inputs = new Map([['image', new Float32Array(3 * 24 * 32)]]);
  }

  run(): Promise<void> {
    this.runs++;
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }

  /** Finish the run in flight with steering_raw[i] = steeringBase + 0.01·i and speed_raw = speedRaw. */
  async finish(steeringBase = 0, speedRaw = -0.9, value?: number): Promise<void> {
    for (let i = 0; i < STEPS; i++) {
      this.output[2 * i] = value ?? steeringBase + 0.01 * i;
      this.output[2 * i + 1] = value ?? speedRaw;
    }
    this.pending.shift()!.resolve();
    await new Promise((r) => setImmediate(r));
  }

  async fail(message: string): Promise<void> {
    this.pending.shift()!.reject(new Error(message));
    await new Promise((r) => setImmediate(r));
  }

  async dispose(): Promise<void> {}
}

const contract = buildChunkedPolicy({ steps: STEPS, stepMs: 10, height: 24, width: 32 }).contract;

function frame(value = 90): Image {
  return makeImage({ header: makeHeader({ frame_id: 'camera' }), height: 240, width: 320, encoding: 'rgb8', step: 960, data: new Uint8Array(320 * 240 * 3).fill(value) });
}

interface Rig {
  pilot: Pilot;
  clock: ManualClock;
  transport: InProcessTransport;
  commands: { steering: number; speed: number; reason: string; t: number }[];
  camera: { publish(m: Image): void };
  /** Publish a frame now (optional), then run the tick due at `t`. */
  tickAt(t: number, withFrame?: boolean): Promise<void>;
}

const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) {
    await r.pilot.dispose();
    await r.transport.close();
  }
});

async function rig(policy: Policy | undefined, overrides: Partial<PilotConfigInput> = {}): Promise<Rig> {
  const config = parseConfig(
    { model: { path: 'models/chunked-test.onnx', warmup_runs: 1 }, transport: { kind: 'inprocess' }, loop: { rate_hz: 100, deadline_ms: 8 }, ...overrides },
    'test',
    process.cwd(),
  );
  const clock = new ManualClock({ epochMs: 1_700_000_000_000 });
  const transport = new InProcessTransport();
  const pilot = await Pilot.create(config, { transport, clock, log: () => {}, ...(policy ? { policy } : {}) });
  const commands: Rig['commands'] = [];
  transport.subscribe<AckermannDriveStamped>('/cmd/ackermann', 'ackermann_msgs/msg/AckermannDriveStamped', (m) =>
    commands.push({ steering: m.drive.steering_angle, speed: m.drive.speed, reason: pilot.safety.lastReason, t: clock.now() }),
  );
  const camera = transport.advertise<Image>('/camera/image_raw', 'sensor_msgs/msg/Image');
  const r: Rig = {
    pilot,
    clock,
    transport,
    commands,
    camera,
    async tickAt(t, withFrame = true) {
      if (withFrame) camera.publish(frame());
      clock.advanceTo(t);
      await pilot.loop.whenIdle();
    },
  };
  rigs.push(r);
  return r;
}

describe('chunked policy in the loop: the action queue', () => {
  it('publishes the action for now, time-indexed from the observation, while the next chunk computes', async () => {
    const policy = new ControlledPolicy(contract);
    const r = await rig(policy);
    expect(r.pilot.chunks).toBeDefined();
    r.pilot.start();
    await r.tickAt(0); // frame observed at t = 0; inference starts
    expect(policy.runs).toBe(1);
    await r.tickAt(10);
    await r.tickAt(20);
    expect(policy.runs).toBe(1); // one in flight at most
    expect(r.commands.slice(1).map((c) => c.reason)).toEqual(['startup', 'startup', 'startup']);
    await policy.finish(); // at t = 20: 20 ms "late"
    await r.tickAt(30);
    // Action index 3 of a chunk observed at t = 0: steering = 0.5 rad · (0.01 · 3).
    expect(r.commands.at(-1)).toMatchObject({ reason: 'ok' });
    expect(r.commands.at(-1)!.steering).toBeCloseTo(0.015, 6);
    expect(r.pilot.chunks!.windows.chunkAgeMs.maxEver).toBe(30);
    await r.tickAt(40);
    expect(r.commands.at(-1)!.steering).toBeCloseTo(0.02, 6);
    expect(r.pilot.counters.lateResults).toBe(0);
  });

  it("takes the observation's time from the frame's header stamp when it is on the loop's clock", async () => {
    const policy = new ControlledPolicy(contract);
    const r = await rig(policy);
    const camera = r.camera;
    r.pilot.start();
    const stamped = frame();
    stamped.header.stamp = { sec: 1_700_000_000, nanosec: 0 }; // epoch + 0 ms
    r.clock.advanceTo(5); // arrives 5 ms after it was taken
    await r.pilot.loop.whenIdle();
    camera.publish(stamped);
    await r.tickAt(10, false);
    await policy.finish();
    await r.tickAt(20, false);
    await r.tickAt(30, false);
    // Observed at t = 0 (its stamp), not 5 (its arrival): at t = 30 the action is index 3.
    expect(r.commands.at(-1)!.steering).toBeCloseTo(0.015, 6);
    expect(r.pilot.chunks!.windows.chunkAgeMs.maxEver).toBe(30);
  });

  it('starts the next inference when the remaining horizon falls below the threshold, on the newest frame', async () => {
    const policy = new ControlledPolicy(contract);
    const r = await rig(policy);
    r.pilot.start();
    await r.tickAt(0);
    await policy.finish();
    for (let t = 10; t <= 100; t += 10) await r.tickAt(t); // 200 − 100 = 100 ms left: not below 100
    expect(policy.runs).toBe(1);
    await r.tickAt(110); // 90 ms left: the next inference starts on the frame of t = 110
    expect(policy.runs).toBe(2);
    await policy.finish(1); // steering_raw[i] = 1 + 0.01·i from t0 = 110
    await r.tickAt(120);
    // Blended (ACT weights, k = 0.01): old chunk index 12 (0.12), new chunk index 1 (1.01).
    const w = Math.exp(-0.01);
    const expectedRaw = (0.12 + w * 1.01) / (1 + w);
    const c = r.pilot.chunks!;
    expect(c.counters.blendedActions).toBe(1);
    expect(c.counters.freshActions).toBe(11);
    // The safety layer slew-limits steering (3 rad/s): the command moves toward the blended target.
    expect(r.commands.at(-1)!.steering).toBeLessThanOrEqual(0.5 * expectedRaw + 1e-9);
    expect(r.commands.at(-1)!.steering).toBeGreaterThan(r.commands.at(-2)!.steering);
  });

  it('an empty queue is a counted fallback: hold, then stop; a chunk older than its horizon is never executed', async () => {
    const policy = new ControlledPolicy(contract);
    const r = await rig(policy);
    r.pilot.start();
    await r.tickAt(0);
    await policy.finish(0, -0.9); // speed 0.25 m/s
    for (let t = 10; t <= 190; t += 10) await r.tickAt(t);
    expect(policy.runs).toBe(2); // started at t = 110 on the frame of t = 110, still running
    const held = r.commands.at(-1)!;
    expect(held.reason).toBe('ok');
    expect(held.speed).toBeCloseTo(0.25, 6);
    const reasons: string[] = [];
    for (let t = 200; t <= 240; t += 10) {
      await r.tickAt(t);
      reasons.push(r.commands.at(-1)!.reason);
    }
    expect(reasons).toEqual(['deadline_miss', 'deadline_miss', 'deadline_miss', 'deadline_miss', 'deadline_miss']);
    expect(r.commands.at(-4)!.speed).toBeCloseTo(0.25, 6); // held (max_consecutive_misses 3)
    expect(r.commands.at(-1)!.speed).toBe(0); // then stopped
    expect(r.pilot.chunks!.counters.emptyQueueFallbacks).toBe(5);
    // The late chunk (observed at 110, horizon to 310) arrives at 320: refused, never executed.
    for (let t = 250; t <= 320; t += 10) await r.tickAt(t);
    await policy.finish(2);
    expect(r.pilot.chunks!.queue.counters.expiredOnArrival).toBe(1);
    await r.tickAt(330);
    expect(r.commands.at(-1)!.reason).toBe('deadline_miss');
    expect(policy.runs).toBe(3); // and a new one started on the newest frame
    await policy.finish(0);
    await r.tickAt(340);
    expect(r.commands.at(-1)!.reason).toBe('ok');
  });

  it('e-stop forgets the queue and drops the chunk in flight', async () => {
    const policy = new ControlledPolicy(contract);
    const r = await rig(policy);
    r.pilot.start();
    await r.tickAt(0);
    await policy.finish();
    for (let t = 10; t <= 110; t += 10) await r.tickAt(t); // second inference in flight
    const estop = r.transport.advertise<{ data: boolean }>('/pilot/estop', 'std_msgs/msg/Bool');
    estop.publish({ data: true });
    await r.tickAt(120);
    expect(r.commands.at(-1)).toMatchObject({ reason: 'estop', speed: 0 });
    await policy.finish(1);
    expect(r.pilot.chunks!.counters.discarded).toBe(1);
    estop.publish({ data: false });
    await r.tickAt(130); // no chunk since the e-stop: stop until a fresh one
    expect(r.commands.at(-1)!.reason).toBe('startup');
    expect(policy.runs).toBe(3);
    await policy.finish(0);
    await r.tickAt(140);
    expect(r.commands.at(-1)!.reason).toBe('ok');
  });

  it('refuses a chunk with a NaN whole, and counts a failed inference; nothing non-finite is published', async () => {
    const policy = new ControlledPolicy(contract);
    const r = await rig(policy);
    r.pilot.start();
    await r.tickAt(0);
    await policy.finish(0, 0, NaN);
    await r.tickAt(10); // this tick's newest frame is still the one observed at t = 0: no new run
    expect(r.pilot.chunks!.counters.nonFiniteChunks).toBe(1);
    expect(policy.runs).toBe(1);
    await r.tickAt(20); // a frame observed at t = 10: the next run
    expect(policy.runs).toBe(2);
    await policy.fail('server went away');
    await r.tickAt(30);
    expect(r.pilot.chunks!.counters.inferenceErrors).toBe(1);
    expect(r.pilot.chunks!.lastError).toBe('server went away');
    expect(r.commands.every((c) => Number.isFinite(c.speed) && Number.isFinite(c.steering))).toBe(true);
    expect(r.commands.slice(1).every((c) => c.reason === 'startup')).toBe(true);
  });

  it('chunking.min_inference_ms: a chunk is used from its due time on the loop clock, waiting for the inference if needed', async () => {
    const policy = new ControlledPolicy(contract);
    const r = await rig(policy, { chunking: { min_inference_ms: 30 } });
    r.pilot.start();
    await r.tickAt(0);
    await policy.finish(); // done at once in wall time, but due at t = 30 on the loop's clock
    await r.tickAt(10);
    await r.tickAt(20);
    expect(r.commands.at(-1)!.reason).toBe('startup');
    await r.tickAt(30);
    expect(r.commands.at(-1)!.reason).toBe('ok');
    expect(r.commands.at(-1)!.steering).toBeCloseTo(0.015, 6); // index 3 of the chunk observed at t = 0
    for (let t = 40; t <= 110; t += 10) await r.tickAt(t); // next inference starts at t = 110 (due 140)
    expect(policy.runs).toBe(2);
    for (let t = 120; t <= 130; t += 10) await r.tickAt(t);
    // At t = 140 the inference is due but not done: the tick waits for it.
    setTimeout(() => void policy.finish(1), 30);
    await r.tickAt(140);
    expect(r.pilot.chunks!.counters.chunksQueued).toBe(2);
    expect(r.pilot.chunks!.counters.blendedActions).toBeGreaterThan(0);
    expect(r.pilot.counters.lateResults).toBe(0); // the manual clock stood still while it waited
  });

  it('publishes the action queue in /diagnostics', async () => {
    const policy = new ControlledPolicy(contract);
    const r = await rig(policy);
    const diags: DiagnosticArray[] = [];
    r.transport.subscribe<DiagnosticArray>('/diagnostics', 'diagnostic_msgs/msg/DiagnosticArray', (m) => diags.push(m));
    r.pilot.start();
    await r.tickAt(0);
    await policy.finish();
    for (let t = 10; t <= 1000; t += 10) {
      await r.tickAt(t);
      if (policy.pending.length) await policy.finish();
    }
    const queue = diags[0]!.status.find((s) => s.name === 'pilot: action queue')!;
    const kv = new Map(queue.values.map((v) => [v.key, v.value]));
    expect(kv.get('chunk_steps')).toBe('20');
    expect(kv.get('blend')).toBe('ensemble');
    expect(Number(kv.get('inferences'))).toBeGreaterThan(5);
    expect(kv.get('empty_queue_fallbacks')).toBe('0');
    expect(Number(kv.get('blended_actions'))).toBeGreaterThan(0);
    expect(Number(kv.get('queue_depth_steps_p50'))).toBeGreaterThan(0);
  });
});

describe('chunked policy on the inference worker (models/chunked-test.onnx)', () => {
  it('drives with the analytic chunk, latency compensated; chunking.enabled false runs its first action each tick', async () => {
    const built = buildChunkedPolicy(CHUNKED_TEST_OPTIONS);
    const raw = built.expectedRaw([90 / 255, 90 / 255, 90 / 255]);
    const r = await rig(undefined);
    expect(r.pilot.policy.providerSummary).toMatch(/worker thread/);
    r.pilot.start();
    await r.tickAt(0);
    await r.pilot.chunks!.whenIdle(); // the worker computes in wall time; the manual clock stands still
    await r.tickAt(10);
    await r.tickAt(20);
    const v = r.commands.at(-1)!;
    expect(v.reason).toBe('ok');
    // Steering target index 2 (0.5·raw), reached within the 0.03 rad/tick slew limit from 0.
    const target = 0.5 * raw[2 * 2]!;
    expect(Math.abs(v.steering)).toBeLessThanOrEqual(Math.abs(target) + 1e-6);

    const plain = await rig(undefined, { chunking: { enabled: false } });
    expect(plain.pilot.chunks).toBeUndefined();
    plain.pilot.start();
    for (let t = 0; t <= 30; t += 10) await plain.tickAt(t);
    expect(plain.commands.at(-1)!.reason).toBe('ok');
    expect(plain.pilot.timeline.summary('inferenceMs').n).toBe(4); // one inference per tick
  });
});

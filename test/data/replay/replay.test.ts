import jpeg from 'jpeg-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BagError, BagReader, BagWriter, MemoryBagFolder } from '../../../src/data/bags/index.js';
import type { AckermannDriveStamped, CompressedImage } from '../../../src/core/messages/types.js';
import { PolicySession, type Policy } from '../../../src/runtime/policy/policy-session.js';
import { runReplay, type ReplayOptions, type ReplayResult } from '../../../src/data/replay/replay-session.js';
import { parseRemaps } from '../../../src/data/replay/remap.js';
import { CdrCodec } from '../../../src/core/messages/cdr.js';
import { MessageRegistry } from '../../../src/core/messages/registry.js';
import { buildDb3 } from '../bags/helpers.js';
import { MS, T0, ackermann, frame, openMemoryBag, quiet, replayConfig, writeDriveBag } from './helpers.js';

async function replay(folder: MemoryBagFolder, extra: Partial<ReplayOptions> = {}): Promise<ReplayResult> {
  const reader = await openMemoryBag(folder);
  try {
    return await runReplay({ reader, models: [{ label: 'model', config: replayConfig() }], log: quiet, ...extra });
  } finally {
    await reader.close();
  }
}

type Recorded = { logTimeNs: bigint; steeringRad: number; speedMps: number };

/** The predicted commands of a run as recorded commands: same log times, same values (shifted by `shiftMs`). */
function asRecorded(result: ReplayResult, shiftMs = 0): Recorded[] {
  const p = result.runs[0]!.predictions;
  return p.tMs.map((t, i) => ({ logTimeNs: result.window.startNs + BigInt(Math.round((t + shiftMs) * 1e6)), steeringRad: p.values[0]![i]!, speedMps: p.values[1]![i]! }));
}

let bag: MemoryBagFolder;
let base: ReplayResult;
beforeAll(async () => {
  bag = await writeDriveBag({ seconds: 3 });
  base = await replay(bag);
});

describe('replay through the real runtime (as fast as possible)', () => {
  it('is deterministic: the same bag and model give identical predictions', async () => {
    const again = await replay(bag);
    const pa = base.runs[0]!.predictions;
    const pb = again.runs[0]!.predictions;
    expect(pa.tMs.length).toBe(61); // the startup command, then one tick per 50 ms
    expect(pb.tMs).toEqual(pa.tMs);
    expect(pb.values).toEqual(pa.values);
    expect(pb.reasons).toEqual(pa.reasons);
    // The runtime really drove: every tick is a model command, and they vary with the frames.
    expect(pa.reasons.slice(1).every((r) => r === 'ok')).toBe(true);
    const steering = pa.values[0]!.slice(1);
    expect(Math.max(...steering) - Math.min(...steering)).toBeGreaterThan(0.1);
    // A tick at t sees the frame recorded at t: ticks every 50 ms from the first frame.
    expect(pa.tMs.slice(0, 4)).toEqual([0, 0, 50, 100]);
    expect(base.runs[0]!.runtime.framesReceived).toBe(60);
    expect(base.runs[0]!.runtime.ticks).toBe(60);
    expect(base.runs[0]!.runtime.latencyMs.n).toBe(60);
    expect(base.reference).toBeNull();
    expect(base.runs[0]!.evaluation).toBeNull();
    expect(base.notes.join('\n')).toMatch(/no recorded commands on \/cmd\/ackermann/);
  });

  it('gives ~0 error against recorded commands equal to what the model outputs, and a clear error when they are shifted', async () => {
    const same = await replay(await writeDriveBag({ seconds: 3, commands: asRecorded(base) }));
    const ev = same.runs[0]!.evaluation!;
    expect(ev.evaluated).toBe(60);
    expect(ev.excluded).toEqual({ startup: 1 });
    for (const f of ev.fields) {
      expect(f.n).toBe(60);
      expect(f.mae).toBeLessThan(1e-6); // float32 in the bag
      expect(f.maxAbs).toBeLessThan(1e-6);
    }
    expect(same.reference).toMatchObject({ topic: '/cmd/ackermann', bagTopic: '/cmd/ackermann', messages: 61 });

    // The same commands recorded half a second late: now the model "leads" the expert.
    const shifted = await replay(await writeDriveBag({ seconds: 3, commands: asRecorded(base, 500) }));
    const sev = shifted.runs[0]!.evaluation!;
    expect(sev.noReference).toBe(10); // the first 0.5 s has no recorded command yet
    expect(sev.fields[0]!.name).toBe('steering_angle');
    expect(sev.fields[0]!.mae).toBeGreaterThan(0.05);
    expect(sev.fields[0]!.rmse).toBeGreaterThanOrEqual(sev.fields[0]!.mae);
    expect(sev.fields[0]!.maxAbs).toBeGreaterThanOrEqual(sev.fields[0]!.rmse);
    expect(sev.segments.map((s) => s.startS)).toEqual([0]); // one 5 s segment
    expect(sev.segments[0]!.n).toBe(50);
  });

  it('orders the worst moments by error, with their timestamps, one per moment', async () => {
    const injected = new Map([
      [5, 0.05], // tick 5 = 0.25 s
      [25, 0.2], // 1.25 s
      [50, -0.1], // 2.5 s
    ]);
    const commands = asRecorded(base).map((c, i) => {
      const tick = i - 1; // entry 0 is the startup command
      return injected.has(tick) ? { ...c, steeringRad: c.steeringRad + injected.get(tick)! } : c;
    });
    const result = await replay(await writeDriveBag({ seconds: 3, commands }), { evaluate: { worst: 5, momentGapS: 1 } });
    const worst = result.runs[0]!.evaluation!.worst[0]!;
    expect(worst.slice(0, 3).map((m) => m.tS)).toEqual([1.25, 2.5, 0.25]);
    expect(worst[0]!.error).toBeCloseTo(-0.2, 6);
    expect(worst[1]!.error).toBeCloseTo(0.1, 6);
    expect(worst[2]!.error).toBeCloseTo(-0.05, 6);
    expect(worst[0]!.reason).toBe('ok');
    for (const m of worst.slice(3)) expect(Math.abs(m.error)).toBeLessThan(1e-6);
    const speedWorst = result.runs[0]!.evaluation!.worst[1]!;
    expect(Math.abs(speedWorst[0]!.error)).toBeLessThan(1e-6);
  });

  it('replays a window (--start/--end) with times from the window start', async () => {
    const result = await replay(bag, { startS: 1, endS: 2 });
    expect(result.window.startS).toBe(1);
    expect(result.window.endS).toBe(2);
    expect(result.window.startNs).toBe(T0 + 1000n * MS);
    expect(result.runs[0]!.runtime.framesReceived).toBe(21); // 1.00 … 2.00 s inclusive
    const p = result.runs[0]!.predictions;
    expect(p.tMs[0]).toBe(0);
    expect(p.tMs.at(-1)).toBe(1000);
    // The runtime starts fresh at the window: its first ticks are slew-limited from the stop command.
    expect(p.values[0]![0]).toBe(0);
  });

  it('writes an output bag with the inputs, the recorded and predicted commands, diagnostics and the timeline, aligned', async () => {
    const out = new MemoryBagFolder('replay-out');
    const writer = await BagWriter.create(out, { name: 'replay' });
    const result = await replay(await writeDriveBag({ seconds: 3, commands: asRecorded(base, 0) }), { output: writer });
    await writer.close();
    const reader = await BagReader.open(out);
    const counts = Object.fromEntries(reader.topics().map((t) => [t.name, t.messageCount]));
    expect(counts).toEqual({ '/camera/image_raw': 60, '/cmd/ackermann': 61, '/pilot/cmd': 61, '/diagnostics': 2, '/pilot/timeline': 60 });
    const p = result.runs[0]!.predictions;
    let i = 0;
    for await (const m of reader.messages({ topics: ['/pilot/cmd'] })) {
      const cmd = reader.decode<AckermannDriveStamped>(m);
      expect(m.logTimeNs).toBe(result.window.startNs + BigInt(p.tMs[i]!) * MS);
      expect(cmd.header.stamp.sec * 1e9 + cmd.header.stamp.nanosec).toBeCloseTo(Number(m.logTimeNs), -3);
      expect(cmd.drive.steering_angle).toBeCloseTo(p.values[0]![i]!, 6);
      i++;
    }
    expect(i).toBe(61);
    const frames = [];
    for await (const m of reader.messages({ topics: ['/camera/image_raw'] })) frames.push(m.logTimeNs);
    expect(frames[1]! - frames[0]!).toBe(50n * MS);
    expect(frames[0]).toBe(T0);
    await reader.close();
    expect(result.output).toMatchObject({ messages: 60 + 61 + 61 + 2 + 60 });
  });

  it('reads a CompressedImage camera when the bag has one instead of the configured Image topic', async () => {
    const folder = new MemoryBagFolder('compressed');
    const writer = await BagWriter.create(folder, { name: 'compressed' });
    writer.addTopic('/camera/image_raw/compressed', 'sensor_msgs/msg/CompressedImage');
    for (let i = 0; i < 10; i++) {
      const f = frame(i);
      const rgba = new Uint8Array(f.width * f.height * 4);
      for (let p = 0; p < f.width * f.height; p++) rgba.set([f.data[p * 3]!, f.data[p * 3 + 1]!, f.data[p * 3 + 2]!, 255], p * 4);
      const data = new Uint8Array(jpeg.encode({ data: rgba, width: f.width, height: f.height }, 80).data);
      const msg: CompressedImage = { header: f.header, format: 'jpeg', data };
      await writer.writeMessage('/camera/image_raw/compressed', msg, T0 + BigInt(i) * 50n * MS);
    }
    await writer.close();
    const result = await replay(folder);
    expect(result.notes.join('\n')).toMatch(/runtime reads the camera from \/camera\/image_raw\/compressed/);
    expect(result.topics).toEqual([{ topic: '/camera/image_raw/compressed', bagTopic: '/camera/image_raw/compressed', type: 'sensor_msgs/msg/CompressedImage', role: 'camera', messages: 10 }]);
    expect(result.runs[0]!.runtime.framesReceived).toBe(10);
    expect(result.runs[0]!.predictions.reasons.slice(1).every((r) => r === 'ok')).toBe(true);
  });

  it('remaps bag topics onto the topics the runtime reads', async () => {
    const folder = new MemoryBagFolder('remapped');
    const writer = await BagWriter.create(folder, { name: 'remapped' });
    writer.addTopic('/front/image', 'sensor_msgs/msg/Image');
    writer.addTopic('/other/image', 'sensor_msgs/msg/Image');
    for (let i = 0; i < 4; i++) {
      await writer.writeMessage('/front/image', frame(i), T0 + BigInt(i) * 50n * MS);
      await writer.writeMessage('/other/image', frame(i, 64, 48), T0 + BigInt(i) * 50n * MS);
    }
    await writer.close();
    // Two camera topics: ambiguous without --remap.
    await expect(replay(folder)).rejects.toThrow(/E_REPLAY_TOPIC: .*several candidates.*--remap/);
    const result = await replay(folder, { remap: parseRemaps(['/front/image:=/camera/image_raw']) });
    expect(result.topics[0]).toMatchObject({ topic: '/camera/image_raw', bagTopic: '/front/image', messages: 4 });
    expect(result.runs[0]!.runtime.framesRejected).toBe(0);
  });

  it('skips and counts corrupt chunks with recover, and fails naming the file and offset without it', async () => {
    const folder = await writeDriveBag({ seconds: 2, chunkSizeBytes: 256 * 1024, name: 'corrupt' });
    const bytes = folder.bytes('drive_0.mcap')!;
    const copy = bytes.slice();
    // Damage a chunk in the middle (its CRC no longer matches).
    for (let k = 0; k < 64; k++) copy[Math.floor(copy.length / 2) + k * 7] ^= 0x5a;
    folder.files.set('drive_0.mcap', copy);
    const err = await replay(folder).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BagError);
    expect((err as BagError).message).toMatch(/drive_0\.mcap/);
    expect((err as BagError).message).toMatch(/offset \d+/);
    const result = await replay(folder, { recover: true });
    expect(result.skipped.count).toBeGreaterThan(0);
    expect(result.skipped.notes[0]).toMatch(/drive_0\.mcap/);
    expect(result.notes.join('\n')).toMatch(/skipped \(--recover\)/);
    const frames = result.runs[0]!.runtime.framesReceived;
    expect(frames).toBeGreaterThan(10);
    expect(frames).toBeLessThan(40);
  });

  it('fails clearly on bad options and unusable bags', async () => {
    await expect(replay(bag, { startS: 10 })).rejects.toThrow(/E_REPLAY_WINDOW: --start 10 s is past the end of the bag \(2\.950 s\)/);
    await expect(replay(bag, { startS: 2, endS: 1 })).rejects.toThrow(/E_REPLAY_WINDOW/);
    const folder = new MemoryBagFolder('twist');
    const writer = await BagWriter.create(folder, { name: 'twist' });
    writer.addTopic('/camera/image_raw', 'sensor_msgs/msg/Image');
    writer.addTopic('/cmd/ackermann', 'geometry_msgs/msg/Twist');
    await writer.writeMessage('/camera/image_raw', frame(0), T0);
    await writer.writeMessage('/cmd/ackermann', { linear: { x: 1, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 0 } }, T0 + MS);
    await writer.close();
    await expect(replay(folder)).rejects.toThrow(/E_REPLAY_REFERENCE: recorded commands on \/cmd\/ackermann are geometry_msgs\/msg\/Twist/);
    const noReference = await replay(folder, { referenceTopic: null });
    expect(noReference.runs[0]!.evaluation).toBeNull();
    const empty = new MemoryBagFolder('no-camera');
    const w2 = await BagWriter.create(empty, { name: 'x' });
    w2.addTopic('/odom', 'nav_msgs/msg/Odometry');
    await w2.close();
    await expect(replay(empty)).rejects.toThrow(/E_REPLAY_EMPTY/);
  });

  it('replays a sqlite3 (.db3) bag the same way as MCAP', async () => {
    const codec = new CdrCodec();
    const registry = MessageRegistry.builtin();
    const messages = [];
    for (let i = 0; i < 20; i++) {
      const t = T0 + BigInt(i) * 50n * MS;
      messages.push({ topic: '/camera/image_raw', timestamp: t, data: codec.encode('sensor_msgs/msg/Image', frame(i)) });
      messages.push({ topic: '/cmd/ackermann', timestamp: t, data: codec.encode('ackermann_msgs/msg/AckermannDriveStamped', ackermann(t, 0.1, 1)) });
    }
    const db3 = await buildDb3(
      'jazzy',
      [
        { name: '/camera/image_raw', type: 'sensor_msgs/msg/Image' },
        { name: '/cmd/ackermann', type: 'ackermann_msgs/msg/AckermannDriveStamped' },
      ],
      messages,
      ['sensor_msgs/msg/Image', 'ackermann_msgs/msg/AckermannDriveStamped'].map((type) => ({ type, text: registry.schemaText(type) })),
    );
    const folder = new MemoryBagFolder('db3-bag');
    await folder.replaceFile('drive_0.db3', db3);
    const fromDb3 = await replay(folder);
    expect(fromDb3.bag.storage).toBe('sqlite3');
    expect(fromDb3.runs[0]!.runtime.framesReceived).toBe(20);
    expect(fromDb3.runs[0]!.evaluation!.evaluated).toBe(20);
    // The same frames from an MCAP bag give the same predictions.
    const fromMcap = await replay(await writeDriveBag({ seconds: 1, commands: messages.filter((m) => m.topic === '/cmd/ackermann').map((m) => ({ logTimeNs: m.timestamp, steeringRad: 0.1, speedMps: 1 })) }));
    expect(fromDb3.runs[0]!.predictions.values).toEqual(fromMcap.runs[0]!.predictions.values);
    expect(fromDb3.runs[0]!.evaluation!.fields).toEqual(fromMcap.runs[0]!.evaluation!.fields);
  });

  it('runs in real time at N× on a wall clock', async () => {
    const result = await replay(await writeDriveBag({ seconds: 1, commands: asRecorded(base).slice(0, 21) }), { mode: 'realtime', rate: 10 });
    expect(result.mode).toBe('realtime');
    expect(result.rate).toBe(10);
    const run = result.runs[0]!;
    expect(run.runtime.framesReceived).toBe(20);
    expect(run.predictions.tMs.length).toBeGreaterThan(2);
    expect(run.evaluation!.evaluated).toBeGreaterThan(0);
  });
});

describe('replay --compare', () => {
  let policies: Policy[] = [];
  afterAll(async () => {
    for (const p of policies) await p.dispose();
    policies = [];
  });

  /** The same model, with `delta` added to its raw steering output on some inference calls. */
  function perturbed(inner: Policy, delta: (call: number) => number): Policy {
    let calls = 0;
    return {
      contract: inner.contract,
      modelPath: inner.modelPath,
      activeProvider: inner.activeProvider,
      attempts: inner.attempts,
      providerSummary: inner.providerSummary,
      startup: inner.startup,
      inputs: inner.inputs,
      output: inner.output,
      concurrent: false,
      async run() {
        await inner.run();
        inner.output[0] = inner.output[0]! + delta(calls++);
      },
      dispose: () => inner.dispose(),
    };
  }

  it('finds where two models disagree most', async () => {
    const config = replayConfig();
    const a = await PolicySession.create({ model: config.model, log: quiet });
    const b = await PolicySession.create({ model: config.model, log: quiet });
    policies.push(a, b);
    // Model b steers 0.4 rad more on inference calls 30–33 (ticks at 1.50–1.65 s).
    const bPerturbed = perturbed(b, (call) => (call >= 30 && call <= 33 ? 0.8 : 0));
    const reader = await openMemoryBag(bag);
    const result = await runReplay({
      reader,
      models: [
        { label: 'a', config, policy: a },
        { label: 'b', config, policy: bPerturbed },
      ],
      log: quiet,
    });
    await reader.close();
    const c = result.comparison!;
    expect(c.names).toEqual(['steering_angle', 'speed']);
    expect(c.compared).toBe(60);
    expect(c.unmatched).toBe(0);
    // Identical before the injection, exactly.
    c.tMs.forEach((t, i) => {
      if (t < 1500) expect(c.differences[0]![i]).toBe(0);
    });
    const worst = c.worst[0]![0]!;
    expect(worst.tS).toBeGreaterThanOrEqual(1.5);
    expect(worst.tS).toBeLessThanOrEqual(2.0);
    expect(worst.difference).toBeGreaterThan(0.1);
    expect(c.fields[0]!.maxAbs).toBe(Math.abs(worst.difference));
    expect(c.fields[0]!.maxAtS).toBe(worst.tS);
    expect(c.fields[1]!.maxAbs).toBe(0); // speed untouched
    expect(result.runs.map((r) => r.label)).toEqual(['a', 'b']);
    expect(result.runs[0]!.predictions.values).toEqual(base.runs[0]!.predictions.values);
  });
});

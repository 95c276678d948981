import { describe, expect, it } from 'vitest';
import { BagReader, BagWriter, MemoryBagFolder } from '../../../src/data/bags/index.js';
import { msFromTime } from '../../../src/core/messages/time.js';
import type { ClockMsg, Image, Twist } from '../../../src/core/messages/types.js';
import { playBag, qosFromOffered, VirtualTimer, WallTimer } from '../../../src/data/replay/bag-player.js';
import { parseRemaps } from '../../../src/data/replay/remap.js';
import { InProcessTransport } from '../../../src/transport/in-process.js';
import { RELIABLE_QOS } from '../../../src/transport/transport.js';
import { comparable, CUSTOM_SCHEMA, CUSTOM_TYPE, MS, rgbImage, T0, wheelState, type WheelState } from '../bags/helpers.js';

interface Written {
  topic: string;
  logTimeNs: bigint;
  message: unknown;
}

/** Irregular timing on purpose: a camera with jitter and a gap, commands, a custom type. */
async function playableBag(): Promise<{ folder: MemoryBagFolder; written: Written[] }> {
  const folder = new MemoryBagFolder('play');
  const writer = await BagWriter.create(folder, { name: 'play', chunkSizeBytes: 8 * 1024 });
  writer.addTopic('/camera', 'sensor_msgs/msg/Image');
  writer.addTopic('/cmd', 'geometry_msgs/msg/Twist', { qos: RELIABLE_QOS });
  writer.addTopic('/wheels', CUSTOM_TYPE, { schemaText: CUSTOM_SCHEMA });
  const written: Written[] = [];
  const cameraMs = [0, 97, 203, 298, 655, 702, 801];
  for (const [i, ms] of cameraMs.entries()) written.push({ topic: '/camera', logTimeNs: T0 + BigInt(ms) * MS + 17n, message: rgbImage(i, 16, 12) });
  for (let i = 0; i < 9; i++) {
    written.push({ topic: '/cmd', logTimeNs: T0 + BigInt(i * 100 + 3) * MS, message: { linear: { x: i / 10, y: 0, z: 0 }, angular: { x: 0, y: 0, z: -i / 100 } } });
    if (i % 3 === 0) written.push({ topic: '/wheels', logTimeNs: T0 + BigInt(i * 100 + 50) * MS, message: wheelState(i) });
  }
  written.sort((a, b) => (a.logTimeNs < b.logTimeNs ? -1 : a.logTimeNs > b.logTimeNs ? 1 : 0));
  for (const w of written) await writer.writeMessage(w.topic, w.message, w.logTimeNs);
  await writer.close();
  return { folder, written };
}

describe('pilot bag play', () => {
  it('publishes every topic in recorded order with the recorded relative timing (÷ rate), decoded with the bag’s definitions', async () => {
    const { folder, written } = await playableBag();
    const reader = await BagReader.open(folder);
    const transport = new InProcessTransport();
    const timer = new VirtualTimer(1000);
    const received: { topic: string; atMs: number; message: unknown }[] = [];
    for (const [topic, type] of [
      ['/camera', 'sensor_msgs/msg/Image'],
      ['/cmd', 'geometry_msgs/msg/Twist'],
      ['/wheels', CUSTOM_TYPE],
    ] as const) {
      transport.subscribe(topic, type, (message) => received.push({ topic, atMs: timer.now(), message }), RELIABLE_QOS);
    }
    const stats = await playBag({ reader, transport, rate: 2, timer, delayS: 0.5 });
    await reader.close();
    expect(stats.messages).toBe(written.length);
    expect(stats.published).toEqual({ '/camera': 7, '/cmd': 9, '/wheels': 3 });
    expect(received.map((r) => r.topic)).toEqual(written.map((w) => w.topic));
    const start = written[0]!.logTimeNs;
    received.forEach((r, i) => {
      // 1000 ms (timer start) + 500 ms delay + bag offset / rate.
      expect(r.atMs).toBeCloseTo(1500 + Number(written[i]!.logTimeNs - start) / 1e6 / 2, 6);
    });
    // Objects, not bytes: the custom type decoded from the bag's own schema, images with their pixels.
    const wheels = received.filter((r) => r.topic === '/wheels').map((r) => r.message as WheelState);
    expect(comparable(wheels[1])).toEqual(comparable(wheelState(3)));
    expect(typeof wheels[1]!.odometer_mm).toBe('bigint');
    const image = received.find((r) => r.topic === '/camera')!.message as Image;
    expect(Buffer.from(image.data).equals(Buffer.from(rgbImage(0, 16, 12).data))).toBe(true);
    expect((received.find((r) => r.topic === '/cmd')!.message as Twist).linear.x).toBe(0);
    expect(stats.maxLateMs).toBe(0);
    expect(stats.durationMs).toBeCloseTo(Number(written.at(-1)!.logTimeNs - start) / 1e6 / 2, 6);
  });

  it('publishes /clock with the bag time at a fixed rate, filters and remaps topics, and loops', async () => {
    const { folder, written } = await playableBag();
    const reader = await BagReader.open(folder);
    const transport = new InProcessTransport();
    const timer = new VirtualTimer();
    const clock: { atMs: number; bagMs: number }[] = [];
    const cmds: number[] = [];
    transport.subscribe<ClockMsg>('/clock', 'rosgraph_msgs/msg/Clock', (m) => clock.push({ atMs: timer.now(), bagMs: msFromTime(m.clock) }), RELIABLE_QOS);
    transport.subscribe('/robot/cmd_vel', 'geometry_msgs/msg/Twist', () => cmds.push(timer.now()), RELIABLE_QOS);
    let cameras = 0;
    transport.subscribe('/camera', 'sensor_msgs/msg/Image', () => cameras++);
    const stats = await playBag({ reader, transport, timer, topics: ['/cmd'], remap: parseRemaps(['/cmd:=/robot/cmd_vel']), clock: true, clockHz: 10, loop: 2 });
    await reader.close();
    expect(stats.published).toEqual({ '/robot/cmd_vel': 18 });
    expect(cameras).toBe(0);
    expect(stats.loops).toBe(2);
    const cmdTimes = written.filter((w) => w.topic === '/cmd').map((w) => Number(w.logTimeNs - written[0]!.logTimeNs) / 1e6);
    const span = Number(written.at(-1)!.logTimeNs - written[0]!.logTimeNs) / 1e6;
    // The second play follows the first one window-length later.
    expect(cmds).toEqual([...cmdTimes, ...cmdTimes.map((t) => t + span)].map((t) => expect.closeTo(t, 6)));
    // /clock every 100 ms of playback, carrying the bag time (which restarts with the loop).
    expect(clock.length).toBeGreaterThanOrEqual(Math.floor((2 * span) / 100));
    const bagStartMs = Number(written[0]!.logTimeNs / MS) + Number(written[0]!.logTimeNs % MS) / 1e6;
    clock.forEach((c, i) => {
      expect(c.atMs).toBeCloseTo(i * 100, 6);
      const expected = c.atMs <= span ? c.atMs : c.atMs - span;
      expect(c.bagMs - bagStartMs).toBeCloseTo(expected, 3);
    });
    expect(stats.clockMessages).toBe(clock.length);
  });

  it('plays a window (--start/--end) and stops when aborted', async () => {
    const { folder, written } = await playableBag();
    const reader = await BagReader.open(folder);
    const transport = new InProcessTransport();
    const got: bigint[] = [];
    const stats = await playBag({
      reader,
      transport,
      timer: new VirtualTimer(),
      startS: 0.2,
      endS: 0.7,
      onMessage: (_topic, _message, logTimeNs) => got.push(logTimeNs),
    });
    const start = written[0]!.logTimeNs;
    expect(got).toEqual(written.map((w) => w.logTimeNs).filter((t) => t >= start + 200n * MS && t <= start + 700n * MS));
    expect(stats.messages).toBe(got.length);
    const controller = new AbortController();
    let n = 0;
    const aborted = await playBag({
      reader,
      transport,
      timer: new VirtualTimer(),
      loop: true,
      signal: controller.signal,
      onMessage: () => {
        if (++n === 5) controller.abort();
      },
    });
    expect(aborted.interrupted).toBe(true);
    expect(aborted.messages).toBe(5);
    await reader.close();
  });

  it('plays on the wall clock (no timing asserted: the machine is shared)', async () => {
    const { folder, written } = await playableBag();
    const reader = await BagReader.open(folder);
    const transport = new InProcessTransport();
    let n = 0;
    transport.subscribe('/cmd', 'geometry_msgs/msg/Twist', () => n++, RELIABLE_QOS);
    const stats = await playBag({ reader, transport, timer: new WallTimer(), rate: 20 });
    await reader.close();
    expect(n).toBe(9);
    expect(stats.messages).toBe(written.length);
  });

  it('refuses unknown topics and maps recorded QoS onto ours', async () => {
    const { folder } = await playableBag();
    const reader = await BagReader.open(folder);
    await expect(playBag({ reader, transport: new InProcessTransport(), timer: new VirtualTimer(), topics: ['/nope'] })).rejects.toThrow(/E_BAG_TOPIC: .*no topic \/nope/);
    await reader.close();
    const reliable = reader.topics().find((t) => t.name === '/cmd')!.offeredQosProfiles;
    expect(qosFromOffered(reliable)).toEqual({ kind: 'reliable', depth: 10 });
    expect(qosFromOffered(reader.topics().find((t) => t.name === '/camera')!.offeredQosProfiles).kind).toBe('sensor');
    expect(qosFromOffered('- reliability: reliable\n  depth: 5')).toEqual({ kind: 'reliable', depth: 5 });
    expect(qosFromOffered('garbage: [')).toMatchObject({ kind: 'sensor' });
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { BagReader, BagWriter, MemoryBagFolder } from '../../src/data/bags/index.js';
import { bagLiveTap } from '../../src/foxglove/bag-live.js';
import { LiveView } from '../../src/foxglove/live-view.js';
import type { AckermannDriveStamped, Image, Twist } from '../../src/core/messages/types.js';
import { playBag, VirtualTimer } from '../../src/data/replay/bag-player.js';
import { parseRemaps } from '../../src/data/replay/remap.js';
import { runReplay } from '../../src/data/replay/replay-session.js';
import { InProcessTransport } from '../../src/transport/in-process.js';
import { RELIABLE_QOS } from '../../src/transport/transport.js';
import { CUSTOM_SCHEMA, CUSTOM_TYPE, rgbImage, wheelState } from '../data/bags/helpers.js';
import { MS, T0, openMemoryBag, quiet, replayConfig, writeDriveBag } from '../data/replay/helpers.js';
import { FoxgloveViewer } from './foxglove-viewer.js';

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A live view and a viewer subscribed to everything it advertises once `declare` has run. */
async function watched(declare: (live: LiveView) => void): Promise<{ live: LiveView; viewer: FoxgloveViewer }> {
  const live = await LiveView.start({ port: 0 });
  closers.push(() => live.close());
  const subscribed = new Set<number>();
  live.server.onSubscription((id, on) => void (on ? subscribed.add(id) : subscribed.delete(id)));
  declare(live);
  const viewer = await FoxgloveViewer.connect(live.url, 'foxglove.websocket.v1');
  closers.push(() => viewer.close());
  await viewer.until(() => viewer.channels.size === live.channels.channels().length);
  viewer.subscribeAll();
  await viewer.until(() => subscribed.size === viewer.channels.size);
  return { live, viewer };
}

describe('replay and bag play watched live', () => {
  it('replay: the viewer gets the inputs, recorded and predicted commands and the timeline, at bag time', async () => {
    const bag = await writeDriveBag({ seconds: 2, commands: [{ logTimeNs: T0 + 500n * MS, steeringRad: 0.1, speedMps: 1 }] });
    let tap: ReturnType<LiveView['messageTap']> | undefined;
    // The replay declares these topics itself as it starts; declaring them first lets the viewer subscribe before it runs.
    const { live, viewer } = await watched((l) => {
      tap = l.messageTap();
      tap.addTopic('/camera/image_raw', 'sensor_msgs/msg/Image');
      tap.addTopic('/cmd/ackermann', 'ackermann_msgs/msg/AckermannDriveStamped');
      tap.addTopic('/pilot/cmd', 'ackermann_msgs/msg/AckermannDriveStamped');
      tap.addTopic('/pilot/timeline', 'pilot_msgs/msg/TickTimeline');
      tap.addTopic('/diagnostics', 'diagnostic_msgs/msg/DiagnosticArray');
    });
    const reader = await openMemoryBag(bag);
    try {
      await runReplay({ reader, models: [{ label: 'model', config: replayConfig() }], log: quiet, tap: tap! });
    } finally {
      await reader.close();
    }
    expect(live.channels.channels().map((c) => c.topic).sort()).toEqual(['/camera/image_raw', '/cmd/ackermann', '/diagnostics', '/pilot/cmd', '/pilot/timeline']);
    await viewer.until(() => viewer.on('/camera/image_raw').length === 40 && viewer.on('/pilot/timeline').length >= 39 && viewer.on('/cmd/ackermann').length === 1);
    expect(viewer.errors).toEqual([]);
    const frames = viewer.on('/camera/image_raw');
    expect(frames[0]!.logTimeNs).toBe(T0);
    expect(frames[1]!.logTimeNs).toBe(T0 + 50n * MS);
    expect((frames[3]!.message as Image).width).toBe(320);
    expect((viewer.on('/cmd/ackermann')[0]!.message as AckermannDriveStamped).drive).toMatchObject({ steering_angle: expect.closeTo(0.1, 6), speed: 1 });
    expect(viewer.on('/pilot/cmd').length).toBeGreaterThanOrEqual(40);
    expect(viewer.on('/pilot/timeline')[3]!.message).toMatchObject({ reason: 'ok' });
    expect(viewer.on('/pilot/timeline').every((r) => r.logTimeNs >= T0 && r.logTimeNs <= T0 + 2000n * MS)).toBe(true);
  }, 60_000);

  it('bag play: every topic (remapped), custom types by the bag’s own definition, stamped with the recorded log time', async () => {
    const folder = new MemoryBagFolder('play');
    const writer = await BagWriter.create(folder, { name: 'play' });
    writer.addTopic('/camera', 'sensor_msgs/msg/Image');
    writer.addTopic('/cmd', 'geometry_msgs/msg/Twist', { qos: RELIABLE_QOS });
    writer.addTopic('/wheels', CUSTOM_TYPE, { schemaText: CUSTOM_SCHEMA });
    for (let i = 0; i < 5; i++) {
      const t = T0 + BigInt(i * 100) * MS;
      await writer.writeMessage('/camera', rgbImage(i, 16, 12), t);
      await writer.writeMessage('/cmd', { linear: { x: i / 10, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 0 } }, t + 1n);
      await writer.writeMessage('/wheels', wheelState(i), t + 2n);
    }
    await writer.close();
    const reader = await BagReader.open(folder);
    closers.push(() => reader.close());
    const remap = parseRemaps(['/cmd:=/robot/cmd']);
    let onMessage: ReturnType<typeof bagLiveTap> | undefined;
    const { viewer } = await watched((live) => (onMessage = bagLiveTap(live, reader, remap)));
    expect([...viewer.channels.values()].map((c) => `${c.topic} ${c.schemaName}`).sort()).toEqual([
      '/camera sensor_msgs/msg/Image',
      '/robot/cmd geometry_msgs/msg/Twist',
      `/wheels ${CUSTOM_TYPE}`,
    ]);
    const transport = new InProcessTransport();
    closers.push(() => transport.close());
    const stats = await playBag({ reader, transport, remap, timer: new VirtualTimer(), onMessage: onMessage!, log: quiet });
    expect(stats.messages).toBe(15);
    await viewer.until(() => viewer.received.length === 15);
    expect(viewer.errors).toEqual([]);
    expect(viewer.on('/robot/cmd').map((r) => (r.message as Twist).linear.x)).toEqual([0, 0.1, 0.2, 0.3, 0.4]);
    expect(viewer.on('/robot/cmd').map((r) => r.logTimeNs)).toEqual([0, 1, 2, 3, 4].map((i) => T0 + BigInt(i * 100) * MS + 1n));
    expect(viewer.on('/wheels')[2]!.message).toMatchObject({ mode: wheelState(2).mode, wheels: [{ name: 'front_left' }, { name: 'front_right' }] });
    expect([...(viewer.on('/camera')[4]!.message as Image).data]).toEqual([...rgbImage(4, 16, 12).data]);
  }, 60_000);
});

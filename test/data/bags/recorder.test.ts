import { describe, expect, it, vi } from 'vitest';
import { BagReader, BagWriter, MemoryBagFolder, recordBlackBox, Recorder, TICK_TIMELINE_TYPE, blackBoxTopics, type BagError } from '../../../src/data/bags/index.js';
import { PilotConfig } from '../../../src/core/config/schema.js';
import { InProcessTransport } from '../../../src/transport/in-process.js';
import { RELIABLE_QOS } from '../../../src/transport/transport.js';
import { collect, comparable, CUSTOM_SCHEMA, CUSTOM_TYPE, FullDiskSink, MS, rgbImage, T0, wheelState } from './helpers.js';

/** A clock that advances 1 ms per reading, from T0. */
function fakeClock() {
  let t = T0;
  return () => (t += MS);
}

const tick = () => new Promise((r) => setImmediate(r));

describe('Recorder', () => {
  it('records what is published on the in-process transport, stamped with the injected clock', async () => {
    const transport = new InProcessTransport();
    const folder = new MemoryBagFolder('rec');
    const writer = await BagWriter.create(folder, { name: 'rec', compression: 'zstd' });
    const recorder = Recorder.start({
      transport,
      writer,
      clock: fakeClock(),
      topics: [
        { topic: '/camera/image_raw', type: 'sensor_msgs/msg/Image' },
        { topic: '/cmd', type: 'geometry_msgs/msg/Twist', qos: RELIABLE_QOS },
        { topic: '/wheels', type: CUSTOM_TYPE, schemaText: CUSTOM_SCHEMA },
      ],
    });
    const cam = transport.advertise('/camera/image_raw', 'sensor_msgs/msg/Image');
    const cmd = transport.advertise('/cmd', 'geometry_msgs/msg/Twist', RELIABLE_QOS);
    const wheels = transport.advertise('/wheels', CUSTOM_TYPE);
    const other = transport.advertise('/not_recorded', 'std_msgs/msg/Bool');
    const published: { topic: string; message: unknown }[] = [];
    for (let i = 0; i < 12; i++) {
      const img = rgbImage(i);
      cam.publish(img);
      published.push({ topic: '/camera/image_raw', message: img });
      const twist = { linear: { x: i, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 0.5 } };
      cmd.publish(twist);
      published.push({ topic: '/cmd', message: twist });
      wheels.publish(wheelState(i));
      published.push({ topic: '/wheels', message: wheelState(i) });
      other.publish({ data: true });
      await tick();
    }
    const stats = await recorder.stop();
    expect(stats.state).toBe('stopped');
    expect(stats.dropped).toBe(0);
    expect(stats.topics['/camera/image_raw']).toMatchObject({ received: 12, written: 12, dropped: 0, encodeErrors: 0 });
    expect(stats.topics['/wheels']!.written).toBe(12);
    expect(writer.status().state).toBe('closed');

    const reader = await BagReader.open(folder, { registry: null });
    const got = await collect(reader.decoded());
    expect(got.map((m) => m.topic)).toEqual(published.map((p) => p.topic));
    got.forEach((m, i) => expect(comparable(m.message)).toEqual(comparable(published[i]!.message)));
    expect(got.map((m) => m.logTimeNs)).toEqual(published.map((_, i) => T0 + BigInt(i + 1) * MS));
    expect(reader.topics().find((t) => t.name === '/cmd')!.offeredQosProfiles).toContain('reliability: 1');
    await transport.close();
  });

  it('drops and counts when the queue is full instead of buffering without bound', async () => {
    const transport = new InProcessTransport();
    const writer = await BagWriter.create(new MemoryBagFolder(), {});
    const recorder = Recorder.start({ transport, writer, maxQueueMessages: 5, topics: [{ topic: '/camera', type: 'sensor_msgs/msg/Image' }] });
    const cam = transport.advertise('/camera', 'sensor_msgs/msg/Image');
    const img = rgbImage(1, 64, 48);
    // Published back to back in one turn of the event loop: the writer gets no chance to drain.
    for (let i = 0; i < 50; i++) cam.publish(img);
    expect(recorder.stats().queuedMessages).toBeLessThanOrEqual(5);
    const stats = await recorder.stop();
    // Five queued plus the one being written when the burst came.
    expect(stats.topics['/camera']).toMatchObject({ received: 50, written: 6, dropped: 44 });
    expect(stats.written + stats.dropped).toBe(stats.received);
  });

  it('bounds the queue in bytes too', async () => {
    const transport = new InProcessTransport();
    const writer = await BagWriter.create(new MemoryBagFolder(), {});
    const recorder = Recorder.start({ transport, writer, maxQueueBytes: 3 * 921_700, topics: [{ topic: '/camera', type: 'sensor_msgs/msg/Image' }] });
    const cam = transport.advertise('/camera', 'sensor_msgs/msg/Image');
    for (let i = 0; i < 10; i++) cam.publish(rgbImage(i));
    const stats = await recorder.stop();
    expect(stats.written).toBe(3);
    expect(stats.dropped).toBe(7);
    expect(stats.peakQueuedBytes).toBeLessThanOrEqual(3 * 921_700);
  });

  it('stops cleanly on a full disk: reports once, never rejects, keeps the finished chunks', async () => {
    const transport = new InProcessTransport();
    const sink = new FullDiskSink(2_500_000);
    const errors: unknown[] = [];
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const writer = await BagWriter.create(sink, { name: 'full', chunkSizeBytes: 256 * 1024 });
      const recorder = Recorder.start({ transport, writer, onError: (e) => errors.push(e), topics: [{ topic: '/camera', type: 'sensor_msgs/msg/Image' }] });
      const cam = transport.advertise('/camera', 'sensor_msgs/msg/Image');
      for (let i = 0; i < 10; i++) {
        cam.publish(rgbImage(i));
        await tick();
        await tick();
      }
      const stats = await recorder.stop();
      await tick();
      expect(stats.state).toBe('failed');
      expect(errors.length).toBe(1);
      const error = errors[0] as BagError;
      expect(error.code).toBe('E_BAG_WRITE');
      expect(error.message).toMatch(/^E_BAG_WRITE: full_0.mcap at offset \d+: write failed \(disk full\): ENOSPC: no space left on device, write; recording stopped with \d+ messages/);
      expect(stats.error).toBe(error);
      expect(writer.status().state).toBe('failed');
      // Messages after the failure are not accepted.
      expect(await writer.write('/camera', new Uint8Array(10), T0)).toBe(false);
      expect(unhandled).not.toHaveBeenCalled();
      // What reached the disk reads back (the file is cut mid-chunk; the finished chunks are there).
      const reader = await BagReader.open(sink.inner);
      const errs: BagError[] = [];
      const kept = await collect(reader.decoded({ onError: (e) => errs.push(e) }));
      expect(kept.length).toBe(2);
      expect(errs.map((e) => e.code)).toEqual(['E_BAG_TRUNCATED']);
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });

  it('records a pilot black box: inputs, outputs and the tick timeline with its own schema', async () => {
    const config = PilotConfig.parse({
      model: { path: 'models/pilotnet-test.onnx' },
      inputs: { state: [{ field: 'speed_mps', topic: '/odom', type: 'nav_msgs/msg/Odometry', path: 'twist.twist.linear.x' }] },
    });
    const topics = blackBoxTopics(config);
    expect(topics.map((t) => [t.topic, t.type])).toEqual([
      ['/camera/image_raw', 'sensor_msgs/msg/Image'],
      ['/odom', 'nav_msgs/msg/Odometry'],
      ['/pilot/estop', 'std_msgs/msg/Bool'],
      ['/cmd/ackermann', 'ackermann_msgs/msg/AckermannDriveStamped'],
      ['/diagnostics', 'diagnostic_msgs/msg/DiagnosticArray'],
      ['/pilot/timeline', TICK_TIMELINE_TYPE],
    ]);
    const transport = new InProcessTransport();
    const folder = new MemoryBagFolder('box');
    const recorder = recordBlackBox({ transport, writer: await BagWriter.create(folder), config, clock: fakeClock() });
    const timeline = transport.advertise('/pilot/timeline', TICK_TIMELINE_TYPE);
    const tickMsg = {
      stamp: { sec: 1, nanosec: 2 },
      scheduled_ms: 10,
      input_age_ms: 3.5,
      preprocess_ms: 0.4,
      inference_ms: 1.7,
      postprocess_ms: 0.1,
      publish_ms: 0.05,
      tick_latency_ms: 2.4,
      reason: 'ok',
    };
    timeline.publish(tickMsg);
    transport.advertise('/pilot/estop', 'std_msgs/msg/Bool').publish({ data: true });
    await recorder.stop();
    const reader = await BagReader.open(folder, { registry: null });
    expect((await collect(reader.decoded())).map((m) => [m.topic, m.message])).toEqual([
      ['/pilot/timeline', tickMsg],
      ['/pilot/estop', { data: true }],
    ]);
  });
});

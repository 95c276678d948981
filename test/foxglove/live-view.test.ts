import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { blackBoxTopics, TICK_TIMELINE_SCHEMA, TICK_TIMELINE_TYPE } from '../../src/data/bags/black-box.js';
import { parseConfig } from '../../src/core/config/load.js';
import { chooseSubprotocol, FOXGLOVE_SUBPROTOCOLS, LiveServer } from '../../src/foxglove/live-server.js';
import { LiveView } from '../../src/foxglove/live-view.js';
import { makeAckermannDriveStamped, makeHeader, makeImage } from '../../src/core/messages/factories.js';
import type { TickTimelineMessage } from '../../src/core/messages/tick-timeline.js';
import type { AckermannDriveStamped, ClockMsg, Image } from '../../src/core/messages/types.js';
import { InProcessTransport } from '../../src/transport/in-process.js';
import { RELIABLE_QOS, SENSOR_QOS } from '../../src/transport/transport.js';
import { FoxgloveViewer } from './foxglove-viewer.js';

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function startLive(options: { maxBufferedBytes?: number } = {}): Promise<{ live: LiveView; transport: InProcessTransport }> {
  const live = await LiveView.start({ port: 0, ...options });
  const transport = new InProcessTransport();
  closers.push(() => transport.close(), () => live.close());
  return { live, transport };
}

async function viewer(url: string, subprotocol: string): Promise<FoxgloveViewer> {
  const v = await FoxgloveViewer.connect(url, subprotocol);
  closers.push(() => v.close());
  return v;
}

function image(width: number, height: number, fill: (i: number) => number): Image {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = fill(i) & 0xff;
  return makeImage({ header: makeHeader({ frame_id: 'camera_optical_frame', stamp: { sec: 3, nanosec: 500 } }), width, height, encoding: 'rgb8', step: width * 3, data });
}

const timeline: TickTimelineMessage = {
  stamp: { sec: 1, nanosec: 2 },
  scheduled_ms: 50,
  input_age_ms: 12.5,
  preprocess_ms: 0.4,
  inference_ms: 1.5,
  postprocess_ms: 0.1,
  publish_ms: 0.05,
  tick_latency_ms: 2.1,
  reason: 'ok',
};

describe('Foxglove live view', () => {
  it('serves on loopback at an ephemeral port and refuses a non-loopback host', async () => {
    const { live } = await startLive();
    expect(live.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    expect(live.server.port).toBeGreaterThan(0);
    await expect(LiveServer.start({ host: '0.0.0.0', port: 0 })).rejects.toThrow(/E_FOXGLOVE_HOST.*0\.0\.0\.0/);
    await expect(LiveServer.start({ port: 70000 })).rejects.toThrow(/E_FOXGLOVE_PORT.*70000/);
  });

  it('negotiates either subprotocol name and turns away a client offering neither', async () => {
    expect(chooseSubprotocol(['other', 'foxglove.sdk.v1'])).toBe('foxglove.sdk.v1');
    expect(chooseSubprotocol(['foxglove.sdk.v1', 'foxglove.websocket.v1'])).toBe('foxglove.websocket.v1');
    expect(chooseSubprotocol(['foxglove.websocket.v2'])).toBe(false);
    const { live } = await startLive();
    for (const name of FOXGLOVE_SUBPROTOCOLS) expect((await viewer(live.url, name)).protocol).toBe(name);
    const stranger = new WebSocket(live.url, ['something.else']);
    // The server selects no subprotocol for it, so the handshake fails on the client's side.
    const failure = await new Promise<string>((resolve) => {
      stranger.on('error', (err) => resolve(err.message));
      stranger.on('open', () => resolve('opened'));
    });
    expect(failure).toMatch(/subprotocol/i);
    expect(live.stats().viewers).toBe(2);
  });

  it('advertises each topic with its schema; viewers on both subprotocols decode what they subscribed to', async () => {
    const { live, transport } = await startLive();
    const config = parseConfig({ model: { path: 'models/pilot-drive.onnx' }, outputs: { command: { topic: '/cmd', type: 'ackermann' }, timeline: { enabled: true } } }, 'test', process.cwd());
    live.tapTransport(transport, [...blackBoxTopics(config), { topic: '/clock', type: 'rosgraph_msgs/msg/Clock', qos: RELIABLE_QOS }]);
    const a = await viewer(live.url, 'foxglove.websocket.v1');
    const b = await viewer(live.url, 'foxglove.sdk.v1');
    for (const v of [a, b]) await v.until(() => v.channels.size >= 6);
    const byTopic = new Map([...a.channels.values()].map((c) => [c.topic, c]));
    expect(byTopic.get(config.inputs.camera.topic)).toMatchObject({ encoding: 'cdr', schemaEncoding: 'ros2msg', schemaName: 'sensor_msgs/msg/Image' });
    expect(byTopic.get('/cmd')).toMatchObject({ encoding: 'cdr', schemaName: 'ackermann_msgs/msg/AckermannDriveStamped' });
    expect(byTopic.get('/diagnostics')).toMatchObject({ encoding: 'cdr', schemaName: 'diagnostic_msgs/msg/DiagnosticArray' });
    expect(byTopic.get('/pilot/timeline')).toMatchObject({ encoding: 'json', schemaEncoding: 'jsonschema', schemaName: TICK_TIMELINE_TYPE });
    expect(byTopic.get(config.inputs.camera.topic)!.schema).toContain('MSG: std_msgs/Header');

    a.subscribeAll();
    b.subscribeAll((t) => t === '/cmd');
    await new Promise((r) => setTimeout(r, 100));
    const camera = transport.advertise<Image>(config.inputs.camera.topic, 'sensor_msgs/msg/Image', SENSOR_QOS);
    const cmd = transport.advertise<AckermannDriveStamped>('/cmd', 'ackermann_msgs/msg/AckermannDriveStamped', RELIABLE_QOS);
    const tl = transport.advertise<TickTimelineMessage>('/pilot/timeline', TICK_TIMELINE_TYPE, RELIABLE_QOS);
    const clock = transport.advertise<ClockMsg>('/clock', 'rosgraph_msgs/msg/Clock', RELIABLE_QOS);
    clock.publish({ clock: { sec: 42, nanosec: 7 } });
    camera.publish(image(8, 4, (i) => i * 7));
    const command = makeAckermannDriveStamped();
    command.drive.steering_angle = 0.25;
    command.drive.speed = 1.5;
    cmd.publish(command);
    tl.publish(timeline);
    await a.until(() => a.on('/pilot/timeline').length === 1 && a.on('/cmd').length === 1 && a.on(config.inputs.camera.topic).length === 1);
    await b.until(() => b.on('/cmd').length === 1);
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);

    const frame = a.on(config.inputs.camera.topic)[0]!.message as Image;
    expect({ width: frame.width, height: frame.height, encoding: frame.encoding, step: frame.step, frame: frame.header.frame_id }).toEqual({ width: 8, height: 4, encoding: 'rgb8', step: 24, frame: 'camera_optical_frame' });
    expect([...frame.data]).toEqual([...image(8, 4, (i) => i * 7).data]);
    for (const v of [a, b]) expect((v.on('/cmd')[0]!.message as AckermannDriveStamped).drive).toMatchObject({ steering_angle: 0.25, speed: 1.5 });
    expect(a.on('/pilot/timeline')[0]!.message).toEqual(timeline);
    // /clock set the live view's time: messages after it carry sim time as their log time.
    expect(a.on('/cmd')[0]!.logTimeNs).toBe(42_000_000_007n);
    expect(b.on(config.inputs.camera.topic)).toEqual([]);
    expect(live.stats()).toMatchObject({ dropped: 0, viewers: 2 });
  });

  it('sends nothing for a topic nobody subscribed to (the tap only subscribes for a viewer)', async () => {
    const { live, transport } = await startLive();
    live.tapTransport(transport, [{ topic: '/cmd', type: 'ackermann_msgs/msg/AckermannDriveStamped', qos: RELIABLE_QOS }]);
    const v = await viewer(live.url, 'foxglove.websocket.v1');
    await v.until(() => v.channels.size === 1);
    const cmd = transport.advertise<AckermannDriveStamped>('/cmd', 'ackermann_msgs/msg/AckermannDriveStamped', RELIABLE_QOS);
    cmd.publish(makeAckermannDriveStamped({}));
    expect(transport.stats().get('/cmd')?.received ?? 0).toBe(0);
    v.subscribe('/cmd');
    await new Promise((r) => setTimeout(r, 100));
    cmd.publish(makeAckermannDriveStamped({}));
    await v.until(() => v.on('/cmd').length === 1);
    expect(live.stats().sent).toBe(1);
  });

  it('a paused viewer misses messages (counted) while publishing goes on; what it gets still decodes', async () => {
    const { live, transport } = await startLive({ maxBufferedBytes: 256 << 10 });
    live.tapTransport(transport, [{ topic: '/camera', type: 'sensor_msgs/msg/Image', qos: SENSOR_QOS }, { topic: '/tl', type: TICK_TIMELINE_TYPE, schemaText: TICK_TIMELINE_SCHEMA }]);
    const slow = await viewer(live.url, 'foxglove.websocket.v1');
    await slow.until(() => slow.channels.size === 2);
    slow.subscribeAll();
    await new Promise((r) => setTimeout(r, 100));
    slow.socket.pause();
    const camera = transport.advertise<Image>('/camera', 'sensor_msgs/msg/Image', SENSOR_QOS);
    // 300 frames of 256×256 (196 KiB each, ~58 MiB): far more than the socket and kernel buffers hold.
    const frames = 300;
    const frame = image(256, 256, () => 0);
    for (let k = 0; k < frames; k++) {
      frame.data.fill(k & 0xff);
      frame.header.stamp.sec = k;
      camera.publish(frame);
    }
    const paused = live.stats();
    expect(paused.dropped).toBeGreaterThan(0);
    expect(paused.sent + paused.dropped).toBe(frames);
    expect(paused.channels.find((c) => c.topic === '/camera')).toMatchObject({ sent: paused.sent, dropped: paused.dropped });
    expect(live.summary()).toMatch(new RegExp(`${paused.dropped} dropped for slow viewers \\(/camera ${paused.dropped}\\)`));

    slow.socket.resume();
    await slow.until(() => slow.on('/camera').length === paused.sent, 60_000);
    expect(slow.errors).toEqual([]);
    const stamps = slow.on('/camera').map((r) => (r.message as Image).header.stamp.sec);
    expect(stamps).toEqual([...stamps].sort((x, y) => x - y));
    for (const r of slow.on('/camera')) {
      const img = r.message as Image;
      expect(img.data.length).toBe(256 * 256 * 3);
      expect(img.data[0]).toBe(img.header.stamp.sec & 0xff);
      expect(img.data[img.data.length - 1]).toBe(img.header.stamp.sec & 0xff);
    }
    // A viewer that keeps up again gets new messages.
    const before = slow.on('/camera').length;
    camera.publish(frame);
    await slow.until(() => slow.on('/camera').length === before + 1);
  });
});

/** ZeroMQ specifics: hostile input, back-pressure accounting, endpoints and cleanup. */
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { Packr } from 'msgpackr';
import * as zmq from 'zeromq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeMessage } from '../../src/transport/wire.js';
import { RELIABLE_QOS, SENSOR_QOS } from '../../src/transport/transport.js';
import { ZeroMqTransport, type ZeroMqTransportOptions } from '../../src/transport/zeromq.js';
import { statsOf, tempIpcDir, tick, until } from './helpers.js';

const packr = new Packr({ moreTypes: true, useRecords: false });
const quiet = (): void => {};

let ipc: ReturnType<typeof tempIpcDir>;
const open: (ZeroMqTransport | zmq.Socket)[] = [];

function transport(options: ZeroMqTransportOptions = {}): ZeroMqTransport {
  const t = new ZeroMqTransport({ ipcDir: ipc.dir, onError: quiet, ...options });
  open.push(t);
  return t;
}

function raw<S extends zmq.Socket>(socket: S): S {
  open.push(socket);
  return socket;
}

beforeEach(() => {
  ipc = tempIpcDir();
});

afterEach(async () => {
  for (const x of open.splice(0)) {
    if (x instanceof ZeroMqTransport) await x.close();
    else x.close();
  }
  ipc.remove();
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('ZeroMqTransport', () => {
  it('counts corrupt frames as decode errors and keeps receiving', async () => {
    const t = transport();
    const topic = '/camera/image_raw';
    const type = 'sensor_msgs/msg/Image';
    // A raw socket stands in for a broken or hostile publisher on the topic's endpoint.
    const evil = raw(new zmq.Publisher({ linger: 0 }));
    await evil.bind(t.endpointFor(topic));
    const got: { n: number; data: Float32Array }[] = [];
    t.subscribe<{ n: number; data: Float32Array }>(topic, type, (m) => void got.push(m), RELIABLE_QOS);
    const good = (seq: number): Buffer[] => encodeMessage({ topic, type, seq, sentAtMs: Date.now() }, { n: seq, data: new Float32Array(512).fill(seq) });

    let seq = 0;
    await until(() => got.length > 0, () => void evil.send(good(seq++)), 'probe');
    const header = (h: object): Buffer => packr.pack({ type, seq: seq, sentAtMs: 0, bulk: [], body: {}, ...h });
    const corrupt: Buffer[][] = [
      [Buffer.from(topic)], // no header
      [Buffer.from(topic), Buffer.from([0xc1, 0xff, 0x00, 0x13])], // not msgpack
      [Buffer.from(topic), good(seq)[1].subarray(0, 9)], // truncated header
      [Buffer.from(topic), packr.pack(42)], // header not a map
      [Buffer.from(topic), header({ seq: 'x' })], // wrong field type
      [Buffer.from(topic), header({ bulk: [{ path: ['data'], kind: 'Float32Array' }] })], // bulk frame missing
      [Buffer.from(topic), header({ bulk: [{ path: ['data'], kind: 'Float32Array' }] }), Buffer.alloc(7)], // 7 bytes of float32
      [Buffer.from(topic), header({ bulk: [{ path: ['data'], kind: 'Function' }] }), Buffer.alloc(8)], // unknown kind
      [Buffer.from(topic), header({ bulk: [{ path: ['__proto__', 'x'], kind: 'Uint8Array' }] }), Buffer.alloc(8)], // prototype walk
      [Buffer.from(topic), header({ type: 'std_msgs/msg/String' })], // right topic, other type
    ];
    for (const frames of corrupt) await evil.send(frames);
    const before = got.length;
    await evil.send(good(seq));
    await until(() => got.length > before, undefined, 'good message after the corrupt ones');

    expect(statsOf(topic, t).decodeErrors).toBe(corrupt.length);
    expect(got.at(-1)!.n).toBe(seq);
    expect(Array.from(got.at(-1)!.data.subarray(0, 3))).toEqual([seq, seq, seq]);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('accounts for every message of an overloaded burst: sent + sendDrops = attempted, received + gaps = published', async () => {
    const pubT = transport({ highWaterMark: { reliable: 1, sensor: 1 } });
    const subT = transport({ highWaterMark: { reliable: 1, sensor: 1 } });
    const topic = '/burst';
    const seqs: number[] = [];
    subT.subscribe<{ data: Uint8Array }>(topic, 'test/msg/Blob', (_m, info) => void seqs.push(info.seq), RELIABLE_QOS);
    const pub = pubT.advertise<{ data: Uint8Array }>(topic, 'test/msg/Blob', { kind: 'reliable', depth: 4 });
    const blob = { data: new Uint8Array(1 << 20) };
    let attempted = 0;
    const publish = (): void => {
      pub.publish(blob);
      attempted++;
    };
    await until(() => seqs.length > 0, publish, 'probe');
    const firstSeq = seqs[0];

    // 8 back-to-back publishes per event-loop turn overflow the 4-deep queue; 1 MiB frames fill the HWM.
    for (let i = 0; i < 200; i++) {
      publish();
      if (i % 8 === 7) await tick();
    }
    const burstEnd = attempted - 1;
    await until(() => seqs.at(-1)! > burstEnd, publish, 'a message after the burst');

    const s = statsOf(topic, pubT, subT);
    expect(s.sendDrops).toBeGreaterThan(0);
    expect(s.sent + s.sendDrops).toBe(attempted);
    expect(s.received + s.receiveGaps).toBe(seqs.at(-1)! - firstSeq + 1);
    expect(s.decodeErrors).toBe(0);
  });

  it('turns a stalled subscriber into counted EAGAIN drops instead of silent loss, and recovers', async () => {
    const t = transport({ highWaterMark: { sensor: 1 } });
    const topic = '/stalled';
    const pub = t.advertise<{ data: Uint8Array }>(topic, 'test/msg/Blob', SENSOR_QOS);
    // A subscriber that never reads: its queue, the kernel buffer and ours fill up and stay full.
    const stalled = raw(new zmq.Subscriber({ linger: 0, receiveHighWaterMark: 1 }));
    stalled.connect(t.endpointFor(topic));
    stalled.subscribe();
    const blob = { data: new Uint8Array(256 * 1024) };
    let attempted = 0;
    let dropStreak = 0;
    let dropsSoFar = 0;
    // One publish per poll: our send queue is always empty, so every drop is the socket's EAGAIN.
    const publishOne = (): void => {
      const drops = statsOf(topic, t).sendDrops; // the previous attempt has settled by now
      dropStreak = drops > dropsSoFar ? dropStreak + 1 : 0;
      dropsSoFar = drops;
      pub.publish(blob);
      attempted++;
    };
    await until(() => dropStreak >= 20, publishOne, '20 drops in a row');
    await tick();
    const s = statsOf(topic, t);
    expect(s.sendDrops).toBeGreaterThanOrEqual(20);
    expect(s.sent + s.sendDrops).toBe(attempted);

    // noDrop's trade-off: the stalled peer blocks the topic until it goes away; then sends succeed again.
    stalled.close();
    const sentBefore = s.sent;
    await until(() => statsOf(topic, t).sent > sentBefore, () => (pub.publish(blob), attempted++), 'a send after the stalled peer left');
    await tick();
    const after = statsOf(topic, t);
    expect(after.sent + after.sendDrops).toBe(attempted);
  });

  it('keeps only the newest pending message on a sensor topic and counts the replaced ones', async () => {
    const t = transport({ highWaterMark: { sensor: 100 } }); // no EAGAIN here: this is about our own slot
    const got: number[] = [];
    t.subscribe<{ n: number }>('/imu', 'test/msg/N', (m) => void got.push(m.n), SENSOR_QOS);
    const pub = t.advertise<{ n: number }>('/imu', 'test/msg/N', SENSOR_QOS);
    await until(() => got.length > 0, () => pub.publish({ n: -1 }), 'probe');
    const base = statsOf('/imu', t);
    // Same turn: the first goes out, 2..9 replace each other in the single slot, 10 is sent after.
    for (let n = 1; n <= 10; n++) pub.publish({ n });
    await until(() => got.at(-1) === 10, undefined, 'newest');
    const s = statsOf('/imu', t);
    expect(s.sendDrops - base.sendDrops).toBe(8);
    expect(s.sent - base.sent).toBe(2);
    expect(got.slice(-2)).toEqual([1, 10]);
    expect(s.receiveGaps - base.receiveGaps).toBe(8);
  });

  it('refuses a second publisher of the same topic with E_TOPIC_TAKEN', () => {
    const t = transport();
    t.advertise('/cmd', 'ackermann_msgs/msg/AckermannDriveStamped', RELIABLE_QOS);
    expect(() => t.advertise('/cmd', 'ackermann_msgs/msg/AckermannDriveStamped')).toThrow(expect.objectContaining({ code: 'E_TOPIC_TAKEN' }));
  });

  it('refuses non-loopback tcp endpoints unless allowRemote, naming the endpoint', async () => {
    const port = await freePort();
    for (const endpoint of [`tcp://0.0.0.0:${port}`, `tcp://*:${port}`, `tcp://10.1.2.3:${port}`, `tcp://eth0:${port}`, 'pgm://eth0;239.192.1.1:5555']) {
      const t = transport({ endpoints: { '/cmd': endpoint } });
      let error: unknown;
      try {
        t.advertise('/cmd', 'std_msgs/msg/Bool');
      } catch (e) {
        error = e;
      }
      expect(error).toMatchObject({ code: 'E_NOT_LOOPBACK' });
      expect((error as Error).message).toContain(endpoint);
    }
    const open = transport({ endpoints: { '/cmd': `tcp://0.0.0.0:${port}` }, allowRemote: true });
    expect(() => open.advertise('/cmd', 'std_msgs/msg/Bool')).not.toThrow();
  });

  it('delivers over an explicit loopback tcp endpoint', async () => {
    const endpoints = { '/cmd': `tcp://127.0.0.1:${await freePort()}` };
    const pubT = transport({ endpoints });
    const subT = transport({ endpoints });
    const got: boolean[] = [];
    subT.subscribe<{ data: boolean }>('/cmd', 'std_msgs/msg/Bool', (m) => void got.push(m.data), RELIABLE_QOS);
    const pub = pubT.advertise<{ data: boolean }>('/cmd', 'std_msgs/msg/Bool', RELIABLE_QOS);
    await until(() => got.length > 0, () => pub.publish({ data: true }), 'tcp delivery');
    expect(got[0]).toBe(true);
  });

  it('derives ipc endpoints from the topic and keeps them within the unix socket path limit', () => {
    const t = transport();
    expect(t.endpointFor('/camera/image_raw')).toBe(`ipc://${ipc.dir}/camera_image_raw`);
    const long = `/${'very_long_namespace/'.repeat(10)}image`;
    const a = t.endpointFor(long);
    const b = t.endpointFor(`${long}2`);
    expect(a.length - 'ipc://'.length).toBeLessThanOrEqual(100);
    expect(a).not.toBe(b);
  });

  it('removes its ipc files on close, and publishing after close is counted, not thrown', async () => {
    const t = new ZeroMqTransport({ ipcDir: ipc.dir, onError: quiet });
    const a = t.advertise('/a', 'std_msgs/msg/Bool');
    const b = t.advertise('/b/c', 'std_msgs/msg/Bool');
    t.subscribe('/a', 'std_msgs/msg/Bool', () => {});
    const files = ['/a', '/b/c'].map((topic) => t.endpointFor(topic).slice('ipc://'.length));
    expect(files.map((f) => existsSync(f))).toEqual([true, true]);

    b.close();
    expect(existsSync(files[1])).toBe(false);
    expect(() => t.advertise('/b/c', 'std_msgs/msg/Bool')).not.toThrow(); // the topic is free again

    await t.close();
    expect(files.map((f) => existsSync(f))).toEqual([false, false]);
    a.publish({ data: true });
    expect(statsOf('/a', t).sendDrops).toBe(1);
    expect(() => t.advertise('/d', 'std_msgs/msg/Bool')).toThrow(expect.objectContaining({ code: 'E_CLOSED' }));
  });
});

/** The contract every transport meets, run against in-process and ZeroMQ alike. */
import type { Image } from '../../src/core/messages/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { InProcessTransport } from '../../src/transport/in-process.js';
import { RELIABLE_QOS, type ReceiveInfo, type Transport } from '../../src/transport/transport.js';
import { ZeroMqTransport } from '../../src/transport/zeromq.js';
import { statsOf, tempIpcDir, tick, until } from './helpers.js';

interface Pair {
  /** Publishes; for ZeroMQ a separate transport from `sub`, as between two processes. */
  pub: Transport;
  sub: Transport;
  close(): Promise<void>;
}

const quiet = (): void => {};

const kinds: { name: string; make: () => Pair }[] = [
  {
    name: 'inprocess',
    make: () => {
      const t = new InProcessTransport({ onError: quiet });
      return { pub: t, sub: t, close: () => t.close() };
    },
  },
  {
    name: 'zeromq',
    make: () => {
      const ipc = tempIpcDir();
      const pub = new ZeroMqTransport({ ipcDir: ipc.dir, onError: quiet });
      const sub = new ZeroMqTransport({ ipcDir: ipc.dir, onError: quiet });
      return {
        pub,
        sub,
        close: async () => {
          await Promise.all([pub.close(), sub.close()]);
          ipc.remove();
        },
      };
    },
  },
];

function image(seed: number): Image {
  const data = new Uint8Array(640 * 480 * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + seed) & 0xff;
  return { header: { stamp: { sec: 12, nanosec: 345 }, frame_id: 'camera' }, height: 480, width: 640, encoding: 'rgb8', is_bigendian: 0, step: 640 * 3, data };
}

describe.each(kinds)('$name transport contract', ({ make }) => {
  let pair: Pair;
  afterEach(async () => {
    await pair?.close();
  });

  it('delivers nested objects and a 640×480×3 image byte for byte', async () => {
    pair = make();
    const got: { msg: Image; info: ReceiveInfo }[] = [];
    pair.sub.subscribe<Image>('/camera/image_raw', 'sensor_msgs/msg/Image', (msg, info) => void got.push({ msg, info }));
    const pub = pair.pub.advertise<Image>('/camera/image_raw', 'sensor_msgs/msg/Image');
    const sent = image(7);
    const before = Date.now();
    await until(() => got.length > 0, () => pub.publish(sent), 'first image');

    const { msg, info } = got[0];
    expect(msg.data).toBeInstanceOf(Uint8Array);
    expect(msg.data.length).toBe(640 * 480 * 3);
    expect(Buffer.compare(Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength), Buffer.from(sent.data))).toBe(0);
    const { data: _a, ...restGot } = msg;
    const { data: _b, ...restSent } = sent;
    expect(restGot).toEqual(restSent);
    expect(Number.isInteger(info.seq)).toBe(true);
    expect(info.sentAtMs).toBeGreaterThanOrEqual(before);
    expect(info.sentAtMs).toBeLessThanOrEqual(Date.now());
  });

  it('keeps Float32Array, Float64Array, Int32Array and friends typed, large or small, nested or not', async () => {
    pair = make();
    const f32 = Float32Array.from({ length: 1000 }, (_, i) => i * 0.5 - 100.25);
    const f64 = Float64Array.from({ length: 300 }, (_, i) => Math.PI * i);
    const sent = {
      points: f32, // bulk frame
      ranges: f64, // bulk frame
      small: new Float32Array([1.5, -2.25, 3]), // inline msgpack
      ids: new Int32Array([-7, 9, 2 ** 31 - 1]),
      bigIds: Int32Array.from({ length: 400 }, (_, i) => -i),
      u16: Uint16Array.from({ length: 600 }, (_, i) => i * 100),
      nested: { inner: { grid: Float64Array.from({ length: 256 }, (_, i) => 1 / (i + 1)) }, label: 'x' },
    };
    let got: typeof sent | undefined;
    pair.sub.subscribe<typeof sent>('/cloud', 'test/msg/Cloud', (m) => void (got = m));
    const pub = pair.pub.advertise<typeof sent>('/cloud', 'test/msg/Cloud');
    await until(() => got !== undefined, () => pub.publish(sent), 'cloud');
    const m = got!;
    expect(m.points).toBeInstanceOf(Float32Array);
    expect(m.ranges).toBeInstanceOf(Float64Array);
    expect(m.small).toBeInstanceOf(Float32Array);
    expect(m.ids).toBeInstanceOf(Int32Array);
    expect(m.bigIds).toBeInstanceOf(Int32Array);
    expect(m.u16).toBeInstanceOf(Uint16Array);
    expect(m.nested.inner.grid).toBeInstanceOf(Float64Array);
    expect(Array.from(m.points)).toEqual(Array.from(f32));
    expect(Array.from(m.ranges)).toEqual(Array.from(f64));
    expect(Array.from(m.small)).toEqual([1.5, -2.25, 3]);
    expect(Array.from(m.ids)).toEqual([-7, 9, 2 ** 31 - 1]);
    expect(Array.from(m.bigIds)).toEqual(Array.from(sent.bigIds));
    expect(Array.from(m.u16)).toEqual(Array.from(sent.u16));
    expect(Array.from(m.nested.inner.grid)).toEqual(Array.from(sent.nested.inner.grid));
    expect(m.nested.label).toBe('x');
    // The publisher's message is left as it was.
    expect(sent.points).toBe(f32);
    expect(sent.nested.inner.grid).toBeInstanceOf(Float64Array);
  });

  it('counts a subscriber of another type as a decode error and never calls it', async () => {
    pair = make();
    const right: unknown[] = [];
    const wrong: unknown[] = [];
    pair.sub.subscribe('/estop', 'std_msgs/msg/Bool', (m) => void right.push(m), RELIABLE_QOS);
    pair.sub.subscribe('/estop', 'std_msgs/msg/String', (m) => void wrong.push(m), RELIABLE_QOS);
    const pub = pair.pub.advertise<{ data: boolean }>('/estop', 'std_msgs/msg/Bool', RELIABLE_QOS);
    await until(() => right.length > 0 && statsOf('/estop', pair.sub).decodeErrors > 0, () => pub.publish({ data: true }), 'both subscribers');
    const base = statsOf('/estop', pair.sub).decodeErrors;
    const baseRight = right.length;
    for (let i = 0; i < 5; i++) {
      pub.publish({ data: false });
      await tick();
    }
    await until(() => right.length === baseRight + 5 && statsOf('/estop', pair.sub).decodeErrors === base + 5, undefined, 'five more each');
    expect(wrong).toEqual([]);
    expect(statsOf('/estop', pair.sub).decodeErrors).toBe(base + 5);
  });

  it('keeps delivering after a handler throws, and counts the throw', async () => {
    pair = make();
    const seen: number[] = [];
    pair.sub.subscribe<{ n: number }>(
      '/cmd',
      'test/msg/N',
      (m) => {
        seen.push(m.n);
        if (seen.length === 1) throw new Error('handler bug');
      },
      RELIABLE_QOS,
    );
    const pub = pair.pub.advertise<{ n: number }>('/cmd', 'test/msg/N', RELIABLE_QOS);
    await until(() => seen.length > 0, () => pub.publish({ n: -1 }), 'first');
    for (let n = 0; n < 3; n++) {
      pub.publish({ n });
      await tick();
    }
    await until(() => seen.at(-1) === 2, undefined, 'later deliveries');
    expect(seen.slice(-3)).toEqual([0, 1, 2]);
    expect(statsOf('/cmd', pair.sub).handlerErrors).toBe(1);
    expect(statsOf('/cmd', pair.sub).decodeErrors).toBe(0);
  });

  it('keeps exact counters: sent, received, no drops, consecutive sequence numbers', async () => {
    pair = make();
    const seqs: number[] = [];
    pair.sub.subscribe<{ i: number }>('/odom', 'test/msg/I', (_m, info) => void seqs.push(info.seq), RELIABLE_QOS);
    const pub = pair.pub.advertise<{ i: number }>('/odom', 'test/msg/I', RELIABLE_QOS);
    let attempted = 0;
    await until(() => seqs.length > 0, () => (pub.publish({ i: -1 }), attempted++), 'first');
    const n = 20;
    for (let i = 0; i < n; i++) {
      pub.publish({ i });
      attempted++;
      await tick();
    }
    const lastSeq = attempted - 1;
    await until(() => seqs.at(-1) === lastSeq, undefined, 'last message');
    const s = statsOf('/odom', pair.pub, pair.sub);
    expect(s.sent).toBe(attempted);
    expect(s.sendDrops).toBe(0);
    expect(s.receiveGaps).toBe(0);
    expect(s.decodeErrors).toBe(0);
    expect(s.handlerErrors).toBe(0);
    // Everything from the first message that reached the subscriber on arrived, in order.
    expect(s.received).toBe(lastSeq - seqs[0] + 1);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => seqs[0] + i));
  });

  it('refuses a second publisher of a topic in one transport', () => {
    pair = make();
    pair.pub.advertise('/a', 'std_msgs/msg/Bool');
    expect(() => pair.pub.advertise('/a', 'std_msgs/msg/Bool')).toThrow(expect.objectContaining({ code: 'E_TOPIC_TAKEN' }));
  });
});

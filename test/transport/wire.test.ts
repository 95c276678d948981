import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../../src/transport/wire.js';

const head = { topic: '/camera/image_raw', type: 'sensor_msgs/msg/Image', seq: 3, sentAtMs: 1700000000123 };

describe('wire format', () => {
  it('is why we need moreTypes: default msgpackr turns a Float32Array into bytes', () => {
    const plain = new Packr().unpack(new Packr().pack({ f: new Float32Array([1.5, -2]) })) as { f: unknown };
    expect(plain.f).not.toBeInstanceOf(Float32Array);
  });

  it('sends large typed arrays as their own frames without copying, and leaves the message alone', () => {
    const data = new Uint8Array(640 * 480 * 3).fill(9);
    const depth = new Float32Array(2048).fill(0.5);
    const msg = { header: { frame_id: 'cam' }, data, extra: { depth }, tiny: new Uint8Array(16) };
    const frames = encodeMessage(head, msg);
    expect(frames).toHaveLength(4);
    expect(frames[0].toString()).toBe(head.topic);
    expect(frames[2].buffer).toBe(data.buffer); // a view over the caller's memory
    expect(frames[3].buffer).toBe(depth.buffer);
    expect(frames[1].byteLength).toBeLessThan(200); // the image is not in the header
    expect(msg.data).toBe(data);
    expect(msg.extra.depth).toBe(depth);
  });

  it('restores bulk fields as views over the received frames, keeping their type', () => {
    const msg = { data: new Uint8Array(4096).map((_, i) => i), ranges: new Float64Array(512).map((_, i) => i / 3) };
    const frames = encodeMessage(head, msg).map((f) => Buffer.from(f)); // as received: fresh, aligned buffers
    const out = decodeMessage(frames);
    const m = out.message as typeof msg;
    expect(out).toMatchObject({ topic: head.topic, type: head.type, seq: 3, sentAtMs: head.sentAtMs });
    expect(m.data).toBeInstanceOf(Uint8Array);
    expect(m.ranges).toBeInstanceOf(Float64Array);
    expect(m.data.buffer).toBe(frames[2].buffer); // no copy
    expect(m.ranges.buffer).toBe(frames[3].buffer);
    expect(Array.from(m.ranges)).toEqual(Array.from(msg.ranges));
  });

  it('copies a bulk frame only when its offset is misaligned for the element type', () => {
    const msg = { ranges: new Float64Array(512).map((_, i) => i * 1.25) };
    const frames = encodeMessage(head, msg);
    const shifted = Buffer.alloc(frames[2].byteLength + 1);
    frames[2].copy(shifted, 1);
    const m = decodeMessage([frames[0], frames[1], shifted.subarray(1)]).message as typeof msg;
    expect(m.ranges).toBeInstanceOf(Float64Array);
    expect(Array.from(m.ranges)).toEqual(Array.from(msg.ranges));
  });

  it('round-trips BigInt64Array and nested small typed arrays inline', () => {
    const msg = { a: { b: { c: new Int16Array([-1, 2]) } }, big: new BigInt64Array(200).fill(-5n), list: [{ v: new Float32Array([0.25]) }] };
    const m = decodeMessage(encodeMessage(head, msg)).message as typeof msg;
    expect(m.a.b.c).toEqual(new Int16Array([-1, 2]));
    expect(m.big).toBeInstanceOf(BigInt64Array);
    expect(m.big[199]).toBe(-5n);
    expect(m.list[0].v).toEqual(new Float32Array([0.25]));
  });

  it('rejects malformed input with E_WIRE_DECODE naming the topic', () => {
    const good = encodeMessage(head, { data: new Uint8Array(2048) });
    const bad: Buffer[][] = [[], [good[0]], [good[0], good[1]], [good[0], good[1].subarray(0, 5), good[2]], [good[0], Buffer.from('nonsense'), good[2]]];
    for (const frames of bad) {
      let error: unknown;
      try {
        decodeMessage(frames);
      } catch (e) {
        error = e;
      }
      expect(error).toMatchObject({ code: 'E_WIRE_DECODE' });
      if (frames.length > 0) expect((error as Error).message).toContain(head.topic);
    }
  });
});

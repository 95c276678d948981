import { describe, expect, it } from 'vitest';
import { loadCompression } from '../../../src/data/bags/compression.js';
import { lz4CompressFrame, xxh32Small } from '../../../src/data/bags/lz4.js';
import { comparable, rgbImage } from './helpers.js';

/** A deterministic PRNG (mulberry32) so failures reproduce. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('LZ4 frame compressor', () => {
  it('computes the frame header checksum as the reference xxHash32 does', () => {
    expect(xxh32Small(new Uint8Array(0))).toBe(0x02cc5d05);
    // FLG 0x64, BD 0x40: the header of `lz4` CLI frames, whose checksum byte is 0xa7.
    expect((xxh32Small(Uint8Array.from([0x64, 0x40])) >>> 8) & 0xff).toBe(0xa7);
  });

  it('round-trips through the reference decoder (wasm lz4) for all kinds of input', async () => {
    const { decompressor } = await loadCompression();
    const lz4 = decompressor('lz4')!;
    const rnd = prng(42);
    const inputs: Uint8Array[] = [
      new Uint8Array(0),
      Uint8Array.of(7),
      new Uint8Array(13).fill(9),
      new Uint8Array(5 << 20), // spans two 4 MiB blocks
      Uint8Array.from({ length: 100_000 }, () => Math.floor(rnd() * 256)), // incompressible: stored blocks
      rgbImage(3).data,
      new TextEncoder().encode('sensor_msgs/msg/Image '.repeat(5000)),
    ];
    for (let n = 0; n < 300; n++) {
      const len = Math.floor(rnd() * 3000);
      inputs.push(Uint8Array.from({ length: len }, () => (rnd() < 0.6 ? 0 : Math.floor(rnd() * 4))));
    }
    for (const input of inputs) {
      const frame = lz4CompressFrame(input);
      expect(comparable(new Uint8Array(lz4(frame, BigInt(input.length))))).toEqual(comparable(input));
    }
    const image = rgbImage(3).data;
    expect(lz4CompressFrame(image).length).toBeLessThan(image.length / 2);
  });
});

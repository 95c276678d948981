import { describe, expect, it } from 'vitest';
import { CameraEffects, rgbaToRgb } from '../../../sim/sensors/camera-effects.js';
import { mulberry32 } from '../../../src/core/util/prng.js';

const W = 64;
const H = 48;

function randomImage(channels: 3 | 4, seed = 1, lo = 0, hi = 255): Uint8Array {
  const r = mulberry32(seed);
  const d = new Uint8Array(W * H * channels);
  for (let i = 0; i < d.length; i++) d[i] = lo + Math.floor(r() * (hi - lo + 1));
  return d;
}

function meanColour(d: Uint8Array, channels: number): number {
  let s = 0;
  for (let i = 0; i < d.length; i++) if (i % channels < 3) s += d[i]!;
  return s / ((d.length / channels) * 3);
}

describe('CameraEffects', () => {
  it('is the identity when every effect is off', () => {
    for (const channels of [3, 4] as const) {
      const fx = new CameraEffects({ width: W, height: H, channels, seed: 1 });
      expect(fx.isIdentity).toBe(true);
      const img = randomImage(channels);
      const before = img.slice();
      fx.apply(img);
      expect(img).toEqual(before);
    }
  });

  it('scales by the exposure gain and clamps at 255', () => {
    const fx = new CameraEffects({ width: W, height: H, channels: 4, seed: 1, exposureGain: 2 });
    const img = new Uint8Array(W * H * 4);
    for (let i = 0; i < W * H; i++) img.set([10, 100, 200, 77], i * 4);
    fx.apply(img);
    expect([...img.subarray(0, 8)]).toEqual([20, 200, 255, 77, 20, 200, 255, 77]); // alpha untouched
    fx.configure({ exposureGain: 0.5 });
    fx.apply(img);
    expect([...img.subarray(0, 4)]).toEqual([10, 100, 128, 77]); // 127.5 rounds up
  });

  it('blurs (box and Gaussian) without changing the mean', () => {
    for (const blurKind of ['box', 'gaussian'] as const) {
      for (const blurRadiusPx of [1, 2]) {
        const fx = new CameraEffects({ width: W, height: H, channels: 3, seed: 1, blurKind, blurRadiusPx });
        const img = randomImage(3, 5);
        const before = meanColour(img, 3);
        fx.apply(img);
        expect(Math.abs(meanColour(img, 3) - before)).toBeLessThan(0.05); // rounding only
        // Smoother: neighbouring pixels differ less.
        const rough = (d: Uint8Array): number => {
          let s = 0;
          for (let i = 3; i < d.length; i++) s += Math.abs(d[i]! - d[i - 3]!);
          return s;
        };
        expect(rough(img)).toBeLessThan(0.7 * rough(randomImage(3, 5)));
      }
    }
  });

  it('spreads an impulse with the documented kernels', () => {
    const img = new Uint8Array(W * H * 3);
    const at = (x: number, y: number): number => img[(y * W + x) * 3]!;
    img.fill(0);
    img.set([160, 160, 160], (10 * W + 10) * 3);
    new CameraEffects({ width: W, height: H, channels: 3, seed: 1, blurKind: 'gaussian', blurRadiusPx: 1 }).apply(img);
    // [1 2 1]/4 ⊗ [1 2 1]/4 of 160: centre 40, edge 20, corner 10.
    expect([at(10, 10), at(11, 10), at(11, 11), at(12, 10)]).toEqual([40, 20, 10, 0]);
    img.fill(0);
    img.set([225, 225, 225], (10 * W + 10) * 3);
    new CameraEffects({ width: W, height: H, channels: 3, seed: 1, blurKind: 'box', blurRadiusPx: 1 }).apply(img);
    expect([at(9, 9), at(10, 10), at(11, 11), at(12, 12)]).toEqual([25, 25, 25, 0]);
  });

  it('adds Gaussian noise with the requested standard deviation (±10 %)', () => {
    for (const sigma of [2, 10, 25]) {
      const fx = new CameraEffects({ width: W, height: H, channels: 4, seed: 3, noiseSigma: sigma });
      const img = new Uint8Array(W * H * 4).fill(128);
      fx.apply(img);
      let s = 0;
      let s2 = 0;
      let n = 0;
      for (let i = 0; i < img.length; i++) {
        if (i % 4 === 3) {
          expect(img[i]).toBe(128);
          continue;
        }
        const d = img[i]! - 128;
        s += d;
        s2 += d * d;
        n++;
      }
      const std = Math.sqrt(s2 / n - (s / n) ** 2);
      expect(std / sigma).toBeGreaterThan(0.9);
      expect(std / sigma).toBeLessThan(1.1);
      expect(Math.abs(s / n)).toBeLessThan(0.5);
    }
  });

  it('scales the noise with the burst multiplier hook', () => {
    const fx = new CameraEffects({ width: W, height: H, channels: 3, seed: 3, noiseSigma: 4, noiseMultiplier: (t) => (t > 1000 ? 5 : 1) });
    const spread = (t: number): number => {
      const img = new Uint8Array(W * H * 3).fill(128);
      fx.apply(img, t);
      return Math.sqrt(img.reduce((a, v) => a + (v - 128) ** 2, 0) / img.length);
    };
    expect(spread(0)).toBeCloseTo(4, 0);
    expect(spread(2000) / 20).toBeGreaterThan(0.9);
  });

  it('paints rectangle and disc occluders in normalised coordinates', () => {
    const fx = new CameraEffects({
      width: 100,
      height: 50,
      channels: 4,
      seed: 1,
      occluders: [
        { shape: 'rect', x: 0.1, y: 0.2, w: 0.2, h: 0.4, grey: 7 },
        { shape: 'disc', x: 0.75, y: 0.5, r: 0.2, grey: 250 },
      ],
    });
    const img = new Uint8Array(100 * 50 * 4).fill(100);
    fx.apply(img);
    const px = (x: number, y: number): number => img[(y * 100 + x) * 4]!;
    // Rect: x in [0, 20), y in [0, 20).
    expect([px(0, 0), px(19, 19), px(20, 19), px(19, 20)]).toEqual([7, 7, 100, 100]);
    // Disc: centre (75, 25), radius 10 px.
    expect([px(75, 25), px(84, 25), px(75, 16), px(86, 25), px(82, 32)]).toEqual([250, 250, 250, 100, 100]);
    let painted = 0;
    for (let y = 0; y < 50; y++) for (let x = 50; x < 100; x++) if (px(x, y) === 250) painted++;
    expect(Math.abs(painted - Math.PI * 100)).toBeLessThan(12);
    expect(img[3]).toBe(100); // alpha untouched
  });

  it('is deterministic from the seed', () => {
    const run = (seed: number): Uint8Array => {
      const fx = new CameraEffects({ width: W, height: H, channels: 3, seed, noiseSigma: 8, blurRadiusPx: 1, exposureGain: 1.2, occluders: [{ shape: 'disc', x: 0.5, y: 0.5, r: 0.1, grey: 0 }] });
      const img = randomImage(3, 9);
      fx.apply(img);
      fx.apply(img);
      return img;
    };
    expect(run(4)).toEqual(run(4));
    expect(run(4)).not.toEqual(run(5));
  });

  it('refuses bad settings and buffers, naming the value', () => {
    const base = { width: W, height: H, channels: 3 as const, seed: 1 };
    expect(() => new CameraEffects({ ...base, blurRadiusPx: 3 })).toThrow('E_SIM_CONFIG: CameraEffects: blurRadiusPx: expected integer in 0..2 (got 3)');
    expect(() => new CameraEffects({ ...base, noiseSigma: 300 })).toThrow(/noiseSigma: expected number in \[0, 255\] \(got 300\)/);
    expect(() => new CameraEffects({ ...base, occluders: [{ shape: 'rect', x: 2, y: 0, w: 0.1, h: 0.1, grey: 0 }] })).toThrow(/occluders\[0\]\.x: .*\(got 2\)/);
    expect(() => new CameraEffects({ ...base, channels: 2 as 3 })).toThrow(/channels: .*\(got 2\)/);
    expect(() => new CameraEffects(base).apply(new Uint8Array(10))).toThrow(/E_SIM_CAMERA: CameraEffects.apply: data has 10 bytes, expected 64×48×3 = 9216/);
  });
});

describe('rgbaToRgb', () => {
  it('drops alpha into a preallocated buffer', () => {
    const rgba = new Uint8Array([1, 2, 3, 255, 4, 5, 6, 0]);
    const rgb = new Uint8Array(6);
    expect(rgbaToRgb(rgba, rgb, 2, 1)).toBe(rgb);
    expect([...rgb]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(() => rgbaToRgb(rgba, new Uint8Array(5), 2, 1)).toThrow(/rgb has 5 bytes, expected 2×1×3 = 6/);
  });
});

import { describe, expect, it } from 'vitest';
import { augmentConfig, createAugmenter, DEFAULT_AUGMENT, NO_AUGMENT, type AugmentOptions } from '../../../src/learning/dataset/augment.js';
import { mulberry32 } from '../../../src/core/util/prng.js';

const H = 12;
const W = 16;
const FB = H * W * 3;
const NAMES = ['steering_angle', 'speed'];

/** `count` frames: red = x·15 (a left-right ramp), green = y·20, blue = 100 + frame index. */
function batch(count: number): { images: Uint8Array; targets: Float32Array } {
  const images = new Uint8Array(count * FB);
  const targets = new Float32Array(count * 2);
  for (let i = 0; i < count; i++) {
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const o = i * FB + (y * W + x) * 3;
        images[o] = x * 15;
        images[o + 1] = y * 20;
        images[o + 2] = 100 + i;
      }
    targets[i * 2] = 0.1 * (i + 1);
    targets[i * 2 + 1] = 0.5;
  }
  return { images, targets };
}

const px = (img: Uint8Array, i: number, x: number, y: number, c: number): number => img[i * FB + (y * W + x) * 3 + c]!;
const mean = (img: Uint8Array, i: number): number => img.subarray(i * FB, (i + 1) * FB).reduce((s, v) => s + v, 0) / FB;

/** Only the given augmentations, always applied. */
function only(options: AugmentOptions) {
  return createAugmenter(options, NO_AUGMENT);
}

describe('augmentation', () => {
  it('flip mirrors pixels and negates steering, not speed', () => {
    const { images, targets } = batch(2);
    const before = images.slice();
    only({ flip: { p: 1 } })(images, targets, 2, H, W, NAMES, mulberry32(1));
    for (let i = 0; i < 2; i++)
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++) for (let c = 0; c < 3; c++) expect(px(images, i, x, y, c)).toBe(px(before, i, W - 1 - x, y, c));
    expect(targets[0]).toBeCloseTo(-0.1, 6);
    expect(targets[2]).toBeCloseTo(-0.2, 6);
    expect(targets[1]).toBe(0.5);
  });

  it('lateral shift moves pixels with edge fill and corrects steering with the right sign', () => {
    const gain = -0.01;
    const aug = only({ shift: { p: 1, maxPixels: 4, perPixel: { steering_angle: gain } } });
    // Find shifts of both signs across frames.
    const { images, targets } = batch(20);
    targets.forEach((_, j) => (targets[j] = j % 2 ? 0.5 : 0.01 * j)); // far from the ±1 clamp
    const before = images.slice();
    const steerBefore = targets.slice();
    aug(images, targets, 20, H, W, NAMES, mulberry32(3));
    const signs = new Set<number>();
    for (let i = 0; i < 20; i++) {
      // Red is x·15, so the shift is readable off the middle column.
      const k = (before[i * FB + 8 * 3]! - px(images, i, 8, 0, 0)) / 15;
      expect(Number.isInteger(k)).toBe(true);
      expect(Math.abs(k)).toBeLessThanOrEqual(4);
      for (let x = 0; x < W; x++) expect(px(images, i, x, 5, 0)).toBe(Math.min(W - 1, Math.max(0, x - k)) * 15);
      expect(px(images, i, 3, 7, 1)).toBe(7 * 20); // rows stay rows
      // Content moved right (k > 0) → steer right → steering decreases (ROS: positive = left).
      expect(targets[i * 2]! - steerBefore[i * 2]!).toBeCloseTo(gain * k, 6);
      expect(targets[i * 2 + 1]).toBe(0.5);
      signs.add(Math.sign(k));
    }
    expect(signs.has(1) && signs.has(-1)).toBe(true);
  });

  it('shift clamps the corrected label', () => {
    const { images, targets } = batch(1);
    targets[0] = 0.99;
    // Every non-zero shift pushes past ±1 with this gain.
    for (let seed = 0; seed < 5; seed++) {
      targets[0] = 0.99;
      only({ shift: { p: 1, maxPixels: 4, perPixel: { steering_angle: 1 } } })(images, targets, 1, H, W, NAMES, mulberry32(seed));
      expect(Math.abs(targets[0]!)).toBeLessThanOrEqual(1);
    }
  });

  it('brightness changes the mean; contrast keeps it and changes the spread', () => {
    const up = batch(4);
    only({ brightness: { p: 1, maxDelta: 60 } })(up.images, up.targets, 4, H, W, NAMES, mulberry32(5));
    const base = batch(4);
    const shifts = [0, 1, 2, 3].map((i) => mean(up.images, i) - mean(base.images, i));
    expect(shifts.some((d) => Math.abs(d) > 5)).toBe(true);
    expect(up.targets).toEqual(base.targets);
    const c = batch(1);
    only({ contrast: { p: 1, min: 0.5, max: 0.5 } })(c.images, c.targets, 1, H, W, NAMES, mulberry32(1));
    expect(mean(c.images, 0)).toBeCloseTo(mean(base.images, 0), 0);
    expect(px(c.images, 0, 15, 0, 0) - px(c.images, 0, 0, 0, 0)).toBeLessThan(15 * 15 * 0.6);
  });

  it('colour jitter changes channels by different gains', () => {
    const { images, targets } = batch(1);
    only({ color: { p: 1, maxGain: 0.3 } })(images, targets, 1, H, W, NAMES, mulberry32(2));
    const base = batch(1).images;
    const ratio = (c: number) => px(images, 0, 10, 10, c) / px(base, 0, 10, 10, c);
    expect(new Set([ratio(0), ratio(1), ratio(2)].map((r) => r.toFixed(2))).size).toBeGreaterThan(1);
  });

  it('noise, blur, occlusion and shadow change pixels in the expected way', () => {
    const base = batch(1).images;
    const run = (o: AugmentOptions, seed = 1) => {
      const b = batch(1);
      only(o)(b.images, b.targets, 1, H, W, NAMES, mulberry32(seed));
      return b.images;
    };
    // Noise: many bytes change, mean roughly kept.
    const noisy = run({ noise: { p: 1, maxStd: 20 } });
    expect(noisy.filter((v, i) => v !== base[i]).length).toBeGreaterThan(FB / 3);
    expect(Math.abs(mean(noisy, 0) - mean(base, 0))).toBeLessThan(3);
    // Blur of a ramp: interior unchanged (linear), the constant-colour edges too; a step is smoothed.
    const blurred = run({ blur: { p: 1, maxRadius: 1 } });
    expect(px(blurred, 0, 8, 6, 0)).toBe(px(base, 0, 8, 6, 0));
    const step = batch(1);
    for (let p = 0; p < FB; p += 3) step.images[p] = (p / 3) % W < 8 ? 0 : 240;
    only({ blur: { p: 1, maxRadius: 1 } })(step.images, step.targets, 1, H, W, NAMES, mulberry32(1));
    expect(px(step.images, 0, 7, 5, 0)).toBe(80);
    expect(px(step.images, 0, 8, 5, 0)).toBe(160);
    // Occlusion: a uniform rectangle appears.
    const occluded = run({ occlusion: { p: 1, maxPatches: 1, minSize: 0.5, maxSize: 0.5 } });
    let changed = 0;
    for (let p = 0; p < FB; p += 3) if (occluded[p] !== base[p] || occluded[p + 1] !== base[p + 1] || occluded[p + 2] !== base[p + 2]) changed++;
    expect(changed).toBeGreaterThan((W * H) / 8);
    // Shadow: only darker, some pixels.
    const shadowed = run({ shadow: { p: 1, minFactor: 0.5, maxFactor: 0.5 } }, 4);
    expect(shadowed.every((v, i) => v <= base[i]!)).toBe(true);
    expect(shadowed.some((v, i) => v < base[i]!)).toBe(true);
  });

  it('is deterministic for a seed and differs between seeds (default config)', () => {
    const aug = createAugmenter();
    const a = batch(8);
    const b = batch(8);
    const c = batch(8);
    aug(a.images, a.targets, 8, H, W, NAMES, mulberry32(42));
    createAugmenter()(b.images, b.targets, 8, H, W, NAMES, mulberry32(42));
    aug(c.images, c.targets, 8, H, W, NAMES, mulberry32(43));
    expect(a.images).toEqual(b.images);
    expect(a.targets).toEqual(b.targets);
    expect(a.images).not.toEqual(c.images);
  });

  it('p = 0 everywhere leaves the batch alone', () => {
    const { images, targets } = batch(3);
    createAugmenter({}, NO_AUGMENT)(images, targets, 3, H, W, NAMES, mulberry32(1));
    expect(images).toEqual(batch(3).images);
    expect(targets).toEqual(batch(3).targets);
  });

  it('refuses label rules for targets that do not exist, bad settings and short buffers', () => {
    const { images, targets } = batch(1);
    expect(() => createAugmenter()(images, targets, 1, H, W, ['lateral_offset_m', 'heading_rad'], mulberry32(1))).toThrow(
      /E_AUGMENT_CONFIG: flip.negate names target 'steering_angle', which is not among the targets \[lateral_offset_m, heading_rad\]/,
    );
    // With its own rules it runs.
    createAugmenter({ flip: { negate: ['lateral_offset_m', 'heading_rad'] }, shift: { perPixel: { lateral_offset_m: 0.01 }, limit: null } })(images, targets, 1, H, W, ['lateral_offset_m', 'heading_rad'], mulberry32(1));
    expect(() => augmentConfig({ flip: { p: 2 } })).toThrow(/E_AUGMENT_CONFIG: flip.p must be in \[0, 1\], got 2/);
    expect(() => augmentConfig({ blur: { maxRadius: 0 } })).toThrow(/blur.maxRadius/);
    expect(() => createAugmenter()(images, targets, 2, H, W, NAMES, mulberry32(1))).toThrow(/E_AUGMENT_SHAPE/);
    expect(DEFAULT_AUGMENT.flip.negate).toEqual(['steering_angle']);
  });
});

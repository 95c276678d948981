import { describe, expect, it } from 'vitest';
import { createAugmenter, DEFAULT_AUGMENT, NO_AUGMENT } from '../../../src/learning/dataset/augment.js';
import type { ImageDataset } from '../../../src/learning/dataset/dataset.js';
import { chunkTargetNames } from '../../../src/learning/export/chunk-fields.js';
import { chunkAugmentOptions, firstStep, firstStepRaw } from '../../../src/learning/finetune/chunk-training.js';
import { mulberry32 } from '../../../src/core/util/prng.js';

const H = 6;
const W = 8;
const FB = H * W * 3;
const CHUNK = { steps: 4, step_ms: 50 };
const NAMES = chunkTargetNames(['steering_angle', 'speed'], CHUNK);
const K = NAMES.length;

/** `count` frames, red = x·30 (a left-right ramp); steering at step s = 0.02·(i + 1) + 0.05·s (inside the ±1 clamp), speed 0.3. */
function batch(count: number): { images: Uint8Array; targets: Float32Array } {
  const images = new Uint8Array(count * FB);
  for (let i = 0; i < count; i++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) images[i * FB + (y * W + x) * 3] = x * 30;
  const targets = new Float32Array(count * K);
  for (let i = 0; i < count; i++) for (let s = 0; s < CHUNK.steps; s++) targets.set([0.02 * (i + 1) + 0.05 * s, 0.3], i * K + 2 * s);
  return { images, targets };
}

describe('augmenting a chunk', () => {
  it('a flip mirrors the frame and negates the steering of every step, never the speed', () => {
    const { images, targets } = batch(3);
    const before = targets.slice();
    createAugmenter(chunkAugmentOptions(CHUNK, { flip: { p: 1 } }), NO_AUGMENT)(images, targets, 3, H, W, NAMES, mulberry32(1));
    expect(images[0]).toBe((W - 1) * 30);
    for (let i = 0; i < 3; i++) {
      for (let s = 0; s < CHUNK.steps; s++) {
        expect(targets[i * K + 2 * s]).toBeCloseTo(-before[i * K + 2 * s]!, 6);
        expect(targets[i * K + 2 * s + 1]).toBe(before[i * K + 2 * s + 1]);
      }
    }
  });

  it('a lateral shift adds the same steering correction to every step', () => {
    const { images, targets } = batch(12);
    const before = targets.slice();
    createAugmenter(chunkAugmentOptions(CHUNK, { shift: { p: 1, maxPixels: 3 } }), NO_AUGMENT)(images, targets, 12, H, W, NAMES, mulberry32(5));
    const gain = DEFAULT_AUGMENT.shift.perPixel['steering_angle']!;
    let shifted = 0;
    for (let i = 0; i < 12; i++) {
      const delta = targets[i * K]! - before[i * K]!;
      // The correction is gain × a whole number of pixels.
      if (delta !== 0) shifted++;
      expect(Math.abs(delta / gain - Math.round(delta / gain))).toBeLessThan(1e-3);
      for (let s = 1; s < CHUNK.steps; s++) expect(targets[i * K + 2 * s]! - before[i * K + 2 * s]!).toBeCloseTo(delta, 6);
      for (let s = 0; s < CHUNK.steps; s++) expect(targets[i * K + 2 * s + 1]).toBe(before[i * K + 2 * s + 1]);
    }
    expect(shifted).toBeGreaterThan(0);
  });
});

describe('grading a chunk on its first action', () => {
  it('firstStep and firstStepRaw keep the contract fields of step 0', () => {
    const { images, targets } = batch(2);
    const ds: ImageDataset = { images, height: H, width: W, targets, targetNames: NAMES, episodes: new Int32Array(2), episodeNames: ['e'], count: 2 };
    const first = firstStep(ds, 2);
    expect(first.targetNames).toEqual(['steering_angle', 'speed']);
    expect(Array.from(first.targets)).toEqual(Array.from(Float32Array.from([0.02, 0.3, 0.04, 0.3])));
    expect(first.images).toBe(ds.images);
    expect(Array.from(firstStepRaw(targets, K, 2))).toEqual(Array.from(first.targets));
  });
});

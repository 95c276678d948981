import { describe, expect, it } from 'vitest';
import { checkDataset, type ImageDataset } from '../../../src/learning/dataset/dataset.js';
import { blockSizes, DEFAULT_GAP_FRAMES, splitByTime, type TimeSplit } from '../../../src/learning/dataset/time-split.js';

/**
 * `perEpisode[e]` frames in episode e. Frame i (source order) has target [i, position within its
 * episode], so every split frame can be traced back. With `interleave`, the episodes' frames are
 * stored round-robin (each episode still in time order).
 */
function synthetic(perEpisode: number[], interleave = false): ImageDataset {
  const count = perEpisode.reduce((a, b) => a + b, 0);
  const h = 2, w = 2;
  const fb = h * w * 3;
  const order: [number, number][] = [];
  if (interleave) {
    for (let j = 0; order.length < count; j++) perEpisode.forEach((n, e) => j < n && order.push([e, j]));
  } else {
    perEpisode.forEach((n, e) => {
      for (let j = 0; j < n; j++) order.push([e, j]);
    });
  }
  const images = new Uint8Array(count * fb);
  const targets = new Float32Array(count * 2);
  const episodes = new Int32Array(count);
  order.forEach(([e, j], i) => {
    images.fill(i % 256, i * fb, (i + 1) * fb);
    targets[i * 2] = i;
    targets[i * 2 + 1] = j;
    episodes[i] = e;
  });
  return { images, height: h, width: w, targets, targetNames: ['steering_angle', 'speed'], episodes, episodeNames: perEpisode.map((_, e) => `ep${e}`), count };
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
/** Position within its episode of each frame of a split block (from the second target). */
const positions = (ds: ImageDataset): number[] => Array.from({ length: ds.count }, (_, i) => ds.targets[i * 2 + 1]!);
const sourceIds = (ds: ImageDataset): number[] => Array.from({ length: ds.count }, (_, i) => ds.targets[i * 2]!);

/** Positions within episode e of the frames of a block, from the split's indices. */
function episodeBlock(src: ImageDataset, indices: Int32Array, e: number): number[] {
  return [...indices].filter((i) => src.episodes[i] === e).map((i) => src.targets[i * 2 + 1]!);
}

/** Every validation and held-out frame lies more than `gap` frames after any training frame of its episode. */
function expectGapsRespected(src: ImageDataset, s: TimeSplit, gap: number): void {
  for (let e = 0; e < src.episodeNames.length; e++) {
    const train = episodeBlock(src, s.trainIndices, e);
    const lastTrain = Math.max(...train);
    const validation = episodeBlock(src, s.validationIndices, e);
    const holdout = episodeBlock(src, s.holdoutIndices, e);
    for (const p of [...validation, ...holdout]) {
      for (const t of train) expect(Math.abs(p - t), `ep${e}: frame ${p} vs training frame ${t}`).toBeGreaterThan(gap);
    }
    if (validation.length > 0) expect(Math.min(...validation) - lastTrain).toBe(gap + 1);
    if (holdout.length > 0 && validation.length > 0) expect(Math.min(...holdout) - Math.max(...validation)).toBe(gap + 1);
  }
}

describe('splitByTime', () => {
  it('cuts one episode into [train][gap][validation][gap][held-out], in time order', () => {
    const ds = synthetic([100]);
    expect(blockSizes(100, 0.2, 0.1, 5)).toEqual([60, 5, 20, 5, 10]);
    const s = splitByTime(ds, { validationFraction: 0.2, holdoutFraction: 0.1, gapFrames: 5 });
    expect([...s.trainIndices]).toEqual(range(0, 59));
    expect([...s.validationIndices]).toEqual(range(65, 84));
    expect([...s.holdoutIndices]).toEqual(range(90, 99));
    expect(s.droppedFrames).toBe(10);
    expect(s.gapFrames).toBe(5);
    // The subsets are the frames the indices name, in the same order.
    for (const [set, idx] of [[s.train, s.trainIndices], [s.validation, s.validationIndices], [s.holdout, s.holdoutIndices]] as const) {
      checkDataset(set);
      expect(sourceIds(set)).toEqual([...idx]);
      expect(set.images[0]).toBe(idx[0]! % 256);
    }
    expect(s.note).toMatch(/5-frame gaps \(10 frames dropped\): 60 train, 20 validation, 10 held out; ep0: train 0–59, validation 65–84, held out 90–99/);
    expectGapsRespected(ds, s, 5);
  });

  it('drops the gap frames: no validation or held-out frame within gapFrames of a training frame', () => {
    const ds = synthetic([120, 77]);
    for (const gap of [0, 1, 7, 20]) {
      for (const [v, h] of [[0.2, 0], [0.15, 0.2], [0.3, 0.1]] as const) {
        const s = splitByTime(ds, { validationFraction: v, holdoutFraction: h, gapFrames: gap });
        expectGapsRespected(ds, s, gap);
        const used = s.trainIndices.length + s.validationIndices.length + s.holdoutIndices.length;
        expect(used + s.droppedFrames).toBe(ds.count);
        // No frame is in two blocks.
        expect(new Set([...s.trainIndices, ...s.validationIndices, ...s.holdoutIndices]).size).toBe(used);
        const gapsPerEpisode = (v > 0 ? gap : 0) + (h > 0 ? gap : 0);
        expect(s.droppedFrames).toBe(2 * gapsPerEpisode);
      }
    }
  });

  it('splits every episode on its own, with the held-out block at the end of each', () => {
    for (const interleave of [false, true]) {
      const ds = synthetic([50, 80, 30], interleave);
      const s = splitByTime(ds, { validationFraction: 0.2, holdoutFraction: 0.2, gapFrames: 3 });
      const sizes = [50, 80, 30].map((n) => blockSizes(n, 0.2, 0.2, 3));
      expect(sizes).toEqual([
        [24, 3, 10, 3, 10],
        [42, 3, 16, 3, 16],
        [12, 3, 6, 3, 6],
      ]);
      [50, 80, 30].forEach((n, e) => {
        const [nt, g1, nv, g2, nh] = sizes[e]!;
        expect(episodeBlock(ds, s.trainIndices, e), `ep${e} train`).toEqual(range(0, nt - 1));
        expect(episodeBlock(ds, s.validationIndices, e), `ep${e} validation`).toEqual(range(nt + g1, nt + g1 + nv - 1));
        expect(episodeBlock(ds, s.holdoutIndices, e), `ep${e} held out`).toEqual(range(n - nh, n - 1));
        expect(nt + g1 + nv + g2 + nh).toBe(n);
      });
      // Episode by episode, each in time order, whatever the storage order.
      expect([...s.holdout.episodes]).toEqual([...new Array(10).fill(0), ...new Array(16).fill(1), ...new Array(6).fill(2)]);
      expect(positions(s.holdout)).toEqual([...range(40, 49), ...range(64, 79), ...range(24, 29)]);
      expect(s.train.episodeNames).toEqual(['ep0', 'ep1', 'ep2']);
      expect(s.droppedFrames).toBe(3 * 6);
      expectGapsRespected(ds, s, 3);
      expect(s.note).toMatch(/ep0: train 0–23, validation 27–36, held out 40–49; ep1: train 0–41, validation 45–60, held out 64–79; ep2: train 0–11, validation 15–20, held out 24–29/);
    }
  });

  it('an episode too short for the blocks and gaps is refused, naming it', () => {
    const ds = synthetic([100, 12]);
    // ep1: held out 1, gap 5, validation 2, gap 5 → −1 frames left to train on.
    expect(() => splitByTime(ds, { validationFraction: 0.2, holdoutFraction: 0.1, gapFrames: 5 })).toThrow(/E_DATASET_SPLIT: ep1: 12 frames are too few for validation 0\.2, held-out 0\.1 and 5-frame gaps/);
    // Exactly one training frame left is enough.
    // ep1 of 16 frames: held out 2, gap 5, validation 3, gap 5.
    const enough = synthetic([100, 16]);
    const s = splitByTime(enough, { validationFraction: 0.2, holdoutFraction: 0.1, gapFrames: 5 });
    expect(episodeBlock(enough, s.trainIndices, 1)).toEqual([0]);
    // The default 20-frame gap needs longer episodes than that.
    expect(DEFAULT_GAP_FRAMES).toBe(20);
    expect(() => splitByTime(synthetic([25]))).toThrow(/E_DATASET_SPLIT: ep0: 25 frames/);
  });

  it('fractions: validation only (no second gap), none at all, defaults, and bad values', () => {
    const ds = synthetic([40]);
    const v = splitByTime(ds, { validationFraction: 0.25, gapFrames: 4 });
    expect([...v.trainIndices]).toEqual(range(0, 25));
    expect([...v.validationIndices]).toEqual(range(30, 39));
    expect(v.holdout.count).toBe(0);
    expect(v.droppedFrames).toBe(4);
    // A tiny fraction still gets one frame.
    expect(splitByTime(ds, { validationFraction: 0.001, gapFrames: 0 }).validationIndices.length).toBe(1);
    const none = splitByTime(ds, { validationFraction: 0, gapFrames: 4 });
    expect(none.train.count).toBe(40);
    expect(none.validation.count + none.holdout.count + none.droppedFrames).toBe(0);
    // Defaults: validation 0.2, no held-out block, 20-frame gap.
    const d = splitByTime(synthetic([200]));
    expect([d.trainIndices.length, d.validationIndices.length, d.holdoutIndices.length, d.droppedFrames]).toEqual([140, 40, 0, 20]);
    expect([...d.validationIndices]).toEqual(range(160, 199));
    for (const bad of [1, -0.1, Number.NaN]) {
      expect(() => splitByTime(ds, { validationFraction: bad })).toThrow(/E_DATASET_SPLIT: validation fraction must be in \[0, 1\)/);
      expect(() => splitByTime(ds, { holdoutFraction: bad })).toThrow(/E_DATASET_SPLIT: held-out fraction must be in \[0, 1\)/);
    }
    expect(() => splitByTime(ds, { validationFraction: 0.5, holdoutFraction: 0.4 })).toThrow(/E_DATASET_SPLIT: .*less than 10 % for training/);
  });
});

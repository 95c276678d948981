import { describe, expect, it } from 'vitest';
import { checkDataset, concatDatasets, emptyDataset, splitByEpisode, subsetDataset, summarizeTargets, type ImageDataset } from '../../../src/learning/dataset/dataset.js';

/** `perEpisode[e]` frames in episode e; frame i has every byte = i and targets [i, -i]. */
function synthetic(perEpisode: number[], h = 2, w = 3): ImageDataset {
  const count = perEpisode.reduce((a, b) => a + b, 0);
  const fb = h * w * 3;
  const images = new Uint8Array(count * fb);
  const targets = new Float32Array(count * 2);
  const episodes = new Int32Array(count);
  let i = 0;
  perEpisode.forEach((n, e) => {
    for (let j = 0; j < n; j++, i++) {
      images.fill(i, i * fb, (i + 1) * fb);
      targets[i * 2] = i;
      targets[i * 2 + 1] = -i || 0;
      episodes[i] = e;
    }
  });
  return { images, height: h, width: w, targets, targetNames: ['steering_angle', 'speed'], episodes, episodeNames: perEpisode.map((_, e) => `ep${e}`), count };
}

const frameId = (ds: ImageDataset, i: number): number => ds.images[i * ds.height * ds.width * 3]!;

describe('ImageDataset helpers', () => {
  it('checkDataset catches arrays that disagree with count', () => {
    const ds = synthetic([3]);
    expect(checkDataset(ds)).toBe(ds);
    expect(() => checkDataset({ ...ds, count: 4 })).toThrow(/E_DATASET_SHAPE.*images has 54 bytes, expected 4×2×3×3 = 72/);
    expect(() => checkDataset({ ...ds, episodes: Int32Array.from([0, 0, 5]) })).toThrow(/frame 2: episode 5 outside 0..0/);
  });

  it('concat keeps frames in order and renumbers episodes (rehearsal of earlier data)', () => {
    const a = synthetic([2, 1]);
    const b = synthetic([2]);
    const c = concatDatasets([a, emptyDataset(2, 3, ['steering_angle', 'speed']), b]);
    checkDataset(c);
    expect(c.count).toBe(5);
    expect([...c.episodes]).toEqual([0, 0, 1, 2, 2]);
    expect(c.episodeNames).toEqual(['ep0', 'ep1', 'ep0']);
    expect([0, 1, 2, 3, 4].map((i) => frameId(c, i))).toEqual([0, 1, 2, 0, 1]);
    expect([...c.targets]).toEqual([0, 0, 1, -1, 2, -2, 0, 0, 1, -1]);
    expect(() => concatDatasets([a, synthetic([1], 4, 4)])).toThrow(/E_DATASET_SHAPE.*4x4 frames, dataset 0 has 3x2/);
    expect(() => concatDatasets([a, { ...b, targetNames: ['steering_angle', 'throttle'] }])).toThrow(/targets \[steering_angle, throttle\]/);
  });

  it('subset picks frames by index, repeats allowed, and checks bounds', () => {
    const ds = synthetic([4]);
    const s = subsetDataset(ds, [3, 1, 1]);
    checkDataset(s);
    expect([0, 1, 2].map((i) => frameId(s, i))).toEqual([3, 1, 1]);
    expect([...s.targets]).toEqual([3, -3, 1, -1, 1, -1]);
    expect(() => subsetDataset(ds, [4])).toThrow(/E_DATASET_INDEX.*index 4/);
  });

  it('splits by whole episodes, seeded and reproducible', () => {
    const ds = synthetic([10, 10, 10, 10, 10]);
    const s1 = splitByEpisode(ds, { validationFraction: 0.2, seed: 7 });
    const s2 = splitByEpisode(ds, { validationFraction: 0.2, seed: 7 });
    expect(s1.mode).toBe('episodes');
    expect([...s1.validationIndices]).toEqual([...s2.validationIndices]);
    expect(s1.validation.count).toBe(10);
    expect(s1.train.count).toBe(40);
    const valEpisodes = new Set(s1.validation.episodes);
    const trainEpisodes = new Set(s1.train.episodes);
    expect(valEpisodes.size).toBe(1);
    for (const e of valEpisodes) expect(trainEpisodes.has(e)).toBe(false);
    expect(s1.note).toMatch(/validation episodes: ep\d \(10 of 50 frames\)/);
    // Some seed picks another episode.
    const picks = new Set([0, 1, 2, 3, 4, 5, 6, 7].map((seed) => splitByEpisode(ds, { seed }).validation.episodes[0]));
    expect(picks.size).toBeGreaterThan(1);
  });

  it('keeps at least one episode for training', () => {
    const s = splitByEpisode(synthetic([5, 5]), { validationFraction: 0.9 });
    expect(s.train.count).toBe(5);
    expect(s.validation.count).toBe(5);
  });

  it('splits a single episode by contiguous time segments, and says so', () => {
    const ds = synthetic([100]);
    const s = splitByEpisode(ds, { validationFraction: 0.2, seed: 3, segments: 10 });
    expect(s.mode).toBe('segments');
    expect(s.note).toMatch(/one episode \(ep0\): split by time instead, 2 of 10 contiguous segments/);
    expect(s.validation.count).toBe(20);
    expect(s.train.count).toBe(80);
    // Validation frames form runs of 10 consecutive frames.
    const v = [...s.validationIndices];
    for (let i = 0; i < v.length; i += 10) expect(v.slice(i, i + 10)).toEqual(Array.from({ length: 10 }, (_, j) => v[i]! + j));
    // With a guard gap, frames next to a boundary go to neither side.
    const g = splitByEpisode(ds, { validationFraction: 0.2, seed: 3, segments: 10, gapFrames: 2 });
    expect(g.train.count + g.validation.count).toBeLessThan(100);
    expect(g.note).toMatch(/frames at the boundaries dropped/);
  });

  it('fraction 0 puts everything in training; bad fractions are errors', () => {
    const s = splitByEpisode(synthetic([3, 3]), { validationFraction: 0 });
    expect(s.train.count).toBe(6);
    expect(s.validation.count).toBe(0);
    expect(() => splitByEpisode(synthetic([3]), { validationFraction: 1 })).toThrow(/E_DATASET_SPLIT/);
  });

  it('summarizes targets', () => {
    const [steer, speed] = summarizeTargets(synthetic([5]));
    expect(steer).toMatchObject({ name: 'steering_angle', min: 0, max: 4, mean: 2 });
    expect(steer!.std).toBeCloseTo(Math.sqrt(2), 6);
    expect(speed).toMatchObject({ min: -4, max: 0, mean: -2 });
  });
});

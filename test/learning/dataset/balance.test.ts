import { describe, expect, it } from 'vitest';
import { formatBalance, resampleIndices, steeringBalance } from '../../../src/learning/dataset/balance.js';
import type { ImageDataset } from '../../../src/learning/dataset/dataset.js';

/** A dataset with only targets filled in (balance never reads images). */
function withSteering(values: number[]): ImageDataset {
  const targets = new Float32Array(values.length * 2);
  values.forEach((v, i) => (targets[i * 2] = v));
  return { images: new Uint8Array(values.length * 3), height: 1, width: 1, targets, targetNames: ['steering_angle', 'speed'], episodes: new Int32Array(values.length), episodeNames: ['e'], count: values.length };
}

/** 90 straight frames, 6 gentle left, 4 hard right. */
const STEERING = [...new Array(90).fill(0), ...new Array(6).fill(0.3), ...new Array(4).fill(-0.8)];

describe('steering balance', () => {
  it('weights frames inversely to their bin size, mean 1, capped', () => {
    const b = steeringBalance(withSteering(STEERING), { bins: 5, maxWeight: 10 });
    expect([...b.histogram]).toEqual([4, 0, 90, 6, 0]);
    const mean = b.weights.reduce((s, w) => s + w, 0) / b.weights.length;
    expect(mean).toBeCloseTo(1, 5);
    // Each occupied bin carries the same total weight when no cap bites.
    const total = (bin: number) => b.binWeights[bin]! * b.histogram[bin]!;
    expect(total(0)).toBeCloseTo(total(2), 4);
    expect(total(3)).toBeCloseTo(total(2), 4);
    expect(b.weights[0]).toBeLessThan(b.weights[95]!);
    expect(b.weights[95]).toBeLessThan(b.weights[99]!);
  });

  it('the cap limits rare frames', () => {
    const b = steeringBalance(withSteering(STEERING), { bins: 5, maxWeight: 3 });
    expect(Math.max(...b.weights)).toBeLessThanOrEqual(3 + 1e-6);
    expect(b.weights.reduce((s, w) => s + w, 0) / b.weights.length).toBeCloseTo(1, 4);
    expect(formatBalance(b)).toMatch(/-1\.00\.\.-0\.60 +4 ×3\.00/);
  });

  it('strength 0 gives equal weights; deterministic', () => {
    const ds = withSteering(STEERING);
    expect([...steeringBalance(ds, { strength: 0 }).weights].every((w) => Math.abs(w - 1) < 1e-6)).toBe(true);
    expect(steeringBalance(ds).weights).toEqual(steeringBalance(ds).weights);
  });

  it('resampling draws rare frames as often as common ones overall, seeded', () => {
    const b = steeringBalance(withSteering(STEERING), { bins: 5, maxWeight: 100 });
    const idx = resampleIndices(b.weights, { seed: 1 });
    expect(idx.length).toBe(100);
    expect([...idx]).toEqual([...resampleIndices(b.weights, { seed: 1 })]);
    expect([...idx]).not.toEqual([...resampleIndices(b.weights, { seed: 2 })]);
    const straight = [...idx].filter((i) => i < 90).length;
    // Three occupied bins with equal total weight: about a third each.
    expect(straight).toBeGreaterThanOrEqual(32);
    expect(straight).toBeLessThanOrEqual(35);
    expect([...idx].filter((i) => i >= 96).length).toBeGreaterThanOrEqual(32);
  });

  it('bad options and a missing target are errors', () => {
    const ds = withSteering([0, 1]);
    expect(() => steeringBalance(ds, { bins: 0 })).toThrow(/E_DATASET_OPTIONS: balance: bins/);
    expect(() => steeringBalance(ds, { target: 'yaw' })).toThrow(/E_DATASET_TARGET: balance: no target 'yaw' \(targets: steering_angle, speed\)/);
    expect(() => resampleIndices([0, 0])).toThrow(/all weights are 0/);
  });
});

import { describe, expect, it } from 'vitest';
import { GaussianNoise, TableGaussianNoise, inverseNormalCdf } from '../../../sim/sensors/noise.js';
import { timeFromMs } from '../../../src/core/messages/time.js';

function stats(values: readonly number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const v = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1);
  return { mean, std: Math.sqrt(v) };
}

describe('GaussianNoise', () => {
  it('draws standard normals: mean 0, std 1, about 68 % within one sigma', () => {
    const g = new GaussianNoise(42);
    const xs = Array.from({ length: 100_000 }, () => g.standard());
    const s = stats(xs);
    expect(Math.abs(s.mean)).toBeLessThan(0.01);
    expect(s.std).toBeGreaterThan(0.99);
    expect(s.std).toBeLessThan(1.01);
    const within = xs.filter((x) => Math.abs(x) < 1).length / xs.length;
    expect(within).toBeGreaterThan(0.675);
    expect(within).toBeLessThan(0.69);
    expect(xs.every(Number.isFinite)).toBe(true);
  });

  it('adds bias and scales sigma by the multiplier', () => {
    const g = new GaussianNoise(7);
    const xs = Array.from({ length: 50_000 }, () => g.sample(0.5, 2, 3));
    const s = stats(xs);
    expect(s.mean).toBeCloseTo(2, 1);
    expect(s.std).toBeGreaterThan(1.5 * 0.97);
    expect(s.std).toBeLessThan(1.5 * 1.03);
  });

  it('is deterministic per seed', () => {
    const a = new GaussianNoise(1);
    const b = new GaussianNoise(1);
    const c = new GaussianNoise(2);
    const xa = Array.from({ length: 101 }, () => a.standard());
    expect(Array.from({ length: 101 }, () => b.standard())).toEqual(xa);
    expect(Array.from({ length: 101 }, () => c.standard())).not.toEqual(xa);
  });
});

describe('TableGaussianNoise', () => {
  it('draws unit-variance, zero-mean normals with tails to about ±4.3σ', () => {
    const g = new TableGaussianNoise(42);
    const xs = Array.from({ length: 200_000 }, () => g.standard());
    const s = stats(xs);
    expect(Math.abs(s.mean)).toBeLessThan(0.01);
    expect(s.std).toBeGreaterThan(0.99);
    expect(s.std).toBeLessThan(1.01);
    const within = xs.filter((x) => Math.abs(x) < 1).length / xs.length;
    expect(within).toBeGreaterThan(0.675);
    expect(within).toBeLessThan(0.69);
    expect(xs.reduce((m, x) => Math.max(m, Math.abs(x)), 0)).toBeLessThan(4.4); // Φ⁻¹(1 − 0.5 / 65536) ≈ 4.33
  });

  it('is deterministic per seed', () => {
    const a = new TableGaussianNoise(5);
    const b = new TableGaussianNoise(5);
    expect(Array.from({ length: 99 }, () => a.standard())).toEqual(Array.from({ length: 99 }, () => b.standard()));
  });

  it('inverts the normal CDF', () => {
    expect(inverseNormalCdf(0.5)).toBeCloseTo(0, 12);
    expect(inverseNormalCdf(0.975)).toBeCloseTo(1.959964, 5);
    expect(inverseNormalCdf(0.001)).toBeCloseTo(-3.090232, 5);
    expect(inverseNormalCdf(0.8413447460685429)).toBeCloseTo(1, 6);
  });
});



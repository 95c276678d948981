import { describe, expect, it } from 'vitest';
import { SampleWindow } from '../../../src/core/util/sample-window.js';

describe('SampleWindow', () => {
  it('gives nearest-rank percentiles over the most recent samples', () => {
    const w = new SampleWindow(100);
    for (let i = 1; i <= 100; i++) w.push(i);
    expect(w.percentile(50)).toBe(50);
    expect(w.percentile(99)).toBe(99);
    expect(w.percentile(100)).toBe(100);
    expect(w.percentile(0)).toBe(1);
    for (let i = 101; i <= 150; i++) w.push(i); // window now holds 51..150
    expect(w.percentile(0)).toBe(51);
    expect(w.size).toBe(100);
    expect(w.total).toBe(150);
    expect(w.maxEver).toBe(150);
  });

  it('is NaN when empty and rejects a bad capacity', () => {
    expect(new SampleWindow(4).percentile(50)).toBeNaN();
    expect(() => new SampleWindow(0)).toThrow(/positive integer/);
  });

  it('forgets everything on reset (a warm-up left out), the maximum included', () => {
    const w = new SampleWindow(8);
    for (let i = 1; i <= 20; i++) w.push(i * 10);
    w.reset();
    expect(w.size).toBe(0);
    expect(w.total).toBe(0);
    expect(w.maxEver).toBeNaN();
    expect(w.percentile(50)).toBeNaN();
    w.push(3);
    w.push(1);
    expect(w.percentile(0)).toBe(1);
    expect(w.percentile(100)).toBe(3);
    expect(w.maxEver).toBe(3);
  });
});

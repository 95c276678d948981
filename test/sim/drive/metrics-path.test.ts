import { describe, expect, it } from 'vitest';
import { decimateIndices, decimatePolyline, outlineFromCentreline, percentileSorted } from '../../../sim/drive/metrics-path.js';
import { RecordBuffer } from '../../../sim/drive/metrics-buffers.js';
import { circleCentre } from './circle-drive.js';

describe('decimateIndices', () => {
  it('keeps everything when under the bound', () => {
    expect(Array.from(decimateIndices(4, 10))).toEqual([0, 1, 2, 3]);
    expect(Array.from(decimateIndices(0, 10))).toEqual([]);
  });

  it.each([
    [10_001, 5000],
    [5001, 5000],
    [123_457, 777],
    [3, 2],
  ])('bounds %i points to %i, first and last kept, strictly ascending', (n, max) => {
    const idx = decimateIndices(n, max);
    expect(idx.length).toBe(Math.min(n, max));
    expect(idx[0]).toBe(0);
    expect(idx[idx.length - 1]).toBe(n - 1);
    expect(idx.every((v, i) => i === 0 || v > idx[i - 1]!)).toBe(true);
  });

  it('keeps the heaviest point of each bucket', () => {
    const w = new Float64Array(1000);
    w[517] = 5;
    w[518] = 4;
    const idx = Array.from(decimateIndices(1000, 12, (i) => w[i]!));
    expect(idx).toContain(517);
    expect(idx).not.toContain(518); // same bucket, lighter
  });

  it('rejects a bound below 2', () => {
    expect(() => decimateIndices(10, 1)).toThrow(/maxPoints/);
  });
});

describe('outline and percentiles', () => {
  it('puts the edges half a width either side; left is inside a counter-clockwise loop', () => {
    const o = outlineFromCentreline(circleCentre(20, 360), 4);
    for (let i = 0; i < 360; i += 37) {
      expect(Math.hypot(...o.left[i]!)).toBeCloseTo(18, 6);
      expect(Math.hypot(...o.right[i]!)).toBeCloseTo(22, 6);
    }
    expect(decimatePolyline(o.left, 10)).toHaveLength(10);
  });

  it('nearest-rank percentiles', () => {
    const v = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentileSorted(v, 95)).toBe(95);
    expect(percentileSorted(v, 100)).toBe(100);
    expect(percentileSorted(v, 0)).toBe(1);
    expect(percentileSorted(new Float64Array(0), 50)).toBeNaN();
  });

  it('record buffers double every column when full and keep the rows', () => {
    const b = new RecordBuffer(['a', 'b'], 2);
    for (let i = 0; i < 9; i++) {
      const row = b.next();
      b.columns.a[row] = i;
      b.columns.b[row] = 10 * i;
    }
    expect(b.capacity).toBe(16);
    expect(b.length).toBe(9);
    expect(b.toArray('a')).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(b.toArray('b')).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80]);
    expect(() => new RecordBuffer(['a'], 0)).toThrow(RangeError);
  });
});

import { describe, expect, it } from 'vitest';
import { mulberry32, shuffled } from '../../../src/core/util/prng.js';

describe('shuffled', () => {
  it('is a permutation of its input, leaves the input alone, and repeats with the same seed', () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    const a = shuffled(items, mulberry32(7));
    expect([...a].sort((x, y) => x - y)).toEqual(items);
    expect(items).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(shuffled(items, mulberry32(7))).toEqual(a);
    expect(a).not.toEqual(items);
    expect(shuffled(items, mulberry32(8))).not.toEqual(a);
  });

  it('puts every item in every place about equally often (Fisher–Yates, not a biased sort)', () => {
    const random = mulberry32(1);
    const counts = Array.from({ length: 4 }, () => new Array<number>(4).fill(0));
    const runs = 8000;
    for (let r = 0; r < runs; r++) shuffled([0, 1, 2, 3], random).forEach((item, place) => counts[item]![place]!++);
    for (const row of counts) for (const n of row) expect(Math.abs(n / runs - 0.25)).toBeLessThan(0.03);
  });
});

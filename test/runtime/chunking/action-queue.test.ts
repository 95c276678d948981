import { describe, expect, it } from 'vitest';
import { ActionQueue } from '../../../src/runtime/chunking/action-queue.js';

/** A chunk whose field 0 at step i is base + i and field 1 is -(base + i). */
function chunk(steps: number, base: number): Float32Array {
  const c = new Float32Array(steps * 2);
  for (let i = 0; i < steps; i++) {
    c[2 * i] = base + i;
    c[2 * i + 1] = -(base + i);
  }
  return c;
}

const out = new Float32Array(2);

describe('ActionQueue: time indexing', () => {
  it('publishes action i at the observation time + i·step_ms, interpolating between actions', () => {
    const q = new ActionQueue({ steps: 10, stepMs: 10, fields: 2, blend: 'latest' });
    expect(q.horizonMs).toBe(100);
    // Observed at t = 1000, arrived at 1030 (30 ms of inference): the first 3 actions are already past.
    expect(q.insert(chunk(10, 0), 1000, 1030)).toBe(true);
    expect(q.sample(1030, out).chunks).toBe(1);
    expect(Array.from(out)).toEqual([3, -3]);
    q.sample(1045, out);
    expect(out[0]).toBeCloseTo(4.5, 6);
    expect(q.sampled.ageMs).toBe(45);
    expect(q.sampled.remainingMs).toBe(55);
    // The last action holds until the end of the horizon, then the chunk is gone for good.
    q.sample(1095, out);
    expect(out[0]).toBe(9);
    expect(q.sample(1100, out).chunks).toBe(0);
    expect(q.size).toBe(0);
    expect(q.remainingMs(1100)).toBe(0);
  });

  it('refuses a chunk whose horizon passed before it arrived, and never executes it', () => {
    const q = new ActionQueue({ steps: 5, stepMs: 10, fields: 2, blend: 'ensemble' });
    expect(q.insert(chunk(5, 0), 0, 50)).toBe(false);
    expect(q.counters).toMatchObject({ inserted: 0, expiredOnArrival: 1 });
    out.fill(7);
    expect(q.sample(50, out).chunks).toBe(0);
    expect(Array.from(out)).toEqual([7, 7]); // untouched
  });

  it('counts a chunk that expired without ever being used', () => {
    const q = new ActionQueue({ steps: 5, stepMs: 10, fields: 2, blend: 'latest' });
    q.insert(chunk(5, 0), 0, 10);
    q.sample(60, out);
    expect(q.counters.expiredUnused).toBe(1);
  });

  it('remaining horizon is the newest chunk end minus now', () => {
    const q = new ActionQueue({ steps: 10, stepMs: 10, fields: 2, blend: 'latest' });
    expect(q.remainingMs(0)).toBe(0);
    q.insert(chunk(10, 0), 0, 20);
    q.insert(chunk(10, 0), 40, 60);
    expect(q.remainingMs(60)).toBe(80);
  });

  it('clear forgets every chunk', () => {
    const q = new ActionQueue({ steps: 10, stepMs: 10, fields: 2, blend: 'latest' });
    q.insert(chunk(10, 0), 0, 0);
    q.clear();
    expect(q.sample(5, out).chunks).toBe(0);
  });
});

describe('ActionQueue: blending overlapping chunks', () => {
  // Chunk A observed at 0 says 0+i, chunk B observed at 50 says 100+i; at t = 60: A → 6, B → 101.
  const twoChunks = (q: ActionQueue) => {
    q.insert(chunk(10, 0), 0, 20);
    q.insert(chunk(10, 100), 50, 60);
    return q.sample(60, out);
  };

  it('latest: the newest chunk only', () => {
    const s = twoChunks(new ActionQueue({ steps: 10, stepMs: 10, fields: 2, blend: 'latest' }));
    expect(s.chunks).toBe(2);
    expect(Array.from(out)).toEqual([101, -101]);
    expect(s.ageMs).toBe(10);
  });

  it('average: equal weights', () => {
    twoChunks(new ActionQueue({ steps: 10, stepMs: 10, fields: 2, blend: 'average' }));
    expect(out[0]).toBeCloseTo((6 + 101) / 2, 5);
  });

  it('ensemble: ACT weights exp(−k·r), the oldest chunk r = 0', () => {
    const k = 0.5;
    twoChunks(new ActionQueue({ steps: 10, stepMs: 10, fields: 2, blend: 'ensemble', ensembleK: k }));
    const w1 = Math.exp(-k);
    expect(out[0]).toBeCloseTo((6 + w1 * 101) / (1 + w1), 4);
    expect(out[1]).toBeCloseTo(-(6 + w1 * 101) / (1 + w1), 4);
    // k = 0 is the plain average; a negative k favours the newer chunk.
    twoChunks(new ActionQueue({ steps: 10, stepMs: 10, fields: 2, blend: 'ensemble', ensembleK: 0 }));
    expect(out[0]).toBeCloseTo(53.5, 4);
    twoChunks(new ActionQueue({ steps: 10, stepMs: 10, fields: 2, blend: 'ensemble', ensembleK: -2 }));
    expect(out[0]).toBeGreaterThan(53.5);
  });

  it('a full queue overwrites its oldest chunk, counted', () => {
    const q = new ActionQueue({ steps: 100, stepMs: 10, fields: 2, blend: 'latest', capacity: 2 });
    q.insert(chunk(100, 0), 0, 0);
    q.insert(chunk(100, 0), 10, 10);
    q.insert(chunk(100, 0), 20, 20);
    expect(q.counters.overwritten).toBe(1);
    expect(q.size).toBe(2);
  });
});

describe('ActionQueue: validation', () => {
  it('names the bad option', () => {
    expect(() => new ActionQueue({ steps: 0, stepMs: 10, fields: 2, blend: 'latest' })).toThrow(/E_CHUNK_CONFIG: chunk steps must be a positive integer, got 0/);
    expect(() => new ActionQueue({ steps: 2, stepMs: -1, fields: 2, blend: 'latest' })).toThrow(/step_ms must be positive, got -1/);
    expect(() => new ActionQueue({ steps: 2, stepMs: 1, fields: 2, blend: 'newest' as 'latest' })).toThrow(/blend must be one of ensemble, latest, average, got 'newest'/);
  });
});

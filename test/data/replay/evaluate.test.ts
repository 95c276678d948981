import { describe, expect, it } from 'vitest';
import { compareSeries, evaluate, worstMoments, type PredictionSeries } from '../../../src/data/replay/evaluate.js';
import { ManualClock } from '../../../src/runtime/loop/clock.js';
import { bagTopicFor, parseRemaps, remapTopic } from '../../../src/data/replay/remap.js';

function series(tMs: number[], steering: number[], reasons?: string[]): PredictionSeries {
  return { names: ['steering_angle'], units: ['rad'], tMs, values: [steering], reasons: reasons ?? tMs.map(() => 'ok') };
}

describe('open-loop evaluation', () => {
  it('compares each prediction with the newest recorded command at or before it, within the age limit', () => {
    const ev = evaluate(series([0, 100, 200, 300, 1500], [1, 1, 1, 1, 1], ['startup', 'ok', 'ok', 'ok', 'ok']), { tMs: [100, 250], values: [[0.5, 2]] }, { maxReferenceAgeMs: 500 });
    expect(ev.excluded).toEqual({ startup: 1 });
    expect(ev.evaluated).toBe(3);
    expect(ev.noReference).toBe(1); // at 1500 ms the newest command (250 ms) is too old
    expect(ev.recorded[0]).toEqual([NaN, 0.5, 0.5, 2, NaN]);
    const f = ev.fields[0]!;
    expect(f.mae).toBeCloseTo((0.5 + 0.5 + 1) / 3, 12);
    expect(f.rmse).toBeCloseTo(Math.sqrt((0.25 + 0.25 + 1) / 3), 12);
    expect(f.maxAbs).toBe(1);
    expect(f.maxAtS).toBe(0.3);
    expect(f.bias).toBeCloseTo(0, 12);
  });

  it('splits the error into segments', () => {
    const t = Array.from({ length: 30 }, (_, i) => i * 500);
    const ev = evaluate(series(t, t.map((x) => (x >= 10000 ? 1 : 0))), { tMs: [0], values: [[0]] }, { segmentS: 5, maxReferenceAgeMs: Infinity });
    expect(ev.segments.map((s) => [s.startS, s.n, s.mae[0]])).toEqual([
      [0, 10, 0],
      [5, 10, 0],
      [10, 10, 1],
    ]);
  });

  it('picks the worst moments largest first, one per moment (nearby ticks are the same moment)', () => {
    const t = [0, 0.1, 0.2, 1.0, 1.05, 3, 5, 5.5];
    const m = [0.1, 0.9, 0.8, 0.3, 0.7, NaN, 0.2, 0.2];
    expect(worstMoments(t, m, 10, 0.5)).toEqual([1, 4, 6, 7]); // 5.5 s is not closer than 0.5 s to 5 s
    expect(worstMoments(t, m, 2, 0.5)).toEqual([1, 4]);
    expect(worstMoments(t, m, 10, 0)).toEqual([1, 2, 4, 3, 6, 7, 0]);
  });

  it('compares two runs tick by tick (b − a), counting ticks only one has', () => {
    const a = series([0, 50, 100, 150], [0, 0.1, 0.2, 0.3], ['startup', 'ok', 'ok', 'ok']);
    const b = series([0, 50, 100, 200], [0, 0.1, 0.5, 0.3], ['startup', 'ok', 'ok', 'ok']);
    const c = compareSeries(a, b);
    expect(c.compared).toBe(2);
    expect(c.unmatched).toBe(2);
    expect(c.differences[0]![1]).toBeCloseTo(0.3, 12);
    expect(c.worst[0]![0]).toMatchObject({ tS: 0.1, a: 0.2, b: 0.5 });
    expect(c.fields[0]!.maxAbs).toBeCloseTo(0.3, 12);
  });
});

describe('ManualClock stepping for replay', () => {
  it('stops at a time without firing what is due then; fires timers one at a time in order', () => {
    const clock = new ManualClock({ epochMs: 1000 });
    const fired: string[] = [];
    clock.schedule(50, () => fired.push(`a@${clock.now()}`));
    clock.schedule(20, () => fired.push(`b@${clock.now()}`));
    const c = clock.schedule(20, () => fired.push('cancelled'));
    clock.schedule(20, () => fired.push(`d@${clock.now()}`));
    clock.cancel(c);
    clock.setNow(20);
    expect(fired).toEqual([]);
    expect(clock.stampMs()).toBe(1020);
    expect(clock.nextDueMs()).toBe(20);
    while (clock.fireNext());
    expect(fired).toEqual(['b@20', 'd@20', 'a@50']);
    expect(() => clock.setNow(10)).toThrow(RangeError);
  });
});

describe('topic remapping', () => {
  it('parses /from:=/to and finds the bag topic behind a name', () => {
    const remap = parseRemaps(['/front/image:=/camera/image_raw']);
    expect(remapTopic(remap, '/front/image')).toBe('/camera/image_raw');
    expect(remapTopic(remap, '/odom')).toBe('/odom');
    expect(bagTopicFor(remap, ['/front/image', '/camera/image_raw'], '/camera/image_raw')).toBe('/front/image');
    // A bag topic remapped away no longer answers to its own name.
    expect(bagTopicFor(parseRemaps(['/camera/image_raw:=/old']), ['/camera/image_raw'], '/camera/image_raw')).toBeUndefined();
    expect(() => parseRemaps(['camera:=/x'])).toThrow(/E_REMAP/);
    expect(() => parseRemaps(['/a:=/x', '/b:=/x'])).toThrow(/two bag topics are remapped onto \/x/);
  });
});

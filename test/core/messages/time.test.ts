import { describe, expect, it } from 'vitest';
import { msFromTime, nsFromTime, timeFromMs, timeFromNs } from '../../../src/core/messages/index.js';
import { writeTimeFromMs } from '../../../src/core/messages/time.js';

describe('time helpers', () => {
  it('timeFromMs splits into sec and nanosec', () => {
    expect(timeFromMs(1500.25)).toEqual({ sec: 1, nanosec: 500_250_000 });
    expect(timeFromMs(1_700_000_000_123)).toEqual({ sec: 1_700_000_000, nanosec: 123_000_000 });
    expect(timeFromMs(0)).toEqual({ sec: 0, nanosec: 0 });
  });

  it('negative times floor the seconds and keep nanosec in [0, 1e9) (Time.msg: -1.7 s = {-2, 3e8})', () => {
    expect(timeFromMs(-1700)).toEqual({ sec: -2, nanosec: 300_000_000 });
    expect(timeFromNs(-1_700_000_000n)).toEqual({ sec: -2, nanosec: 300_000_000 });
    expect(timeFromNs(-1n)).toEqual({ sec: -1, nanosec: 999_999_999 });
  });

  it('rounding up to a full second carries into sec', () => {
    expect(timeFromMs(999.9999999)).toEqual({ sec: 1, nanosec: 0 });
  });

  it('ns conversions are exact; ms conversions invert', () => {
    const ns = 1_700_000_000_123_456_789n;
    expect(timeFromNs(ns)).toEqual({ sec: 1_700_000_000, nanosec: 123_456_789 });
    expect(nsFromTime(timeFromNs(ns))).toBe(ns);
    expect(msFromTime({ sec: 2, nanosec: 500_000 })).toBe(2000.5);
    expect(msFromTime(timeFromMs(-1700))).toBe(-1700);
  });

  it('outside int32 seconds → E_TIME_RANGE', () => {
    expect(() => timeFromMs(2 ** 31 * 1000)).toThrow(/E_TIME_RANGE/);
    expect(() => timeFromNs(-(2n ** 31n + 1n) * 1_000_000_000n)).toThrow(/E_TIME_RANGE/);
    expect(() => timeFromMs(Number.NaN)).toThrow(/E_TIME_RANGE/);
  });
});

describe('writeTimeFromMs', () => {
  it('stamps in place exactly like timeFromMs', () => {
    const out = { sec: -1, nanosec: -1 };
    for (const ms of [0, 0.0005, 1, 999.9999999, 1000, 12_345.678, 1e9 + 0.25, 1_700_000_000_123.456, -1.5]) {
      expect(writeTimeFromMs(out, ms)).toBe(out);
      expect({ ...out }).toEqual(timeFromMs(ms));
    }
    expect(() => writeTimeFromMs(out, Number.NaN)).toThrow(/timeFromMs\(NaN\)/);
  });
});

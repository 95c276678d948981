import { describe, expect, it } from 'vitest';
import { ScaledWallClock } from '../../../src/data/replay/replay-clock.js';
import { WallClock, WallTimerClock, type Clock } from '../../../src/runtime/loop/clock.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves with the clock's time and the wall time when the timer at `atMs` fires. */
function firedAt(clock: Clock & { wallAt(ms: number): number }, atMs: number): Promise<{ nowMs: number; wallMs: number }> {
  return new Promise((resolve) => clock.schedule(atMs, () => resolve({ nowMs: clock.now(), wallMs: performance.now() })));
}

describe('WallTimerClock (the wall clocks of the loop and of replay)', () => {
  it('both wall clocks are WallTimerClocks', () => {
    expect(new WallClock()).toBeInstanceOf(WallTimerClock);
    expect(new ScaledWallClock()).toBeInstanceOf(WallTimerClock);
  });

  it('WallClock: its time is wall time, a timer never fires before its due time, stamps are epoch milliseconds', async () => {
    const clock = new WallClock();
    expect(clock.wallAt(1234.5)).toBe(1234.5);
    const due = clock.now() + 15;
    const fired = await firedAt(clock, due);
    expect(fired.nowMs).toBeGreaterThanOrEqual(due);
    expect(fired.wallMs).toBeGreaterThanOrEqual(due);
    expect(Math.abs(clock.stampMs() - Date.now())).toBeLessThan(1000);
  });

  it('a cancelled timer never fires, others still do', async () => {
    const clock = new WallClock({ spinMs: 0 });
    let cancelledFired = false;
    const handle = clock.schedule(clock.now() + 5, () => (cancelledFired = true));
    clock.cancel(handle);
    await firedAt(clock, clock.now() + 20);
    expect(cancelledFired).toBe(false);
  });

  it('ScaledWallClock: bag time runs `rate` times wall time, and its timers fire at the wall time of their bag time', async () => {
    const clock = new ScaledWallClock({ rate: 4, startMs: 100, epochMs: 1_000_000 });
    expect(clock.rate).toBe(4);
    expect(clock.wallAt(140) - clock.wallAt(100)).toBeCloseTo(10, 9);
    const due = clock.now() + 40;
    const fired = await firedAt(clock, due);
    expect(fired.nowMs).toBeGreaterThanOrEqual(due);
    expect(fired.wallMs).toBeGreaterThanOrEqual(clock.wallAt(due));
    const now = clock.now();
    expect(clock.stampMs() - 1_000_000).toBeGreaterThanOrEqual(now);
  });

  it('ScaledWallClock: anchor restarts the scale, timers already scheduled keep their wall times', async () => {
    const clock = new ScaledWallClock({ rate: 1 });
    let fired = false;
    const handle = clock.schedule(10_000, () => (fired = true));
    clock.anchor(9_990);
    expect(clock.now()).toBeGreaterThanOrEqual(9_990);
    await sleep(50);
    expect(fired).toBe(false);
    clock.cancel(handle);
    await expect(clock.waitUntil(clock.now() + 5)).resolves.toBeUndefined();
  });

  it('ScaledWallClock refuses a rate that is not a positive number, naming it', () => {
    for (const rate of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new ScaledWallClock({ rate })).toThrow(new RangeError(`replay rate must be a positive number, got ${rate}`));
    }
  });
});

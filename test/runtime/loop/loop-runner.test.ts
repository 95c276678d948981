import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/runtime/loop/clock.js';
import { LoopRunner } from '../../../src/runtime/loop/loop-runner.js';

describe('LoopRunner on a manual clock', () => {
  it('ticks at a fixed rate without drift', () => {
    const clock = new ManualClock();
    const starts: number[] = [];
    const runner = new LoopRunner({ clock, periodMs: 10, deadlineMs: 8, trigger: 'timer' }, { tick: (s) => void starts.push(s) });
    runner.start();
    clock.advanceTo(1000);
    expect(starts.length).toBe(101); // t = 0, 10, ..., 1000
    expect(starts.every((s, i) => s === i * 10)).toBe(true);
  });

  it('says whether the next tick is due within a time (timer mode, running only)', () => {
    const clock = new ManualClock();
    const runner = new LoopRunner({ clock, periodMs: 10, deadlineMs: 8, trigger: 'timer' }, { tick: () => {} });
    expect(runner.dueWithinMs(100)).toBe(false); // not running
    runner.start(); // tick at 0 ran; next due at 10
    clock.advanceTo(8.5);
    expect(runner.dueWithinMs(1)).toBe(false);
    clock.advanceTo(9.2);
    expect(runner.dueWithinMs(1)).toBe(true);
    clock.advanceTo(10); // tick at 10 ran; next due at 20
    expect(runner.dueWithinMs(1)).toBe(false);
    const camera = new LoopRunner({ clock, periodMs: 10, deadlineMs: 8, trigger: 'camera' }, { tick: () => {} });
    camera.start();
    expect(camera.dueWithinMs(100)).toBe(false);
  });

  it('passes the deadline with each tick', () => {
    const clock = new ManualClock();
    const deadlines: number[] = [];
    const runner = new LoopRunner({ clock, periodMs: 20, deadlineMs: 15, trigger: 'timer' }, { tick: (s, d) => void deadlines.push(d - s) });
    runner.start();
    clock.advanceTo(100);
    expect(new Set(deadlines)).toEqual(new Set([15]));
  });

  it('skips cycles while a tick is still running instead of queueing them', async () => {
    const clock = new ManualClock();
    let release: (() => void) | undefined;
    let ticks = 0;
    const runner = new LoopRunner(
      { clock, periodMs: 10, deadlineMs: 10, trigger: 'timer' },
      {
        tick: () => {
          ticks++;
          return new Promise<void>((r) => (release = r));
        },
      },
    );
    runner.start();
    clock.advanceTo(35); // tick at 0 in flight; cycles at 10, 20, 30 are skipped
    expect(ticks).toBe(1);
    expect(runner.stats.skippedCycles).toBe(3);
    release!();
    await Promise.resolve();
    await Promise.resolve();
    clock.advanceTo(40);
    expect(ticks).toBe(2);
  });

  it('skips cycles the timer woke up too late for, without bursting, and stays on the grid', () => {
    const inner = new ManualClock();
    let stallMs = 0;
    // A clock whose next timer fires late, like a stalled process (GC pause, swapped out).
    const clock = {
      now: () => inner.now(),
      stampMs: () => inner.stampMs(),
      cancel: (h: { id: number }) => inner.cancel(h),
      schedule: (at: number, cb: () => void) => {
        const late = stallMs;
        stallMs = 0;
        return inner.schedule(at + late, cb);
      },
    };
    const starts: number[] = [];
    const tick = (s: number): void => {
      starts.push(s);
      if (s === 20) stallMs = 35; // the timer armed now, for 30, fires at 65
    };
    const runner = new LoopRunner({ clock, periodMs: 10, deadlineMs: 8, trigger: 'timer' }, { tick });
    runner.start();
    inner.advanceTo(100);
    expect(starts).toEqual([0, 10, 20, 60, 70, 80, 90, 100]);
    expect(runner.stats.skippedCycles).toBe(3); // 30, 40, 50
    expect(runner.stats.maxStartLatenessMs).toBe(5); // started at 65 for the 60 slot
  });

  it('runs one tick per camera frame, skips frames while busy, and ticks on the watchdog without frames', async () => {
    const clock = new ManualClock();
    let release: (() => void) | undefined;
    let ticks = 0;
    const runner = new LoopRunner(
      { clock, periodMs: 33, deadlineMs: 30, trigger: 'camera', watchdogMs: 100 },
      {
        tick: () => {
          ticks++;
          return new Promise<void>((r) => (release = r));
        },
      },
    );
    runner.start();
    runner.onFrame();
    runner.onFrame(); // arrives during the first tick
    expect(ticks).toBe(1);
    expect(runner.stats.framesWhileBusy).toBe(1);
    release!();
    await new Promise((r) => setImmediate(r));
    clock.advanceTo(99);
    expect(ticks).toBe(1);
    clock.advanceTo(100); // no frame for 100 ms: watchdog tick
    expect(ticks).toBe(2);
  });

  it('rejects a deadline longer than the period', () => {
    expect(() => new LoopRunner({ clock: new ManualClock(), periodMs: 10, deadlineMs: 12, trigger: 'timer' }, { tick: () => {} })).toThrow(
      /deadline must be in \(0, period=10\]/,
    );
  });
});

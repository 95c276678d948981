import { describe, expect, it } from 'vitest';
import { InputSlot } from '../../../src/runtime/input/input-slot.js';
import type { Clock } from '../../../src/runtime/loop/clock.js';

describe('InputSlot arrival rate', () => {
  it('is the inverse of the mean interval: an uneven 25 Hz stream reads 25 Hz, not the mean of instantaneous rates', () => {
    let t = 0;
    const clock = { now: () => t } as unknown as Clock;
    const slot = new InputSlot<number>('/camera/image_raw', 'sensor_msgs/msg/Image', 100, 25, clock);
    // Intervals alternate 20 ms and 60 ms: mean 40 ms = 25 Hz (averaging 1000/Δt would give ≈ 33 Hz).
    for (let i = 0; i < 400; i++) {
      t += i % 2 === 0 ? 20 : 60;
      slot.put(i);
    }
    expect(slot.health(t).rateHz).toBeGreaterThan(24);
    expect(slot.health(t).rateHz).toBeLessThan(26.5);
  });

  it('a steady stream reads its rate; two frames at once count as a zero interval', () => {
    let t = 0;
    const slot = new InputSlot<number>('/x', 'std_msgs/msg/Float64', 100, undefined, { now: () => t } as unknown as Clock);
    for (let i = 0; i < 100; i++) {
      t += 50;
      slot.put(i);
    }
    expect(slot.health(t).rateHz).toBeCloseTo(20, 6);
    slot.put(100);
    expect(slot.health(t).rateHz).toBeGreaterThan(20);
  });
});

/** SafetyLayer.setLimits: the run-time limit change the node's dynamic parameters use. */
import { describe, expect, it } from 'vitest';
import { SafetyLayer } from '../../src/runtime/safety/safety-layer.js';

function layer() {
  return new SafetyLayer({
    fields: [
      { name: 'steering_angle', min: -0.45, max: 0.45, maxRatePerS: 3, stop: undefined, initial: 0 },
      { name: 'speed', min: 0, max: 2, maxRatePerS: Infinity, stop: 0, initial: 0 },
    ],
    periodMs: 10,
    onDeadlineMiss: 'hold',
    maxConsecutiveMisses: 3,
  });
}

describe('SafetyLayer.setLimits', () => {
  it('a tighter limit clamps from the next update, at once (not slew-limited down)', () => {
    const s = layer();
    s.update('ok', Float64Array.from([0, 1.8]));
    expect(s.command[1]).toBe(1.8);
    s.setLimits('speed', { min: 0, max: 0.5, maxRatePerS: Infinity });
    s.update('ok', Float64Array.from([0, 1.8]));
    expect(s.command[1]).toBe(0.5);
    expect(s.limitsOf('speed')).toEqual({ min: 0, max: 0.5, maxRatePerS: Infinity });
  });

  it('a new rate limits the step per period', () => {
    const s = layer();
    s.setLimits('steering_angle', { min: -0.45, max: 0.45, maxRatePerS: 1 });
    s.update('ok', Float64Array.from([0.4, 0]));
    expect(s.command[0]).toBeCloseTo(0.01, 12); // 1 rad/s × 10 ms
    expect(s.counters.slewLimited).toBe(1);
  });

  it('refuses invalid limits and changes nothing', () => {
    const s = layer();
    expect(() => s.setLimits('speed', { min: 1, max: 0.5, maxRatePerS: 1 })).toThrow(/E_SAFETY_CONFIG: limits for 'speed' must be finite with min <= max \(got \[1, 0.5\]\)/);
    expect(() => s.setLimits('speed', { min: 0, max: Number.NaN, maxRatePerS: 1 })).toThrow(/must be finite/);
    expect(() => s.setLimits('speed', { min: 0.5, max: 1, maxRatePerS: 1 })).toThrow(/would exclude its stop value 0/);
    expect(() => s.setLimits('speed', { min: 0, max: 1, maxRatePerS: 0 })).toThrow(/must be positive/);
    expect(() => s.setLimits('throttle', { min: 0, max: 1, maxRatePerS: 1 })).toThrow(/no action field 'throttle' \(fields: steering_angle, speed\)/);
    expect(s.limitsOf('speed')).toEqual({ min: 0, max: 2, maxRatePerS: Infinity });
  });

  it('leaves the options it was built with untouched', () => {
    const s = layer();
    s.setLimits('speed', { min: 0, max: 1, maxRatePerS: 2 });
    expect(s.options.fields[1]).toMatchObject({ min: 0, max: 2, maxRatePerS: Infinity });
  });
});

import { describe, expect, it } from 'vitest';
import { SafetyLayer, type SafetyFieldSpec } from '../../../src/runtime/safety/safety-layer.js';
import { buildSafetyFields } from '../../../src/runtime/safety/safety-spec.js';
import { PilotConfig } from '../../../src/core/config/schema.js';

const fields: SafetyFieldSpec[] = [
  { name: 'steering_angle', min: -0.4, max: 0.4, maxRatePerS: 2, stop: undefined, initial: 0 },
  { name: 'speed', min: 0, max: 3, maxRatePerS: 5, stop: 0, initial: 0 },
];

function layer(overrides: Partial<ConstructorParameters<typeof SafetyLayer>[0]> = {}) {
  return new SafetyLayer({ fields, periodMs: 10, onDeadlineMiss: 'hold', maxConsecutiveMisses: 2, ...overrides });
}

describe('SafetyLayer', () => {
  it('starts in the safe state', () => {
    const s = layer();
    expect(s.update('startup', null)).toBe('startup');
    expect([...s.command]).toEqual([0, 0]);
  });

  it('clamps to limits and limits slew rate per period', () => {
    const s = layer();
    s.update('ok', new Float64Array([1.0, 10]));
    // 2 rad/s × 10 ms = 0.02 rad per tick; 5 m/s² × 10 ms = 0.05 m/s per tick
    expect(s.command[0]).toBeCloseTo(0.02, 12);
    expect(s.command[1]).toBeCloseTo(0.05, 12);
    expect(s.counters.clamped).toBe(2);
    expect(s.counters.slewLimited).toBe(2);
    for (let i = 0; i < 100; i++) s.update('ok', new Float64Array([1.0, 10]));
    expect(s.command[0]).toBeCloseTo(0.4, 12);
    expect(s.command[1]).toBeCloseTo(3, 12);
  });

  it('never lets NaN or Inf out and counts it', () => {
    const s = layer();
    s.update('ok', new Float64Array([0.01, 0.04]));
    const reason = s.update('ok', new Float64Array([NaN, Infinity]));
    expect(reason).toBe('nonfinite');
    expect(s.command.every(Number.isFinite)).toBe(true);
    expect(s.counters.byReason.nonfinite).toBe(1);
  });

  it('holds the last command on a deadline miss, then stops after too many in a row', () => {
    const s = layer();
    s.update('ok', new Float64Array([0.02, 0.05]));
    expect(s.update('deadline_miss', null)).toBe('deadline_miss');
    expect([...s.command]).toEqual([0.02, 0.05]);
    s.update('deadline_miss', null);
    expect(s.command[1]).toBe(0.05);
    s.update('deadline_miss', null); // third in a row > maxConsecutiveMisses=2
    expect(s.command[1]).toBe(0);
    expect(s.command[0]).toBe(0.02); // steering has no stop value: it holds
    expect(s.counters.byReason.deadline_miss).toBe(3);
  });

  it('stops on a miss when configured to', () => {
    const s = layer({ onDeadlineMiss: 'stop' });
    s.update('ok', new Float64Array([0.02, 0.05]));
    s.update('deadline_miss', null);
    expect(s.command[1]).toBe(0);
  });

  it('stops immediately on stale input, ignoring slew limits', () => {
    const s = layer();
    for (let i = 0; i < 60; i++) s.update('ok', new Float64Array([0, 3]));
    expect(s.command[1]).toBeCloseTo(3);
    s.update('stale_input', null);
    expect(s.command[1]).toBe(0);
  });

  it('latches e-stop over valid policy output until released', () => {
    const s = layer();
    s.setEstop(true);
    expect(s.update('ok', new Float64Array([0.1, 1]))).toBe('estop');
    expect(s.command[1]).toBe(0);
    s.setEstop(false);
    expect(s.update('ok', new Float64Array([0.01, 0.01]))).toBe('ok');
    expect(s.command[1]).toBeCloseTo(0.01);
  });

  it('rejects a stop value outside the limits at construction', () => {
    expect(() => new SafetyLayer({ fields: [{ ...fields[1]!, stop: 9 }], periodMs: 10, onDeadlineMiss: 'hold', maxConsecutiveMisses: 1 })).toThrow(
      /stop value for 'speed' is 9, outside its limits \[0, 3\]/,
    );
  });
});

describe('buildSafetyFields', () => {
  const vehicle = {
    wheelbase_m: 0.26,
    track_width_m: 0.2,
    max_steering_angle_rad: 0.45,
    max_steering_rate_radps: 3,
    max_speed_mps: 4,
    max_reverse_speed_mps: 0,
    max_acceleration_mps2: 3,
    max_deceleration_mps2: 6,
    actuator_delay_ms: 0,
  };
  const safety = (raw: object) => PilotConfig.parse({ model: { path: 'm.onnx' }, safety: raw }).safety;

  it('takes the tighter of calibration and config', () => {
    const f = buildSafetyFields(['steering_angle', 'speed'], 'vehicle', safety({ limits: { speed: [0, 2] }, max_rate: { steering_angle: 1 } }), vehicle);
    expect(f[0]).toMatchObject({ min: -0.45, max: 0.45, maxRatePerS: 1 });
    expect(f[1]).toMatchObject({ min: 0, max: 2, maxRatePerS: 3, stop: 0 });
  });

  it('refuses an action without limits and names the key to set', () => {
    expect(() => buildSafetyFields(['steering_angle', 'throttle'], 'vehicle', safety({}), vehicle)).toThrow(
      /action 'throttle' has no limits: set safety.limits.throttle/,
    );
  });

  it('refuses limits for an action the model does not have', () => {
    expect(() => buildSafetyFields(['steering_angle', 'speed'], 'vehicle', safety({ limits: { sped: [0, 1] } }), vehicle)).toThrow(
      /safety.limits.sped: the model has no action 'sped'/,
    );
  });
});

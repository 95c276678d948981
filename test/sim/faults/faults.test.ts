import { describe, expect, it } from 'vitest';
import type { DeliveryPolicy } from '../../../sim/bridge/sensor-publisher.js';
import { NO_FAULTS, parseFaultConfig } from '../../../sim/faults/config.js';
import { DelayQueue } from '../../../sim/faults/delay-queue.js';
import { FaultInjector } from '../../../sim/faults/fault-injector.js';
import { ImuSensor } from '../../../sim/sensors/imu.js';
import { Vehicle } from '../../../sim/vehicle/vehicle.js';
import { testCalibration } from '../vehicle/helpers.js';

describe('parseFaultConfig', () => {
  it('maps snake_case YAML to the config with defaults', () => {
    const c = parseFaultConfig({
      seed: 7,
      camera: {
        drop_probability: 0.1,
        drop_windows: [{ start_s: 1, duration_s: 0.5 }],
        latency_ms: 30,
        jitter_ms: 10,
        jitter_distribution: 'gaussian',
        noise_bursts: [{ start_s: 2, duration_s: 1, multiplier: 4 }],
      },
      imu: { latency_ms: 2 },
    });
    expect(c.seed).toBe(7);
    expect(c.camera).toEqual({
      dropProbability: 0.1,
      dropWindows: [{ startS: 1, durationS: 0.5 }],
      latencyMs: 30,
      jitterMs: 10,
      jitterDistribution: 'gaussian',
      allowReorder: false,
      noiseBursts: [{ startS: 2, durationS: 1, multiplier: 4 }],
    });
    expect(c.imu).toMatchObject({ latencyMs: 2, dropProbability: 0, jitterDistribution: 'uniform', dropWindows: [] });
    expect(c.odom).toEqual(NO_FAULTS.odom);
    expect(parseFaultConfig(undefined)).toEqual(NO_FAULTS);
    expect(parseFaultConfig(null)).toEqual(NO_FAULTS);
  });

  it('names the key and the bad value', () => {
    const err = (raw: unknown, source?: string): string => {
      try {
        parseFaultConfig(raw, source);
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(err({ camera: { drop_probability: 2 } })).toBe('E_SIM_CONFIG: faults.camera.drop_probability: expected number in [0, 1] (got 2)');
    expect(err({ camera: { drop_probability: '0.5' } })).toBe('E_SIM_CONFIG: faults.camera.drop_probability: expected number in [0, 1] (got "0.5")');
    expect(err({ imu: { latency_ms: -5 } }, 'sim.yaml')).toBe('E_SIM_CONFIG: sim.yaml: faults.imu.latency_ms: expected number ≥ 0 (got -5)');
    expect(err({ odom: { drop_windows: [{ start_s: 1, duration_s: 0 }] } })).toBe('E_SIM_CONFIG: faults.odom.drop_windows[0].duration_s: expected number > 0 (got 0)');
    expect(err({ camera: { drop_prob: 0.1 } })).toBe('E_SIM_CONFIG: faults.camera: unknown key "drop_prob"');
    expect(err({ lidar: {} })).toBe('E_SIM_CONFIG: faults: unknown key "lidar"');
    expect(err({ camera: { jitter_distribution: 'poisson' } })).toBe("E_SIM_CONFIG: faults.camera.jitter_distribution: expected 'uniform' or 'gaussian' (got \"poisson\")");
    expect(err({ camera: { latency_ms: Number.NaN } })).toBe('E_SIM_CONFIG: faults.camera.latency_ms: expected number ≥ 0 (got NaN)');
    expect(err([1])).toMatch(/^E_SIM_CONFIG: faults: expected a mapping/);
  });
});

describe('FaultInjector', () => {
  it('passes everything straight through without faults', () => {
    const f = new FaultInjector(NO_FAULTS, 1);
    for (let t = 0; t < 100; t++) expect(f.decide('camera', t)).toEqual({ deliver: true, deliverAtMs: t });
    expect(f.noiseMultiplier('imu', 5)).toBe(1);
    expect(f.counters.camera).toEqual({ decided: 100, dropped: 0, delayed: 0 });
  });

  it('returns one reused decision object and satisfies the bridge DeliveryPolicy', () => {
    const f = new FaultInjector(NO_FAULTS, 1);
    const policy: DeliveryPolicy = f;
    expect(policy.decide('imu', 1)).toBe(f.decide('odom', 2));
  });

  it('drops with the configured probability and counts it', () => {
    const f = new FaultInjector(parseFaultConfig({ camera: { drop_probability: 0.2 } }), 3);
    let dropped = 0;
    for (let i = 0; i < 20_000; i++) if (!f.decide('camera', i * 50).deliver) dropped++;
    expect(dropped / 20_000).toBeGreaterThan(0.19);
    expect(dropped / 20_000).toBeLessThan(0.21);
    expect(f.counters.camera.dropped).toBe(dropped);
    expect(f.counters.imu.decided).toBe(0);
  });

  it('drops everything inside a drop window, [start, start + duration)', () => {
    const f = new FaultInjector(parseFaultConfig({ camera: { drop_windows: [{ start_s: 1, duration_s: 0.5 }] } }), 1);
    const delivered = (ms: number): boolean => f.decide('camera', ms).deliver;
    expect([delivered(999), delivered(1000), delivered(1499), delivered(1500)]).toEqual([true, false, false, true]);
    expect(f.decide('imu', 1200).deliver).toBe(true); // other classes unaffected
  });

  it('adds latency and uniform jitter without reordering', () => {
    const f = new FaultInjector(parseFaultConfig({ odom: { latency_ms: 20, jitter_ms: 30 } }), 5);
    let last = -Infinity;
    let extraSum = 0;
    let clamped = 0;
    for (let i = 0; i < 5000; i++) {
      const t = i * 5; // sent every 5 ms, jitter up to 30 ms: reordering would be common
      const d = f.decide('odom', t);
      expect(d.deliver).toBe(true);
      expect(d.deliverAtMs).toBeGreaterThanOrEqual(t + 20);
      expect(d.deliverAtMs).toBeLessThanOrEqual(t + 50);
      expect(d.deliverAtMs).toBeGreaterThanOrEqual(last);
      if (d.deliverAtMs === last) clamped++;
      last = d.deliverAtMs;
      extraSum += d.deliverAtMs - t - 20;
    }
    expect(clamped).toBeGreaterThan(0);
    expect(f.counters.odom.delayed).toBe(5000);
    // With rare sends nothing is clamped: the jitter mean is jitter_ms / 2.
    const g = new FaultInjector(parseFaultConfig({ odom: { jitter_ms: 30 } }), 5);
    let sum = 0;
    for (let i = 0; i < 5000; i++) sum += g.decide('odom', i * 1000).deliverAtMs - i * 1000;
    expect(sum / 5000).toBeGreaterThan(14);
    expect(sum / 5000).toBeLessThan(16);
    expect(extraSum / 5000).toBeGreaterThan(15); // clamping only ever adds delay
  });

  it('reorders when allowed, and uses a half-normal for Gaussian jitter', () => {
    const f = new FaultInjector(parseFaultConfig({ imu: { jitter_ms: 10, jitter_distribution: 'gaussian', allow_reorder: true } }), 2);
    let reordered = 0;
    let last = -Infinity;
    let sum = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const d = f.decide('imu', i);
      if (d.deliverAtMs < last) reordered++;
      last = d.deliverAtMs;
      expect(d.deliverAtMs).toBeGreaterThanOrEqual(i);
      sum += d.deliverAtMs - i;
    }
    expect(reordered).toBeGreaterThan(0);
    expect(sum / n / (10 * Math.sqrt(2 / Math.PI))).toBeCloseTo(1, 1); // E|N(0, σ)| = σ·√(2/π)
  });

  it('reports noise bursts, the largest active multiplier winning', () => {
    const f = new FaultInjector(
      parseFaultConfig({ imu: { noise_bursts: [{ start_s: 1, duration_s: 2, multiplier: 3 }, { start_s: 2, duration_s: 0.5, multiplier: 5 }] } }),
      1,
    );
    expect([500, 1000, 2000, 2600, 3000].map((t) => f.noiseMultiplier('imu', t))).toEqual([1, 3, 5, 3, 1]);
    expect(f.noiseMultiplier('camera', 2000)).toBe(1);
    const hook = f.noiseHook('imu');
    expect(hook).toBe(f.noiseHook('imu')); // one closure per class, not per call
    expect(hook(2100)).toBe(5);
  });

  it('drives a sensor noise burst through the hook', () => {
    const f = new FaultInjector(parseFaultConfig({ imu: { noise_bursts: [{ start_s: 10, duration_s: 10, multiplier: 10 }] } }), 1);
    const imu = new ImuSensor({ seed: 1, gyroSigmaRadps: 0.001, noiseMultiplier: f.noiseHook('imu') });
    const v = new Vehicle(testCalibration());
    const spread = (t0: number): number => {
      let s2 = 0;
      for (let i = 0; i < 1000; i++) s2 += imu.measure(v.state, t0 + i).angular_velocity.z ** 2;
      return Math.sqrt(s2 / 1000);
    };
    expect(spread(0)).toBeCloseTo(0.001, 3);
    expect(spread(12_000) / 0.01).toBeGreaterThan(0.9);
  });

  it('is deterministic per seed, with independent streams per class', () => {
    const cfg = parseFaultConfig({ camera: { drop_probability: 0.3, jitter_ms: 5 }, imu: { drop_probability: 0.3 } });
    const trace = (f: FaultInjector, withImu: boolean): string => {
      const out: string[] = [];
      for (let i = 0; i < 500; i++) {
        if (withImu) f.decide('imu', i);
        const d = f.decide('camera', i * 10);
        out.push(d.deliver ? d.deliverAtMs.toFixed(6) : 'x');
      }
      return out.join(',');
    };
    const a = trace(new FaultInjector(cfg, 9), false);
    expect(trace(new FaultInjector(cfg, 9), true)).toBe(a); // IMU traffic does not shift camera decisions
    expect(trace(new FaultInjector(cfg, 10), false)).not.toBe(a);
    const f = new FaultInjector(cfg, 9);
    trace(f, true);
    f.reset();
    expect(f.counters.camera.decided).toBe(0);
    expect(trace(f, false)).toBe(a);
  });

  it('takes its seed from the config when none is given', () => {
    const cfg = parseFaultConfig({ seed: 42, camera: { drop_probability: 0.5 } });
    expect(new FaultInjector(cfg).seed).toBe(42);
    expect(new FaultInjector(cfg, 3).seed).toBe(3);
  });
});

describe('DelayQueue', () => {
  it('releases in delivery-time order, equal times in push order', () => {
    const q = new DelayQueue<string>(8);
    q.push('c', 30);
    q.push('a', 10);
    q.push('b1', 20);
    q.push('b2', 20);
    expect(q.size).toBe(4);
    expect(q.nextDeliverAtMs).toBe(10);
    expect(q.popDue(5)).toBeUndefined();
    const out: string[] = [];
    let m: string | undefined;
    while ((m = q.popDue(25)) !== undefined) out.push(m);
    expect(out).toEqual(['a', 'b1', 'b2']);
    expect(q.popDue(30)).toBe('c');
    expect(q.nextDeliverAtMs).toBe(Infinity);
  });

  it('wraps around its ring and counts overflow instead of growing', () => {
    const q = new DelayQueue<number>(3);
    let t = 0;
    for (let round = 0; round < 10; round++) {
      expect(q.push(t, t)).toBe(true);
      expect(q.push(t + 1, t + 1)).toBe(true);
      expect(q.popDue(t)).toBe(t);
      t += 2;
      expect(q.popDue(t)).toBe(t - 1);
    }
    q.push(1, 1);
    q.push(2, 2);
    q.push(3, 3);
    expect(q.push(4, 0)).toBe(false);
    expect(q.overflows).toBe(1);
    expect(q.size).toBe(3);
    q.clear();
    expect(q.size).toBe(0);
    expect(() => new DelayQueue(0)).toThrow('E_SIM_CONFIG: DelayQueue: capacity: expected integer ≥ 1 (got 0)');
  });

  it('holds messages for a FaultInjector until their delivery time, in send order', () => {
    const f = new FaultInjector(parseFaultConfig({ camera: { latency_ms: 40, jitter_ms: 40 } }), 4);
    const q = new DelayQueue<number>(16);
    const delivered: number[] = [];
    for (let t = 0; t <= 1000; t += 10) {
      const d = f.decide('camera', t);
      if (d.deliver) q.push(t, d.deliverAtMs);
      let m: number | undefined;
      while ((m = q.popDue(t)) !== undefined) {
        expect(t - m).toBeGreaterThanOrEqual(40);
        delivered.push(m);
      }
    }
    expect(delivered.length).toBeGreaterThan(80);
    expect([...delivered].sort((a, b) => a - b)).toEqual(delivered);
    expect(q.overflows).toBe(0);
  });
});

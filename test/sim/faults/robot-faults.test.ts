/** The robot-wide faults' config, the injector's windows and what the sensor bridge publishes under them. */
import { describe, expect, it } from 'vitest';
import { makeHeader, makeImage, makeMessage } from '../../../src/core/messages/factories.js';
import { msFromTime, timeFromMs } from '../../../src/core/messages/time.js';
import type { ClockMsg, Image, Imu } from '../../../src/core/messages/types.js';
import { InProcessTransport } from '../../../src/transport/in-process.js';
import { SensorPublisher } from '../../../sim/bridge/sensor-publisher.js';
import { NO_FAULTS, parseFaultConfig } from '../../../sim/faults/config.js';
import { FaultInjector } from '../../../sim/faults/fault-injector.js';
import { NanPolicy } from '../../../sim/faults/nan-policy.js';
import type { Policy } from '../../../src/runtime/policy/policy-session.js';

const err = (raw: unknown, source?: string): string => {
  try {
    parseFaultConfig(raw, source);
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
};

describe('nan_policy, frozen_camera and clock_jump in the faults config', () => {
  it('maps the YAML keys, with stamps advancing by default', () => {
    const c = parseFaultConfig({
      nan_policy: [{ start_s: 2, duration_s: 0.5 }],
      frozen_camera: [{ start_s: 4, duration_s: 1 }, { start_s: 8, duration_s: 1, stamps: 'frozen' }],
      clock_jump: [{ at_s: 6, offset_s: 1.5 }, { at_s: 9, offset_s: -1.5 }],
    });
    expect(c.nanPolicy).toEqual([{ startS: 2, durationS: 0.5 }]);
    expect(c.frozenCamera).toEqual([
      { startS: 4, durationS: 1, stamps: 'advancing' },
      { startS: 8, durationS: 1, stamps: 'frozen' },
    ]);
    expect(c.clockJumps).toEqual([{ atS: 6, offsetS: 1.5 }, { atS: 9, offsetS: -1.5 }]);
    expect(parseFaultConfig({ camera: { latency_ms: 5 } })).toMatchObject({ nanPolicy: [], frozenCamera: [], clockJumps: [] });
    expect(NO_FAULTS).toMatchObject({ nanPolicy: [], frozenCamera: [], clockJumps: [] });
  });

  it('names the key and the bad value', () => {
    expect(err({ nan_policy: [{ start_s: 1 }] })).toBe('E_SIM_CONFIG: faults.nan_policy[0].duration_s: expected number > 0');
    expect(err({ frozen_camera: [{ start_s: 1, duration_s: 1, stamps: 'old' }] })).toBe(
      "E_SIM_CONFIG: faults.frozen_camera[0].stamps: expected 'advancing' or 'frozen' (got \"old\")",
    );
    expect(err({ clock_jump: [{ at_s: 1, offset_s: 0 }] })).toBe('E_SIM_CONFIG: faults.clock_jump[0].offset_s: expected number ≠ 0 (got 0)');
    expect(err({ clock_jump: { at_s: 1, offset_s: 1 } })).toBe('E_SIM_CONFIG: faults.clock_jump: expected a list of { at_s, offset_s } (got {"at_s":1,"offset_s":1})');
    expect(err({ clock_jump: [{ at_s: 3, offset_s: 1 }, { at_s: 2, offset_s: 1 }] }, 'sim.yaml')).toBe(
      'E_SIM_CONFIG: sim.yaml: faults.clock_jump[1].at_s: expected jumps in time order, after 3 (got 2)',
    );
    expect(err({ clock_jump: [{ at_s: 1, offset_s: 1 }, { at_s: 2, offset_s: -4 }] })).toBe(
      'E_SIM_CONFIG: faults.clock_jump[1].offset_s: the clock would read -1 s at at_s 2 (offsets add up to -3 s); it must stay ≥ 0 (got -4)',
    );
    expect(err({ nan_polcy: [] })).toBe('E_SIM_CONFIG: faults: unknown key "nan_polcy"');
  });
});

describe('the injector: windows in sim time, counted', () => {
  const f = new FaultInjector(
    parseFaultConfig({
      nan_policy: [{ start_s: 1, duration_s: 0.5 }],
      frozen_camera: [{ start_s: 2, duration_s: 1 }],
      clock_jump: [{ at_s: 3, offset_s: 2 }, { at_s: 4, offset_s: -1 }],
    }),
    1,
  );

  it('nan_policy on [start, start + duration)', () => {
    expect([999, 1000, 1499, 1500].map((t) => f.policyNaN(t))).toEqual([false, true, true, false]);
    expect(f.robot.policyNanRuns).toBe(2);
  });

  it('frozen_camera gives the same window object all window long', () => {
    const a = f.frozenCamera(2000);
    expect(a).toBeDefined();
    expect(f.frozenCamera(2950)).toBe(a);
    expect(f.frozenCamera(3000)).toBeUndefined();
    expect(f.robot.cameraFrozenFrames).toBe(2);
  });

  it('clock_jump offsets add up in order, each jump counted once', () => {
    expect([0, 2999, 3000, 3500, 4000, 9000].map((t) => f.clockOffsetMs(t))).toEqual([0, 0, 2000, 2000, 1000, 1000]);
    expect(f.robot.clockJumps).toBe(2);
    f.reset();
    expect(f.robot).toEqual({ policyNanRuns: 0, cameraFrozenFrames: 0, clockJumps: 0 });
  });
});

describe('the sensor bridge under the faults', () => {
  function bridge(faults: unknown) {
    const transport = new InProcessTransport();
    const injector = new FaultInjector(parseFaultConfig(faults), 1);
    const sensors = new SensorPublisher(transport, { camera: '/cam', imu: '/imu', odom: '/odom', clock: '/clock' }, injector);
    // In-process delivery hands over the object itself: read it on arrival.
    const frames: { value: number; stampMs: number }[] = [];
    const clocks: number[] = [];
    const imus: number[] = [];
    transport.subscribe<Image>('/cam', 'sensor_msgs/msg/Image', (m) => frames.push({ value: m.data[0]!, stampMs: msFromTime(m.header.stamp) }));
    transport.subscribe<ClockMsg>('/clock', 'rosgraph_msgs/msg/Clock', (m) => clocks.push(msFromTime(m.clock)));
    transport.subscribe<Imu>('/imu', 'sensor_msgs/msg/Imu', (m) => imus.push(msFromTime(m.header.stamp)));
    return { sensors, frames, clocks, imus };
  }
  // The simulator reuses one message object per sensor and restamps it.
  const image = makeImage({ header: makeHeader({ frame_id: 'cam' }), width: 2, height: 1, encoding: 'mono8', step: 2, data: new Uint8Array(2) });
  const live = (tMs: number, value: number): Image => {
    image.header.stamp = timeFromMs(tMs);
    image.data.fill(value);
    return image;
  };

  it.each([
    ['advancing', [0, 100, 200, 300, 400]],
    ['frozen', [0, 100, 100, 100, 400]],
  ] as const)('frozen_camera repeats the first frame of the window, stamps %s', (stamps, expectedStamps) => {
    const b = bridge({ frozen_camera: [{ start_s: 0.1, duration_s: 0.25, stamps }] });
    for (let k = 0; k < 5; k++) b.sensors.camera(live(k * 100, k + 1), k * 100);
    expect(b.frames.map((m) => m.value)).toEqual([1, 2, 2, 2, 5]);
    expect(b.frames.map((m) => m.stampMs)).toEqual(expectedStamps);
  });

  it('clock_jump offsets /clock and sensor stamps from at_s on, and leaves the reused message alone', () => {
    const b = bridge({ clock_jump: [{ at_s: 0.2, offset_s: 5 }, { at_s: 0.3, offset_s: -5.1 }] });
    const imu = makeMessage('sensor_msgs/msg/Imu');
    for (let k = 0; k < 5; k++) {
      imu.header.stamp = timeFromMs(k * 100);
      b.sensors.imu(imu, k * 100);
      b.sensors.publishClock(k * 100);
      expect(msFromTime(imu.header.stamp)).toBe(k * 100);
    }
    expect(b.clocks).toEqual([0, 100, 5200, 200, 300]);
    expect(b.imus.map((t) => Math.round(t))).toEqual([0, 100, 5200, 200, 300]);
  });
});

describe('NanPolicy', () => {
  it('runs the policy, then writes NaN while the fault is on, and passes everything else through', async () => {
    let on = false;
    let runs = 0;
    let disposed = false;
    const output = new Float32Array([0.1, 0.2]);
    const inner = {
      contract: { id: 'c' },
      modelPath: 'm.onnx',
      inputs: new Map([['image', new Float32Array(1)]]),
      output,
      concurrent: true,
      run: async () => {
        runs++;
        output.set([0.1, 0.2]);
      },
      dispose: async () => {
        disposed = true;
      },
    } as unknown as Policy;
    const p = new NanPolicy(inner, () => on);
    await p.run();
    expect([...p.output]).toEqual([Math.fround(0.1), Math.fround(0.2)]);
    on = true;
    await p.run();
    expect([...p.output].every(Number.isNaN)).toBe(true);
    expect([runs, p.injected, p.concurrent, p.modelPath, p.inputs]).toEqual([2, 1, true, 'm.onnx', inner.inputs]);
    await p.dispose();
    expect(disposed).toBe(true);
  });
});

/**
 * nan_policy, frozen_camera and clock_jump in a lockstep test drive (renderer, physics, the embedded
 * runtime with launch/drive.yaml's model): every command the simulated car receives is finite and
 * within the safety limits, and the result counts what was injected.
 */
import { describe, expect, it } from 'vitest';
import { loadVehicleCalibration } from '../../../src/core/calibration/vehicle.js';
import { loadConfig } from '../../../src/core/config/load.js';
import { msFromTime } from '../../../src/core/messages/time.js';
import type { AckermannDriveStamped } from '../../../src/core/messages/types.js';
import { RELIABLE_QOS, type Transport } from '../../../src/transport/transport.js';
import { parseSimConfig } from '../../../sim/config/sim-config.js';
import { runDriveSession } from '../../../sim/drive/drive-session.js';

describe('robot-wide faults in a lockstep drive', () => {
  it('the car only ever receives finite commands within the limits; the runtime stops on the NaN policy', async () => {
    const runtime = loadConfig('launch/drive.yaml');
    const vehicle = loadVehicleCalibration(runtime.calibration.vehicle);
    const steerMax = vehicle.max_steering_angle_rad;
    const [speedMin, speedMax] = runtime.safety.limits.speed!;
    const commands: { tMs: number; steering: number; speed: number }[] = [];
    const result = await runDriveSession({
      track: 'oval',
      laps: 1,
      driver: { kind: 'model', config: { ...runtime, model: { ...runtime.model, warmup_runs: 1 } } },
      sim: parseSimConfig(
        {
          faults: {
            nan_policy: [{ start_s: 0.8, duration_s: 0.5 }],
            frozen_camera: [{ start_s: 1.6, duration_s: 0.5 }],
            clock_jump: [{ at_s: 2.2, offset_s: 1 }, { at_s: 2.6, offset_s: -1 }],
          },
        },
        'test',
      ),
      transport: 'inprocess',
      maxSimTimeS: 3,
      log: () => {},
      onTransport: (transport: Transport) => {
        transport.subscribe<AckermannDriveStamped>(
          '/cmd/ackermann',
          'ackermann_msgs/msg/AckermannDriveStamped',
          (m) => commands.push({ tMs: msFromTime(m.header.stamp), steering: m.drive.steering_angle, speed: m.drive.speed }),
          RELIABLE_QOS,
        );
      },
    });
    expect(commands.length).toBeGreaterThanOrEqual(60);
    for (const c of commands) {
      expect(Number.isFinite(c.steering) && Number.isFinite(c.speed), JSON.stringify(c)).toBe(true);
      expect(Math.abs(c.steering), JSON.stringify(c)).toBeLessThanOrEqual(steerMax);
      expect(c.speed, JSON.stringify(c)).toBeGreaterThanOrEqual(speedMin);
      expect(c.speed, JSON.stringify(c)).toBeLessThanOrEqual(speedMax);
    }
    // 20 Hz loop: 10 ticks in the NaN window, 10 camera frames in the frozen one, both jumps passed.
    expect(result.faults).toMatchObject({ policy_nan_runs: 10, camera_frozen_frames: 10, clock_jumps: 2, commands_rejected: 0 });
    expect(result.runtime!.safetyReasons.nonfinite).toBe(10);
    // Commands are stamped in sim time (lockstep): in the NaN window (ticks at 0.80…1.25 s) the first
    // max_consecutive_misses (3) hold the last command, the rest are the stop command (speed 0).
    const window = commands.filter((c) => c.tMs >= 800 && c.tMs < 1300);
    expect(window).toHaveLength(10);
    const before = commands.filter((c) => c.tMs < 800).at(-1)!;
    for (const c of window.slice(0, 3)) expect([c.steering, c.speed]).toEqual([before.steering, before.speed]);
    for (const c of window.slice(3)) expect([c.steering, c.speed]).toEqual([before.steering, 0]);
    expect(result.interventions).toBe(0);
  }, 30_000);

  it('refuses nan_policy for the expert, which has no model', async () => {
    await expect(
      runDriveSession({ track: 'oval', laps: 1, driver: { kind: 'expert' }, sim: parseSimConfig({ faults: { nan_policy: [{ start_s: 1, duration_s: 1 }] } }, 'test'), transport: 'inprocess' }),
    ).rejects.toThrow(/^E_SIM_CONFIG: faults\.nan_policy corrupts the model's output, but the expert driver has no model here/);
  });
});

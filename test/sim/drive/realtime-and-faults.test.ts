import { describe, expect, it } from 'vitest';
import { makeAckermannDriveStamped } from '../../../src/core/messages/factories.js';
import { RELIABLE_QOS, SENSOR_QOS, type Transport } from '../../../src/transport/transport.js';
import type { Image } from '../../../src/core/messages/types.js';
import { parseSimConfig } from '../../../sim/config/sim-config.js';
import { runDriveSession } from '../../../sim/drive/drive-session.js';

describe('real-time simulation with an external driver', () => {
  it('drives on the commands another node publishes and stops when they stop (ESC failsafe)', async () => {
    let frames = 0;
    const result = await runDriveSession({
      track: 'oval',
      laps: 1,
      driver: { kind: 'external' },
      sim: parseSimConfig({ command: { timeout_ms: 200 } }, 'test'),
      mode: 'realtime',
      transport: 'inprocess',
      maxSimTimeS: 1.6,
      onTransport: (transport: Transport) => {
        const pub = transport.advertise('/cmd/ackermann', 'ackermann_msgs/msg/AckermannDriveStamped', RELIABLE_QOS);
        // A "runtime" answering the first 16 camera frames (0.8 s of sim time at 20 Hz), then silent.
        // Driven by the simulator's frames, not a wall-clock timer, so a busy machine (slow start-up,
        // late timers) changes nothing the test asserts.
        transport.subscribe<Image>('/camera/image_raw', 'sensor_msgs/msg/Image', () => {
          if (++frames <= 16) pub.publish(makeAckermannDriveStamped({ drive: { steering_angle: 0, steering_angle_velocity: 0, speed: 1.5, acceleration: 0, jerk: 0 } }));
        }, SENSOR_QOS);
      },
    });
    expect(result.mode).toBe('realtime');
    // Real time: about as much wall time as sim time.
    expect(result.wallTimeS).toBeGreaterThan(1.4);
    expect(frames).toBeGreaterThan(15);
    // It accelerated on the commands…
    expect(result.speed.maxMps).toBeGreaterThan(1.0);
    // …and the failsafe braked it to a stop once they stopped.
    expect(result.path.speedMps.at(-1)!).toBeLessThan(0.05);
  }, 20_000);
});

describe('fault injection in a lockstep drive', () => {
  it('drops camera frames in a drop-out window and the runtime falls back on stale input', async () => {
    const result = await runDriveSession({
      track: 'oval',
      laps: 1,
      driver: { kind: 'model', config: 'launch/drive.yaml' },
      sim: parseSimConfig({ faults: { camera: { drop_windows: [{ start_s: 1.0, duration_s: 1.0 }] } } }, 'test'),
      transport: 'inprocess',
      maxSimTimeS: 3,
    });
    // 20 Hz camera, 1 s window: 20 frames dropped.
    expect(result.faults!.camera_dropped).toBe(20);
    // max_age 150 ms: the runtime sees stale input for most of the window.
    expect(result.runtime!.safetyReasons.stale_input).toBeGreaterThan(12);
    expect(result.lockstep!.commandTimeouts).toBe(0);
  }, 20_000);
});

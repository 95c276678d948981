import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { AckermannDriveStamped, DiagnosticArray, Image } from '../../src/core/messages/types.js';
import { ZeroMqTransport } from '../../src/transport/zeromq.js';

afterEach(() => vi.restoreAllMocks());

describe('pilot run over ZeroMQ', () => {
  it('drives from camera frames sent by another transport and answers with commands and diagnostics', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const dir = mkdtempSync(join(tmpdir(), 'pilot-zmq-run-'));
    const ipcDir = join(dir, 'ipc');
    const config = join(dir, 'pilot.yaml');
    writeFileSync(
      config,
      [
        'model:',
        `  path: ${join(process.cwd(), 'models/pilotnet-test.onnx')}`,
        '  warmup_runs: 1',
        'transport:',
        '  kind: zeromq',
        `  ipc_dir: ${ipcDir}`,
        'loop:',
        '  rate_hz: 50',
        'outputs:',
        '  diagnostics:',
        '    rate_hz: 2',
        '',
      ].join('\n'),
      'utf8',
    );
    // The "robot": a camera driver and a command consumer in their own transport.
    const robot = new ZeroMqTransport({ ipcDir });
    const commands: { speed: number; steering: number }[] = [];
    const diagnostics: DiagnosticArray[] = [];
    robot.subscribe<AckermannDriveStamped>('/cmd/ackermann', 'ackermann_msgs/msg/AckermannDriveStamped', (m) =>
      commands.push({ speed: m.drive.speed, steering: m.drive.steering_angle }),
    );
    robot.subscribe<DiagnosticArray>('/diagnostics', 'diagnostic_msgs/msg/DiagnosticArray', (m) => diagnostics.push(m));
    const camera = robot.advertise<Image>('/camera/image_raw', 'sensor_msgs/msg/Image');
    const data = new Uint8Array(320 * 240 * 3).fill(100);
    let sent = 0;
    const frames = setInterval(
      () =>
        ++sent && camera.publish({ header: { stamp: { sec: 0, nanosec: 0 }, frame_id: 'camera' }, height: 240, width: 320, encoding: 'rgb8', is_bigendian: 0, step: 960, data }),
      20,
    );
    try {
      expect(await main(['run', '--config', config, '--duration', '2'])).toBe(0);
    } finally {
      clearInterval(frames);
    }
    await new Promise((r) => setTimeout(r, 100));
    await robot.close();
    // Wall-clock paced on both sides: a busy machine sends and ticks less, so the counts are bounded by
    // what was sent, not by a rate.
    expect(commands.length).toBeGreaterThanOrEqual(5);
    expect(commands.every((c) => Number.isFinite(c.speed) && Number.isFinite(c.steering))).toBe(true);
    // Policy commands got through (the untrained net asks for a little speed), and the last one is the stop.
    expect(commands.some((c) => c.speed > 0)).toBe(true);
    expect(commands.at(-1)!.speed).toBe(0);
    expect(diagnostics.length).toBeGreaterThanOrEqual(2);
    const inputs = diagnostics.at(-1)!.status.find((s) => s.name === 'pilot: inputs')!;
    const received = Number(inputs.values.find((v) => v.key === 'frames_received')!.value);
    expect(received).toBeGreaterThanOrEqual(5);
    expect(received).toBeLessThanOrEqual(sent);
  });
});

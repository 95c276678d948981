/** The runtime with camera frames of another size than the calibration's: drives, says so once, counts it in diagnostics. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ManualClock } from '../../src/loop/clock.js';
import { makeHeader, makeImage } from '../../src/messages/factories.js';
import type { Image } from '../../src/messages/types.js';
import { Pilot } from '../../src/runtime/pilot.js';
import { InProcessTransport } from '../../src/transport/in-process.js';

function frame(width: number, height: number): Image {
  return makeImage({ header: makeHeader({ frame_id: 'camera' }), height, width, encoding: 'rgb8', step: width * 3, data: new Uint8Array(width * height * 3).fill(90) });
}

describe('Pilot with 160×120 frames and the 320×240 calibration', () => {
  it('drives on scaled intrinsics, logs the notice once and reports it in diagnostics', async () => {
    const config = parseConfig(
      { model: { path: 'models/pilotnet-test.onnx', warmup_runs: 1 }, transport: { kind: 'inprocess' }, loop: { rate_hz: 100, deadline_ms: 8 } },
      'test',
      process.cwd(),
    );
    const clock = new ManualClock({ epochMs: 1_700_000_000_000 });
    const transport = new InProcessTransport();
    const lines: string[] = [];
    const pilot = await Pilot.create(config, { transport, clock, log: (l) => lines.push(l) });
    try {
      const camera = transport.advertise<Image>('/camera/image_raw', 'sensor_msgs/msg/Image');
      pilot.start();
      for (let i = 1; i <= 5; i++) {
        camera.publish(frame(160, 120));
        clock.advanceTo(i * 10);
        await pilot.loop.whenIdle();
      }
      expect(pilot.safety.lastReason).toBe('ok');
      expect(pilot.camera.received).toBe(5);
      expect(lines.filter((l) => /intrinsics scaled/.test(l))).toEqual(['pilot: camera frames are 160×120, calibration/camera.yaml is 320×240: intrinsics scaled by 0.5']);
      expect(pilot.cameraGeometry.stats.scaledFrames).toBe(5);
      const inputs = pilot.diagnostics.build().status.find((s) => s.name === 'pilot: inputs')!;
      const values = Object.fromEntries(inputs.values.map((v) => [v.key, v.value]));
      expect(values).toMatchObject({ camera_geometry: 'scaled ×0.5 to 160x120', frames_scaled_intrinsics: '5', frames_camera_info_geometry: '0', frames_rejected: '0' });
    } finally {
      await pilot.dispose();
      await transport.close();
    }
  });
});

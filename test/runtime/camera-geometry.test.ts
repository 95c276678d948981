/** The runtime with camera frames of another size than the calibration's: drives, says so once, counts it in diagnostics. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/core/config/load.js';
import { ManualClock } from '../../src/runtime/loop/clock.js';
import { makeCameraInfo, makeHeader, makeImage } from '../../src/core/messages/factories.js';
import type { CameraInfo, Image } from '../../src/core/messages/types.js';
import { Pilot } from '../../src/runtime/pilot.js';
import { InProcessTransport } from '../../src/transport/in-process.js';

function frame(width: number, height: number): Image {
  return makeImage({ header: makeHeader({ frame_id: 'camera' }), height, width, encoding: 'rgb8', step: width * 3, data: new Uint8Array(width * height * 3).fill(90) });
}

/** A runtime on the 320×240 calibration at 100 Hz, in process, on a manual clock; `inputs` overrides the config's. */
async function startPilot(inputs: Record<string, unknown>, log: (line: string) => void = () => {}) {
  const config = parseConfig(
    { model: { path: 'models/pilotnet-test.onnx', warmup_runs: 1 }, transport: { kind: 'inprocess' }, loop: { rate_hz: 100, deadline_ms: 8 }, ...inputs },
    'test',
    process.cwd(),
  );
  const clock = new ManualClock({ epochMs: 1_700_000_000_000 });
  const transport = new InProcessTransport();
  const pilot = await Pilot.create(config, { transport, clock, log });
  return { pilot, clock, transport };
}

describe('Pilot with 160×120 frames and the 320×240 calibration', () => {
  it('drives on scaled intrinsics, logs the notice once and reports it in diagnostics', async () => {
    const lines: string[] = [];
    const { pilot, clock, transport } = await startPilot({}, (l) => lines.push(l));
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

describe('Pilot with a live camera_info beside the camera', () => {
  it('samples frames of the camera_info size with its geometry (2:1 frames the 4:3 calibration would reject), applied once', async () => {
    const lines: string[] = [];
    const { pilot, clock, transport } = await startPilot({}, (l) => lines.push(l));
    try {
      const camera = transport.advertise<Image>('/camera/image_raw', 'sensor_msgs/msg/Image');
      const info = transport.advertise<CameraInfo>('/camera/camera_info', 'sensor_msgs/msg/CameraInfo');
      const k = Float64Array.from([100, 0, 80, 0, 100, 40, 0, 0, 1]);
      const cameraInfo = makeCameraInfo({ width: 160, height: 80, distortion_model: 'plumb_bob', d: new Float64Array(5), k, r: Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]), p: Float64Array.from([100, 0, 80, 0, 0, 100, 40, 0, 0, 0, 1, 0]) });
      pilot.start();
      for (let i = 1; i <= 5; i++) {
        info.publish(cameraInfo);
        camera.publish(frame(160, 80));
        clock.advanceTo(i * 10);
        await pilot.loop.whenIdle();
      }
      expect(pilot.camera.rejected).toBe(0);
      expect(pilot.safety.lastReason).toBe('ok');
      expect(pilot.cameraGeometry.stats.cameraInfoFrames).toBe(5);
      expect(lines.filter((l) => /camera_info/.test(l))).toHaveLength(1);
    } finally {
      await pilot.dispose();
      await transport.close();
    }
  });

  it('inputs.camera.info_topic: none ignores it, and such frames are rejected naming both sizes', async () => {
    const { pilot, clock, transport } = await startPilot({ inputs: { camera: { info_topic: 'none' } } });
    try {
      const camera = transport.advertise<Image>('/camera/image_raw', 'sensor_msgs/msg/Image');
      const info = transport.advertise<CameraInfo>('/camera/camera_info', 'sensor_msgs/msg/CameraInfo');
      pilot.start();
      info.publish(makeCameraInfo({ width: 160, height: 80, distortion_model: 'plumb_bob', k: Float64Array.from([100, 0, 80, 0, 100, 40, 0, 0, 1]) }));
      camera.publish(frame(160, 80));
      clock.advanceTo(10);
      await pilot.loop.whenIdle();
      expect(pilot.camera.rejected).toBe(1);
      expect(pilot.camera.lastRejection).toMatch(/160x80/);
    } finally {
      await pilot.dispose();
      await transport.close();
    }
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../../src/core/config/load.js';
import { loadCameraCalibration, parseCameraCalibration } from '../../../src/core/calibration/camera.js';
import { loadVehicleCalibration } from '../../../src/core/calibration/vehicle.js';

const dir = mkdtempSync(join(tmpdir(), 'pilot-config-'));
const write = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('config', () => {
  it('fills defaults and resolves paths against the base dir', () => {
    const c = parseConfig({ model: { path: 'models/x.onnx' } }, 'test', '/proj');
    expect(c.model.path).toBe('/proj/models/x.onnx');
    expect(c.model.providers).toEqual(['cpu']);
    expect(c.model.intra_op_threads).toBe(1);
    expect(c.loop).toMatchObject({ rate_hz: 50, trigger: 'timer' });
    expect(c.transport.kind).toBe('zeromq');
    expect(c.calibration.camera).toBe('/proj/calibration/camera.yaml');
  });

  it('names the key, the problem and the value', () => {
    expect(() => parseConfig({ model: { path: 'm.onnx' }, loop: { rate_hz: 500 } }, 'pilot.yaml', '/')).toThrow(
      /E_CONFIG: pilot.yaml: loop.rate_hz: .*200.* \(got 500\)/,
    );
    expect(() => parseConfig({ model: { path: 'm.onnx', providers: ['cuda', 'tpu'] } }, 'pilot.yaml', '/')).toThrow(
      /model.providers.1: .*\(got "tpu"\)/,
    );
    expect(() => parseConfig({ model: { path: 'm.onnx' }, loop: { rate_hz: 100, deadline_ms: 20 } }, 'p.yaml', '/')).toThrow(
      /loop.deadline_ms: deadline_ms must not exceed the period/,
    );
    expect(() => parseConfig({ model: { path: 'm.onnx' }, modle: {} }, 'p.yaml', '/')).toThrow(/modle/);
    expect(() => parseConfig({}, 'p.yaml', '/')).toThrow(/model/);
  });

  it('loads YAML and reports unreadable or invalid files', () => {
    const ok = write('ok.yaml', 'model:\n  path: m.onnx\nloop:\n  rate_hz: 100\n');
    expect(loadConfig(ok, dir).loop.rate_hz).toBe(100);
    expect(() => loadConfig(join(dir, 'missing.yaml'))).toThrow(/cannot read config .*missing.yaml: ENOENT/);
    const bad = write('bad.yaml', 'model: [\n');
    expect(() => loadConfig(bad)).toThrow(/bad.yaml: not valid YAML/);
  });
});

describe('calibration', () => {
  it('reads the bundled camera and vehicle files', () => {
    const cam = loadCameraCalibration('calibration/camera.yaml');
    expect(cam).toMatchObject({ width: 320, height: 240, encoding: 'rgb8', distortionModel: 'plumb_bob' });
    expect(cam.k).toHaveLength(9);
    const v = loadVehicleCalibration('calibration/vehicle.yaml');
    expect(v.wheelbase_m).toBeGreaterThan(0);
    expect(v.max_steering_angle_rad).toBeLessThan(1.5);
  });

  it('rejects a camera matrix of the wrong size, naming the key', () => {
    const raw = {
      image_width: 320,
      image_height: 240,
      camera_matrix: { rows: 3, cols: 3, data: [1, 0, 0, 0, 1, 0, 0, 0] },
      distortion_coefficients: { rows: 1, cols: 0, data: [] },
    };
    expect(() => parseCameraCalibration(raw, 'cam.yaml')).toThrow(/E_CALIBRATION: cam.yaml: camera_matrix.data/);
  });

  it('rejects a vehicle file with a missing key', () => {
    const p = write('vehicle.yaml', 'wheelbase_m: 0.3\n');
    expect(() => loadVehicleCalibration(p)).toThrow(/vehicle.yaml: max_steering_angle_rad/);
  });
});

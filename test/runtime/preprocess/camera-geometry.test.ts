/**
 * Frames of another size than the calibration's: intrinsics scaled when the aspect ratio matches,
 * camera_info's geometry when given, rejection otherwise; undistortion rebuilt for the scaled intrinsics.
 */
import { describe, expect, it } from 'vitest';
import {
  cameraCalibrationFromInfo,
  cameraInfoTopicFor,
  loadCameraCalibration,
  scaleCameraCalibration,
  type CameraCalibration,
} from '../../../src/core/calibration/camera.js';
import { makeCameraInfo } from '../../../src/core/messages/factories.js';
import type { CameraContractInput } from '../../../src/runtime/policy/contract.js';
import { CameraPreprocessor, type RawFrame } from '../../../src/runtime/preprocess/camera-preprocessor.js';
import { mulberry32 } from '../../../src/core/util/prng.js';

/** A lens with distortion and an off-centre principal point, written for `width`×`height` (K scaled from 320×240). */
function lens(width: number, height: number, d: number[] = [-0.28, 0.09, 0.0012, -0.0008, -0.01]): CameraCalibration {
  const sx = width / 320;
  const sy = height / 240;
  const [fx, cx, fy, cy] = [161.3 * sx, 158.7 * sx, 162.1 * sy, 121.4 * sy];
  return {
    width,
    height,
    name: 'lens',
    encoding: 'rgb8',
    k: [fx, 0, cx, 0, fy, cy, 0, 0, 1],
    distortionModel: 'plumb_bob',
    d,
    r: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    p: [fx, 0, cx, 0, 0, fy, cy, 0, 0, 0, 1, 0],
    source: `lens-${width}x${height}.yaml`,
  };
}

function input(overrides: Partial<CameraContractInput> = {}): CameraContractInput {
  return {
    name: 'image',
    role: 'camera',
    shape: [1, 3, 33, 100],
    dtype: 'float32',
    layout: 'NCHW',
    color: 'rgb',
    normalize: { scale: 1, mean: [0], std: [1] },
    crop: { top: 0.35, bottom: 0.1, left: 0, right: 0 },
    undistort: false,
    ...overrides,
  };
}

/** Smooth random rgb8 content (so bilinear sampling differences stay small but nonzero). */
function frame(width: number, height: number, seed = 1): RawFrame {
  const random = mulberry32(seed);
  const a = [random(), random(), random()].map((v) => 0.02 + v * 0.1);
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = 127.5 + 127 * Math.sin(a[c]! * x * (320 / width) + a[(c + 1) % 3]! * y * (240 / height) + c);
  return { width, height, encoding: 'rgb8', step: width * 3, data };
}

function collect(): { lines: string[]; log: (line: string) => void } {
  const lines: string[] = [];
  return { lines, log: (line) => lines.push(line) };
}

function run(p: CameraPreprocessor, f: RawFrame): Float32Array {
  const out = new Float32Array(p.elementCount);
  expect(p.process(f, out), p.lastRejection).toBe('ok');
  return out;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('camera geometry for frames of another size', () => {
  it('accepts 160×120 frames with a 320×240 calibration: one notice, scaled intrinsics, counted', () => {
    const { lines, log } = collect();
    const p = new CameraPreprocessor(input(), loadCameraCalibration('calibration/camera.yaml'), { log });
    for (let i = 0; i < 3; i++) run(p, frame(160, 120, i));
    expect(lines).toEqual(['pilot: camera frames are 160×120, calibration/camera.yaml is 320×240: intrinsics scaled by 0.5']);
    expect(p.notices).toEqual(lines);
    expect(p.geometry).toMatchObject({ widthPx: 160, heightPx: 120, source: 'scaled', scaleX: 0.5, scaleY: 0.5 });
    expect(p.geometry.camera.k).toEqual([80, 0, 80, 0, 80, 60, 0, 0, 1]);
    expect(p.geometry.camera.p).toEqual([80, 0, 80, 0, 0, 80, 60, 0, 0, 0, 1, 0]);
    expect(p.geometryStats).toEqual({ scaledFrames: 3, cameraInfoFrames: 0, sizeRejections: 0 });
    // Back to the calibration's own size: its table again, not counted as scaled.
    run(p, frame(320, 240));
    expect(p.geometry.source).toBe('calibration');
    expect(p.geometryStats.scaledFrames).toBe(3);
  });

  it('samples a scaled stream exactly as a calibration written at that size would (no undistortion)', () => {
    const scaled = new CameraPreprocessor(input(), lens(320, 240), { log: () => {} });
    const native = new CameraPreprocessor(input(), lens(160, 120), { log: () => {} });
    const f = frame(160, 120, 7);
    expect([...run(scaled, f)]).toEqual([...run(native, f)]);
  });

  it('rejects frames whose aspect ratio differs (4:3 calibration, 2:1 frames) with the reason, tensor untouched', () => {
    const { lines, log } = collect();
    const p = new CameraPreprocessor(input(), loadCameraCalibration('calibration/camera.yaml'), { log });
    const out = new Float32Array(p.elementCount).fill(7);
    expect(p.process(frame(160, 80), out)).toBe('bad_size');
    expect(p.lastRejection).toMatch(
      /^image 160x80 but calibration says 320x240 \(calibration\/camera\.yaml\): aspect ratio 2\.000 vs 1\.333, 50\.0 % apart \(scaling the intrinsics needs ≤ 1 %\); use a calibration for this camera's resolution$/,
    );
    expect(out.every((v) => v === 7)).toBe(true);
    expect(p.process(frame(160, 80), out)).toBe('bad_size');
    expect(p.geometryStats.sizeRejections).toBe(2);
    expect(lines).toEqual([]);
  });

  it('scales within 1 % of the aspect ratio (per axis), rejects beyond it', () => {
    const { lines, log } = collect();
    const p = new CameraPreprocessor(input(), lens(320, 240), { log });
    run(p, frame(322, 240)); // 0.6 % wider
    expect(lines[0]).toBe('pilot: camera frames are 322×240, lens-320x240.yaml is 320×240: intrinsics scaled by 1.0063 in x, 1 in y');
    expect(p.geometry.camera.k[0]).toBeCloseTo(161.3 * (322 / 320), 10);
    expect(p.geometry.camera.k[4]).toBe(162.1);
    expect(p.process(frame(326, 240), new Float32Array(p.elementCount))).toBe('bad_size'); // 1.9 %
  });

  it('with undistort, rebuilds the undistortion map for the scaled intrinsics: the same tensor as a calibration written at 160×120', () => {
    const { lines, log } = collect();
    const scaled = new CameraPreprocessor(input({ undistort: true }), lens(320, 240), { log });
    const native = new CameraPreprocessor(input({ undistort: true }), lens(160, 120), { log: () => {} });
    const f = frame(160, 120, 3);
    const a = run(scaled, f);
    const b = run(native, f);
    expect(lines).toEqual(['pilot: camera frames are 160×120, lens-320x240.yaml is 320×240: intrinsics scaled by 0.5 (undistortion map rebuilt for them)']);
    // The same map up to float rounding of the scaled K: well under a grey level.
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-3);
    for (let i = 0; i < scaled.table.x0.length; i++) {
      expect(scaled.table.x0[i]! + scaled.table.wx[i]!).toBeCloseTo(native.table.x0[i]! + native.table.wx[i]!, 4);
      expect(scaled.table.y0[i]! + scaled.table.wy[i]!).toBeCloseTo(native.table.y0[i]! + native.table.wy[i]!, 4);
    }
    // And undistortion matters here: without it the tensor is clearly different.
    const plain = run(new CameraPreprocessor(input(), lens(160, 120), { log: () => {} }), f);
    expect(maxAbsDiff(a, plain)).toBeGreaterThan(5);
  });

  it('uses camera_info for its size, keeps the calibration for the calibration size, and ignores an uncalibrated one', () => {
    const { lines, log } = collect();
    const p = new CameraPreprocessor(input({ undistort: true }), lens(320, 240), { log });
    const wide = lens(160, 80, [0, 0, 0, 0, 0]); // 2:1: cannot be scaled from the 4:3 calibration
    const info = makeCameraInfo({
      width: 160,
      height: 80,
      distortion_model: 'plumb_bob',
      d: Float64Array.from(wide.d),
      k: Float64Array.from(wide.k),
      r: Float64Array.from(wide.r),
      p: Float64Array.from(wide.p),
    });
    expect(p.process(frame(160, 80), new Float32Array(p.elementCount))).toBe('bad_size');
    expect(p.useCameraInfo(info, 'camera_info on /camera/camera_info')).toBe('');
    expect(p.useCameraInfo(info, 'camera_info on /camera/camera_info')).toBe(''); // unchanged: nothing rebuilt
    const a = run(p, frame(160, 80));
    expect(p.geometry.source).toBe('camera_info');
    expect(p.geometryStats.cameraInfoFrames).toBe(1);
    expect(lines).toEqual(['pilot: camera frames are 160×80, lens-320x240.yaml is 320×240: using the geometry from camera_info on /camera/camera_info']);
    const native = new CameraPreprocessor(input({ undistort: true }), wide, { log: () => {} });
    expect(maxAbsDiff(a, run(native, frame(160, 80)))).toBe(0);
    run(p, frame(320, 240));
    expect(p.geometry.source).toBe('calibration');

    const uncalibrated = makeCameraInfo({ width: 640, height: 480, distortion_model: 'plumb_bob' });
    expect(p.useCameraInfo(uncalibrated, 'camera_info on /cam/camera_info')).toMatch(/camera_info on \/cam\/camera_info: uncalibrated camera \(K has fx 0, fy 0/);
    expect(lines.at(-1)).toMatch(/; camera_info ignored$/);
    // Without a usable camera_info the 2:1 frames are rejected again.
    expect(p.process(frame(160, 80), new Float32Array(p.elementCount))).toBe('bad_size');
  });
});

describe('calibration helpers', () => {
  it('scales K and P per axis and keeps distortion', () => {
    const s = scaleCameraCalibration(lens(320, 240), 640, 480);
    expect(s.width).toBe(640);
    expect(s.k[0]).toBeCloseTo(322.6, 10);
    expect(s.k[5]).toBeCloseTo(242.8, 10);
    expect(s.d).toEqual(lens(320, 240).d);
    expect(() => scaleCameraCalibration(lens(320, 240), 0, 10)).toThrow(/E_CALIBRATION|cannot scale to an image of 0x10/);
  });

  it('reads CameraInfo with binning and a region of interest into the published image geometry', () => {
    const full = lens(640, 480);
    const info = makeCameraInfo({
      width: 640,
      height: 480,
      distortion_model: 'plumb_bob',
      d: Float64Array.from(full.d),
      k: Float64Array.from(full.k),
      r: Float64Array.from(full.r),
      p: Float64Array.from(full.p),
      binning_x: 2,
      binning_y: 2,
      roi: { x_offset: 40, y_offset: 20, width: 320, height: 240, do_rectify: false },
    });
    const r = cameraCalibrationFromInfo(info, 'info');
    if (!r.ok) throw new Error(r.reason);
    expect([r.camera.width, r.camera.height]).toEqual([160, 120]);
    expect(r.camera.k[0]).toBeCloseTo(full.k[0]! / 2, 10);
    expect(r.camera.k[2]).toBeCloseTo((full.k[2]! - 40) / 2, 10);
    expect(r.camera.k[5]).toBeCloseTo((full.k[5]! - 20) / 2, 10);
    expect(cameraCalibrationFromInfo({ ...info, distortion_model: 'fisheye62' }, 'info')).toEqual({
      ok: false,
      reason: "info: distortion model 'fisheye62' is not one of plumb_bob, rational_polynomial, equidistant",
    });
  });

  it('finds camera_info beside an image topic the image_transport way', () => {
    expect(cameraInfoTopicFor('/camera/image_raw')).toBe('/camera/camera_info');
    expect(cameraInfoTopicFor('/camera/image_raw/compressed')).toBe('/camera/camera_info');
    expect(cameraInfoTopicFor('/front/color/image')).toBe('/front/color/camera_info');
    expect(cameraInfoTopicFor('/image')).toBe('/camera_info');
  });
});

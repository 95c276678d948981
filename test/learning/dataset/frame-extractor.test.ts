import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import type { CameraCalibration } from '../../../src/core/calibration/camera.js';
import { FrameExtractor, modelInputSize } from '../../../src/learning/dataset/frame-extractor.js';
import type { CompressedImage } from '../../../src/core/messages/types.js';
import type { CameraContractInput } from '../../../src/runtime/policy/contract.js';
import { CameraPreprocessor, type RawFrame } from '../../../src/runtime/preprocess/camera-preprocessor.js';
import { decodeCompressed } from '../../../src/runtime/preprocess/decode-compressed.js';
import { mulberry32 } from '../../../src/core/util/prng.js';
import { cameraInput } from './helpers.js';

const SRC_W = 40;
const SRC_H = 30;

function calibration(width: number, height: number, d: number[] = [0, 0, 0, 0, 0]): CameraCalibration {
  const f = width / 2;
  return {
    width,
    height,
    name: 'test',
    encoding: 'rgb8',
    k: [f, 0, width / 2, 0, f, height / 2, 0, 0, 1],
    distortionModel: 'plumb_bob',
    d,
    r: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    p: [f, 0, width / 2, 0, 0, f, height / 2, 0, 0, 0, 1, 0],
  };
}

/** Random bytes in the given encoding, with padded rows (step > width·bpp) to exercise step handling. */
function randomFrame(encoding: string, seed: number, width = SRC_W, height = SRC_H): RawFrame {
  const bpp = encoding === 'mono8' ? 1 : encoding.endsWith('a8') ? 4 : 3;
  const step = width * bpp + 4;
  const random = mulberry32(seed);
  const data = new Uint8Array(step * height);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(random() * 256);
  return { width, height, encoding, step, data };
}

/**
 * The dataset frame, normalised as the trainer will (with the contract's normalize, in the
 * contract's channel order and layout), must equal the runtime's tensor for the same frame.
 */
function compare(input: CameraContractInput, frame: RawFrame, cal: CameraCalibration = calibration(frame.width, frame.height)): number {
  const runtime = new CameraPreprocessor(input, cal);
  const expected = new Float32Array(runtime.elementCount);
  expect(runtime.process(frame, expected)).toBe('ok');
  const extractor = new FrameExtractor(input, cal);
  const { height, width } = modelInputSize(input);
  const bytes = new Uint8Array(height * width * 3 + 5).fill(77);
  expect(extractor.extract(frame, bytes, 5)).toBe('ok');
  expect(bytes[4]).toBe(77); // nothing written before the offset
  const { scale, mean, std } = input.normalize;
  const n = height * width;
  // Worst error as a fraction of half a grey level in that channel's units.
  let worst = 0;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      // Dataset frames are RGB; a bgr network sees channel 0 = blue.
      const src = input.color === 'bgr' ? 2 - c : c;
      const byte = bytes[5 + i * 3 + src]!;
      const m = mean[c] ?? mean[0]!;
      const s = std[c] ?? std[0]!;
      const value = (byte * scale - m) / s;
      const at = input.layout === 'NCHW' ? c * n + i : i * 3 + c;
      worst = Math.max(worst, Math.abs(value - expected[at]!) / ((0.5 * scale) / s));
    }
  }
  expect(worst).toBeLessThanOrEqual(1 + 1e-4);
  return worst;
}

describe('FrameExtractor', () => {
  it('model input size from NCHW and NHWC shapes', () => {
    expect(modelInputSize(cameraInput({ shape: [1, 3, 12, 16], layout: 'NCHW' }))).toEqual({ height: 12, width: 16 });
    expect(modelInputSize(cameraInput({ shape: [1, 12, 16, 3], layout: 'NHWC' }))).toEqual({ height: 12, width: 16 });
  });

  for (const encoding of ['rgb8', 'bgr8', 'rgba8', 'bgra8', 'mono8']) {
    it(`matches the runtime's tensor within rounding: ${encoding}, crop, downscale, NCHW`, () => {
      const input = cameraInput({ crop: { top: 0.3, bottom: 0.1, left: 0.05, right: 0.15 }, shape: [1, 3, 7, 13] });
      const worst = compare(input, randomFrame(encoding, 1));
      expect(worst).toBeGreaterThan(0); // really rounded, so the bound is the one being tested
    });
  }

  it('matches with upscaling, NHWC, per-channel mean/std', () => {
    compare(cameraInput({ layout: 'NHWC', shape: [1, 50, 64, 3], normalize: { scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } }), randomFrame('rgb8', 2));
  });

  it('matches a bgr contract (dataset stays RGB; the trainer swaps)', () => {
    compare(cameraInput({ color: 'bgr', crop: { top: 0.5, bottom: 0, left: 0, right: 0 } }), randomFrame('rgb8', 3));
  });

  it('matches with undistortion when given the full calibration', () => {
    const cal = calibration(SRC_W, SRC_H, [-0.2, 0.05, 0, 0, 0]);
    compare(cameraInput({ undistort: true }), randomFrame('rgb8', 4), cal);
  });

  it('matches for a PNG CompressedImage, decoded as the runtime decodes it', () => {
    const f = randomFrame('rgb8', 5);
    const png = new PNG({ width: f.width, height: f.height });
    for (let y = 0; y < f.height; y++) for (let x = 0; x < f.width; x++) png.data.set([f.data[y * f.step + x * 3]!, f.data[y * f.step + x * 3 + 1]!, f.data[y * f.step + x * 3 + 2]!, 255], (y * f.width + x) * 4);
    const msg: CompressedImage = { header: { stamp: { sec: 0, nanosec: 0 }, frame_id: '' }, format: 'png', data: new Uint8Array(PNG.sync.write(png)) };
    const input = cameraInput({ crop: { top: 0.25, bottom: 0, left: 0, right: 0 } });
    const decoded = decodeCompressed(msg.format, msg.data);
    if (!decoded.ok) throw new Error(decoded.reason);
    compare(input, decoded.frame);
    // And through extractMessage: the same bytes as extracting the raw frame.
    const ex = new FrameExtractor(input, { width: SRC_W, height: SRC_H });
    const a = new Uint8Array(ex.frameBytes);
    const b = new Uint8Array(ex.frameBytes);
    expect(ex.extractMessage(msg, a)).toBe('ok');
    expect(ex.extract(f, b)).toBe('ok');
    expect(a).toEqual(b);
  });

  it('size-only calibration gives the same bytes as the full one without undistortion', () => {
    const input = cameraInput({ crop: { top: 0.2, bottom: 0.1, left: 0, right: 0 } });
    const f = randomFrame('bgr8', 6);
    const a = new Uint8Array(16 * 12 * 3);
    const b = new Uint8Array(16 * 12 * 3);
    new FrameExtractor(input, calibration(SRC_W, SRC_H)).extract(f, a);
    new FrameExtractor(input, { width: SRC_W, height: SRC_H }).extract(f, b);
    expect(a).toEqual(b);
  });

  it('reports bad size, bad encoding and undecodable data without writing', () => {
    const ex = new FrameExtractor(cameraInput(), { width: SRC_W, height: SRC_H });
    const out = new Uint8Array(ex.frameBytes).fill(9);
    expect(ex.extract(randomFrame('rgb8', 7, 20, 10), out)).toBe('bad_size');
    expect(ex.lastRejection).toMatch(/20x10 but calibration says 40x30/);
    expect(ex.extract({ ...randomFrame('rgb8', 7), encoding: 'yuv422' }, out)).toBe('bad_encoding');
    expect(ex.lastRejection).toMatch(/yuv422/);
    const junk: CompressedImage = { header: { stamp: { sec: 0, nanosec: 0 }, frame_id: '' }, format: 'jpeg', data: new Uint8Array([0xff, 0xd8, 0xff, 0, 1, 2]) };
    expect(ex.extractMessage(junk, out)).toBe('undecodable');
    expect(out.every((v) => v === 9)).toBe(true);
  });

  it('refuses mono contracts and undistortion without intrinsics', () => {
    expect(() => new FrameExtractor(cameraInput({ color: 'mono', shape: [1, 1, 12, 16] }), { width: 40, height: 30 })).toThrow(/E_DATASET_CONTRACT.*mono/);
    expect(() => new FrameExtractor(cameraInput({ undistort: true }), { width: 40, height: 30 })).toThrow(/E_DATASET_CONTRACT.*undistort/);
  });
});

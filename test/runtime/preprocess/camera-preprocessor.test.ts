import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import type { CameraCalibration } from '../../../src/core/calibration/camera.js';
import type { CameraContractInput } from '../../../src/runtime/policy/contract.js';
import { CameraPreprocessor, type RawFrame } from '../../../src/runtime/preprocess/camera-preprocessor.js';
import { decodeCompressed } from '../../../src/runtime/preprocess/decode-compressed.js';
import { buildRemapTable } from '../../../src/runtime/preprocess/remap-table.js';

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

function input(overrides: Partial<CameraContractInput> = {}): CameraContractInput {
  return {
    name: 'image',
    role: 'camera',
    shape: [1, 3, 4, 6],
    dtype: 'float32',
    layout: 'NCHW',
    color: 'rgb',
    normalize: { scale: 1, mean: [0], std: [1] },
    crop: { top: 0, bottom: 0, left: 0, right: 0 },
    undistort: false,
    ...overrides,
  };
}

/** rgb8 frame where each channel encodes position: r = x·10, g = y·10, b = 200. */
function frame(width: number, height: number, encoding = 'rgb8'): RawFrame {
  const bpp = encoding === 'mono8' ? 1 : encoding.endsWith('a8') ? 4 : 3;
  const data = new Uint8Array(width * height * bpp);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * bpp;
      const rgb = [x * 10, y * 10, 200];
      if (encoding === 'mono8') data[o] = x * 10;
      else if (encoding.startsWith('bgr')) [data[o], data[o + 1], data[o + 2]] = [rgb[2]!, rgb[1]!, rgb[0]!];
      else [data[o], data[o + 1], data[o + 2]] = rgb as [number, number, number];
      if (bpp === 4) data[o + 3] = 255;
    }
  return { width, height, encoding, step: width * bpp, data };
}

describe('CameraPreprocessor', () => {
  it('copies pixels exactly when sizes match (NCHW, rgb)', () => {
    const p = new CameraPreprocessor(input(), calibration(6, 4));
    const out = new Float32Array(p.elementCount);
    expect(p.process(frame(6, 4), out)).toBe('ok');
    const n = 24;
    for (let y = 0; y < 4; y++)
      for (let x = 0; x < 6; x++) {
        expect(out[y * 6 + x]).toBe(x * 10);
        expect(out[n + y * 6 + x]).toBe(y * 10);
        expect(out[2 * n + y * 6 + x]).toBe(200);
      }
  });

  it('reorders bgr8 and rgba8 sources and matches NHWC to NCHW', () => {
    const nchw = new CameraPreprocessor(input(), calibration(6, 4));
    const nhwc = new CameraPreprocessor(input({ layout: 'NHWC', shape: [1, 4, 6, 3] }), calibration(6, 4));
    const a = new Float32Array(72);
    const b = new Float32Array(72);
    const c = new Float32Array(72);
    nchw.process(frame(6, 4, 'rgb8'), a);
    nchw.process(frame(6, 4, 'bgra8'), b);
    expect([...b]).toEqual([...a]);
    nhwc.process(frame(6, 4, 'bgr8'), c);
    for (let i = 0; i < 24; i++) for (let ch = 0; ch < 3; ch++) expect(c[i * 3 + ch]).toBe(a[ch * 24 + i]);
  });

  it('feeds a bgr network and a mono network', () => {
    const bgr = new CameraPreprocessor(input({ color: 'bgr' }), calibration(6, 4));
    const out = new Float32Array(72);
    bgr.process(frame(6, 4), out);
    expect(out[0]).toBe(200); // blue first
    const mono = new CameraPreprocessor(input({ color: 'mono', shape: [1, 1, 4, 6] }), calibration(6, 4));
    const m = new Float32Array(24);
    mono.process(frame(6, 4, 'mono8'), m);
    expect(m[5]).toBe(50);
  });

  it('normalises with scale, mean and std per channel', () => {
    const p = new CameraPreprocessor(input({ normalize: { scale: 1 / 255, mean: [0.5, 0.5, 0.5], std: [0.25, 0.5, 0.5] } }), calibration(6, 4));
    const out = new Float32Array(72);
    p.process(frame(6, 4), out);
    expect(out[48]).toBeCloseTo((200 / 255 - 0.5) / 0.5, 6);
    expect(out[0]).toBeCloseTo((0 - 0.5) / 0.25, 6);
  });

  it('crops by fractions and resizes with half-pixel bilinear sampling', () => {
    // 12×8 source, crop the top half → 12×4 region, resize to 6×4: x_src = 2·x_out + 0.5
    const p = new CameraPreprocessor(input({ crop: { top: 0.5, bottom: 0, left: 0, right: 0 } }), calibration(12, 8));
    const out = new Float32Array(72);
    p.process(frame(12, 8), out);
    for (let x = 0; x < 6; x++) expect(out[x]).toBeCloseTo((2 * x + 0.5) * 10, 4);
    for (let y = 0; y < 4; y++) expect(out[24 + y * 6]).toBeCloseTo((4 + y) * 10, 4);
  });

  it('rejects wrong size, unknown encoding and short data without touching the tensor', () => {
    const p = new CameraPreprocessor(input(), calibration(6, 4));
    const out = new Float32Array(72).fill(7);
    expect(p.process(frame(8, 4), out)).toBe('bad_size');
    expect(p.lastRejection).toMatch(/image 8x4 but calibration says 6x4/);
    expect(p.process({ ...frame(6, 4), encoding: 'yuv422' }, out)).toBe('bad_encoding');
    expect(p.process({ ...frame(6, 4), data: new Uint8Array(10) }, out)).toBe('bad_step');
    expect(out.every((v) => v === 7)).toBe(true);
  });

  it('refuses a contract whose channel count does not fit its colour', () => {
    expect(() => new CameraPreprocessor(input({ color: 'mono' }), calibration(6, 4))).toThrow(/color 'mono' needs 1 channel\(s\)/);
  });
});

describe('undistortion table', () => {
  it('samples where the plumb_bob model puts each rectified pixel', () => {
    const d = [-0.3, 0.1, 0.001, -0.002, 0];
    const cal = calibration(64, 48, d);
    const t = buildRemapTable({ srcWidth: 64, srcHeight: 48, outWidth: 64, outHeight: 48, crop: { top: 0, bottom: 0, left: 0, right: 0 }, undistortWith: cal });
    const [k1, k2, p1, p2, k3] = d as [number, number, number, number, number];
    for (const [ox, oy] of [[5, 5], [32, 24], [60, 40], [10, 30]] as const) {
      const x = (ox - 32) / 32;
      const y = (oy - 24) / 32;
      const r2 = x * x + y * y;
      const radial = 1 + k1 * r2 + k2 * r2 * r2 + k3 * r2 ** 3;
      const xd = x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x);
      const yd = y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y;
      const i = oy * 64 + ox;
      expect(t.x0[i]! + t.wx[i]!).toBeCloseTo(32 * xd + 32, 4);
      expect(t.y0[i]! + t.wy[i]!).toBeCloseTo(32 * yd + 24, 4);
    }
  });

  it('marks rectified pixels that fall outside the raw image', () => {
    const cal = calibration(64, 48, [0.8, 0, 0, 0, 0]); // strong pincushion pushes corners out
    const t = buildRemapTable({ srcWidth: 64, srcHeight: 48, outWidth: 64, outHeight: 48, crop: { top: 0, bottom: 0, left: 0, right: 0 }, undistortWith: cal });
    expect(t.x0[0]).toBe(-1);
    expect(t.x0[24 * 64 + 32]).toBeGreaterThanOrEqual(0);
  });
});

describe('CompressedImage decoding', () => {
  const raw = frame(6, 4);
  const rgba = new Uint8Array(6 * 4 * 4);
  for (let i = 0; i < 24; i++) {
    rgba.set(raw.data.subarray(i * 3, i * 3 + 3), i * 4);
    rgba[i * 4 + 3] = 255;
  }

  it('decodes PNG losslessly to the same tensor as the raw frame', () => {
    const png = new PNG({ width: 6, height: 4 });
    png.data.set(rgba);
    const bytes = PNG.sync.write(png);
    const decoded = decodeCompressed('png', bytes);
    expect(decoded.ok).toBe(true);
    const p = new CameraPreprocessor(input(), calibration(6, 4));
    const a = new Float32Array(72);
    const b = new Float32Array(72);
    p.process(raw, a);
    p.process((decoded as { frame: RawFrame }).frame, b);
    expect([...b]).toEqual([...a]);
  });

  it('decodes JPEG (sniffed from the bytes, whatever the format string says)', () => {
    const big = { width: 16, height: 16, data: Buffer.alloc(16 * 16 * 4, 128) };
    const bytes = jpeg.encode(big, 95).data;
    const decoded = decodeCompressed('rgb8; compressed', bytes);
    expect(decoded.ok && decoded.frame.width === 16 && Math.abs(decoded.frame.data[0]! - 128) <= 2).toBe(true);
  });

  it('reports undecodable bytes instead of throwing', () => {
    const r = decodeCompressed('jpeg', new Uint8Array([0xff, 0xd8, 0xff, 0, 1, 2]));
    expect(r.ok).toBe(false);
    expect(decodeCompressed('tiff', new Uint8Array([1, 2, 3]))).toEqual({ ok: false, reason: "format 'tiff' is neither JPEG nor PNG" });
  });
});

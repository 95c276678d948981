/**
 * Precomputed bilinear sampling table: for every network input pixel, which source pixels to blend
 * and with what weights. Crop, resize and (optionally) undistortion collapse into one table built at
 * start, so the per-frame work is a single pass with no allocation.
 */
import type { CameraCalibration } from '../../core/calibration/camera.js';

export interface CropFractions {
  readonly top: number;
  readonly bottom: number;
  readonly left: number;
  readonly right: number;
}

export interface RemapTable {
  readonly srcWidth: number;
  readonly srcHeight: number;
  readonly outWidth: number;
  readonly outHeight: number;
  /** Top-left source column and row per output pixel; -1 marks a pixel outside the source image. */
  readonly x0: Int32Array;
  readonly y0: Int32Array;
  /** Weight of the right column / bottom row (0..1). */
  readonly wx: Float32Array;
  readonly wy: Float32Array;
}

export interface RemapOptions {
  srcWidth: number;
  srcHeight: number;
  outWidth: number;
  outHeight: number;
  crop: CropFractions;
  /** When given, sample the undistorted (rectified) image described by this calibration. */
  undistortWith?: CameraCalibration;
}

export function buildRemapTable(options: RemapOptions): RemapTable {
  const { srcWidth, srcHeight, outWidth, outHeight, crop } = options;
  const n = outWidth * outHeight;
  const x0 = new Int32Array(n);
  const y0 = new Int32Array(n);
  const wx = new Float32Array(n);
  const wy = new Float32Array(n);
  const cropX = crop.left * srcWidth;
  const cropY = crop.top * srcHeight;
  const cropW = (1 - crop.left - crop.right) * srcWidth;
  const cropH = (1 - crop.top - crop.bottom) * srcHeight;
  const distort = options.undistortWith ? makeDistortion(options.undistortWith, srcWidth, srcHeight) : undefined;
  const point = { x: 0, y: 0 };
  for (let oy = 0; oy < outHeight; oy++) {
    for (let ox = 0; ox < outWidth; ox++) {
      // Half-pixel centres, as OpenCV's resize and ONNX Resize (half_pixel) do.
      point.x = cropX + ((ox + 0.5) * cropW) / outWidth - 0.5;
      point.y = cropY + ((oy + 0.5) * cropH) / outHeight - 0.5;
      if (distort) distort(point);
      const i = oy * outWidth + ox;
      if (point.x < -0.5 || point.y < -0.5 || point.x > srcWidth - 0.5 || point.y > srcHeight - 0.5 || !Number.isFinite(point.x + point.y)) {
        x0[i] = -1;
        y0[i] = -1;
        continue;
      }
      const fx = Math.min(Math.max(point.x, 0), srcWidth - 1);
      const fy = Math.min(Math.max(point.y, 0), srcHeight - 1);
      const ix = Math.min(Math.floor(fx), Math.max(srcWidth - 2, 0));
      const iy = Math.min(Math.floor(fy), Math.max(srcHeight - 2, 0));
      x0[i] = ix;
      y0[i] = iy;
      wx[i] = srcWidth > 1 ? fx - ix : 0;
      wy[i] = srcHeight > 1 ? fy - iy : 0;
    }
  }
  return { srcWidth, srcHeight, outWidth, outHeight, x0, y0, wx, wy };
}

/**
 * Maps a pixel of the rectified image (projection P) to the raw image (intrinsics K, distortion D),
 * like OpenCV's initUndistortRectifyMap. The calibration may be for another resolution: scale it.
 */
function makeDistortion(cal: CameraCalibration, width: number, height: number): (p: { x: number; y: number }) => void {
  const sx = width / cal.width;
  const sy = height / cal.height;
  const [fx, , cx, , fy, cy] = [cal.k[0]! * sx, 0, cal.k[2]! * sx, 0, cal.k[4]! * sy, cal.k[5]! * sy];
  const pfx = cal.p[0]! * sx;
  const pcx = cal.p[2]! * sx;
  const pfy = cal.p[5]! * sy;
  const pcy = cal.p[6]! * sy;
  const d = cal.d;
  const k1 = d[0] ?? 0, k2 = d[1] ?? 0, p1 = d[2] ?? 0, p2 = d[3] ?? 0, k3 = d[4] ?? 0;
  const k4 = d[5] ?? 0, k5 = d[6] ?? 0, k6 = d[7] ?? 0;
  const model = cal.distortionModel;
  return (p) => {
    const x = (p.x - pcx) / pfx;
    const y = (p.y - pcy) / pfy;
    let xd: number;
    let yd: number;
    if (model === 'equidistant') {
      // Fisheye (Kannala-Brandt): d = [k1, k2, k3, k4] on theta.
      const r = Math.hypot(x, y);
      const theta = Math.atan(r);
      const t2 = theta * theta;
      const thetaD = theta * (1 + d[0]! * t2 + (d[1] ?? 0) * t2 * t2 + (d[2] ?? 0) * t2 * t2 * t2 + (d[3] ?? 0) * t2 * t2 * t2 * t2);
      const scale = r > 1e-12 ? thetaD / r : 1;
      xd = x * scale;
      yd = y * scale;
    } else {
      const r2 = x * x + y * y;
      const radial =
        model === 'rational_polynomial'
          ? (1 + k1 * r2 + k2 * r2 * r2 + k3 * r2 * r2 * r2) / (1 + k4 * r2 + k5 * r2 * r2 + k6 * r2 * r2 * r2)
          : 1 + k1 * r2 + k2 * r2 * r2 + k3 * r2 * r2 * r2;
      xd = x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x);
      yd = y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y;
    }
    p.x = fx * xd + cx;
    p.y = fy * yd + cy;
  };
}

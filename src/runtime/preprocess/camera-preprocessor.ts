/**
 * Camera frame → network input tensor: crop, resize, (undistort), channel order, normalisation,
 * layout, in one pass over a precomputed table. `process` allocates nothing once a frame size has
 * been seen.
 *
 * Camera geometry: frames of the calibration's size are sampled with the calibration. A frame of
 * another size (a ROS 2 camera driver set to another resolution, a dataset recorded at 160×120) is
 * sampled with, in this order: the geometry from sensor_msgs/CameraInfo for that size
 * (`useCameraInfo`), else the calibration's intrinsics scaled to the frame when the aspect ratio
 * matches within 1 % (one notice, counted in `geometryStats`). The remap table (and with
 * `undistort` the undistortion map) is rebuilt once per size. A frame whose aspect ratio differs is
 * rejected ('bad_size'): mis-sized pixels never reach the network.
 */
import {
  aspectRatioDifference,
  cameraCalibrationFromInfo,
  describeCalibration,
  scaleCameraCalibration,
  type CameraCalibration,
} from '../../core/calibration/camera.js';
import type { CameraInfo } from '../../core/messages/types.js';
import type { CameraContractInput } from '../policy/contract.js';
import { PilotError } from '../../core/util/errors.js';
import { PIXEL_FORMATS, isPixelFormat } from './pixel-formats.js';
import { buildRemapTable, type RemapTable } from './remap-table.js';

/** The parts of sensor_msgs/Image the preprocessor reads (a decoded CompressedImage fits too). */
export interface RawFrame {
  readonly width: number;
  readonly height: number;
  readonly encoding: string;
  readonly step: number;
  readonly data: Uint8Array;
}

export type PreprocessResult = 'ok' | 'bad_size' | 'bad_encoding' | 'bad_step';

/** Default largest relative aspect-ratio difference for which the calibration is scaled to a frame. */
export const ASPECT_RATIO_TOLERANCE = 0.01;

export interface CameraPreprocessorOptions {
  /** One-time notices (intrinsics scaled, camera_info used or refused); default console.error. */
  readonly log?: (line: string) => void;
  /** Largest relative aspect-ratio difference for scaling the calibration (default 0.01 = 1 %). */
  readonly aspectTolerance?: number;
}

/** Where the geometry of one frame size comes from. */
export type CameraGeometrySource = 'calibration' | 'scaled' | 'camera_info';

/** The camera geometry frames of one size are sampled with. */
export interface CameraGeometry {
  readonly widthPx: number;
  readonly heightPx: number;
  readonly source: CameraGeometrySource;
  /** The calibration the sampling table was built from (the configured one, scaled, or from camera_info). */
  readonly camera: CameraCalibration;
  /** Frame size / calibration size (1 unless `scaled`). */
  readonly scaleX: number;
  readonly scaleY: number;
}

export interface CameraGeometryStats {
  /** Frames accepted and sampled with the calibration's intrinsics scaled to their size. */
  scaledFrames: number;
  /** Frames accepted and sampled with the geometry from camera_info. */
  cameraInfoFrames: number;
  /** Frames rejected for their size (aspect ratio differs, no camera_info for that size). */
  sizeRejections: number;
}

/** A geometry with its sampling table, byte offsets and bilinear weights. */
interface Sampler extends CameraGeometry {
  readonly table: RemapTable;
  /** Byte offset of each output pixel's top-left source pixel for `offsetsFor`'s (step, bpp); -1 outside. */
  readonly offsets: Int32Array;
  /** Bilinear weights w00, w01, w10, w11 per output pixel. */
  readonly weights: Float32Array;
  offsetsFor: number;
}

/** Frame sizes kept with their tables (a camera switching back and forth does not rebuild them). */
const MAX_SIZES = 4;

function makeSampler(geometry: CameraGeometry, input: CameraContractInput, outWidth: number, outHeight: number): Sampler {
  const table = buildRemapTable({
    srcWidth: geometry.widthPx,
    srcHeight: geometry.heightPx,
    outWidth,
    outHeight,
    crop: input.crop,
    ...(input.undistort ? { undistortWith: geometry.camera } : {}),
  });
  const n = outWidth * outHeight;
  const weights = new Float32Array(n * 4);
  for (let i = 0; i < n; i++) {
    const fx = table.wx[i]!;
    const fy = table.wy[i]!;
    weights.set([(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy], i * 4);
  }
  return { ...geometry, table, offsets: new Int32Array(n), weights, offsetsFor: -1 };
}

/** 0.5 → `0.5`, 1/3 → `0.3333`. */
function formatScale(v: number): string {
  return String(Number(v.toFixed(4)));
}

/** Whether two CameraInfo messages describe the same geometry (camera_info arrives with every frame). */
function sameCameraInfo(a: CameraInfo, b: CameraInfo): boolean {
  const same = (x: ArrayLike<number> | undefined, y: ArrayLike<number> | undefined): boolean => {
    if (x === undefined || y === undefined) return x === y;
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    return true;
  };
  return (
    a.width === b.width && a.height === b.height && a.distortion_model === b.distortion_model &&
    a.binning_x === b.binning_x && a.binning_y === b.binning_y &&
    a.roi?.x_offset === b.roi?.x_offset && a.roi?.y_offset === b.roi?.y_offset && a.roi?.width === b.roi?.width && a.roi?.height === b.roi?.height &&
    same(a.k, b.k) && same(a.d, b.d) && same(a.r, b.r) && same(a.p, b.p)
  );
}

function copyCameraInfo(info: CameraInfo): CameraInfo {
  return {
    ...info,
    d: Float64Array.from(info.d ?? []),
    k: Float64Array.from(info.k ?? []),
    r: Float64Array.from(info.r ?? []),
    p: Float64Array.from(info.p ?? []),
    roi: { ...info.roi },
  };
}

export class CameraPreprocessor {
  readonly outWidth: number;
  readonly outHeight: number;
  readonly channels: number;
  /** The configured calibration (its size is the one frames are expected at). */
  readonly calibration: CameraCalibration;
  readonly #nchw: boolean;
  readonly #mono: boolean;
  readonly #bgr: boolean;
  /** value = byte * gain[c] + bias[c] */
  readonly #gain: Float32Array;
  readonly #bias: Float32Array;
  readonly #log: (line: string) => void;
  readonly #aspectTolerance: number;
  /** Samplers by `WxH`, and rejection reasons for sizes that cannot be sampled. */
  readonly #sizes = new Map<string, Sampler | string>();
  readonly #base: Sampler;
  #active: Sampler;
  #cameraInfo: { readonly message: CameraInfo; readonly camera: CameraCalibration | undefined; readonly reason: string } | undefined;
  /** Last rejected frame, for the error counter's message. */
  lastRejection = '';
  readonly geometryStats: CameraGeometryStats = { scaledFrames: 0, cameraInfoFrames: 0, sizeRejections: 0 };
  /** The one-time notices given so far (also logged), oldest first. */
  readonly notices: string[] = [];

  constructor(readonly input: CameraContractInput, camera: CameraCalibration, options: CameraPreprocessorOptions = {}) {
    const [, d1, d2, d3] = input.shape as [number, number, number, number];
    this.#nchw = input.layout === 'NCHW';
    this.channels = this.#nchw ? d1 : d3;
    this.outHeight = this.#nchw ? d2 : d1;
    this.outWidth = this.#nchw ? d3 : d2;
    const expectedChannels = input.color === 'mono' ? 1 : 3;
    if (this.channels !== expectedChannels) {
      throw new PilotError(
        'E_MODEL_CONTRACT',
        `input '${input.name}': color '${input.color}' needs ${expectedChannels} channel(s) but the ${input.layout} shape [${input.shape.join(',')}] has ${this.channels}`,
      );
    }
    this.#mono = input.color === 'mono';
    this.#bgr = input.color === 'bgr';
    const { scale, mean, std } = input.normalize;
    this.#gain = new Float32Array(this.channels);
    this.#bias = new Float32Array(this.channels);
    for (let c = 0; c < this.channels; c++) {
      const m = mean[c] ?? mean[0]!;
      const s = std[c] ?? std[0]!;
      this.#gain[c] = scale / s;
      this.#bias[c] = -m / s;
    }
    this.calibration = camera;
    this.#log = options.log ?? ((line: string) => console.error(line));
    this.#aspectTolerance = options.aspectTolerance ?? ASPECT_RATIO_TOLERANCE;
    const geometry: CameraGeometry = { widthPx: camera.width, heightPx: camera.height, source: 'calibration', camera, scaleX: 1, scaleY: 1 };
    this.#base = this.#active = makeSampler(geometry, input, this.outWidth, this.outHeight);
    this.#sizes.set(`${camera.width}x${camera.height}`, this.#base);
  }

  /** The sampling table of the newest accepted frame size. */
  get table(): RemapTable {
    return this.#active.table;
  }

  /** The geometry of the newest accepted frame size. */
  get geometry(): CameraGeometry {
    return this.#active;
  }

  /**
   * The geometry a camera driver publishes beside its images (sensor_msgs/CameraInfo): used for
   * frames of its size when that differs from the calibration's (the calibration file wins for its
   * own size). `source` names it (`camera_info on /camera/camera_info`). Cheap when unchanged.
   * Returns '' when usable, else why not (also given once as a notice).
   */
  useCameraInfo(info: CameraInfo, source: string): string {
    const current = this.#cameraInfo;
    if (current && sameCameraInfo(current.message, info)) return current.reason;
    const converted = cameraCalibrationFromInfo(info, source, this.calibration.encoding);
    const reason = converted.ok ? '' : converted.reason;
    this.#cameraInfo = { message: copyCameraInfo(info), camera: converted.ok ? converted.camera : undefined, reason };
    if (reason) this.#notice(`pilot: ${reason}; camera_info ignored`);
    // Sizes resolved before may now resolve differently.
    this.#sizes.clear();
    this.#sizes.set(`${this.#base.widthPx}x${this.#base.heightPx}`, this.#base);
    this.#active = this.#base;
    return reason;
  }

  /** The sampler for frames of `widthPx`×`heightPx`, or why they cannot be sampled. Allocates once per size. */
  #resolve(widthPx: number, heightPx: number): Sampler | string {
    const key = `${widthPx}x${heightPx}`;
    const known = this.#sizes.get(key);
    if (known !== undefined) return known;
    const resolved = this.#geometryFor(widthPx, heightPx);
    const entry = typeof resolved === 'string' ? resolved : makeSampler(resolved, this.input, this.outWidth, this.outHeight);
    if (this.#sizes.size >= MAX_SIZES) {
      for (const k of this.#sizes.keys()) if (this.#sizes.get(k) !== this.#base && this.#sizes.get(k) !== this.#active) this.#sizes.delete(k);
    }
    this.#sizes.set(key, entry);
    return entry;
  }

  #geometryFor(widthPx: number, heightPx: number): CameraGeometry | string {
    const cal = this.calibration;
    const calName = describeCalibration(cal);
    const info = this.#cameraInfo?.camera;
    if (info && info.width === widthPx && info.height === heightPx) {
      this.#notice(`pilot: camera frames are ${widthPx}×${heightPx}, ${calName} is ${cal.width}×${cal.height}: using the geometry from ${info.source ?? 'camera_info'}`);
      return { widthPx, heightPx, source: 'camera_info', camera: info, scaleX: 1, scaleY: 1 };
    }
    const difference = aspectRatioDifference(widthPx, heightPx, cal);
    if (difference <= this.#aspectTolerance) {
      const scaled = scaleCameraCalibration(cal, widthPx, heightPx);
      const sx = widthPx / cal.width;
      const sy = heightPx / cal.height;
      const by = Math.abs(sx - sy) < 1e-9 ? formatScale(sx) : `${formatScale(sx)} in x, ${formatScale(sy)} in y`;
      this.#notice(`pilot: camera frames are ${widthPx}×${heightPx}, ${calName} is ${cal.width}×${cal.height}: intrinsics scaled by ${by}` + (this.input.undistort ? ' (undistortion map rebuilt for them)' : ''));
      return { widthPx, heightPx, source: 'scaled', camera: scaled, scaleX: sx, scaleY: sy };
    }
    const infoNote = this.#cameraInfo?.camera ? `; camera_info (${this.#cameraInfo.camera.source}) is for ${this.#cameraInfo.camera.width}x${this.#cameraInfo.camera.height}` : '';
    return (
      `image ${widthPx}x${heightPx} but calibration says ${cal.width}x${cal.height} (${calName}): aspect ratio ${(widthPx / heightPx).toFixed(3)} vs ${(cal.width / cal.height).toFixed(3)}, ` +
      `${(difference * 100).toFixed(1)} % apart (scaling the intrinsics needs ≤ ${formatScale(this.#aspectTolerance * 100)} %)${infoNote}; use a calibration for this camera's resolution`
    );
  }

  #notice(line: string): void {
    if (this.notices.includes(line)) return;
    this.notices.push(line);
    this.#log(line);
  }

  /** Byte offsets depend on the frame's row step and pixel size: recomputed only when those change. */
  #prepareOffsets(s: Sampler, step: number, bpp: number): void {
    const key = step * 8 + bpp;
    if (key === s.offsetsFor) return;
    const t = s.table;
    for (let i = 0; i < s.offsets.length; i++) s.offsets[i] = t.x0[i]! < 0 ? -1 : t.y0[i]! * step + t.x0[i]! * bpp;
    s.offsetsFor = key;
  }

  get elementCount(): number {
    return this.outWidth * this.outHeight * this.channels;
  }

  /** Fill `out` from `frame`. On anything but 'ok', `out` is untouched and `lastRejection` says why. */
  process(frame: RawFrame, out: Float32Array): PreprocessResult {
    let s = this.#active;
    if (frame.width !== s.widthPx || frame.height !== s.heightPx) {
      const resolved = this.#resolve(frame.width, frame.height);
      if (typeof resolved === 'string') {
        this.lastRejection = resolved;
        this.geometryStats.sizeRejections++;
        return 'bad_size';
      }
      this.#active = s = resolved;
    }
    if (!isPixelFormat(frame.encoding)) {
      this.lastRejection = `encoding '${frame.encoding}' not supported (rgb8, bgr8, rgba8, bgra8, mono8)`;
      return 'bad_encoding';
    }
    const fmt = PIXEL_FORMATS[frame.encoding];
    const bpp = fmt.channels;
    const step = frame.step;
    if (step < frame.width * bpp || frame.data.length < step * (frame.height - 1) + frame.width * bpp) {
      this.lastRejection = `step ${step} / data ${frame.data.length} bytes too small for ${frame.width}x${frame.height} ${frame.encoding}`;
      return 'bad_step';
    }
    this.#prepareOffsets(s, step, bpp);
    if (s.source === 'scaled') this.geometryStats.scaledFrames++;
    else if (s.source === 'camera_info') this.geometryStats.cameraInfoFrames++;
    if (this.#mono) this.#sampleMono(s, frame.data, step, bpp, fmt.red, fmt.blue, out);
    else this.#sampleColour(s, frame.data, step, bpp, fmt, out);
    return 'ok';
  }

  #sampleMono(s: Sampler, data: Uint8Array, step: number, bpp: number, red: number, blue: number, out: Float32Array): void {
    const n = this.outWidth * this.outHeight;
    const { offsets, weights } = s;
    const gain = this.#gain[0]!;
    const bias = this.#bias[0]!;
    for (let i = 0; i < n; i++) {
      const p00 = offsets[i]!;
      if (p00 < 0) {
        out[i] = bias;
        continue;
      }
      const w = i * 4;
      const v =
        weights[w]! * luma(data, p00, bpp, red, blue) +
        weights[w + 1]! * luma(data, p00 + bpp, bpp, red, blue) +
        weights[w + 2]! * luma(data, p00 + step, bpp, red, blue) +
        weights[w + 3]! * luma(data, p00 + step + bpp, bpp, red, blue);
      out[i] = v * gain + bias;
    }
  }

  #sampleColour(s: Sampler, data: Uint8Array, step: number, bpp: number, fmt: (typeof PIXEL_FORMATS)[keyof typeof PIXEL_FORMATS], out: Float32Array): void {
    const n = this.outWidth * this.outHeight;
    const { offsets, weights } = s;
    const gain = this.#gain;
    const bias = this.#bias;
    // Source channel offsets for the network's channel order.
    const c0 = this.#bgr ? fmt.blue : fmt.red;
    const c2 = this.#bgr ? fmt.red : fmt.blue;
    const c1 = fmt.green;
    const g0 = gain[0]!, g1 = gain[1]!, g2 = gain[2]!;
    const b0 = bias[0]!, b1 = bias[1]!, b2 = bias[2]!;
    // NCHW writes planes at i, n+i, 2n+i; NHWC interleaves at 3i, 3i+1, 3i+2.
    const stride = this.#nchw ? 1 : this.channels;
    const plane = this.#nchw ? n : 1;
    for (let i = 0; i < n; i++) {
      const o = i * stride;
      const p00 = offsets[i]!;
      if (p00 < 0) {
        out[o] = b0;
        out[o + plane] = b1;
        out[o + 2 * plane] = b2;
        continue;
      }
      const p01 = p00 + bpp;
      const p10 = p00 + step;
      const p11 = p10 + bpp;
      const w = i * 4;
      const w00 = weights[w]!, w01 = weights[w + 1]!, w10 = weights[w + 2]!, w11 = weights[w + 3]!;
      out[o] = (w00 * data[p00 + c0]! + w01 * data[p01 + c0]! + w10 * data[p10 + c0]! + w11 * data[p11 + c0]!) * g0 + b0;
      out[o + plane] = (w00 * data[p00 + c1]! + w01 * data[p01 + c1]! + w10 * data[p10 + c1]! + w11 * data[p11 + c1]!) * g1 + b1;
      out[o + 2 * plane] = (w00 * data[p00 + c2]! + w01 * data[p01 + c2]! + w10 * data[p10 + c2]! + w11 * data[p11 + c2]!) * g2 + b2;
    }
  }
}

/** ITU-R BT.601 luma of the pixel at byte offset `o` (mono8 passes through). */
function luma(data: Uint8Array, o: number, bpp: number, red: number, blue: number): number {
  return bpp === 1 ? data[o]! : 0.299 * data[o + red]! + 0.587 * data[o + 1]! + 0.114 * data[o + blue]!;
}

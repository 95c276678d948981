/**
 * Camera frame → network input tensor: crop, resize, (undistort), channel order, normalisation,
 * layout, in one pass over a precomputed table. `process` allocates nothing.
 */
import type { CameraCalibration } from '../calibration/camera.js';
import type { CameraContractInput } from '../policy/contract.js';
import { PilotError } from '../util/errors.js';
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

export class CameraPreprocessor {
  readonly table: RemapTable;
  readonly outWidth: number;
  readonly outHeight: number;
  readonly channels: number;
  readonly #nchw: boolean;
  readonly #mono: boolean;
  readonly #bgr: boolean;
  /** value = byte * gain[c] + bias[c] */
  readonly #gain: Float32Array;
  readonly #bias: Float32Array;
  /** Byte offset of each output pixel's top-left source pixel for the current (step, bpp); -1 outside. */
  #offsets: Int32Array;
  /** Bilinear weights w00, w01, w10, w11 per output pixel. */
  readonly #weights: Float32Array;
  #offsetsFor = -1;
  /** Last rejected frame, for the error counter's message. */
  lastRejection = '';

  constructor(readonly input: CameraContractInput, camera: CameraCalibration) {
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
    this.table = buildRemapTable({
      srcWidth: camera.width,
      srcHeight: camera.height,
      outWidth: this.outWidth,
      outHeight: this.outHeight,
      crop: input.crop,
      ...(input.undistort ? { undistortWith: camera } : {}),
    });
    const n = this.outWidth * this.outHeight;
    this.#offsets = new Int32Array(n);
    this.#weights = new Float32Array(n * 4);
    for (let i = 0; i < n; i++) {
      const fx = this.table.wx[i]!;
      const fy = this.table.wy[i]!;
      this.#weights.set([(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy], i * 4);
    }
  }

  /** Byte offsets depend on the frame's row step and pixel size: recomputed only when those change. */
  #prepareOffsets(step: number, bpp: number): void {
    const key = step * 8 + bpp;
    if (key === this.#offsetsFor) return;
    const t = this.table;
    for (let i = 0; i < this.#offsets.length; i++) this.#offsets[i] = t.x0[i]! < 0 ? -1 : t.y0[i]! * step + t.x0[i]! * bpp;
    this.#offsetsFor = key;
  }

  get elementCount(): number {
    return this.outWidth * this.outHeight * this.channels;
  }

  /** Fill `out` from `frame`. On anything but 'ok', `out` is untouched and `lastRejection` says why. */
  process(frame: RawFrame, out: Float32Array): PreprocessResult {
    const t = this.table;
    if (frame.width !== t.srcWidth || frame.height !== t.srcHeight) {
      this.lastRejection = `image ${frame.width}x${frame.height} but calibration says ${t.srcWidth}x${t.srcHeight}`;
      return 'bad_size';
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
    this.#prepareOffsets(step, bpp);
    const data = frame.data;
    const n = t.outWidth * t.outHeight;
    const gain = this.#gain;
    const bias = this.#bias;
    const offsets = this.#offsets;
    const weights = this.#weights;
    const channels = this.channels;
    if (this.#mono) {
      for (let i = 0; i < n; i++) {
        const p00 = offsets[i]!;
        if (p00 < 0) {
          out[i] = bias[0]!;
          continue;
        }
        const w = i * 4;
        const v =
          weights[w]! * luma(data, p00, bpp, fmt.red, fmt.blue) +
          weights[w + 1]! * luma(data, p00 + bpp, bpp, fmt.red, fmt.blue) +
          weights[w + 2]! * luma(data, p00 + step, bpp, fmt.red, fmt.blue) +
          weights[w + 3]! * luma(data, p00 + step + bpp, bpp, fmt.red, fmt.blue);
        out[i] = v * gain[0]! + bias[0]!;
      }
      return 'ok';
    }
    // Source channel offsets for the network's channel order.
    const c0 = this.#bgr ? fmt.blue : fmt.red;
    const c2 = this.#bgr ? fmt.red : fmt.blue;
    const c1 = fmt.green;
    const g0 = gain[0]!, g1 = gain[1]!, g2 = gain[2]!;
    const b0 = bias[0]!, b1 = bias[1]!, b2 = bias[2]!;
    // NCHW writes planes at i, n+i, 2n+i; NHWC interleaves at 3i, 3i+1, 3i+2.
    const stride = this.#nchw ? 1 : channels;
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
    return 'ok';
  }
}

/** ITU-R BT.601 luma of the pixel at byte offset `o` (mono8 passes through). */
function luma(data: Uint8Array, o: number, bpp: number, red: number, blue: number): number {
  return bpp === 1 ? data[o]! : 0.299 * data[o + red]! + 0.587 * data[o + 1]! + 0.114 * data[o + blue]!;
}

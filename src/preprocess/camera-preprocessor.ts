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
    const data = frame.data;
    const n = t.outWidth * t.outHeight;
    const gain = this.#gain;
    const bias = this.#bias;
    const nchw = this.#nchw;
    // Source channel offsets for the network's channel order.
    const c0 = this.#bgr ? fmt.blue : fmt.red;
    const c2 = this.#bgr ? fmt.red : fmt.blue;
    const c1 = fmt.green;
    const nextRow = step;
    for (let i = 0; i < n; i++) {
      const ix = t.x0[i]!;
      if (ix < 0) {
        for (let c = 0; c < this.channels; c++) out[nchw ? c * n + i : i * this.channels + c] = bias[c]!;
        continue;
      }
      const p00 = t.y0[i]! * step + ix * bpp;
      const p01 = p00 + bpp;
      const p10 = p00 + nextRow;
      const p11 = p10 + bpp;
      const fx = t.wx[i]!;
      const fy = t.wy[i]!;
      const w00 = (1 - fx) * (1 - fy);
      const w01 = fx * (1 - fy);
      const w10 = (1 - fx) * fy;
      const w11 = fx * fy;
      if (this.#mono) {
        const v =
          w00 * luma(data, p00, bpp, fmt.red, fmt.blue) +
          w01 * luma(data, p01, bpp, fmt.red, fmt.blue) +
          w10 * luma(data, p10, bpp, fmt.red, fmt.blue) +
          w11 * luma(data, p11, bpp, fmt.red, fmt.blue);
        out[i] = v * gain[0]! + bias[0]!;
        continue;
      }
      const a = w00 * data[p00 + c0]! + w01 * data[p01 + c0]! + w10 * data[p10 + c0]! + w11 * data[p11 + c0]!;
      const b = w00 * data[p00 + c1]! + w01 * data[p01 + c1]! + w10 * data[p10 + c1]! + w11 * data[p11 + c1]!;
      const c = w00 * data[p00 + c2]! + w01 * data[p01 + c2]! + w10 * data[p10 + c2]! + w11 * data[p11 + c2]!;
      if (nchw) {
        out[i] = a * gain[0]! + bias[0]!;
        out[n + i] = b * gain[1]! + bias[1]!;
        out[2 * n + i] = c * gain[2]! + bias[2]!;
      } else {
        const o = i * 3;
        out[o] = a * gain[0]! + bias[0]!;
        out[o + 1] = b * gain[1]! + bias[1]!;
        out[o + 2] = c * gain[2]! + bias[2]!;
      }
    }
    return 'ok';
  }
}

/** ITU-R BT.601 luma of the pixel at byte offset `o` (mono8 passes through). */
function luma(data: Uint8Array, o: number, bpp: number, red: number, blue: number): number {
  return bpp === 1 ? data[o]! : 0.299 * data[o + red]! + 0.587 * data[o + 1]! + 0.114 * data[o + blue]!;
}

/**
 * Camera message → one dataset frame: uint8 RGB, HWC, at the model's input size, sampled exactly as
 * the runtime samples it. It runs the runtime's own CameraPreprocessor (same remap table, same
 * bilinear weights, same encoding handling) with an identity normalisation into NHWC RGB, then
 * rounds to bytes, so `(byte * scale - mean) / std` equals the runtime's tensor to within half a
 * grey level.
 */
import type { CameraCalibration } from '../../core/calibration/camera.js';
import type { CompressedImage, Image } from '../../core/messages/types.js';
import type { CameraContractInput } from '../../runtime/policy/contract.js';
import { CameraPreprocessor, type PreprocessResult, type RawFrame } from '../../runtime/preprocess/camera-preprocessor.js';
import { decodeCompressed } from '../../runtime/preprocess/decode-compressed.js';
import { PilotError } from '../../core/util/errors.js';

export interface ImageSize {
  readonly width: number;
  readonly height: number;
}

export type ExtractResult = PreprocessResult | 'undecodable';

/** Model input height and width from a camera contract input (NCHW or NHWC). */
export function modelInputSize(input: CameraContractInput): ImageSize {
  const [, d1, d2, d3] = input.shape as [number, number, number, number];
  return input.layout === 'NCHW' ? { height: d2, width: d3 } : { height: d1, width: d2 };
}

/** A size-only calibration is enough unless the contract asks to undistort. */
function isCalibration(c: CameraCalibration | ImageSize): c is CameraCalibration {
  return 'k' in c && Array.isArray((c as CameraCalibration).k);
}

export class FrameExtractor {
  readonly width: number;
  readonly height: number;
  readonly srcWidth: number;
  readonly srcHeight: number;
  readonly #pre: CameraPreprocessor;
  readonly #scratch: Float32Array;
  /** Why the last frame was rejected (empty after 'ok'). */
  lastRejection = '';

  /**
   * `input` gives crop, size and undistortion; `camera` the source image size (a full calibration
   * when `input.undistort`). Images are always RGB: a `bgr` contract only changes what the trainer
   * feeds the network; a `mono` contract is refused (the dataset holds three channels).
   */
  /** `log` gets the preprocessor's one-time notices (e.g. intrinsics scaled to another frame size). */
  constructor(readonly input: CameraContractInput, camera: CameraCalibration | ImageSize, log?: (line: string) => void) {
    if (input.color === 'mono') {
      throw new PilotError('E_DATASET_CONTRACT', `input '${input.name}': color 'mono' is not supported by the dataset builder (it stores RGB frames); use an rgb or bgr contract`);
    }
    if (input.undistort && !isCalibration(camera)) {
      throw new PilotError('E_DATASET_CONTRACT', `input '${input.name}' asks to undistort, which needs the camera calibration's intrinsics, not just its size ${camera.width}x${camera.height}`);
    }
    const { height, width } = modelInputSize(input);
    this.height = height;
    this.width = width;
    this.srcWidth = camera.width;
    this.srcHeight = camera.height;
    const calibration: CameraCalibration = isCalibration(camera)
      ? camera
      : { width: camera.width, height: camera.height, name: 'dataset', encoding: 'rgb8', k: [1, 0, 0, 0, 1, 0, 0, 0, 1], distortionModel: 'plumb_bob', d: [], r: [1, 0, 0, 0, 1, 0, 0, 0, 1], p: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0] };
    // Identity normalisation: the float output is the bilinear blend of the source bytes itself.
    this.#pre = new CameraPreprocessor(
      { ...input, layout: 'NHWC', shape: [1, height, width, 3], color: 'rgb', normalize: { scale: 1, mean: [0], std: [1] } },
      calibration,
      log ? { log } : {},
    );
    this.#scratch = new Float32Array(this.#pre.elementCount);
  }

  /** Bytes of one output frame. */
  get frameBytes(): number {
    return this.width * this.height * 3;
  }

  /** Writes the frame at byte `offset` of `out`. On anything but 'ok', `out` is untouched. */
  extract(frame: RawFrame, out: Uint8Array, offset = 0): ExtractResult {
    const result = this.#pre.process(frame, this.#scratch);
    if (result !== 'ok') {
      this.lastRejection = this.#pre.lastRejection;
      return result;
    }
    const s = this.#scratch;
    for (let i = 0; i < s.length; i++) {
      const v = Math.round(s[i]!);
      out[offset + i] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
    this.lastRejection = '';
    return 'ok';
  }

  /** sensor_msgs/Image or sensor_msgs/CompressedImage (JPEG/PNG, decoded here). */
  extractMessage(message: Image | CompressedImage, out: Uint8Array, offset = 0): ExtractResult {
    if ('format' in message) {
      const decoded = decodeCompressed(message.format, message.data);
      if (!decoded.ok) {
        this.lastRejection = decoded.reason;
        return 'undecodable';
      }
      return this.extract(decoded.frame, out, offset);
    }
    return this.extract(message, out, offset);
  }
}

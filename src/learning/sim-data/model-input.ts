/**
 * Camera frame → model-input-size uint8 RGB, with the runtime's own remap table (src/runtime/preprocess), so
 * a training frame holds the pixels the runtime's preprocessor samples for the same contract camera
 * input: same crop, same half-pixel bilinear taps, same undistortion. Only the last step differs:
 * the runtime normalises the blend to float, here it is rounded to a byte (≤ 0.5 grey level apart).
 *
 * Also: the action scaling between physical commands and the network's raw (tanh) outputs.
 */
import type { CameraCalibration } from '../../core/calibration/camera.js';
import { type CameraContractInput, type ModelContract } from '../../runtime/policy/contract.js';
import { buildRemapTable, type RemapTable } from '../../runtime/preprocess/remap-table.js';
import { PilotError } from '../../core/util/errors.js';
import { drivingActionFields } from '../export/action-fields.js';

/** The parts of a contract camera input that decide which pixels the network sees. */
export type ModelInputSpec = Pick<CameraContractInput, 'shape' | 'layout' | 'crop' | 'undistort'>;

export class ModelInputSampler {
  readonly table: RemapTable;
  readonly width: number;
  readonly height: number;
  /** Bilinear weights w00, w01, w10, w11 per output pixel, as the runtime's preprocessor computes them. */
  readonly #weights: Float32Array;

  constructor(input: ModelInputSpec, camera: CameraCalibration) {
    const [, d1, d2, d3] = input.shape as [number, number, number, number];
    const nchw = input.layout === 'NCHW';
    this.height = nchw ? d2 : d1;
    this.width = nchw ? d3 : d2;
    this.table = buildRemapTable({
      srcWidth: camera.width,
      srcHeight: camera.height,
      outWidth: this.width,
      outHeight: this.height,
      crop: input.crop,
      ...(input.undistort ? { undistortWith: camera } : {}),
    });
    const n = this.width * this.height;
    this.#weights = new Float32Array(n * 4);
    for (let i = 0; i < n; i++) {
      const fx = this.table.wx[i]!;
      const fy = this.table.wy[i]!;
      this.#weights[4 * i] = (1 - fx) * (1 - fy);
      this.#weights[4 * i + 1] = fx * (1 - fy);
      this.#weights[4 * i + 2] = (1 - fx) * fy;
      this.#weights[4 * i + 3] = fx * fy;
    }
  }

  /**
   * Samples `src` (camera-size rgb8 or rgba8, tightly packed, top row first) into `out`
   * (height × width × 3 bytes). Pixels outside the source (undistortion) become 0, as the runtime's
   * bias does. Allocates nothing.
   */
  sample(src: Uint8Array, srcChannels: 3 | 4, out: Uint8Array): void {
    const t = this.table;
    const step = t.srcWidth * srcChannels;
    if (src.length < step * t.srcHeight) {
      throw new PilotError('E_FRAME', `ModelInputSampler: frame has ${src.length} bytes, a ${t.srcWidth}×${t.srcHeight}×${srcChannels} image needs ${step * t.srcHeight}`);
    }
    const n = t.outWidth * t.outHeight;
    if (out.length < n * 3) throw new PilotError('E_FRAME', `ModelInputSampler: output has ${out.length} bytes, needs ${n * 3}`);
    const w = this.#weights;
    for (let i = 0; i < n; i++) {
      const o = 3 * i;
      const x0 = t.x0[i]!;
      if (x0 < 0) {
        out[o] = out[o + 1] = out[o + 2] = 0;
        continue;
      }
      const p00 = t.y0[i]! * step + x0 * srcChannels;
      const p01 = p00 + srcChannels;
      const p10 = p00 + step;
      const p11 = p10 + srcChannels;
      const w00 = w[4 * i]!, w01 = w[4 * i + 1]!, w10 = w[4 * i + 2]!, w11 = w[4 * i + 3]!;
      for (let c = 0; c < 3; c++) {
        // A Uint8Array store truncates: +0.5 rounds to nearest (the blend stays within 0..255).
        out[o + c] = w00 * src[p00 + c]! + w01 * src[p01 + c]! + w10 * src[p10 + c]! + w11 * src[p11 + c]! + 0.5;
      }
    }
  }
}

export function cameraInputOf(contract: ModelContract, source: string): CameraContractInput {
  const input = contract.inputs.find((i): i is CameraContractInput => i.role === 'camera');
  if (!input) throw new PilotError('E_MODEL_CONTRACT', `${source}: the contract has no camera input (inputs: ${contract.inputs.map((i) => `${i.name}:${i.role}`).join(', ')})`);
  return input;
}

/** raw = (physical − offset) / scale, the inverse of the contract's physical = raw · scale + offset. */
export interface FieldScaling {
  scale: number;
  offset: number;
}

export interface ActionScaling {
  steering: FieldScaling;
  speed: FieldScaling;
}

/** Target names of the driving command, as the policy head outputs them. */
export const ACTION_TARGETS = ['steering_angle', 'speed'] as const;

/** The plan's convention: steering scale = max steering, offset 0; speed scale = offset = maxSpeed / 2. */
export function actionScaling(maxSteeringRad: number, maxSpeedMps: number): ActionScaling {
  if (!(maxSteeringRad > 0) || !(maxSpeedMps > 0)) {
    throw new PilotError('E_ACTION_SCALING', `maxSteeringRad and maxSpeedMps must be positive (got ${maxSteeringRad}, ${maxSpeedMps})`);
  }
  const [steering, speed] = drivingActionFields(maxSteeringRad, maxSpeedMps).map(({ scale, offset }) => ({ scale, offset }));
  return { steering: steering!, speed: speed! };
}

/** The scaling a policy's contract declares for `steering_angle` and `speed`. */
export function actionScalingFromContract(contract: ModelContract, source: string): ActionScaling {
  const fields = contract.outputs[0]!.fields;
  const field = (name: string): FieldScaling => {
    const f = fields.find((x) => x.name === name);
    if (!f) throw new PilotError('E_MODEL_CONTRACT', `${source}: output has no '${name}' field (has ${fields.map((x) => x.name).join(', ')})`);
    if (!(f.scale !== 0 && Number.isFinite(f.scale))) throw new PilotError('E_MODEL_CONTRACT', `${source}: output field '${name}' has scale ${f.scale}`);
    return { scale: f.scale, offset: f.offset };
  };
  return { steering: field('steering_angle'), speed: field('speed') };
}

export function toRaw(physical: number, s: FieldScaling): number {
  return (physical - s.offset) / s.scale;
}

/**
 * What the driving models see and produce: the camera crop and normalisation shared by the backbone
 * and every policy trained on it, and the action fields scaled from the vehicle calibration.
 */
import type { VehicleCalibration } from '../../core/calibration/vehicle.js';
import type { CameraContractInput, ContractOutputField } from '../../runtime/policy/contract.js';
import { drivingActionFields } from '../export/action-fields.js';
import { convBackbone, SYMMETRIC_NORMALIZE, type BackboneArchitecture, type CameraPreprocessing, type HeadArchitecture } from '../train/index.js';

/** Sky above ~27 % of the 320×240 frame carries nothing; the bonnet-side rows show lateral offset. */
export const DRIVING_CAMERA: CameraPreprocessing = {
  color: 'rgb',
  normalize: SYMMETRIC_NORMALIZE,
  crop: { top: 0.25, bottom: 0.05, left: 0, right: 0 },
  undistort: false,
};

export function cameraContractInput(backbone: Pick<BackboneArchitecture, 'input'>, camera: CameraPreprocessing): CameraContractInput {
  return {
    name: 'image',
    role: 'camera',
    shape: [1, 3, backbone.input.height, backbone.input.width],
    dtype: 'float32',
    layout: 'NCHW',
    color: camera.color,
    normalize: { scale: camera.normalize.scale, mean: [...camera.normalize.mean], std: [...camera.normalize.std] },
    crop: { ...camera.crop },
    undistort: camera.undistort,
  } as CameraContractInput;
}

/** tanh ±1 ↔ ±max steering and 0..max speed of the vehicle (the same scaling exportPolicyOnnx writes). */
export function drivingFields(vehicle: Pick<VehicleCalibration, 'max_steering_angle_rad' | 'max_speed_mps'>): ContractOutputField[] {
  return drivingActionFields(vehicle.max_steering_angle_rad, vehicle.max_speed_mps) as ContractOutputField[];
}

/** `--base scratch`: a fresh network instead of a file. */
export const SCRATCH = 'scratch';

/**
 * Real cameras (a DonkeyCar or Udacity log): above ~30 % of the frame is background that moves with
 * the world, not with the car; the rest is road. Used for networks trained from scratch on real logs.
 */
export const REAL_CAMERA: CameraPreprocessing = {
  color: 'rgb',
  normalize: SYMMETRIC_NORMALIZE,
  crop: { top: 0.3, bottom: 0, left: 0, right: 0 },
  undistort: false,
};

/** Width of the scratch network's input; the height follows the cropped frame's aspect ratio. */
export const SCRATCH_INPUT_WIDTH = 96;
const SCRATCH_MIN_HEIGHT = 40;
const SCRATCH_MAX_HEIGHT = 72;

/**
 * The network input size for frames of `source` size cropped by `crop`: 96 wide, the height keeping
 * the crop's aspect ratio (40..72 rows, so every convolution fits).
 */
export function scratchInputSize(source: { width: number; height: number }, crop: CameraPreprocessing['crop']): { height: number; width: number } {
  const w = source.width * (1 - crop.left - crop.right);
  const h = source.height * (1 - crop.top - crop.bottom);
  const height = Math.round((SCRATCH_INPUT_WIDTH * h) / Math.max(w, 1));
  return { width: SCRATCH_INPUT_WIDTH, height: Math.min(SCRATCH_MAX_HEIGHT, Math.max(SCRATCH_MIN_HEIGHT, height)) };
}

/**
 * A driving backbone sized for small real-camera frames, trained from scratch in full mode: four
 * valid convolutions (24-32-48-64) and a 100-wide feature vector (≈170k parameters at 50×96, ≈350
 * samples/s in full training on the 2-core wasm backend).
 */
export function scratchBackbone(input: { height: number; width: number }): BackboneArchitecture {
  return convBackbone(input, [[24, 5, 2], [32, 5, 2], [48, 3, 2], [64, 3, 1]], [100]);
}

/**
 * The head of a policy trained from scratch: linear raw outputs. Real logs saturate (keyboard and
 * web-UI driving sits at full lock most of the time); a tanh head chasing ±1 labels stalls.
 */
export const SCRATCH_POLICY_HEAD: HeadArchitecture = { hidden: [64], outputs: ['steering_angle', 'speed'], outputActivation: 'linear' };

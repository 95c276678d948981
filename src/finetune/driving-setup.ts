/**
 * What the driving models see and produce: the camera crop and normalisation shared by the backbone
 * and every policy trained on it, and the action fields scaled from the vehicle calibration.
 */
import type { VehicleCalibration } from '../calibration/vehicle.js';
import type { CameraContractInput, ContractOutputField } from '../policy/contract.js';
import { SYMMETRIC_NORMALIZE, type BackboneArchitecture, type CameraPreprocessing } from '../train/index.js';

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
  const v = vehicle.max_speed_mps;
  return [
    { name: 'steering_angle', unit: 'rad', scale: vehicle.max_steering_angle_rad, offset: 0 },
    { name: 'speed', unit: 'm/s', scale: v / 2, offset: v / 2 },
  ] as ContractOutputField[];
}

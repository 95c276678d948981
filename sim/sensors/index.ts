export { GaussianNoise, TableGaussianNoise, boxMuller, inverseNormalCdf, noiseScale, type NoiseMultiplierHook } from './noise.js';
export { VARIANCE_FLOOR } from './options.js';
export { ImuSensor, DEFAULT_IMU_OPTIONS, type ImuSensorOptions, type Vec3 } from './imu.js';
export { WheelOdometry, DEFAULT_ODOMETRY_OPTIONS, UNMEASURED_VARIANCE, type WheelOdometryOptions } from './odometry.js';
export {
  CameraEffects,
  DEFAULT_CAMERA_EFFECTS,
  rgbaToRgb,
  type BlurKind,
  type CameraEffectsOptions,
  type CameraEffectsSettings,
  type Occluder,
} from './camera-effects.js';

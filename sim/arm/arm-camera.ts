/**
 * The arm camera: a fixed camera from calibration (intrinsics, ROS camera_calibration YAML) mounted
 * on base_link (camera_mount YAML), rendering the arm scene headlessly. The same pinhole maths as the
 * vehicle camera (sim/render/camera-rig.ts), with the robot's base fixed at the world origin.
 */
import type { CameraCalibration } from '../../src/core/calibration/camera.js';
import type { CameraMount } from '../../src/core/calibration/mount.js';
import type { ArmDescription } from '../../src/core/kinematics/index.js';
import type { Image } from '../../src/core/messages/types.js';
import { IntrinsicCamera, projectToPixel } from '../render/camera-rig.js';
import type { GpuBackend } from '../render/gpu-environment.js';
import { HeadlessRenderer } from '../render/headless-renderer.js';
import { imageFromRgba } from './arm-bridge.js';
import type { ArmLook } from './arm-look.js';
import { ArmScene } from './arm-scene.js';
import type { ArmEpisodeSpec } from './arm-task.js';
import type { ArmWorld } from './arm-world.js';

const BASE_POSE = { x: 0, y: 0, yawRad: 0 };

export class ArmCameraView {
  readonly calibration: CameraCalibration;
  readonly mount: CameraMount;
  readonly scene: ArmScene;
  readonly camera: IntrinsicCamera;
  readonly renderer: HeadlessRenderer;

  private constructor(calibration: CameraCalibration, mount: CameraMount, scene: ArmScene, renderer: HeadlessRenderer) {
    this.calibration = calibration;
    this.mount = mount;
    this.scene = scene;
    this.renderer = renderer;
    // Near plane 5 cm: the camera looks down from about a metre; nothing comes closer.
    this.camera = new IntrinsicCamera(calibration, mount, 0.05, 20);
    this.camera.setVehiclePose(BASE_POSE);
  }

  static async create(options: { calibration: CameraCalibration; mount: CameraMount; description: ArmDescription; backend?: GpuBackend }): Promise<ArmCameraView> {
    const { calibration, mount } = options;
    const renderer = await HeadlessRenderer.create({ width: calibration.width, height: calibration.height, ...(options.backend ? { backend: options.backend } : {}) });
    return new ArmCameraView(calibration, mount, new ArmScene(options.description), renderer);
  }

  setLook(look: Readonly<ArmLook>): void {
    this.scene.setLook(look);
  }

  setEpisode(spec: ArmEpisodeSpec): void {
    this.scene.setEpisode(spec);
  }

  /** RGBA8 pixels of the world as it is now, top row first. */
  async renderRgba(world: ArmWorld): Promise<Uint8Array> {
    this.scene.update(world);
    return this.renderer.render(this.scene.scene, this.camera);
  }

  /** The world as sensor_msgs/Image rgb8, stamped `tMs`. */
  async render(world: ArmWorld, tMs: number, frameId: string): Promise<Image> {
    const rgba = await this.renderRgba(world);
    return imageFromRgba(rgba, this.calibration.width, this.calibration.height, tMs, frameId);
  }

  /** Pixel where a base_link point appears (pinhole model of the calibration), or null behind the camera. */
  project(point: { x: number; y: number; z: number }): { u: number; v: number; depthM: number } | null {
    return projectToPixel(this.calibration, this.mount, BASE_POSE, point);
  }

  dispose(): void {
    this.scene.dispose();
    this.renderer.dispose();
  }
}

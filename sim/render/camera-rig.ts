/**
 * The robot's camera in three.js: a perspective projection built from the calibration intrinsics (fx, fy,
 * cx, cy) and a pose from the vehicle pose and the camera mount. The same maths as a pinhole camera, so a
 * world point projects to the pixel `projectToPixel` predicts.
 */
import * as THREE from 'three/webgpu';
import type { CameraCalibration } from '../../src/core/calibration/camera.js';
import type { CameraMount } from '../../src/core/calibration/mount.js';

export interface Pose2D {
  x: number;
  y: number;
  yawRad: number;
}

/** three.js camera axes expressed in the REP-103 camera_link frame: right = -y, up = +z, back = -x. */
const LINK_FROM_THREE = new THREE.Matrix4().makeBasis(
  new THREE.Vector3(0, -1, 0),
  new THREE.Vector3(0, 0, 1),
  new THREE.Vector3(-1, 0, 0),
);

// Scratch objects: pose updates run every frame and allocate nothing.
const worldFromBase = new THREE.Matrix4();
const baseFromLink = new THREE.Matrix4();
const scratchEuler = new THREE.Euler();

export class IntrinsicCamera extends THREE.PerspectiveCamera {
  readonly calibration: CameraCalibration;
  readonly mount: CameraMount;

  constructor(calibration: CameraCalibration, mount: CameraMount, nearM = 0.02, farM = 150) {
    super(60, calibration.width / calibration.height, nearM, farM);
    this.calibration = calibration;
    this.mount = mount;
    this.matrixAutoUpdate = false;
    // ROS fixed-axis roll-pitch-yaw = intrinsic Z-Y-X.
    scratchEuler.set(mount.rollRad, mount.pitchRad, mount.yawRad, 'ZYX');
    this.#baseFromOptical.makeRotationFromEuler(scratchEuler).setPosition(mount.xM, mount.yM, mount.zM).multiply(LINK_FROM_THREE);
    this.updateProjectionMatrix();
  }

  readonly #baseFromOptical = new THREE.Matrix4();

  /** Off-centre frustum from K; called by three.js whenever the coordinate system (WebGL/WebGPU depth range) changes. */
  override updateProjectionMatrix(): void {
    const c = this.calibration;
    if (!c) return; // super() calls this before the fields exist
    const [fx, , cx, , fy, cy] = c.k as [number, number, number, number, number, number];
    const n = this.near;
    // OpenCV convention: pixel i covers [i - 0.5, i + 0.5], so the image edges sit at -0.5 and width - 0.5.
    const left = (-(cx + 0.5) * n) / fx;
    const right = ((c.width - 0.5 - cx) * n) / fx;
    const top = ((cy + 0.5) * n) / fy;
    const bottom = (-(c.height - 0.5 - cy) * n) / fy;
    this.projectionMatrix.makePerspective(left, right, top, bottom, n, this.far, this.coordinateSystem);
    this.projectionMatrixInverse.copy(this.projectionMatrix).invert();
  }

  /** Places the camera for a vehicle at `pose` (base_link on the ground plane). */
  setVehiclePose(pose: Pose2D): void {
    worldFromBase.makeRotationZ(pose.yawRad).setPosition(pose.x, pose.y, 0);
    this.matrix.multiplyMatrices(worldFromBase, this.#baseFromOptical);
    this.matrix.decompose(this.position, this.quaternion, this.scale);
    this.updateMatrixWorld(true);
  }
}

/** Pinhole projection of a world point for a vehicle pose, independent of three.js (used to check renders). */
export function projectToPixel(
  calibration: CameraCalibration,
  mount: CameraMount,
  pose: Pose2D,
  world: { x: number; y: number; z: number },
): { u: number; v: number; depthM: number } | null {
  scratchEuler.set(mount.rollRad, mount.pitchRad, mount.yawRad, 'ZYX');
  baseFromLink.makeRotationFromEuler(scratchEuler).setPosition(mount.xM, mount.yM, mount.zM);
  worldFromBase.makeRotationZ(pose.yawRad).setPosition(pose.x, pose.y, 0);
  const linkFromWorld = worldFromBase.multiply(baseFromLink).invert();
  const p = new THREE.Vector3(world.x, world.y, world.z).applyMatrix4(linkFromWorld);
  if (p.x <= 1e-6) return null; // behind the camera
  const [fx, , cx, , fy, cy] = calibration.k as [number, number, number, number, number, number];
  return { u: cx + (fx * -p.y) / p.x, v: cy + (fy * -p.z) / p.x, depthM: p.x };
}

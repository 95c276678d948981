/**
 * The simulated world stepped with an explicit dt: track, vehicle physics, ground truth against the
 * track (cross-track error, progress, off-road, collisions), interventions, and the sensors. Rendering
 * only reads this state; nothing here reads a clock.
 */
import type { CameraCalibration } from '../../src/core/calibration/camera.js';
import type { CameraMount } from '../../src/core/calibration/mount.js';
import type { VehicleCalibration } from '../../src/core/calibration/vehicle.js';
import { makeImage } from '../../src/core/messages/factories.js';
import { timeFromMs } from '../../src/core/messages/time.js';
import type { Image, Imu, Odometry } from '../../src/core/messages/types.js';
import type { SimConfig } from '../config/sim-config.js';
import type { DriveSample } from '../drive/drive-result.js';
import { IntrinsicCamera } from '../render/camera-rig.js';
import type { HeadlessRenderer } from '../render/headless-renderer.js';
import { NOMINAL_LOOK } from '../render/domain-look.js';
import { buildTrackScene, type SceneLook, type TrackScene } from '../render/scene-builder.js';
import { CameraEffects, type CameraEffectsSettings } from '../sensors/camera-effects.js';
import { ImuSensor } from '../sensors/imu.js';
import { WheelOdometry } from '../sensors/odometry.js';
import { Vehicle } from '../vehicle/vehicle.js';
import type { Track, TrackProjection } from '../world/track.js';
import { touchesScenery, type OrientedBox } from './collisions.js';

export interface SimulationOptions {
  track: Track;
  config: SimConfig;
  camera: CameraCalibration;
  mount: CameraMount;
  vehicle: VehicleCalibration;
  seed: number;
  look?: SceneLook;
  /** Image corruption of the domain (noise, blur, exposure, occluders); none when omitted. */
  effects?: Partial<CameraEffectsSettings> | null;
  /** Scales sensor noise at a sim time (fault-injection noise bursts). */
  noiseMultiplier?: ((sensor: 'camera' | 'imu' | 'odom', simTimeMs: number) => number) | null;
  /** Camera rendering; without it the simulation runs blind (expert drives, physics tests). */
  renderer?: HeadlessRenderer | null;
  /** Start position along the track. */
  startSM?: number;
}

export interface InterventionCounters {
  offRoadTooFar: number;
  offRoadTooLong: number;
  stuck: number;
  collision: number;
}

export class Simulation {
  readonly track: Track;
  readonly vehicle: Vehicle;
  readonly config: SimConfig;
  readonly cameraCalibration: CameraCalibration;
  /** Sim time of the state, ms. */
  timeMs = 0;
  /** The ground truth after the latest step (reused object). */
  readonly sample: DriveSample = {
    tS: 0, x: 0, y: 0, yawRad: 0, speedMps: 0, steeringRad: 0, crossTrackM: 0, progressM: 0,
    onRoad: true, collided: false, intervention: false,
  };
  readonly interventions: InterventionCounters = { offRoadTooFar: 0, offRoadTooLong: 0, stuck: 0, collision: 0 };
  readonly #projection: TrackProjection = { index: 0, sM: 0, crossTrackM: 0, headingRad: 0, curvature: 0, x: 0, y: 0 };
  readonly #imu: ImuSensor;
  readonly #odom: WheelOdometry;
  readonly #renderer: HeadlessRenderer | null;
  readonly #scene: TrackScene | null;
  readonly #rig: IntrinsicCamera | null;
  readonly #effects: CameraEffects | null;
  readonly #carBox: OrientedBox = { cx: 0, cy: 0, yawRad: 0, halfLengthM: 0, halfWidthM: 0 };
  readonly #substepS: number;
  #lastSM = 0;
  #offRoadSinceMs = NaN;
  #progressCheckMs = 0;
  #progressCheckM = 0;

  constructor(options: SimulationOptions) {
    const { track, config } = options;
    this.track = track;
    this.config = config;
    this.cameraCalibration = options.camera;
    this.#substepS = config.vehicle.substep_s;
    this.vehicle = new Vehicle(options.vehicle, { kind: config.vehicle.model, substepS: config.vehicle.substep_s });
    const noise = config.sensors.noise;
    const burst = options.noiseMultiplier;
    const hook = (sensor: 'camera' | 'imu' | 'odom') => (burst ? (simTimeMs: number) => burst(sensor, simTimeMs) : null);
    this.#imu = new ImuSensor({
      seed: options.seed * 7 + 1,
      gyroSigmaRadps: noise.gyro_sigma_radps,
      accelSigmaMps2: noise.accel_sigma_mps2,
      noiseMultiplier: hook('imu'),
    });
    this.#odom = new WheelOdometry({
      seed: options.seed * 7 + 2,
      speedSigmaMps: noise.speed_sigma_mps,
      yawRateSigmaRadps: noise.yaw_rate_sigma_radps,
      noiseMultiplier: hook('odom'),
    });
    this.#renderer = options.renderer ?? null;
    if (this.#renderer) {
      const { width, height } = options.camera;
      if (this.#renderer.width !== width || this.#renderer.height !== height) {
        throw new Error(`renderer is ${this.#renderer.width}×${this.#renderer.height} but the camera calibration is ${width}×${height}`);
      }
      this.#scene = buildTrackScene(track, options.look ?? NOMINAL_LOOK);
      this.#rig = new IntrinsicCamera(options.camera, options.mount);
      this.#effects =
        options.effects || burst
          ? new CameraEffects({ width, height, channels: 4, seed: options.seed * 7 + 3, ...options.effects, noiseMultiplier: hook('camera') })
          : null;
    } else {
      this.#scene = null;
      this.#rig = null;
      this.#effects = null;
    }
    this.reset(options.startSM ?? 0);
    const start = this.vehicle.state;
    this.#odom.reset({ x: start.x, y: start.y, yawRad: start.yawRad });
  }

  /** Puts the car at rest on the centreline at `sM`, heading along the track. */
  reset(sM: number): void {
    const pose = this.track.poseAt(sM);
    this.vehicle.reset({ x: pose.x, y: pose.y, yawRad: pose.headingRad }, 0);
    // Wheel odometry is not told: like a car carried back onto the road, it keeps dead-reckoning.
    this.#lastSM = this.track.project(pose.x, pose.y, undefined, this.#projection).sM;
    this.#offRoadSinceMs = NaN;
    this.#progressCheckMs = this.timeMs;
    this.#progressCheckM = this.sample.progressM;
    this.#updateSample(false, false);
  }

  /** The command the actuators should follow (they apply their own delay and limits). */
  setCommand(steeringRad: number, speedMps: number): void {
    this.vehicle.setCommand({ steeringRad, speedMps }, this.timeMs / 1000);
  }

  /** Integrates to `tMs`, then updates ground truth and intervenes when the car is lost. */
  stepTo(tMs: number): DriveSample {
    const dtTotalS = (tMs - this.timeMs) / 1000;
    if (!(dtTotalS >= 0)) throw new RangeError(`simulation cannot step back from ${this.timeMs} to ${tMs} ms`);
    const n = Math.max(1, Math.round(dtTotalS / this.#substepS));
    const dtS = dtTotalS / n;
    for (let i = 0; i < n; i++) this.vehicle.step(dtS, this.timeMs / 1000 + i * dtS);
    this.timeMs = tMs;
    const collided = this.#collides();
    const intervention = this.#intervene(collided);
    this.#updateSample(collided, intervention);
    return this.sample;
  }

  #collides(): boolean {
    const box = this.vehicle.footprint(this.#carBox);
    return touchesScenery(box, this.track.scenery.cones, this.track.scenery.obstacles);
  }

  /** Like a safety driver taking over: put the car back on the centreline and count it. */
  #intervene(collided: boolean): boolean {
    const s = this.vehicle.state;
    const p = this.track.project(s.x, s.y, this.#projection.index, this.#projection);
    const halfWidth = this.track.widthM / 2;
    const cfg = this.config.interventions;
    const off = Math.abs(p.crossTrackM) > halfWidth;
    if (!off) this.#offRoadSinceMs = NaN;
    else if (Number.isNaN(this.#offRoadSinceMs)) this.#offRoadSinceMs = this.timeMs;
    let why: keyof InterventionCounters | null = null;
    if (collided) why = 'collision';
    else if (Math.abs(p.crossTrackM) > halfWidth + cfg.off_road_margin_m) why = 'offRoadTooFar';
    else if (off && this.timeMs - this.#offRoadSinceMs > cfg.off_road_timeout_s * 1000) why = 'offRoadTooLong';
    else if (this.timeMs - this.#progressCheckMs > cfg.stuck_timeout_s * 1000) {
      if (this.sample.progressM - this.#progressCheckM < 0.2) why = 'stuck';
      this.#progressCheckMs = this.timeMs;
      this.#progressCheckM = this.sample.progressM;
    }
    if (!why) return false;
    this.interventions[why]++;
    this.#advanceProgress();
    this.reset(p.sM);
    return true;
  }

  #advanceProgress(): void {
    const p = this.#projection;
    this.sample.progressM += this.track.deltaS(this.#lastSM, p.sM);
    this.#lastSM = p.sM;
  }

  #updateSample(collided: boolean, intervention: boolean): void {
    const s = this.vehicle.state;
    const p = this.track.project(s.x, s.y, this.#projection.index, this.#projection);
    this.#advanceProgress();
    const out = this.sample;
    out.tS = this.timeMs / 1000;
    out.x = s.x;
    out.y = s.y;
    out.yawRad = s.yawRad;
    out.speedMps = s.vxMps;
    out.steeringRad = s.steeringRad;
    out.crossTrackM = p.crossTrackM;
    out.onRoad = Math.abs(p.crossTrackM) <= this.track.widthM / 2;
    out.collided = collided;
    out.intervention = intervention;
  }

  get projection(): Readonly<TrackProjection> {
    return this.#projection;
  }

  imuMessage(): Imu {
    return this.#imu.measure(this.vehicle.state, this.timeMs);
  }

  odomMessage(): Odometry {
    return this.#odom.measure(this.vehicle.state, this.timeMs);
  }

  get canRender(): boolean {
    return this.#renderer !== null;
  }

  /** Renders the robot's camera at the current pose as a sensor_msgs/Image (rgb8, its own buffer). */
  async renderCamera(frameId: string): Promise<Image> {
    if (!this.#renderer || !this.#scene || !this.#rig) throw new Error('simulation was created without a renderer');
    const s = this.vehicle.state;
    this.#rig.setVehiclePose(s);
    const rgba = await this.#renderer.render(this.#scene.scene, this.#rig);
    const { width, height } = this.cameraCalibration;
    this.#effects?.apply(rgba, this.timeMs);
    // A fresh buffer per frame: a transport may send it zero-copy and the bag recorder may keep it.
    const rgb = new Uint8Array(width * height * 3);
    for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
      rgb[i] = rgba[j]!;
      rgb[i + 1] = rgba[j + 1]!;
      rgb[i + 2] = rgba[j + 2]!;
    }
    return makeImage({
      header: { stamp: timeFromMs(this.timeMs), frame_id: frameId },
      height,
      width,
      encoding: 'rgb8',
      is_bigendian: 0,
      step: width * 3,
      data: rgb,
    });
  }

  /** The scene, for a viewer that shows the same world. */
  get scene(): TrackScene | null {
    return this.#scene;
  }

  dispose(): void {
    this.#scene?.dispose();
  }
}

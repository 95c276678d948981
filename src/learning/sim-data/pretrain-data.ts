/**
 * Pretraining data for the perception backbone: camera frames of random vehicle poses on many
 * procedurally generated tracks and the bundled training tracks (never the unseen ones), under
 * domain-randomised looks and camera effects, each labelled with the road's geometry in the vehicle
 * frame (road-labels.ts) and optionally the expert's command for that pose.
 *
 * Frames are rendered by the simulator's headless renderer at the camera's resolution and sampled to
 * the model input with the runtime's remap table (model-input.ts). Deterministic with a seed.
 */
import { loadCameraCalibration, type CameraCalibration } from '../../core/calibration/camera.js';
import { loadCameraMount, type CameraMount } from '../../core/calibration/mount.js';
import { loadVehicleCalibration } from '../../core/calibration/vehicle.js';
import { PilotError } from '../../core/util/errors.js';
import { mulberry32 } from '../../core/util/prng.js';
import type { SimConfig } from '../../../sim/index.js';
import { ExpertDriver } from '../../../sim/index.js';
import { IntrinsicCamera, type Pose2D } from '../../../sim/index.js';
import { effectsFromDomain, lookFromDomain } from '../../../sim/index.js';
import { HeadlessRenderer } from '../../../sim/index.js';
import { buildTrackScene, type TrackScene } from '../../../sim/index.js';
import { CameraEffects, DEFAULT_CAMERA_EFFECTS } from '../../../sim/index.js';
import { sampleDomain, type DomainParams } from '../../../sim/index.js';
import { generateTrack, listTracks, loadTrack, type Track } from '../../../sim/index.js';
import { ImageDatasetBuilder, type ImageDataset } from './image-dataset.js';
import { ACTION_TARGETS, ModelInputSampler, toRaw, type ActionScaling, type ModelInputSpec } from './model-input.js';
import { AHEAD_M, RoadLabeller, ROAD_TARGET_NAMES, type RoadGeometry } from './road-labels.js';

/** The expert's speed cap in test drives (drive-session.ts): its labels match what it drives. */
export const EXPERT_MAX_SPEED_MPS = 2.0;

export interface PoseSampling {
  /** Lateral offset uniform in ±this fraction of the half-width. Default 0.85. */
  maxLateralFraction?: number;
  /** Share of poses placed beyond the road edge (centre up to `beyondEdgeM` outside it). Default 0.05. */
  beyondEdgeShare?: number;
  /** Default 0.2 m: past the edge, yet closer to its own section than to any other (edge gap ≥ 0.5 m). */
  beyondEdgeM?: number;
  /** Heading error uniform in ±this. Default 0.4 rad. */
  maxHeadingErrorRad?: number;
}

export interface PretrainDataOptions {
  /** Frames to produce. */
  count: number;
  /** The contract camera input the frames are for (crop, size, undistortion). */
  input: ModelInputSpec;
  /** Camera calibration, mount, vehicle calibration and render backend come from here. */
  sim: SimConfig;
  seed?: number;
  /** Bundled track files to use, all `split: train`; default: every training track. An unseen track is refused. */
  trackFiles?: readonly string[];
  /** Share of tracks taken from the files, the rest generated from seeds. Default 0.2. */
  fileShare?: number;
  /** Consecutive frames on one track. Default 32. */
  framesPerTrack?: number;
  /** A new domain look (colours, light, camera effects) every this many frames. Default 16. */
  framesPerLook?: number;
  /** Largest domain randomisation strength; each look draws its strength uniformly in [0, this]. Default 1. */
  randomize?: number;
  poses?: PoseSampling;
  /** Also label each pose with the expert's clean command (targets `steering_angle`, `speed`), scaled like this. */
  expert?: ActionScaling;
  /** Reuse a renderer of the camera's size (tests, several calls); otherwise one is created and disposed. */
  renderer?: HeadlessRenderer;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface PretrainDataStats {
  frames: number;
  /** Distinct tracks by name (generated ones are `gen-<seed>`). */
  tracks: string[];
  looks: number;
  wallS: number;
  framesPerS: number;
  /** Wall time in the renderer (render + read-back). */
  renderS: number;
}

export interface PretrainData {
  dataset: ImageDataset;
  stats: PretrainDataStats;
}

/** One sampled pose and its labels (what went into a frame). */
export interface SampledPose {
  x: number;
  y: number;
  yawRad: number;
  geometry: RoadGeometry;
}

/** Target columns: the road geometry, then the expert's command when asked for. */
export function pretrainTargetNames(withExpert: boolean): string[] {
  return withExpert ? [...ROAD_TARGET_NAMES, ...ACTION_TARGETS] : [...ROAD_TARGET_NAMES];
}

export async function generatePretrainData(o: PretrainDataOptions): Promise<PretrainData> {
  const count = o.count;
  check(Number.isInteger(count) && count >= 1, 'count', 'must be a positive integer', count);
  const seed = o.seed ?? 1;
  check(Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff, 'seed', 'must be an integer in [0, 2^32)', seed);
  const framesPerTrack = o.framesPerTrack ?? 32;
  const framesPerLook = o.framesPerLook ?? 16;
  check(Number.isInteger(framesPerTrack) && framesPerTrack >= 1, 'framesPerTrack', 'must be a positive integer', framesPerTrack);
  check(Number.isInteger(framesPerLook) && framesPerLook >= 1, 'framesPerLook', 'must be a positive integer', framesPerLook);
  const fileShare = o.fileShare ?? 0.2;
  check(fileShare >= 0 && fileShare <= 1, 'fileShare', 'must be in [0, 1]', fileShare);
  const randomize = o.randomize ?? 1;
  check(randomize >= 0 && randomize <= 1, 'randomize', 'must be in [0, 1]', randomize);
  const poses = resolvePoseSampling(o.poses);
  const files = trainingTracks(o.trackFiles);
  if (files.length === 0 && fileShare > 0 && o.trackFiles !== undefined) check(false, 'trackFiles', 'empty while fileShare > 0', '[]');

  const vehicle = loadVehicleCalibration(o.sim.vehicle.calibration);
  const frames = await PoseFrameRenderer.create({ sim: o.sim, input: o.input, seed, ...(o.renderer ? { renderer: o.renderer } : {}) });
  const targetNames = pretrainTargetNames(o.expert !== undefined);
  const builder = new ImageDatasetBuilder({ width: frames.width, height: frames.height, targetNames, capacity: count });
  const random = mulberry32(seed);
  const pose: SampledPose = { x: 0, y: 0, yawRad: 0, geometry: { lateralOffsetM: 0, headingErrorRad: 0, centreYM: new Float64Array(AHEAD_M.length), curvature: 0, sM: 0 } };
  const command = { steeringRad: 0, speedMps: 0 };
  const tracksUsed = new Set<string>();
  const cache = new Map<string, Track>();
  let looks = 0;
  const wallStart = performance.now();
  try {
    for (let block = 0, done = 0; done < count; block++) {
      const track = pickTrack(block, seed, fileShare, files, cache);
      tracksUsed.add(track.name);
      const episode = builder.episode(track.name);
      const labeller = new RoadLabeller(track);
      const expert = o.expert
        ? new ExpertDriver(track, { wheelbaseM: vehicle.wheelbase_m, maxSteeringRad: vehicle.max_steering_angle_rad, maxSpeedMps: Math.min(EXPERT_MAX_SPEED_MPS, vehicle.max_speed_mps) })
        : null;
      const inBlock = Math.min(framesPerTrack, count - done);
      for (let lookStart = 0; lookStart < inBlock; lookStart += framesPerLook) {
        frames.setWorld(track, sampleDomain(mix(seed, 0x100000 + looks), randomize * random()));
        looks++;
        for (let f = lookStart; f < Math.min(inBlock, lookStart + framesPerLook); f++) {
          if (o.signal?.aborted) throw new PilotError('E_ABORTED', `pretraining data generation interrupted after ${done} of ${count} frames`);
          samplePose(track, labeller, poses, random, pose);
          const slot = builder.add(episode);
          await frames.render(pose, slot.image);
          RoadLabeller.toRaw(pose.geometry, slot.targets);
          if (expert && o.expert) {
            expertCommand(expert, pose, command);
            slot.targets[ROAD_TARGET_NAMES.length] = toRaw(command.steeringRad, o.expert.steering);
            slot.targets[ROAD_TARGET_NAMES.length + 1] = toRaw(command.speedMps, o.expert.speed);
          }
          done++;
          o.onProgress?.(done, count);
        }
      }
    }
  } finally {
    frames.dispose();
  }
  const wallS = (performance.now() - wallStart) / 1000;
  const dataset = builder.build();
  return {
    dataset,
    stats: { frames: dataset.count, tracks: [...tracksUsed], looks, wallS, framesPerS: dataset.count / wallS, renderS: frames.renderS },
  };
}

/**
 * Renders the robot's camera at arbitrary poses on a track under a domain look, with the domain's
 * camera effects, sampled to the model input: one frame of pretraining data per call.
 */
export class PoseFrameRenderer {
  readonly width: number;
  readonly height: number;
  readonly camera: CameraCalibration;
  readonly mount: CameraMount;
  readonly #renderer: HeadlessRenderer;
  readonly #ownsRenderer: boolean;
  readonly #sampler: ModelInputSampler;
  readonly #rig: IntrinsicCamera;
  readonly #effects: CameraEffects;
  #world: TrackScene | null = null;
  #frames = 0;
  #renderMs = 0;

  private constructor(renderer: HeadlessRenderer, owns: boolean, input: ModelInputSpec, camera: CameraCalibration, mount: CameraMount, seed: number) {
    this.#renderer = renderer;
    this.#ownsRenderer = owns;
    this.camera = camera;
    this.mount = mount;
    this.#sampler = new ModelInputSampler(input, camera);
    this.width = this.#sampler.width;
    this.height = this.#sampler.height;
    this.#rig = new IntrinsicCamera(camera, mount);
    this.#effects = new CameraEffects({ width: camera.width, height: camera.height, channels: 4, seed: mix(seed, 0xeffec7) });
  }

  /** Camera, mount and render backend from `sim`; reuses `renderer` when given (it must have the camera's size). */
  static async create(o: { sim: SimConfig; input: ModelInputSpec; seed?: number; renderer?: HeadlessRenderer }): Promise<PoseFrameRenderer> {
    const camera = loadCameraCalibration(o.sim.camera.calibration);
    const mount = loadCameraMount(o.sim.camera.mount);
    if (o.renderer && (o.renderer.width !== camera.width || o.renderer.height !== camera.height)) {
      throw new PilotError('E_PRETRAIN', `renderer is ${o.renderer.width}×${o.renderer.height} but the camera calibration ${o.sim.camera.calibration} is ${camera.width}×${camera.height}`);
    }
    const renderer = o.renderer ?? (await HeadlessRenderer.create({ width: camera.width, height: camera.height, backend: o.sim.render.backend }));
    return new PoseFrameRenderer(renderer, !o.renderer, o.input, camera, mount, o.seed ?? 1);
  }

  /** Wall time spent rendering (render + read-back), seconds. */
  get renderS(): number {
    return this.#renderMs / 1000;
  }

  /** The track and look (colours, light, camera effects) of the next frames: NOMINAL_DOMAIN or a sampleDomain draw. */
  setWorld(track: Track, domain: Readonly<DomainParams>): void {
    this.#world?.dispose();
    this.#world = buildTrackScene(track, lookFromDomain(domain));
    this.#effects.configure({ ...DEFAULT_CAMERA_EFFECTS, ...effectsFromDomain(domain, this.camera.width, this.camera.height) });
  }

  /** Renders base_link at `pose` and writes the model-input frame (height × width × 3 bytes) into `out`. */
  async render(pose: Pose2D, out: Uint8Array): Promise<void> {
    if (!this.#world) throw new PilotError('E_PRETRAIN', 'PoseFrameRenderer.render: call setWorld(track, domain) first');
    this.#rig.setVehiclePose(pose);
    const t0 = performance.now();
    const rgba = await this.#renderer.render(this.#world.scene, this.#rig);
    this.#renderMs += performance.now() - t0;
    // Sim time only matters to fault-injection noise bursts, which pretraining does not use.
    this.#effects.apply(rgba, this.#frames++ * 50);
    this.#sampler.sample(rgba, 4, out);
  }

  dispose(): void {
    this.#world?.dispose();
    this.#world = null;
    if (this.#ownsRenderer) this.#renderer.dispose();
  }
}

/** The bundled training tracks to draw from; an unseen track named here is an error, never used. */
export function trainingTracks(names?: readonly string[]): string[] {
  const bundled = listTracks();
  if (names === undefined) return bundled.filter((t) => t.split === 'train').map((t) => t.name);
  for (const name of names) {
    const t = bundled.find((b) => b.name === name);
    if (!t) throw new PilotError('E_PRETRAIN', `trackFiles: no bundled track '${name}' (have ${bundled.map((b) => b.name).join(', ')})`);
    if (t.split !== 'train') {
      throw new PilotError('E_PRETRAIN', `trackFiles: '${name}' is split '${t.split}', kept for evaluation: training data comes only from 'train' tracks and generated ones`);
    }
  }
  return [...names];
}

/**
 * Track of block `block`: a training file for about `fileShare` of the blocks (spread evenly,
 * cycling through the files), otherwise a procedural track from a seed derived from `seed`.
 */
function pickTrack(block: number, seed: number, fileShare: number, files: readonly string[], cache: Map<string, Track>): Track {
  const fromFile = files.length > 0 && Math.floor((block + 1) * fileShare) > Math.floor(block * fileShare);
  if (fromFile) {
    const name = files[Math.floor(block * fileShare) % files.length]!;
    let track = cache.get(name);
    if (!track) cache.set(name, (track = loadTrack(name)));
    if (track.split !== 'train') throw new PilotError('E_PRETRAIN', `track '${name}' is split '${track.split}': not for training`);
    return track;
  }
  return generateTrack(mix(seed, block));
}

interface ResolvedPoseSampling {
  maxLateralFraction: number;
  beyondEdgeShare: number;
  beyondEdgeM: number;
  maxHeadingErrorRad: number;
}

function resolvePoseSampling(p: PoseSampling = {}): ResolvedPoseSampling {
  const r = {
    maxLateralFraction: p.maxLateralFraction ?? 0.85,
    beyondEdgeShare: p.beyondEdgeShare ?? 0.05,
    beyondEdgeM: p.beyondEdgeM ?? 0.2,
    maxHeadingErrorRad: p.maxHeadingErrorRad ?? 0.4,
  };
  check(r.maxLateralFraction >= 0 && r.maxLateralFraction <= 1, 'poses.maxLateralFraction', 'must be in [0, 1]', r.maxLateralFraction);
  check(r.beyondEdgeShare >= 0 && r.beyondEdgeShare <= 1, 'poses.beyondEdgeShare', 'must be in [0, 1]', r.beyondEdgeShare);
  check(r.beyondEdgeM >= 0 && r.beyondEdgeM <= 0.25, 'poses.beyondEdgeM', 'must be in [0, 0.25] m (further out may project onto a neighbouring section)', r.beyondEdgeM);
  check(r.maxHeadingErrorRad >= 0 && r.maxHeadingErrorRad <= 1.2, 'poses.maxHeadingErrorRad', 'must be in [0, 1.2] rad', r.maxHeadingErrorRad);
  return r;
}

/** Random arc position, lateral offset and heading error; labels from projecting the pose back. */
function samplePose(track: Track, labeller: RoadLabeller, p: ResolvedPoseSampling, random: () => number, out: SampledPose): void {
  const sM = random() * track.lengthM;
  const half = track.widthM / 2;
  const side = random() < 0.5 ? -1 : 1;
  const beyond = random() < p.beyondEdgeShare;
  const lateralM = beyond ? side * (half + random() * p.beyondEdgeM) : side * random() * p.maxLateralFraction * half;
  const headingErrorRad = (2 * random() - 1) * p.maxHeadingErrorRad;
  const at = track.poseAt(sM, lateralM);
  out.x = at.x;
  out.y = at.y;
  out.yawRad = at.headingRad + headingErrorRad;
  labeller.geometry(out.x, out.y, out.yawRad, out.geometry);
}

/** The expert's clean command at a still pose, as if driving there at its own planned speed. */
function expertCommand(expert: ExpertDriver, pose: SampledPose, out: { steeringRad: number; speedMps: number }): void {
  const profile = expert.speedProfileMps;
  const i = Math.round(pose.geometry.sM / expert.track.spacingM) % profile.length;
  // Fresh projection each pose: poses jump around the track, a hint from the last one would mislead.
  expert.reset();
  expert.command({ x: pose.x, y: pose.y, yawRad: pose.yawRad, speedMps: profile[i]! }, 0, out);
}

/** Splitmix-style hash of (seed, salt): independent streams for tracks and looks from one seed. */
function mix(seed: number, salt: number): number {
  let h = (seed ^ Math.imul(salt + 1, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

function check(ok: boolean, key: string, what: string, got: unknown): void {
  if (!ok) throw new PilotError('E_PRETRAIN', `pretraining data: ${key}: ${what} (got ${String(got)})`);
}

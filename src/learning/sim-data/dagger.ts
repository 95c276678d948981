/**
 * Labelled drives for imitation learning, collected straight from the simulator (no bag round-trip):
 *
 * - DAgger: the policy (a runtime model) drives; every camera frame is kept at the model's input size
 *   with the expert's clean command for the state the frame was rendered at. With probability β per
 *   step (or per segment) the expert's command is executed instead of the policy's, the standard
 *   DAgger schedule (β = 1: the expert drives, β = 0: the policy alone).
 * - Demonstrations: the expert drives with steering noise and recovery manoeuvres, and every frame is
 *   labelled with the clean expert's command, so the data shows how to get back from the edge.
 *
 * Interventions reset the car as in any test drive; they are counted and the frames after a reset
 * are labelled like any other. One drive = one episode.
 */
import { loadCameraCalibration } from '../../core/calibration/camera.js';
import { loadVehicleCalibration } from '../../core/calibration/vehicle.js';
import type { PilotConfig } from '../../core/config/schema.js';
import { borrowedPolicy } from '../../runtime/policy/borrowed-policy.js';
import type { TransportKind } from '../../transport/index.js';
import { PilotError } from '../../core/util/errors.js';
import { mulberry32 } from '../../core/util/prng.js';
import type { SteeringCommand } from '../../../sim/index.js';
import type { SimConfig } from '../../../sim/index.js';
import type { DriveResult, DriveSample } from '../../../sim/index.js';
import { runDriveSession, type DriveTruth } from '../../../sim/index.js';
import type { DriveMetrics } from '../../../sim/index.js';
import { ExpertDriver, type ExpertCommand } from '../../../sim/index.js';
import { loadTrack, type Track } from '../../../sim/index.js';
import { ImageDatasetBuilder, type ImageDataset } from './image-dataset.js';
import { BetaMixture, checkFrameSize, mixtureBeta, modelDriverSetup, type ModelCollectDriver } from './collect-driver.js';
import {
  ACTION_TARGETS,
  actionScalingFromContract,
  cameraInputOf,
  ModelInputSampler,
  toRaw,
  type ActionScaling,
  type ModelInputSpec,
} from './model-input.js';
import { EXPERT_MAX_SPEED_MPS } from './pretrain-data.js';

export type CollectDriver =
  /** DAgger: the runtime's model drives; the expert takes over with probability `beta`. */
  | (ModelCollectDriver & {
      /** Draw the mixture once per segment of this many seconds of sim time; default: every step. */
      betaSegmentS?: number;
    })
  /** Demonstrations: the expert drives with noise and recovery; labels are the clean expert's. */
  | { kind: 'expert'; noiseRad?: number; recovery?: boolean };

export interface CollectDriveOptions {
  track: string | Track;
  sim: SimConfig;
  driver: CollectDriver;
  /** Crop and size of the frames. Default: the model contract's camera input (required for an expert drive). */
  input?: ModelInputSpec;
  /** Label scaling. Default: the model contract's `steering_angle` and `speed` fields (required for an expert drive). */
  action?: ActionScaling;
  /** Default 1. */
  laps?: number;
  maxSimTimeS?: number;
  seed?: number;
  /** Domain randomisation strength of the drive (look and camera effects). Default 0. */
  randomize?: number;
  /** Default `inprocess`: one process, deterministic, no sockets. */
  transport?: TransportKind;
  /** Default `<dagger|demo>-<track>-s<seed>[-b<beta>]`. */
  episodeName?: string;
  onStep?: (sample: Readonly<DriveSample>, metrics: DriveMetrics) => void;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

/** Ground truth of one collected frame, in dataset order. */
export interface CollectedFrame {
  tMs: number;
  x: number;
  y: number;
  yawRad: number;
  speedMps: number;
  crossTrackM: number;
  /** The expert's clean command (the label, physical units). */
  expert: ExpertCommand;
  /** Interventions before the frame: the frames of one segment are one stretch of driving without a reset. */
  segment: number;
}

export interface DriveCollection {
  /** Targets `steering_angle`, `speed` (raw: (physical − offset) / scale); one episode. */
  dataset: ImageDataset;
  frames: CollectedFrame[];
  result: DriveResult;
  /** Steps on which the expert's command was executed instead of the policy's (β mixture). */
  expertSteps: number;
  /** Steps on which the driver's own command was executed. */
  driverSteps: number;
  interventions: number;
  wallS: number;
  framesPerS: number;
}

export async function collectDrive(o: CollectDriveOptions): Promise<DriveCollection> {
  const seed = o.seed ?? 1;
  const track = typeof o.track === 'string' ? loadTrack(o.track) : o.track;
  const d = o.driver;
  const beta = mixtureBeta(d, 'E_DAGGER');
  const segmentS = d.kind === 'model' ? d.betaSegmentS : undefined;
  if (segmentS !== undefined && !(segmentS > 0)) throw new PilotError('E_DAGGER', `driver.betaSegmentS: must be positive seconds (got ${segmentS})`);

  let config: PilotConfig | undefined;
  let input = o.input;
  let action = o.action;
  if (d.kind === 'model') {
    const model = modelDriverSetup(d);
    config = model.config;
    if (!input || !action) {
      const contract = model.contract();
      input ??= cameraInputOf(contract, model.modelPath);
      action ??= actionScalingFromContract(contract, model.modelPath);
    }
  } else if (!input || !action) {
    throw new PilotError('E_DAGGER', `an expert drive has no model contract: pass 'input' (crop and size of the frames) and 'action' (label scaling)${!input ? '' : ' (action missing)'}`);
  }
  const episodeName = o.episodeName ?? `${d.kind === 'model' ? 'dagger' : 'demo'}-${track.name}-s${seed}${d.kind === 'model' ? `-b${beta}` : ''}`;
  const frames = new DriveFrames(o, track, new ModelInputSampler(input!, loadCameraCalibration(o.sim.camera.calibration)), action!, episodeName, seed);
  const mixture = new BetaMixture(beta, mulberry32((seed ^ 0x0da66e5) >>> 0), segmentS);
  const overrideCommand =
    beta > 0
      ? (command: SteeringCommand, truth: Readonly<DriveTruth>) => {
          if (!mixture.expertAt(truth.tMs)) return;
          const e = frames.labelAt(truth);
          command.steeringRad = e.steeringRad;
          command.speedMps = e.speedMps;
        }
      : undefined;

  const wallStart = performance.now();
  const result = await runDriveSession({
    track,
    laps: o.laps ?? 1,
    driver:
      d.kind === 'model'
        ? { kind: 'model', config: config!, ...(d.modelPath ? { modelPath: d.modelPath } : {}), ...(d.policy ? { policy: borrowedPolicy(d.policy) } : {}) }
        : { kind: 'expert', ...(d.noiseRad !== undefined ? { noiseRad: d.noiseRad } : {}), ...(d.recovery !== undefined ? { recovery: d.recovery } : {}) },
    sim: o.sim,
    seed,
    mode: 'lockstep',
    transport: o.transport ?? 'inprocess',
    randomize: o.randomize ?? 0,
    renderForExpert: true,
    onFrame: (rgb, width, height, truth) => frames.add(rgb, width, height, truth),
    ...(overrideCommand ? { overrideCommand } : {}),
    ...(o.maxSimTimeS !== undefined ? { maxSimTimeS: o.maxSimTimeS } : {}),
    onStep: (sample, metrics) => {
      if (sample.intervention) frames.segment++;
      o.onStep?.(sample, metrics);
    },
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.log ? { log: o.log } : {}),
  });
  const wallS = (performance.now() - wallStart) / 1000;
  const driverSteps = beta === 0 ? result.samples : mixture.driverSteps;
  const dataset = frames.builder.build();
  return { dataset, frames: frames.frames, result, expertSteps: mixture.expertSteps, driverSteps, interventions: result.interventions, wallS, framesPerS: dataset.count / wallS };
}

/** The drive's frames (one episode), each labelled with the clean expert's command for the state it was rendered at. */
class DriveFrames {
  readonly frames: CollectedFrame[] = [];
  readonly builder: ImageDatasetBuilder;
  readonly #episode: number;
  /** The labeller: the expert without noise or recovery, as the expert drive's own driver is built (drive-session.ts), so β = 1 executes exactly what an expert drive would. */
  readonly #expert: ExpertDriver;
  readonly #label: ExpertCommand = { steeringRad: 0, speedMps: 0 };
  #labelMs = NaN;
  #lastMs = 0;
  /** Interventions so far (counted after each step). */
  segment = 0;

  constructor(
    readonly o: CollectDriveOptions,
    track: Track,
    readonly sampler: ModelInputSampler,
    readonly scaling: ActionScaling,
    episodeName: string,
    seed: number,
  ) {
    const vehicle = loadVehicleCalibration(o.sim.vehicle.calibration);
    this.builder = new ImageDatasetBuilder({ width: sampler.width, height: sampler.height, targetNames: ACTION_TARGETS, capacity: 256 });
    this.#episode = this.builder.episode(episodeName);
    this.#expert = new ExpertDriver(track, {
      wheelbaseM: vehicle.wheelbase_m,
      maxSteeringRad: vehicle.max_steering_angle_rad,
      maxSpeedMps: Math.min(EXPERT_MAX_SPEED_MPS, vehicle.max_speed_mps),
      seed,
    });
  }

  /** One expert call per step at most, shared by the frame's label and the β mixture. */
  labelAt(truth: Readonly<DriveTruth>): ExpertCommand {
    if (truth.tMs === this.#labelMs) return this.#label;
    const s = truth.state;
    const dtS = Math.max(1e-3, (truth.tMs - this.#lastMs) / 1000);
    this.#lastMs = truth.tMs;
    this.#labelMs = truth.tMs;
    return this.#expert.command({ x: s.x, y: s.y, yawRad: s.yawRad, speedMps: s.vxMps }, dtS, this.#label);
  }

  add(rgb: Uint8Array, width: number, height: number, truth: Readonly<DriveTruth>): void {
    checkFrameSize(this.sampler, width, height, this.o.sim.camera.calibration, 'E_DAGGER');
    const e = this.labelAt(truth);
    const slot = this.builder.add(this.#episode);
    this.sampler.sample(rgb, 3, slot.image);
    slot.targets[0] = toRaw(e.steeringRad, this.scaling.steering);
    slot.targets[1] = toRaw(e.speedMps, this.scaling.speed);
    const s = truth.state;
    this.frames.push({ tMs: truth.tMs, x: s.x, y: s.y, yawRad: s.yawRad, speedMps: s.vxMps, crossTrackM: truth.projection.crossTrackM, expert: { ...e }, segment: this.segment });
  }
}

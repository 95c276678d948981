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
import { loadConfig } from '../../core/config/load.js';
import type { PilotConfig } from '../../core/config/schema.js';
import type { Policy } from '../../runtime/policy/policy-session.js';
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
import {
  ACTION_TARGETS,
  actionScalingFromContract,
  cameraInputOf,
  ModelInputSampler,
  readModelContract,
  toRaw,
  type ActionScaling,
  type ModelInputSpec,
} from './model-input.js';
import { EXPERT_MAX_SPEED_MPS } from './pretrain-data.js';

export type CollectDriver =
  /** DAgger: the runtime's model drives; the expert takes over with probability `beta`. */
  | {
      kind: 'model';
      config: PilotConfig | string;
      modelPath?: string;
      /** Already-created policy (a trainer that drives several tracks per round); it stays open: the caller disposes it. */
      policy?: Policy;
      /** Probability that the expert's command is executed instead of the policy's. Default 0. */
      beta?: number;
      /** Draw the mixture once per segment of this many seconds of sim time; default: every step. */
      betaSegmentS?: number;
    }
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
  const beta = d.kind === 'model' ? d.beta ?? 0 : 0;
  if (!(beta >= 0 && beta <= 1)) throw new PilotError('E_DAGGER', `driver.beta: must be in [0, 1] (got ${beta})`);
  const segmentS = d.kind === 'model' ? d.betaSegmentS : undefined;
  if (segmentS !== undefined && !(segmentS > 0)) throw new PilotError('E_DAGGER', `driver.betaSegmentS: must be positive seconds (got ${segmentS})`);

  let config: PilotConfig | undefined;
  let input = o.input;
  let action = o.action;
  if (d.kind === 'model') {
    config = typeof d.config === 'string' ? loadConfig(d.config) : d.config;
    if (!input || !action) {
      const modelPath = d.modelPath ?? config.model.path;
      const contract = d.policy?.contract ?? readModelContract(modelPath);
      input ??= cameraInputOf(contract, modelPath);
      action ??= actionScalingFromContract(contract, modelPath);
    }
  } else if (!input || !action) {
    throw new PilotError('E_DAGGER', `an expert drive has no model contract: pass 'input' (crop and size of the frames) and 'action' (label scaling)${!input ? '' : ' (action missing)'}`);
  }

  const camera = loadCameraCalibration(o.sim.camera.calibration);
  const vehicle = loadVehicleCalibration(o.sim.vehicle.calibration);
  const sampler = new ModelInputSampler(input!, camera);
  const scaling = action!;
  const builder = new ImageDatasetBuilder({ width: sampler.width, height: sampler.height, targetNames: ACTION_TARGETS, capacity: 256 });
  const episodeName = o.episodeName ?? `${d.kind === 'model' ? 'dagger' : 'demo'}-${track.name}-s${seed}${d.kind === 'model' ? `-b${beta}` : ''}`;
  const episode = builder.episode(episodeName);
  const frames: CollectedFrame[] = [];

  // The labeller: the expert without noise or recovery, as the expert drive's own driver is built
  // (drive-session.ts), so β = 1 executes exactly what an expert drive would.
  const expert = new ExpertDriver(track, {
    wheelbaseM: vehicle.wheelbase_m,
    maxSteeringRad: vehicle.max_steering_angle_rad,
    maxSpeedMps: Math.min(EXPERT_MAX_SPEED_MPS, vehicle.max_speed_mps),
    seed,
  });
  const label: ExpertCommand = { steeringRad: 0, speedMps: 0 };
  let labelMs = NaN;
  let lastMs = 0;
  /** One expert call per step at most, shared by the frame's label and the β mixture. */
  const labelAt = (truth: Readonly<DriveTruth>): ExpertCommand => {
    if (truth.tMs === labelMs) return label;
    const s = truth.state;
    const dtS = Math.max(1e-3, (truth.tMs - lastMs) / 1000);
    lastMs = truth.tMs;
    labelMs = truth.tMs;
    return expert.command({ x: s.x, y: s.y, yawRad: s.yawRad, speedMps: s.vxMps }, dtS, label);
  };

  const random = mulberry32((seed ^ 0x0da66e5) >>> 0);
  let segment = -1;
  let expertSegment = false;
  let expertSteps = 0;
  let driverSteps = 0;
  const overrideCommand =
    beta > 0
      ? (command: SteeringCommand, truth: Readonly<DriveTruth>) => {
          let useExpert: boolean;
          if (segmentS === undefined) useExpert = random() < beta;
          else {
            const k = Math.floor(truth.tMs / (segmentS * 1000));
            if (k !== segment) {
              segment = k;
              expertSegment = random() < beta;
            }
            useExpert = expertSegment;
          }
          if (!useExpert) {
            driverSteps++;
            return;
          }
          const e = labelAt(truth);
          command.steeringRad = e.steeringRad;
          command.speedMps = e.speedMps;
          expertSteps++;
        }
      : undefined;

  const onFrame = (rgb: Uint8Array, width: number, height: number, truth: Readonly<DriveTruth>) => {
    if (width !== sampler.table.srcWidth || height !== sampler.table.srcHeight) {
      throw new PilotError('E_DAGGER', `camera frame is ${width}×${height}, the calibration ${o.sim.camera.calibration} says ${sampler.table.srcWidth}×${sampler.table.srcHeight}`);
    }
    const e = labelAt(truth);
    const slot = builder.add(episode);
    sampler.sample(rgb, 3, slot.image);
    slot.targets[0] = toRaw(e.steeringRad, scaling.steering);
    slot.targets[1] = toRaw(e.speedMps, scaling.speed);
    const s = truth.state;
    frames.push({ tMs: truth.tMs, x: s.x, y: s.y, yawRad: s.yawRad, speedMps: s.vxMps, crossTrackM: truth.projection.crossTrackM, expert: { ...e } });
  };

  const wallStart = performance.now();
  const result = await runDriveSession({
    track,
    laps: o.laps ?? 1,
    driver:
      d.kind === 'model'
        ? { kind: 'model', config: config!, ...(d.modelPath ? { modelPath: d.modelPath } : {}), ...(d.policy ? { policy: borrowed(d.policy) } : {}) }
        : { kind: 'expert', ...(d.noiseRad !== undefined ? { noiseRad: d.noiseRad } : {}), ...(d.recovery !== undefined ? { recovery: d.recovery } : {}) },
    sim: o.sim,
    seed,
    mode: 'lockstep',
    transport: o.transport ?? 'inprocess',
    randomize: o.randomize ?? 0,
    renderForExpert: true,
    onFrame,
    ...(overrideCommand ? { overrideCommand } : {}),
    ...(o.maxSimTimeS !== undefined ? { maxSimTimeS: o.maxSimTimeS } : {}),
    ...(o.onStep ? { onStep: o.onStep } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.log ? { log: o.log } : {}),
  });
  const wallS = (performance.now() - wallStart) / 1000;
  if (beta === 0) driverSteps = result.samples;
  const dataset = builder.build();
  return { dataset, frames, result, expertSteps, driverSteps, interventions: result.interventions, wallS, framesPerS: dataset.count / wallS };
}

/** The policy as the runtime sees it, except that disposing it is left to its owner (the runtime disposes its policy). */
function borrowed(policy: Policy): Policy {
  return new Proxy(policy, {
    get(target, key) {
      if (key === 'dispose') return async () => {};
      // Receiver = the policy itself, so getters over private fields keep working.
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

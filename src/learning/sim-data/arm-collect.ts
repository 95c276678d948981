/**
 * Training data for arm policies, straight from the simulator (no bag round-trip), like
 * src/learning/sim-data/dagger.ts for the car: every camera frame at the model's input size, the joint state
 * it was rendered at (the policy's `joint_state` input, rad) and the expert's goal configuration for
 * that state as the label, in the network's raw space (tanh mapped to each joint's limits:
 * raw = (goal − offset) / scale, scale = (upper − lower) / 2, offset = (upper + lower) / 2).
 *
 * - Demonstrations: the expert drives; start postures are jittered around home for variety.
 * - DAgger: a runtime model drives and the expert labels the states it visits; with probability β per
 *   step the expert's goal is executed instead.
 *
 * Collection refuses the unseen split: those placements are for evaluation only.
 */
import { loadCameraCalibration } from '../../core/calibration/camera.js';
import type { PilotConfig } from '../../core/config/schema.js';
import type { ArmDescription } from '../../core/kinematics/index.js';
import type { TransportKind } from '../../transport/index.js';
import { PilotError } from '../../core/util/errors.js';
import { mulberry32 } from '../../core/util/prng.js';
import { armActionFields } from '../export/action-fields.js';
import { ImageDatasetBuilder, type ImageDataset } from './image-dataset.js';
import { BetaMixture, checkFrameSize, mixtureBeta, modelDriverSetup, type ModelCollectDriver } from './collect-driver.js';
import { cameraInputOf, ModelInputSampler, type FieldScaling, type ModelInputSpec } from './model-input.js';
import { ArmExpert } from '../../../sim/index.js';
import { runArmSession, type ArmRunResult, type ArmTruth } from '../../../sim/index.js';
import { loadArmSimConfig, type ArmSimConfig } from '../../../sim/index.js';
import { parseTaskKind, type ArmTaskKind, type ArmTaskOptions, type PlacementSplit } from '../../../sim/index.js';

export type ArmCollectDriver = { kind: 'expert' } | ModelCollectDriver;

export interface ArmCollectOptions {
  task: ArmTaskKind | string;
  episodes: number;
  /** Seed of the first episode. Default 1. */
  seed?: number;
  /** 'train' (default) or 'any'; 'unseen' is refused. */
  split?: Exclude<PlacementSplit, 'unseen'>;
  driver: ArmCollectDriver;
  /** Crop and size of the frames. Default: the model contract's camera input (required for the expert). */
  input?: ModelInputSpec;
  /** Default: start postures jittered by 0.3 rad per joint. */
  taskOptions?: ArmTaskOptions;
  sim?: ArmSimConfig | string;
  /** Look randomisation strength. Default 1 (training wants variety). */
  randomize?: number;
  /** Default `inprocess`. */
  transport?: TransportKind;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

/** An ImageDataset with the joint state of each frame (the training path's optional `states`). */
export type ArmDataset = ImageDataset & { readonly states: Float32Array; readonly stateNames: readonly string[] };

export interface ArmCollectedFrame {
  episode: number;
  seed: number;
  tMs: number;
  /** Tool point when the frame was rendered (m). */
  toolM: [number, number, number];
  /** The expert's goal (the label, rad). */
  goalRad: number[];
}

export interface ArmCollection {
  /** Targets: the joint names, raw (tanh) space; `states`: joint positions (rad), `stateNames`: the joint names. */
  dataset: ArmDataset;
  /** Also on `dataset`; separately for trainers whose ImageDataset has no `states` yet. */
  states: Float32Array;
  stateNames: readonly string[];
  frames: ArmCollectedFrame[];
  run: ArmRunResult;
  /** Steps on which the expert's goal was executed instead of the policy's (β mixture). */
  expertSteps: number;
  driverSteps: number;
  wallS: number;
  framesPerS: number;
}

/** Per joint: physical = raw · scale + offset, with raw in [−1, 1] covering the joint's limits (the arm contract). */
export function armActionScaling(arm: ArmDescription): FieldScaling[] {
  return armActionFields(arm.limits).map(({ scale, offset }) => ({ scale, offset }));
}

export async function collectArmEpisodes(o: ArmCollectOptions): Promise<ArmCollection> {
  const kind = parseTaskKind(o.task);
  const split = o.split ?? 'train';
  if ((split as string) === 'unseen') throw new PilotError('E_ARM_SPLIT', 'training data must not come from the unseen placements (split: train or any)');
  const d = o.driver;
  const beta = mixtureBeta(d, 'E_ARM_COLLECT');
  const sim = typeof o.sim === 'string' || o.sim === undefined ? loadArmSimConfig(o.sim) : o.sim;

  let input = o.input;
  let config: PilotConfig | undefined;
  if (d.kind === 'model') {
    const model = modelDriverSetup(d);
    config = model.config;
    input ??= cameraInputOf(model.contract(), model.modelPath);
  } else if (!input) {
    throw new PilotError('E_ARM_COLLECT', "an expert run has no model contract: pass 'input' (crop and size of the frames)");
  }
  const sampler = new ModelInputSampler(input!, loadCameraCalibration(sim.camera.calibration));
  const frames = new ArmFrames(sampler, `arm-${kind}`, sim.camera.calibration);
  const mixture = new BetaMixture(beta, mulberry32(((o.seed ?? 1) ^ 0x0a4d5a) >>> 0));
  const wallStart = performance.now();
  const run = await runArmSession({
    task: kind,
    episodes: o.episodes,
    seed: o.seed ?? 1,
    split,
    taskOptions: { startJitterRad: 0.3, ...o.taskOptions },
    driver: d.kind === 'model' ? { kind: 'model', config: config!, ...(d.modelPath ? { modelPath: d.modelPath } : {}), ...(d.policy ? { policy: d.policy } : {}) } : { kind: 'expert' },
    sim,
    transport: o.transport ?? 'inprocess',
    randomize: o.randomize ?? 1,
    render: true,
    onFrame: (rgb, width, height, truth) => frames.add(rgb, width, height, truth),
    ...(beta > 0
      ? {
          overrideCommand: (command: Float64Array, truth: Readonly<ArmTruth>) => {
            if (mixture.expertAt(truth.tMs)) command.set(frames.goalAt(truth));
          },
        }
      : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.log ? { log: o.log } : {}),
  });
  const wallS = (performance.now() - wallStart) / 1000;
  const steps = run.episodes.reduce((s, e) => s + e.steps, 0);
  let { expertSteps, driverSteps } = mixture;
  if (d.kind === 'expert') expertSteps = steps;
  else if (beta === 0) driverSteps = steps;
  const { dataset, states, stateNames } = frames.build(run.description);
  return { dataset: { ...dataset, states, stateNames }, states, stateNames, frames: frames.frames, run, expertSteps, driverSteps, wallS, framesPerS: dataset.count / wallS };
}

/**
 * The frames of the run, labelled with the expert's goal for the state each was rendered at; the
 * labeller is its own expert, asked once per step (the push expert keeps a phase between calls).
 */
class ArmFrames {
  readonly frames: ArmCollectedFrame[] = [];
  #labeller: ArmExpert | undefined;
  #scaling: FieldScaling[] = [];
  #jointNames: readonly string[] = [];
  #builder: ImageDatasetBuilder | undefined;
  #states = new Float32Array(0);
  #labelKey = '';
  #labelFor = -1;

  constructor(
    readonly sampler: ModelInputSampler,
    readonly episodePrefix: string,
    readonly calibration: string,
  ) {}

  /** The expert's goal configuration at `truth` (rad, joint order). */
  goalAt(truth: Readonly<ArmTruth>): Float64Array {
    const labeller = this.#setup(truth.world.description);
    const key = `${truth.episode}:${truth.tMs}`;
    if (truth.episode !== this.#labelFor) {
      labeller.reset();
      this.#labelFor = truth.episode;
    }
    if (key !== this.#labelKey) {
      labeller.goal(truth.world);
      this.#labelKey = key;
    }
    return labeller.goalQ;
  }

  add(rgb: Uint8Array, width: number, height: number, truth: Readonly<ArmTruth>): void {
    this.#setup(truth.world.description);
    checkFrameSize(this.sampler, width, height, this.calibration, 'E_ARM_COLLECT');
    const goal = this.goalAt(truth);
    const builder = this.#builder!;
    const episode = builder.episode(`${this.episodePrefix}-s${truth.spec.seed}`);
    const index = builder.count;
    const slot = builder.add(episode);
    this.sampler.sample(rgb, 3, slot.image);
    const scaling = this.#scaling;
    for (let j = 0; j < goal.length; j++) slot.targets[j] = (goal[j]! - scaling[j]!.offset) / scaling[j]!.scale;
    const n = this.#jointNames.length;
    if ((index + 1) * n > this.#states.length) {
      const grown = new Float32Array(this.#states.length * 2);
      grown.set(this.#states);
      this.#states = grown;
    }
    this.#states.set(truth.world.q, index * n);
    const tool = truth.world.toolPosition;
    this.frames.push({ episode: truth.episode, seed: truth.spec.seed, tMs: truth.tMs, toolM: [tool[0]!, tool[1]!, tool[2]!], goalRad: Array.from(goal) });
  }

  /** The dataset and its joint states (an empty one when no frame came). */
  build(arm: ArmDescription): { dataset: ImageDataset; states: Float32Array; stateNames: string[] } {
    this.#setup(arm);
    const dataset = this.#builder!.build();
    const stateNames = [...arm.jointNames];
    return { dataset, states: this.#states.slice(0, dataset.count * stateNames.length), stateNames };
  }

  #setup(arm: ArmDescription): ArmExpert {
    if (this.#labeller) return this.#labeller;
    const labeller = (this.#labeller = new ArmExpert(arm));
    this.#scaling = armActionScaling(arm);
    this.#jointNames = arm.jointNames;
    this.#builder = new ImageDatasetBuilder({ width: this.sampler.width, height: this.sampler.height, targetNames: this.#jointNames, capacity: 256 });
    this.#states = new Float32Array(256 * this.#jointNames.length);
    return labeller;
  }
}

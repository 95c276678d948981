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
import { loadConfig } from '../../core/config/load.js';
import type { PilotConfig } from '../../core/config/schema.js';
import type { ArmDescription } from '../../core/kinematics/index.js';
import type { Policy } from '../../runtime/policy/policy-session.js';
import type { TransportKind } from '../../transport/index.js';
import { PilotError } from '../../core/util/errors.js';
import { mulberry32 } from '../../core/util/prng.js';
import { ImageDatasetBuilder, type ImageDataset } from './image-dataset.js';
import { cameraInputOf, ModelInputSampler, readModelContract, type FieldScaling, type ModelInputSpec } from './model-input.js';
import { ArmExpert } from '../../../sim/index.js';
import { runArmSession, type ArmRunResult, type ArmTruth } from '../../../sim/index.js';
import { loadArmSimConfig, type ArmSimConfig } from '../../../sim/index.js';
import { parseTaskKind, type ArmTaskKind, type ArmTaskOptions, type PlacementSplit } from '../../../sim/index.js';

export type ArmCollectDriver =
  | { kind: 'expert' }
  | {
      kind: 'model';
      config: PilotConfig | string;
      modelPath?: string;
      /** Already created; stays open (the caller disposes it). */
      policy?: Policy;
      /** Probability per step that the expert's goal is executed instead of the policy's. Default 0. */
      beta?: number;
    };

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
  return arm.limits.map((l) => ({ scale: (l.upper - l.lower) / 2, offset: (l.upper + l.lower) / 2 }));
}

export async function collectArmEpisodes(o: ArmCollectOptions): Promise<ArmCollection> {
  const kind = parseTaskKind(o.task);
  const split = o.split ?? 'train';
  if ((split as string) === 'unseen') throw new PilotError('E_ARM_SPLIT', 'training data must not come from the unseen placements (split: train or any)');
  const d = o.driver;
  const beta = d.kind === 'model' ? d.beta ?? 0 : 0;
  if (!(beta >= 0 && beta <= 1)) throw new PilotError('E_ARM_COLLECT', `driver.beta: must be in [0, 1] (got ${beta})`);
  const sim = typeof o.sim === 'string' || o.sim === undefined ? loadArmSimConfig(o.sim) : o.sim;

  let input = o.input;
  let config: PilotConfig | undefined;
  if (d.kind === 'model') {
    config = typeof d.config === 'string' ? loadConfig(d.config) : d.config;
    if (!input) {
      const modelPath = d.modelPath ?? config.model.path;
      input = cameraInputOf(d.policy?.contract ?? readModelContract(modelPath), modelPath);
    }
  } else if (!input) {
    throw new PilotError('E_ARM_COLLECT', "an expert run has no model contract: pass 'input' (crop and size of the frames)");
  }
  const camera = loadCameraCalibration(sim.camera.calibration);
  const sampler = new ModelInputSampler(input!, camera);

  // The labeller: its own expert, asked once per step (the push expert keeps a phase between calls).
  let labeller: ArmExpert | undefined;
  let scaling: FieldScaling[] = [];
  let jointNames: readonly string[] = [];
  let builder: ImageDatasetBuilder | undefined;
  let states = new Float32Array(0);
  const frames: ArmCollectedFrame[] = [];
  let labelKey = '';
  let labelFor = -1;
  const labelAt = (truth: Readonly<ArmTruth>): Float64Array => {
    const key = `${truth.episode}:${truth.tMs}`;
    if (truth.episode !== labelFor) {
      labeller!.reset();
      labelFor = truth.episode;
    }
    if (key !== labelKey) {
      labeller!.goal(truth.world);
      labelKey = key;
    }
    return labeller!.goalQ;
  };
  const setup = (arm: ArmDescription) => {
    if (labeller) return;
    labeller = new ArmExpert(arm);
    scaling = armActionScaling(arm);
    jointNames = arm.jointNames;
    builder = new ImageDatasetBuilder({ width: sampler.width, height: sampler.height, targetNames: jointNames, capacity: 256 });
    states = new Float32Array(256 * jointNames.length);
  };

  const random = mulberry32(((o.seed ?? 1) ^ 0x0a4d5a) >>> 0);
  let expertSteps = 0;
  let driverSteps = 0;
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
    onFrame: (rgb, width, height, truth) => {
      setup(truth.world.description);
      if (width !== sampler.table.srcWidth || height !== sampler.table.srcHeight) {
        throw new PilotError('E_ARM_COLLECT', `camera frame is ${width}×${height}, the calibration ${sim.camera.calibration} says ${sampler.table.srcWidth}×${sampler.table.srcHeight}`);
      }
      const goal = labelAt(truth);
      const episode = builder!.episode(`arm-${kind}-s${truth.spec.seed}`);
      const index = builder!.count;
      const slot = builder!.add(episode);
      sampler.sample(rgb, 3, slot.image);
      for (let j = 0; j < goal.length; j++) slot.targets[j] = (goal[j]! - scaling[j]!.offset) / scaling[j]!.scale;
      const n = jointNames.length;
      if ((index + 1) * n > states.length) {
        const grown = new Float32Array(states.length * 2);
        grown.set(states);
        states = grown;
      }
      states.set(truth.world.q, index * n);
      const tool = truth.world.toolPosition;
      frames.push({ episode: truth.episode, seed: truth.spec.seed, tMs: truth.tMs, toolM: [tool[0]!, tool[1]!, tool[2]!], goalRad: Array.from(goal) });
    },
    ...(beta > 0
      ? {
          overrideCommand: (command: Float64Array, truth: Readonly<ArmTruth>) => {
            if (random() >= beta) {
              driverSteps++;
              return;
            }
            setup(truth.world.description);
            command.set(labelAt(truth));
            expertSteps++;
          },
        }
      : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.log ? { log: o.log } : {}),
  });
  const wallS = (performance.now() - wallStart) / 1000;
  const steps = run.episodes.reduce((s, e) => s + e.steps, 0);
  if (d.kind === 'expert') expertSteps = steps;
  else if (beta === 0) driverSteps = steps;
  if (!builder) setup(run.description);
  const dataset = builder!.build();
  const stateNames = [...run.description.jointNames];
  const finalStates = states.slice(0, dataset.count * stateNames.length);
  return {
    dataset: { ...dataset, states: finalStates, stateNames },
    states: finalStates,
    stateNames,
    frames,
    run,
    expertSteps,
    driverSteps,
    wallS,
    framesPerS: dataset.count / wallS,
  };
}

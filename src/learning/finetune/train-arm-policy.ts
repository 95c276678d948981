/**
 * `pilot train --profile arm`: an arm policy from demonstrations. Camera frame + joint state in,
 * joint position targets out (see arm-setup.ts for the conventions). The base is a backbone
 * (`pilot pretrain` or any backbone file: a fresh arm head is trained on it), an earlier arm policy
 * of the same arm (continual training), or `scratch`: a fresh backbone of a small architecture,
 * trained in full mode. Data are bags (camera + /joint_states + the joint command in force) or an
 * ImageDataset with states built in memory (the simulator's collector), so no bag round trip is needed.
 *
 * Augmentation is photometric only (brightness, contrast, colour, noise, blur, shadows): a horizontal
 * flip is not a symmetry of an arm task unless joint labels are mirrored too, a lateral shift has no
 * meaningful joint correction, and an occluding patch can hide the very object the label depends on.
 *
 * The written model carries an 'arm' contract checked against the arm description and passes the
 * runtime's own loader before it replaces anything.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { armDatasetFromBags, formatArmDatasetReport, type ArmDatasetSpec } from '../dataset/arm-from-bags.js';
import { checkDataset, concatDatasets, splitByEpisode, type ImageDataset } from '../dataset/dataset.js';
import { loadArmDescription, type ArmDescription } from '../../core/kinematics/index.js';
import { CONTRACT_METADATA_KEY, parseContract, type CameraContractInput, type ModelContract } from '../../runtime/policy/contract.js';
import { readOnnxInfo } from '../../core/onnx/onnx-read.js';
import {
  exportArmPolicyOnnx,
  initTrainingBackend,
  loadNetwork,
  Network,
  readNetworkOnnx,
  type AugmentFn,
  type BackboneArchitecture,
  type CameraPreprocessing,
  type NetworkArchitecture,
  type SavedNetwork,
  type TrainMode,
  type TrainProgress,
} from '../train/index.js';
import { PilotError } from '../../core/util/errors.js';
import { ARM_CAMERA, armBackbone, armFields, armPolicyHead, checkArmContract } from './arm-setup.js';
import { cameraContractInput } from './driving-setup.js';
import { heldOutError, type HeldOutError } from './held-out.js';
import { datasetAugmenter, fitStage, howTrained, installTrained, type FitSettings } from './trainer-steps.js';
import { recordHeader, sha256Bytes, type StageRecord, type TrainingRecord } from './training-record.js';

/** `base: SCRATCH`: a fresh backbone instead of a file. */
import { SCRATCH } from './driving-setup.js';

export { SCRATCH };

export interface TrainArmPolicyOptions {
  readonly out: string;
  /** The arm description (calibration/arm.yaml) or one already loaded. */
  readonly arm: string | ArmDescription;
  /** A backbone or arm policy file, or 'scratch'. */
  readonly base: string;
  /** Bags to read (camera, joint states, joint commands). */
  readonly data?: readonly string[];
  /**
   * Frames built in memory instead of (or besides) bags: frames at the network input size, targets =
   * joint targets in raw space (`jointTargetsToRaw(armFields(arm), …)`), states = joint positions
   * (rad), targetNames = stateNames = the arm's joint names. Split by episode like bag data.
   */
  readonly dataset?: ImageDataset;
  /** A validation set of the same kind; default: a split of the data by episode. */
  readonly validation?: ImageDataset;
  /** Default 'head' on a file base; 'scratch' trains in 'full' mode only. */
  readonly mode?: TrainMode;
  readonly partialLayers?: number;
  readonly epochs: number;
  readonly batchSize?: number;
  readonly learningRate?: number;
  readonly patience?: number;
  readonly seed: number;
  /** `scratch`: the backbone (default armBackbone('small')) and camera preprocessing (default ARM_CAMERA). */
  readonly scratch?: { readonly backbone?: BackboneArchitecture; readonly camera?: CameraPreprocessing };
  /** Hidden widths of a fresh head (default [64]). */
  readonly hidden?: readonly number[];
  readonly latencyMs?: number;
  readonly cameraTopic?: string;
  readonly jointStateTopic?: string;
  readonly commandTopic?: string;
  readonly maxStateAgeMs?: number;
  readonly validationFraction?: number;
  /** Photometric augmentation (default on). */
  readonly augment?: boolean;
  /** Head mode: augmented copies of each frame. */
  readonly copies?: number;
  readonly command: string;
  readonly log?: (line: string) => void;
  readonly onProgress?: (p: TrainProgress, stage: string) => void;
  readonly signal?: AbortSignal;
}

export interface TrainArmPolicySummary {
  readonly out: string;
  readonly card: string;
  readonly sha256: string;
  readonly contract: ModelContract;
  readonly record: TrainingRecord;
  /** Validation error per joint (rad); frames 0 without a validation set. */
  readonly validation: HeldOutError;
}

/** Brightness, contrast, colour, noise, blur, shadows; no flip, shift or occluders (see the module comment). */
export function armAugmenter(ds: { readonly height: number; readonly width: number; readonly targetNames: readonly string[] }): AugmentFn {
  return datasetAugmenter(ds, { flip: { p: 0 }, shift: { p: 0 }, occlusion: { p: 0 } });
}

interface Base {
  readonly network: Network;
  readonly camera: CameraPreprocessing;
  readonly architecture: NetworkArchitecture;
  readonly kind: 'scratch' | 'backbone' | 'policy';
  readonly record?: { readonly path: string; readonly sha256: string; readonly kind: string };
}

export async function runTrainArmPolicy(o: TrainArmPolicyOptions): Promise<TrainArmPolicySummary> {
  const log = o.log ?? (() => {});
  const data = o.data ?? [];
  if (data.length === 0 && !o.dataset) throw new PilotError('E_TRAIN_DATA', 'pilot train --profile arm needs --data <bag...> (or an in-memory dataset)');
  const arm = typeof o.arm === 'string' ? loadArmDescription(o.arm) : o.arm;
  const scratch = o.base === SCRATCH;
  const mode: TrainMode = o.mode ?? (scratch ? 'full' : 'head');
  if (scratch && mode !== 'full') {
    throw new PilotError('E_TRAIN_OPTIONS', `--base scratch starts from random weights: only --mode full trains the backbone (got --mode ${mode})`);
  }

  // Read the base first: its camera preprocessing and input size decide how frames are sampled.
  const saved = scratch ? undefined : readBase(o.base, arm);
  const camera = saved ? cameraOf(saved) : (o.scratch?.camera ?? ARM_CAMERA);
  const backbone = saved ? saved.network.metadata.backbone : (o.scratch?.backbone ?? armBackbone('small'));
  const frames = await readArmData(o, arm, backbone, cameraContractInput(backbone, camera), log);

  await initTrainingBackend();
  const base = openBase(o, arm, saved, camera, backbone);
  try {
    return await trainArm(o, { arm, mode, scratch, camera, base, frames, log });
  } finally {
    base.network.dispose();
  }
}

/** The frames to train and validate on, and notes on how they were split. */
interface ArmFrames {
  readonly train: ImageDataset;
  readonly validation: ImageDataset | undefined;
  readonly notes: string[];
}

/** Bags and in-memory frames, split by episode unless a validation set is given. */
async function readArmData(o: TrainArmPolicyOptions, arm: ArmDescription, backbone: BackboneArchitecture, input: CameraContractInput, log: (line: string) => void): Promise<ArmFrames> {
  const data = o.data ?? [];
  const joints = arm.jointNames;
  const notes: string[] = [];
  const parts: ImageDataset[] = [];
  if (data.length > 0) {
    const spec: ArmDatasetSpec = { input, fields: armFields(arm), stateNames: joints };
    const { dataset, report } = await armDatasetFromBags([...data], {
      spec,
      ...(o.latencyMs !== undefined ? { latencyMs: o.latencyMs } : {}),
      ...(o.cameraTopic ? { cameraTopic: o.cameraTopic } : {}),
      ...(o.jointStateTopic ? { jointStateTopic: o.jointStateTopic } : {}),
      ...(o.commandTopic ? { commandTopic: o.commandTopic } : {}),
      ...(o.maxStateAgeMs !== undefined ? { maxStateAgeMs: o.maxStateAgeMs } : {}),
      log,
    });
    log(`train: data:\n${formatArmDatasetReport(report)}`);
    parts.push(dataset);
  }
  if (o.dataset) {
    parts.push(checkArmDataset(o.dataset, 'dataset', joints, backbone));
    log(`train: in-memory dataset: ${o.dataset.count} frames in ${new Set(o.dataset.episodes).size} episode(s), ${o.dataset.width}x${o.dataset.height}`);
  }
  const all = parts.length === 1 ? parts[0]! : concatDatasets(parts);
  if (o.validation) {
    const validation = checkArmDataset(o.validation, 'validation dataset', joints, backbone);
    notes.push(`Validation: a separate set of ${validation.count} frames (${new Set(validation.episodeNames).size} episode(s)).`);
    return { train: all, validation, notes };
  }
  const split = splitByEpisode(all, { validationFraction: o.validationFraction ?? 0.2, seed: o.seed });
  notes.push(`Split: ${split.note}`);
  return { train: split.train, validation: split.validation, notes };
}

interface ArmRun {
  readonly arm: ArmDescription;
  readonly mode: TrainMode;
  readonly scratch: boolean;
  readonly camera: CameraPreprocessing;
  readonly base: Base;
  readonly frames: ArmFrames;
  readonly log: (line: string) => void;
}

/** One stage, the validation error per joint, then the model exported, checked against the arm and installed. */
async function trainArm(o: TrainArmPolicyOptions, r: ArmRun): Promise<TrainArmPolicySummary> {
  const { arm, mode, scratch, camera, base, log } = r;
  const { train, validation } = r.frames;
  const net = base.network;
  const joints = arm.jointNames;
  const stage = `${scratch ? 'from scratch' : `fine-tune (${mode})`} on ${(o.data ?? []).length} bag(s)${o.dataset ? ` + ${o.dataset.count} in-memory frames` : ''}`;
  const settings: FitSettings = {
    mode,
    partialLayers: o.partialLayers,
    epochs: o.epochs,
    batchSize: o.batchSize,
    learningRate: o.learningRate,
    patience: o.patience ?? 4,
    seed: o.seed,
    normalize: camera.normalize,
    ...(o.augment === false ? {} : { augment: armAugmenter(train), copies: o.copies }),
    ...(o.onProgress ? { onProgress: (p: TrainProgress) => o.onProgress!(p, stage) } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  };
  const stages: StageRecord[] = [await fitStage(net, stage, { train, validation }, settings, log)];

  const valError = validation && validation.count > 0 ? heldOutError(net, validation, camera.normalize, armFields(arm)) : { frames: 0, rawMse: NaN, mae: {} };
  const metrics: Record<string, number> = {};
  for (const [k, v] of Object.entries(valError.mae)) metrics[`validation MAE ${k} (rad)`] = v;
  if (valError.frames > 0) metrics['validation MAE mean over joints (rad)'] = Object.values(valError.mae).reduce((a, b) => a + b, 0) / joints.length;

  const record = armRecord(o, r, stages, metrics);
  const id = basename(o.out).replace(/\.onnx$/i, '');
  const { bytes, contract } = exportArmPolicyOnnx(net, { id, camera, joints: arm.limits, provenance: record as unknown as Record<string, unknown> });
  checkArmContract(contract, arm, `policy '${id}'`);
  const how = howTrained(scratch ? 'trained from scratch (every weight, fresh small backbone)' : undefined, { path: o.base, kind: base.kind }, mode, o.partialLayers);
  const { sha256: sha, card } = await installTrained(
    bytes,
    o.out,
    {
      id: contract.id,
      kind: 'policy',
      summary:
        `**An arm policy made by this project** by imitation learning, ${how}: camera frame and joint state (${joints.join(', ')}; rad) in, absolute joint position targets out ` +
        `(tanh mapped to each joint's limits in ${arm.source}). The runtime's safety layer limits velocity, acceleration and workspace on top. Evaluate it with \`pilot arm --model ${o.out}\` before use.`,
      architecture: base.architecture,
      parameters: net.parameterCount,
      record,
      contract,
      rebuild: o.command,
    },
    { verifyWithRuntime: true, tool: 'train', log },
  );
  return { out: o.out, card, sha256: sha, contract, record, validation: valError };
}

function armRecord(o: TrainArmPolicyOptions, r: ArmRun, stages: StageRecord[], metrics: Record<string, number>): TrainingRecord {
  const data = o.data ?? [];
  const { arm, base } = r;
  const { train, validation, notes } = r.frames;
  return {
    ...recordHeader('pilot train --profile arm', o.command, o.seed),
    data: {
      description:
        `Arm demonstrations: ${data.length} bag(s)${o.dataset ? `${data.length ? ' and ' : ''}${o.dataset.count} frames collected in memory` : ''}. ` +
        `Each camera frame is paired with the latest joint state (by joint name) and the joint command in force${o.latencyMs ? ` ${o.latencyMs} ms later` : ''}; ` +
        `labels are the commanded joint positions scaled to each joint's limits (raw tanh space), states are joint positions in rad.`,
      trainFrames: train.count,
      validationFrames: validation?.count ?? 0,
      trainEpisodes: [...new Set([...train.episodes].map((e) => train.episodeNames[e]!))],
      validationEpisodes: validation ? [...new Set([...validation.episodes].map((e) => validation.episodeNames[e]!))] : [],
      sources: data.map((p) => ({ path: p })),
      targets: [...train.targetNames],
      notes: [...notes, `Arm: ${arm.source} (${arm.jointNames.join(', ')}).`],
    },
    stages,
    augmentation: o.augment === false ? 'none' : 'brightness, contrast, colour, noise, blur, shadows (photometric only: no flip, shift or occluders for arms)',
    ...(base.record ? { base: base.record } : {}),
    metrics,
    extra: r.scratch ? { 'scratch backbone': base.architecture.backbone } : {},
  };
}

interface SavedBase {
  readonly network: SavedNetwork;
  readonly bytes: Uint8Array;
}

/** The base file, checked against the arm: a backbone, or an arm policy of exactly this arm. */
function readBase(path: string, arm: ArmDescription): SavedBase {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new PilotError('E_BASE_MODEL', `cannot read --base ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} (or give --base ${SCRATCH} to train a fresh backbone)`);
  }
  const network = readNetworkOnnx(bytes, path);
  const { kind, head } = network.metadata;
  if (kind === 'pretrain') throw new PilotError('E_BASE_MODEL', `${path} is a pretraining network; use the backbone \`pilot pretrain\` wrote, an arm policy, or --base ${SCRATCH}`);
  if (kind === 'policy') {
    const joints = arm.jointNames.join(', ');
    if ((head?.outputs ?? []).join(', ') !== joints) throw new PilotError('E_BASE_MODEL', `${path}: policy outputs [${head?.outputs.join(', ')}] are not the arm's joints [${joints}] (${arm.source})`);
    if ((head?.state?.names ?? []).join(', ') !== joints) throw new PilotError('E_BASE_MODEL', `${path}: policy state input [${head?.state?.names.join(', ') ?? 'none'}] is not the arm's joints [${joints}] (${arm.source})`);
    const info = readOnnxInfo(bytes, path);
    checkArmContract(parseContract(info.metadata[CONTRACT_METADATA_KEY], path), arm, path);
  }
  return { network, bytes };
}

function cameraOf(saved: SavedBase): CameraPreprocessing {
  const i = saved.network.metadata.input;
  return { color: i.color, normalize: i.normalize, crop: i.crop, undistort: i.undistort };
}

function openBase(o: TrainArmPolicyOptions, arm: ArmDescription, saved: SavedBase | undefined, camera: CameraPreprocessing, backbone: BackboneArchitecture): Base {
  if (!saved) {
    const architecture = { backbone, head: armPolicyHead(arm, o.hidden) };
    return { network: new Network(architecture, { seed: o.seed }), camera, architecture, kind: 'scratch' };
  }
  const { kind } = saved.network.metadata;
  const record = { path: o.base, sha256: sha256Bytes(saved.bytes), kind };
  if (kind === 'backbone') {
    const head = armPolicyHead(arm, o.hidden);
    return { network: loadNetwork(saved.network, o.base, { head, seed: o.seed }), camera, architecture: { backbone, head }, kind: 'backbone', record };
  }
  const network = loadNetwork(saved.network, o.base);
  return { network, camera, architecture: network.architecture, kind: 'policy', record };
}

/** An in-memory dataset must already be what the network eats: its input size, the joints as targets and states. */
function checkArmDataset(ds: ImageDataset, what: string, joints: readonly string[], backbone: BackboneArchitecture): ImageDataset {
  checkDataset(ds, what);
  const fail = (problem: string): never => {
    throw new PilotError('E_TRAIN_DATA', `${what}: ${problem}`);
  };
  const { height, width } = backbone.input;
  if (ds.height !== height || ds.width !== width) fail(`frames are ${ds.width}x${ds.height}, the network input is ${width}x${height}`);
  if (ds.targetNames.join(', ') !== joints.join(', ')) fail(`targets [${ds.targetNames.join(', ')}] are not the arm's joints [${joints.join(', ')}]`);
  if (!ds.states || !ds.stateNames) fail(`no joint states (an arm policy takes the joint state [${joints.join(', ')}] as input)`);
  if (ds.stateNames!.join(', ') !== joints.join(', ')) fail(`states [${ds.stateNames!.join(', ')}] are not the arm's joints [${joints.join(', ')}]`);
  if (ds.count === 0) fail('no frames');
  return ds;
}

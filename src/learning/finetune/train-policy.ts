/**
 * `pilot train`: a driving policy by imitation learning. The base is a backbone from `pilot pretrain`
 * (the simulator path: head-only fine-tuning), an earlier policy (continual learning), or `scratch`
 * (real logs: a network sized for the data's frames, trained in full with an L1 loss). Data are bags
 * (sim recordings, real bags, imported DonkeyCar/Udacity logs) split by time per bag into train,
 * validation and held-out blocks with gaps; earlier bags can be rehearsed and DAgger rounds driven in
 * the simulator. The policy is scored against the trivial baselines (training mean, zero), their
 * means are stored in the model, and it is checked by the runtime's own loader before it is written.
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { loadSimConfig } from '../../../sim/index.js';
import { loadVehicleCalibration } from '../../core/calibration/vehicle.js';
import { steeringBalance } from '../dataset/balance.js';
import type { ImageDataset } from '../dataset/dataset.js';
import type { DatasetTargetSpec } from '../dataset/from-bags.js';
import { DEFAULT_GAP_FRAMES } from '../dataset/time-split.js';
import { BASELINES_METADATA_KEY, type TrainingBaselines } from '../../data/replay/baselines.js';
import { DEFAULT_DRIVING_GATE, GATE_METADATA_KEY, type EvalGate } from '../../runtime/policy/eval-gate.js';
import type { ContractOutputField } from '../../runtime/policy/contract.js';
import { exportPolicyOnnx, initTrainingBackend, type AugmentFn, type Network, type TrainLoss, type TrainMode, type TrainProgress } from '../train/index.js';
import { PilotError } from '../../core/util/errors.js';
import { cameraContractInput, drivingFields, SCRATCH } from './driving-setup.js';
import { errorFromPredictions, heldOutError, predictRaw, trainingMeans, type HeldOutError } from './held-out.js';
import { withMetadata } from './onnx-metadata.js';
import { loadPolicyBase, type PolicyBase, type ScratchShape } from './policy-base.js';
import { readPolicyData } from './policy-data.js';
import { runDaggerRounds, type DaggerOptions } from './policy-dagger.js';
import { formatScores, scoreMetrics, scorePolicy, type PolicyScores, type PredictedSet } from './policy-scores.js';
import { datasetAugmenter, fitStage, howTrained, installTrained, type FitSettings } from './trainer-steps.js';
import { recordHeader, type StageRecord, type TrainingRecord } from './training-record.js';
import { checkChunkSpec, chunkFields, chunkTargetNames, describeChunk, type ChunkSpec } from '../export/chunk-fields.js';
import { chunkAugmentOptions, chunkNotes, firstStep, firstStepRaw, laterStepMetrics } from './chunk-training.js';

export type { DaggerOptions } from './policy-dagger.js';

export interface TrainPolicyOptions {
  readonly out: string;
  readonly data: readonly string[];
  /** A backbone or policy file, or 'scratch'. */
  readonly base: string;
  /** Default: 'full' for a real-camera network (see realCamera), 'head' on a backbone. */
  readonly mode?: TrainMode;
  readonly partialLayers?: number;
  /** Default 30; a real-camera network: enough epochs for ≈ 60,000 samples (8..30), so 5,000 frames train in minutes. */
  readonly epochs?: number;
  readonly batchSize?: number;
  readonly learningRate?: number;
  readonly patience?: number;
  readonly seed: number;
  readonly latencyMs?: number;
  readonly cameraTopic?: string;
  readonly commandTopic?: string;
  /** Share of each bag (before the held-out block) for validation: picks the epoch. Default 0.2. */
  readonly validationFraction?: number;
  /** Share at the end of each bag never trained on, scored against the baselines. Default 0. */
  readonly holdoutFraction?: number;
  /** Frames dropped between the train, validation and held-out blocks. Default 20. */
  readonly gapFrames?: number;
  /** Default 'l1' for a real-camera network (MAE is what real logs are graded on), else 'mse'. */
  readonly loss?: TrainLoss;
  readonly augment?: boolean;
  /** Probability of a horizontal flip (steering negated) per training frame. Default 0.5. */
  readonly flip?: number;
  /** Head mode: augmented copies of each frame. */
  readonly copies?: number;
  /** Steering-balanced sample weights. Default off for a real-camera network, else on. */
  readonly balance?: boolean;
  /** Scratch only: network input size and crop (default: from the data's frames). */
  readonly scratch?: ScratchShape;
  /** Earlier bags rehearsed while learning the new ones; forgetting is measured on their held-out frames. */
  readonly rehearse?: readonly string[];
  /** Earlier bags whose held-out frames measure forgetting without being rehearsed (ignored with `rehearse`). */
  readonly earlier?: readonly string[];
  readonly dagger?: DaggerOptions;
  readonly simConfig?: string;
  /** Runtime config the DAgger drives use (default launch/drive.yaml). */
  readonly runtimeConfig?: string;
  readonly gate?: EvalGate;
  /**
   * A chunked policy: the head predicts `steps` actions `step_ms` apart (the commands in force at the
   * frame's time + latency + i·step_ms); exported as [1, steps, 2] with the contract's chunk.
   */
  readonly chunk?: ChunkSpec;
  readonly command: string;
  readonly log?: (line: string) => void;
  readonly onProgress?: (p: TrainProgress, stage: string) => void;
  readonly signal?: AbortSignal;
}

export interface TrainPolicySummary {
  readonly out: string;
  readonly card: string;
  readonly sha256: string;
  readonly record: TrainingRecord;
  readonly validation: HeldOutError;
  readonly scores: PolicyScores;
  readonly baselines: TrainingBaselines;
  readonly forgetting?: { readonly before: HeldOutError; readonly after: HeldOutError };
}

/** Real cameras: exposure, contrast, colour, noise, blur and shadows; no synthetic occluders or view shifts. */
function augmenter(ds: ImageDataset, realCam: boolean, flipP: number, chunk: ChunkSpec | undefined): AugmentFn {
  const options = { flip: { p: flipP }, ...(realCam ? { occlusion: { p: 0 }, shift: { p: 0 } } : {}) };
  return datasetAugmenter(ds, chunk ? chunkAugmentOptions(chunk, options) : options);
}

function augmentationText(o: TrainPolicyOptions, realCam: boolean, balance: boolean): string {
  if (o.augment === false) return balance ? 'none; steering-balanced sample weights' : 'none';
  const flip = `horizontal flip p ${o.flip ?? 0.5} (steering negated)`;
  const kinds = realCam ? `brightness, contrast, colour, noise, blur, shadows, ${flip}` : `brightness, contrast, colour, noise, blur, occluders, shadows, ${flip}, lateral shift (steering corrected)`;
  return kinds + (balance ? '; steering-balanced sample weights' : '');
}

export async function runTrainPolicy(o: TrainPolicyOptions): Promise<TrainPolicySummary> {
  const log = o.log ?? (() => {});
  if (o.data.length === 0 && !o.dagger) throw new PilotError('E_TRAIN_DATA', 'pilot train needs --data <bag...> (or --dagger rounds in the simulator)');
  const sim = loadSimConfig(o.simConfig);
  const vehicle = loadVehicleCalibration(sim.vehicle.calibration);
  const fields = drivingFields(vehicle);
  const chunk = o.chunk ? checkChunkSpec(o.chunk, '--chunk-steps/--chunk-step-ms') : undefined;
  const outputs = fields.map((f) => f.name);
  const base = await loadPolicyBase(o.base, o.data[0], o.cameraTopic, o.scratch, chunk ? chunkTargetNames(outputs, chunk) : outputs);
  const scratch = base.kind === 'scratch';
  const mode: TrainMode = o.mode ?? (realCamera(base) ? 'full' : 'head');
  if (scratch && mode !== 'full') throw new PilotError('E_TRAIN_OPTIONS', `--base ${SCRATCH} starts from random weights: only --mode full trains the backbone (got --mode ${mode})`);
  if (base.note) log(`train: ${base.note}`);
  const spec: DatasetTargetSpec = { input: cameraContractInput(base.backbone, base.camera), fields };
  const data = await readPolicyData({
    data: o.data,
    ...(o.rehearse ? { rehearse: o.rehearse } : {}),
    ...(o.earlier ? { earlier: o.earlier } : {}),
    spec,
    validationFraction: o.validationFraction ?? 0.2,
    holdoutFraction: o.holdoutFraction ?? 0,
    gapFrames: o.gapFrames ?? DEFAULT_GAP_FRAMES,
    ...(o.latencyMs !== undefined ? { latencyMs: o.latencyMs } : {}),
    ...(o.cameraTopic ? { cameraTopic: o.cameraTopic } : {}),
    ...(o.commandTopic ? { commandTopic: o.commandTopic } : {}),
    wheelbaseM: vehicle.wheelbase_m,
    ...(chunk ? { chunk } : {}),
    log,
  });
  await initTrainingBackend();
  const net = base.create(o.seed);
  const tmp = join(tmpdir(), `pilot-train-${process.pid}-${Date.now()}.onnx`);
  try {
    return await trainAndInstall(o, { base, net, fields, mode, data, sim, vehicle, tmp, log });
  } finally {
    rmSync(tmp, { force: true });
    net.dispose();
  }
}

interface Run {
  readonly base: PolicyBase;
  readonly net: Network;
  readonly fields: readonly ContractOutputField[];
  readonly mode: TrainMode;
  readonly data: Awaited<ReturnType<typeof readPolicyData>>;
  readonly sim: ReturnType<typeof loadSimConfig>;
  readonly vehicle: ReturnType<typeof loadVehicleCalibration>;
  readonly tmp: string;
  readonly log: (line: string) => void;
}

/** Samples a real-camera network sees at most by default (epochs × training frames). */
export const SAMPLE_BUDGET = 60_000;

/** Epochs for ≈ SAMPLE_BUDGET samples, 8..30. */
export function autoEpochs(trainFrames: number): number {
  return Math.min(30, Math.max(8, Math.round(SAMPLE_BUDGET / Math.max(1, trainFrames))));
}

/**
 * A network made for real cameras: trained from scratch here, or a policy that was (its linear head
 * says so). Its defaults: full training, L1 loss, no steering balance, real-camera augmentation.
 */
function realCamera(base: PolicyBase): boolean {
  return base.kind === 'scratch' || (base.kind === 'policy' && base.head.outputActivation === 'linear');
}

async function trainAndInstall(o: TrainPolicyOptions, r: Run): Promise<TrainPolicySummary> {
  const { base, net, fields, mode, log } = r;
  const realCam = realCamera(base);
  const normalize = base.camera.normalize;
  const balance = o.balance ?? !realCam;
  const stages: StageRecord[] = [];
  const before = r.data.earlier ? heldOutError(net, r.data.earlier, normalize, labelFields(fields, o.chunk)) : undefined;
  const fit = async (stage: string, epochs: number, train: ImageDataset, val: ImageDataset | undefined): Promise<void> => {
    const weights = balance ? steeringBalance(train).weights : undefined;
    const settings: FitSettings = {
      mode,
      partialLayers: o.partialLayers,
      epochs,
      batchSize: o.batchSize,
      learningRate: o.learningRate,
      patience: o.patience ?? (realCam ? 6 : 4),
      seed: o.seed + stages.length,
      normalize,
      loss: o.loss ?? (realCam ? 'l1' : 'mse'),
      ...(o.augment === false ? {} : { augment: augmenter(train, realCam, o.flip ?? 0.5, o.chunk), copies: o.copies }),
      ...(o.onProgress ? { onProgress: (p: TrainProgress) => o.onProgress!(p, stage) } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    };
    stages.push(await fitStage(net, stage, { train, ...(weights ? { weights } : {}), validation: val }, settings, log));
  };
  let { train, validation } = r.data;
  const notes = [...r.data.notes];
  if (train) {
    const epochs = o.epochs ?? (realCam ? autoEpochs(train.count) : 30);
    if (o.epochs === undefined && realCam) log(`train: ${epochs} epochs at most (≈ ${SAMPLE_BUDGET} samples over ${train.count} training frames; --epochs to choose)`);
    await fit(`${base.kind === 'scratch' ? 'from scratch' : `fine-tune (${mode})`} on ${o.data.length + (o.rehearse?.length ?? 0)} bag(s)`, epochs, train, validation);
  }
  let daggerRounds: unknown[] = [];
  if (o.dagger && o.dagger.iterations > 0) {
    const exportCurrent = () => exportPolicy(net, basename(o.out), base, r.vehicle, {}, o.chunk).bytes;
    const d = await runDaggerRounds(
      { options: o.dagger, sim: r.sim, ...(o.runtimeConfig ? { runtimeConfig: o.runtimeConfig } : {}), seed: o.seed, exportCurrent, tmpPath: r.tmp, fit, log, ...(o.signal ? { signal: o.signal } : {}), ...(o.chunk ? { chunk: o.chunk } : {}) },
      { train, validation },
    );
    ({ train, validation } = d);
    daggerRounds = d.rounds;
    notes.push(d.note);
  }
  if (!train) throw new PilotError('E_TRAIN_DATA', 'no training data');
  return finish(o, r, { train, validation, notes, stages, daggerRounds, before, balance });
}

interface Trained {
  readonly train: ImageDataset;
  readonly validation: ImageDataset | undefined;
  readonly notes: readonly string[];
  readonly stages: readonly StageRecord[];
  readonly daggerRounds: readonly unknown[];
  readonly before: HeldOutError | undefined;
  readonly balance: boolean;
}

async function finish(o: TrainPolicyOptions, r: Run, t: Trained): Promise<TrainPolicySummary> {
  const { base, net, fields, log } = r;
  const normalize = base.camera.normalize;
  // A chunk is graded on its first action (the contract's fields, by name), its later steps below.
  const k = fields.length;
  const means = trainingMeans(firstStep(t.train, k), fields);
  const baselines: TrainingBaselines = { version: 1, train_frames: t.train.count, constant_mean: means };
  // Each set is run through the network once: the scores and the validation error share the predictions.
  const predicted = (ds: ImageDataset | undefined): PredictedSet | undefined => (ds && ds.count > 0 ? { ds, raw: predictRaw(net, ds, normalize) } : undefined);
  const first = (set: PredictedSet | undefined): PredictedSet | undefined => set && { ds: firstStep(set.ds, k), raw: firstStepRaw(set.raw, set.ds.targetNames.length, k) };
  const chunkValidation = predicted(t.validation);
  const validation = first(chunkValidation);
  const scores = scorePolicy({ validation, holdout: first(predicted(r.data.holdout)) }, fields, means);
  for (const line of formatScores(scores)) log(line);
  const valError = validation ? errorFromPredictions(validation.raw, validation.ds, fields) : { frames: 0, rawMse: NaN, mae: {} };
  const after = r.data.earlier ? heldOutError(net, r.data.earlier, normalize, labelFields(fields, o.chunk)) : undefined;
  const units = Object.fromEntries(fields.map((f) => [f.name, f.unit]));
  const metrics: Record<string, number> = scoreMetrics(scores, units);
  if (o.chunk && chunkValidation) Object.assign(metrics, laterStepMetrics(chunkValidation.raw, chunkValidation.ds, fields, o.chunk));
  if (t.before && after) {
    for (const [k, v] of Object.entries(after.mae)) {
      metrics[`earlier-data MAE ${k} before`] = t.before.mae[k]!;
      metrics[`earlier-data MAE ${k} after`] = v;
    }
    log(`train: forgetting on the earlier data's ${after.frames} frames: steering MAE ${t.before.mae['steering_angle']!.toFixed(4)} → ${after.mae['steering_angle']!.toFixed(4)} rad`);
  }
  const record = trainingRecord(o, r, t, metrics, { baselines, scores });
  const gate = o.gate ?? DEFAULT_DRIVING_GATE;
  const { bytes, contract } = exportPolicy(net, basename(o.out), base, r.vehicle, record as unknown as Record<string, unknown>, o.chunk, gate, baselines);
  const how = howTrained(base.kind === 'scratch' ? 'trained from scratch (every weight) on real-camera-sized input' : undefined, { path: o.base, kind: base.kind }, r.mode, o.partialLayers);
  const { sha256: sha, card } = await installTrained(
    bytes,
    o.out,
    {
      id: contract.id,
      kind: 'policy',
      summary: `**A driving policy ${how}** by imitation learning: camera frame in, ${o.chunk ? `a chunk of ${describeChunk(o.chunk)} of steering angle and speed out (the action for the frame's time and the ones after it)` : 'steering angle and speed out'}. Deploy it only after \`pilot eval\` passes (its gate is below).`,
      architecture: { backbone: base.backbone, head: base.head },
      parameters: net.parameterCount,
      record,
      contract,
      gate,
      rebuild: o.command,
    },
    { verifyWithRuntime: true, tool: 'train', log },
  );
  return { out: o.out, card, sha256: sha, record, validation: valError, scores, baselines, ...(t.before && after ? { forgetting: { before: t.before, after } } : {}) };
}

function trainingRecord(o: TrainPolicyOptions, r: Run, t: Trained, metrics: Record<string, number>, extra: { baselines: TrainingBaselines; scores: PolicyScores }): TrainingRecord {
  return {
    ...recordHeader('pilot train', o.command, o.seed),
    data: {
      description: `Demonstrations: ${o.data.length} bag(s)${o.rehearse?.length ? `, ${o.rehearse.length} rehearsed earlier bag(s)` : ''}${o.dagger?.iterations ? `, and ${o.dagger.iterations} DAgger round(s) in the simulator` : ''}. Each camera frame is paired with ${o.chunk ? `the commands in force over the next ${o.chunk.steps} steps of ${o.chunk.step_ms} ms` : 'the command in force'}${o.latencyMs ? ` ${o.latencyMs} ms later` : ''}; labels are scaled to the contract's raw range.`,
      trainFrames: t.train.count,
      validationFrames: t.validation?.count ?? 0,
      trainEpisodes: [...new Set(t.train.episodeNames)],
      validationEpisodes: t.validation ? [...new Set(t.validation.episodeNames)] : [],
      sources: [...o.data, ...(o.rehearse ?? [])].map((p) => ({ path: p })),
      ...(o.earlier?.length && !o.rehearse?.length ? { measuredOnly: o.earlier } : {}),
      targets: [...t.train.targetNames],
      notes: [...(o.chunk ? chunkNotes(o.chunk, o.latencyMs ?? 0) : []), ...t.notes, ...(r.base.note ? [r.base.note] : [])],
    },
    stages: t.stages,
    augmentation: augmentationText(o, realCamera(r.base), t.balance),
    ...(r.base.sha256 ? { base: { path: o.base, sha256: r.base.sha256, kind: r.base.kind } } : { base: { path: SCRATCH, sha256: '', kind: 'scratch' } }),
    metrics,
    extra: {
      baselines: extra.baselines,
      'held-out comparison': extra.scores.holdout,
      'validation comparison': extra.scores.validation,
      ...(extra.scores.warnings.length > 0 ? { warnings: extra.scores.warnings } : {}),
      ...(t.daggerRounds.length > 0 ? { 'DAgger rounds': t.daggerRounds } : {}),
    },
  };
}

function exportPolicy(
  net: Network,
  file: string,
  base: PolicyBase,
  vehicle: { max_steering_angle_rad: number; max_speed_mps: number },
  provenance: Record<string, unknown>,
  chunk: ChunkSpec | undefined,
  gate?: EvalGate,
  baselines?: TrainingBaselines,
): ReturnType<typeof exportPolicyOnnx> {
  const exported = exportPolicyOnnx(net, { id: file.replace(/\.onnx$/i, ''), camera: base.camera, maxSteeringRad: vehicle.max_steering_angle_rad, maxSpeedMps: vehicle.max_speed_mps, provenance, ...(chunk ? { chunk } : {}) });
  const entries: Record<string, string> = {};
  if (gate) entries[GATE_METADATA_KEY] = JSON.stringify(gate);
  if (baselines) entries[BASELINES_METADATA_KEY] = JSON.stringify(baselines);
  const bytes = Object.keys(entries).length > 0 ? withMetadata(exported.bytes, entries) : exported.bytes;
  return { ...exported, bytes };
}

/** The label fields: the contract's, or for a chunk the same fields at every step (chunkFields). */
function labelFields(fields: readonly ContractOutputField[], chunk: ChunkSpec | undefined): readonly ContractOutputField[] {
  return chunk ? chunkFields(fields, chunk) : fields;
}

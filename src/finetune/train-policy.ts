/**
 * `pilot train`: fine-tunes a driving policy on demonstrations. A base model (a backbone from
 * `pilot pretrain`, or an earlier policy for continual learning) gets the driving head; the data are
 * bags (sim recordings, real bags, imported DonkeyCar/Udacity logs), optionally with rehearsal of
 * earlier bags and DAgger rounds in the simulator. The written model carries the runtime's contract
 * and its evaluation gate, and is checked by the runtime's own loader before it replaces anything.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { loadSimConfig } from '../../sim/config/sim-config.js';
import { collectDrive } from '../../sim/training/dagger.js';
import { loadTrack } from '../../sim/world/track.js';
import { loadVehicleCalibration } from '../calibration/vehicle.js';
import { loadConfig } from '../config/load.js';
import { createAugmenter } from '../dataset/augment.js';
import { steeringBalance } from '../dataset/balance.js';
import { concatDatasets, splitByEpisode, type ImageDataset } from '../dataset/dataset.js';
import { datasetFromBags, formatDatasetReport, type DatasetTargetSpec } from '../dataset/from-bags.js';
import { DEFAULT_DRIVING_GATE, GATE_METADATA_KEY, type EvalGate } from '../eval/gate.js';
import {
  exportPolicyOnnx,
  initTrainingBackend,
  loadNetwork,
  POLICY_HEAD,
  readNetworkOnnx,
  trainNetwork,
  type AugmentFn,
  type Network,
  type TrainMode,
  type TrainProgress,
} from '../train/index.js';
import { PilotError } from '../util/errors.js';
import { cameraContractInput, drivingFields } from './driving-setup.js';
import { heldOutError, type HeldOutError } from './held-out.js';
import { installModel } from './install-model.js';
import { withMetadata } from './onnx-metadata.js';
import { codeVersion, machineName, sha256Bytes, stageRecord, type StageRecord, type TrainingRecord } from './training-record.js';

export interface DaggerOptions {
  readonly iterations: number;
  /** Training tracks the policy drives; unseen tracks are refused. */
  readonly tracks: readonly string[];
  readonly laps: number;
  /** β of the first round (the expert's share of executed commands); halved every round. */
  readonly beta: number;
  readonly randomize: number;
  readonly epochs: number;
}

export interface TrainPolicyOptions {
  readonly out: string;
  readonly data: readonly string[];
  readonly base: string;
  readonly mode: TrainMode;
  readonly partialLayers?: number;
  readonly epochs: number;
  readonly batchSize?: number;
  readonly learningRate?: number;
  readonly patience?: number;
  readonly seed: number;
  readonly latencyMs?: number;
  readonly cameraTopic?: string;
  readonly commandTopic?: string;
  readonly validationFraction?: number;
  readonly augment?: boolean;
  /** Head mode: augmented copies of each frame. */
  readonly copies?: number;
  readonly balance?: boolean;
  /** Earlier bags rehearsed while learning the new ones; forgetting is measured on their validation split. */
  readonly rehearse?: readonly string[];
  readonly dagger?: DaggerOptions;
  readonly simConfig?: string;
  /** Runtime config the DAgger drives use (default launch/drive.yaml). */
  readonly runtimeConfig?: string;
  readonly gate?: EvalGate;
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
  readonly forgetting?: { readonly before: HeldOutError; readonly after: HeldOutError };
}

function augmenter(ds: ImageDataset): AugmentFn {
  const aug = createAugmenter();
  const k = ds.targetNames.length;
  return (images, targets, rng) => aug(images, targets, targets.length / k, ds.height, ds.width, ds.targetNames, rng);
}

export async function runTrainPolicy(o: TrainPolicyOptions): Promise<TrainPolicySummary> {
  const log = o.log ?? (() => {});
  if (o.data.length === 0 && !o.dagger) throw new PilotError('E_TRAIN_DATA', 'pilot train needs --data <bag...> (or --dagger rounds in the simulator)');
  const sim = loadSimConfig(o.simConfig);
  const vehicle = loadVehicleCalibration(sim.vehicle.calibration);
  const fields = drivingFields(vehicle);

  let baseBytes: Uint8Array;
  try {
    baseBytes = readFileSync(o.base);
  } catch (e) {
    throw new PilotError('E_BASE_MODEL', `cannot read --base ${o.base}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const saved = readNetworkOnnx(baseBytes, o.base);
  const baseKind = saved.metadata.kind;
  if (baseKind === 'pretrain') throw new PilotError('E_BASE_MODEL', `${o.base} is a pretraining network; use the backbone \`pilot pretrain\` wrote, or a policy`);
  if (baseKind === 'policy') {
    const outs = saved.metadata.head?.outputs ?? [];
    if (outs.join(',') !== POLICY_HEAD.outputs.join(',')) throw new PilotError('E_BASE_MODEL', `${o.base}: policy outputs [${outs.join(', ')}] are not [${POLICY_HEAD.outputs.join(', ')}]`);
  }
  const cameraPre = { color: saved.metadata.input.color, normalize: saved.metadata.input.normalize, crop: saved.metadata.input.crop, undistort: saved.metadata.input.undistort };
  const spec: DatasetTargetSpec = { input: cameraContractInput(saved.metadata.backbone, cameraPre), fields };
  const readBags = async (bags: readonly string[], what: string): Promise<ImageDataset> => {
    const { dataset, report } = await datasetFromBags([...bags], {
      spec,
      ...(o.latencyMs !== undefined ? { latencyMs: o.latencyMs } : {}),
      ...(o.cameraTopic ? { cameraTopic: o.cameraTopic } : {}),
      ...(o.commandTopic ? { commandTopic: o.commandTopic } : {}),
      wheelbaseM: vehicle.wheelbase_m,
    });
    log(`train: ${what}:\n${formatDatasetReport(report)}`);
    return dataset;
  };

  const stages: StageRecord[] = [];
  const notes: string[] = [];
  let train: ImageDataset | undefined;
  let validation: ImageDataset | undefined;
  if (o.data.length > 0) {
    const all = await readBags(o.data, 'data');
    const split = splitByEpisode(all, { validationFraction: o.validationFraction ?? 0.2, seed: o.seed });
    notes.push(`Split: ${split.note}`);
    train = split.train;
    validation = split.validation;
  }
  let oldValidation: ImageDataset | undefined;
  if (o.rehearse && o.rehearse.length > 0) {
    const old = splitByEpisode(await readBags(o.rehearse, 'rehearsal (earlier data)'), { validationFraction: o.validationFraction ?? 0.2, seed: o.seed });
    oldValidation = old.validation;
    train = train ? concatDatasets([train, old.train]) : old.train;
    notes.push(`Rehearsal: ${old.train.count} earlier frames mixed into training (${o.rehearse.join(', ')}); forgetting measured on their ${old.validation.count} validation frames.`);
  }

  await initTrainingBackend();
  const net: Network = loadNetwork(saved, o.base, baseKind === 'backbone' ? { head: POLICY_HEAD, seed: o.seed } : {});
  const tmp = join(tmpdir(), `pilot-train-${process.pid}-${Date.now()}.onnx`);
  try {
    const normalize = cameraPre.normalize;
    const before = oldValidation ? heldOutError(net, oldValidation, normalize, fields) : undefined;
    const fit = async (stage: string, epochs: number, data: ImageDataset, val: ImageDataset | undefined): Promise<void> => {
      const weights = o.balance === false ? undefined : steeringBalance(data).weights;
      const result = await trainNetwork(net, { train: { frames: data, ...(weights ? { weights } : {}) }, ...(val && val.count > 0 ? { validation: { frames: val } } : {}) }, {
        mode: o.mode,
        partialLayers: o.partialLayers ?? 1,
        epochs,
        batchSize: o.batchSize ?? 32,
        learningRate: o.learningRate ?? 1e-3,
        patience: o.patience ?? 4,
        seed: o.seed + stages.length,
        normalize,
        ...(o.augment === false ? {} : { augment: augmenter(data), augmentedCopies: o.copies ?? 2 }),
        ...(o.onProgress ? { onProgress: (p: TrainProgress) => o.onProgress!(p, stage) } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
      });
      stages.push(stageRecord(stage, result));
      const s = stages.at(-1)!;
      log(`train: ${stage}: ${s.epochsRun} epochs (best ${s.bestEpoch}), train loss ${s.trainLoss.toFixed(4)}, val loss ${s.valLoss?.toFixed(4) ?? '—'}, ${s.durationS.toFixed(1)} s`);
    };
    if (train) await fit(`fine-tune (${o.mode}) on ${o.data.length + (o.rehearse?.length ?? 0)} bag(s)`, o.epochs, train, validation);

    const daggerRounds: unknown[] = [];
    if (o.dagger && o.dagger.iterations > 0) {
      const d = o.dagger;
      for (const t of d.tracks) {
        const track = loadTrack(t);
        if (track.split !== 'train') throw new PilotError('E_TRAIN_DAGGER', `--dagger-tracks: ${t} is a ${track.split} track; DAgger drives only training tracks, so the unseen ones stay unseen`);
      }
      const runtimeConfig = loadConfig(o.runtimeConfig ?? 'launch/drive.yaml');
      for (let round = 1; round <= d.iterations; round++) {
        if (!train) {
          // No bags: the first round is driven by the expert alone (β = 1), which is behaviour cloning.
          log('train: no bags given: DAgger round 0 collects expert demonstrations');
        }
        const beta = train ? d.beta * 0.5 ** (round - 1) : 1;
        writeFileSync(tmp, exportPolicy(net, basename(o.out), cameraPre, vehicle.max_steering_angle_rad, vehicle.max_speed_mps, {}).bytes);
        const collected: ImageDataset[] = [];
        const roundInfo: Record<string, unknown>[] = [];
        for (const [i, t] of d.tracks.entries()) {
          const seed = o.seed * 1000 + round * 10 + i;
          const c = await collectDrive({
            track: t,
            sim,
            driver: { kind: 'model', config: { ...runtimeConfig, model: { ...runtimeConfig.model, require_eval: false } }, modelPath: tmp, beta, betaSegmentS: 2 },
            laps: d.laps,
            seed,
            randomize: d.randomize,
            ...(o.signal ? { signal: o.signal } : {}),
          });
          collected.push(c.dataset);
          roundInfo.push({ track: t, frames: c.dataset.count, interventions: c.interventions, meanCteM: Number(c.result.crossTrack.meanAbsM.toFixed(4)), expertShare: Number((c.expertSteps / Math.max(1, c.expertSteps + c.driverSteps)).toFixed(3)) });
          log(`train: DAgger round ${round} (β ${beta.toFixed(2)}) on ${t}: ${c.dataset.count} frames labelled, ${c.interventions} interventions, mean |CTE| ${c.result.crossTrack.meanAbsM.toFixed(3)} m`);
        }
        daggerRounds.push({ round, beta, drives: roundInfo });
        const aggregated = concatDatasets(collected);
        if (train) {
          train = concatDatasets([train, aggregated]);
        } else {
          const split = splitByEpisode(aggregated, { validationFraction: 0.2, seed: o.seed });
          train = split.train;
          validation = split.validation;
        }
        await fit(`DAgger round ${round} (β ${beta.toFixed(2)}, ${train.count} frames aggregated)`, d.epochs, train, validation);
      }
      notes.push(`DAgger: ${d.iterations} round(s) on ${d.tracks.join(', ')} (${d.laps} lap(s) each, β from ${d.beta} halving, randomize ${d.randomize}); every frame the policy saw labelled with the clean expert's command.`);
    }
    if (!train) throw new PilotError('E_TRAIN_DATA', 'no training data');

    const valError = validation && validation.count > 0 ? heldOutError(net, validation, normalize, fields) : { frames: 0, rawMse: NaN, mae: {} };
    const after = oldValidation ? heldOutError(net, oldValidation, normalize, fields) : undefined;
    const metrics: Record<string, number> = {};
    for (const [k, v] of Object.entries(valError.mae)) metrics[`validation MAE ${k} (${fields.find((f) => f.name === k)?.unit ?? ''})`] = v;
    if (before && after) {
      for (const [k, v] of Object.entries(after.mae)) {
        metrics[`earlier-data MAE ${k} before`] = before.mae[k]!;
        metrics[`earlier-data MAE ${k} after`] = v;
      }
      log(`train: forgetting on the earlier validation set: steering MAE ${before.mae['steering_angle']!.toFixed(4)} → ${after.mae['steering_angle']!.toFixed(4)} rad`);
    }
    const gate = o.gate ?? DEFAULT_DRIVING_GATE;
    const record: TrainingRecord = {
      tool: 'pilot train',
      command: o.command,
      createdAt: new Date().toISOString(),
      codeVersion: codeVersion(),
      machine: machineName(),
      seed: o.seed,
      data: {
        description: `Demonstrations: ${o.data.length} bag(s)${o.rehearse?.length ? `, ${o.rehearse.length} rehearsed earlier bag(s)` : ''}${o.dagger?.iterations ? `, and ${o.dagger.iterations} DAgger round(s) in the simulator` : ''}. Each camera frame is paired with the command in force${o.latencyMs ? ` ${o.latencyMs} ms later` : ''}; labels are scaled to the contract's raw range.`,
        trainFrames: train.count,
        validationFrames: validation?.count ?? 0,
        trainEpisodes: [...new Set(train.episodeNames)],
        validationEpisodes: validation ? [...new Set(validation.episodeNames)] : [],
        sources: [...o.data, ...(o.rehearse ?? [])].map((p) => ({ path: p })),
        targets: [...train.targetNames],
        notes,
      },
      stages,
      augmentation: o.augment === false ? 'none' : 'brightness, contrast, colour, noise, blur, occluders, shadows, horizontal flip (steering negated), lateral shift (steering corrected); steering-balanced sample weights',
      base: { path: o.base, sha256: sha256Bytes(baseBytes), kind: baseKind },
      metrics,
      extra: daggerRounds.length > 0 ? { 'DAgger rounds': daggerRounds } : {},
    };
    const { bytes, contract } = exportPolicy(net, basename(o.out), cameraPre, vehicle.max_steering_angle_rad, vehicle.max_speed_mps, record as unknown as Record<string, unknown>, gate);
    const { sha256: sha, card } = await installModel(
      bytes,
      o.out,
      {
        id: contract.id,
        kind: 'policy',
        summary: `**A driving policy fine-tuned by this project** from \`${o.base}\` (${baseKind}) by imitation learning: camera frame in, steering angle and speed out. ${o.mode === 'head' ? 'Only the head was trained; the backbone is frozen.' : o.mode === 'partial' ? `The head and the last ${o.partialLayers ?? 1} backbone layer(s) were trained.` : 'Every weight was trained.'} Deploy it only after \`pilot eval\` passes (its gate is below).`,
        architecture: { backbone: saved.metadata.backbone, head: POLICY_HEAD },
        parameters: net.parameterCount,
        record,
        contract,
        gate,
        rebuild: o.command,
      },
      { verifyWithRuntime: true },
    );
    log(`train: wrote ${o.out} (${bytes.length} bytes, sha256 ${sha.slice(0, 12)}…) and ${card}`);
    return { out: o.out, card, sha256: sha, record, validation: valError, ...(before && after ? { forgetting: { before, after } } : {}) };
  } finally {
    rmSync(tmp, { force: true });
    net.dispose();
  }
}

function exportPolicy(
  net: Network,
  file: string,
  camera: Parameters<typeof exportPolicyOnnx>[1]['camera'],
  maxSteeringRad: number,
  maxSpeedMps: number,
  provenance: Record<string, unknown>,
  gate?: EvalGate,
): ReturnType<typeof exportPolicyOnnx> {
  const exported = exportPolicyOnnx(net, { id: file.replace(/\.onnx$/i, ''), camera, maxSteeringRad, maxSpeedMps, provenance });
  const bytes = gate ? withMetadata(exported.bytes, { [GATE_METADATA_KEY]: JSON.stringify(gate) }) : exported.bytes;
  return { ...exported, bytes };
}

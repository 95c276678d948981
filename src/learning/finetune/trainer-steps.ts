/**
 * The steps every trainer shares (`pilot pretrain`, `pilot train` for a vehicle and for an arm): one
 * training stage fitted with trainNetwork under the command line's settings, with its record and log
 * line; the augmenter bound to a dataset's frames and targets; how a policy was trained, in words;
 * installing the model with its card. The trainers differ only in their setup, heads and data.
 */
import { createAugmenter, type AugmentOptions } from '../dataset/augment.js';
import type { ImageDataset } from '../dataset/dataset.js';
import { trainNetwork, type AugmentFn, type Network, type Normalize, type TrainLoss, type TrainMode, type TrainProgress, type TrainResult } from '../train/index.js';
import { installModel, type InstalledModel } from './install-model.js';
import type { ModelCard } from './model-card.js';
import { stageRecord, type StageRecord } from './training-record.js';

/** How a stage trains: the command line's settings with the trainer's defaults filled in. */
export interface FitSettings {
  readonly mode: TrainMode;
  /** 'partial' mode: backbone layers trained (default 1). */
  readonly partialLayers?: number;
  readonly epochs: number;
  /** Default 32. */
  readonly batchSize?: number;
  /** Default 1e-3. */
  readonly learningRate?: number;
  readonly patience: number;
  readonly seed: number;
  readonly normalize: Normalize;
  /** Recorded in the stage when given; trainNetwork's default (mse) otherwise. */
  readonly loss?: TrainLoss;
  readonly augment?: AugmentFn;
  /** With `augment`: augmented copies per frame in 'head' mode (default 2). */
  readonly copies?: number;
  readonly onProgress?: (p: TrainProgress) => void;
  readonly signal?: AbortSignal;
}

/** The frames of a stage: training (with optional sample weights) and validation (used when it has frames). */
export interface StageData {
  readonly train: ImageDataset;
  readonly weights?: Float32Array;
  readonly validation?: ImageDataset;
}

/**
 * Trains `net` for one stage and returns its record; with `log`, logs
 * `train: <stage>: <epochs> epochs (best …), train loss …, val loss …, <s> s`.
 */
export async function fitStage(net: Network, stage: string, data: StageData, s: FitSettings, log?: (line: string) => void): Promise<StageRecord> {
  const { train, weights, validation } = data;
  const result: TrainResult = await trainNetwork(net, { train: { frames: train, ...(weights ? { weights } : {}) }, ...(validation && validation.count > 0 ? { validation: { frames: validation } } : {}) }, {
    mode: s.mode,
    partialLayers: s.partialLayers ?? 1,
    epochs: s.epochs,
    batchSize: s.batchSize ?? 32,
    learningRate: s.learningRate ?? 1e-3,
    patience: s.patience,
    seed: s.seed,
    normalize: s.normalize,
    ...(s.loss ? { loss: s.loss } : {}),
    ...(s.augment ? { augment: s.augment, augmentedCopies: s.copies ?? 2 } : {}),
    ...(s.onProgress ? { onProgress: s.onProgress } : {}),
    ...(s.signal ? { signal: s.signal } : {}),
  });
  const record = stageRecord(stage, result, s.loss);
  log?.(`train: ${stage}: ${record.epochsRun} epochs (best ${record.bestEpoch}), train loss ${record.trainLoss.toFixed(4)}, val loss ${record.valLoss?.toFixed(4) ?? '—'}, ${record.durationS.toFixed(1)} s`);
  return record;
}

/** An augmenter (over DEFAULT_AUGMENT) for batches of `ds`'s frames and targets, as trainNetwork calls it. */
export function datasetAugmenter(ds: Pick<ImageDataset, 'height' | 'width' | 'targetNames'>, options: AugmentOptions): AugmentFn {
  const aug = createAugmenter(options);
  const k = ds.targetNames.length;
  return (images, targets, rng) => aug(images, targets, targets.length / k, ds.height, ds.width, ds.targetNames, rng);
}

/** How a policy was trained, for its model card: `scratch` says it for a fresh network. */
export function howTrained(scratch: string | undefined, base: { readonly path: string; readonly kind: string }, mode: TrainMode, partialLayers: number | undefined): string {
  if (scratch !== undefined) return scratch;
  const from = `fine-tuned from \`${base.path}\` (${base.kind})`;
  if (mode === 'head') return `${from}; only the head was trained, the backbone is frozen`;
  if (mode === 'partial') return `${from}; the head and the last ${partialLayers ?? 1} backbone layer(s) were trained`;
  return `${from}; every weight was trained`;
}

/** installModel, then `<tool>: wrote <out> (<n> bytes, sha256 <12 hex>…) and <card>`. */
export async function installTrained(
  bytes: Uint8Array,
  out: string,
  card: Omit<ModelCard, 'file' | 'bytes' | 'sha256'>,
  options: { readonly verifyWithRuntime: boolean; readonly tool: string; readonly log: (line: string) => void },
): Promise<InstalledModel> {
  const installed = await installModel(bytes, out, card, { verifyWithRuntime: options.verifyWithRuntime });
  options.log(`${options.tool}: wrote ${out} (${bytes.length} bytes, sha256 ${installed.sha256.slice(0, 12)}…) and ${installed.card}`);
  return installed;
}

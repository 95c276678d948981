/**
 * Supervised training of a Network on labelled frames: Adam, (weighted) MSE, seeded shuffling,
 * per-batch augmentation, validation each epoch, early stopping that keeps the best weights.
 *
 * Modes:
 *  - 'head': the backbone is frozen, so its features are computed once per frame (and once per
 *    augmented copy) and the head trains on the cached features. This is what makes head-only
 *    fine-tuning take seconds.
 *  - 'partial': the last `partialLayers` backbone layers and the head train; the frozen layers run
 *    forward each batch (augmentation applies per batch).
 *  - 'full': everything trains.
 *
 * A network with a state input (`head.state`) gets each frame's state vector (`frames.states`, names
 * checked against the network's) beside the image; in 'head' mode the states are cached per row next
 * to the features and concatenated in the head each batch, so feature caching still applies.
 *
 * Deterministic: the same network seed, data and options give the same weights (single-threaded wasm).
 */
import * as tf from '@tensorflow/tfjs-core';
import { PilotError } from '../../core/util/errors.js';
import { mulberry32 } from '../../core/util/prng.js';
import { checkSelection, FrameNormalizer, SYMMETRIC_NORMALIZE, type FrameSelection, type Normalize } from './frames.js';
import type { Network } from './network.js';
import { evaluate, weightedLoss, type TrainLoss } from './train-loss.js';
import { FEATURE_BATCH, featurise, imageRows, type AugmentFn, type Rows } from './train-rows.js';

export type { AugmentFn } from './train-rows.js';
export type { TrainLoss } from './train-loss.js';

export type TrainMode = 'head' | 'partial' | 'full';

export interface TrainProgress {
  /** 'features': computing cached backbone features (head mode); 'train': after a step; 'epoch': after validation. */
  readonly phase: 'features' | 'train' | 'epoch';
  readonly epoch: number;
  readonly epochs: number;
  /** Step within the epoch (or batch within the feature pass), 1-based, and the total. */
  readonly step: number;
  readonly steps: number;
  /** Mean training loss of the epoch so far. */
  readonly trainLoss: number;
  /** Validation loss, on 'epoch' events when there is a validation set. */
  readonly valLoss?: number;
  readonly samplesPerSec: number;
  readonly elapsedMs: number;
}

export interface TrainOptions {
  readonly mode?: TrainMode;
  /** 'partial' mode: how many backbone layers (from the end) train. Default 1. */
  readonly partialLayers?: number;
  readonly epochs?: number;
  readonly batchSize?: number;
  readonly learningRate?: number;
  /** Seed for shuffling and augmentation (the network's initial weights have their own seed). Default 1. */
  readonly seed?: number;
  /** Stop after this many epochs without a validation improvement; the best epoch's weights are kept. Default 5. */
  readonly patience?: number;
  /** An improvement smaller than this does not count. Default 0. */
  readonly minDelta?: number;
  /**
   * Per-element loss: 'mse' (default), 'l1' (absolute error: the median, what MAE grades; right for
   * multi-modal labels such as keyboard steering) or 'huber' (quadratic within ±0.1 raw, linear beyond).
   * Validation and early stopping use the same loss.
   */
  readonly loss?: TrainLoss;
  /** Loss weight per output (same order as the network outputs). Default all 1. */
  readonly targetWeights?: readonly number[];
  /** The camera normalisation of the model contract. Default pixels to [−1, 1]. */
  readonly normalize?: Normalize;
  /** Per-batch augmentation of training frames (never applied to validation). */
  readonly augment?: AugmentFn;
  /** 'head' mode with `augment`: augmented copies of each training frame, featurised once. Default 2. */
  readonly augmentedCopies?: number;
  readonly onProgress?: (p: TrainProgress) => void;
  /** Aborts between steps with PilotError E_TRAIN_ABORTED (e.g. on Ctrl-C); the network is left mid-training. */
  readonly signal?: AbortSignal;
  /** Clock for throughput figures, in ms. Default performance.now. */
  readonly now?: () => number;
}

export interface EpochRecord {
  readonly epoch: number;
  readonly trainLoss: number;
  readonly valLoss?: number;
  readonly samplesPerSec: number;
}

export interface TrainResult {
  readonly mode: TrainMode;
  readonly history: readonly EpochRecord[];
  /** Epoch whose weights the network now holds (the last one without validation). */
  readonly bestEpoch: number;
  readonly bestValLoss?: number;
  readonly stoppedEarly: boolean;
  readonly trainFrames: number;
  readonly validationFrames: number;
  /** Rows the head trained on in 'head' mode: frames × (1 + augmented copies). */
  readonly trainRows: number;
  readonly trainableParameters: number;
  /** Time spent computing cached features ('head' mode) and in the epochs. */
  readonly featureMs: number;
  readonly trainMs: number;
}

export interface TrainData {
  readonly train: FrameSelection;
  readonly validation?: FrameSelection;
}

/**
 * Trains `network` in place and leaves it holding the best weights (lowest validation loss), or the last
 * epoch's without a validation set. A non-finite loss throws PilotError E_TRAIN_NAN.
 */
export async function trainNetwork(network: Network, data: TrainData, options: TrainOptions = {}): Promise<TrainResult> {
  const s = trainSettings(network, options);
  const [height, width] = network.inputShape;
  const stateNames = network.stateNames;
  const trainIdx = checkSelection(data.train, 'training', { height, width }, s.outputs, stateNames);
  if (trainIdx.length === 0) throw new PilotError('E_TRAIN_DATA', 'training set is empty');
  const valIdx = data.validation ? checkSelection(data.validation, 'validation', { height, width }, s.outputs, stateNames) : new Int32Array(0);
  const vars = network.trainableVariables(s.mode, options.partialLayers ?? 1);
  const normalizer = new FrameNormalizer(options.normalize ?? SYMMETRIC_NORMALIZE);
  const augRng = mulberry32((s.seed ^ 0x5eed_a06) >>> 0);
  const shuffleRng = mulberry32((s.seed ^ 0x5eed_5f1) >>> 0);
  const breathe = breather(s.now, options.signal);

  // Head mode: featurise once; the model under training is then only the head.
  const started = s.now();
  const model = await trainingModel(network, data, { trainIdx, valIdx, normalizer, augRng, started, breathe }, s, options);
  const featureMs = s.mode === 'head' ? s.now() - started : 0;
  const fit = await new EpochLoop(network, model, vars, s, options, { shuffle: shuffleRng, augment: augRng }, started, breathe).run();
  const { best, history } = fit;
  if (best.weights && best.epoch !== history.at(-1)?.epoch) network.setWeights(best.weights);
  return {
    mode: s.mode,
    history,
    bestEpoch: best.epoch,
    ...(best.weights ? { bestValLoss: best.loss } : {}),
    stoppedEarly: fit.stoppedEarly,
    trainFrames: trainIdx.length,
    validationFrames: valIdx.length,
    trainRows: model.trainRows.count,
    trainableParameters: vars.reduce((n, v) => n + v.size, 0),
    featureMs,
    trainMs: s.now() - fit.trainStart,
  };
}

/** The options with their defaults, checked (E_TRAIN_OPTIONS). */
interface TrainSettings {
  readonly mode: TrainMode;
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly seed: number;
  readonly patience: number;
  readonly minDelta: number;
  readonly now: () => number;
  readonly outputs: readonly string[];
  readonly lossKind: TrainLoss;
  readonly targetWeights: Float32Array;
}

function checkInt(name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new PilotError('E_TRAIN_OPTIONS', `${name} must be an integer ≥ ${min}, got ${v}`);
}

function trainSettings(network: Network, options: TrainOptions): TrainSettings {
  const mode = options.mode ?? 'head';
  const epochs = options.epochs ?? 30;
  const batchSize = options.batchSize ?? 32;
  const learningRate = options.learningRate ?? 1e-3;
  const patience = options.patience ?? 5;
  const outputs = network.outputNames;
  const k = outputs.length;
  checkInt('epochs', epochs, 1);
  checkInt('batchSize', batchSize, 1);
  checkInt('patience', patience, 1);
  if (!(learningRate > 0)) throw new PilotError('E_TRAIN_OPTIONS', `learningRate must be > 0, got ${learningRate}`);
  if (!['head', 'partial', 'full'].includes(mode)) throw new PilotError('E_TRAIN_OPTIONS', `mode must be head, partial or full, got '${mode}'`);
  const lossKind = options.loss ?? 'mse';
  if (!['mse', 'l1', 'huber'].includes(lossKind)) throw new PilotError('E_TRAIN_OPTIONS', `loss must be mse, l1 or huber, got '${lossKind}'`);
  const targetWeights = Float32Array.from(options.targetWeights ?? outputs.map(() => 1));
  if (targetWeights.length !== k || targetWeights.some((v) => !(v >= 0)) || targetWeights.every((v) => v === 0)) {
    throw new PilotError('E_TRAIN_OPTIONS', `targetWeights must be ${k} values ≥ 0, not all 0 (outputs ${outputs.join(', ')}), got [${options.targetWeights?.join(', ')}]`);
  }
  const now = options.now ?? (() => performance.now());
  return { mode, epochs, batchSize, learningRate, seed: options.seed ?? 1, patience, minDelta: options.minDelta ?? 0, now, outputs, lossKind, targetWeights };
}

/** Training is synchronous compute: let timers, signals and I/O run every ~100 ms; an abort stops it there. */
function breather(now: () => number, signal: AbortSignal | undefined): () => Promise<void> {
  let lastYield = -Infinity;
  return async () => {
    if (now() - lastYield < 100) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    lastYield = now();
    if (signal?.aborted) throw new PilotError('E_TRAIN_ABORTED', 'training aborted; no model written');
  };
}

/**
 * What is trained and how it is fed: the rows and the forward passes. `predict` records gradients;
 * `infer` (validation) runs the fused inference kernels. `s` is the state batch of a network with a
 * state input (concatenated to the features in the head).
 */
interface TrainingModel {
  readonly trainRows: Rows;
  readonly valRows: Rows | undefined;
  readonly predict: (x: tf.Tensor, s: tf.Tensor2D | undefined) => tf.Tensor2D;
  readonly infer: (x: tf.Tensor, s: tf.Tensor2D | undefined) => tf.Tensor2D;
}

interface RowSources {
  readonly trainIdx: Int32Array;
  readonly valIdx: Int32Array;
  readonly normalizer: FrameNormalizer;
  readonly augRng: () => number;
  readonly started: number;
  readonly breathe: () => Promise<void>;
}

/** 'head' mode: the head alone, on features cached once; else the whole network on frames. */
async function trainingModel(network: Network, data: TrainData, r: RowSources, s: TrainSettings, options: TrainOptions): Promise<TrainingModel> {
  const { trainIdx, valIdx, normalizer } = r;
  const augment = options.augment;
  const m = network.stateNames.length;
  const k = s.outputs.length;
  if (s.mode !== 'head') {
    return {
      trainRows: imageRows(data.train, trainIdx, normalizer, augment, m),
      valRows: valIdx.length > 0 ? imageRows(data.validation!, valIdx, normalizer, undefined, m) : undefined,
      predict: (x, st) => network.forward(x as tf.Tensor4D, st ? { state: st } : {}),
      infer: (x, st) => network.forward(x as tf.Tensor4D, { fused: true, ...(st ? { state: st } : {}) }),
    };
  }
  const copies = augment ? (options.augmentedCopies ?? 2) : 0;
  checkInt('augmentedCopies', copies, 0);
  const total = Math.ceil(trainIdx.length / FEATURE_BATCH) * (1 + copies) + Math.ceil(valIdx.length / FEATURE_BATCH);
  let step = 0;
  let done = 0;
  const tick = (rows: number): void => {
    done += rows;
    const elapsedMs = s.now() - r.started;
    options.onProgress?.({ phase: 'features', epoch: 0, epochs: s.epochs, step: ++step, steps: total, trainLoss: NaN, samplesPerSec: (done / Math.max(elapsedMs, 1e-3)) * 1000, elapsedMs });
  };
  const augmented = augment ? imageRows(data.train, trainIdx, normalizer, augment, m) : undefined;
  const trainRows = await featurise(network, imageRows(data.train, trainIdx, normalizer, undefined, m), augmented, copies, r.augRng, k, tick, r.breathe);
  const valRows = valIdx.length > 0 ? await featurise(network, imageRows(data.validation!, valIdx, normalizer, undefined, m), undefined, 0, r.augRng, k, tick, r.breathe) : undefined;
  return {
    trainRows,
    valRows,
    predict: (x, st) => network.head(x as tf.Tensor2D, st ? { state: st } : {}),
    infer: (x, st) => network.head(x as tf.Tensor2D, { fused: true, ...(st ? { state: st } : {}) }),
  };
}

interface Best {
  loss: number;
  epoch: number;
  weights: Map<string, Float32Array> | undefined;
}

/** Epochs of Adam steps over shuffled batches, validation after each, early stopping on the best validation loss. */
class EpochLoop {
  readonly history: EpochRecord[] = [];
  best: Best = { loss: Infinity, epoch: 0, weights: undefined };
  stoppedEarly = false;
  trainStart = 0;
  readonly #k: number;
  readonly #m: number;
  readonly #x: Float32Array;
  readonly #s: Float32Array;
  readonly #y: Float32Array;
  readonly #w: Float32Array;
  readonly #order: Int32Array;
  readonly #steps: number;

  constructor(
    readonly network: Network,
    readonly model: TrainingModel,
    readonly vars: tf.Variable[],
    readonly settings: TrainSettings,
    readonly options: TrainOptions,
    readonly rng: { readonly shuffle: () => number; readonly augment: () => number },
    readonly started: number,
    readonly breathe: () => Promise<void>,
  ) {
    const { batchSize } = settings;
    const rows = model.trainRows;
    this.#k = settings.outputs.length;
    this.#m = network.stateNames.length;
    this.#x = new Float32Array(batchSize * rows.inputShape.reduce((a, b) => a * b, 1));
    this.#s = new Float32Array(batchSize * this.#m);
    this.#y = new Float32Array(batchSize * this.#k);
    this.#w = new Float32Array(batchSize);
    this.#order = Int32Array.from({ length: rows.count }, (_, i) => i);
    this.#steps = Math.ceil(this.#order.length / batchSize);
  }

  async run(): Promise<this> {
    const { settings: s, model } = this;
    const optimizer = tf.train.adam(s.learningRate);
    const tw = tf.tensor1d(s.targetWeights);
    const twSum = s.targetWeights.reduce((a, b) => a + b, 0);
    this.trainStart = s.now();
    try {
      for (let epoch = 1; epoch <= s.epochs; epoch++) {
        shuffle(this.#order, this.rng.shuffle);
        const epochStart = s.now();
        const trainLoss = await this.#epoch(epoch, optimizer, tw, twSum, epochStart);
        const samplesPerSec = (this.#order.length / Math.max(s.now() - epochStart, 1e-3)) * 1000;
        const valLoss = model.valRows ? evaluate(model.valRows, model.infer, s.targetWeights, this.#k, s.lossKind) : undefined;
        if (valLoss !== undefined && !Number.isFinite(valLoss)) {
          throw new PilotError('E_TRAIN_NAN', `validation loss is ${valLoss} after epoch ${epoch}; stopped, no model written`);
        }
        this.history.push({ epoch, trainLoss, ...(valLoss !== undefined ? { valLoss } : {}), samplesPerSec });
        const steps = this.#steps;
        this.options.onProgress?.({ phase: 'epoch', epoch, epochs: s.epochs, step: steps, steps, trainLoss, ...(valLoss !== undefined ? { valLoss } : {}), samplesPerSec, elapsedMs: s.now() - this.started });
        if (this.#stop(epoch, valLoss)) break;
      }
    } finally {
      optimizer.dispose();
      tw.dispose();
    }
    return this;
  }

  /** Keeps the best epoch's weights; true when `patience` epochs passed without improvement. */
  #stop(epoch: number, valLoss: number | undefined): boolean {
    const s = this.settings;
    if (valLoss === undefined) {
      this.best = { loss: Infinity, epoch, weights: undefined };
      return false;
    }
    if (valLoss < this.best.loss - s.minDelta) {
      this.best = { loss: valLoss, epoch, weights: this.network.getWeights() };
    } else if (epoch - this.best.epoch >= s.patience) {
      this.stoppedEarly = epoch < s.epochs;
      return true;
    }
    return false;
  }

  /** One pass over the shuffled rows; the epoch's mean training loss (NaN when every weight was 0). */
  async #epoch(epoch: number, optimizer: tf.Optimizer, tw: tf.Tensor1D, twSum: number, epochStart: number): Promise<number> {
    const { settings: s, model } = this;
    const rows = model.trainRows;
    const { batchSize } = s;
    const k = this.#k;
    const m = this.#m;
    const order = this.#order;
    const steps = this.#steps;
    const [xBuf, sBuf, yBuf, wBuf] = [this.#x, this.#s, this.#y, this.#w];
    let lossSum = 0;
    let weightSum = 0;
    for (let step = 0; step < steps; step++) {
      await this.breathe();
      const ids = order.subarray(step * batchSize, Math.min((step + 1) * batchSize, order.length));
      const b = ids.length;
      rows.fill(ids, xBuf, sBuf, yBuf, wBuf, this.rng.augment);
      const wTotal = sum(wBuf, b);
      if (wTotal === 0) continue; // every frame in this batch has weight 0: nothing to learn from it
      const loss = tf.tidy(() => {
        const x = tf.tensor(xBuf.subarray(0, (xBuf.length / batchSize) * b), [b, ...rows.inputShape]);
        const st = m > 0 ? tf.tensor2d(sBuf.subarray(0, b * m), [b, m]) : undefined;
        const y = tf.tensor2d(yBuf.subarray(0, b * k), [b, k]);
        const w = tf.tensor1d(wBuf.subarray(0, b));
        return optimizer.minimize(() => weightedLoss(s.lossKind, model.predict(x, st), y, w, tw, wTotal * twSum), true, this.vars)!;
      });
      const value = (await loss.data())[0]!;
      loss.dispose();
      if (!Number.isFinite(value)) {
        throw new PilotError('E_TRAIN_NAN', `training loss is ${value} at epoch ${epoch}, step ${step + 1}/${steps} (learning rate ${s.learningRate}); stopped, no model written`);
      }
      lossSum += value * wTotal;
      weightSum += wTotal;
      const elapsed = s.now() - epochStart;
      this.options.onProgress?.({
        phase: 'train', epoch, epochs: s.epochs, step: step + 1, steps,
        trainLoss: lossSum / weightSum,
        samplesPerSec: (Math.min((step + 1) * batchSize, order.length) / Math.max(elapsed, 1e-3)) * 1000,
        elapsedMs: s.now() - this.started,
      });
    }
    return weightSum > 0 ? lossSum / weightSum : NaN;
  }
}

function shuffle(a: Int32Array, rng: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
}

function sum(a: Float32Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i]!;
  return s;
}

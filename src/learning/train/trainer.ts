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

/** Augments a batch in place: `batchImages` is B frames HWC uint8, `batchTargets` B × outputs. */
export type AugmentFn = (batchImages: Uint8Array, batchTargets: Float32Array, rng: () => number) => void;

export type TrainMode = 'head' | 'partial' | 'full';

export type TrainLoss = 'mse' | 'l1' | 'huber';

/** Huber's δ in raw (tanh) units. */
const HUBER_DELTA = 0.1;

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
 * A batch source: fills the input tensor data, the state vectors (a network with a state input), and
 * the targets/weights for a list of row ids.
 */
interface Rows {
  readonly count: number;
  /** Input shape without batch: [H, W, 3] for images, [F] for cached features. */
  readonly inputShape: readonly number[];
  /** State values per row (0 without a state input). */
  readonly stateSize: number;
  fill(ids: ArrayLike<number>, x: Float32Array, s: Float32Array, y: Float32Array, w: Float32Array, rng: () => number): void;
}

const FEATURE_BATCH = 128;
const EVAL_BATCH = 256;

/**
 * Trains `network` in place and leaves it holding the best weights (lowest validation loss), or the last
 * epoch's without a validation set. A non-finite loss throws PilotError E_TRAIN_NAN.
 */
export async function trainNetwork(network: Network, data: TrainData, options: TrainOptions = {}): Promise<TrainResult> {
  const mode = options.mode ?? 'head';
  const epochs = options.epochs ?? 30;
  const batchSize = options.batchSize ?? 32;
  const learningRate = options.learningRate ?? 1e-3;
  const seed = options.seed ?? 1;
  const patience = options.patience ?? 5;
  const minDelta = options.minDelta ?? 0;
  const now = options.now ?? (() => performance.now());
  const outputs = network.outputNames;
  const k = outputs.length;
  const checkInt = (name: string, v: number, min: number) => {
    if (!Number.isInteger(v) || v < min) throw new PilotError('E_TRAIN_OPTIONS', `${name} must be an integer ≥ ${min}, got ${v}`);
  };
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
  const [height, width] = network.inputShape;
  const stateNames = network.stateNames;
  const m = stateNames.length;
  const trainIdx = checkSelection(data.train, 'training', { height, width }, outputs, stateNames);
  if (trainIdx.length === 0) throw new PilotError('E_TRAIN_DATA', 'training set is empty');
  const valIdx = data.validation ? checkSelection(data.validation, 'validation', { height, width }, outputs, stateNames) : new Int32Array(0);
  const vars = network.trainableVariables(mode, options.partialLayers ?? 1);
  const normalizer = new FrameNormalizer(options.normalize ?? SYMMETRIC_NORMALIZE);
  const augRng = mulberry32((seed ^ 0x5eed_a06) >>> 0);
  const shuffleRng = mulberry32((seed ^ 0x5eed_5f1) >>> 0);
  const augment = options.augment;

  // Training is synchronous compute: let timers, signals and I/O run every ~100 ms.
  let lastYield = -Infinity;
  const breathe = async () => {
    if (now() - lastYield < 100) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    lastYield = now();
    if (options.signal?.aborted) throw new PilotError('E_TRAIN_ABORTED', 'training aborted; no model written');
  };

  // Head mode: featurise once; the model under training is then only the head.
  const started = now();
  let trainRows: Rows;
  let valRows: Rows | undefined;
  // `predict` records gradients; `infer` (validation) runs the fused inference kernels. `s` is the
  // state batch of a network with a state input (concatenated to the features in the head).
  let predict: (x: tf.Tensor, s: tf.Tensor2D | undefined) => tf.Tensor2D;
  let infer: (x: tf.Tensor, s: tf.Tensor2D | undefined) => tf.Tensor2D;
  if (mode === 'head') {
    const copies = augment ? (options.augmentedCopies ?? 2) : 0;
    checkInt('augmentedCopies', copies, 0);
    const total = Math.ceil(trainIdx.length / FEATURE_BATCH) * (1 + copies) + Math.ceil(valIdx.length / FEATURE_BATCH);
    let step = 0;
    let done = 0;
    const tick = (rows: number) => {
      done += rows;
      const elapsedMs = now() - started;
      options.onProgress?.({ phase: 'features', epoch: 0, epochs, step: ++step, steps: total, trainLoss: NaN, samplesPerSec: (done / Math.max(elapsedMs, 1e-3)) * 1000, elapsedMs });
    };
    const augmented = augment ? imageRows(data.train, trainIdx, normalizer, augment, m) : undefined;
    trainRows = await featurise(network, imageRows(data.train, trainIdx, normalizer, undefined, m), augmented, copies, augRng, k, tick, breathe);
    if (valIdx.length > 0) valRows = await featurise(network, imageRows(data.validation!, valIdx, normalizer, undefined, m), undefined, 0, augRng, k, tick, breathe);
    predict = (x, st) => network.head(x as tf.Tensor2D, st ? { state: st } : {});
    infer = (x, st) => network.head(x as tf.Tensor2D, { fused: true, ...(st ? { state: st } : {}) });
  } else {
    trainRows = imageRows(data.train, trainIdx, normalizer, augment, m);
    if (valIdx.length > 0) valRows = imageRows(data.validation!, valIdx, normalizer, undefined, m);
    predict = (x, st) => network.forward(x as tf.Tensor4D, st ? { state: st } : {});
    infer = (x, st) => network.forward(x as tf.Tensor4D, { fused: true, ...(st ? { state: st } : {}) });
  }
  const featureMs = mode === 'head' ? now() - started : 0;

  const optimizer = tf.train.adam(learningRate);
  const tw = tf.tensor1d(targetWeights);
  const twSum = targetWeights.reduce((a, b) => a + b, 0);
  const history: EpochRecord[] = [];
  let best = { loss: Infinity, epoch: 0, weights: undefined as Map<string, Float32Array> | undefined };
  let stoppedEarly = false;
  const trainStart = now();
  const xBuf = new Float32Array(batchSize * trainRows.inputShape.reduce((a, b) => a * b, 1));
  const sBuf = new Float32Array(batchSize * m);
  const yBuf = new Float32Array(batchSize * k);
  const wBuf = new Float32Array(batchSize);
  const order = Int32Array.from({ length: trainRows.count }, (_, i) => i);
  const steps = Math.ceil(order.length / batchSize);
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      shuffle(order, shuffleRng);
      const epochStart = now();
      let lossSum = 0;
      let weightSum = 0;
      for (let s = 0; s < steps; s++) {
        await breathe();
        const ids = order.subarray(s * batchSize, Math.min((s + 1) * batchSize, order.length));
        const b = ids.length;
        trainRows.fill(ids, xBuf, sBuf, yBuf, wBuf, augRng);
        const wTotal = sum(wBuf, b);
        if (wTotal === 0) continue; // every frame in this batch has weight 0: nothing to learn from it
        const loss = tf.tidy(() => {
          const x = tf.tensor(xBuf.subarray(0, (xBuf.length / batchSize) * b), [b, ...trainRows.inputShape]);
          const st = m > 0 ? tf.tensor2d(sBuf.subarray(0, b * m), [b, m]) : undefined;
          const y = tf.tensor2d(yBuf.subarray(0, b * k), [b, k]);
          const w = tf.tensor1d(wBuf.subarray(0, b));
          return optimizer.minimize(() => weightedLoss(lossKind, predict(x, st), y, w, tw, wTotal * twSum), true, vars)!;
        });
        const value = (await loss.data())[0]!;
        loss.dispose();
        if (!Number.isFinite(value)) {
          throw new PilotError('E_TRAIN_NAN', `training loss is ${value} at epoch ${epoch}, step ${s + 1}/${steps} (learning rate ${learningRate}); stopped, no model written`);
        }
        lossSum += value * wTotal;
        weightSum += wTotal;
        const elapsed = now() - epochStart;
        options.onProgress?.({
          phase: 'train', epoch, epochs, step: s + 1, steps,
          trainLoss: lossSum / weightSum,
          samplesPerSec: (Math.min((s + 1) * batchSize, order.length) / Math.max(elapsed, 1e-3)) * 1000,
          elapsedMs: now() - started,
        });
      }
      const trainLoss = weightSum > 0 ? lossSum / weightSum : NaN;
      const samplesPerSec = (order.length / Math.max(now() - epochStart, 1e-3)) * 1000;
      const valLoss = valRows ? evaluate(valRows, infer, targetWeights, k, lossKind) : undefined;
      if (valLoss !== undefined && !Number.isFinite(valLoss)) {
        throw new PilotError('E_TRAIN_NAN', `validation loss is ${valLoss} after epoch ${epoch}; stopped, no model written`);
      }
      history.push({ epoch, trainLoss, ...(valLoss !== undefined ? { valLoss } : {}), samplesPerSec });
      options.onProgress?.({ phase: 'epoch', epoch, epochs, step: steps, steps, trainLoss, ...(valLoss !== undefined ? { valLoss } : {}), samplesPerSec, elapsedMs: now() - started });
      if (valLoss === undefined) {
        best = { loss: Infinity, epoch, weights: undefined };
        continue;
      }
      if (valLoss < best.loss - minDelta) {
        best = { loss: valLoss, epoch, weights: network.getWeights() };
      } else if (epoch - best.epoch >= patience) {
        stoppedEarly = epoch < epochs;
        break;
      }
    }
  } finally {
    optimizer.dispose();
    tw.dispose();
  }
  if (best.weights && best.epoch !== history.at(-1)?.epoch) network.setWeights(best.weights);
  return {
    mode,
    history,
    bestEpoch: best.epoch,
    ...(best.weights ? { bestValLoss: best.loss } : {}),
    stoppedEarly,
    trainFrames: trainIdx.length,
    validationFrames: valIdx.length,
    trainRows: trainRows.count,
    trainableParameters: vars.reduce((n, v) => n + v.size, 0),
    featureMs,
    trainMs: now() - trainStart,
  };
}

/** The per-element loss as a tensor op. */
function elementLoss(kind: TrainLoss, pred: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D {
  if (kind === 'mse') return tf.squaredDifference(pred, y);
  const abs = tf.abs(tf.sub(pred, y)) as tf.Tensor2D;
  if (kind === 'l1') return abs;
  // min(|d|, δ) as |d| − relu(|d| − δ): only kernels with registered gradients.
  const beyond = tf.relu(tf.sub(abs, HUBER_DELTA));
  const q = tf.sub(abs, beyond);
  return tf.add(tf.mul(0.5, tf.square(q)), tf.mul(HUBER_DELTA, beyond)) as tf.Tensor2D;
}

/** The per-element loss of one difference, as elementLoss computes it. */
function scalarLoss(kind: TrainLoss, d: number): number {
  const abs = Math.abs(d);
  if (kind === 'mse') return d * d;
  if (kind === 'l1') return abs;
  const q = Math.min(abs, HUBER_DELTA);
  return 0.5 * q * q + HUBER_DELTA * (abs - q);
}

/** Σ_i w_i Σ_t tw_t loss(ŷ − y) / norm, where norm = Σ_i w_i · Σ_t tw_t: plain MSE when all weights are 1. */
function weightedLoss(kind: TrainLoss, pred: tf.Tensor2D, y: tf.Tensor2D, w: tf.Tensor1D, tw: tf.Tensor1D, norm: number): tf.Scalar {
  const perSample = tf.sum(tf.mul(elementLoss(kind, pred, y), tw), 1);
  return tf.div(tf.sum(tf.mul(perSample, w)), norm) as tf.Scalar;
}

/** The same loss over a whole set, in inference batches. */
function evaluate(rows: Rows, predict: (x: tf.Tensor, s: tf.Tensor2D | undefined) => tf.Tensor2D, tw: Float32Array, k: number, kind: TrainLoss): number {
  const per = rows.inputShape.reduce((a, b) => a * b, 1);
  const m = rows.stateSize;
  const x = new Float32Array(EVAL_BATCH * per);
  const s = new Float32Array(EVAL_BATCH * m);
  const y = new Float32Array(EVAL_BATCH * k);
  const w = new Float32Array(EVAL_BATCH);
  const twSum = tw.reduce((a, b) => a + b, 0);
  let num = 0;
  let den = 0;
  const ids = new Int32Array(EVAL_BATCH);
  for (let start = 0; start < rows.count; start += EVAL_BATCH) {
    const b = Math.min(EVAL_BATCH, rows.count - start);
    for (let i = 0; i < b; i++) ids[i] = start + i;
    rows.fill(ids.subarray(0, b), x, s, y, w, () => 0);
    const pred = tf.tidy(() => predict(tf.tensor(x.subarray(0, b * per), [b, ...rows.inputShape]), m > 0 ? tf.tensor2d(s.subarray(0, b * m), [b, m]) : undefined));
    const p = pred.dataSync();
    pred.dispose();
    for (let i = 0; i < b; i++) {
      let e = 0;
      for (let t = 0; t < k; t++) e += tw[t]! * scalarLoss(kind, p[i * k + t]! - y[i * k + t]!);
      num += w[i]! * e;
      den += w[i]! * twSum;
    }
  }
  return den > 0 ? num / den : NaN;
}

/**
 * Rows backed by frames: gathers bytes, applies the augmentation, normalises; copies `m` state values
 * per frame (the network's state input; checkSelection made sure the frames carry them).
 */
function imageRows(sel: FrameSelection, indices: Int32Array, normalizer: FrameNormalizer, augment: AugmentFn | undefined, m: number): Rows {
  const { frames, weights } = sel;
  const frameBytes = frames.height * frames.width * 3;
  const k = frames.targetNames.length;
  let bytes = new Uint8Array(0);
  return {
    count: indices.length,
    inputShape: [frames.height, frames.width, 3],
    stateSize: m,
    fill(ids, x, s, y, w, rng) {
      const b = ids.length;
      if (bytes.length < b * frameBytes) bytes = new Uint8Array(b * frameBytes);
      for (let i = 0; i < b; i++) {
        const f = indices[ids[i]!]!;
        bytes.set(frames.images.subarray(f * frameBytes, (f + 1) * frameBytes), i * frameBytes);
        y.set(frames.targets.subarray(f * k, (f + 1) * k), i * k);
        if (m > 0) s.set(frames.states!.subarray(f * m, (f + 1) * m), i * m);
        w[i] = weights ? weights[f]! : 1;
      }
      const batchBytes = bytes.subarray(0, b * frameBytes);
      if (augment) augment(batchBytes, y.subarray(0, b * k), rng);
      normalizer.apply(batchBytes, x.subarray(0, b * frameBytes));
    },
  };
}

/**
 * Runs the frozen backbone over every row (and `copies` augmented versions); returns cached-feature
 * rows. States are cached per row beside the features; the head concatenates them each batch.
 */
async function featurise(
  network: Network,
  source: Rows,
  augmented: Rows | undefined,
  copies: number,
  rng: () => number,
  k: number,
  tick: (rows: number) => void,
  breathe: () => Promise<void>,
): Promise<Rows> {
  const n = source.count;
  const f = network.featureSize;
  const rows = n * (1 + copies);
  const feats = new Float32Array(rows * f);
  const m = source.stateSize;
  const states = new Float32Array(rows * m);
  const targets = new Float32Array(rows * k);
  const weights = new Float32Array(rows);
  const per = source.inputShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(FEATURE_BATCH * per);
  const ids = new Int32Array(FEATURE_BATCH);
  for (let c = 0; c <= copies; c++) {
    // Copy 0 is the frames as recorded; the others go through the augmentation.
    const rowsOf = c === 0 || !augmented ? source : augmented;
    for (let start = 0; start < n; start += FEATURE_BATCH) {
      await breathe();
      const b = Math.min(FEATURE_BATCH, n - start);
      for (let i = 0; i < b; i++) ids[i] = start + i;
      const row = c * n + start;
      rowsOf.fill(ids.subarray(0, b), x, states.subarray(row * m), targets.subarray(row * k), weights.subarray(row), rng);
      const out = tf.tidy(() => network.features(tf.tensor4d(x.subarray(0, b * per), [b, ...source.inputShape] as [number, number, number, number]), { fused: true }));
      feats.set(out.dataSync(), row * f);
      out.dispose();
      tick(b);
    }
  }
  return {
    count: rows,
    inputShape: [f],
    stateSize: m,
    fill(idList, xOut, sOut, y, w) {
      for (let i = 0; i < idList.length; i++) {
        const r = idList[i]!;
        xOut.set(feats.subarray(r * f, (r + 1) * f), i * f);
        if (m > 0) sOut.set(states.subarray(r * m, (r + 1) * m), i * m);
        y.set(targets.subarray(r * k, (r + 1) * k), i * k);
        w[i] = weights[r]!;
      }
    },
  };
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

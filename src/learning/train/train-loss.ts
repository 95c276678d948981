/** The training losses (mse, l1, huber), weighted per sample and per output, as tensor ops and over a whole set. */
import * as tf from '@tensorflow/tfjs-core';
import type { Rows } from './train-rows.js';

export type TrainLoss = 'mse' | 'l1' | 'huber';

/** Huber's δ in raw (tanh) units. */
const HUBER_DELTA = 0.1;

const EVAL_BATCH = 256;

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
export function weightedLoss(kind: TrainLoss, pred: tf.Tensor2D, y: tf.Tensor2D, w: tf.Tensor1D, tw: tf.Tensor1D, norm: number): tf.Scalar {
  const perSample = tf.sum(tf.mul(elementLoss(kind, pred, y), tw), 1);
  return tf.div(tf.sum(tf.mul(perSample, w)), norm) as tf.Scalar;
}

/** The same loss over a whole set, in inference batches. */
export function evaluate(rows: Rows, predict: (x: tf.Tensor, s: tf.Tensor2D | undefined) => tf.Tensor2D, tw: Float32Array, k: number, kind: TrainLoss): number {
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


/**
 * Training rows: the batches trainNetwork draws from. Backed by frames (bytes gathered, augmented and
 * normalised per batch) or, in 'head' mode, by backbone features computed once per frame and per
 * augmented copy, with the state vectors cached beside them.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { FrameNormalizer, FrameSelection } from './frames.js';
import type { Network } from './network.js';

/** Augments a batch in place: `batchImages` is B frames HWC uint8, `batchTargets` B × outputs. */
export type AugmentFn = (batchImages: Uint8Array, batchTargets: Float32Array, rng: () => number) => void;

/**
 * A batch source: fills the input tensor data, the state vectors (a network with a state input), and
 * the targets/weights for a list of row ids.
 */
export interface Rows {
  readonly count: number;
  /** Input shape without batch: [H, W, 3] for images, [F] for cached features. */
  readonly inputShape: readonly number[];
  /** State values per row (0 without a state input). */
  readonly stateSize: number;
  fill(ids: ArrayLike<number>, x: Float32Array, s: Float32Array, y: Float32Array, w: Float32Array, rng: () => number): void;
}

export const FEATURE_BATCH = 128;

/**
 * Rows backed by frames: gathers bytes, applies the augmentation, normalises; copies `m` state values
 * per frame (the network's state input; checkSelection made sure the frames carry them).
 */
export function imageRows(sel: FrameSelection, indices: Int32Array, normalizer: FrameNormalizer, augment: AugmentFn | undefined, m: number): Rows {
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
export async function featurise(
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


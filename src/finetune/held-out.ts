/**
 * Error of a network on a dataset, in physical units (MAE per output field) and as the trainer's raw
 * MSE. A network with a state input reads each frame's state from the dataset (`states`).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ImageDataset } from '../dataset/dataset.js';
import type { ContractOutputField } from '../policy/contract.js';
import { FrameNormalizer, type Network, type Normalize } from '../train/index.js';
import { PilotError } from '../util/errors.js';

export interface HeldOutError {
  readonly frames: number;
  readonly rawMse: number;
  /** Per field, physical units. */
  readonly mae: Record<string, number>;
}

export function heldOutError(net: Network, ds: ImageDataset, normalize: Normalize, fields: readonly ContractOutputField[], batch = 64): HeldOutError {
  const k = ds.targetNames.length;
  const fb = ds.height * ds.width * 3;
  const m = net.stateSize;
  if (m > 0 && (!ds.states || ds.stateNames?.join('\u0000') !== net.stateNames.join('\u0000'))) {
    throw new PilotError('E_TRAIN_DATA', `held-out set: the network's state input is [${net.stateNames.join(', ')}], the frames carry ${ds.stateNames ? `[${ds.stateNames.join(', ')}]` : 'no states'}`);
  }
  const norm = new FrameNormalizer(normalize);
  const x = new Float32Array(batch * fb);
  const absSum = new Float64Array(k);
  let sq = 0;
  for (let start = 0; start < ds.count; start += batch) {
    const n = Math.min(batch, ds.count - start);
    norm.apply(ds.images.subarray(start * fb, (start + n) * fb), x.subarray(0, n * fb));
    const out = tf.tidy(() =>
      net.forward(tf.tensor4d(x.subarray(0, n * fb), [n, ds.height, ds.width, 3]), {
        fused: true,
        ...(m > 0 ? { state: tf.tensor2d(ds.states!.subarray(start * m, (start + n) * m), [n, m]) } : {}),
      }),
    );
    const y = out.dataSync();
    out.dispose();
    for (let i = 0; i < n; i++) {
      for (let t = 0; t < k; t++) {
        const d = y[i * k + t]! - ds.targets[(start + i) * k + t]!;
        sq += d * d;
        absSum[t]! += Math.abs(d);
      }
    }
  }
  const mae: Record<string, number> = {};
  ds.targetNames.forEach((name, t) => {
    const scale = fields.find((f) => f.name === name)?.scale ?? 1;
    mae[name] = ds.count > 0 ? (absSum[t]! / ds.count) * Math.abs(scale) : NaN;
  });
  return { frames: ds.count, rawMse: ds.count > 0 ? sq / (ds.count * k) : NaN, mae };
}

/**
 * Error of a network on a dataset: MAE per output field in physical units and the trainer's raw MSE,
 * and the same frames against the trivial baselines (training-set mean, zero) with the correlation.
 * A network with a state input reads each frame's state from the dataset (`states`).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ImageDataset } from '../dataset/dataset.js';
import { compareWithBaselines, type FieldBaselineComparison } from '../../data/replay/baselines.js';
import type { ContractOutputField } from '../../runtime/policy/contract.js';
import { FrameNormalizer, type Network, type Normalize } from '../train/index.js';
import { PilotError } from '../../core/util/errors.js';

export interface HeldOutError {
  readonly frames: number;
  readonly rawMse: number;
  /** Per field, physical units. */
  readonly mae: Record<string, number>;
}

/** The network's raw outputs for every frame, `count × outputs`, row-major. */
export function predictRaw(net: Network, ds: ImageDataset, normalize: Normalize, batch = 64): Float32Array {
  const k = ds.targetNames.length;
  const fb = ds.height * ds.width * 3;
  const m = net.stateSize;
  if (m > 0 && (!ds.states || ds.stateNames?.join('\u0000') !== net.stateNames.join('\u0000'))) {
    throw new PilotError('E_TRAIN_DATA', `held-out set: the network's state input is [${net.stateNames.join(', ')}], the frames carry ${ds.stateNames ? `[${ds.stateNames.join(', ')}]` : 'no states'}`);
  }
  const norm = new FrameNormalizer(normalize);
  const x = new Float32Array(batch * fb);
  const out = new Float32Array(ds.count * k);
  for (let start = 0; start < ds.count; start += batch) {
    const n = Math.min(batch, ds.count - start);
    norm.apply(ds.images.subarray(start * fb, (start + n) * fb), x.subarray(0, n * fb));
    const y = tf.tidy(() =>
      net.forward(tf.tensor4d(x.subarray(0, n * fb), [n, ds.height, ds.width, 3]), {
        fused: true,
        ...(m > 0 ? { state: tf.tensor2d(ds.states!.subarray(start * m, (start + n) * m), [n, m]) } : {}),
      }),
    );
    out.set(y.dataSync() as Float32Array, start * k);
    y.dispose();
  }
  return out;
}

export function heldOutError(net: Network, ds: ImageDataset, normalize: Normalize, fields: readonly ContractOutputField[], batch = 64): HeldOutError {
  return errorFromPredictions(predictRaw(net, ds, normalize, batch), ds, fields);
}

/** The error of raw predictions (`count × outputs`, as predictRaw gives them) against the dataset's labels. */
export function errorFromPredictions(y: Float32Array, ds: ImageDataset, fields: readonly ContractOutputField[]): HeldOutError {
  const k = ds.targetNames.length;
  const absSum = new Float64Array(k);
  let sq = 0;
  for (let i = 0; i < ds.count; i++) {
    for (let t = 0; t < k; t++) {
      const d = y[i * k + t]! - ds.targets[i * k + t]!;
      sq += d * d;
      absSum[t]! += Math.abs(d);
    }
  }
  const mae: Record<string, number> = {};
  ds.targetNames.forEach((name, t) => {
    const scale = fields.find((f) => f.name === name)?.scale ?? 1;
    mae[name] = ds.count > 0 ? (absSum[t]! / ds.count) * Math.abs(scale) : NaN;
  });
  return { frames: ds.count, rawMse: ds.count > 0 ? sq / (ds.count * k) : NaN, mae };
}

/** One column of raw values (`count × k`, column t) in physical units: raw × scale + offset. */
export function physicalColumn(raw: Float32Array, k: number, t: number, field: Pick<ContractOutputField, 'scale' | 'offset'> | undefined): Float64Array {
  const n = Math.floor(raw.length / k);
  const out = new Float64Array(n);
  const scale = field?.scale ?? 1, offset = field?.offset ?? 0;
  for (let i = 0; i < n; i++) out[i] = raw[i * k + t]! * scale + offset;
  return out;
}

/** Mean of each label over the dataset, physical units: the constant baseline a model must beat. */
export function trainingMeans(ds: ImageDataset, fields: readonly ContractOutputField[]): Record<string, number> {
  const k = ds.targetNames.length;
  const out: Record<string, number> = {};
  ds.targetNames.forEach((name, t) => {
    const col = physicalColumn(ds.targets, k, t, fields.find((f) => f.name === name));
    let sum = 0;
    for (const v of col) sum += v;
    out[name] = ds.count > 0 ? sum / ds.count : NaN;
  });
  return out;
}

/** Raw predictions (as predictRaw gives them) against both baselines on `ds`, per field, physical units. */
export function compareFromPredictions(
  y: Float32Array,
  ds: ImageDataset,
  fields: readonly ContractOutputField[],
  constantMean: Readonly<Record<string, number>>,
): FieldBaselineComparison[] {
  const k = ds.targetNames.length;
  return ds.targetNames.map((name, t) => {
    const field = fields.find((f) => f.name === name);
    return compareWithBaselines(name, physicalColumn(y, k, t, field), physicalColumn(ds.targets, k, t, field), constantMean[name]);
  });
}

import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initTrainingBackend } from '../../../src/learning/train/backend.js';
import { FrameNormalizer, SYMMETRIC_NORMALIZE, type LabelledFrames } from '../../../src/learning/train/frames.js';
import { Network, type NetworkArchitecture } from '../../../src/learning/train/network.js';
import { trainNetwork, type TrainLoss } from '../../../src/learning/train/trainer.js';
import { barFrames, TINY } from './helpers.js';

beforeAll(async () => {
  await initTrainingBackend();
});

/** TINY with a linear head: its outputs can reach ±1 exactly (a tanh only approaches them). */
const LINEAR: NetworkArchitecture = { ...TINY, head: { ...TINY.head, outputActivation: 'linear' } };

/** The network's outputs for every frame, `count × 2`, through the trainer's default normalisation. */
function predict(net: Network, frames: LabelledFrames): Float32Array {
  const x = new Float32Array(frames.images.length);
  new FrameNormalizer(SYMMETRIC_NORMALIZE).apply(frames.images, x);
  return tf.tidy(() => net.forward(tf.tensor4d(x, [frames.count, frames.height, frames.width, 3]), { fused: true }).dataSync() as Float32Array).slice();
}

/** The per-element losses as the trainer documents them (Huber δ = 0.1 raw). */
const lossOf: Record<TrainLoss, (d: number) => number> = {
  mse: (d) => d * d,
  l1: (d) => Math.abs(d),
  huber: (d) => (Math.abs(d) <= 0.1 ? 0.5 * d * d : 0.1 * (Math.abs(d) - 0.05)),
};

function meanLoss(kind: TrainLoss, pred: Float32Array, targets: Float32Array): number {
  let s = 0;
  for (let i = 0; i < pred.length; i++) s += lossOf[kind](pred[i]! - targets[i]!);
  return s / pred.length;
}

/**
 * `count` identical frames: the network cannot tell them apart, so its best constant output is the
 * loss's location estimate of the labels. Steering is +1 on 70 % of the frames and −1 on the rest
 * (mean 0.4, median +1); speed is 0.
 */
function bimodal(count: number): LabelledFrames {
  const { images, height, width } = barFrames(1, 5);
  const all = new Uint8Array(count * images.length);
  for (let i = 0; i < count; i++) all.set(images, i * images.length);
  const targets = new Float32Array(count * 2);
  for (let i = 0; i < count; i++) targets[i * 2] = i % 10 < 7 ? 1 : -1;
  return { images: all, height, width, targets, targetNames: ['steering_angle', 'speed'], count };
}

describe('trainNetwork loss', () => {
  const train = barFrames(96, 1);
  const validation = barFrames(32, 2);

  it.each(['l1', 'huber'] as const)('%s trains a tiny network: the validation loss falls', async (loss) => {
    const net = new Network(LINEAR, { seed: 1 });
    const r = await trainNetwork(net, { train: { frames: train }, validation: { frames: validation } }, { mode: 'full', epochs: 6, batchSize: 16, learningRate: 1e-2, patience: 10, loss });
    const h = r.history;
    expect(h).toHaveLength(6);
    expect(Math.min(...h.map((e) => e.valLoss!))).toBeLessThan(h[0]!.valLoss! * 0.8);
    expect(h.every((e) => Number.isFinite(e.trainLoss))).toBe(true);
    net.dispose();
  });

  it.each(['mse', 'l1', 'huber'] as const)('the validation loss reported for %s is that loss of the network’s predictions', async (loss) => {
    const net = new Network(LINEAR, { seed: 2 });
    const r = await trainNetwork(net, { train: { frames: train }, validation: { frames: validation } }, { mode: 'full', epochs: 1, batchSize: 32, learningRate: 1e-3, loss });
    // One epoch: the network holds that epoch's weights.
    const pred = predict(net, validation);
    const expected = meanLoss(loss, pred, validation.targets);
    expect(r.history[0]!.valLoss).toBeCloseTo(expected, 4);
    // The three losses differ on these predictions, so the match is not a coincidence.
    const others = (['mse', 'l1', 'huber'] as const).filter((k) => k !== loss).map((k) => meanLoss(k, pred, validation.targets));
    for (const o of others) expect(Math.abs(o - expected)).toBeGreaterThan(1e-3);
    net.dispose();
  });

  it('on bimodal labels l1 converges towards the median, mse towards the mean', async () => {
    const frames = bimodal(50);
    const fit = async (loss: TrainLoss): Promise<number> => {
      const net = new Network(LINEAR, { seed: 3 });
      // Whole-set batches: every step sees exactly 35 frames at +1 and 15 at −1.
      await trainNetwork(net, { train: { frames } }, { mode: 'full', epochs: 150, batchSize: 50, learningRate: 1e-2, loss });
      const steer = predict(net, frames)[0]!;
      net.dispose();
      return steer;
    };
    const mse = await fit('mse');
    const l1 = await fit('l1');
    expect(mse).toBeCloseTo(0.4, 1);
    expect(l1).toBeGreaterThan(0.85);
    expect(l1).toBeLessThan(1.15);
  });

  it('refuses an unknown loss with E_TRAIN_OPTIONS', async () => {
    const net = new Network(LINEAR, { seed: 1 });
    await expect(trainNetwork(net, { train: { frames: train } }, { epochs: 1, loss: 'mae' as TrainLoss })).rejects.toThrow(/E_TRAIN_OPTIONS: loss must be mse, l1 or huber, got 'mae'/);
    net.dispose();
  });
});

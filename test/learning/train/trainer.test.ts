import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initTrainingBackend } from '../../../src/learning/train/backend.js';
import { FrameNormalizer, SYMMETRIC_NORMALIZE } from '../../../src/learning/train/frames.js';
import { Network } from '../../../src/learning/train/network.js';
import { trainNetwork, type AugmentFn, type TrainProgress } from '../../../src/learning/train/trainer.js';
import { barFrames, TINY } from './helpers.js';

beforeAll(async () => {
  await initTrainingBackend();
});

const train = barFrames(96, 1);
const validation = barFrames(32, 2);

function weightsEqual(a: Map<string, Float32Array>, b: Map<string, Float32Array>): boolean {
  return [...a].every(([k, v]) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).equals(Buffer.from(b.get(k)!.buffer, b.get(k)!.byteOffset, b.get(k)!.byteLength)));
}

describe('trainNetwork', () => {
  it.each(['head', 'partial', 'full'] as const)('%s mode lowers the validation loss and trains only its variables', async (mode) => {
    const net = new Network(TINY, { seed: 1 });
    const before = net.getWeights();
    const events: TrainProgress[] = [];
    const result = await trainNetwork(net, { train: { frames: train }, validation: { frames: validation } }, {
      mode,
      partialLayers: 1,
      epochs: 6,
      batchSize: 16,
      learningRate: 1e-2,
      patience: 10,
      onProgress: (p) => events.push(p),
    });
    const h = result.history;
    expect(h).toHaveLength(6);
    expect(Math.min(...h.map((e) => e.valLoss!))).toBeLessThan(h[0]!.valLoss! * 0.8);
    expect(result.bestValLoss).toBe(Math.min(...h.map((e) => e.valLoss!)));
    const after = net.getWeights();
    const changed = [...after].filter(([k, v]) => !v.every((x, i) => x === before.get(k)![i])).map(([k]) => k);
    const trainable = { head: ['head.'], partial: ['head.', 'backbone.fc1.'], full: ['head.', 'backbone.'] }[mode];
    expect(changed.length).toBeGreaterThan(0);
    for (const k of changed) expect(trainable.some((p) => k.startsWith(p)), k).toBe(true);
    if (mode === 'full') expect(changed).toContain('backbone.conv1.weight');
    expect(events.filter((e) => e.phase === 'epoch').map((e) => e.epoch)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(events.filter((e) => e.phase === 'train')).toHaveLength(6 * 6);
    expect(events.some((e) => e.phase === 'features')).toBe(mode === 'head');
    net.dispose();
  });

  it.each(['head', 'full'] as const)('%s mode is deterministic with a seed (identical weights), and seeds matter', async (mode) => {
    const augment: AugmentFn = (images, _targets, rng) => {
      for (let i = 0; i < images.length; i += 97) images[i] = Math.floor(rng() * 256);
    };
    const run = async (seed: number) => {
      const net = new Network(TINY, { seed: 5 });
      await trainNetwork(net, { train: { frames: train }, validation: { frames: validation } }, { mode, epochs: 2, batchSize: 16, seed, augment, augmentedCopies: 1 });
      const w = net.getWeights();
      net.dispose();
      return w;
    };
    const a = await run(1);
    const b = await run(1);
    const c = await run(2);
    expect(weightsEqual(a, b)).toBe(true);
    expect(weightsEqual(a, c)).toBe(false);
  });

  it('keeps the best epoch’s weights and stops early after `patience` epochs without improvement', async () => {
    const net = new Network(TINY, { seed: 1 });
    // A learning rate this high makes the validation loss bounce, so early stopping has work to do.
    const result = await trainNetwork(net, { train: { frames: train }, validation: { frames: validation } }, { mode: 'full', epochs: 30, batchSize: 8, learningRate: 0.3, patience: 2 });
    const best = result.history.reduce((m, e) => (e.valLoss! < m.valLoss! ? e : m));
    expect(result.bestEpoch).toBe(best.epoch);
    expect(result.stoppedEarly).toBe(true);
    expect(result.history.length).toBe(best.epoch + 2);
    // The network holds the best weights: its validation loss is the best epoch's.
    const again = await trainNetwork(net, { train: { frames: validation }, validation: { frames: validation } }, { mode: 'head', epochs: 1, learningRate: 1e-12 });
    expect(again.history[0]!.valLoss!).toBeCloseTo(best.valLoss!, 5);
    net.dispose();
  });

  it('calls the augmentation hook on training batches only, with bytes and targets', async () => {
    const net = new Network(TINY, { seed: 1 });
    const seen: number[] = [];
    const augment: AugmentFn = (images, targets) => {
      seen.push(images.length / (12 * 20 * 3));
      expect(targets.length).toBe((images.length / (12 * 20 * 3)) * 2);
      for (let i = 0; i < targets.length; i += 2) targets[i] = -targets[i]!;
    };
    await trainNetwork(net, { train: { frames: train }, validation: { frames: validation } }, { mode: 'partial', epochs: 1, batchSize: 40, augment });
    expect(seen).toEqual([40, 40, 16]);
    seen.length = 0;
    const r = await trainNetwork(net, { train: { frames: train }, validation: { frames: validation } }, { mode: 'head', epochs: 1, augment, augmentedCopies: 3 });
    expect(seen.reduce((a, b) => a + b, 0)).toBe(96 * 3);
    expect(r.trainRows).toBe(96 * 4);
    net.dispose();
  });

  it('weights: frames with weight 0 do not train; per-target weights change the loss', async () => {
    const net = new Network(TINY, { seed: 1 });
    const before = net.getWeights();
    const r = await trainNetwork(net, { train: { frames: train, weights: new Float32Array(train.count) } }, { mode: 'head', epochs: 2 });
    expect(weightsEqual(before, net.getWeights())).toBe(true);
    expect(r.history.every((e) => Number.isNaN(e.trainLoss))).toBe(true);
    const a = await trainNetwork(net, { train: { frames: train }, validation: { frames: validation } }, { mode: 'head', epochs: 1, learningRate: 1e-12, targetWeights: [1, 0] });
    const b = await trainNetwork(net, { train: { frames: train }, validation: { frames: validation } }, { mode: 'head', epochs: 1, learningRate: 1e-12, targetWeights: [0, 1] });
    expect(a.history[0]!.valLoss).not.toBeCloseTo(b.history[0]!.valLoss!, 4);
    net.dispose();
  });

  it('a NaN loss stops training with E_TRAIN_NAN', async () => {
    const net = new Network(TINY, { seed: 1 });
    const poison: AugmentFn = (_images, targets) => {
      targets[0] = NaN;
    };
    await expect(trainNetwork(net, { train: { frames: train } }, { mode: 'partial', epochs: 2, augment: poison })).rejects.toThrow(/E_TRAIN_NAN: training loss is NaN at epoch 1, step 1\//);
    net.dispose();
  });

  it('stops with E_TRAIN_ABORTED when the signal aborts, and lets timers run meanwhile', async () => {
    const net = new Network(TINY, { seed: 1 });
    const aborted = new AbortController();
    aborted.abort();
    await expect(trainNetwork(net, { train: { frames: train } }, { mode: 'head', signal: aborted.signal })).rejects.toThrow(/E_TRAIN_ABORTED/);
    const controller = new AbortController();
    let clock = 0;
    let steps = 0;
    // A fake clock that advances 50 ms per read, so the trainer yields every few reads; abort from a timer.
    setImmediate(() => controller.abort());
    await expect(
      trainNetwork(net, { train: { frames: train } }, { mode: 'full', epochs: 50, signal: controller.signal, now: () => (clock += 50), onProgress: () => steps++ }),
    ).rejects.toThrow(/E_TRAIN_ABORTED: training aborted; no model written/);
    expect(steps).toBeLessThan(50 * 3);
    net.dispose();
  });

  it('rejects bad data and options with clear errors', async () => {
    const net = new Network(TINY, { seed: 1 });
    const bad = { ...train, targets: train.targets.slice() };
    bad.targets[7] = Infinity;
    await expect(trainNetwork(net, { train: { frames: bad } })).rejects.toThrow(/E_TRAIN_DATA: training set: target speed of frame 3 is Infinity/);
    await expect(trainNetwork(net, { train: { frames: barFrames(4, 1, 16, 20) } })).rejects.toThrow(/E_TRAIN_DATA: training set: frames are 20×16, the network input is 20×12/);
    await expect(trainNetwork(net, { train: { frames: { ...train, targetNames: ['speed', 'steering_angle'] } } })).rejects.toThrow(/do not match the network outputs \[steering_angle, speed\]/);
    await expect(trainNetwork(net, { train: { frames: train, indices: [0, 96] } })).rejects.toThrow(/index 96 is outside 0..95/);
    await expect(trainNetwork(net, { train: { frames: train, indices: [] } })).rejects.toThrow(/E_TRAIN_DATA: training set is empty/);
    await expect(trainNetwork(net, { train: { frames: train } }, { epochs: 0 })).rejects.toThrow(/E_TRAIN_OPTIONS: epochs must be an integer ≥ 1/);
    await expect(trainNetwork(net, { train: { frames: train } }, { targetWeights: [1] })).rejects.toThrow(/E_TRAIN_OPTIONS: targetWeights must be 2 values/);
    net.dispose();
  });

  it('does not leak tensors', async () => {
    const net = new Network(TINY, { seed: 1 });
    const before = tf.memory().numTensors;
    for (const mode of ['head', 'partial', 'full'] as const) {
      await trainNetwork(net, { train: { frames: train }, validation: { frames: validation } }, { mode, epochs: 2, patience: 1, learningRate: 1 });
    }
    expect(tf.memory().numTensors).toBe(before);
    net.dispose();
  });
});

describe('FrameNormalizer', () => {
  it('maps bytes as the runtime preprocessor does: (b·scale − mean)/std in float32', () => {
    const n = new FrameNormalizer(SYMMETRIC_NORMALIZE);
    const out = new Float32Array(6);
    n.apply(Uint8Array.of(0, 255, 128, 51, 0, 255), out);
    expect([...out].map((v) => +v.toFixed(6))).toEqual([-1, 1, 0.003922, -0.6, -1, 1]);
    const m = new FrameNormalizer({ scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
    m.apply(Uint8Array.of(255, 255, 255), out);
    expect(out[0]).toBeCloseTo((1 - 0.485) / 0.229, 5);
    expect(out[2]).toBeCloseTo((1 - 0.406) / 0.225, 5);
    expect(() => new FrameNormalizer({ scale: 1, mean: [0], std: [0] })).toThrow(/E_TRAIN_OPTIONS/);
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initTrainingBackend } from '../../../src/learning/train/backend.js';
import { describeLayers, DRIVING_NETWORK, Network } from '../../../src/learning/train/network.js';
import { mulberry32, uniform } from '../../../src/core/util/prng.js';
import { TINY } from './helpers.js';

beforeAll(async () => {
  await initTrainingBackend();
});

describe('Network', () => {
  it('has the planned default driving architecture', () => {
    const layers = describeLayers(DRIVING_NETWORK);
    expect(layers.map((l) => [l.name, l.outputShape])).toEqual([
      ['backbone.conv1', [22, 62, 24]],
      ['backbone.conv2', [9, 29, 32]],
      ['backbone.conv3', [4, 14, 48]],
      ['backbone.conv4', [2, 12, 64]],
      ['backbone.fc1', [128]],
      ['head.fc1', [64]],
      ['head.out', [2]],
    ]);
    expect(layers.find((l) => l.name === 'backbone.fc1')!.weightShape).toEqual([1536, 128]);
    const net = new Network(DRIVING_NETWORK);
    expect(net.parameterCount).toBe(267_762);
    expect(net.featureSize).toBe(128);
    net.dispose();
  });

  it('initialises deterministically from the seed', () => {
    const a = new Network(TINY, { seed: 3 });
    const b = new Network(TINY, { seed: 3 });
    const c = new Network(TINY, { seed: 4 });
    const wa = a.getWeights();
    expect([...wa.keys()]).toEqual(a.parameterNames);
    for (const [k, v] of b.getWeights()) expect(v).toEqual(wa.get(k));
    expect(c.getWeights().get('backbone.conv1.weight')).not.toEqual(wa.get('backbone.conv1.weight'));
    expect([...wa.get('head.out.bias')!]).toEqual([0, 0]);
    [a, b, c].forEach((n) => n.dispose());
  });

  it('forward = head(features), and the fused inference path agrees', () => {
    const net = new Network(TINY, { seed: 1 });
    const x = tf.tensor4d(uniform(mulberry32(2), 5 * 12 * 20 * 3, 1), [5, 12, 20, 3]);
    const out = net.forward(x);
    expect(out.shape).toEqual([5, 2]);
    const f = net.features(x);
    expect(f.shape).toEqual([5, 8]);
    const viaHead = net.head(f);
    const fused = net.forward(x, { fused: true });
    const o = out.dataSync();
    viaHead.dataSync().forEach((v, i) => expect(v).toBeCloseTo(o[i]!, 6));
    fused.dataSync().forEach((v, i) => expect(v).toBeCloseTo(o[i]!, 5));
    tf.dispose([x, out, f, viaHead, fused]);
    net.dispose();
  });

  it('selects trainable variables per mode', () => {
    const net = new Network(TINY);
    const names = (vs: tf.Variable[]) => vs.map((v) => v.name.replace(/^net\d+\//, ''));
    expect(names(net.trainableVariables('head'))).toEqual(['head.fc1.weight', 'head.fc1.bias', 'head.out.weight', 'head.out.bias']);
    expect(names(net.trainableVariables('partial', 2)).slice(0, 4)).toEqual(['backbone.conv2.weight', 'backbone.conv2.bias', 'backbone.fc1.weight', 'backbone.fc1.bias']);
    expect(net.trainableVariables('full')).toHaveLength(10);
    expect(() => net.trainableVariables('partial', 4)).toThrow(/E_TRAIN_OPTIONS: partialLayers must be 1\.\.3/);
    net.dispose();
  });

  it('rejects unbuildable architectures and mismatched weights with clear errors', () => {
    const small = { ...TINY, backbone: { ...TINY.backbone, input: { channels: 3 as const, height: 4, width: 20 } } };
    expect(() => describeLayers(small)).toThrow(/E_TRAIN_ARCH: backbone.conv2: input 1×9 is smaller than its 3×3 kernel/);
    const net = new Network(TINY);
    expect(() => net.setWeights(new Map([['backbone.conv9.weight', new Float32Array(1)]]))).toThrow(/E_TRAIN_WEIGHTS: no parameter 'backbone.conv9.weight'/);
    expect(() => net.setWeights(new Map([['head.out.bias', new Float32Array(3)]]))).toThrow(/E_TRAIN_WEIGHTS: parameter 'head.out.bias': 3 values, network has \[2\]/);
    net.setWeights(new Map([['head.out.bias', Float32Array.of(0.5, -0.5)]]));
    expect([...net.getWeights().get('head.out.bias')!]).toEqual([0.5, -0.5]);
    net.dispose();
  });

  it('does not leak tensors in forward passes', () => {
    const net = new Network(TINY);
    const x = tf.zeros([2, 12, 20, 3]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    tf.dispose([net.forward(x), net.features(x, { fused: true }), net.forward(x, { fused: true })]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    net.dispose();
  });
});

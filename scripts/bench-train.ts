/**
 * Training benchmarks (issue 6 bars): `npm run build && node dist/scripts/bench-train.js [options]`
 *
 * 1. Full training step: forward + backward + Adam of the default driving network (3×48×128 input,
 *    ≈268k parameters) at batch 32 on the tfjs wasm backend; reports samples/s, raw and through
 *    trainNetwork (which adds gathering, normalisation and loss read-back).
 * 2. Head-only fine-tuning on --frames synthetic frames (default 10,000; 10% held out for validation):
 *    the wall time of trainNetwork in 'head' mode, feature computation included. Bar: < 60 s on the
 *    2-core machine. With --copies N > 0 an augmentation hook runs and N augmented copies are featurised.
 *
 * Options: --frames 10000 --epochs 10 --copies 0 --steps 20 --json
 * The load average is printed alongside: other processes on a 2-core machine change these numbers.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { DRIVING_NETWORK, initTrainingBackend, Network, trainNetwork, type AugmentFn, type LabelledFrames } from '../src/learning/train/index.js';
import { mulberry32 } from '../src/core/util/prng.js';

const { values } = parseArgs({
  options: {
    frames: { type: 'string', default: '10000' },
    epochs: { type: 'string', default: '10' },
    copies: { type: 'string', default: '0' },
    steps: { type: 'string', default: '20' },
    json: { type: 'boolean', default: false },
  },
});
const frames = Number(values.frames);
const epochs = Number(values.epochs);
const copies = Number(values.copies);
const steps = Number(values.steps);
const batch = 32;
const load = () => loadavg().map((v) => v.toFixed(2)).join(' ');

const info = await initTrainingBackend();
const { height, width } = DRIVING_NETWORK.backbone.input;
const results: Record<string, unknown> = { backend: info, loadBefore: load() };
if (!values.json) console.log(`tfjs ${info.backend} (simd ${info.simd}, threads ${info.threads}); load average ${results.loadBefore}`);

/** Deterministic frames: a gradient with noise and a random bar; targets in the tanh range. */
function syntheticFrames(count: number, seed: number): LabelledFrames {
  const random = mulberry32(seed);
  const frameBytes = height * width * 3;
  const images = new Uint8Array(count * frameBytes);
  const targets = new Float32Array(count * 2);
  for (let i = 0; i < count; i++) {
    const col = Math.floor(random() * width);
    const base = i * frameBytes;
    for (let p = 0; p < frameBytes; p++) images[base + p] = ((p * 7 + i * 13) & 127) + (Math.abs(((p / 3) | 0) % width - col) < 3 ? 128 : 0);
    targets[i * 2] = (col / (width - 1)) * 2 - 1;
    targets[i * 2 + 1] = random() - 0.5;
  }
  return { images, height, width, targets, targetNames: ['steering_angle', 'speed'], count };
}

// 1. Full-mode step rate.
{
  const net = new Network(DRIVING_NETWORK, { seed: 1 });
  const x = tf.randomUniform([batch, height, width, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
  const y = tf.randomUniform([batch, 2], -1, 1, 'float32', 2);
  const optimizer = tf.train.adam(1e-3);
  const vars = net.trainableVariables('full');
  const step = () => {
    const loss = optimizer.minimize(() => tf.mean(tf.squaredDifference(net.forward(x), y)) as tf.Scalar, true, vars)!;
    loss.dataSync();
    loss.dispose();
  };
  for (let i = 0; i < 3; i++) step();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) step();
  const raw = (steps * batch) / ((performance.now() - t0) / 1000);
  tf.dispose([x, y]);
  optimizer.dispose();

  const data = syntheticFrames(batch * steps, 3);
  const r = await trainNetwork(net, { train: { frames: data } }, { mode: 'full', epochs: 1, batchSize: batch });
  results.full = { batch, rawSamplesPerSec: +raw.toFixed(1), trainerSamplesPerSec: +r.history[0]!.samplesPerSec.toFixed(1), parameters: net.parameterCount };
  if (!values.json) {
    console.log(`full fine-tuning, batch ${batch}: ${raw.toFixed(1)} samples/s forward+backward+Adam; ${r.history[0]!.samplesPerSec.toFixed(1)} samples/s through trainNetwork`);
  }
  net.dispose();
}

// 2. Head-only fine-tuning wall time.
{
  const data = syntheticFrames(frames, 4);
  const order = Array.from({ length: frames }, (_, i) => i);
  const cut = Math.floor(frames * 0.9);
  const augment: AugmentFn = (images, targets, rng) => {
    // Cheap stand-in for src/learning/dataset's augmentations: a brightness shift per frame.
    const frameBytes = height * width * 3;
    for (let f = 0; f * frameBytes < images.length; f++) {
      const shift = Math.floor((rng() - 0.5) * 40);
      for (let p = f * frameBytes; p < (f + 1) * frameBytes; p++) images[p] = Math.max(0, Math.min(255, images[p]! + shift));
    }
    void targets;
  };
  const net = new Network(DRIVING_NETWORK, { seed: 1 });
  const t0 = performance.now();
  const r = await trainNetwork(
    net,
    { train: { frames: data, indices: order.slice(0, cut) }, validation: { frames: data, indices: order.slice(cut) } },
    { mode: 'head', epochs, patience: epochs, batchSize: batch, ...(copies > 0 ? { augment, augmentedCopies: copies } : {}) },
  );
  const totalS = (performance.now() - t0) / 1000;
  results.head = {
    frames,
    trainFrames: r.trainFrames,
    augmentedCopies: copies,
    epochs: r.history.length,
    featureS: +(r.featureMs / 1000).toFixed(2),
    trainS: +(r.trainMs / 1000).toFixed(2),
    totalS: +totalS.toFixed(2),
    featuresPerSec: +(((r.trainRows + r.validationFrames) / r.featureMs) * 1000).toFixed(1),
    bestValLoss: r.bestValLoss,
  };
  if (!values.json) {
    console.log(
      `head-only fine-tuning, ${frames} frames (${r.trainFrames} train, ${r.validationFrames} validation, ${copies} augmented copies), ${r.history.length} epochs: ` +
        `${totalS.toFixed(1)} s total = features ${(r.featureMs / 1000).toFixed(1)} s (${results.head && (results.head as { featuresPerSec: number }).featuresPerSec} frames/s) + head training ${(r.trainMs / 1000).toFixed(1)} s`,
    );
  }
  net.dispose();
}
results.loadAfter = load();
if (values.json) console.log(JSON.stringify(results, null, 2));
else console.log(`load average after: ${results.loadAfter}`);

/** Tiny networks and synthetic frames for the training tests. */
import type { LabelledFrames } from '../../../src/learning/train/frames.js';
import type { NetworkArchitecture } from '../../../src/learning/train/network.js';
import { mulberry32 } from '../../../src/core/util/prng.js';

export const TINY: NetworkArchitecture = {
  backbone: {
    input: { channels: 3, height: 12, width: 20 },
    convs: [
      { filters: 4, kernel: 3, stride: 2 },
      { filters: 6, kernel: 3, stride: 1 },
    ],
    dense: [8],
    activation: 'elu',
  },
  head: { hidden: [6], outputs: ['steering_angle', 'speed'], outputActivation: 'tanh' },
};

/**
 * Frames whose targets are a smooth function of the image: a bright vertical bar at a random column,
 * steering = bar position in [−0.8, 0.8], speed = brightness-dependent. Learnable by a tiny network.
 */
export function barFrames(count: number, seed: number, height = 12, width = 20): LabelledFrames {
  const random = mulberry32(seed);
  const images = new Uint8Array(count * height * width * 3);
  const targets = new Float32Array(count * 2);
  for (let i = 0; i < count; i++) {
    const col = Math.floor(random() * width);
    const level = 120 + Math.floor(random() * 135);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++)
        for (let c = 0; c < 3; c++) {
          const bar = Math.abs(x - col) <= 1 ? level : 20;
          images[((i * height + y) * width + x) * 3 + c] = Math.min(255, bar + Math.floor(random() * 10));
        }
    targets[i * 2] = ((col / (width - 1)) * 2 - 1) * 0.8;
    targets[i * 2 + 1] = ((level - 120) / 135) * 1.2 - 0.6;
  }
  return { images, height, width, targets, targetNames: ['steering_angle', 'speed'], count };
}

/** A batch of NHWC float images in NCHW order (ONNX Runtime's input layout). */
export function nhwcToNchw(nhwc: Float32Array, batch: number, h: number, w: number): Float32Array {
  const nchw = new Float32Array(nhwc.length);
  for (let b = 0; b < batch; b++)
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) nchw[((b * 3 + c) * h + y) * w + x] = nhwc[((b * h + y) * w + x) * 3 + c]!;
  return nchw;
}

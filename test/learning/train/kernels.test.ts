import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { initTrainingBackend } from '../../../src/learning/train/backend.js';
import { TRAINING_GRADIENTS } from '../../../src/learning/train/gradients.js';
import { mulberry32, uniform } from '../../../src/core/util/prng.js';

type Attrs = Record<string, unknown>;

/** Runs one kernel on a backend from plain arrays; returns its output data and shape. */
async function runKernel(backend: 'wasm' | 'cpu', name: string, inputs: Record<string, [Float32Array, number[]]>, attrs: Attrs) {
  await tf.setBackend(backend);
  try {
    return tf.tidy(() => {
      const ts = Object.fromEntries(Object.entries(inputs).map(([k, [d, s]]) => [k, tf.tensor(d, s)]));
      const out = tf.engine().runKernel(name, ts, attrs as never) as tf.Tensor;
      return { data: out.dataSync().slice() as Float32Array, shape: out.shape };
    });
  } finally {
    await tf.setBackend('wasm');
  }
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** dW[i,j,ci,co] = Σ x[b, oy·s+i−pt, ox·s+j−pl, ci] · dy[b, oy, ox, co], straight from the definition. */
function naiveFilterGrad(x: Float32Array, xs: number[], dy: Float32Array, ds: number[], k: number, s: number, padTop = 0, padLeft = 0): Float32Array {
  const [B, H, W, CI] = xs as [number, number, number, number];
  const [, OH, OW, CO] = ds as [number, number, number, number];
  const out = new Float32Array(k * k * CI * CO);
  for (let i = 0; i < k; i++)
    for (let j = 0; j < k; j++)
      for (let ci = 0; ci < CI; ci++)
        for (let co = 0; co < CO; co++) {
          let acc = 0;
          for (let b = 0; b < B; b++)
            for (let oy = 0; oy < OH; oy++)
              for (let ox = 0; ox < OW; ox++) {
                const y = oy * s + i - padTop;
                const xx = ox * s + j - padLeft;
                if (y < 0 || y >= H || xx < 0 || xx >= W) continue;
                acc += x[((b * H + y) * W + xx) * CI + ci]! * dy[((b * OH + oy) * OW + ox) * CO + co]!;
              }
          out[((i * k + j) * CI + ci) * CO + co] = acc;
        }
  return out;
}

beforeAll(async () => {
  await initTrainingBackend();
});

describe('wasm training kernels', () => {
  it('runs on the wasm backend with SIMD', async () => {
    const info = await initTrainingBackend();
    expect(info).toEqual({ backend: 'wasm', simd: true, threads: false });
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    // The XNNPack-based Conv2DBackpropInput replaced the stock one (which stays as its fallback).
    expect((tf.getKernel('Conv2DBackpropInput', 'wasm') as { pilotFast?: boolean }).pilotFast).toBe(true);
    for (const g of TRAINING_GRADIENTS) expect(tf.getGradient(g.kernelName), g.kernelName).toBeDefined();
  });

  // [batch, H, W, in, kernel, out, stride]: exact and inexact strides, non-square, 1×1 and large kernels.
  const shapes: [number, number, number, number, number, number, number][] = [
    [2, 9, 11, 3, 3, 4, 1],
    [2, 9, 11, 3, 3, 4, 2],
    [3, 12, 13, 5, 5, 6, 2],
    [1, 10, 10, 2, 4, 3, 2],
    [2, 7, 9, 4, 1, 5, 2],
    [2, 16, 21, 3, 5, 8, 3],
    [1, 6, 6, 2, 6, 2, 1],
  ];
  it.each(shapes)('Conv2DBackpropFilter valid: x [%i,%i,%i,%i] k %i → %i, stride %i matches cpu and the definition', async (B, H, W, ci, k, co, s) => {
    const random = mulberry32(H * 100 + W + s);
    const oh = Math.floor((H - k) / s) + 1;
    const ow = Math.floor((W - k) / s) + 1;
    const x = uniform(random, B * H * W * ci, 1);
    const dy = uniform(random, B * oh * ow * co, 1);
    const attrs = { strides: [s, s], pad: 'valid', dataFormat: 'NHWC', filterShape: [k, k, ci, co] };
    const inputs = { x: [x, [B, H, W, ci]], dy: [dy, [B, oh, ow, co]] } as Record<string, [Float32Array, number[]]>;
    const wasm = await runKernel('wasm', 'Conv2DBackpropFilter', inputs, attrs);
    const cpu = await runKernel('cpu', 'Conv2DBackpropFilter', inputs, attrs);
    expect(wasm.shape).toEqual([k, k, ci, co]);
    expect(maxAbsDiff(wasm.data, cpu.data)).toBeLessThan(1e-4);
    expect(maxAbsDiff(wasm.data, naiveFilterGrad(x, [B, H, W, ci], dy, [B, oh, ow, co], k, s))).toBeLessThan(1e-4);
  });

  it.each([1, 2])('Conv2DBackpropFilter same padding, stride %i, matches cpu', async (s) => {
    const random = mulberry32(7 + s);
    const [B, H, W, ci, k, co] = [2, 9, 10, 3, 3, 4];
    const oh = Math.ceil(H / s);
    const ow = Math.ceil(W / s);
    const inputs = { x: [uniform(random, B * H * W * ci, 1), [B, H, W, ci]], dy: [uniform(random, B * oh * ow * co, 1), [B, oh, ow, co]] } as Record<string, [Float32Array, number[]]>;
    const attrs = { strides: [s, s], pad: 'same', dataFormat: 'NHWC', filterShape: [k, k, ci, co] };
    const wasm = await runKernel('wasm', 'Conv2DBackpropFilter', inputs, attrs);
    const cpu = await runKernel('cpu', 'Conv2DBackpropFilter', inputs, attrs);
    expect(maxAbsDiff(wasm.data, cpu.data)).toBeLessThan(1e-4);
  });

  it('Conv2DBackpropFilter does not leak backend memory', async () => {
    const random = mulberry32(3);
    const x = tf.tensor(uniform(random, 2 * 9 * 9 * 3, 1), [2, 9, 9, 3]);
    const dy = tf.tensor(uniform(random, 2 * 4 * 4 * 4, 1), [2, 4, 4, 4]);
    const attrs = { strides: [2, 2], pad: 'valid', dataFormat: 'NHWC', filterShape: [3, 3, 3, 4] };
    tf.dispose(tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as never) as tf.Tensor);
    const before = tf.engine().backend.numDataIds();
    tf.dispose(tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as never) as tf.Tensor);
    expect(tf.engine().backend.numDataIds()).toBe(before);
    tf.dispose([x, dy]);
  });

  // [batch, H, W, in, kernel, out, stride, pad]; includes kernel < stride (a phase with no taps) and a non-square stride (stock path).
  const inputCases: [number, number, number, number, number, number, number | [number, number], 'valid' | 'same'][] = [
    [2, 11, 13, 3, 3, 5, 1, 'valid'],
    [2, 11, 13, 3, 3, 5, 2, 'valid'],
    [2, 22, 62, 4, 5, 6, 2, 'valid'],
    [3, 12, 13, 5, 5, 6, 2, 'valid'],
    [2, 16, 21, 3, 5, 4, 3, 'valid'],
    [2, 9, 9, 3, 1, 4, 2, 'valid'],
    [1, 10, 10, 2, 4, 3, 2, 'valid'],
    [2, 9, 10, 3, 3, 4, 1, 'same'],
    [2, 9, 10, 3, 3, 4, 2, 'same'],
    [2, 11, 12, 3, 5, 4, 3, 'same'],
    [2, 11, 13, 3, 3, 4, [2, 1], 'valid'],
  ];
  it.each(inputCases)('Conv2DBackpropInput: x [%i,%i,%i,%i] k %i → %i, stride %s, %s matches cpu', async (B, H, W, ci, k, co, stride, pad) => {
    const [sh, sw] = Array.isArray(stride) ? stride : [stride, stride];
    const random = mulberry32(H * 31 + W + sh * 7 + sw);
    const oh = pad === 'same' ? Math.ceil(H / sh) : Math.floor((H - k) / sh) + 1;
    const ow = pad === 'same' ? Math.ceil(W / sw) : Math.floor((W - k) / sw) + 1;
    const inputs = { dy: [uniform(random, B * oh * ow * co, 1), [B, oh, ow, co]], filter: [uniform(random, k * k * ci * co, 1), [k, k, ci, co]] } as Record<string, [Float32Array, number[]]>;
    const attrs = { strides: [sh, sw], pad, dataFormat: 'NHWC', inputShape: [B, H, W, ci] };
    const wasm = await runKernel('wasm', 'Conv2DBackpropInput', inputs, attrs);
    const cpu = await runKernel('cpu', 'Conv2DBackpropInput', inputs, attrs);
    expect(wasm.shape).toEqual([B, H, W, ci]);
    expect(maxAbsDiff(wasm.data, cpu.data)).toBeLessThan(1e-4);
  });

  it('Conv2DBackpropInput does not leak backend memory', () => {
    const random = mulberry32(4);
    const dy = tf.tensor(uniform(random, 2 * 4 * 4 * 4, 1), [2, 4, 4, 4]);
    const filter = tf.tensor(uniform(random, 3 * 3 * 3 * 4, 1), [3, 3, 3, 4]);
    const attrs = { strides: [2, 2], pad: 'valid', dataFormat: 'NHWC', inputShape: [2, 9, 9, 3] };
    tf.dispose(tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, attrs as never) as tf.Tensor);
    const before = tf.engine().backend.numDataIds();
    tf.dispose(tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, attrs as never) as tf.Tensor);
    expect(tf.engine().backend.numDataIds()).toBe(before);
    tf.dispose([dy, filter]);
  });

  it('EluGrad (stock wasm) matches cpu', async () => {
    const random = mulberry32(5);
    const x = uniform(random, 64, 3);
    const y = x.map((v) => (v > 0 ? v : Math.expm1(v)));
    const inputs = { dy: [uniform(random, 64, 1), [64]], y: [y, [64]] } as Record<string, [Float32Array, number[]]>;
    const wasm = await runKernel('wasm', 'EluGrad', inputs, {});
    const cpu = await runKernel('cpu', 'EluGrad', inputs, {});
    expect(maxAbsDiff(wasm.data, cpu.data)).toBeLessThan(1e-6);
  });
});

describe('registered gradients', () => {
  /** A small conv → concat → dense → tanh graph that uses every registered gradient. */
  function lossOf(x: tf.Tensor4D, w1: tf.Tensor, b1: tf.Tensor, w2: tf.Tensor, y: tf.Tensor): tf.Scalar {
    const h = tf.elu(tf.add(tf.conv2d(x, w1 as tf.Tensor4D, 2, 'valid'), b1));
    const r = tf.relu(tf.sub(h, 0.1));
    const flat = tf.reshape(tf.transpose(r, [0, 2, 1, 3]), [x.shape[0], -1]);
    // Concat (an arm head's features ‖ state): the bias again as 3 extra columns, so both parts carry gradient.
    const joined = tf.concat([flat as tf.Tensor2D, tf.mul(tf.ones([x.shape[0], 1]), tf.reshape(b1, [1, 3])) as tf.Tensor2D], 1);
    const out = tf.tanh(tf.matMul(joined, w2 as tf.Tensor2D));
    const e = tf.sum(tf.mul(tf.squaredDifference(out, y), tf.tensor1d([1, 0.5])), 1);
    return tf.div(tf.add(tf.mean(tf.square(tf.neg(e))), tf.sum(e)), tf.scalar(3)) as tf.Scalar;
  }

  it('match central finite differences on a conv/elu/relu/transpose/dense/tanh/MSE graph', () => {
    const random = mulberry32(21);
    const x = tf.tensor4d(uniform(random, 2 * 7 * 7 * 2, 1), [2, 7, 7, 2]);
    const params = [tf.tensor(uniform(random, 3 * 3 * 2 * 3, 0.5), [3, 3, 2, 3]), tf.tensor(uniform(random, 3, 0.1), [3]), tf.tensor(uniform(random, 30 * 2, 0.3), [30, 2])];
    const y = tf.tensor2d(uniform(random, 4, 0.5), [2, 2]);
    const f = (p: tf.Tensor[]) => lossOf(x, p[0]!, p[1]!, p[2]!, y);
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => f([a, b, c]))(params);
    const eps = 1e-2;
    for (let p = 0; p < params.length; p++) {
      const base = params[p]!.dataSync().slice();
      const g = grads[p]!.dataSync();
      for (const i of [0, Math.floor(base.length / 2), base.length - 1]) {
        const at = (delta: number) => {
          const d = base.slice();
          d[i]! += delta;
          const ps = params.map((t, j) => (j === p ? tf.tensor(d, t.shape) : t));
          const v = f(ps).dataSync()[0]!;
          return v;
        };
        const numeric = (at(eps) - at(-eps)) / (2 * eps);
        expect(Math.abs(numeric - g[i]!), `param ${p}[${i}] analytic ${g[i]} numeric ${numeric}`).toBeLessThan(2e-3 + 2e-2 * Math.abs(numeric));
      }
    }
  });

  it('give the same network gradients on wasm as on the cpu backend', async () => {
    const random = mulberry32(22);
    const data = {
      x: uniform(random, 3 * 11 * 11 * 2, 1),
      w1: uniform(random, 3 * 3 * 2 * 3, 0.5),
      b1: uniform(random, 3, 0.1),
      w2: uniform(random, 78 * 2, 0.2),
      y: uniform(random, 6, 0.5),
    };
    const run = async (backend: 'wasm' | 'cpu') => {
      await tf.setBackend(backend);
      try {
        return tf.tidy(() => {
          const x = tf.tensor4d(data.x, [3, 11, 11, 2]);
          const y = tf.tensor2d(data.y, [3, 2]);
          const gs = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => lossOf(x, a, b, c, y))([tf.tensor(data.w1, [3, 3, 2, 3]), tf.tensor(data.b1, [3]), tf.tensor(data.w2, [78, 2])]);
          return gs.map((g) => g.dataSync().slice());
        });
      } finally {
        await tf.setBackend('wasm');
      }
    };
    const wasm = await run('wasm');
    const cpu = await run('cpu');
    for (let i = 0; i < wasm.length; i++) expect(maxAbsDiff(wasm[i]!, cpu[i]!)).toBeLessThan(1e-5);
  });
});

/**
 * Gradient functions for the kernels the training graph uses.
 *
 * tfjs-core's own registrations (dist/register_all_gradients.js) ship only as extensionless ES modules
 * that Node cannot load from a CommonJS package, and the core bundles leave them out (the tfjs union
 * package normally bundles them). These are ports of tfjs-core 4.22.0 src/gradients/*_grad.ts
 * (Apache-2.0, Copyright 2020 Google LLC), written against the public API; each is registered only when
 * no gradient is registered for that kernel yet, so a full tfjs install keeps its own.
 */
import * as tf from '@tensorflow/tfjs-core';
import { backend_util, util, type GradConfig, type NamedAttrMap, type Tensor } from '@tensorflow/tfjs-core';

/** Sums `dy` over the axes `shape` was broadcast along, back to `shape`. */
function unbroadcast(dy: Tensor, shape: number[], outShape: number[]): Tensor {
  const axes = backend_util.getReductionAxes(shape, outShape);
  return tf.reshape(axes.length > 0 ? tf.sum(dy, axes) : dy, shape);
}

function binaryShapes(saved: Tensor[]): [Tensor, Tensor, number[]] {
  const [a, b] = saved as [Tensor, Tensor];
  return [a, b, backend_util.assertAndGetBroadcastShape(a.shape, b.shape)];
}

function expandToInput(dy: Tensor, x: Tensor, attrs: NamedAttrMap): { dy: Tensor; reduceSize: number } {
  const axes = util.parseAxisParam(attrs.axis as number | number[], x.shape);
  const expanded = x.shape.slice();
  for (const a of axes) expanded[a] = 1;
  const reduceSize = axes.reduce((n, a) => n * x.shape[a]!, 1);
  return { dy: tf.reshape(dy, expanded), reduceSize };
}

export const TRAINING_GRADIENTS: readonly GradConfig[] = [
  {
    kernelName: tf.Add,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b, out] = binaryShapes(saved);
      return { a: () => unbroadcast(dy as Tensor, a.shape, out), b: () => unbroadcast(dy as Tensor, b.shape, out) };
    },
  },
  {
    kernelName: tf.Sub,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b, out] = binaryShapes(saved);
      return { a: () => unbroadcast(dy as Tensor, a.shape, out), b: () => tf.neg(unbroadcast(dy as Tensor, b.shape, out)) };
    },
  },
  {
    kernelName: tf.Multiply,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b, out] = binaryShapes(saved);
      return {
        a: () => unbroadcast(tf.mul(dy as Tensor, tf.cast(b, 'float32')), a.shape, out),
        b: () => unbroadcast(tf.mul(dy as Tensor, tf.cast(a, 'float32')), b.shape, out),
      };
    },
  },
  {
    kernelName: tf.RealDiv,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b, out] = binaryShapes(saved);
      return {
        a: () => unbroadcast(tf.div(dy as Tensor, tf.cast(b, 'float32')), a.shape, out),
        b: () => tf.neg(tf.div(unbroadcast(tf.mul(dy as Tensor, tf.cast(a, 'float32')), b.shape, out), tf.cast(tf.square(b), 'float32'))),
      };
    },
  },
  {
    kernelName: tf.SquaredDifference,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved as [Tensor, Tensor];
      return { a: () => tf.mul(dy as Tensor, tf.mul(2, tf.sub(a, b))), b: () => tf.mul(dy as Tensor, tf.mul(2, tf.sub(b, a))) };
    },
  },
  {
    kernelName: tf.Square,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({ x: () => tf.mul(dy as Tensor, tf.mul(tf.cast(saved[0]!, 'float32'), 2)) }),
  },
  {
    kernelName: tf.Neg,
    gradFunc: (dy) => ({ x: () => tf.neg(dy as Tensor) }),
  },
  {
    kernelName: tf.Cast,
    gradFunc: (dy) => ({ x: () => (dy as Tensor).clone() }),
  },
  {
    kernelName: tf.Sum,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const x = saved[0]!;
      return { x: () => tf.mul(expandToInput(dy as Tensor, x, attrs).dy, tf.ones(x.shape, 'float32')) };
    },
  },
  {
    kernelName: tf.Mean,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const x = saved[0]!;
      return {
        x: () => {
          const e = expandToInput(dy as Tensor, x, attrs);
          return tf.div(tf.mul(e.dy, tf.ones(x.shape, 'float32')), e.reduceSize);
        },
      };
    },
  },
  {
    kernelName: tf.Reshape,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({ x: () => tf.reshape(dy as Tensor, saved[0]!.shape) }),
  },
  {
    // Concatenated inputs (an arm head's features ‖ state): each gets its slice of dy back.
    kernelName: tf.Concat,
    saveAllInputs: true,
    gradFunc: (dy, saved, attrs) => {
      const axis = util.parseAxisParam(attrs.axis as number, saved[0]!.shape)[0]!;
      const parts = tf.split(dy as Tensor, saved.map((t) => t.shape[axis]!), axis);
      return parts.map((t) => () => t) as unknown as Record<string, () => Tensor>;
    },
  },
  {
    kernelName: tf.Transpose,
    gradFunc: (dy, _saved, attrs) => ({
      x: () => tf.transpose(dy as Tensor, backend_util.getUndoAxesPermutation(attrs.perm as number[])),
    }),
  },
  {
    kernelName: tf.Conv2D,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved as [Tensor, Tensor];
      const { dilations, strides, pad, dataFormat, dimRoundingMode } = attrs as unknown as tf.Conv2DAttrs;
      if (!backend_util.tupleValuesAreOne(dilations)) {
        throw new Error(`conv2d gradient: dilations ${String(dilations)} > 1 are not supported`);
      }
      // The ops conv2DBackpropInput/Filter are not public: run their kernels directly.
      const common = { strides, pad, dataFormat, dimRoundingMode };
      return {
        x: () => tf.engine().runKernel(tf.Conv2DBackpropInput, { dy: dy as Tensor, filter }, { ...common, inputShape: x.shape } as unknown as NamedAttrMap) as Tensor,
        filter: () => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy: dy as Tensor }, { ...common, filterShape: filter.shape } as unknown as NamedAttrMap) as Tensor,
      };
    },
  },
  {
    kernelName: tf.BatchMatMul,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved as [Tensor, Tensor];
      const d = dy as Tensor;
      const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
      if (!transposeA && !transposeB) return { a: () => tf.matMul(d, b, false, true), b: () => tf.matMul(a, d, true, false) };
      if (!transposeA && transposeB) return { a: () => tf.matMul(d, b, false, false), b: () => tf.matMul(d, a, true, false) };
      if (transposeA && !transposeB) return { a: () => tf.matMul(b, d, false, true), b: () => tf.matMul(a, d, false, false) };
      return { a: () => tf.matMul(b, d, true, true), b: () => tf.matMul(d, a, true, true) };
    },
  },
  {
    kernelName: tf.Elu,
    outputsToSave: [true],
    gradFunc: (dy, saved) => ({ x: () => tf.engine().runKernel(tf.EluGrad, { dy: dy as Tensor, y: saved[0]! }) as Tensor }),
  },
  {
    kernelName: tf.Relu,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({ x: () => tf.mul(dy as Tensor, tf.step(tf.cast(saved[0]!, 'float32'))) }),
  },
  {
    kernelName: tf.Abs,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({ x: () => tf.mul(dy as Tensor, tf.sign(tf.cast(saved[0]!, 'float32'))) }),
  },
  {
    kernelName: tf.Tanh,
    outputsToSave: [true],
    gradFunc: (dy, saved) => ({ x: () => tf.mul(tf.sub(tf.scalar(1), tf.square(saved[0]!)), dy as Tensor) }),
  },
];

/** Registers the gradients above that are not registered yet; returns the kernel names it registered. */
export function registerTrainingGradients(): string[] {
  const added: string[] = [];
  for (const config of TRAINING_GRADIENTS) {
    if (tf.getGradient(config.kernelName) !== undefined) continue;
    tf.registerGradient(config);
    added.push(config.kernelName);
  }
  return added;
}

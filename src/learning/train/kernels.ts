/**
 * wasm kernels for training. tfjs-backend-wasm 4.22.0 has Conv2D, Conv2DBackpropInput, EluGrad, Tanh and
 * the element-wise ops, but no Conv2DBackpropFilter (the weight gradient of a convolution), so conv2d
 * cannot be trained on it without the first kernel here; the second replaces its slow
 * Conv2DBackpropInput.
 *
 * Conv2DBackpropFilter as a forward convolution (valid padding after explicit padding of x):
 *   dW[i, j, ci, co] = Σ_{b, oy, ox} x[b, oy·s + i, ox·s + j, ci] · dy[b, oy, ox, co]
 * Swap batch and channel of x (→ [ci, H, W, B]), treat dy as the filter (→ [OH, OW, B, co]), and convolve
 * with stride 1 and dilation s over x cut to (OH−1)s + kH rows (and likewise columns): the output
 * [ci, kH, kW, co] is dW with its axes reordered. XNNPack runs it.
 *
 * Both kernels call other wasm kernels on TensorInfos and free their intermediates themselves.
 */
import * as tf from '@tensorflow/tfjs-core';
import { backend_util, type KernelConfig, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';

export const WASM = 'wasm';

/** Runs another registered kernel of the same backend on TensorInfos (no engine bookkeeping, no tape). */
function call(name: string, backend: unknown, inputs: Record<string, TensorInfo>, attrs: Record<string, unknown>): TensorInfo {
  const kernel = tf.getKernel(name, WASM);
  if (!kernel) throw new Error(`wasm kernel ${name} is not registered`);
  return kernel.kernelFunc({ inputs, backend: backend as object, attrs: attrs as NamedAttrMap }) as TensorInfo;
}

interface DisposingBackend {
  disposeData(dataId: object): boolean;
}

const conv2DBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const format = backend_util.convertConv2DDataFormat(dataFormat);
  if (format !== 'channelsLast') throw new Error(`wasm Conv2DBackpropFilter: dataFormat ${dataFormat} is not supported, use NHWC`);
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    format,
  );
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow, padInfo } = info;
  const owned: TensorInfo[] = [];
  const keep = (t: TensorInfo) => (owned.push(t), t);
  try {
    let xp = x;
    const { top, bottom, left, right } = padInfo;
    if (top || bottom || left || right) {
      xp = keep(call('PadV2', backend, { x }, { paddings: [[0, 0], [top, bottom], [left, right], [0, 0]], constantValue: 0 }));
    }
    // Rows/columns past the last window (H − kH not a multiple of the stride) only add taps to drop: cut them.
    const [batch, hp, wp, ci] = xp.shape as [number, number, number, number];
    const needH = (oh - 1) * sh + kh;
    const needW = (ow - 1) * sw + kw;
    if (hp > needH || wp > needW) xp = keep(call('Slice', backend, { x: xp }, { begin: [0, 0, 0, 0], size: [batch, needH, needW, ci] }));
    const xT = keep(call('Transpose', backend, { x: xp }, { perm: [3, 1, 2, 0] }));
    const dyT = keep(call('Transpose', backend, { x: dy }, { perm: [1, 2, 0, 3] }));
    const taps = keep(
      call('Conv2D', backend, { x: xT, filter: dyT }, { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [sh, sw], dimRoundingMode: undefined }),
    );
    if (taps.shape.join(',') !== [ci, kh, kw, filterShape[3]].join(',')) {
      throw new Error(`wasm Conv2DBackpropFilter: inner conv gave [${taps.shape.join(',')}] for filter [${filterShape.join(',')}]`);
    }
    return call('Transpose', backend, { x: taps }, { perm: [1, 2, 0, 3] });
  } finally {
    for (const t of owned) (backend as DisposingBackend).disposeData(t.dataId);
  }
};

interface WasmBackend extends DisposingBackend {
  readSync(dataId: object): Float32Array;
  makeOutput(shape: number[], dtype: 'float32', memoryOffset?: number, values?: Float32Array): TensorInfo;
}

/**
 * Conv2DBackpropInput (the input gradient) as one XNNPack convolution. The stock wasm kernel is a plain
 * C++ loop, ~10× slower per multiply-add than XNNPack, and was 60% of a full training step.
 *
 * Polyphase form: with stride s and x padded by (pt, pl), the padded input row Y = P·s + r receives
 *   dx[P·s + r] = Σ_m dy[P − m] · W[r + m·s]      (m ≥ 0, r + m·s < kH)
 * i.e. for each phase r a stride-1 correlation of dy (padded by M − 1 = ⌈kH/s⌉ − 1 above) with a
 * reversed sub-kernel. All s² phases become output channels of one convolution (filter
 * [M, M, out, s²·in], taps beyond the kernel zero), a transpose interleaves them, and a slice removes
 * the padding. Square strides only; other cases use the stock kernel.
 */
function conv2DBackpropInputFast(stock: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as tf.Conv2DBackpropInputAttrs;
    const format = backend_util.convertConv2DDataFormat(dataFormat);
    const info = backend_util.computeConv2DInfo(inputShape, filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode, false, format);
    const s = info.strideHeight;
    if (format !== 'channelsLast' || info.strideWidth !== s) return stock(args);
    const b = backend as WasmBackend;
    const { filterHeight: kh, filterWidth: kw, inChannels: ci, outChannels: co, outHeight: oh, outWidth: ow, inHeight: h, inWidth: w, batchSize } = info;
    const { top, left, bottom, right } = info.padInfo;
    const my = Math.ceil(kh / s);
    const mx = Math.ceil(kw / s);
    // Rows/columns per phase in the padded input.
    const ny = Math.ceil((h + top + bottom) / s);
    const nx = Math.ceil((w + left + right) / s);
    const weights = b.readSync(filter.dataId);
    const phases = s * s * ci;
    const combined = new Float32Array(my * mx * co * phases);
    for (let ry = 0; ry < s; ry++)
      for (let rx = 0; rx < s; rx++)
        for (let py = 0; py < my; py++) {
          const i = ry + (my - 1 - py) * s;
          if (i >= kh) continue;
          for (let px = 0; px < mx; px++) {
            const j = rx + (mx - 1 - px) * s;
            if (j >= kw) continue;
            for (let c = 0; c < ci; c++) {
              const dst = ((py * mx + px) * co) * phases + (ry * s + rx) * ci + c;
              const src = ((i * kw + j) * ci + c) * co;
              for (let o = 0; o < co; o++) combined[dst + o * phases] = weights[src + o]!;
            }
          }
        }
    const owned: TensorInfo[] = [];
    const keep = (t: TensorInfo) => (owned.push(t), t);
    try {
      const f = keep(b.makeOutput([my, mx, co, phases], 'float32', undefined, combined));
      const padded = keep(call('PadV2', backend, { x: dy }, { paddings: [[0, 0], [my - 1, Math.max(0, ny - oh)], [mx - 1, Math.max(0, nx - ow)], [0, 0]], constantValue: 0 }));
      let r = keep(call('Conv2D', backend, { x: padded, filter: f }, { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined }));
      if (r.shape[1] !== ny || r.shape[2] !== nx) r = keep(call('Slice', backend, { x: r }, { begin: [0, 0, 0, 0], size: [batchSize, ny, nx, phases] }));
      if (s > 1) {
        // Interleave the phases ([B, P, Q, ry, rx, c] → [B, P, ry, Q, rx, c]) as one 4-D transpose; the
        // reshapes around it only reinterpret the buffer. (wasm DepthToSpace does this 30× slower.)
        const t = keep(call('Transpose', backend, { x: { ...r, shape: [batchSize * ny, nx, s, s * ci] } }, { perm: [0, 2, 1, 3] }));
        r = { ...t, shape: [batchSize, ny * s, nx * s, ci] };
      }
      return call('Slice', backend, { x: r }, { begin: [0, top, left, 0], size: [batchSize, h, w, ci] });
    } finally {
      for (const t of owned) b.disposeData(t.dataId);
    }
  };
}

/**
 * The kernel configs to register: the new Conv2DBackpropFilter, and the stock Conv2DBackpropInput config
 * with the fast kernel function (marked `pilotFast` so it is never wrapped twice).
 */
export function wasmTrainingKernels(): KernelConfig[] {
  const configs: KernelConfig[] = [{ kernelName: tf.Conv2DBackpropFilter, backendName: WASM, kernelFunc: conv2DBackpropFilter }];
  const stock = tf.getKernel(tf.Conv2DBackpropInput, WASM);
  if (stock && !(stock as { pilotFast?: boolean }).pilotFast) {
    // The stock setupFunc binds the C++ function the fallback path calls: keep it.
    configs.push({ ...stock, kernelFunc: conv2DBackpropInputFast(stock.kernelFunc), pilotFast: true } as KernelConfig);
  }
  return configs;
}

/** Registers the training kernels on the wasm backend (before it initialises); returns their names. */
export function registerWasmTrainingKernels(): string[] {
  const added: string[] = [];
  for (const config of wasmTrainingKernels()) {
    const existing = tf.getKernel(config.kernelName, config.backendName);
    if (existing && config.kernelName === tf.Conv2DBackpropFilter) continue;
    if (existing) tf.unregisterKernel(config.kernelName, config.backendName);
    tf.registerKernel(config);
    added.push(config.kernelName);
  }
  return added;
}

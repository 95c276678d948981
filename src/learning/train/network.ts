/**
 * The trainable driving network in tfjs: a convolutional backbone (image → feature vector) and a small
 * dense head (features → outputs). Parameters are named tf.Variables, initialised from a seed, so the
 * same architecture and seed always give the same starting weights.
 *
 * Layouts (tfjs, channels-last): input NHWC; conv kernels HWIO [kH, kW, in, out]; dense kernels
 * [in, out]; flatten in H, W, C order. The ONNX export (onnx-io.ts) converts to NCHW/OIHW.
 */
import * as tf from '@tensorflow/tfjs-core';
import { PilotError } from '../../core/util/errors.js';
import { glorotUniform, heUniform, mulberry32 } from '../../core/util/prng.js';

export interface ConvSpec {
  readonly filters: number;
  readonly kernel: number;
  readonly stride: number;
}

/** Image → feature vector: valid convolutions, flatten, dense layers; every layer followed by `activation`. */
export interface BackboneArchitecture {
  /** Network input size (RGB); frames are cropped and resized to this before training and at run time. */
  readonly input: { readonly channels: 3; readonly height: number; readonly width: number };
  readonly convs: readonly ConvSpec[];
  /** Dense widths after flatten; the last one is the feature vector's length. */
  readonly dense: readonly number[];
  readonly activation: 'elu' | 'relu';
}

/**
 * Feature vector (and optional state vector) → outputs: hidden dense layers with the backbone's
 * activation, then a linear or tanh layer.
 */
export interface HeadArchitecture {
  readonly hidden: readonly number[];
  /** One name per output, e.g. `steering_angle`, `speed`; the dataset's targetNames must match. */
  readonly outputs: readonly string[];
  readonly outputActivation: 'tanh' | 'linear';
  /** A state input (e.g. an arm's joint positions) concatenated to the features before the first head layer. */
  readonly state?: StateInputArchitecture;
}

/**
 * The state vector a head takes besides the image features, normalised in the network (and in the
 * exported graph) as (state − offset) / scale per element before the concatenation, so the runtime
 * feeds physical values (rad) and the head sees values around ±1.
 */
export interface StateInputArchitecture {
  /** One name per element, e.g. the arm's joint names in joint order; the dataset's stateNames must match. */
  readonly names: readonly string[];
  readonly offset: readonly number[];
  readonly scale: readonly number[];
}

export interface NetworkArchitecture {
  readonly backbone: BackboneArchitecture;
  readonly head: HeadArchitecture;
}

/** A backbone from its input size (RGB), its convolutions as [filters, kernel, stride] and its dense widths. */
export function convBackbone(
  input: { readonly height: number; readonly width: number },
  convs: readonly (readonly [filters: number, kernel: number, stride: number])[],
  dense: readonly number[],
  activation: BackboneArchitecture['activation'] = 'elu',
): BackboneArchitecture {
  return {
    input: { channels: 3, height: input.height, width: input.width },
    convs: convs.map(([filters, kernel, stride]) => ({ filters, kernel, stride })),
    dense: [...dense],
    activation,
  };
}

/** The project's driving backbone: 3×48×128 input, 4 convolutions, a 128-wide feature vector (≈259k parameters). */
export const DRIVING_BACKBONE: BackboneArchitecture = convBackbone({ height: 48, width: 128 }, [[24, 5, 2], [32, 5, 2], [48, 3, 2], [64, 3, 1]], [128]);

/** Driving head: raw tanh outputs, mapped to physical units by the contract's scale/offset. */
export const POLICY_HEAD: HeadArchitecture = { hidden: [64], outputs: ['steering_angle', 'speed'], outputActivation: 'tanh' };

/** Pretraining head for road-geometry regression targets (names are the dataset's). */
export function geometryHead(outputs: readonly string[]): HeadArchitecture {
  return { hidden: [64], outputs, outputActivation: 'linear' };
}

export const DRIVING_NETWORK: NetworkArchitecture = { backbone: DRIVING_BACKBONE, head: POLICY_HEAD };

/** One weight layer, in forward order. */
export interface LayerInfo {
  /** `backbone.conv1`, `backbone.fc1`, `head.fc1`, `head.out`. */
  readonly name: string;
  readonly kind: 'conv' | 'dense';
  readonly part: 'backbone' | 'head';
  /** Output shape without the batch dimension (NHWC for convolutions). */
  readonly outputShape: readonly number[];
  readonly weightShape: readonly number[];
  readonly stride: number;
  readonly activation: 'elu' | 'relu' | 'tanh' | 'linear';
}

/** Layer list with shapes; throws E_TRAIN_ARCH when the architecture is not buildable. */
export function describeLayers(arch: NetworkArchitecture): LayerInfo[] {
  const { backbone, head } = arch;
  const { input } = backbone;
  const positiveInt = (v: number) => Number.isInteger(v) && v > 0;
  if (input.channels !== 3 || !positiveInt(input.height) || !positiveInt(input.width)) {
    throw new PilotError('E_TRAIN_ARCH', `backbone input must be 3×H×W with positive integers, got ${input.channels}×${input.height}×${input.width}`);
  }
  if (backbone.dense.length === 0) throw new PilotError('E_TRAIN_ARCH', 'backbone needs at least one dense layer (the feature vector)');
  if (head.outputs.length === 0) throw new PilotError('E_TRAIN_ARCH', 'head needs at least one output');
  if (head.state) checkStateArchitecture(head.state);
  const layers: LayerInfo[] = [];
  let [h, w, c]: number[] = [input.height, input.width, input.channels];
  backbone.convs.forEach((spec, i) => {
    const name = `backbone.conv${i + 1}`;
    if (![spec.filters, spec.kernel, spec.stride].every(positiveInt)) {
      throw new PilotError('E_TRAIN_ARCH', `${name}: filters, kernel and stride must be positive integers, got ${JSON.stringify(spec)}`);
    }
    const oh = Math.floor((h - spec.kernel) / spec.stride) + 1;
    const ow = Math.floor((w - spec.kernel) / spec.stride) + 1;
    if (oh < 1 || ow < 1) {
      throw new PilotError('E_TRAIN_ARCH', `${name}: input ${h}×${w} is smaller than its ${spec.kernel}×${spec.kernel} kernel (network input ${input.height}×${input.width})`);
    }
    layers.push({ name, kind: 'conv', part: 'backbone', outputShape: [oh, ow, spec.filters], weightShape: [spec.kernel, spec.kernel, c, spec.filters], stride: spec.stride, activation: backbone.activation });
    [h, w, c] = [oh, ow, spec.filters];
  });
  let width = h * w * c;
  const dense = (name: string, part: 'backbone' | 'head', units: number, activation: LayerInfo['activation']) => {
    if (!positiveInt(units)) throw new PilotError('E_TRAIN_ARCH', `${name}: width must be a positive integer, got ${units}`);
    layers.push({ name, kind: 'dense', part, outputShape: [units], weightShape: [width, units], stride: 1, activation });
    width = units;
  };
  backbone.dense.forEach((units, i) => dense(`backbone.fc${i + 1}`, 'backbone', units, backbone.activation));
  // The head's first layer also takes the state vector, concatenated after the features.
  width += head.state?.names.length ?? 0;
  head.hidden.forEach((units, i) => dense(`head.fc${i + 1}`, 'head', units, backbone.activation));
  dense('head.out', 'head', head.outputs.length, head.outputActivation);
  return layers;
}

function checkStateArchitecture(state: StateInputArchitecture): void {
  const fail = (what: string): never => {
    throw new PilotError('E_TRAIN_ARCH', `head.state: ${what}`);
  };
  const { names, offset, scale } = state;
  if (names.length === 0) fail('names is empty (leave state out for a network without a state input)');
  if (new Set(names).size !== names.length) fail(`names [${names.join(', ')}] repeat a name`);
  if (offset.length !== names.length || scale.length !== names.length) fail(`${names.length} names, ${offset.length} offsets, ${scale.length} scales: one each per element`);
  names.forEach((n, i) => {
    if (!Number.isFinite(offset[i]!) || !(Number.isFinite(scale[i]!) && scale[i]! !== 0)) fail(`${n}: offset ${offset[i]} / scale ${scale[i]} must be finite with scale ≠ 0`);
  });
}

let networkCount = 0;

/** A variable that owns its data (the initial tensor is released). */
function variable(initial: tf.Tensor, name: string): tf.Variable {
  const v = tf.variable(initial, true, name);
  initial.dispose();
  return v;
}

interface Layer extends LayerInfo {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
}

/** Options of the forward passes. */
export interface ForwardOptions {
  /** Fused conv/matmul kernels: faster, no gradients (inference-only passes). */
  readonly fused?: boolean;
  /** The state vector [B, S] in physical units, required by (and only by) a network with a state input. */
  readonly state?: tf.Tensor2D;
}

export interface NetworkOptions {
  /** PRNG seed for the initial weights (mulberry32; He-uniform, Glorot-uniform for the output layer). Default 1. */
  readonly seed?: number;
}

/**
 * The network's variables and its forward passes. Call `initTrainingBackend()` first. Owns tf.Variables:
 * call `dispose()` when done.
 */
export class Network {
  readonly architecture: NetworkArchitecture;
  readonly layers: readonly LayerInfo[];
  readonly #layers: Layer[];
  readonly #backbone: Layer[];
  readonly #head: Layer[];
  /** State normalisation constants [S] (null without a state input). */
  readonly #stateOffset: tf.Tensor1D | null;
  readonly #stateScale: tf.Tensor1D | null;

  constructor(architecture: NetworkArchitecture, options: NetworkOptions = {}) {
    this.architecture = architecture;
    const infos = describeLayers(architecture);
    const random = mulberry32(options.seed ?? 1);
    const isOut = (l: LayerInfo) => l.name === 'head.out';
    // tfjs variable names are global (the optimizer keys its state by them): make them unique per network.
    const prefix = `net${++networkCount}/`;
    this.#layers = infos.map((info) => {
      const [fanIn, fanOut] = info.kind === 'conv' ? [info.weightShape[0]! * info.weightShape[1]! * info.weightShape[2]!, info.weightShape[3]!] : [info.weightShape[0]!, info.weightShape[1]!];
      const n = fanIn * fanOut;
      const init = isOut(info) ? glorotUniform(random, n, fanIn, fanOut) : heUniform(random, n, fanIn);
      return { ...info, weight: variable(tf.tensor(init, [...info.weightShape]), `${prefix}${info.name}.weight`), bias: variable(tf.zeros([fanOut]), `${prefix}${info.name}.bias`) };
    });
    this.layers = infos;
    this.#backbone = this.#layers.filter((l) => l.part === 'backbone');
    this.#head = this.#layers.filter((l) => l.part === 'head');
    const state = architecture.head.state;
    this.#stateOffset = state ? tf.tensor1d(Float32Array.from(state.offset)) : null;
    this.#stateScale = state ? tf.tensor1d(Float32Array.from(state.scale)) : null;
  }

  /** Names of the state input's elements; empty without a state input. */
  get stateNames(): readonly string[] {
    return this.architecture.head.state?.names ?? [];
  }

  get stateSize(): number {
    return this.stateNames.length;
  }

  get inputShape(): [number, number, number] {
    const { height, width, channels } = this.architecture.backbone.input;
    return [height, width, channels];
  }

  get featureSize(): number {
    return this.architecture.backbone.dense.at(-1)!;
  }

  get outputNames(): readonly string[] {
    return this.architecture.head.outputs;
  }

  /** Parameter names in forward order: `<layer>.weight`, `<layer>.bias`. */
  get parameterNames(): string[] {
    return this.#layers.flatMap((l) => [`${l.name}.weight`, `${l.name}.bias`]);
  }

  get parameterCount(): number {
    return this.#layers.reduce((n, l) => n + l.weight.size + l.bias.size, 0);
  }

  /**
   * Variables that train in a mode: 'head' the head only; 'partial' the last `partialLayers` backbone
   * layers and the head; 'full' everything.
   */
  trainableVariables(mode: 'head' | 'partial' | 'full', partialLayers = 1): tf.Variable[] {
    let layers: Layer[];
    if (mode === 'full') layers = this.#layers;
    else if (mode === 'head') layers = this.#head;
    else {
      if (!Number.isInteger(partialLayers) || partialLayers < 1 || partialLayers > this.#backbone.length) {
        throw new PilotError('E_TRAIN_OPTIONS', `partialLayers must be 1..${this.#backbone.length} (backbone layers), got ${partialLayers}`);
      }
      layers = [...this.#backbone.slice(-partialLayers), ...this.#head];
    }
    return layers.flatMap((l) => [l.weight, l.bias]);
  }

  /**
   * Backbone: normalised NHWC images [B, H, W, 3] → features [B, F]. Differentiable; with `fused` it
   * uses the fused conv/matmul kernels instead (faster, no gradients), for inference-only passes.
   */
  features(x: tf.Tensor4D, options: { fused?: boolean } = {}): tf.Tensor2D {
    return tf.tidy(() => this.#run(this.#backbone, x, options.fused ?? false) as tf.Tensor2D);
  }

  /** Head: features [B, F] (and the state [B, S] with a state input) → outputs [B, K]. */
  head(features: tf.Tensor2D, options: ForwardOptions = {}): tf.Tensor2D {
    return tf.tidy(() => this.#run(this.#head, this.#headInput(features, options.state), options.fused ?? false) as tf.Tensor2D);
  }

  /** Whole network: normalised NHWC images (and the state [B, S] with a state input) → outputs [B, K]. */
  forward(x: tf.Tensor4D, options: ForwardOptions = {}): tf.Tensor2D {
    const fused = options.fused ?? false;
    return tf.tidy(() => this.#run(this.#head, this.#headInput(this.#run(this.#backbone, x, fused) as tf.Tensor2D, options.state), fused) as tf.Tensor2D);
  }

  /** The head's input: the features, with the normalised state concatenated when the network has one. */
  #headInput(features: tf.Tensor2D, state: tf.Tensor2D | undefined): tf.Tensor2D {
    const m = this.stateSize;
    if (m === 0) {
      if (state) throw new PilotError('E_TRAIN_DATA', `a state of shape [${state.shape.join(',')}] was given, but this network has no state input`);
      return features;
    }
    if (!state) throw new PilotError('E_TRAIN_DATA', `this network takes a state input [${this.stateNames.join(', ')}]; none was given`);
    if (state.rank !== 2 || state.shape[0] !== features.shape[0] || state.shape[1] !== m) {
      throw new PilotError('E_TRAIN_DATA', `state has shape [${state.shape.join(',')}], expected [${features.shape[0]},${m}] (batch × [${this.stateNames.join(', ')}])`);
    }
    return tf.concat([features, tf.div(tf.sub(state, this.#stateOffset!), this.#stateScale!) as tf.Tensor2D], 1);
  }

  /** Copies of the current weights by parameter name (tfjs layouts). */
  getWeights(): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const l of this.#layers) {
      out.set(`${l.name}.weight`, l.weight.dataSync() as Float32Array);
      out.set(`${l.name}.bias`, l.bias.dataSync() as Float32Array);
    }
    // dataSync may return the backend's own buffer: copy so later training does not change these.
    for (const [k, v] of out) out.set(k, v.slice());
    return out;
  }

  /**
   * Assigns the given parameters (a subset is fine, e.g. only `backbone.*`). Unknown names and size
   * mismatches throw E_TRAIN_WEIGHTS before anything is assigned.
   */
  setWeights(weights: ReadonlyMap<string, Float32Array>): void {
    const byName = new Map<string, tf.Variable>(this.#layers.flatMap((l) => [[`${l.name}.weight`, l.weight], [`${l.name}.bias`, l.bias]]));
    for (const [name, data] of weights) {
      const v = byName.get(name);
      if (!v) throw new PilotError('E_TRAIN_WEIGHTS', `no parameter '${name}' in this network (has ${[...byName.keys()].join(', ')})`);
      if (v.size !== data.length) throw new PilotError('E_TRAIN_WEIGHTS', `parameter '${name}': ${data.length} values, network has [${v.shape.join(',')}] = ${v.size}`);
    }
    for (const [name, data] of weights) {
      const v = byName.get(name)!;
      tf.tidy(() => v.assign(tf.tensor(data, v.shape)));
    }
  }

  dispose(): void {
    for (const l of this.#layers) {
      l.weight.dispose();
      l.bias.dispose();
    }
    this.#stateOffset?.dispose();
    this.#stateScale?.dispose();
  }

  #run(layers: readonly Layer[], input: tf.Tensor, fused: boolean): tf.Tensor {
    let x = input;
    for (const l of layers) {
      if (l.kind === 'dense' && x.rank === 4) x = tf.reshape(x, [x.shape[0]!, -1]);
      const act = l.activation;
      if (fused && act !== 'tanh') {
        x =
          l.kind === 'conv'
            ? tf.fused.conv2d({ x: x as tf.Tensor4D, filter: l.weight as tf.Tensor4D, strides: l.stride, pad: 'valid', bias: l.bias, activation: act })
            : tf.fused.matMul({ a: x as tf.Tensor2D, b: l.weight as tf.Tensor2D, bias: l.bias, activation: act });
        continue;
      }
      const z = l.kind === 'conv' ? tf.add(tf.conv2d(x as tf.Tensor4D, l.weight as tf.Tensor4D, l.stride, 'valid'), l.bias) : tf.add(tf.matMul(x as tf.Tensor2D, l.weight as tf.Tensor2D), l.bias);
      x = act === 'elu' ? tf.elu(z) : act === 'relu' ? tf.relu(z) : act === 'tanh' ? tf.tanh(z) : z;
    }
    return x;
  }
}

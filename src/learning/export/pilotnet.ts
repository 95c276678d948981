/**
 * NVIDIA's PilotNet (Bojarski et al. 2016, "End to End Learning for Self-Driving Cars") as an ONNX model
 * with seeded random weights: the same options give byte-identical files. Untrained, so it does not
 * drive; it has the shape, size and cost of the real network, which is what the runtime is tested on.
 */
import { CONTRACT_METADATA_KEY, CONTRACT_VERSION, ModelContract } from '../../runtime/policy/contract.js';
import { drivingActionFields } from './action-fields.js';
import { OnnxModelBuilder } from './onnx-graph.js';
import { glorotUniform, heUniform, mulberry32 } from '../../core/util/prng.js';

export interface ConvLayerSpec {
  readonly filters: number;
  readonly kernel: number;
  readonly stride: number;
}

export interface PilotNetArchitecture {
  /** Camera input, NCHW with batch 1. */
  readonly input: { readonly channels: number; readonly height: number; readonly width: number };
  /** Valid (unpadded) convolutions, each followed by the activation. */
  readonly convs: readonly ConvLayerSpec[];
  /** Hidden fully connected widths, each followed by the activation; the 2-wide head comes after. */
  readonly dense: readonly number[];
}

/** The published network: 66×200 input, 5 convolutions, 3 hidden FC layers (≈252k parameters). */
export const PILOTNET_FULL: PilotNetArchitecture = {
  input: { channels: 3, height: 66, width: 200 },
  convs: [
    { filters: 24, kernel: 5, stride: 2 },
    { filters: 36, kernel: 5, stride: 2 },
    { filters: 48, kernel: 5, stride: 2 },
    { filters: 64, kernel: 3, stride: 1 },
    { filters: 64, kernel: 3, stride: 1 },
  ],
  dense: [100, 50, 10],
};

/** Same structure at toy size, for fast tests. */
export const PILOTNET_TINY: PilotNetArchitecture = {
  input: { channels: 3, height: 8, width: 16 },
  convs: [
    { filters: 4, kernel: 3, stride: 2 },
    { filters: 8, kernel: 3, stride: 1 },
  ],
  dense: [16],
};

export interface PilotNetOptions {
  /** PRNG seed for the weights. Default 1. */
  readonly seed?: number;
  /** Default `pilotnet-test` (full) or `pilotnet-tiny`. */
  readonly id?: string;
  readonly variant?: 'full' | 'tiny';
  /** Default `elu`, as in common PilotNet reimplementations. */
  readonly activation?: 'elu' | 'relu';
  /** Adds a `state` input [1, n] (one element per field) concatenated into the first FC layer. */
  readonly stateFields?: readonly string[];
  /** Physical range of the tanh head: steering ±maxSteeringRad, speed 0..maxSpeedMps. */
  readonly maxSteeringRad?: number;
  readonly maxSpeedMps?: number;
}

export interface LayerSummary {
  readonly name: string;
  readonly description: string;
  readonly outputShape: readonly number[];
  readonly parameters: number;
}

export interface PilotNetModel {
  readonly bytes: Uint8Array;
  readonly contract: ModelContract;
  readonly parameterCount: number;
  readonly layers: readonly LayerSummary[];
  readonly seed: number;
  readonly architecture: PilotNetArchitecture;
}

export const PILOTNET_INPUT = 'image';
export const PILOTNET_STATE = 'state';
export const PILOTNET_OUTPUT = 'action';

export function buildPilotNet(options: PilotNetOptions = {}): PilotNetModel {
  const seed = options.seed ?? 1;
  const variant = options.variant ?? 'full';
  const arch = variant === 'full' ? PILOTNET_FULL : PILOTNET_TINY;
  const activation = options.activation ?? 'elu';
  const stateFields = options.stateFields ?? [];
  const contract = pilotNetContract(arch, {
    id: options.id ?? (variant === 'full' ? 'pilotnet-test' : 'pilotnet-tiny'),
    stateFields,
    maxSteeringRad: options.maxSteeringRad ?? 0.5,
    maxSpeedMps: options.maxSpeedMps ?? 5,
  });

  const random = mulberry32(seed);
  const g = new OnnxModelBuilder({
    graphName: 'pilotnet',
    docString: `PilotNet (${variant}), untrained: weights are seeded random (mulberry32 seed ${seed}, He-uniform).`,
  });
  const layers: LayerSummary[] = [];
  const act = (x: string) => (activation === 'elu' ? g.elu(x) : g.relu(x));
  const { channels, height, width } = arch.input;

  let x = g.input(PILOTNET_INPUT, [1, channels, height, width]);
  let [c, h, w] = [channels, height, width];
  arch.convs.forEach((spec, i) => {
    const name = `conv${i + 1}`;
    const fanIn = c * spec.kernel * spec.kernel;
    const wName = g.initializer(`${name}.weight`, heUniform(random, spec.filters * fanIn, fanIn), [spec.filters, c, spec.kernel, spec.kernel]);
    const bName = g.initializer(`${name}.bias`, new Float32Array(spec.filters), [spec.filters]);
    x = act(g.conv(x, wName, bName, { kernel: [spec.kernel, spec.kernel], strides: [spec.stride, spec.stride] }));
    h = Math.floor((h - spec.kernel) / spec.stride) + 1;
    w = Math.floor((w - spec.kernel) / spec.stride) + 1;
    if (h < 1 || w < 1) throw new Error(`buildPilotNet: input ${height}×${width} is too small for ${name}`);
    c = spec.filters;
    layers.push({
      name,
      description: `Conv ${spec.kernel}×${spec.kernel} stride ${spec.stride}, ${spec.filters} filters, ${activation}`,
      outputShape: [1, c, h, w],
      parameters: spec.filters * fanIn + spec.filters,
    });
  });
  x = g.flatten(x, 1);
  let features = c * h * w;
  layers.push({ name: 'flatten', description: 'Flatten', outputShape: [1, features], parameters: 0 });
  if (stateFields.length > 0) {
    const s = g.input(PILOTNET_STATE, [1, stateFields.length]);
    x = g.concat([x, s], 1);
    features += stateFields.length;
    layers.push({ name: 'concat_state', description: `Concat state [${stateFields.join(', ')}]`, outputShape: [1, features], parameters: 0 });
  }

  // Gemm weights stored [out, in] with transB, the layout PyTorch Linear uses.
  const dense = (name: string, inputs: number, outputs: number, weights: Float32Array) => {
    const wName = g.initializer(`${name}.weight`, weights, [outputs, inputs]);
    const bName = g.initializer(`${name}.bias`, new Float32Array(outputs), [outputs]);
    return g.gemm(x, wName, bName, { transB: true });
  };
  let fanIn = features;
  arch.dense.forEach((units, i) => {
    const name = `fc${i + 1}`;
    x = act(dense(name, fanIn, units, heUniform(random, units * fanIn, fanIn)));
    layers.push({ name, description: `Dense ${units}, ${activation}`, outputShape: [1, units], parameters: units * fanIn + units });
    fanIn = units;
  });
  const outputs = contract.outputs[0]!.fields.length;
  x = dense('head', fanIn, outputs, glorotUniform(random, outputs * fanIn, fanIn, outputs));
  g.tanh(x, PILOTNET_OUTPUT);
  g.output(PILOTNET_OUTPUT, [1, outputs]);
  layers.push({ name: 'head', description: `Dense ${outputs}, tanh`, outputShape: [1, outputs], parameters: outputs * fanIn + outputs });

  g.setMetadata(CONTRACT_METADATA_KEY, JSON.stringify(contract));
  return { bytes: g.encodeModel(), contract, parameterCount: g.parameterCount, layers, seed, architecture: arch };
}

interface ContractOptions {
  readonly id: string;
  readonly stateFields: readonly string[];
  readonly maxSteeringRad: number;
  readonly maxSpeedMps: number;
}

/** The head is tanh ∈ [-1, 1]; scale/offset map it to steering ±max and speed 0..max. */
function pilotNetContract(arch: PilotNetArchitecture, o: ContractOptions): ModelContract {
  const { channels, height, width } = arch.input;
  const contract: ModelContract = {
    version: CONTRACT_VERSION,
    id: o.id,
    profile: 'vehicle',
    inputs: [
      {
        name: PILOTNET_INPUT,
        role: 'camera',
        shape: [1, channels, height, width],
        dtype: 'float32',
        layout: 'NCHW',
        color: 'rgb',
        // Pixels to [-1, 1].
        normalize: { scale: 1 / 255, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
        // Drop the sky and the bonnet, as PilotNet's road-only crop does.
        crop: { top: 0.35, bottom: 0.1, left: 0, right: 0 },
        undistort: false,
      },
      ...(o.stateFields.length > 0
        ? [{ name: PILOTNET_STATE, role: 'state' as const, shape: [1, o.stateFields.length], dtype: 'float32' as const, fields: [...o.stateFields] }]
        : []),
    ],
    outputs: [
      {
        name: PILOTNET_OUTPUT,
        shape: [1, 2],
        dtype: 'float32',
        fields: drivingActionFields(o.maxSteeringRad, o.maxSpeedMps),
      },
    ],
  };
  // Fail at export, not at load, if the contract is invalid.
  return ModelContract.parse(contract);
}

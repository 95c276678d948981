/**
 * Network ↔ ONNX. Export builds the graph with src/learning/export's OnnxModelBuilder: NCHW input `image`
 * [1, 3, H, W], Conv with OIHW weights (tfjs keeps HWIO), a Transpose NCHW → NHWC before Flatten so the
 * dense weights keep tfjs's flatten order, Gemm with [out, in] weights (transB), Elu/Relu, Tanh. A head
 * with a state input gets a second graph input [1, S] (an arm policy's `joint_state`), normalised in
 * the graph exactly as in tfjs ((state − offset) / scale: Sub, Div) and concatenated after the features.
 *
 * Every exported file describes itself in metadata, so it can be loaded back for further training:
 *  - backbone (`features` output): `pilot.backbone`;
 *  - policy (`action` output): `pilot.contract` (the runtime's model contract, checked exactly as the
 *    runtime checks it before anything is returned; profile 'vehicle', or 'arm' with the joint state
 *    input) and `pilot.network`;
 *  - pretraining network (backbone + geometry head, `geometry` output): `pilot.network`.
 * Import reverses the layouts exactly (float32 round trip), and names what does not match (E_BASE_MODEL).
 */
import { z } from 'zod';
import { armActionFields, drivingActionFields } from '../export/action-fields.js';
import { checkChunkSpec, chunkTargetNames, type ChunkSpec } from '../export/chunk-fields.js';

export { armActionFields } from '../export/action-fields.js';
import { hwioToOihw, transpose2d } from '../export/layout.js';
import { OnnxModelBuilder, type Dim } from '../export/onnx-graph.js';
import { onnx, type OnnxTypes } from '../../core/onnx/onnx-proto.js';
import { readOnnxInfo } from '../../core/onnx/onnx-read.js';
import { CONTRACT_METADATA_KEY, CONTRACT_VERSION, parseContract, type ModelContract } from '../../runtime/policy/contract.js';
import { checkContractAgainstGraph } from '../../runtime/policy/policy-session.js';
import { PilotError } from '../../core/util/errors.js';
import type { Normalize } from './frames.js';
import { describeLayers, Network, type BackboneArchitecture, type HeadArchitecture, type LayerInfo, type StateInputArchitecture } from './network.js';

export const BACKBONE_METADATA_KEY = 'pilot.backbone';
export const NETWORK_METADATA_KEY = 'pilot.network';
export const SAVED_NETWORK_VERSION = 1;
export const INPUT_NAME = 'image';
export const BACKBONE_OUTPUT = 'features';
export const POLICY_OUTPUT = 'action';
export const PRETRAIN_OUTPUT = 'geometry';
/** The state input of an arm policy: joint positions (rad) in joint order. */
export const ARM_STATE_INPUT = 'joint_state';
/** The state input's name when an export does not give one. */
export const DEFAULT_STATE_INPUT = 'state';

/** How camera frames become the network input; the same fields as the contract's camera input. */
export interface CameraPreprocessing {
  readonly color: 'rgb';
  readonly normalize: Normalize;
  /** Fractions of the source frame removed before resizing to the network input. */
  readonly crop: { readonly top: number; readonly bottom: number; readonly left: number; readonly right: number };
  readonly undistort: boolean;
}

export type SavedKind = 'backbone' | 'policy' | 'pretrain';

/** The JSON stored under `pilot.backbone` / `pilot.network`. */
export interface SavedNetworkMetadata {
  readonly version: typeof SAVED_NETWORK_VERSION;
  readonly kind: SavedKind;
  readonly backbone: BackboneArchitecture;
  /** Absent for a backbone. */
  readonly head?: HeadArchitecture;
  readonly input: { readonly name: string; readonly shape: readonly number[]; readonly layout: 'NCHW' } & CameraPreprocessing;
  readonly output: { readonly name: string; readonly size: number };
  /** The graph's state input, for a head with a state input (its normalisation is in `head.state`). */
  readonly state?: { readonly name: string; readonly size: number };
  /** Free-form: data, steps, losses, hashes, code version. */
  readonly provenance: Record<string, unknown>;
}

export interface ExportOptions {
  readonly camera: CameraPreprocessing;
  readonly provenance?: Record<string, unknown>;
  readonly docString?: string;
  /** A symbolic batch dimension instead of 1 (for batched evaluation; the runtime feeds batch 1 either way). */
  readonly dynamicBatch?: boolean;
  /** Name of the state input of a head with one (default `state`; arm policies use `joint_state`). */
  readonly stateInputName?: string;
  /** A chunked policy: the head's [batch, steps · n] output is reshaped to [batch, steps, n]. */
  readonly chunkSteps?: number;
}

export interface PolicyExportOptions extends ExportOptions {
  /** Contract id, e.g. the model's file stem. */
  readonly id: string;
  /** tanh ±1 maps to ±maxSteeringRad and to 0..maxSpeedMps. */
  readonly maxSteeringRad: number;
  readonly maxSpeedMps: number;
  /**
   * A chunked policy: the head outputs `steps` actions (chunkTargetNames), exported as
   * `action` [1, steps, 2] with the contract's `chunk: { steps, step_ms }`.
   */
  readonly chunk?: ChunkSpec;
}

/** One joint of an arm, as the arm description gives it (src/core/kinematics ArmJointLimits fits). */
export interface ArmJoint {
  readonly name: string;
  /** Position limits, rad. */
  readonly lower: number;
  readonly upper: number;
}

export interface ArmPolicyExportOptions extends Omit<ExportOptions, 'stateInputName'> {
  /** Contract id, e.g. the model's file stem. */
  readonly id: string;
  /** The arm's joints in joint order (base → tool): the action fields and the state input's fields. */
  readonly joints: readonly ArmJoint[];
}

/** State normalisation of an arm policy's head: each joint's range to ±1, as its action fields. */
export function armStateArchitecture(joints: readonly ArmJoint[]): StateInputArchitecture {
  const fields = armActionFields(joints);
  return { names: fields.map((f) => f.name), offset: fields.map((f) => f.offset), scale: fields.map((f) => f.scale) };
}

/** Backbone only: `image` → `features`, metadata `pilot.backbone`. */
export function exportBackboneOnnx(network: Network, options: ExportOptions): Uint8Array {
  return build(network, 'backbone', BACKBONE_OUTPUT, options, new Map());
}

/** Backbone + pretraining head: `image` → `geometry` (raw, linear), metadata `pilot.network`. */
export function exportPretrainOnnx(network: Network, options: ExportOptions): Uint8Array {
  return build(network, 'pretrain', PRETRAIN_OUTPUT, options, new Map());
}

/**
 * The driving policy: `image` → `action` [1, 2] = (steering_angle, speed) raw, tanh-bounded or linear
 * (a linear head trains on saturated real-world labels such as full-lock keyboard steering, where a tanh
 * stalls; its raw values beyond ±1 lie beyond the vehicle's range and the safety layer clamps them), with
 * the runtime's model contract. The contract and graph are checked with the runtime's own checks before the bytes are returned.
 */
export function exportPolicyOnnx(network: Network, options: PolicyExportOptions): { bytes: Uint8Array; contract: ModelContract } {
  const fail = (what: string): never => {
    throw new PilotError('E_TRAIN_EXPORT', `policy '${options.id}': ${what}`);
  };
  const { head } = network.architecture;
  const chunk = options.chunk ? checkChunkSpec(options.chunk, `policy '${options.id}'`) : undefined;
  const outputs = chunk ? chunkTargetNames(['steering_angle', 'speed'], chunk) : ['steering_angle', 'speed'];
  if (head.outputs.join('\u0000') !== outputs.join('\u0000')) {
    const expected = chunk ? `the chunk [${outputs[0]}, ${outputs[1]}, …, ${outputs.at(-1)}] (${outputs.length} outputs)` : '[steering_angle, speed]';
    fail(`a vehicle policy outputs ${expected}, this network outputs [${head.outputs.join(', ')}]`);
  }
  if (head.state) fail(`a vehicle policy takes the camera only; this network has a state input [${head.state.names.join(', ')}] (an arm policy? use exportArmPolicyOnnx)`);
  if (!(options.maxSteeringRad > 0) || !(options.maxSpeedMps > 0)) {
    fail(`maxSteeringRad and maxSpeedMps must be > 0, got ${options.maxSteeringRad}, ${options.maxSpeedMps}`);
  }
  const { height, width } = network.architecture.backbone.input;
  const { camera } = options;
  const contract: ModelContract = {
    version: CONTRACT_VERSION,
    id: options.id,
    profile: 'vehicle',
    inputs: [
      {
        name: INPUT_NAME,
        role: 'camera',
        shape: [1, 3, height, width],
        dtype: 'float32',
        layout: 'NCHW',
        ...cameraFields(camera),
      },
    ],
    outputs: [
      {
        name: POLICY_OUTPUT,
        shape: chunk ? [1, chunk.steps, 2] : [1, 2],
        dtype: 'float32',
        fields: drivingActionFields(options.maxSteeringRad, options.maxSpeedMps),
        ...(chunk ? { chunk: { steps: chunk.steps, step_ms: chunk.step_ms } } : {}),
      },
    ],
  };
  return buildPolicy(network, contract, { ...options, ...(chunk ? { chunkSteps: chunk.steps } : {}) });
}

/**
 * An arm policy: `image` [1, 3, H, W] and `joint_state` [1, n] (joint positions, rad, joint order) →
 * `action` [1, n] = tanh joint position targets, mapped to each joint's limits by the contract
 * (profile 'arm'; state and action fields = the joint names). The network's outputs and state input
 * must both be the joints, in order. Checked with the runtime's own checks before the bytes are returned.
 */
export function exportArmPolicyOnnx(network: Network, options: ArmPolicyExportOptions): { bytes: Uint8Array; contract: ModelContract } {
  const fail = (what: string): never => {
    throw new PilotError('E_TRAIN_EXPORT', `arm policy '${options.id}': ${what}`);
  };
  const { head } = network.architecture;
  const names = options.joints.map((j) => j.name);
  if (names.length === 0) fail('no joints given');
  for (const j of options.joints) {
    if (!(Number.isFinite(j.lower) && Number.isFinite(j.upper) && j.lower < j.upper)) fail(`joint ${j.name}: limits ${j.lower}..${j.upper} must be finite with lower < upper`);
  }
  if (head.outputs.join('\u0000') !== names.join('\u0000')) fail(`the action fields must be the arm's joints [${names.join(', ')}]; this network outputs [${head.outputs.join(', ')}]`);
  if (!head.state) fail(`an arm policy takes the joint state [${names.join(', ')}]; this network has no state input`);
  if (head.state!.names.join('\u0000') !== names.join('\u0000')) fail(`the state input must be the arm's joints [${names.join(', ')}]; this network's state input is [${head.state!.names.join(', ')}]`);
  if (head.outputActivation !== 'tanh') fail(`the contract maps a tanh output to the joint limits; the head is ${head.outputActivation}`);
  const { height, width } = network.architecture.backbone.input;
  const contract: ModelContract = {
    version: CONTRACT_VERSION,
    id: options.id,
    profile: 'arm',
    inputs: [
      { name: INPUT_NAME, role: 'camera', shape: [1, 3, height, width], dtype: 'float32', layout: 'NCHW', ...cameraFields(options.camera) },
      { name: ARM_STATE_INPUT, role: 'state', shape: [1, names.length], dtype: 'float32', fields: [...names] },
    ],
    outputs: [{ name: POLICY_OUTPUT, shape: [1, names.length], dtype: 'float32', fields: armActionFields(options.joints) }],
  };
  return buildPolicy(network, contract, { ...options, stateInputName: ARM_STATE_INPUT });
}

/** The policy graph with its contract; the contract is checked as the runtime checks it at load. */
function buildPolicy(network: Network, contract: ModelContract, options: ExportOptions & { readonly id: string }): { bytes: Uint8Array; contract: ModelContract } {
  const json = JSON.stringify(contract);
  // Same checks as the runtime at load: never hand back a model it would refuse.
  const parsed = parseContract(json, `policy '${options.id}'`);
  const bytes = build(network, 'policy', POLICY_OUTPUT, options, new Map([[CONTRACT_METADATA_KEY, json]]));
  checkContractAgainstGraph(parsed, readOnnxInfo(bytes, `policy '${options.id}'`), `policy '${options.id}'`);
  return { bytes, contract: parsed };
}

function build(network: Network, kind: SavedKind, outputName: string, options: ExportOptions, extraMetadata: Map<string, string>): Uint8Array {
  const { backbone, head } = network.architecture;
  const layers = network.layers.filter((l) => kind !== 'backbone' || l.part === 'backbone');
  const weights = network.getWeights();
  const g = new OnnxModelBuilder({
    graphName: kind,
    docString: options.docString ?? `pilot ${kind} network trained with tfjs (see '${kind === 'backbone' ? BACKBONE_METADATA_KEY : NETWORK_METADATA_KEY}' metadata)`,
  });
  const batch: Dim = options.dynamicBatch ? 'batch' : 1;
  const { channels, height, width } = backbone.input;
  let x = g.input(INPUT_NAME, [batch, channels, height, width]);
  const state = kind === 'backbone' ? undefined : head?.state;
  const stateName = options.stateInputName ?? DEFAULT_STATE_INPUT;
  const stateIn = state ? g.input(stateName, [batch, state.names.length]) : undefined;
  let rank = 4;
  const steps = kind === 'policy' ? options.chunkSteps : undefined;
  const lastName = steps ? `${outputName}__flat` : outputName;
  layers.forEach((l, i) => {
    const last = i === layers.length - 1;
    if (state && l.part === 'head' && layers[i - 1]?.part === 'backbone') {
      // As Network#headInput: features ‖ (state − offset) / scale.
      const m = state.names.length;
      const offset = g.initializer('head.state.offset', Float32Array.from(state.offset), [m]);
      const scale = g.initializer('head.state.scale', Float32Array.from(state.scale), [m]);
      x = g.concat([x, g.div(g.sub(stateIn!, offset), scale)], 1);
    }
    const w = weights.get(`${l.name}.weight`)!;
    const b = g.initializer(`${l.name}.bias`, weights.get(`${l.name}.bias`)!, [l.weightShape.at(-1)!]);
    let z: string;
    if (l.kind === 'conv') {
      const [kh, kw, ci, co] = l.weightShape as [number, number, number, number];
      const wName = g.initializer(`${l.name}.weight`, hwioToOihw(w, [kh, kw, ci, co]), [co, ci, kh, kw]);
      z = g.conv(x, wName, b, { kernel: [kh, kw], strides: [l.stride, l.stride] }, last && l.activation === 'linear' ? lastName : undefined);
    } else {
      // tfjs flattens NHWC (H, W, C order); ONNX Flatten of NCHW would give C, H, W: transpose first.
      if (rank === 4) {
        x = g.flatten(g.transpose(x, [0, 2, 3, 1]), 1);
        rank = 2;
      }
      const [fin, fout] = l.weightShape as [number, number];
      const wName = g.initializer(`${l.name}.weight`, transpose2d(w, fin, fout), [fout, fin]);
      z = g.gemm(x, wName, b, { transB: true }, last && l.activation === 'linear' ? lastName : undefined);
    }
    const out = last ? lastName : undefined;
    x = activation(g, z, l.activation, out);
  });
  const outSize = layers.at(-1)!.outputShape.reduce((a, b) => a * b, 1);
  if (steps) chunkOutput(g, x, outputName, batch, steps, outSize);
  else g.output(outputName, [batch, outSize]);
  const metadata: SavedNetworkMetadata = {
    version: SAVED_NETWORK_VERSION,
    kind,
    backbone,
    ...(kind === 'backbone' ? {} : { head }),
    input: { name: INPUT_NAME, shape: [1, channels, height, width], layout: 'NCHW', ...cameraFields(options.camera) },
    output: { name: outputName, size: outSize },
    ...(state ? { state: { name: stateName, size: state.names.length } } : {}),
    provenance: options.provenance ?? {},
  };
  g.setMetadata(kind === 'backbone' ? BACKBONE_METADATA_KEY : NETWORK_METADATA_KEY, JSON.stringify(metadata));
  for (const [key, value] of extraMetadata) g.setMetadata(key, value);
  return g.encodeModel();
}

/** [batch, steps · n] → `name` [batch, steps, n]: a chunk of `steps` actions of n fields, step-major. */
function chunkOutput(g: OnnxModelBuilder, flat: string, name: string, batch: Dim, steps: number, size: number): void {
  if (size % steps !== 0) throw new PilotError('E_TRAIN_EXPORT', `a chunk of ${steps} steps needs a multiple of ${steps} outputs, the head has ${size}`);
  g.reshape(flat, g.initializerInt64(`${name}__chunk_shape`, [-1, steps, size / steps]), name);
  g.output(name, [batch, steps, size / steps]);
}

/** Only the preprocessing fields, so a wider object (e.g. saved metadata.input) can be passed as `camera`. */
function cameraFields(c: CameraPreprocessing): CameraPreprocessing & { normalize: { scale: number; mean: number[]; std: number[] } } {
  return {
    color: c.color,
    normalize: { scale: c.normalize.scale, mean: [...c.normalize.mean], std: [...c.normalize.std] },
    crop: { top: c.crop.top, bottom: c.crop.bottom, left: c.crop.left, right: c.crop.right },
    undistort: c.undistort,
  };
}

function activation(g: OnnxModelBuilder, x: string, act: LayerInfo['activation'], out: string | undefined): string {
  switch (act) {
    case 'elu':
      return g.elu(x, 1, out);
    case 'relu':
      return g.relu(x, out);
    case 'tanh':
      return g.tanh(x, out);
    case 'linear':
      return x;
  }
}

// ---------------------------------------------------------------------------------------------------
// Import

const Conv = z.object({ filters: z.number().int().positive(), kernel: z.number().int().positive(), stride: z.number().int().positive() }).strict();
const Backbone = z
  .object({
    input: z.object({ channels: z.literal(3), height: z.number().int().positive(), width: z.number().int().positive() }).strict(),
    convs: z.array(Conv),
    dense: z.array(z.number().int().positive()).min(1),
    activation: z.enum(['elu', 'relu']),
  })
  .strict();
const StateArch = z
  .object({ names: z.array(z.string().min(1)).min(1), offset: z.array(z.number()), scale: z.array(z.number()) })
  .strict();
const Head = z
  .object({ hidden: z.array(z.number().int().positive()), outputs: z.array(z.string().min(1)).min(1), outputActivation: z.enum(['tanh', 'linear']), state: StateArch.optional() })
  .strict();
const Metadata = z
  .object({
    version: z.literal(SAVED_NETWORK_VERSION),
    kind: z.enum(['backbone', 'policy', 'pretrain']),
    backbone: Backbone,
    head: Head.optional(),
    input: z
      .object({
        name: z.string(),
        shape: z.array(z.number().int().positive()).length(4),
        layout: z.literal('NCHW'),
        color: z.literal('rgb'),
        normalize: z.object({ scale: z.number(), mean: z.array(z.number()).min(1), std: z.array(z.number().positive()).min(1) }).strict(),
        crop: z.object({ top: z.number().min(0).max(1), bottom: z.number().min(0).max(1), left: z.number().min(0).max(1), right: z.number().min(0).max(1) }).strict(),
        undistort: z.boolean(),
      })
      .strict(),
    output: z.object({ name: z.string(), size: z.number().int().positive() }).strict(),
    state: z.object({ name: z.string().min(1), size: z.number().int().positive() }).strict().optional(),
    provenance: z.record(z.string(), z.unknown()),
  })
  .strict();

/** A model file read back: its self-description and its weights in tfjs layouts, by parameter name. */
export interface SavedNetwork {
  readonly metadata: SavedNetworkMetadata;
  readonly weights: ReadonlyMap<string, Float32Array>;
}

/** Reads a model written by this module. `source` names the file in errors (E_BASE_MODEL). */
export function readNetworkOnnx(bytes: Uint8Array, source: string): SavedNetwork {
  const fail = (what: string): never => {
    throw new PilotError('E_BASE_MODEL', `${source}: ${what}`);
  };
  const info = readOnnxInfo(bytes, source);
  const text = info.metadata[BACKBONE_METADATA_KEY] ?? info.metadata[NETWORK_METADATA_KEY];
  if (text === undefined) {
    fail(`no '${BACKBONE_METADATA_KEY}' or '${NETWORK_METADATA_KEY}' metadata: not a network written by pilot pretrain/train (metadata keys: ${Object.keys(info.metadata).join(', ') || 'none'})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text!);
  } catch (err) {
    fail(`network metadata is not JSON (${(err as Error).message})`);
  }
  const parsed = Metadata.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    fail(`network metadata.${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const metadata = parsed.data! as SavedNetworkMetadata;
  if ((metadata.kind === 'backbone') !== (metadata.head === undefined)) fail(`metadata kind '${metadata.kind}' ${metadata.head ? 'has' : 'lacks'} a head`);
  let layers: LayerInfo[] = [];
  try {
    layers = describeLayers({ backbone: metadata.backbone, head: metadata.head ?? { hidden: [], outputs: ['none'], outputActivation: 'linear' } });
  } catch (err) {
    fail(`architecture in metadata is not buildable: ${(err as Error).message}`);
  }
  if (!metadata.head) layers = layers.filter((l) => l.part === 'backbone');
  const { height, width } = metadata.backbone.input;
  const expectedInput = [1, 3, height, width];
  if (metadata.input.shape.join(',') !== expectedInput.join(',')) fail(`metadata input shape [${metadata.input.shape.join(',')}] ≠ backbone input [${expectedInput.join(',')}]`);

  const initializers = new Map<string, OnnxTypes.ITensorProto>();
  for (const t of (onnx.ModelProto.decode(bytes).graph?.initializer ?? []) as OnnxTypes.ITensorProto[]) initializers.set(t.name ?? '', t);
  const weights = new Map<string, Float32Array>();
  for (const l of layers) {
    const isConv = l.kind === 'conv';
    const [a, b, c, d] = l.weightShape as [number, number, number, number];
    // ONNX layouts: conv OIHW [out, in, kH, kW]; Gemm [out, in].
    const onnxDims = isConv ? [d, c, a, b] : [b, a];
    const outDim = l.weightShape.at(-1)!;
    const w = readFloat(initializers, `${l.name}.weight`, onnxDims, fail);
    weights.set(`${l.name}.weight`, isConv ? oihwToHwio(w, [d, c, a, b]) : transpose2d(w, b, a));
    weights.set(`${l.name}.bias`, readFloat(initializers, `${l.name}.bias`, [outDim], fail));
  }
  return { metadata, weights };
}

export interface LoadNetworkOptions {
  /** Train a fresh head of this shape on the saved backbone (required for a backbone file). */
  readonly head?: HeadArchitecture;
  /** Seed for the fresh head's initial weights. Default 1. */
  readonly seed?: number;
}

/**
 * Builds a Network from a saved one: the whole saved network, or its backbone with a fresh `head`.
 * Call `initTrainingBackend()` first.
 */
export function loadNetwork(saved: SavedNetwork, source: string, options: LoadNetworkOptions = {}): Network {
  const head = options.head ?? saved.metadata.head;
  if (!head) throw new PilotError('E_BASE_MODEL', `${source} is a backbone (no head): give the head architecture to train on it`);
  const network = new Network({ backbone: saved.metadata.backbone, head }, { seed: options.seed ?? 1 });
  const keep = options.head ? [...saved.weights].filter(([name]) => name.startsWith('backbone.')) : [...saved.weights];
  network.setWeights(new Map(keep));
  return network;
}

function readFloat(
  initializers: Map<string, OnnxTypes.ITensorProto>,
  name: string,
  dims: readonly number[],
  fail: (what: string) => never,
): Float32Array {
  const t = initializers.get(name);
  if (!t) fail(`initializer '${name}' is missing: the weights do not match the architecture in the metadata`);
  const actual = (t!.dims ?? []).map((d) => Number(d));
  if (actual.join(',') !== dims.join(',')) fail(`initializer '${name}' has dims [${actual.join(',')}], the architecture in the metadata needs [${dims.join(',')}]`);
  if (t!.dataType !== onnx.TensorProto.DataType.FLOAT) fail(`initializer '${name}' is not float32 (data type ${t!.dataType})`);
  const n = dims.reduce((p, d) => p * d, 1);
  if (t!.rawData && t!.rawData.length > 0) {
    const raw = t!.rawData;
    if (raw.length !== n * 4) fail(`initializer '${name}' has ${raw.length} bytes for ${n} floats`);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
    return out;
  }
  const data = t!.floatData ?? [];
  if (data.length !== n) fail(`initializer '${name}' has ${data.length} values for ${n}`);
  return Float32Array.from(data);
}

/** Conv kernel [out, in, kH, kW] → [kH, kW, in, out], the inverse of hwioToOihw. */
function oihwToHwio(data: Float32Array, dims: readonly [number, number, number, number]): Float32Array {
  const [co, ci, kh, kw] = dims;
  const out = new Float32Array(data.length);
  for (let o = 0; o < co; o++)
    for (let i = 0; i < ci; i++)
      for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) out[((y * kw + x) * ci + i) * co + o] = data[((o * ci + i) * kh + y) * kw + x]!;
  return out;
}

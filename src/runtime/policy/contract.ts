/**
 * The model contract: what each input and output of a network means, carried in the ONNX file's
 * metadata under `pilot.contract` (JSON). The runtime checks it against the config and calibration at start.
 */
import { z } from 'zod';

export const CONTRACT_METADATA_KEY = 'pilot.contract';
export const CONTRACT_VERSION = 1;

const Normalize = z
  .object({
    /** value = (pixel * scale - mean[c]) / std[c]; pixel in 0..255. */
    scale: z.number().default(1 / 255),
    mean: z.array(z.number()).min(1).default([0]),
    std: z.array(z.number().positive()).min(1).default([1]),
  })
  .strict();

/** Region of the source image fed to the network, as fractions of width/height (resolution-independent). */
const Crop = z
  .object({
    top: z.number().min(0).max(1).default(0),
    bottom: z.number().min(0).max(1).default(0),
    left: z.number().min(0).max(1).default(0),
    right: z.number().min(0).max(1).default(0),
  })
  .strict()
  .refine((c) => c.top + c.bottom < 1 && c.left + c.right < 1, { message: 'crop leaves no pixels' });

const CameraInput = z
  .object({
    name: z.string().min(1),
    role: z.literal('camera'),
    shape: z.array(z.number().int().positive()).length(4),
    dtype: z.literal('float32'),
    layout: z.enum(['NCHW', 'NHWC']),
    /** Channel order the network was trained on. */
    color: z.enum(['rgb', 'bgr', 'mono']),
    normalize: Normalize.default({ scale: 1 / 255, mean: [0], std: [1] }),
    crop: Crop.default({ top: 0, bottom: 0, left: 0, right: 0 }),
    /** Undistort with the camera_info model before cropping. */
    undistort: z.boolean().default(false),
  })
  .strict();

const StateInput = z
  .object({
    name: z.string().min(1),
    role: z.literal('state'),
    shape: z.array(z.number().int().positive()).length(2),
    dtype: z.literal('float32'),
    /** One name per element, e.g. `speed_mps`; the config maps each to a topic field. */
    fields: z.array(z.string().min(1)).min(1),
  })
  .strict();

export const ContractInput = z.discriminatedUnion('role', [CameraInput, StateInput]);

const OutputField = z
  .object({
    /** Action name, e.g. `steering_angle`, `speed`, `throttle`, or a joint name. */
    name: z.string().min(1),
    unit: z.string().min(1),
    /** Network value → physical value: physical = raw * scale + offset. */
    scale: z.number().default(1),
    offset: z.number().default(0),
  })
  .strict();

/**
 * An action chunk: the output holds `steps` future actions, action i meant for the observation's
 * time + i · step_ms (ACT, Diffusion Policy, SmolVLA, pi0 style). The runtime queues chunks and
 * publishes the action for "now" each tick while the next chunk is computed (README "Action chunks").
 */
const Chunk = z
  .object({
    /** Actions per chunk (the output's chunk dimension). */
    steps: z.number().int().min(1).max(10_000),
    /** Time between two consecutive actions of the chunk, ms. */
    step_ms: z.number().positive().max(60_000),
  })
  .strict();

const ContractOutput = z
  .object({
    name: z.string().min(1),
    /** `[1, fields]`; with `chunk`: `[steps, fields]` or `[1, steps, fields]`. */
    shape: z.array(z.number().int().positive()).min(2).max(3),
    dtype: z.literal('float32'),
    fields: z.array(OutputField).min(1),
    chunk: Chunk.optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    const issue = (message: string, path: (string | number)[] = ['shape']) => ctx.addIssue({ code: 'custom', message, path });
    const last = o.shape[o.shape.length - 1];
    if (last !== o.fields.length) issue(`last dimension ${last} must equal the number of fields (${o.fields.length})`);
    if (!o.chunk) {
      if (o.shape.length !== 2) issue(`[${o.shape.join(',')}] has 3 dimensions: only a chunked output (with 'chunk') may`);
      return;
    }
    if (o.shape.length === 3 && o.shape[0] !== 1) issue(`[${o.shape.join(',')}]: a 3-dimensional chunk output must have batch 1`);
    const steps = o.shape[o.shape.length - 2];
    if (steps !== o.chunk.steps) issue(`chunk dimension ${steps} of [${o.shape.join(',')}] ≠ chunk.steps ${o.chunk.steps}`, ['chunk', 'steps']);
  });

export const ModelContract = z
  .object({
    version: z.literal(CONTRACT_VERSION),
    /** Model id shown in diagnostics, e.g. `pilotnet-test@<hash>`. */
    id: z.string().min(1),
    profile: z.enum(['vehicle', 'arm']),
    inputs: z.array(ContractInput).min(1),
    outputs: z.array(ContractOutput).length(1),
  })
  .strict();

export type ModelContract = z.infer<typeof ModelContract>;
export type ModelContractInput = ModelContract['inputs'][number];
export type CameraContractInput = Extract<ModelContractInput, { role: 'camera' }>;
export type StateContractInput = Extract<ModelContractInput, { role: 'state' }>;
export type ContractOutputField = ModelContract['outputs'][number]['fields'][number];
export type ContractOutput = ModelContract['outputs'][number];
export type ChunkSpec = NonNullable<ContractOutput['chunk']>;

/** The output's chunk (steps, step_ms), or undefined for a single-step policy. */
export function chunkOf(contract: ModelContract): ChunkSpec | undefined {
  return contract.outputs[0]!.chunk;
}

/** Time covered by one chunk: `steps · step_ms` (action i holds from i·step_ms until the next one). */
export function chunkHorizonMs(chunk: ChunkSpec): number {
  return chunk.steps * chunk.step_ms;
}

/** Elements in one output tensor (all dimensions). */
export function outputLength(output: ContractOutput): number {
  return output.shape.reduce((a, b) => a * b, 1);
}

export class ContractError extends Error {
  constructor(readonly code: string, message: string) {
    super(`${code}: ${message}`);
    this.name = 'ContractError';
  }
}

/** Parse the contract JSON text found in a model's metadata; `source` names the model file in errors. */
export function parseContract(json: string | undefined, source: string): ModelContract {
  if (json === undefined) {
    throw new ContractError('E_MODEL_CONTRACT', `${source} has no '${CONTRACT_METADATA_KEY}' metadata entry`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new ContractError('E_MODEL_CONTRACT', `${source}: '${CONTRACT_METADATA_KEY}' is not JSON (${(err as Error).message})`);
  }
  const parsed = ModelContract.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    throw new ContractError(
      'E_MODEL_CONTRACT',
      `${source}: contract.${first.path.join('.') || '(root)'}: ${first.message}`,
    );
  }
  return parsed.data;
}

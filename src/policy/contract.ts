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

const ContractOutput = z
  .object({
    name: z.string().min(1),
    shape: z.array(z.number().int().positive()).length(2),
    dtype: z.literal('float32'),
    fields: z.array(OutputField).min(1),
  })
  .strict()
  .refine((o) => o.shape[1] === o.fields.length, { message: 'shape[1] must equal the number of fields' });

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

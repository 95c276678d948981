/**
 * What `pilot train` starts from: a backbone from `pilot pretrain` (a head is added), an earlier policy
 * (continual learning), or `scratch`: a fresh network sized for the data's camera frames.
 */
import { readFileSync } from 'node:fs';
import { probeCameraSize } from '../dataset/from-bags.js';
import { loadNetwork, Network, POLICY_HEAD, readNetworkOnnx, type BackboneArchitecture, type CameraPreprocessing, type HeadArchitecture } from '../train/index.js';
import { PilotError } from '../../core/util/errors.js';
import { REAL_CAMERA, SCRATCH, SCRATCH_POLICY_HEAD, scratchBackbone, scratchInputSize } from './driving-setup.js';
import { sha256Bytes } from './training-record.js';

export interface PolicyBase {
  readonly kind: 'scratch' | 'backbone' | 'policy';
  readonly path: string;
  readonly sha256: string | undefined;
  readonly camera: CameraPreprocessing;
  readonly backbone: BackboneArchitecture;
  readonly head: HeadArchitecture;
  /** Builds the network (after the training backend is initialised). */
  readonly create: (seed: number) => Network;
  /** How the input size was chosen (scratch), for the log and the record. */
  readonly note?: string;
}

export interface ScratchShape {
  /** Network input; default from the first bag's frame size and the crop (scratchInputSize). */
  readonly inputSize?: { readonly height: number; readonly width: number };
  readonly crop?: CameraPreprocessing['crop'];
}

/**
 * `outputs`: the head's outputs (default steering_angle, speed; a chunked policy: chunkTargetNames):
 * a fresh head on a backbone or from scratch has them, and a policy base must already have them.
 */
export async function loadPolicyBase(base: string, firstBag: string | undefined, cameraTopic: string | undefined, shape: ScratchShape = {}, outputs: readonly string[] = POLICY_HEAD.outputs): Promise<PolicyBase> {
  if (base === SCRATCH) return scratchBase(firstBag, cameraTopic, shape, outputs);
  if (shape.inputSize || shape.crop) throw new PilotError('E_TRAIN_OPTIONS', `--input-size and --crop shape a fresh network: they need --base ${SCRATCH} (${base} brings its own)`);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(base);
  } catch (e) {
    throw new PilotError('E_BASE_MODEL', `cannot read --base ${base}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const saved = readNetworkOnnx(bytes, base);
  const kind = saved.metadata.kind;
  if (kind === 'pretrain') throw new PilotError('E_BASE_MODEL', `${base} is a pretraining network; use the backbone \`pilot pretrain\` wrote, or a policy`);
  if (kind === 'policy') {
    const outs = saved.metadata.head?.outputs ?? [];
    if (outs.join(',') !== outputs.join(',')) throw new PilotError('E_BASE_MODEL', `${base}: policy outputs [${outs.join(', ')}] are not [${outputs.join(', ')}]${outputs.length !== outs.length ? ' (a chunked policy continues from a policy with the same --chunk-steps and --chunk-step-ms, or from a backbone)' : ''}`);
  }
  if (kind !== 'backbone' && kind !== 'policy') throw new PilotError('E_BASE_MODEL', `${base}: a ${kind} network is no base for a driving policy`);
  const i = saved.metadata.input;
  const camera: CameraPreprocessing = { color: i.color, normalize: i.normalize, crop: i.crop, undistort: i.undistort };
  const head = kind === 'backbone' ? { ...POLICY_HEAD, outputs: [...outputs] } : saved.metadata.head!;
  return {
    kind,
    path: base,
    sha256: sha256Bytes(bytes),
    camera,
    backbone: saved.metadata.backbone,
    head,
    create: (seed) => loadNetwork(saved, base, kind === 'backbone' ? { head, seed } : {}),
  };
}

async function scratchBase(firstBag: string | undefined, cameraTopic: string | undefined, shape: ScratchShape, outputs: readonly string[]): Promise<PolicyBase> {
  const camera: CameraPreprocessing = { ...REAL_CAMERA, crop: shape.crop ?? REAL_CAMERA.crop };
  let input = shape.inputSize;
  let note: string;
  if (input) note = `network input ${input.width}×${input.height} (--input-size)`;
  else {
    if (!firstBag) throw new PilotError('E_TRAIN_OPTIONS', `--base ${SCRATCH} sizes the network from the data's frames: give --data <bag> or --input-size WxH`);
    const source = await probeCameraSize(firstBag, cameraTopic);
    if (!source) throw new PilotError('E_TRAIN_DATA', `${firstBag}: no camera frame decodes, so the network cannot be sized from it (give --input-size WxH)`);
    input = scratchInputSize(source, camera.crop);
    note = `network input ${input.width}×${input.height}, from ${source.width}×${source.height} frames of ${firstBag} cropped top ${camera.crop.top}, bottom ${camera.crop.bottom}`;
  }
  const backbone = scratchBackbone(input);
  const head = { ...SCRATCH_POLICY_HEAD, outputs: [...outputs] };
  return { kind: 'scratch', path: SCRATCH, sha256: undefined, camera, backbone, head, create: (seed) => new Network({ backbone, head }, { seed }), note };
}

/**
 * `pilot pretrain`: the perception backbone. A network (backbone + road-geometry head) is trained from
 * scratch on frames rendered at random poses on many procedurally generated tracks and the training
 * track files, under domain randomisation, labelled with ground-truth road geometry and the clean
 * expert's command. Only the backbone is kept (`image` → `features`), for `pilot train --base`.
 */
import { basename } from 'node:path';
import { loadSimConfig } from '../../../sim/index.js';
import { generatePretrainData, pretrainTargetNames } from '../sim-data/pretrain-data.js';
import { actionScaling } from '../sim-data/model-input.js';
import { loadVehicleCalibration } from '../../core/calibration/vehicle.js';
import type { ImageDataset } from '../dataset/dataset.js';
import { DRIVING_BACKBONE, exportBackboneOnnx, geometryHead, initTrainingBackend, Network, type AugmentFn, type TrainProgress } from '../train/index.js';
import { PilotError } from '../../core/util/errors.js';
import { cameraContractInput, DRIVING_CAMERA } from './driving-setup.js';
import { datasetAugmenter, fitStage, installTrained } from './trainer-steps.js';
import { recordHeader, type StageRecord, type TrainingRecord } from './training-record.js';

export interface PretrainOptions {
  readonly out: string;
  readonly frames: number;
  /** Held-out frames, rendered from other seeds (other generated tracks and looks). Default frames / 6. */
  readonly validationFrames?: number;
  readonly seed: number;
  /** Largest domain randomisation strength of the rendered looks. Default 1. */
  readonly randomize?: number;
  readonly epochs: number;
  readonly batchSize?: number;
  readonly learningRate?: number;
  readonly patience?: number;
  readonly simConfig?: string;
  readonly command: string;
  readonly log?: (line: string) => void;
  readonly onProgress?: (p: TrainProgress) => void;
  readonly onData?: (done: number, total: number, what: string) => void;
  readonly signal?: AbortSignal;
}

export interface PretrainSummary {
  readonly out: string;
  readonly card: string;
  readonly record: TrainingRecord;
  readonly sha256: string;
  readonly dataFramesPerS: number;
}

/** Mirroring the image mirrors every road target (all are signed left/right), so flips negate them all. */
function augmenterFor(ds: ImageDataset): AugmentFn {
  return datasetAugmenter(ds, { flip: { p: 0.5, negate: ds.targetNames.filter((n) => n !== 'speed') }, shift: { p: 0 } });
}

type PretrainData = Awaited<ReturnType<typeof generatePretrainData>>;

export async function runPretrain(o: PretrainOptions): Promise<PretrainSummary> {
  const log = o.log ?? (() => {});
  if (!(Number.isInteger(o.frames) && o.frames >= 64)) throw new PilotError('E_PRETRAIN', `--frames must be an integer ≥ 64, got ${o.frames}`);
  const { train, val } = await renderData(o, log);
  await initTrainingBackend();
  const names = pretrainTargetNames(true);
  const arch = { backbone: DRIVING_BACKBONE, head: geometryHead(names) };
  const net = new Network(arch, { seed: o.seed });
  try {
    const stage = await fitStage(net, 'pretrain (backbone + road-geometry head, from scratch)', { train: train.dataset, validation: val.dataset }, {
      mode: 'full',
      epochs: o.epochs,
      batchSize: o.batchSize,
      learningRate: o.learningRate,
      patience: o.patience ?? 3,
      seed: o.seed,
      normalize: DRIVING_CAMERA.normalize,
      augment: augmenterFor(train.dataset),
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    const record = pretrainRecord(o, train, val, names, stage);
    const bytes = exportBackboneOnnx(net, { camera: DRIVING_CAMERA, provenance: record as unknown as Record<string, unknown>, docString: 'pilot driving backbone (pilot pretrain)' });
    const { sha256: sha, card } = await installTrained(
      bytes,
      o.out,
      {
        id: basename(o.out).replace(/\.onnx$/i, ''),
        kind: 'backbone',
        summary: `**A perception backbone trained by this project, on simulated data only.** It maps a ${DRIVING_BACKBONE.input.width}×${DRIVING_BACKBONE.input.height} crop of the front camera to a ${DRIVING_BACKBONE.dense.at(-1)}-wide feature vector (\`features\`). It was trained with a road-geometry head that is not shipped; \`pilot train --base ${o.out}\` puts a driving head on it. It has never seen a real camera image: expect to fine-tune more than the head (\`--mode partial\` or \`full\`) on real data.`,
        architecture: arch,
        parameters: net.parameterCount,
        record,
        rebuild: o.command,
      },
      { verifyWithRuntime: false, tool: 'pretrain', log },
    );
    return { out: o.out, card, record, sha256: sha, dataFramesPerS: train.stats.framesPerS };
  } finally {
    net.dispose();
  }
}

/** Training and validation frames, rendered in the simulator from two seeds. */
async function renderData(o: PretrainOptions, log: (line: string) => void): Promise<{ train: PretrainData; val: PretrainData }> {
  const sim = loadSimConfig(o.simConfig);
  const vehicle = loadVehicleCalibration(sim.vehicle.calibration);
  const camera = cameraContractInput(DRIVING_BACKBONE, DRIVING_CAMERA);
  const input = { shape: camera.shape, layout: camera.layout, crop: camera.crop, undistort: camera.undistort };
  const expert = actionScaling(vehicle.max_steering_angle_rad, vehicle.max_speed_mps);
  const randomize = o.randomize ?? 1;
  const valFrames = o.validationFrames ?? Math.max(32, Math.round(o.frames / 6));

  log(`pretrain: rendering ${o.frames} training + ${valFrames} validation frames (randomize ≤ ${randomize})`);
  const train = await generatePretrainData({ count: o.frames, input, sim, seed: o.seed, randomize, expert, ...(o.signal ? { signal: o.signal } : {}), onProgress: (d, t) => o.onData?.(d, t, 'training frames') });
  // Another seed: other generated tracks and looks, so validation measures generalisation.
  const val = await generatePretrainData({ count: valFrames, input, sim, seed: o.seed + 7919, randomize, expert, ...(o.signal ? { signal: o.signal } : {}), onProgress: (d, t) => o.onData?.(d, t, 'validation frames') });
  log(`pretrain: data ${train.stats.frames + val.stats.frames} frames at ${train.stats.framesPerS.toFixed(0)} frames/s, ${train.stats.tracks.length} training tracks, ${val.stats.tracks.length} validation tracks`);
  return { train, val };
}

function pretrainRecord(o: PretrainOptions, train: PretrainData, val: PretrainData, names: string[], stage: StageRecord): TrainingRecord {
  return {
    ...recordHeader('pilot pretrain', o.command, o.seed),
    data: {
      description:
        'Simulated only: frames rendered by the project simulator (three.js, flat-shaded) at random poses — lateral offset up to 85 % of the half-width (5 % beyond the edge), heading error up to ±0.4 rad — on procedurally generated tracks and the training track files (never the unseen ones), each look domain-randomised (light, colours, camera noise, blur, exposure, occluders). Labels are ground truth from the track: lateral offset, heading error, centreline offsets 0.5–2 m ahead, curvature, and the clean expert\'s steering and speed at that pose. No real camera data.',
      trainFrames: train.stats.frames,
      validationFrames: val.stats.frames,
      trainEpisodes: train.stats.tracks,
      validationEpisodes: val.stats.tracks,
      sources: [],
      targets: names,
      notes: [`Data seeds ${o.seed} (training) and ${o.seed + 7919} (validation); ${train.stats.looks + val.stats.looks} randomised looks.`],
    },
    stages: [stage],
    augmentation: 'brightness, contrast, colour, noise, blur, occluders, shadows, horizontal flip (all lateral targets negated)',
    metrics: {},
    extra: {},
  };
}

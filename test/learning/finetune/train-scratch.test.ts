/**
 * `pilot train --base scratch` (the real-log path): a network sized from the data's frames, trained in
 * full with an L1 loss on time-ordered blocks per bag, scored on held-out frames against the trivial
 * baselines, with the training means stored in the model as `pilot.baselines`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSimConfig } from '../../../sim/config/sim-config.js';
import { loadVehicleCalibration } from '../../../src/core/calibration/vehicle.js';
import { blockSizes } from '../../../src/learning/dataset/time-split.js';
import { BASELINES_METADATA_KEY, parseTrainingBaselines } from '../../../src/data/replay/baselines.js';
import { readOnnxInfo } from '../../../src/core/onnx/onnx-read.js';
import { drivingFields, SCRATCH_INPUT_WIDTH, scratchInputSize } from '../../../src/learning/finetune/driving-setup.js';
import { loadPolicyBase } from '../../../src/learning/finetune/policy-base.js';
import { runTrainPolicy, type TrainPolicyOptions } from '../../../src/learning/finetune/train-policy.js';
import { CONTRACT_METADATA_KEY, parseContract } from '../../../src/runtime/policy/contract.js';
import { readNetworkOnnx } from '../../../src/learning/train/index.js';
import { mulberry32 } from '../../../src/core/util/prng.js';
import { demoBag, SRC_H, SRC_W, steeringFor, tinyBackbone, tmp } from './helpers.js';

const FRAMES = 100;
const VALIDATION = 0.2;
const HOLDOUT = 0.2;
const GAP = 3;
const SPEED = 1.5; // demoBag's constant speed

/** The steering demoBag records for each frame (the same draws: one u per frame from mulberry32(seed)). */
function recordedSteering(seed: number, steering: (u: number) => number = steeringFor): number[] {
  const random = mulberry32(seed);
  return Array.from({ length: FRAMES }, () => steering(random()));
}

/** Labels unrelated to the image: steering from its own generator, whatever the bar shows. */
function unrelated(seed: number): (u: number) => number {
  const noise = mulberry32(seed);
  return () => (noise() - 0.5) * 0.6;
}

const mean = (v: readonly number[]): number => v.reduce((a, b) => a + b, 0) / v.length;

const opts = (dir: string, data: string[], over: Partial<TrainPolicyOptions> = {}): TrainPolicyOptions => ({
  out: join(dir, 'policy.onnx'),
  data,
  base: 'scratch',
  epochs: 8,
  seed: 1,
  augment: false,
  validationFraction: VALIDATION,
  holdoutFraction: HOLDOUT,
  gapFrames: GAP,
  command: 'test',
  log: () => {},
  ...over,
});

describe('pilot train --base scratch', () => {
  it('sizes the network from the frames, stores the training means, scores the held-out end of each bag', async () => {
    const dir = tmp('pilot-scratch-');
    const seeds = [1, 2];
    const bags = [await demoBag(join(dir, 'a'), { seed: 1, frames: FRAMES }), await demoBag(join(dir, 'b'), { seed: 2, frames: FRAMES })];
    const lines: string[] = [];
    const s = await runTrainPolicy(opts(dir, bags, { log: (l) => lines.push(l) }));

    // The split, computed here from the bag length: [train 54][gap 3][validation 20][gap 3][held out 20].
    const [nt, g1, nv, g2, nh] = blockSizes(FRAMES, VALIDATION, HOLDOUT, GAP);
    expect([nt, g1, nv, g2, nh]).toEqual([54, 3, 20, 3, 20]);
    const steer = seeds.map((seed) => recordedSteering(seed));
    const trainSteer = steer.flatMap((st) => st.slice(0, nt));
    const validationSteer = steer.flatMap((st) => st.slice(nt + g1, nt + g1 + nv));
    const heldOutSteer = steer.flatMap((st) => st.slice(FRAMES - nh));

    // pilot.baselines: the training block's label means in physical units.
    const bytes = readFileSync(s.out);
    const info = readOnnxInfo(bytes, s.out);
    const stored = parseTrainingBaselines(info.metadata[BASELINES_METADATA_KEY], s.out)!;
    expect(stored.version).toBe(1);
    expect(stored.train_frames).toBe(2 * nt);
    expect(stored.constant_mean['steering_angle']).toBeCloseTo(mean(trainSteer), 5);
    expect(stored.constant_mean['speed']).toBeCloseTo(SPEED, 5);
    expect(s.baselines).toEqual(stored);
    expect(s.record.data.trainFrames).toBe(2 * nt);
    expect(s.record.data.validationFrames).toBe(2 * nv);

    // Held-out comparisons are on the last 20 % of each bag: their baselines' MAEs are those of exactly these labels.
    const held = Object.fromEntries(s.scores.holdout.map((c) => [c.name, c]));
    expect(Object.keys(held).sort()).toEqual(['speed', 'steering_angle']);
    const hs = held['steering_angle']!;
    expect(hs.n).toBe(2 * nh);
    expect(hs.baselines.zero.mae).toBeCloseTo(mean(heldOutSteer.map(Math.abs)), 5);
    expect(hs.baselines.constant_mean!.value).toBeCloseTo(mean(trainSteer), 5);
    expect(hs.baselines.constant_mean!.mae).toBeCloseTo(mean(heldOutSteer.map((v) => Math.abs(v - mean(trainSteer)))), 5);
    expect(held['speed']!.baselines.zero.mae).toBeCloseTo(SPEED, 5);
    // Validation is the block between the gaps.
    const vs = s.scores.validation.find((c) => c.name === 'steering_angle')!;
    expect(vs.n).toBe(2 * nv);
    expect(vs.baselines.zero.mae).toBeCloseTo(mean(validationSteer.map(Math.abs)), 5);
    expect(s.record.data.notes.join('\n')).toMatch(/a: train 0–53, validation 57–76, held out 80–99; b: train 0–53, validation 57–76, held out 80–99/);
    // The comparisons reach the log and the record's metrics.
    expect(lines.some((l) => /^train: held out steering_angle: model MAE [\d.]+ \(corr /.test(l))).toBe(true);
    expect(s.record.metrics['held-out MAE steering_angle (rad)']).toBeCloseTo(hs.mae, 10);
    expect(s.record.metrics['held-out constant-mean baseline MAE steering_angle (rad)']).toBeCloseTo(hs.baselines.constant_mean!.mae, 10);

    // The bar is learnable: steering beats both baselines on held-out frames, and no steering warning.
    expect(hs.improvement).toBeGreaterThan(0);
    expect(hs.corr).toBeGreaterThan(0.5);
    expect(s.scores.warnings.filter((w) => w.startsWith('steering_angle: on held-out'))).toEqual([]);

    // The network: 96 wide, the height from the 64×48 frames cropped 30 % at the top (REAL_CAMERA).
    const expected = scratchInputSize({ width: SRC_W, height: SRC_H }, { top: 0.3, bottom: 0, left: 0, right: 0 });
    expect(expected).toEqual({ width: 96, height: Math.round((96 * 48 * 0.7) / 64) });
    const saved = readNetworkOnnx(bytes, s.out).metadata;
    expect(saved.backbone.input).toEqual({ channels: 3, ...expected });
    expect(saved.head).toMatchObject({ outputActivation: 'linear', outputs: ['steering_angle', 'speed'] });
    const contract = parseContract(info.metadata[CONTRACT_METADATA_KEY], s.out);
    expect(contract.inputs[0]!.shape).toEqual([1, 3, expected.height, SCRATCH_INPUT_WIDTH]);
    expect(s.record.base).toMatchObject({ kind: 'scratch' });
    expect(s.record.stages[0]!.mode).toBe('full');

    // The default loss from scratch is L1: the best epoch's validation loss is the mean absolute raw error
    // (physical MAE / field scale, averaged over both fields), which the network still reproduces.
    const fields = drivingFields(loadVehicleCalibration(loadSimConfig(undefined).vehicle.calibration));
    const rawMae = fields.map((f) => s.validation.mae[f.name]! / f.scale);
    expect(s.record.stages[0]!.valLoss!).toBeCloseTo(mean(rawMae), 4);
    expect(Math.abs(s.record.stages[0]!.valLoss! - s.validation.rawMse)).toBeGreaterThan(1e-3);
  }, 120_000);

  it('a model trained on labels unrelated to the images is flagged: it does not beat the baseline', async () => {
    const dir = tmp('pilot-scratch-');
    const bags = [
      await demoBag(join(dir, 'a'), { seed: 1, frames: FRAMES, steering: unrelated(11) }),
      await demoBag(join(dir, 'b'), { seed: 2, frames: FRAMES, steering: unrelated(12) }),
    ];
    const lines: string[] = [];
    const s = await runTrainPolicy(opts(dir, bags, { epochs: 3, log: (l) => lines.push(l) }));
    const hs = s.scores.holdout.find((c) => c.name === 'steering_angle')!;
    expect(hs.improvement).toBeLessThanOrEqual(0);
    const warning = s.scores.warnings.find((w) => w.startsWith('steering_angle: on held-out frames'));
    expect(warning).toMatch(/the model \(MAE [\d.]+\) does not beat the (constant_mean|zero) baseline \(MAE [\d.]+\): predicting a constant would do better; do not deploy it/);
    expect(lines).toContain(`train: warning: ${warning}`);
    expect(s.record.extra?.['warnings']).toContain(warning);
  }, 120_000);

  it('the input size follows the crop; --input-size is taken as given', async () => {
    const dir = tmp('pilot-scratch-');
    const bag = await demoBag(join(dir, 'a'), { frames: 3 });
    const def = await loadPolicyBase('scratch', bag, undefined);
    expect(def.backbone.input).toEqual({ channels: 3, height: 50, width: 96 });
    expect(def.note).toMatch(/network input 96×50, from 64×48 frames/);
    // 64×(48·0.8) → 96×58; a crop that leaves a wide strip is held at 40 rows so every convolution fits.
    const cropped = await loadPolicyBase('scratch', bag, undefined, { crop: { top: 0.2, bottom: 0, left: 0, right: 0 } });
    expect(cropped.backbone.input).toMatchObject({ height: 58, width: 96 });
    expect(cropped.camera.crop).toEqual({ top: 0.2, bottom: 0, left: 0, right: 0 });
    expect((await loadPolicyBase('scratch', bag, undefined, { crop: { top: 0.6, bottom: 0, left: 0, right: 0 } })).backbone.input.height).toBe(40);
    const given = await loadPolicyBase('scratch', undefined, undefined, { inputSize: { width: 80, height: 44 } });
    expect(given.backbone.input).toMatchObject({ height: 44, width: 80 });
    expect(given.head.outputActivation).toBe('linear');
    await expect(loadPolicyBase('scratch', undefined, undefined)).rejects.toThrow(/E_TRAIN_OPTIONS: --base scratch sizes the network from the data's frames/);
  });

  it('refuses --input-size and --crop with a file base, and a mode other than full from scratch, writing nothing', async () => {
    const dir = tmp('pilot-scratch-');
    const base = await tinyBackbone(join(dir, 'backbone.onnx'));
    const bag = await demoBag(join(dir, 'a'), { frames: FRAMES });
    const out = join(dir, 'x.onnx');
    await expect(runTrainPolicy(opts(dir, [bag], { base, out, scratch: { inputSize: { width: 96, height: 48 } } }))).rejects.toThrow(/E_TRAIN_OPTIONS: --input-size and --crop shape a fresh network: they need --base scratch/);
    await expect(runTrainPolicy(opts(dir, [bag], { base, out, scratch: { crop: { top: 0.1, bottom: 0, left: 0, right: 0 } } }))).rejects.toThrow(/E_TRAIN_OPTIONS/);
    await expect(runTrainPolicy(opts(dir, [bag], { out, mode: 'head' }))).rejects.toThrow(/E_TRAIN_OPTIONS: .*only --mode full/);
    expect(existsSync(out)).toBe(false);
  });
});

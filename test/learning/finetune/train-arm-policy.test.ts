import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { trainCommand } from '../../../src/cli/train-command.js';
import { FrameExtractor } from '../../../src/learning/dataset/frame-extractor.js';
import { readOnnxInfo } from '../../../src/core/onnx/onnx-read.js';
import { armAugmenter, runTrainArmPolicy, type TrainArmPolicyOptions } from '../../../src/learning/finetune/train-arm-policy.js';
import { ARM_CAMERA, armBackbone, armFields, armPolicyHead, checkArmContract, jointTargetsToRaw } from '../../../src/learning/finetune/arm-setup.js';
import { cameraContractInput } from '../../../src/learning/finetune/driving-setup.js';
import { CONTRACT_METADATA_KEY, parseContract, type ModelContract } from '../../../src/runtime/policy/contract.js';
import { PolicySession } from '../../../src/runtime/policy/policy-session.js';
import { exportArmPolicyOnnx, FrameNormalizer, initTrainingBackend, Network, readNetworkOnnx } from '../../../src/learning/train/index.js';
import { mulberry32 } from '../../../src/core/util/prng.js';
import { ARM, ARM_YAML, armDemoBag, liftFor, panFor, tinyArmBackbone, TINY_ARM_BACKBONE } from './arm-helpers.js';
import { barFrame, SRC_H, SRC_W, T0, tmp } from './helpers.js';

const quiet = { log: () => {} };

beforeEach(() => {
  vi.spyOn(console, 'log').mockImplementation(() => {});
  vi.spyOn(console, 'error').mockImplementation(() => {});
});
afterEach(() => vi.restoreAllMocks());

async function fixture(frames = 80) {
  const dir = tmp('pilot-arm-');
  const base = await tinyArmBackbone(join(dir, 'backbone.onnx'));
  const bags = [await armDemoBag(join(dir, 'a'), { seed: 1, frames }), await armDemoBag(join(dir, 'b'), { seed: 2, frames }), await armDemoBag(join(dir, 'c'), { seed: 3, frames })];
  return { dir, base, bags };
}

/** The written model through ORT: a bar at column u, sampled as the runtime samples it, and a joint state. */
async function runOnnx(path: string, u: number, state: readonly number[]): Promise<Float32Array> {
  const { height: h, width: w } = TINY_ARM_BACKBONE.input;
  const bytes = new Uint8Array(h * w * 3);
  expect(new FrameExtractor(cameraContractInput(TINY_ARM_BACKBONE, ARM_CAMERA), { width: SRC_W, height: SRC_H }).extract(barFrame(u, T0), bytes)).toBe('ok');
  const nhwc = new Float32Array(bytes.length);
  new FrameNormalizer(ARM_CAMERA.normalize).apply(bytes, nhwc);
  const img = new Float32Array(nhwc.length);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) img[(c * h + y) * w + x] = nhwc[(y * w + x) * 3 + c]!;
  const session = await ort.InferenceSession.create(readFileSync(path));
  try {
    const out = await session.run({ image: new ort.Tensor('float32', img, [1, 3, h, w]), joint_state: new ort.Tensor('float32', Float32Array.from(state), [1, state.length]) });
    return out['action']!.data as Float32Array;
  } finally {
    await session.release();
  }
}

describe('pilot train --profile arm', () => {
  it('learns a joint target that depends on the image and one that depends on the state; writes an arm model the runtime accepts', async () => {
    const f = await fixture();
    const out = join(f.dir, 'arm-policy.onnx');
    const code = await trainCommand([
      '--profile', 'arm', '--arm', ARM_YAML, '--data', f.bags.join(','), '--base', f.base, '--out', out,
      '--mode', 'full', '--epochs', '30', '--patience', '30', '--lr', '0.003', '--no-augment', '--validation-fraction', '0.3', '--seed', '1',
    ]);
    expect(code).toBe(0);
    const bytes = readFileSync(out);
    const info = readOnnxInfo(bytes, out);
    const contract = parseContract(info.metadata[CONTRACT_METADATA_KEY], out);
    expect(contract.profile).toBe('arm');
    expect(contract.inputs.map((i) => [i.name, i.role, i.shape])).toEqual([['image', 'camera', [1, 3, 24, 32]], ['joint_state', 'state', [1, 5]]]);
    expect(contract.outputs[0]!.fields.map((x) => x.name)).toEqual(ARM.jointNames);
    checkArmContract(contract, ARM, out);
    const card = readFileSync(out.replace(/\.onnx$/, '.md'), 'utf8');
    expect(card).toMatch(/validation MAE shoulder_pan \(rad\)/);
    expect(card).toMatch(/- Augmentation: none/);

    // Validation error per joint, from the card's record (physical units, rad): far below guessing the mean
    // (≈ 0.75 rad for shoulder_pan, ≈ 0.6 rad for shoulder_lift).
    const record = readNetworkOnnx(bytes, out).metadata.provenance as { metrics: Record<string, number> };
    expect(record.metrics['validation MAE shoulder_pan (rad)']).toBeLessThan(0.2);
    expect(record.metrics['validation MAE shoulder_lift (rad)']).toBeLessThan(0.15);

    // Through ORT: the image moves shoulder_pan; the elbow's state moves shoulder_lift.
    const scale = (q: number, raw: number) => raw * contract.outputs[0]!.fields[q]!.scale + contract.outputs[0]!.fields[q]!.offset;
    const home = Array.from(ARM.home);
    const left = await runOnnx(out, 0.15, home);
    const right = await runOnnx(out, 0.85, home);
    expect(scale(0, right[0]!) - scale(0, left[0]!)).toBeGreaterThan(0.5 * (panFor(0.85) - panFor(0.15)));
    const low = await runOnnx(out, 0.5, [...home.slice(0, 2), 0.2, ...home.slice(3)]);
    const high = await runOnnx(out, 0.5, [...home.slice(0, 2), 2.2, ...home.slice(3)]);
    expect(scale(1, high[1]!) - scale(1, low[1]!)).toBeGreaterThan(0.5 * (liftFor(2.2) - liftFor(0.2)));

    const policy = await PolicySession.create({ model: { path: out, providers: ['cpu'], intra_op_threads: 1, inference_thread: 'main', warmup_runs: 0, ort_log_level: 'fatal', require_eval: false, device_outputs: false, cuda: { device_id: 0 }, tensorrt: { engine_cache_dir: '.cache/tensorrt', fp16: false } } as never, log: () => {} });
    expect(policy.contract.profile).toBe('arm');
    await policy.dispose();
  }, 20_000);

  it('skips frames whose joint state lacks a joint, counts them with the reason, and names a bag with none usable', async () => {
    const f = await fixture(40);
    const broken = await armDemoBag(join(f.dir, 'nowrist'), { dropJoint: 'wrist_roll', dropEvery: 4, frames: 40 });
    const lines: string[] = [];
    const s = await runTrainArmPolicy({ out: join(f.dir, 'p.onnx'), arm: ARM, base: f.base, data: [...f.bags, broken], epochs: 1, seed: 1, augment: false, command: 'test', log: (l) => lines.push(l) });
    const text = lines.join('\n');
    expect(text).toMatch(/nowrist: 30\/40 frames .*40 joint states on \/joint_states \(10 rejected\).*skipped: bad_state 10/);
    expect(text).toMatch(/nowrist: 10 of 40 joint state message\(s\) on \/joint_states rejected, first at 0\.000 s: no joint 'wrist_roll' \(has wrist_pitch, elbow, shoulder_lift, shoulder_pan\)/);
    expect(s.record.data.trainFrames + s.record.data.validationFrames).toBe(150);
    const dead = await armDemoBag(join(f.dir, 'dead'), { dropJoint: 'elbow', frames: 10 });
    await expect(runTrainArmPolicy({ out: join(f.dir, 'q.onnx'), arm: ARM, base: f.base, data: [dead], epochs: 1, seed: 1, command: 'test', ...quiet })).rejects.toThrow(/E_DATASET_NO_PAIRS: .*dead: .*10 joint states \(10 rejected\).*skipped: bad_state 10/);
  }, 20_000);

  it('trains from scratch on an in-memory dataset (no bags) in full mode only', async () => {
    await initTrainingBackend();
    const dir = tmp('pilot-arm-mem-');
    const random = mulberry32(4);
    const { height, width } = TINY_ARM_BACKBONE.input;
    const count = 64;
    const images = new Uint8Array(count * height * width * 3);
    for (let i = 0; i < images.length; i++) images[i] = Math.floor(random() * 256);
    const states = new Float32Array(count * 5);
    const goals = new Float32Array(count * 5);
    for (let i = 0; i < count; i++) ARM.limits.forEach((l, q) => ((states[i * 5 + q] = l.lower + random() * (l.upper - l.lower)), (goals[i * 5 + q] = l.lower + random() * (l.upper - l.lower))));
    const dataset = {
      images, height, width, count, states, stateNames: ARM.jointNames, targets: jointTargetsToRaw(armFields(ARM), goals), targetNames: ARM.jointNames,
      episodes: Int32Array.from({ length: count }, (_, i) => i % 4), episodeNames: ['e0', 'e1', 'e2', 'e3'],
    };
    const o: TrainArmPolicyOptions = { out: join(dir, 'scratch.onnx'), arm: ARM, base: 'scratch', dataset, epochs: 2, seed: 2, scratch: { backbone: TINY_ARM_BACKBONE }, command: 'test', ...quiet };
    const s = await runTrainArmPolicy(o);
    expect(s.record.stages[0]!.mode).toBe('full');
    expect(s.record.base).toBeUndefined();
    expect(s.validation.frames).toBeGreaterThan(0);
    expect(readNetworkOnnx(readFileSync(s.out), s.out).metadata.head).toEqual(armPolicyHead(ARM));
    await expect(runTrainArmPolicy({ ...o, mode: 'head' })).rejects.toThrow(/E_TRAIN_OPTIONS: --base scratch starts from random weights: only --mode full/);
    const { states: _s, stateNames: _n, ...noStates } = dataset;
    await expect(runTrainArmPolicy({ ...o, dataset: noStates })).rejects.toThrow(/E_TRAIN_DATA: dataset: no joint states/);
    await expect(runTrainArmPolicy({ ...o, dataset: { ...dataset, height: 12, images: images.subarray(0, count * 12 * width * 3) } })).rejects.toThrow(/E_TRAIN_DATA: dataset: frames are 32x12, the network input is 32x24/);
  }, 20_000);

  it('refuses a base policy or contract whose fields do not match the arm\'s joints, and writes nothing', async () => {
    const f = await fixture(40);
    await initTrainingBackend();
    const renamed = ARM.limits.map((l, i) => ({ ...l, name: `joint${i + 1}` }));
    const other = new Network({ backbone: TINY_ARM_BACKBONE, head: armPolicyHead({ limits: renamed }) });
    const otherPath = join(f.dir, 'other-arm.onnx');
    writeFileSync(otherPath, exportArmPolicyOnnx(other, { id: 'other', camera: ARM_CAMERA, joints: renamed }).bytes);
    // Same joint names, other limits: its raw outputs mean other angles.
    const wider = ARM.limits.map((l) => ({ ...l, lower: l.lower - 0.5 }));
    const sameNames = new Network({ backbone: TINY_ARM_BACKBONE, head: armPolicyHead({ limits: wider }) });
    const widerPath = join(f.dir, 'wider-arm.onnx');
    writeFileSync(widerPath, exportArmPolicyOnnx(sameNames, { id: 'wider', camera: ARM_CAMERA, joints: wider }).bytes);
    [other, sameNames].forEach((n) => n.dispose());

    const out = join(f.dir, 'x.onnx');
    const o = { out, arm: ARM, data: f.bags, epochs: 1, seed: 1, command: 'test', ...quiet };
    await expect(runTrainArmPolicy({ ...o, base: otherPath })).rejects.toThrow(/E_BASE_MODEL: .*other-arm\.onnx: policy outputs \[joint1, joint2, joint3, joint4, joint5\] are not the arm's joints \[shoulder_pan, shoulder_lift, elbow, wrist_pitch, wrist_roll\]/);
    await expect(runTrainArmPolicy({ ...o, base: widerPath })).rejects.toThrow(/E_ARM_CONTRACT: .*wider-arm\.onnx: action field shoulder_pan: rad, scale 2\.85, offset -0\.25; the arm's limits give rad, scale 2\.6, offset 0/);
    expect(existsSync(out)).toBe(false);

    const good = (await runTrainArmPolicy({ ...o, base: f.base, out: join(f.dir, 'good.onnx') })).contract;
    const state = good.inputs[1]! as Extract<ModelContract['inputs'][number], { role: 'state' }>;
    expect(() => checkArmContract({ ...good, inputs: [good.inputs[0]!, { ...state, fields: [...state.fields].reverse() }] }, ARM, 'm.onnx')).toThrow(/E_ARM_CONTRACT: m\.onnx: state input fields \[wrist_roll, .*\] are not the arm's joints/);
    expect(() => checkArmContract({ ...good, profile: 'vehicle' }, ARM, 'm.onnx')).toThrow(/E_ARM_CONTRACT: m\.onnx: contract profile is 'vehicle', not 'arm'/);
    expect(() => checkArmContract({ ...good, outputs: [{ ...good.outputs[0]!, fields: good.outputs[0]!.fields.slice(0, 4), shape: [1, 4] }] }, ARM, 'm.onnx')).toThrow(/action fields \[shoulder_pan, shoulder_lift, elbow, wrist_pitch\] are not the arm's joints/);

    await expect(trainCommand(['--profile', 'arm', '--data', f.bags[0]!, '--base', 'scratch', '--mode', 'head', '--out', out])).rejects.toThrow(/only --mode full/);
    await expect(trainCommand(['--profile', 'arm', '--data', f.bags[0]!, '--base', f.base, '--arch', 'small', '--out', out])).rejects.toThrow(/--arch shapes a fresh backbone: it needs --base scratch/);
    await expect(trainCommand(['--profile', 'arm', '--data', f.bags[0]!, '--base', f.base, '--dagger', '2', '--dagger-tracks', 'oval', '--out', out])).rejects.toThrow(/--dagger-tracks is not available with --profile arm/);
    expect(existsSync(out)).toBe(false);
  }, 20_000);

  it('--base scratch builds a fresh backbone of the chosen preset and input size, trained in full mode', async () => {
    const f = await fixture(40);
    const out = join(f.dir, 'scratch.onnx');
    expect(await trainCommand(['--profile', 'arm', '--data', f.bags.join(','), '--base', 'scratch', '--arch', 'small', '--input-size', '48x36', '--crop', '0.1,0,0,0', '--hidden', '32', '--epochs', '1', '--out', out])).toBe(0);
    const saved = readNetworkOnnx(readFileSync(out), out);
    expect(saved.metadata.backbone).toEqual(armBackbone('small', { height: 36, width: 48 }));
    expect(saved.metadata.head).toEqual(armPolicyHead(ARM, [32]));
    expect(saved.metadata.input.crop).toEqual({ top: 0.1, bottom: 0, left: 0, right: 0 });
    expect((saved.metadata.provenance as { stages: { mode: string }[] }).stages[0]!.mode).toBe('full');
    await initTrainingBackend();
    for (const [preset, params] of [['small', 42_141], ['medium', 234_693]] as const) {
      const n = new Network({ backbone: armBackbone(preset), head: armPolicyHead(ARM) });
      expect(n.parameterCount).toBe(params);
      n.dispose();
    }
  }, 20_000);

  it('augments photometrically only: no flips, no shifts, labels untouched', () => {
    const h = 8;
    const w = 10;
    const n = 64;
    const images = new Uint8Array(n * h * w * 3);
    for (let i = 0; i < n; i++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) images.fill(x < w / 2 ? 230 : 20, ((i * h + y) * w + x) * 3, ((i * h + y) * w + x) * 3 + 3);
    const targets = Float32Array.from({ length: n * 5 }, (_, i) => (i % 5) / 10 - 0.2);
    const before = targets.slice();
    armAugmenter({ height: h, width: w, targetNames: ARM.jointNames })(images, targets, mulberry32(1));
    expect(Array.from(targets)).toEqual(Array.from(before));
    for (let i = 0; i < n; i++) {
      let left = 0;
      let right = 0;
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) (x < w / 2 ? (left += images[((i * h + y) * w + x) * 3 + c]!) : (right += images[((i * h + y) * w + x) * 3 + c]!));
      expect(left, `frame ${i}`).toBeGreaterThan(right);
    }
  });
});

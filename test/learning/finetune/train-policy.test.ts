import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPilotNet } from '../../../src/learning/export/pilotnet.js';
import { readOnnxInfo } from '../../../src/core/onnx/onnx-read.js';
import { GATE_METADATA_KEY, parseGate } from '../../../src/runtime/policy/eval-gate.js';
import { runTrainPolicy, type TrainPolicyOptions } from '../../../src/learning/finetune/train-policy.js';
import { CONTRACT_METADATA_KEY, parseContract } from '../../../src/runtime/policy/contract.js';
import { PolicySession } from '../../../src/runtime/policy/policy-session.js';
import { readNetworkOnnx } from '../../../src/learning/train/index.js';
import { createHash } from 'node:crypto';
import { demoBag, tinyBackbone, tmp } from './helpers.js';

const quiet = { log: () => {} };

async function fixture() {
  const dir = tmp();
  const base = await tinyBackbone(join(dir, 'backbone.onnx'));
  const bags = [await demoBag(join(dir, 'a'), { seed: 1 }), await demoBag(join(dir, 'b'), { seed: 2 }), await demoBag(join(dir, 'c'), { seed: 3 })];
  return { dir, base, bags };
}

const opts = (f: { dir: string; base: string; bags: string[] }, over: Partial<TrainPolicyOptions> = {}): TrainPolicyOptions => ({
  out: join(f.dir, 'policy.onnx'),
  data: f.bags,
  base: f.base,
  mode: 'full',
  epochs: 25,
  patience: 25,
  learningRate: 3e-3,
  seed: 1,
  augment: false,
  validationFraction: 0.3,
  command: 'test',
  ...quiet,
  ...over,
});

describe('pilot train', () => {
  it('learns steering from the image, writes a model the runtime accepts, with contract, gate and card', async () => {
    const f = await fixture();
    const s = await runTrainPolicy(opts(f));
    // Predicting the mean steering would give about 0.6 · E|u − 0.5| ≈ 0.15 rad.
    expect(s.validation.frames).toBeGreaterThan(0);
    expect(s.validation.mae['steering_angle']).toBeLessThan(0.06);

    const bytes = readFileSync(s.out);
    const info = readOnnxInfo(bytes, s.out);
    const contract = parseContract(info.metadata[CONTRACT_METADATA_KEY], s.out);
    expect(contract.outputs[0]!.fields.map((x) => x.name)).toEqual(['steering_angle', 'speed']);
    expect(parseGate(info.metadata[GATE_METADATA_KEY], s.out)?.closed_loop.tracks).toEqual(['lake', 'city-block']);
    const card = readFileSync(s.card, 'utf8');
    expect(card).toContain(createHash('sha256').update(bytes).digest('hex'));
    expect(card).toMatch(/validation MAE steering_angle/);

    const policy = await PolicySession.create({ model: { path: s.out, providers: ['cpu'], intra_op_threads: 1, inference_thread: 'main', warmup_runs: 0, ort_log_level: 'fatal', require_eval: false, device_outputs: false, cuda: { device_id: 0 }, tensorrt: { engine_cache_dir: '.cache/tensorrt', fp16: false } } as never, log: () => {} });
    await policy.dispose();
  }, 60_000);

  it('head-only fine-tuning trains the head and leaves the backbone as it was', async () => {
    const f = await fixture();
    const s = await runTrainPolicy(opts(f, { mode: 'head', epochs: 4 }));
    expect(s.record.stages[0]!.mode).toBe('head');
    expect(s.record.stages[0]!.trainableParameters).toBe(16 * 64 + 64 + 64 * 2 + 2);
    const base = readNetworkOnnx(readFileSync(f.base), f.base).weights;
    const tuned = readNetworkOnnx(readFileSync(s.out), s.out).weights;
    const backboneNames = [...base.keys()].filter((n) => n.startsWith('backbone'));
    expect(backboneNames.length).toBeGreaterThan(0);
    for (const n of backboneNames) expect(Array.from(tuned.get(n)!)).toEqual(Array.from(base.get(n)!));
    expect([...tuned.keys()].filter((n) => n.startsWith('head')).length).toBeGreaterThan(0);
  }, 60_000);

  it('continual learning rehearses earlier bags and reports forgetting on their validation split', async () => {
    const f = await fixture();
    const first = await runTrainPolicy(opts(f));
    const newer = [await demoBag(join(f.dir, 'd'), { seed: 4 }), await demoBag(join(f.dir, 'e'), { seed: 5 })];
    const s = await runTrainPolicy(opts(f, { base: first.out, data: newer, rehearse: f.bags, out: join(f.dir, 'policy2.onnx'), epochs: 5 }));
    expect(s.forgetting).toBeDefined();
    const { before, after } = s.forgetting!;
    expect(before.frames).toBe(after.frames);
    expect(before.mae['steering_angle']).toBeLessThan(0.06);
    expect(after.mae['steering_angle']).toBeLessThan(0.08);
    expect(s.record.base?.kind).toBe('policy');
  }, 90_000);

  it('refuses bags without the command topic, naming the bag, and writes nothing', async () => {
    const f = await fixture();
    const noCmd = await demoBag(join(f.dir, 'nocmd'), { withCommands: false });
    const out = join(f.dir, 'x.onnx');
    await expect(runTrainPolicy(opts(f, { data: [noCmd], out }))).rejects.toThrow(/E_DATASET_TOPIC: .*nocmd/);
    expect(existsSync(out)).toBe(false);
  }, 30_000);

  it('refuses a degenerate dataset (all-zero steering) and writes nothing', async () => {
    const f = await fixture();
    const flat = [await demoBag(join(f.dir, 'z1'), { steering: () => 0 }), await demoBag(join(f.dir, 'z2'), { steering: () => 0, seed: 9 })];
    const out = join(f.dir, 'x.onnx');
    await expect(runTrainPolicy(opts(f, { data: flat, out }))).rejects.toThrow(/E_DATASET_DEGENERATE/);
    expect(existsSync(out)).toBe(false);
  }, 30_000);

  it('refuses a base model that is not a pilot backbone or policy', async () => {
    const f = await fixture();
    const foreign = join(f.dir, 'pilotnet.onnx');
    writeFileSync(foreign, buildPilotNet({ variant: 'tiny' }).bytes);
    await expect(runTrainPolicy(opts(f, { base: foreign }))).rejects.toThrow(/E_BASE_MODEL: .*pilotnet\.onnx/);
    await expect(runTrainPolicy(opts(f, { base: join(f.dir, 'missing.onnx') }))).rejects.toThrow(/E_BASE_MODEL: cannot read --base/);
  }, 30_000);
});

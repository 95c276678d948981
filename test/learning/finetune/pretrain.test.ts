import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPretrain } from '../../../src/learning/finetune/pretrain.js';
import { runTrainPolicy } from '../../../src/learning/finetune/train-policy.js';
import { DRIVING_CAMERA } from '../../../src/learning/finetune/driving-setup.js';
import { DRIVING_BACKBONE, exportPretrainOnnx, geometryHead, initTrainingBackend, loadNetwork, Network, POLICY_HEAD, readNetworkOnnx } from '../../../src/learning/train/index.js';
import { demoBag, TINY_BACKBONE, tmp } from './helpers.js';

describe('pilot pretrain', () => {
  it('trains a backbone on rendered simulator frames and records what it was trained on', async () => {
    const dir = tmp();
    const out = join(dir, 'backbone.onnx');
    const s = await runPretrain({ out, frames: 64, validationFrames: 16, epochs: 1, seed: 2, command: 'pilot pretrain --frames 64', log: () => {} });
    const saved = readNetworkOnnx(readFileSync(out), out);
    expect(saved.metadata.kind).toBe('backbone');
    expect(saved.metadata.backbone).toEqual(DRIVING_BACKBONE);
    expect(saved.metadata.head).toBeUndefined();
    const record = saved.metadata.provenance as { data: { trainFrames: number; validationEpisodes: string[]; trainEpisodes: string[] }; stages: { valLoss: number }[] };
    expect(record.data.trainFrames).toBe(64);
    // Validation comes from other generated tracks than training.
    expect(record.data.validationEpisodes.filter((e) => e.startsWith('gen-') && record.data.trainEpisodes.includes(e))).toEqual([]);
    expect(record.data.trainEpisodes.some((e) => ['lake', 'city-block'].includes(e))).toBe(false);
    expect(Number.isFinite(record.stages[0]!.valLoss)).toBe(true);
    const card = readFileSync(s.card, 'utf8');
    expect(card).toMatch(/simulated data only/);
    expect(card).toContain(s.sha256);

    // The backbone takes a driving head.
    await initTrainingBackend();
    const net = loadNetwork(saved, out, { head: POLICY_HEAD });
    expect(net.outputNames).toEqual(['steering_angle', 'speed']);
    net.dispose();
  }, 120_000);

  it('refuses a pretraining network as the base of a policy', async () => {
    const dir = tmp();
    const bag = await demoBag(join(dir, 'a'));
    await initTrainingBackend();
    const net = new Network({ backbone: TINY_BACKBONE, head: geometryHead(['lateral_offset']) }, { seed: 1 });
    const base = join(dir, 'pretrain.onnx');
    writeFileSync(base, exportPretrainOnnx(net, { camera: DRIVING_CAMERA }));
    net.dispose();
    await expect(
      runTrainPolicy({ out: join(dir, 'p.onnx'), data: [bag], base, mode: 'head', epochs: 1, seed: 1, command: 't', log: () => {} }),
    ).rejects.toThrow(/E_BASE_MODEL: .*pretrain\.onnx is a pretraining network/);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runArmDagger } from '../../../src/learning/finetune/arm-dagger.js';
import { runTrainArmPolicy } from '../../../src/learning/finetune/train-arm-policy.js';
import { sha256Bytes } from '../../../src/learning/finetune/training-record.js';
import { ARM, armDemoBag, tinyArmBackbone } from './arm-helpers.js';
import { tmp } from './helpers.js';

describe('arm DAgger', () => {
  it('drives the policy in the arm cell, labels what it saw with the expert goal, and retrains on demonstrations + aggregated frames', async () => {
    const dir = tmp('pilot-arm-dagger-');
    const base = await tinyArmBackbone(join(dir, 'backbone.onnx'));
    const bags = [await armDemoBag(join(dir, 'a'), { seed: 1, frames: 40 }), await armDemoBag(join(dir, 'b'), { seed: 2, frames: 40 })];
    const policy = join(dir, 'arm.onnx');
    await runTrainArmPolicy({ out: policy, arm: ARM, base, data: bags, epochs: 1, seed: 1, command: 't', log: () => {} });
    const before = sha256Bytes(readFileSync(policy));
    const lines: string[] = [];
    const s = await runArmDagger({ policy, arm: ARM, data: bags, rounds: 1, episodes: 2, beta: 0.5, epochs: 1, seed: 1, command: 't', log: (l) => lines.push(l) });
    expect(lines.some((l) => /arm DAgger round 1 \(β 0\.50\): policy succeeded in \d+\/2 episodes; \d+ frames labelled/.test(l))).toBe(true);
    expect(s).toBeDefined();
    expect(sha256Bytes(readFileSync(policy))).not.toBe(before);
    expect(s!.record.stages.at(-1)!.trainFrames).toBeGreaterThan(40);
    expect(s!.record.base?.kind).toBe('policy');
  }, 60_000);
});

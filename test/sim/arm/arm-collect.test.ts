import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCameraCalibration } from '../../../src/core/calibration/camera.js';
import { armDatasetFromBags, armSpecFromContract } from '../../../src/learning/dataset/arm-from-bags.js';
import { checkDataset } from '../../../src/learning/dataset/dataset.js';
import { loadArmDescription } from '../../../src/core/kinematics/index.js';
import { armActionScaling, collectArmEpisodes } from '../../../src/learning/sim-data/arm-collect.js';
import { ArmExpert } from '../../../sim/arm/arm-expert.js';
import { sampleEpisode } from '../../../sim/arm/arm-task.js';
import type { ModelInputSpec } from '../../../src/learning/sim-data/model-input.js';
import { runArmSession } from '../../../sim/arm/arm-session.js';
import { armContract, armRuntimeConfig, FakeArmPolicy, FAKE_INPUT } from './fake-arm-policy.js';

const arm = loadArmDescription('calibration/arm.yaml');
const input: ModelInputSpec = { shape: [1, 3, 60, 80], layout: 'NCHW', crop: { top: 0, bottom: 0, left: 0, right: 0 }, undistort: false };

describe('arm training data', () => {
  it('expert demonstrations: frames at the model input size, joint states, expert goal labels in raw space', async () => {
    const c = await collectArmEpisodes({ task: 'reach', episodes: 3, seed: 10, driver: { kind: 'expert' }, input });
    const d = c.dataset;
    checkDataset(d);
    expect([d.width, d.height]).toEqual([80, 60]);
    expect(d.targetNames).toEqual(arm.jointNames);
    expect(c.stateNames).toEqual(arm.jointNames);
    expect(d.stateNames).toEqual(arm.jointNames);
    expect(c.states).toBe(d.states);
    expect(c.states.length).toBe(d.count * 5);
    expect(d.episodeNames).toEqual(['arm-reach-s10', 'arm-reach-s11', 'arm-reach-s12']);
    expect(d.count).toBe(c.run.episodes.reduce((s, e) => s + e.steps, 0));
    expect(c.expertSteps).toBe(d.count);
    // Labels: the expert's goal for each episode's target, tanh-mapped to the joint limits.
    const expert = new ArmExpert(arm);
    const scaling = armActionScaling(arm);
    for (let i = 0; i < d.count; i++) {
      const f = c.frames[i]!;
      const goal = expert.goalFor(sampleEpisode('reach', f.seed, 'train', arm.home, { startJitterRad: 0.3 }).target);
      for (let j = 0; j < 5; j++) {
        expect(d.targets[5 * i + j]! * scaling[j]!.scale + scaling[j]!.offset).toBeCloseTo(goal[j]!, 5);
        expect(Math.abs(d.targets[5 * i + j]!)).toBeLessThanOrEqual(1);
      }
    }
    // States: where the arm was when the frame was taken (the first frame of an episode: its jittered start).
    const first = sampleEpisode('reach', 10, 'train', arm.home, { startJitterRad: 0.3 });
    const start = first.startQ.map((v, j) => Math.min(arm.limits[j]!.upper, Math.max(arm.limits[j]!.lower, v)));
    for (let j = 0; j < 5; j++) expect(d.states![j]).toBeCloseTo(start[j]!, 5);
    expect(start.some((v, j) => Math.abs(v - arm.home[j]!) > 0.01)).toBe(true);
    // Frames differ (the arm moves) and are not blank.
    const frameBytes = 80 * 60 * 3;
    const a = d.images.subarray(0, frameBytes);
    const b = d.images.subarray((d.count - 1) * frameBytes, d.count * frameBytes);
    expect(a.some((v, k) => v !== b[k])).toBe(true);
    expect(Math.max(...a)).toBeGreaterThan(100);
  });

  it('DAgger: the runtime model drives, β mixes in the expert, every frame still carries the expert label', async () => {
    const lazy = new FakeArmPolicy(arm, (state, out) => {
      // Holds wherever it is: never reaches anything.
      arm.limits.forEach((l, j) => (out[j] = (state[j]! - (l.upper + l.lower) / 2) / ((l.upper - l.lower) / 2)));
    });
    const c = await collectArmEpisodes({
      task: 'reach',
      episodes: 1,
      seed: 30,
      driver: { kind: 'model', config: armRuntimeConfig(), policy: lazy, beta: 0.5 },
      taskOptions: { timeLimitS: 1 },
    });
    expect([c.dataset.width, c.dataset.height]).toEqual([FAKE_INPUT.width, FAKE_INPUT.height]);
    expect(c.expertSteps + c.driverSteps).toBe(c.dataset.count);
    expect(c.expertSteps).toBeGreaterThan(3);
    expect(c.driverSteps).toBeGreaterThan(3);
    const goal = new ArmExpert(arm).goalFor(sampleEpisode('reach', 30, 'train', arm.home, { startJitterRad: 0.3 }).target);
    const scaling = armActionScaling(arm);
    for (let i = 0; i < c.dataset.count; i++) expect(c.dataset.targets[5 * i]! * scaling[0]!.scale + scaling[0]!.offset).toBeCloseTo(goal[0]!, 5);
  });

  it('recorded bags give the same dataset as direct collection (src/learning/dataset arm-from-bags pairing)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pilot-arm-bags-'));
    try {
      await runArmSession({ task: 'reach', episodes: 2, seed: 40, split: 'train', taskOptions: { startJitterRad: 0.3 }, randomize: 1, driver: { kind: 'expert' }, record: { dir } });
      const contract = armContract(arm);
      const fromBags = await armDatasetFromBags([join(dir, 'episode-0000'), join(dir, 'episode-0001')], {
        spec: armSpecFromContract(contract),
        camera: loadCameraCalibration('calibration/arm_camera.yaml'),
        minFrames: 1,
      });
      const direct = await collectArmEpisodes({ task: 'reach', episodes: 2, seed: 40, driver: { kind: 'expert' }, input: contract.inputs[0] as ModelInputSpec });
      const a = fromBags.dataset;
      const b = direct.dataset;
      expect(a.count).toBe(b.count);
      expect(Array.from(a.targets)).toEqual(Array.from(b.targets));
      expect(Array.from(a.states!)).toEqual(Array.from(b.states));
      expect(Buffer.compare(Buffer.from(a.images), Buffer.from(b.images))).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses the unseen placements and an expert run without an input size', async () => {
    await expect(collectArmEpisodes({ task: 'reach', episodes: 1, split: 'unseen' as 'train', driver: { kind: 'expert' }, input })).rejects.toThrow(/E_ARM_SPLIT: training data must not come from the unseen placements/);
    await expect(collectArmEpisodes({ task: 'reach', episodes: 1, driver: { kind: 'expert' } })).rejects.toThrow(/E_ARM_COLLECT: an expert run has no model contract/);
  });
});

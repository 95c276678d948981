import { describe, expect, it } from 'vitest';
import { loadArmDescription } from '../../../src/core/kinematics/index.js';
import {
  episodeSeeds,
  inHeldOutBand,
  parseTaskKind,
  PUSH_REGION,
  REACH_REGION,
  sampleEpisode,
  UNSEEN_PLACEMENTS,
} from '../../../sim/arm/arm-task.js';

const arm = loadArmDescription('calibration/arm.yaml');
const azimuth = (o: { x: number; y: number }) => Math.atan2(o.y, o.x);
const radius = (o: { x: number; y: number }) => Math.hypot(o.x, o.y);

describe('arm tasks and placements', () => {
  it('draws the same episode from the same seed, different ones from different seeds', () => {
    const a = sampleEpisode('reach', 5, 'any', arm.home);
    expect(sampleEpisode('reach', 5, 'any', arm.home)).toEqual(a);
    expect(sampleEpisode('reach', 6, 'any', arm.home).objects[0]!.x).not.toBe(a.objects[0]!.x);
    expect(sampleEpisode('push', 5, 'any', arm.home).objects[0]!.x).not.toBe(a.objects[0]!.x);
  });

  it('reach: a red target cube in the region, the target point 5 cm above it, distractors apart', () => {
    for (let seed = 0; seed < 200; seed++) {
      const e = sampleEpisode('reach', seed, 'any', arm.home);
      const [target, ...distractors] = e.objects;
      expect(target!.role).toBe('target');
      expect(radius(target!)).toBeGreaterThanOrEqual(REACH_REGION.minRadiusM);
      expect(radius(target!)).toBeLessThanOrEqual(REACH_REGION.maxRadiusM);
      expect(Math.abs(azimuth(target!))).toBeLessThanOrEqual((REACH_REGION.maxAzimuthDeg * Math.PI) / 180);
      expect(e.target).toEqual([target!.x, target!.y, 0.04 + 0.05]);
      expect(distractors).toHaveLength(2);
      for (const d of distractors) expect(Math.hypot(d.x - target!.x, d.y - target!.y)).toBeGreaterThanOrEqual(0.09);
      expect(new Set(distractors.map((d) => d.colour)).size).toBe(2);
      expect([e.toleranceM, e.holdSteps, e.timeLimitS]).toEqual([0.02, 5, 8]);
    }
  });

  it('push: a puck in the region and a goal 8–14 cm away on the reachable table', () => {
    for (let seed = 0; seed < 200; seed++) {
      const e = sampleEpisode('push', seed, 'any', arm.home);
      const puck = e.objects[0]!;
      expect(puck.role).toBe('puck');
      expect(radius(puck)).toBeGreaterThanOrEqual(PUSH_REGION.minRadiusM);
      expect(radius(puck)).toBeLessThanOrEqual(PUSH_REGION.maxRadiusM);
      const d = Math.hypot(e.target[0] - puck.x, e.target[1] - puck.y);
      expect(d).toBeGreaterThanOrEqual(0.08);
      expect(d).toBeLessThanOrEqual(0.14);
      expect(e.target[2]).toBe(0);
    }
  });

  it('unseen placements: seeds from 1e6 and the task object in the held-out bands; training never enters them', () => {
    expect(episodeSeeds(3, 4, 'unseen')).toEqual([1_000_003, 1_000_004, 1_000_005, 1_000_006]);
    expect(episodeSeeds(3, 2, 'train')).toEqual([3, 4]);
    for (let i = 0; i < 300; i++) {
      for (const kind of ['reach', 'push'] as const) {
        const unseen = sampleEpisode(kind, UNSEEN_PLACEMENTS.seedBase + i, 'unseen', arm.home);
        expect(inHeldOutBand(azimuth(unseen.objects[0]!))).toBe(true);
        const train = sampleEpisode(kind, i, 'train', arm.home);
        expect(inHeldOutBand(azimuth(train.objects[0]!))).toBe(false);
      }
    }
    // The bands are spread over the whole sector, so unseen placements test interpolation everywhere.
    const bands = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const deg = (azimuth(sampleEpisode('reach', UNSEEN_PLACEMENTS.seedBase + i, 'unseen', arm.home).objects[0]!) * 180) / Math.PI;
      bands.add(UNSEEN_PLACEMENTS.bandsDeg.find((c) => Math.abs(deg - c) <= UNSEEN_PLACEMENTS.halfWidthDeg)!);
    }
    expect(bands.size).toBe(UNSEEN_PLACEMENTS.bandsDeg.length);
  });

  it('rejects bad inputs with clear errors', () => {
    expect(() => parseTaskKind('pick')).toThrow("E_ARM_TASK: unknown arm task 'pick' (known: reach, push)");
    expect(() => sampleEpisode('pick' as 'reach', 1, 'any', arm.home)).toThrow(/E_ARM_TASK: unknown arm task 'pick'/);
    expect(() => sampleEpisode('reach', 5, 'unseen', arm.home)).toThrow(/E_ARM_SPLIT: seed 5 belongs to the training range; unseen placements use seeds ≥ 1000000/);
    expect(() => sampleEpisode('reach', 2_000_000, 'train', arm.home)).toThrow(/E_ARM_SPLIT: seed 2000000 belongs to the unseen split/);
    expect(() => sampleEpisode('reach', -1, 'any', arm.home)).toThrow(/E_ARM_SEED/);
    expect(() => sampleEpisode('reach', 1, 'any', arm.home, { toleranceM: 0 })).toThrow(/E_ARM_TASK: reach task option toleranceM: must be in \(0, 0.5\) m \(got 0\)/);
    expect(() => sampleEpisode('reach', 1, 'any', arm.home, { distractors: 9 })).toThrow(/distractors: must be a whole number 0..4/);
    expect(() => episodeSeeds(1, 0, 'any')).toThrow(/E_ARM_EPISODES/);
    expect(() => episodeSeeds(UNSEEN_PLACEMENTS.seedBase - 2, 5, 'train')).toThrow(/E_ARM_SPLIT/);
  });
});

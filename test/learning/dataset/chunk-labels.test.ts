import { afterEach, describe, expect, it } from 'vitest';
import { chunkDriveDataset } from '../../../src/learning/dataset/chunk-labels.js';
import { checkDataset, type ImageDataset } from '../../../src/learning/dataset/dataset.js';
import { datasetFromBags, formatDatasetReport } from '../../../src/learning/dataset/from-bags.js';
import { chunkTargetNames } from '../../../src/learning/export/chunk-fields.js';
import { everyFrameCommands, MAX_SPEED, MAX_STEER, open, spec, tinyBag, type Cmd } from './helpers.js';

const readers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const r of readers.splice(0)) await r.close();
});

async function bag(options: Parameters<typeof tinyBag>[0] = {}) {
  const reader = await open(await tinyBag(options));
  readers.push(reader);
  return reader;
}

const frameIds = (ds: ImageDataset): number[] => Array.from({ length: ds.count }, (_, j) => ds.images[j * ds.height * ds.width * 3]! / 10);
const raw = (c: Cmd): [number, number] => [c.steer / MAX_STEER, (c.speed - MAX_SPEED / 2) / (MAX_SPEED / 2)];
/** Frame j's label at chunk step s (steering, speed), raw. */
const at = (ds: ImageDataset, j: number, s: number): [number, number] => {
  const k = ds.targetNames.length;
  return [ds.targets[j * k + 2 * s]!, ds.targets[j * k + 2 * s + 1]!];
};

describe('chunk labels from a bag', () => {
  it('labels frame i with the commands in force at t, t + step, t + 2·step; frames without a full future are skipped', async () => {
    const cmds = everyFrameCommands(10);
    const { dataset, report } = await datasetFromBags([await bag({ commands: cmds })], { spec: spec(), minFrames: 1, chunk: { steps: 3, step_ms: 50 } });
    checkDataset(dataset);
    expect(dataset.targetNames).toEqual(['steering_angle', 'speed', 'steering_angle+50ms', 'speed+50ms', 'steering_angle+100ms', 'speed+100ms']);
    // Frames 8 and 9 at 400 and 450 ms need commands at 500 and 550 ms: the bag ends at 450 ms.
    expect(frameIds(dataset)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(report.skipped.chunk_past_end).toBe(2);
    for (let j = 0; j < dataset.count; j++) {
      for (let s = 0; s < 3; s++) {
        const [steer, speed] = raw(cmds[j + s]!);
        expect(at(dataset, j, s)[0]).toBeCloseTo(steer, 6);
        expect(at(dataset, j, s)[1]).toBeCloseTo(speed, 6);
      }
    }
    expect(formatDatasetReport(report)).toMatch(/skipped: chunk_past_end 2/);
  });

  it('adds the latency to every step, takes the command in force between commands, and skips a step in a gap', async () => {
    const cmds = everyFrameCommands(10);
    const late = await datasetFromBags([await bag({ commands: cmds })], { spec: spec(), minFrames: 1, latencyMs: 50, chunk: { steps: 2, step_ms: 75 } });
    // Frame j: commands in force at 50j + 50 and 50j + 125 ms → commands j+1 and j+2.
    expect(frameIds(late.dataset)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    for (let j = 0; j < late.dataset.count; j++) {
      expect(at(late.dataset, j, 0)[0]).toBeCloseTo(raw(cmds[j + 1]!)[0], 6);
      expect(at(late.dataset, j, 1)[0]).toBeCloseTo(raw(cmds[j + 2]!)[0], 6);
    }
    // Commands 4 and 5 (200, 250 ms) missing: with max gap 60 ms, a step at 250 ms (the 150 ms command
    // is 100 ms old) is stale, one at 200 ms is not (50 ms old).
    const holed = cmds.filter((_, i) => i !== 4 && i !== 5);
    const gap = await datasetFromBags([await bag({ commands: holed })], { spec: spec(), minFrames: 1, maxCommandGapMs: 60, chunk: { steps: 2, step_ms: 50 } });
    expect(frameIds(gap.dataset)).toEqual([0, 1, 2, 3, 6, 7, 8]);
    expect(gap.report.skipped).toMatchObject({ stale_command: 2, chunk_past_end: 1 });
  });
});

describe('chunk labels of a simulated drive (DAgger)', () => {
  /** Two episodes of 5 frames 50 ms apart; frame j's label is (j, −j) (raw). */
  function drive(): { ds: ImageDataset; times: number[] } {
    const n = 10;
    const images = new Uint8Array(n * 2 * 2 * 3);
    for (let j = 0; j < n; j++) images.fill(j * 10, j * 12, (j + 1) * 12);
    const targets = new Float32Array(n * 2);
    for (let j = 0; j < n; j++) targets.set([j / 10, -j / 10], 2 * j);
    const episodes = Int32Array.from({ length: n }, (_, j) => (j < 5 ? 0 : 1));
    const times = Array.from({ length: n }, (_, j) => (j % 5) * 50 + 1000);
    const ds: ImageDataset = { images, height: 2, width: 2, targets, targetNames: ['steering_angle', 'speed'], episodes, episodeNames: ['a', 'b'], count: n };
    return { ds, times };
  }

  it('labels each frame with the same drive’s later labels and never crosses into another episode', () => {
    const { ds, times } = drive();
    const { dataset, skipped } = chunkDriveDataset(ds, { timesMs: times }, { steps: 3, step_ms: 50 });
    checkDataset(dataset);
    expect(dataset.targetNames).toEqual(chunkTargetNames(['steering_angle', 'speed'], { steps: 3, step_ms: 50 }));
    // The last two frames of each episode have no full future.
    expect(frameIds(dataset)).toEqual([0, 1, 2, 5, 6, 7]);
    expect(skipped.chunk_past_end).toBe(4);
    expect([...dataset.episodes]).toEqual([0, 0, 0, 1, 1, 1]);
    frameIds(dataset).forEach((id, j) => {
      for (let s = 0; s < 3; s++) {
        expect(at(dataset, j, s)[0]).toBeCloseTo((id + s) / 10, 6);
        expect(at(dataset, j, s)[1]).toBeCloseTo(-(id + s) / 10, 6);
      }
    });
  });

  it('never labels across a reset: frames of different segments (interventions) are apart', () => {
    const { ds, times } = drive();
    // Episode a is reset after its second frame.
    const segments = [0, 0, 1, 1, 1, 0, 0, 0, 0, 0];
    const { dataset, skipped } = chunkDriveDataset(ds, { timesMs: times, segments }, { steps: 3, step_ms: 50 });
    expect(frameIds(dataset)).toEqual([2, 5, 6, 7]);
    expect(skipped.chunk_past_end).toBe(6);
    expect(at(dataset, 0, 2)[0]).toBeCloseTo(0.4, 6);
  });
});

/**
 * Replay beside the trivial baselines (the training mean stored in the model, zero) and the
 * correlation, over exactly the evaluated ticks; frames of another size than the calibration's.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MemoryBagFolder } from '../../../src/data/bags/index.js';
import { BASELINES_METADATA_KEY } from '../../../src/data/replay/baselines.js';
import { withMetadata } from '../../../src/learning/finetune/onnx-metadata.js';
import { makeCameraInfo } from '../../../src/core/messages/factories.js';
import { runReplay, type ReplayModelSpec, type ReplayResult } from '../../../src/data/replay/replay-session.js';
import { replayJson } from '../../../src/data/replay/report-json.js';
import { formatReplaySummary } from '../../../src/data/replay/report-terminal.js';
import { tempDir } from '../bags/helpers.js';
import { MS, T0, openMemoryBag, quiet, replayConfig, writeDriveBag, type DriveBagOptions } from './helpers.js';

const TRAIN_MEAN = { steering_angle: 0.05, speed: 1.2 };
const FRAMES = 40;
/** Recorded command k, logged with frame k (so it is in force at tick k). */
const steer = (k: number): number => 0.3 * Math.sin(k / 5);
const speed = (k: number): number => 1 + 0.5 * Math.cos(k / 7);

let dir: { dir: string; cleanup: () => void };
let modelWithMeans: string;
beforeAll(() => {
  dir = tempDir('pilot-replay-baselines-');
  modelWithMeans = join(dir.dir, 'with-means.onnx');
  const meta = JSON.stringify({ version: 1, train_frames: 1234, constant_mean: TRAIN_MEAN });
  writeFileSync(modelWithMeans, withMetadata(readFileSync('models/pilotnet-test.onnx'), { [BASELINES_METADATA_KEY]: meta }));
});
afterAll(() => dir.cleanup());

function bag(extra: DriveBagOptions = {}): Promise<MemoryBagFolder> {
  const commands = Array.from({ length: FRAMES }, (_, k) => ({ logTimeNs: T0 + BigInt(k) * 50n * MS, steeringRad: steer(k), speedMps: speed(k) }));
  return writeDriveBag({ seconds: FRAMES / 20, commands, ...extra });
}

async function replay(folder: MemoryBagFolder, spec: Partial<ReplayModelSpec> = {}, log: (line: string) => void = quiet): Promise<ReplayResult> {
  const reader = await openMemoryBag(folder);
  try {
    return await runReplay({ reader, models: [{ label: 'model', config: replayConfig(), ...spec }], log });
  } finally {
    await reader.close();
  }
}

/** Pearson correlation, written out here so the check does not reuse the code under test. */
function correlation(x: number[], y: number[]): number {
  const mx = x.reduce((a, b) => a + b, 0) / x.length;
  const my = y.reduce((a, b) => a + b, 0) / y.length;
  const cov = x.reduce((a, v, i) => a + (v - mx) * (y[i]! - my), 0);
  const vx = x.reduce((a, v) => a + (v - mx) ** 2, 0);
  const vy = y.reduce((a, v) => a + (v - my) ** 2, 0);
  return cov / Math.sqrt(vx * vy);
}

type JsonField = { name: string; n: number; mae: number; corr: number | null; baselines: { constant_mean?: { value: number; mae: number }; zero: { mae: number } } };

describe('replay against baselines', () => {
  it('reports the constant-mean and zero baselines and the correlation over the evaluated ticks, in JSON and the summary', async () => {
    const result = await replay(await bag(), { config: replayConfig({ model: { path: modelWithMeans, warmup_runs: 1 } }) });
    const run = result.runs[0]!;
    expect(run.baselines).toEqual({ version: 1, train_frames: 1234, constant_mean: TRAIN_MEAN });
    const json = JSON.parse(JSON.stringify(replayJson(result))) as { runs: { evaluation: { fields: JsonField[] }; series: { tS: number[]; reason: string[]; predicted: Record<string, number[]> } }[] };
    const { fields } = json.runs[0]!.evaluation;
    const series = json.runs[0]!.series;
    // Independently: tick k at 50·k ms (after the startup command) compares with recorded command k.
    const ticks = series.tS.map((t, i) => ({ k: Math.round(t * 20), i })).filter(({ i }) => series.reason[i] !== 'startup');
    expect(ticks.map((t) => t.k)).toEqual(Array.from({ length: FRAMES }, (_, k) => k));
    for (const [name, recordedAt] of [['steering_angle', steer], ['speed', speed]] as const) {
      const field = fields.find((f) => f.name === name)!;
      const recorded = ticks.map(({ k }) => recordedAt(k));
      const predicted = ticks.map(({ i }) => series.predicted[name]![i]!);
      const mean = TRAIN_MEAN[name];
      expect(field.n).toBe(FRAMES);
      expect(field.mae).toBeCloseTo(predicted.reduce((a, p, j) => a + Math.abs(p - recorded[j]!), 0) / FRAMES, 6);
      expect(field.baselines.zero.mae).toBeCloseTo(recorded.reduce((a, r) => a + Math.abs(r), 0) / FRAMES, 6);
      expect(field.baselines.constant_mean!.value).toBe(mean);
      expect(field.baselines.constant_mean!.mae).toBeCloseTo(recorded.reduce((a, r) => a + Math.abs(r - mean), 0) / FRAMES, 6);
      expect(field.corr).not.toBeNull();
      expect(field.corr!).toBeCloseTo(correlation(predicted, recorded), 5);
    }
    const text = formatReplaySummary(result);
    expect(text).toMatch(/against baselines over the same ticks, constant = the training mean stored in the model \(1234 frames\):/);
    expect(text).toMatch(/^ {4}steering_angle: model MAE \d\.\d{4} \(corr -?\d\.\d{2}\) \| constant 0\.0500 → MAE \d\.\d{4} \| zero MAE \d\.\d{4} \| \d+ % (below|WORSE)/m);
    expect(text).not.toMatch(/not meaningful/i);
  });

  it('says so when the model stores no training mean: no constant_mean in JSON', async () => {
    const result = await replay(await bag());
    expect(result.runs[0]!.baselines).toBeNull();
    const json = JSON.parse(JSON.stringify(replayJson(result))) as { runs: { evaluation: { fields: JsonField[] } }[] };
    for (const f of json.runs[0]!.evaluation.fields) {
      expect(f.baselines).not.toHaveProperty('constant_mean');
      expect(f.baselines.zero.mae).toBeGreaterThan(0);
    }
    const text = formatReplaySummary(result);
    expect(text).toMatch(/against baselines over the same ticks, no constant-mean baseline: the model stores no training means \(pilot\.baselines\):/);
    expect(text).toMatch(/steering_angle: model MAE .* \| constant: no training mean in the model \| zero MAE/);
  });
});

describe('replay of frames at another size than the calibration', () => {
  it('accepts a 160×120 stream with the 320×240 calibration: notice, scaled intrinsics, counted', async () => {
    const lines: string[] = [];
    const result = await replay(await bag({ frameSize: () => ({ width: 160, height: 120 }) }), {}, (l) => lines.push(l));
    const run = result.runs[0]!;
    expect(run.input).toMatchObject({ cameraFrames: FRAMES, framesAccepted: FRAMES, fraction: 1, rejections: [], sufficient: true });
    expect(run.runtime.framesScaledIntrinsics).toBe(FRAMES);
    expect(lines.filter((l) => /intrinsics scaled/.test(l))).toEqual(['pilot: camera frames are 160×120, calibration/camera.yaml is 320×240: intrinsics scaled by 0.5']);
    expect(result.notes).toContain('model: camera frames are 160×120, calibration/camera.yaml is 320×240: intrinsics scaled by 0.5');
    expect(run.predictions.reasons.slice(1).every((r) => r === 'ok')).toBe(true);
    expect(formatReplaySummary(result)).toMatch(/camera +the model saw 40 of 40 camera frames \(100\.0 %\); 0 rejected; 40 sampled with scaled intrinsics/);
  });

  it('counts 2:1 frames as rejected with the reason and marks the error as not meaningful', async () => {
    // 5 of 40 frames are 2:1: 87.5 % seen, below 90 %.
    const result = await replay(await bag({ frameSize: (i) => (i % 8 === 3 ? { width: 160, height: 80 } : { width: 320, height: 240 }) }));
    const run = result.runs[0]!;
    expect(run.input).toMatchObject({ cameraFrames: 40, framesAccepted: 35, fraction: 35 / 40, sufficient: false });
    expect(run.input.rejections).toEqual([{ reason: expect.stringMatching(/^image 160x80 but calibration says 320x240 .*aspect ratio 2\.000 vs 1\.333/), count: 5 }]);
    const text = formatReplaySummary(result);
    expect(text).toMatch(/NOT MEANINGFUL: the model saw 35 of 40 camera frames \(87\.5 %\), fewer than 90 %.*Rejected: 5 × image 160x80 but calibration says 320x240/);
    expect(text).toMatch(/field +n +MAE \(not meaningful\) +RMSE/);
  });

  it("uses the bag's camera_info for a size the calibration cannot be scaled to", async () => {
    const k = [80, 0, 80, 0, 80, 40, 0, 0, 1];
    const cameraInfo = makeCameraInfo({
      width: 160,
      height: 80,
      distortion_model: 'plumb_bob',
      d: new Float64Array(5),
      k: Float64Array.from(k),
      r: Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]),
      p: Float64Array.from([80, 0, 80, 0, 0, 80, 40, 0, 0, 0, 1, 0]),
    });
    const result = await replay(await bag({ frameSize: () => ({ width: 160, height: 80 }), cameraInfo }));
    const run = result.runs[0]!;
    expect(run.input).toMatchObject({ framesAccepted: FRAMES, sufficient: true });
    expect(run.runtime.framesCameraInfoGeometry).toBe(FRAMES);
    expect(result.topics.find((t) => t.role === 'camera_info')).toMatchObject({ topic: '/camera/camera_info', messages: FRAMES });
    expect(result.notes.join('\n')).toMatch(/using the geometry from camera_info on \/camera\/camera_info/);
  });
});

/**
 * The open-loop gate against the constant-mean baseline: the gate key, the pure checks, and
 * `runEvaluation` end to end with a constant model (and an echoing one) on small synthetic bags.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBagWriter } from '../../../src/data/bags/node-io.js';
import { formatRecord } from '../../../src/cli/eval-command.js';
import { BASELINES_METADATA_KEY, compareWithBaselines, type TrainingBaselines } from '../../../src/data/replay/baselines.js';
import { DEFAULT_DRIVING_GATE, minImprovementOverConstant, parseGate, type EvalGate } from '../../../src/runtime/policy/eval-gate.js';
import { baselineCheck, baselineChecks, BASELINES_DETAILS_KEY, poolEvaluatedTicks, recordComparisons, runEvaluation, type PooledSeries } from '../../../src/learning/eval/run-eval.js';
import { buildPilotNet } from '../../../src/learning/export/pilotnet.js';
import { onnx } from '../../../src/core/onnx/onnx-proto.js';
import { withMetadata } from '../../../src/learning/finetune/onnx-metadata.js';
import { runReplay, type ReplayRun } from '../../../src/data/replay/replay-session.js';
import { RELIABLE_QOS } from '../../../src/transport/transport.js';
import { ackermann, frame, MS, openMemoryBag, replayConfig, T0, writeDriveBag } from '../../data/replay/helpers.js';

const gate = (min?: number): EvalGate => ({
  ...DEFAULT_DRIVING_GATE,
  open_loop: { max_mae: { steering_angle: 0.08 }, ...(min === undefined ? {} : { min_improvement_over_constant: min }) },
});

describe('gate key open_loop.min_improvement_over_constant', () => {
  it('the default driving gate sets 0.2; a gate written before the key existed still parses and gets 0.2', () => {
    expect(DEFAULT_DRIVING_GATE.open_loop.min_improvement_over_constant).toBe(0.2);
    const old = parseGate(JSON.stringify(gate()), 'old.onnx')!;
    expect(old.open_loop.min_improvement_over_constant).toBeUndefined();
    expect(minImprovementOverConstant(old)).toBe(0.2);
    expect(minImprovementOverConstant(gate(0.35))).toBe(0.35);
  });

  it('rejects a margin outside [0, 1), naming the model and the key', () => {
    for (const bad of [-0.1, 1, 1.5]) {
      expect(() => parseGate(JSON.stringify(gate(bad)), 'm.onnx')).toThrow(/E_GATE: m\.onnx: metadata pilot\.gate: open_loop\.min_improvement_over_constant: /);
    }
    expect(parseGate(JSON.stringify(gate(0)), 'm.onnx')!.open_loop.min_improvement_over_constant).toBe(0);
  });
});

describe('baselineChecks', () => {
  // Recorded steering varies around 0.1 rad: ±0.2 in a square wave.
  const recorded = Array.from({ length: 40 }, (_, i) => 0.1 + (i % 2 === 0 ? 0.2 : -0.2));

  it('a constant model predicting the training mean fails: its MAE is 100 % of the baseline', () => {
    const c = compareWithBaselines('steering_angle', recorded.map(() => 0.1), recorded, 0.1);
    const [check, ...rest] = baselineChecks(gate(), [c], { steering_angle: 'rad' });
    expect(rest).toEqual([]);
    expect(check).toEqual({
      section: 'open_loop',
      label: 'steering_angle MAE vs constant-mean baseline (0.1000 rad): must be ≤ 80 %',
      actual: expect.closeTo(100, 9),
      limit: 80,
      op: '<=',
      unit: '%',
      pass: false,
    });
  });

  it('a model that beats the constant by more than the margin passes; by less it fails', () => {
    // Errors of 0.05 against the constant's 0.2: 25 % of the baseline.
    const good = compareWithBaselines('steering_angle', recorded.map((r, i) => r + (i % 3 === 0 ? 0.05 : -0.05)), recorded, 0.1);
    const pass = baselineChecks(gate(), [good], { steering_angle: 'rad' })[0]!;
    expect(pass.pass).toBe(true);
    expect(pass.actual).toBeCloseTo(25, 9);
    // Errors of 0.18: 90 % of the baseline, not 20 % below it.
    const close = compareWithBaselines('steering_angle', recorded.map((r) => r + 0.18), recorded, 0.1);
    const fail = baselineChecks(gate(), [close], { steering_angle: 'rad' })[0]!;
    expect(fail.actual).toBeCloseTo(90, 9);
    expect(fail.pass).toBe(false);
    // …which a gate asking for 5 % lets through.
    const lenient = baselineChecks(gate(0.05), [close], { steering_angle: 'rad' })[0]!;
    expect(lenient.label).toBe('steering_angle MAE vs constant-mean baseline (0.1000 rad): must be ≤ 95 %');
    expect(lenient.pass).toBe(true);
  });

  it('a model without stored training means is held to the zero baseline, and the label says so', () => {
    const c = compareWithBaselines('steering_angle', recorded.map(() => 0.1), recorded, undefined);
    const check = baselineChecks(gate(), [c], { steering_angle: 'rad' })[0]!;
    expect(check.label).toBe('steering_angle MAE vs zero baseline (the model stores no training mean): must be ≤ 80 %');
    // |0.3| and |−0.1| average 0.2 from zero; the model's error is 0.2 too.
    expect(check.actual).toBeCloseTo(100, 9);
    expect(check.pass).toBe(false);
  });

  it('one check per field of max_mae, only those; a field that was not measured fails', () => {
    const twoFields: EvalGate = { ...DEFAULT_DRIVING_GATE, open_loop: { max_mae: { steering_angle: 0.08, speed: 0.5 } } };
    const steering = compareWithBaselines('steering_angle', recorded.map(() => 0.1), recorded, 0.1);
    const throttle = compareWithBaselines('throttle', [0], [1], 0.5);
    const checks = baselineChecks(twoFields, [steering, throttle]);
    expect(checks.map((c) => c.label)).toEqual([
      'steering_angle MAE vs constant-mean baseline (0.1000): must be ≤ 80 %',
      'speed MAE vs zero baseline (the model stores no training mean): must be ≤ 80 %',
    ]);
    expect(checks[1]).toMatchObject({ actual: null, pass: false });
    const empty = baselineCheck(compareWithBaselines('speed', [], [], 1.2), 0.2, 'm/s');
    expect(empty).toMatchObject({ label: 'speed MAE vs constant-mean baseline (1.2000 m/s): must be ≤ 80 %', actual: null, pass: false });
  });

  it('recorded commands that all equal the baseline: only an exact model passes', () => {
    const flat = [0.1, 0.1, 0.1];
    expect(baselineCheck(compareWithBaselines('steering_angle', flat, flat, 0.1), 0.2, 'rad')).toMatchObject({ actual: 0, pass: true });
    expect(baselineCheck(compareWithBaselines('steering_angle', [0.2, 0.1, 0.1], flat, 0.1), 0.2, 'rad')).toMatchObject({ actual: null, pass: false });
  });
});

describe('poolEvaluatedTicks', () => {
  it('keeps the ticks with a recorded command in force, per field, across runs', () => {
    const run = (values: number[][], recorded: number[][]): ReplayRun =>
      ({
        predictions: { names: ['steering_angle', 'speed'], units: ['rad', 'm/s'], tMs: [0, 50, 100], values, reasons: ['ok', 'ok', 'ok'] },
        evaluation: { names: ['steering_angle', 'speed'], units: ['rad', 'm/s'], recorded },
      }) as unknown as ReplayRun;
    const pooled = new Map<string, PooledSeries>();
    poolEvaluatedTicks(pooled, run([[1, 2, 3], [4, 5, 6]], [[NaN, 0.2, 0.3], [NaN, 0.5, 0.6]]));
    poolEvaluatedTicks(pooled, run([[7, 8, 9], [1, 1, 1]], [[0.7, NaN, NaN], [0.1, NaN, NaN]]));
    poolEvaluatedTicks(pooled, { evaluation: null } as unknown as ReplayRun);
    expect(pooled.get('steering_angle')).toEqual({ unit: 'rad', predicted: [2, 3, 7], recorded: [0.2, 0.3, 0.7] });
    expect(pooled.get('speed')).toEqual({ unit: 'm/s', predicted: [5, 6, 1], recorded: [0.5, 0.6, 0.1] });
  });
});

// ---- end to end: runEvaluation's open loop through the real runtime ----

const STEERING_SCALE_RAD = 0.5; // buildPilotNet's default tanh head: steering ±0.5 rad
const SPEED_HALF_MPS = 2.5; // speed = tanh · 2.5 + 2.5

/** The tiny PilotNet with its head's weights zeroed: it outputs tanh(bias) whatever the image. */
function constantModel(dir: string, steeringRad: number, speedMps: number, baselines?: TrainingBaselines): string {
  const model = onnx.ModelProto.decode(buildPilotNet({ variant: 'tiny', seed: 3 }).bytes);
  const float32 = (values: number[]): Uint8Array => new Uint8Array(new Float32Array(values).buffer);
  for (const t of model.graph!.initializer!) {
    if (t.name === 'head.weight') t.rawData = new Uint8Array(t.rawData!.length);
    if (t.name === 'head.bias') t.rawData = float32([Math.atanh(steeringRad / STEERING_SCALE_RAD), Math.atanh((speedMps - SPEED_HALF_MPS) / SPEED_HALF_MPS)]);
  }
  return writeModel(dir, 'constant.onnx', onnx.ModelProto.encode(model).finish(), baselines);
}

function writeModel(dir: string, name: string, bytes: Uint8Array, baselines?: TrainingBaselines): string {
  const path = join(dir, name);
  writeFileSync(path, baselines ? withMetadata(bytes, { [BASELINES_METADATA_KEY]: JSON.stringify(baselines) }) : bytes);
  return path;
}

interface RecordedCommand {
  readonly tMs: number;
  readonly steeringRad: number;
  readonly speedMps: number;
}

/** A camera bag on disk (frames at 20 Hz from T0, as test/data/replay's) with recorded Ackermann commands. */
async function writeBag(dir: string, seconds: number, commands: readonly RecordedCommand[], size?: { width: number; height: number }): Promise<string> {
  const writer = await createBagWriter(dir, { compression: 'none' });
  writer.addTopic('/camera/image_raw', 'sensor_msgs/msg/Image');
  writer.addTopic('/cmd/ackermann', 'ackermann_msgs/msg/AckermannDriveStamped', { qos: RELIABLE_QOS });
  const events: { t: bigint; write: () => Promise<boolean> }[] = [];
  for (let i = 0; i < seconds * 20; i++) events.push({ t: T0 + BigInt(i) * 50n * MS, write: () => writer.writeMessage('/camera/image_raw', size ? frame(i, size.width, size.height) : frame(i), T0 + BigInt(i) * 50n * MS) });
  for (const c of commands) {
    const t = T0 + BigInt(Math.round(c.tMs * 1e6));
    events.push({ t, write: () => writer.writeMessage('/cmd/ackermann', ackermann(t, c.steeringRad, c.speedMps), t) });
  }
  events.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
  for (const e of events) await e.write();
  await writer.close();
  return dir;
}

/** Recorded steering swinging ±0.1 rad around 0.1 rad, once a second (MAE from its mean ≈ 0.064 rad). */
const varyingCommands = (seconds: number): RecordedCommand[] =>
  Array.from({ length: seconds * 20 }, (_, i) => ({ tMs: i * 50, steeringRad: 0.1 + 0.1 * Math.sin((2 * Math.PI * i) / 20), speedMps: 1 }));

describe('runEvaluation: open loop against the constant-mean baseline', () => {
  const config = replayConfig({ model: { path: 'unused.onnx', warmup_runs: 0 } });
  const openLoop = (modelPath: string, bags: string[], g: EvalGate = gate(0.2)) => runEvaluation({ modelPath, config, gate: g, bags, sections: ['open_loop'] });

  it('fails a bag whose frames the model could not see (another aspect ratio), however small its MAE', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pilot-eval-coverage-'));
    const model = constantModel(dir, 0.1, 1, { version: 1, train_frames: 100, constant_mean: { steering_angle: 0.5, speed: 1 } });
    // 2:1 frames against the 4:3 calibration: every frame is rejected and the runtime holds stop (0 rad),
    // which is close to these recorded commands and far from the stored mean: without the coverage check it would pass.
    const commands = Array.from({ length: 40 }, (_, i) => ({ tMs: i * 50, steeringRad: 0.01 * Math.sin(i), speedMps: 0 }));
    const bag = await writeBag(join(dir, 'wide'), 2, commands, { width: 320, height: 160 });
    const record = await openLoop(model, [bag]);
    const coverage = record.checks.find((c) => c.label.startsWith('camera frames the model saw on'))!;
    expect(coverage.label).toContain('(0 of 40)');
    expect(coverage.actual).toBe(0);
    expect(coverage.pass).toBe(false);
    expect(record.checks.find((c) => c.label.startsWith('steering_angle MAE vs'))!.pass).toBe(true);
    expect(record.passed).toBe(false);
  });

  it('fails a constant model on bags whose commands vary, with model, corr and both baselines in the details', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pilot-eval-baseline-'));
    const model = constantModel(dir, 0.1, 1, { version: 1, train_frames: 100, constant_mean: { steering_angle: 0.1, speed: 1 } });
    const bags = [await writeBag(join(dir, 'a'), 2, varyingCommands(2)), await writeBag(join(dir, 'b'), 1, varyingCommands(1))];
    const record = await openLoop(model, bags);

    const check = record.checks.find((c) => c.label.startsWith('steering_angle MAE vs'))!;
    expect(check.label).toBe('steering_angle MAE vs constant-mean baseline (0.1000 rad): must be ≤ 80 %');
    expect(check.pass).toBe(false);
    expect(check.actual).toBeCloseTo(100, 0);
    // The absolute bar (0.08 rad) alone would let this model through: the baseline check is what stops it.
    expect(record.checks.find((c) => c.label === 'steering_angle MAE on 2 held-out bag(s)')!.pass).toBe(true);
    // Absolute bar, baseline check, and one input-coverage check per bag (the model saw every frame).
    expect(record.checks).toHaveLength(4);
    const coverage = record.checks.filter((c) => c.label.startsWith('camera frames the model saw on'));
    expect(coverage.map((c) => [c.pass, c.actual])).toEqual([[true, 100], [true, 100]]);
    expect(record.passed).toBe(false);

    const steering = recordComparisons(record).find((c) => c.name === 'steering_angle')!;
    expect(steering.corr).toBeNull();
    expect(steering.baselines.constant_mean!.value).toBe(0.1);
    expect(steering.mae).toBeCloseTo(steering.baselines.constant_mean!.mae, 6);
    expect(steering.baselines.zero.mae).toBeGreaterThan(0.09);
    expect(recordComparisons(record).map((c) => c.name).sort()).toEqual(['speed', 'steering_angle']);
    // Pooled over both bags: the per-bag ticks add up.
    const perBag = record.details['open_loop'] as { fields: { name: string; n: number }[] }[];
    expect(steering.n).toBe(perBag.reduce((n, b) => n + b.fields.find((f) => f.name === 'steering_angle')!.n, 0));
    expect(formatRecord(record)).toMatch(/open loop against the baselines[^\n]*\n {4}steering_angle: model MAE 0\.\d{4} \(corr —\) \| constant 0\.1000 → MAE/);
  }, 20_000);

  it('without stored baselines a constant model is held to the zero baseline', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pilot-eval-baseline-'));
    // It predicts 0: the zero baseline itself.
    const model = constantModel(dir, 0, 1);
    const record = await openLoop(model, [await writeBag(join(dir, 'a'), 1, varyingCommands(1))]);
    const check = record.checks.find((c) => c.label.startsWith('steering_angle MAE vs'))!;
    expect(check.label).toBe('steering_angle MAE vs zero baseline (the model stores no training mean): must be ≤ 80 %');
    expect(check.pass).toBe(false);
    expect(check.actual).toBeCloseTo(100, 0);
    expect(recordComparisons(record).find((c) => c.name === 'steering_angle')!.baselines.constant_mean).toBeUndefined();
    expect(record.details[BASELINES_DETAILS_KEY]).toBeDefined();
  }, 20_000);

  it('passes a model that follows the recorded commands (they are its own earlier predictions)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pilot-eval-baseline-'));
    const plain = buildPilotNet({ variant: 'tiny', seed: 5 }).bytes;
    // First pass, without recorded commands: what the untrained network predicts on these frames, on which ticks.
    const probeModel = writeModel(dir, 'probe.onnx', plain);
    const reader = await openMemoryBag(await writeDriveBag({ seconds: 2 }));
    const replay = await runReplay({ reader, models: [{ label: 'probe', config: { ...config, model: { ...config.model, path: probeModel } } }] });
    await reader.close();
    const p = replay.runs[0]!.predictions;
    expect(p.tMs.length).toBeGreaterThan(20);
    const commands = p.tMs.map((tMs, i) => ({ tMs, steeringRad: p.values[0]![i]!, speedMps: p.values[1]![i]! }));
    const steeringMean = commands.reduce((s, c) => s + c.steeringRad, 0) / commands.length;
    const speedMean = commands.reduce((s, c) => s + c.speedMps, 0) / commands.length;
    const model = writeModel(dir, 'echo.onnx', plain, { version: 1, train_frames: commands.length, constant_mean: { steering_angle: steeringMean, speed: speedMean } });

    const record = await openLoop(model, [await writeBag(join(dir, 'echo'), 2, commands)]);
    const check = record.checks.find((c) => c.label.startsWith('steering_angle MAE vs'))!;
    expect(check.label).toBe(`steering_angle MAE vs constant-mean baseline (${steeringMean.toFixed(4)} rad): must be ≤ 80 %`);
    expect(check.actual).toBeLessThan(1);
    expect(check.pass).toBe(true);
    expect(record.checks.every((c) => c.pass)).toBe(true);
    const steering = recordComparisons(record).find((c) => c.name === 'steering_angle')!;
    expect(steering.corr).toBeGreaterThan(0.99);
  }, 30_000);
});

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { BASELINES_METADATA_KEY } from '../../src/data/replay/baselines.js';
import { readOnnxInfo } from '../../src/core/onnx/onnx-read.js';
import { demoBag, tinyBackbone, tmp } from '../learning/finetune/helpers.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  return { out, err };
}

afterEach(() => vi.restoreAllMocks());

describe('pilot train (vehicle)', () => {
  it('without --base trains from scratch and prints validation and held-out comparisons', async () => {
    const dir = tmp('pilot-train-cli-');
    const bag = await demoBag(join(dir, 'drive'), { frames: 100 });
    const out = join(dir, 'policy.onnx');
    const { out: stdout, err } = capture();
    const code = await main(['train', '--data', bag, '--out', out, '--holdout', '0.2', '--gap-frames', '3', '--epochs', '1', '--no-augment']);
    expect(code, err.join('\n')).toBe(0);
    const text = stdout.join('\n');
    expect(text).toMatch(/^policy: .*policy\.onnx \(sha256 [0-9a-f]{12}…\)/m);
    expect(text).toMatch(/^ {2}validation steering_angle: model MAE [\d.]+ \(corr [^)]*\) \| constant -?[\d.]+ → MAE [\d.]+ \| zero MAE [\d.]+ \| /m);
    expect(text).toMatch(/^ {2}held out {3}steering_angle: model MAE [\d.]+ /m);
    expect(text).toMatch(/^ {2}held out {3}speed: model MAE [\d.]+ /m);
    expect(text).toMatch(/^next: pilot eval --model /m);
    expect(err.join('\n')).toMatch(/train: network input 96×50, from 64×48 frames of .*drive/);
    expect(readOnnxInfo(readFileSync(out), out).metadata[BASELINES_METADATA_KEY]).toBeDefined();
  }, 60_000);

  it('refuses --input-size with a file base (exit 1) and bad new flags with usage (exit 2), writing nothing', async () => {
    const dir = tmp('pilot-train-cli-');
    const bag = await demoBag(join(dir, 'drive'), { frames: 10 });
    const base = await tinyBackbone(join(dir, 'backbone.onnx'));
    const out = join(dir, 'policy.onnx');
    const { err } = capture();
    expect(await main(['train', '--data', bag, '--base', base, '--input-size', '96x48', '--out', out])).toBe(1);
    expect(err.join('\n')).toMatch(/E_TRAIN_OPTIONS: --input-size and --crop shape a fresh network: they need --base scratch/);
    expect(await main(['train', '--data', bag, '--loss', 'mae', '--out', out])).toBe(2);
    expect(err.join('\n')).toMatch(/--loss must be l1, huber or mse, got 'mae'/);
    expect(await main(['train', '--data', bag, '--holdout', '0.9', '--out', out])).toBe(2);
    expect(err.join('\n')).toMatch(/--holdout must be a number in \[0, 0\.8\], got '0\.9'/);
    expect(await main(['train', '--data', bag, '--crop', '0.3,0', '--out', out])).toBe(2);
    expect(err.join('\n')).toMatch(/--crop must be four fractions top,bottom,left,right/);
    expect(await main(['train', '--data', bag, '--input-size', '96', '--out', out])).toBe(2);
    expect(err.join('\n')).toMatch(/--input-size must be WIDTHxHEIGHT/);
    expect(await main(['train', '--data', bag, '--balance', '--no-balance', '--out', out])).toBe(2);
    expect(existsSync(out)).toBe(false);
  }, 30_000);

  it('--chunk-steps trains a chunked policy: model inspect shows the chunk, the card states it', async () => {
    const dir = tmp('pilot-train-cli-');
    const bags = [await demoBag(join(dir, 'a'), { frames: 40, seed: 1 }), await demoBag(join(dir, 'b'), { frames: 40, seed: 2 })];
    const base = await tinyBackbone(join(dir, 'backbone.onnx'));
    const out = join(dir, 'chunked.onnx');
    const { out: stdout, err } = capture();
    const code = await main(['train', '--data', bags.join(','), '--base', base, '--mode', 'head', '--out', out, '--epochs', '1', '--gap-frames', '2', '--chunk-steps', '3', '--chunk-step-ms', '50']);
    expect(code, err.join('\n')).toBe(0);
    // The last three frames of each bag: 100 ms later is past the last command (sent 1 ms before the last frame).
    expect(err.join('\n')).toMatch(/total: 74 frames from 2 bag\(s\); skipped: chunk_past_end 6/);
    expect(stdout.join('\n')).toMatch(/^ {2}validation steering_angle: model MAE /m);
    stdout.length = 0;
    expect(await main(['model', 'inspect', out])).toBe(0);
    expect(stdout.join('\n')).toMatch(/action\s+\[1×3×2\] float32\n\s+chunk: 3 actions × 50 ms = 150 ms horizon/);
    const card = readFileSync(out.replace(/\.onnx$/, '.md'), 'utf8');
    expect(card).toMatch(/- Output: action chunks of 3 actions × 50 ms \(150 ms horizon\), shape \[1, 3, 2\]/);
    expect(card).toMatch(/lateral-shift steering correction is added to every step/);
    expect(card).toMatch(/\| validation MAE steering_angle\+100ms \(rad\) \| [\d.]+ \|/);
  }, 60_000);

  it('refuses --chunk-step-ms and --dagger-inference-delay-ms without --chunk-steps, and chunks for an arm', async () => {
    const dir = tmp('pilot-train-cli-');
    const bag = await demoBag(join(dir, 'drive'), { frames: 10 });
    const out = join(dir, 'policy.onnx');
    const { err } = capture();
    expect(await main(['train', '--data', bag, '--chunk-step-ms', '50', '--out', out])).toBe(2);
    expect(err.join('\n')).toMatch(/--chunk-step-ms goes with --chunk-steps <n>/);
    expect(await main(['train', '--data', bag, '--chunk-steps', '4', '--dagger-inference-delay-ms', '150', '--out', out])).toBe(2);
    expect(err.join('\n')).toMatch(/--dagger-inference-delay-ms goes with --dagger <n>/);
    expect(await main(['train', '--data', bag, '--chunk-steps', '0', '--out', out])).toBe(2);
    expect(err.join('\n')).toMatch(/--chunk-steps must be an integer in \[1, 1000\], got '0'/);
    expect(await main(['train', '--profile', 'arm', '--base', 'scratch', '--data', bag, '--chunk-steps', '4', '--out', out])).toBe(2);
    expect(err.join('\n')).toMatch(/--chunk-steps is not available with --profile arm/);
    expect(existsSync(out)).toBe(false);
  }, 30_000);
});

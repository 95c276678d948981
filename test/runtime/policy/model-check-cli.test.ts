/** `pilot run` refuses a model with NaN weights (exit 1, E_MODEL_NONFINITE) unless --allow-nonfinite. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { onnx } from '../../../src/core/onnx/onnx-proto.js';

afterEach(() => vi.restoreAllMocks());

function captureErr(): string[] {
  const err: string[] = [];
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  vi.spyOn(console, 'warn').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  return err;
}

const dir = mkdtempSync(join(tmpdir(), 'pilot-nonfinite-cli-'));

/** models/pilotnet-test.onnx with its steering bias NaN, and a config for it. */
function nanModelConfig(): { config: string; model: string } {
  const model = onnx.ModelProto.decode(readFileSync('models/pilotnet-test.onnx'));
  const bias = model.graph!.initializer!.find((t) => t.name === 'head.bias')!;
  const floats = new Float32Array(Uint8Array.from(bias.rawData!).buffer);
  floats[0] = Number.NaN;
  bias.rawData = new Uint8Array(floats.buffer);
  const path = join(dir, 'nan.onnx');
  writeFileSync(path, onnx.ModelProto.encode(model).finish());
  const config = join(dir, 'pilot.yaml');
  // Relative paths resolve against the working directory: the calibration is the project's.
  writeFileSync(config, ['model:', `  path: ${path}`, '  warmup_runs: 1', 'transport:', '  kind: inprocess', 'loop:', '  rate_hz: 50', ''].join('\n'));
  return { config, model: path };
}

describe('--allow-nonfinite', () => {
  const { config, model } = nanModelConfig();

  it('pilot run refuses the model, naming it, the output element and the way to load it anyway', async () => {
    const err = captureErr();
    expect(await main(['run', '--config', config, '--duration', '0.1'])).toBe(1);
    const text = err.join('\n');
    expect(text).toContain(`pilot: E_MODEL_NONFINITE: ${model}: output 'action' is not finite on a neutral input (mid-grey camera, zero state) on cpu: 1 of 2 elements: [0] steering_angle = NaN.`);
    expect(text).toMatch(/pass --allow-nonfinite \(pilot run, pilot drive\)$/m);
  });

  it('pilot run --allow-nonfinite loads it with a warning and runs (the safety layer publishes only stops)', async () => {
    const err = captureErr();
    expect(await main(['run', '--config', config, '--duration', '0.1', '--allow-nonfinite'])).toBe(0);
    const text = err.join('\n');
    expect(text).toMatch(/pilot: WARNING: .*nan\.onnx: output 'action' is not finite .*loaded anyway \(model\.allow_nonfinite\)/);
    expect(text).toMatch(/pilot: stopped after \d+ ticks/);
  });

  it('pilot drive refuses it together with --expert (usage, exit 2)', async () => {
    const err = captureErr();
    expect(await main(['drive', '--expert', '--allow-nonfinite'])).toBe(2);
    expect(err.join('\n')).toMatch(/--allow-nonfinite applies to a model \(--model or --config\); the expert has none/);
  });
});

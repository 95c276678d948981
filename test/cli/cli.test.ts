import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { capture } from '../helpers/capture-console.js';


afterEach(() => vi.restoreAllMocks());

describe('pilot CLI', () => {
  it('model inspect prints the contract of the bundled model', async () => {
    const { out } = capture();
    expect(await main(['model', 'inspect', 'models/pilotnet-test.onnx'])).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/model id\s+pilotnet-test\s+profile vehicle/);
    expect(text).toMatch(/image\s+camera \[1×3×66×200\] float32 NCHW rgb/);
    expect(text).toMatch(/steering_angle \[rad\]/);
    expect(text).toMatch(/parameters\s+252,230/);
  });

  it('model inspect --json is machine readable', async () => {
    const { out } = capture();
    expect(await main(['model', 'inspect', 'models/pilotnet-test.onnx', '--json'])).toBe(0);
    const json = JSON.parse(out.join('\n'));
    expect(json.contract.outputs[0].fields.map((f: { name: string }) => f.name)).toEqual(['steering_angle', 'speed']);
  });

  it('names a missing or non-ONNX model file', async () => {
    const { err } = capture();
    expect(await main(['model', 'inspect', 'models/missing.onnx'])).toBe(1);
    expect(err.join('\n')).toMatch(/E_MODEL_FILE: cannot read model models\/missing.onnx: ENOENT/);
    expect(await main(['model', 'inspect', 'README.md'])).toBe(1);
    expect(err.join('\n')).toMatch(/E_MODEL_FORMAT: README.md/);
  });

  it('rejects unknown commands, flags and execution providers with usage (exit 2)', async () => {
    const { err } = capture();
    expect(await main(['fly'])).toBe(2);
    expect(err.join('\n')).toMatch(/unknown command 'fly'/);
    expect(await main(['bench', '--ep', 'tpu'])).toBe(2);
    expect(err.join('\n')).toMatch(/unknown execution provider 'tpu' \(known: tensorrt, cuda, webgpu, cpu\)/);
    expect(await main(['bench', '--tick', '5'])).toBe(2);
    expect(await main(['run'])).toBe(2);
    expect(err.join('\n')).toMatch(/run needs --config/);
  });

  it('run reports a bad config with the key and exits 1', async () => {
    const { err } = capture();
    expect(await main(['run', '--config', 'calibration/vehicle.yaml'])).toBe(1);
    expect(err.join('\n')).toMatch(/E_CONFIG: calibration\/vehicle.yaml: /);
  });

  it('run drives the loop from a config until --duration, starting and ending with stop commands', async () => {
    const { out, err } = capture();
    const dir = mkdtempSync(join(tmpdir(), 'pilot-run-'));
    const config = join(dir, 'pilot.yaml');
    writeFileSync(
      config,
      ['model:', '  path: models/pilotnet-test.onnx', '  warmup_runs: 1', 'transport:', '  kind: inprocess', 'loop:', '  rate_hz: 50', ''].join('\n'),
    );
    expect(await main(['run', '--config', config, '--duration', '0.3'])).toBe(0);
    expect(err.join('\n')).toMatch(/pilot: model pilotnet-test on cpu, 50 Hz timer loop, camera \/camera\/image_raw → \/cmd\/ackermann/);
    // No camera publisher: every tick is a stale-input stop. The summary is the result: stdout.
    expect(out.join('\n')).toMatch(/pilot: stopped after \d+ ticks, 0 deadline misses, safety: startup 1, stale_input \d+, shutdown 1/);
  });

  it('bench runs the real loop over ZeroMQ and reports latency, misses and heap growth', async () => {
    const { out } = capture();
    expect(await main(['bench', '--ticks', '100', '--rate-hz', '100', '--json', '--baseline'])).toBe(0);
    const { loop } = JSON.parse(out.join('\n'));
    expect(loop.provider).toBe('cpu');
    expect(loop.transport).toBe('zeromq');
    expect(loop.ticks).toBeGreaterThanOrEqual(100);
    expect(loop.commandsReceived).toBeGreaterThan(0);
    expect(loop.tickLatencyMs.p50).toBeGreaterThan(0);
    expect(loop.safetyReasons.ok).toBeGreaterThan(0);
    expect(Number.isFinite(loop.heapGrowthBytesPerTick)).toBe(true);
    expect(loop.baselineInferenceMs.runs).toBe(100);
    expect(loop.baselineInferenceMs.p50).toBeGreaterThan(0);
  });
});

import { resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { benchChunking, formatChunkingBench } from '../../../src/runtime/bench/chunking-bench.js';
import { main } from '../../../src/cli/main.js';

afterEach(() => vi.restoreAllMocks());

describe('bench --chunked: chunked loop vs plain loop with the same slow model', () => {
  it('runs both over the same control periods and reports the queue; the plain loop never gets a policy action through', async () => {
    // 50 Hz, inference +60 ms (3 periods) on purpose, 60 periods each. Counts only, no timing bars:
    // a busy machine may add misses to either loop, but a 60 ms inference can never meet a 16 ms deadline.
    const r = await benchChunking({
      modelPath: resolve('models/chunked-test.onnx'),
      providers: ['cpu'],
      ticks: 60,
      rateHz: 50,
      cameraHz: 30,
      transport: 'inprocess',
      projectDir: process.cwd(),
      calibrationDir: resolve('calibration'),
      reference: false,
    });
    expect(r.inferenceDelayMs).toBe(60);
    expect(r.reference).toBeUndefined();
    for (const run of [r.chunked, r.plain]) expect(run.periods).toBeGreaterThanOrEqual(60);
    const q = r.chunked.chunks!;
    expect(q.inferences).toBeGreaterThan(0);
    expect(q.chunksQueued).toBeGreaterThan(0);
    expect(r.chunked.policyTicks).toBeGreaterThan(0);
    // The delay is a Node timer: libuv measures it from its cached loop time (whole ms), so a 60 ms
    // delay can read 59.x ms on performance.now().
    expect(q.inferenceMs.p50).toBeGreaterThanOrEqual(59);
    expect(r.plain.chunks).toBeUndefined();
    expect(r.plain.policyTicks).toBe(0);
    expect(r.plain.deadlineMisses).toBeGreaterThan(0);
    expect(r.plain.policyRunMs!.p50).toBeGreaterThanOrEqual(59);
    const text = formatChunkingBench(r);
    expect(text).toMatch(/inference \+60 ms on purpose, 60 control periods each/);
    expect(text).toMatch(/load average [\d.]+ [\d.]+ [\d.]+ before/);
    expect(text).toMatch(/empty-queue fallbacks\s+\d+/);
  }, 60_000);

  it('--remote: the same comparison with the slow policy in pilot serve (another process)', async () => {
    const r = await benchChunking({
      modelPath: resolve('models/chunked-test.onnx'),
      providers: ['cpu'],
      ticks: 60,
      rateHz: 50,
      cameraHz: 30,
      transport: 'inprocess',
      projectDir: process.cwd(),
      calibrationDir: resolve('calibration'),
      // The child compiles pilot's sources on the fly: minutes on a busy 2-core machine, so wait long.
      remote: { command: [process.execPath, 'node_modules/vite-node/vite-node.mjs', 'test/runtime/policy/serve-child.ts', '--'], readyTimeoutMs: 280_000 },
    });
    expect(r.policyServer).toMatch(/^tcp:\/\/127.0.0.1:\d+$/);
    expect(r.reference).toBeUndefined();
    expect(r.chunked.providers).toMatch(/on policy server/);
    expect(r.chunked.chunks!.chunksQueued).toBeGreaterThan(0);
    expect(r.chunked.chunks!.inferenceMs.p50).toBeGreaterThanOrEqual(59); // a Node timer: 1 ms granularity
    expect(r.plain.policyTicks).toBe(0);
    expect(formatChunkingBench(r)).toMatch(/in pilot serve at tcp:/);
  }, 360_000);

  it('refuses a model without a chunk and names it; bad flags are usage errors', async () => {
    await expect(
      benchChunking({
        modelPath: resolve('models/pilotnet-test.onnx'),
        providers: ['cpu'],
        ticks: 10,
        rateHz: 50,
        cameraHz: 30,
        transport: 'inprocess',
        projectDir: process.cwd(),
        calibrationDir: resolve('calibration'),
        reference: false,
      }),
    ).rejects.toThrow(/pilotnet-test.onnx is not a chunked model/);
    const err: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
    expect(await main(['bench', '--chunked', '--blend', 'newest'])).toBe(2);
    expect(err.join('\n')).toMatch(/--blend must be one of ensemble, latest, average, got 'newest'/);
    expect(await main(['bench', '--inference-delay-ms', '5'])).toBe(2);
    expect(err.join('\n')).toMatch(/--inference-delay-ms goes with --chunked/);
  });
});

// `pilot arm` with a chunked and/or remote policy (issue 20): the report's action queue and runtime rows.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { armCommand } from '../../../src/cli/arm-command.js';
import { main } from '../../../src/cli/main.js';
import { parseConfig } from '../../../src/core/config/load.js';
import { chunkifyModel } from '../../../src/learning/export/chunkify.js';
import { PolicyServer } from '../../../src/runtime/policy/policy-server.js';
import { PolicySession } from '../../../src/runtime/policy/policy-session.js';

const dir = mkdtempSync(join(tmpdir(), 'pilot-arm-chunked-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Report {
  summary: {
    episodes: number;
    deadlineMisses?: number;
    chunks?: {
      steps: number;
      stepMs: number;
      blend: string;
      inferences: number;
      chunksQueued: number;
      emptyQueueFallbacks: number;
      blendedActions: number;
      freshActions: number;
      chunkAgeMs: { p50: number; max: number };
      queueDepthSteps: { p50: number; min: number };
      inferenceMs: { p50: number };
    };
  };
  episodes: { steps: number; chunks?: { inferences: number; freshActions: number; blendedActions: number } }[];
}

describe('pilot arm --chunked / --policy-server', () => {
  let stderr: string[];
  let stdout: string[];
  beforeEach(() => {
    stderr = [];
    stdout = [];
    vi.spyOn(console, 'error').mockImplementation((line: unknown) => void stderr.push(String(line)));
    vi.spyOn(console, 'log').mockImplementation((line: unknown) => void stdout.push(String(line)));
  });
  afterEach(() => vi.restoreAllMocks());

  it('--chunked with a slow inference: chunks age by the delay, no empty-queue fallback, the queue in the report', async () => {
    const json = join(dir, 'chunked.json');
    const code = await armCommand(['--episodes', '2', '--time-limit', '2', '--chunked', '--inference-delay-ms', '100', '--transport', 'inprocess', '--json', json, '--min-success', '0']);
    expect(code).toBe(0);
    const r = JSON.parse(readFileSync(json, 'utf8')) as Report;
    const q = r.summary.chunks!;
    // pilot-arm.onnx made chunked: 10 actions × one 50 ms period, latest-only blending (README "Action chunks").
    expect(q).toMatchObject({ steps: 10, stepMs: 50, blend: 'latest', emptyQueueFallbacks: 0 });
    // Counted (a tick over its deadline in wall time on a busy machine counts too, so no fixed value here).
    expect(r.summary.deadlineMisses).toEqual(expect.any(Number));
    // Inference takes 100 ms of simulated time: every action comes from a chunk at least that old.
    expect(q.chunkAgeMs.p50).toBeGreaterThanOrEqual(100);
    expect(q.chunkAgeMs.max).toBeLessThan(500);
    // Far fewer inferences than ticks: the queue bridges the 2 periods each inference takes.
    const steps = r.episodes.reduce((s, e) => s + e.steps, 0);
    expect(q.inferences).toBeGreaterThan(0);
    expect(q.inferences).toBeLessThan(steps / 1.5);
    expect(q.inferences).toBe(r.episodes.reduce((s, e) => s + e.chunks!.inferences, 0));
    // The note on stderr (progress), the summary on stdout (the result).
    expect(stderr.join('\n')).toContain('--chunked: ');
    expect(stdout.join('\n')).toMatch(/action queue: chunks 10 × 50 ms, latest · \d+ inferences .* 0 empty-queue fallbacks/);
    expect(stdout.join('\n')).toMatch(/runtime: \d+ deadline misses/);
  }, 120_000);

  it('--policy-server: the chunked arm model served by another server, its queue in the report', async () => {
    const chunked = chunkifyModel(readFileSync('models/pilot-arm.onnx'), 'models/pilot-arm.onnx', { steps: 5, stepMs: 50 });
    const path = join(dir, 'arm-chunked.onnx');
    writeFileSync(path, chunked.bytes);
    const policy = await PolicySession.create({ model: parseConfig({ model: { path, warmup_runs: 1 } }, 't', '/').model, log: () => {} });
    const server = await PolicyServer.start({ endpoint: 'tcp://127.0.0.1:*', policy, modelBytes: chunked.bytes });
    try {
      const json = join(dir, 'remote.json');
      const code = await armCommand(['--episodes', '1', '--time-limit', '1', '--model', path, '--policy-server', server.endpoint, '--transport', 'inprocess', '--json', json, '--min-success', '0']);
      expect(code).toBe(0);
      const r = JSON.parse(readFileSync(json, 'utf8')) as Report;
      const q = r.summary.chunks!;
      expect(q).toMatchObject({ steps: 5, stepMs: 50, emptyQueueFallbacks: 0 });
      expect(server.stats.requests).toBe(q.inferences);
      expect(server.stats.errors).toBe(0);
      expect(q.freshActions + q.blendedActions).toBeGreaterThan(0);
      expect(stderr.join('\n')).toContain(`policy server ${server.endpoint}`);
    } finally {
      await server.close();
      await policy.dispose();
    }
  }, 120_000);

  it('the flags are in the help, and refused with the expert', async () => {
    expect(await main(['arm', '--help'])).toBe(0);
    expect(stdout.join('\n')).toMatch(/--chunked[\s\S]*--inference-delay-ms <ms>[\s\S]*--blend <mode>[\s\S]*--policy-server <endpoint>/);
    await expect(armCommand(['--expert', '--chunked'])).rejects.toThrow(/--chunked, --inference-delay-ms, --blend and --policy-server apply to a model, not the expert/);
    await expect(armCommand(['--blend', 'newest', '--chunked', '--episodes', '1'])).rejects.toThrow(/--blend must be one of ensemble, latest, average, got 'newest'/);
  });
});

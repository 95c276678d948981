import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { applyDriveChunking, wantsChunking } from '../../../src/cli/drive-chunking.js';
import { main } from '../../../src/cli/main.js';
import { loadConfig } from '../../../src/core/config/load.js';
import { chunkifyModel } from '../../../src/learning/export/chunkify.js';
import { buildPilotNet } from '../../../src/learning/export/pilotnet.js';
import { chunkOf } from '../../../src/runtime/policy/contract.js';
import { parseConfig } from '../../../src/core/config/load.js';
import { PolicySession } from '../../../src/runtime/policy/policy-session.js';

const dir = mkdtempSync(join(tmpdir(), 'pilot-chunkify-'));
const tiny = buildPilotNet({ variant: 'tiny' });
const tinyPath = join(dir, 'tiny.onnx');
writeFileSync(tinyPath, tiny.bytes);
const load = (path: string) => PolicySession.create({ model: parseConfig({ model: { path, warmup_runs: 1 } }, 't', '/').model, log: () => {} });

afterEach(() => vi.restoreAllMocks());

describe('chunkifyModel: a single-step policy as a chunked one', () => {
  it('repeats the action over the chunk; the graph and contract agree', async () => {
    const { bytes, contract } = chunkifyModel(tiny.bytes, tinyPath, { steps: 4, stepMs: 50 });
    expect(chunkOf(contract)).toEqual({ steps: 4, step_ms: 50 });
    expect(contract.id).toBe('pilotnet-tiny-chunk4x50ms');
    const path = join(dir, 'tiny-chunked.onnx');
    writeFileSync(path, bytes);
    const single = await load(tinyPath);
    const chunked = await load(path);
    for (const p of [single, chunked]) p.inputs.get('image')!.fill(0.3);
    await single.run();
    await chunked.run();
    expect(chunked.output).toHaveLength(8);
    for (let i = 0; i < 4; i++) {
      expect(chunked.output[2 * i]).toBeCloseTo(single.output[0]!, 6);
      expect(chunked.output[2 * i + 1]).toBeCloseTo(single.output[1]!, 6);
    }
    await single.dispose();
    await chunked.dispose();
  });

  it('refuses a model that is chunked already, and bad sizes', () => {
    const once = chunkifyModel(tiny.bytes, tinyPath, { steps: 4, stepMs: 50 }).bytes;
    expect(() => chunkifyModel(once, 'c.onnx', { steps: 4, stepMs: 50 })).toThrow(/c.onnx: output 'action' is already chunked \(4 × 50 ms\)/);
    expect(() => chunkifyModel(tiny.bytes, tinyPath, { steps: 0, stepMs: 50 })).toThrow(/--steps must be a positive integer, got 0/);
  });

  it('pilot model chunk writes it', async () => {
    const out: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    const path = join(dir, 'cli-chunked.onnx');
    expect(await main(['model', 'chunk', tinyPath, path, '--steps', '5', '--step-ms', '20'])).toBe(0);
    expect(out.join('\n')).toMatch(/output \[1, 5, 2\]: 5 actions × 20 ms/);
    expect(readFileSync(path).length).toBeGreaterThan(0);
  });
});

describe('pilot drive --chunked / --inference-delay-ms / --policy-server: the runtime config', () => {
  const base = loadConfig('launch/drive.yaml');

  it('makes a single-step model chunked (one period per step), latest blend, re-infers at once, delay as min_inference_ms', () => {
    const r = applyDriveChunking(base, undefined, { chunked: true, 'inference-delay-ms': '150' }, true);
    expect(r.modelPath).toMatch(/pilot-drive-chunk10x50ms-[0-9a-f]{12}\.onnx$/);
    expect(r.note).toMatch(/--chunked: .*pilot-drive.onnx made chunked \(10 × 50 ms/);
    expect(r.config.chunking).toMatchObject({ enabled: true, blend: 'latest', min_inference_ms: 150, refill_below_ms: 475 });
  });

  it('lockstep without a delay: min_inference_ms 0 (deterministic); real time: no floor', () => {
    expect(applyDriveChunking(base, undefined, { chunked: true }, true).config.chunking.min_inference_ms).toBe(0);
    expect(applyDriveChunking(base, undefined, { chunked: true }, false).config.chunking.min_inference_ms).toBeUndefined();
  });

  it('a policy server endpoint goes into policy_server; a delay without a chunked model is refused', () => {
    const r = applyDriveChunking(base, undefined, { 'policy-server': 'tcp://127.0.0.1:5590' }, true);
    expect(r.config.policy_server).toMatchObject({ endpoint: 'tcp://127.0.0.1:5590', timeout_ms: 1000 });
    expect(() => applyDriveChunking(base, undefined, { 'inference-delay-ms': '30' }, true)).toThrow(/--inference-delay-ms and --blend need a chunked model \(--chunked\)/);
    expect(wantsChunking({})).toBe(false);
    expect(wantsChunking({ chunked: true })).toBe(true);
  });
});

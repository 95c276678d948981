import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { CONTRACT_METADATA_KEY } from '../../src/runtime/policy/contract.js';
import { readOnnxInfo } from '../../src/core/onnx/onnx-read.js';
import { capture } from '../helpers/capture-console.js';


afterEach(() => vi.restoreAllMocks());
const dir = mkdtempSync(join(tmpdir(), 'pilot-providers-cli-'));

describe('pilot model inspect --ep', () => {
  it('prints which provider runs the model and why each other one was skipped', async () => {
    const { out } = capture();
    expect(await main(['model', 'inspect', 'models/pilotnet-test.onnx', '--ep', 'tensorrt,cuda', '--warmup', '3'])).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/execution providers \(main thread\), in order:/);
    expect(text).toMatch(/^ {4}tensorrt {2}(skipped: .+|runs the model.*)$/m);
    expect(text).toMatch(/^ {4}(cpu|tensorrt|cuda) +runs the model.*: first inference [\d.]+ ms; warm-up 2 runs p50/m);
  });

  it('--json carries the start-up report', async () => {
    const { out } = capture();
    expect(await main(['model', 'inspect', 'models/pilotnet-test.onnx', '--ep', 'webgpu', '--warmup', '1', '--json'])).toBe(0);
    const { startup } = JSON.parse(out.join('\n'));
    expect(startup.attempts.at(-1).ok).toBe(true);
    expect(['webgpu', 'cpu']).toContain(startup.active);
  });
});

describe('pilot model fp16', () => {
  it('writes a float16 model that keeps the contract, and inspect shows its precision', async () => {
    const { out } = capture();
    const target = join(dir, 'pilotnet-test.fp16.onnx');
    expect(await main(['model', 'fp16', 'models/pilotnet-test.onnx', target])).toBe(0);
    expect(out.join('\n')).toMatch(/252,230 weights in float16 \(18 tensors\), 19 nodes in float16, 0 kept in float32, 2 Cast nodes; 988 → 495 KiB/);
    const before = readOnnxInfo(readFileSync('models/pilotnet-test.onnx'), 'a').metadata[CONTRACT_METADATA_KEY];
    expect(readOnnxInfo(readFileSync(target), 'b').metadata[CONTRACT_METADATA_KEY]).toBe(before);
    out.length = 0;
    expect(await main(['model', 'inspect', target])).toBe(0);
    expect(out.join('\n')).toMatch(/precision +\{"weights":"float16","io":"float32"/);
  });

  it('--keep-fp32 and usage errors', async () => {
    const { out, err } = capture();
    expect(await main(['model', 'fp16', 'models/pilotnet-test.onnx', join(dir, 'k.onnx'), '--keep-fp32', 'Conv', '--json'])).toBe(0);
    expect(JSON.parse(out.join('\n'))).toMatchObject({ float32Nodes: 5, float16Nodes: 14 });
    expect(await main(['model', 'fp16', 'models/pilotnet-test.onnx'])).toBe(2);
    expect(err.join('\n')).toMatch(/model fp16 needs <in.onnx> <out.onnx>/);
    expect(await main(['model', 'fp16', 'README.md', join(dir, 'x.onnx')])).toBe(1);
    expect(err.join('\n')).toMatch(/E_MODEL_FORMAT: README.md/);
  });
});

describe('pilot bench --compare-eps', () => {
  it('measures each provider alone, one after another, listing unavailable ones as skipped with the reason', async () => {
    const { out } = capture();
    const args = ['bench', '--compare-eps', '--ep', 'cuda,cpu', '--ticks', '20', '--transport', 'inprocess'];
    expect(await main([...args, '--json'])).toBe(0);
    const { compare } = JSON.parse(out.join('\n'));
    expect(compare.map((r: { provider: string }) => r.provider)).toEqual(['cuda', 'cpu']);
    const [cuda, cpu] = compare;
    if (cuda.status === 'skipped') expect(cuda.reason.length).toBeGreaterThan(10);
    else expect(cuda.loop.provider).toBe('cuda'); // a machine with the CUDA provider
    expect(cpu.status).toBe('ran');
    expect(cpu.loop.provider).toBe('cpu');
    expect(cpu.loop.startup.cpuAppended).toBe(false);
    expect(cpu.loop.inferenceMs.p50).toBeGreaterThan(0);
    out.length = 0;
    expect(await main(['bench', '--compare-eps', '--ep', 'webgpu', '--ticks', '5', '--transport', 'inprocess'])).toBe(0);
    const table = out.join('\n');
    expect(table).toMatch(/^provider +first +p50 +p99 +p99.9 +max +tick p99 +misses +ticks$/m);
    expect(table).toMatch(/^webgpu +(skipped: .+|[\d.]+ .*)$/m);
  });
});

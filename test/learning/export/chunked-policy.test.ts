import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CHUNKED_TEST_CARD, CHUNKED_TEST_OPTIONS, CHUNKED_TEST_PATH, chunkedCard, sha256 } from '../../../scripts/build-test-models.js';
import { main } from '../../../src/cli/main.js';
import { parseConfig } from '../../../src/core/config/load.js';
import { buildChunkedPolicy } from '../../../src/learning/export/chunked-policy.js';
import { onnx } from '../../../src/core/onnx/onnx-proto.js';
import { chunkHorizonMs, chunkOf, CONTRACT_METADATA_KEY, ModelContract, parseContract } from '../../../src/runtime/policy/contract.js';
import { PolicySession } from '../../../src/runtime/policy/policy-session.js';

const dir = mkdtempSync(join(tmpdir(), 'pilot-chunked-'));
const load = (path: string, thread: 'main' | 'worker' = 'main') =>
  PolicySession.create({ model: parseConfig({ model: { path, warmup_runs: 1, inference_thread: thread } }, 't', '/').model, log: () => {} });

describe('chunked outputs in the model contract', () => {
  const base = buildChunkedPolicy({ steps: 4, stepMs: 25, height: 8, width: 8 }).contract;
  const withOutput = (edit: (o: Record<string, unknown>) => void) => {
    const c = structuredClone(base) as unknown as { outputs: Record<string, unknown>[] };
    edit(c.outputs[0]!);
    return JSON.stringify(c);
  };

  it('accepts [1, steps, fields] and [steps, fields] with chunk: { steps, step_ms }', () => {
    const c = parseContract(JSON.stringify(base), 'm.onnx');
    expect(chunkOf(c)).toEqual({ steps: 4, step_ms: 25 });
    expect(chunkHorizonMs(chunkOf(c)!)).toBe(100);
    expect(chunkOf(parseContract(withOutput((o) => (o.shape = [4, 2])), 'm.onnx'))).toEqual({ steps: 4, step_ms: 25 });
  });

  it('refuses a chunk dimension that disagrees with chunk.steps, naming both', () => {
    expect(() => parseContract(withOutput((o) => (o.shape = [1, 5, 2])), 'm.onnx')).toThrow(/m.onnx: contract.outputs.0.chunk.steps: chunk dimension 5 of \[1,5,2\] ≠ chunk.steps 4/);
  });

  it('refuses a 3-dimensional output without chunk, a batch other than 1 and a wrong field count', () => {
    expect(() => parseContract(withOutput((o) => delete o.chunk), 'm.onnx')).toThrow(/contract.outputs.0.shape: \[1,4,2\] has 3 dimensions: only a chunked output/);
    expect(() => parseContract(withOutput((o) => (o.shape = [2, 4, 2])), 'm.onnx')).toThrow(/a 3-dimensional chunk output must have batch 1/);
    expect(() => parseContract(withOutput((o) => (o.shape = [1, 4, 3])), 'm.onnx')).toThrow(/last dimension 3 must equal the number of fields \(2\)/);
    expect(() => parseContract(withOutput((o) => (o.chunk = { steps: 4, step_ms: 0 })), 'm.onnx')).toThrow(/contract.outputs.0.chunk.step_ms/);
  });

  it('a single-step contract is unchanged: [1, fields]', () => {
    const c = structuredClone(base) as ModelContract;
    const out = c.outputs[0]! as { shape: number[]; chunk?: unknown };
    out.shape = [1, 2];
    delete out.chunk;
    expect(chunkOf(parseContract(JSON.stringify(c), 'm.onnx'))).toBeUndefined();
  });

  it('is checked against the graph: a contract chunk the graph does not have is refused', async () => {
    const built = buildChunkedPolicy({ steps: 4, stepMs: 25, height: 8, width: 8 });
    const model = onnx.ModelProto.decode(built.bytes);
    const contract = structuredClone(built.contract) as { outputs: { shape: number[]; chunk: { steps: number } }[] };
    contract.outputs[0]!.shape = [1, 6, 2];
    contract.outputs[0]!.chunk.steps = 6;
    model.metadataProps = [onnx.StringStringEntryProto.create({ key: CONTRACT_METADATA_KEY, value: JSON.stringify(contract) })];
    const path = join(dir, 'wrong-steps.onnx');
    writeFileSync(path, onnx.ModelProto.encode(model).finish());
    await expect(load(path)).rejects.toThrow(/E_MODEL_SHAPE: .*wrong-steps.onnx: output 'actions': contract shape \[1,6,2\] ≠ graph shape \[1,4,2\]/);
  });
});

describe('buildChunkedPolicy', () => {
  for (const batchDim of [true, false]) {
    it(`runs in ONNX Runtime and outputs the analytic chunk (${batchDim ? '[1, steps, 2]' : '[steps, 2]'})`, async () => {
      const built = buildChunkedPolicy({ steps: 6, stepMs: 10, height: 4, width: 6, batchDim });
      const path = join(dir, `analytic-${batchDim}.onnx`);
      writeFileSync(path, built.bytes);
      const policy = await load(path);
      const image = policy.inputs.get('image')!;
      // Channel means r = 0.8, g = 0.1, b = 0.2.
      const plane = 4 * 6;
      image.fill(0.8, 0, plane).fill(0.1, plane, 2 * plane).fill(0.2, 2 * plane);
      await policy.run();
      expect(policy.output).toHaveLength(12);
      const expected = built.expectedRaw([0.8, 0.1, 0.2]);
      for (let i = 0; i < 12; i++) expect(policy.output[i]).toBeCloseTo(expected[i]!, 5);
      expect(policy.output[0]).not.toBeCloseTo(policy.output[10]!, 3); // the actions differ over the chunk
      await policy.dispose();
    });
  }

  it('runs on the worker thread too (3-dimensional output in shared memory)', async () => {
    const built = buildChunkedPolicy({ steps: 3, stepMs: 10, height: 4, width: 4 });
    const path = join(dir, 'worker.onnx');
    writeFileSync(path, built.bytes);
    const policy = await load(path, 'worker');
    policy.inputs.get('image')!.fill(0.5);
    await policy.run();
    const expected = built.expectedRaw([0.5, 0.5, 0.5]);
    for (let i = 0; i < 6; i++) expect(policy.output[i]).toBeCloseTo(expected[i]!, 5);
    await policy.dispose();
  });
});

// If these fail after a deliberate builder change: `npm run build && npm run models`, then commit both files.
describe('committed models/chunked-test.onnx', () => {
  it('is exactly what the builder produces with the script options, and its card says so', () => {
    const committed = readFileSync(CHUNKED_TEST_PATH);
    const built = buildChunkedPolicy(CHUNKED_TEST_OPTIONS);
    expect(sha256(committed)).toBe(sha256(built.bytes));
    expect(readFileSync(CHUNKED_TEST_CARD, 'utf8')).toBe(chunkedCard(built, 'chunked-test.onnx'));
    expect(chunkOf(built.contract)).toEqual({ steps: 50, step_ms: 10 });
  });
});

describe('pilot model inspect on a chunked model', () => {
  afterEach(() => vi.restoreAllMocks());

  it('shows the chunk: steps, step and horizon', async () => {
    const out: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    expect(await main(['model', 'inspect', 'models/chunked-test.onnx'])).toBe(0);
    expect(out.join('\n')).toMatch(/actions\s+\[1×50×2\] float32\n\s+chunk: 50 actions × 10 ms = 500 ms horizon/);
    out.length = 0;
    expect(await main(['model', 'inspect', 'models/chunked-test.onnx', '--json'])).toBe(0);
    expect(JSON.parse(out.join('\n')).contract.outputs[0].chunk).toEqual({ steps: 50, step_ms: 10 });
  });
});

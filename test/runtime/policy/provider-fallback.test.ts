/**
 * GPU providers asked for on this machine, through the real onnxruntime-node: CI has no GPU, so each
 * one must end on CPU with one explanation line per skipped provider, never an exception. On a machine
 * that does have the provider, the same tests accept it running the model.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/core/config/load.js';
import { buildPilotNet } from '../../../src/learning/export/pilotnet.js';
import { PolicySession, type Policy } from '../../../src/runtime/policy/policy-session.js';
import { nodeProviderEnvironment } from '../../../src/runtime/policy/provider-environment.js';
import { NoProviderError, type ProviderEnvironment } from '../../../src/runtime/policy/providers.js';

const dir = mkdtempSync(join(tmpdir(), 'pilot-providers-'));
const modelPath = join(dir, 'tiny.onnx');
writeFileSync(modelPath, buildPilotNet({ variant: 'tiny' }).bytes);

const policies: Policy[] = [];
afterAll(async () => {
  for (const p of policies.splice(0)) await p.dispose();
});

async function open(model: Record<string, unknown>, extra: { strictProviders?: boolean; environment?: ProviderEnvironment } = {}) {
  const lines: string[] = [];
  const config = parseConfig({ model: { path: modelPath, warmup_runs: 3, ...model } }, 'test', dir).model;
  const policy = await PolicySession.create({ model: config, log: (l) => lines.push(l), ...extra });
  policies.push(policy);
  return { policy, lines };
}

const real = nodeProviderEnvironment();
const gpuProviders = ['tensorrt', 'cuda', 'webgpu'] as const;

describe.each(['main', 'worker'] as const)('GPU providers on this machine (%s thread)', (thread) => {
  it('falls back to CPU (appended) with one explanation line per skipped provider, then names the one that runs', async () => {
    const { policy, lines } = await open({ providers: [...gpuProviders], inference_thread: thread });
    const skipped = policy.attempts.filter((a) => !a.ok);
    expect(policy.attempts.map((a) => a.provider)).toEqual([...skipped.map((a) => a.provider), policy.activeProvider]);
    if (policy.activeProvider === 'cpu') {
      expect(skipped.map((a) => a.provider)).toEqual([...gpuProviders]);
      expect(policy.startup.cpuAppended).toBe(true);
    }
    // One line per skipped provider, each a single line with its reason, then the headline.
    expect(lines).toHaveLength(skipped.length + 1);
    skipped.forEach((a, i) => {
      expect(lines[i]).toBe(`pilot: execution provider '${a.provider}' unavailable for ${modelPath}: ${a.reason}`);
      expect(a.reason.length).toBeGreaterThan(10);
      expect(a.reason).not.toContain('\n');
    });
    expect(lines.at(-1)).toMatch(new RegExp(`runs on ${policy.activeProvider}.*: first inference [\\d.]+ ms`));
    expect(policy.startup.thread).toBe(thread);
    expect(policy.startup.warmup.runs).toBe(2);
    expect(Number.isFinite(policy.startup.warmup.firstInferenceMs)).toBe(true);
    // And it runs.
    policy.inputs.get('image')!.fill(0.25);
    await policy.run();
    expect(policy.output.every(Number.isFinite)).toBe(true);
  });
});

describe('provider libraries present but unusable', () => {
  // Pretend the provider libraries and the Vulkan loader are installed, so ORT itself is asked and fails.
  const claimsEverything: ProviderEnvironment = { ...real, exists: () => true, libraryVisible: () => true, ensureDir: () => {} };

  it('ORT failing to load CUDA is one line naming what it could not load, and the next provider runs', async () => {
    const { policy, lines } = await open({ providers: ['cuda'] }, { environment: claimsEverything });
    if (policy.activeProvider === 'cuda') return; // a GPU machine with the CUDA provider installed
    expect(policy.activeProvider).toBe('cpu');
    expect(policy.attempts[0]!.reason).toMatch(/ORT could not load the cuda provider library|CUDA/);
    expect(lines[0]).not.toContain('\n');
  });

  it('WebGPU without an adapter is one line, and the next provider runs', async () => {
    const { policy } = await open({ providers: ['webgpu', 'cpu'] }, { environment: claimsEverything });
    if (policy.activeProvider === 'webgpu') return; // a machine with a Vulkan GPU
    expect(policy.attempts[0]!.reason).toMatch(/WebGPU|adapter|Vulkan/i);
  });
});

describe('strict providers (benchmarks of one provider)', () => {
  it('refuses with E_NO_PROVIDER and the reasons instead of running on CPU', async () => {
    const unavailable = { ...real, backends: real.backends.filter((b) => b.name !== 'cuda') };
    const attempt = open({ providers: ['cuda'] }, { strictProviders: true, environment: unavailable });
    await expect(attempt).rejects.toBeInstanceOf(NoProviderError);
    await expect(attempt).rejects.toThrow(/E_NO_PROVIDER: .*cuda: this onnxruntime-node build .* has no cuda provider/);
  });
});

describe('outputs', () => {
  it('device_outputs never applies on CPU: ORT writes into the preallocated host buffer', async () => {
    const { policy } = await open({ providers: ['cpu'], device_outputs: true });
    expect(policy.startup.outputs).toMatch(/^host memory, preallocated/);
    expect(policy.startup.notes).toEqual([]);
  });

  it('reports settings the binding cannot pass instead of silently dropping them', async () => {
    const { policy } = await open({ providers: ['cpu'] });
    expect(policy.startup.notes).toEqual([]);
    const { policy: cudaAsked } = await open({ providers: ['cuda'], cuda: { device_id: 0, memory_limit_mb: 256 } });
    if (cudaAsked.activeProvider === 'cuda') expect(cudaAsked.startup.notes.join('\n')).toMatch(/not applied: cuda.memory_limit_mb/);
    else expect(cudaAsked.startup.notes).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/core/config/load.js';
import type { ProviderName } from '../../../src/core/config/schema.js';
import {
  explainFailure,
  formatProviderReport,
  NoProviderError,
  planCandidate,
  probeProvider,
  providerOrder,
  selectProvider,
  startupLine,
  warmupTiming,
  withHostOutputs,
  type ProviderEnvironment,
  type ProviderStartup,
} from '../../../src/runtime/policy/providers.js';

const BINDING = '/pkg/onnxruntime-node/bin/napi-v6/linux/x64';

/** A made-up machine: `files` exist, `libraries` are on the loader path. */
function machine(overrides: Partial<ProviderEnvironment> & { files?: string[]; libraries?: string[] } = {}): ProviderEnvironment {
  const files = new Set(overrides.files ?? []);
  const libraries = new Set(overrides.libraries ?? []);
  return {
    platform: 'linux/x64',
    bindingDir: BINDING,
    backends: [
      { name: 'cpu', bundled: true },
      { name: 'webgpu', bundled: true },
      { name: 'cuda', bundled: false },
      { name: 'tensorrt', bundled: false },
    ],
    exists: (p) => files.has(p),
    libraryVisible: (name) => libraries.has(name),
    ensureDir: () => {},
    ...overrides,
  };
}

const model = (raw: Record<string, unknown> = {}) => parseConfig({ model: { path: 'models/m.onnx', ...raw } }, 'test', '/project').model;

describe('provider order', () => {
  it('appends CPU as the final fallback when the list lacks it, and drops duplicates', () => {
    expect(providerOrder(['cuda', 'webgpu'])).toEqual({ order: ['cuda', 'webgpu', 'cpu'], cpuAppended: true });
    expect(providerOrder(['tensorrt', 'cpu', 'cuda'])).toEqual({ order: ['tensorrt', 'cpu', 'cuda'], cpuAppended: false });
    expect(providerOrder(['cuda', 'cuda'])).toEqual({ order: ['cuda', 'cpu'], cpuAppended: true });
  });

  it('strict (a benchmark of one provider) appends nothing', () => {
    expect(providerOrder(['cuda'], true)).toEqual({ order: ['cuda'], cpuAppended: false });
  });
});

describe('probe: what is installed', () => {
  it('skips CUDA and TensorRT when their provider libraries are not beside the binding, naming the files and the fix', () => {
    const env = machine();
    expect(probeProvider('cuda', env)).toBe(
      `libonnxruntime_providers_shared.so, libonnxruntime_providers_cuda.so not installed in ${BINDING} ` +
        '(ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node, or copy them there; see README "Execution providers and GPUs")',
    );
    expect(probeProvider('tensorrt', machine({ files: [`${BINDING}/libonnxruntime_providers_shared.so`] }))).toMatch(
      /^libonnxruntime_providers_tensorrt.so not installed in /,
    );
  });

  it('lets ORT try a provider whose libraries are there', () => {
    const env = machine({ files: ['shared', 'cuda', 'tensorrt'].map((p) => `${BINDING}/libonnxruntime_providers_${p}.so`), libraries: ['libvulkan.so.1'] });
    for (const p of ['tensorrt', 'cuda', 'webgpu', 'cpu'] as const) expect(probeProvider(p, env)).toBeUndefined();
  });

  it('names a build without the provider (onnxruntime-node for linux/arm64 has no CUDA) and points Jetson users at the README', () => {
    const env = machine({ platform: 'linux/arm64', backends: [{ name: 'cpu', bundled: true }, { name: 'webgpu', bundled: true }] });
    expect(probeProvider('tensorrt', env)).toBe(
      'this onnxruntime-node build for linux/arm64 has no tensorrt provider (it has cpu, webgpu) (on Jetson, build onnxruntime with CUDA/TensorRT: see README "Execution providers and GPUs")',
    );
  });

  it('skips WebGPU on Linux without a Vulkan loader, before Dawn prints its own warning', () => {
    expect(probeProvider('webgpu', machine())).toMatch(/^no Vulkan loader \(libvulkan.so.1\) on the library path/);
    expect(probeProvider('webgpu', machine({ platform: 'darwin/arm64' }))).toBeUndefined();
  });

  it('never skips CPU', () => {
    expect(probeProvider('cpu', machine({ backends: [] }))).toBeUndefined();
  });
});

describe('explaining an ORT failure in one line', () => {
  it('turns "Failed to load shared library" into the libraries the loader cannot find', () => {
    const env = machine({ libraries: ['libcudart.so.12', 'libcublas.so.12', 'libcublasLt.so.12', 'libcufft.so.11'] });
    expect(explainFailure('cuda', 'OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library', env)).toBe(
      'ORT could not load the cuda provider library or a library it needs (not found on the library path: libcudnn.so.9) (see README "Execution providers and GPUs")',
    );
  });

  it('keeps the message of an ORT_ENFORCE and drops the source location', () => {
    const message =
      '/onnxruntime_src/onnxruntime/core/providers/webgpu/webgpu_context.cc:136 onnxruntime::webgpu::WebGpuContext::Initialize(const onnxruntime::webgpu::WebGpuContextConfig&)::<lambda()> adapter_result.status == wgpu::RequestAdapterStatus::Success was false. Failed to get a WebGPU adapter: No supported adapters\n';
    expect(explainFailure('webgpu', message, machine())).toBe('no WebGPU adapter: No supported adapters (Dawn found no usable Vulkan GPU)');
    expect(explainFailure('cuda', '[ONNXRuntimeError] : 1 : FAIL : CUDA failure 100: no CUDA-capable device is detected\nmore', machine())).toBe(
      'CUDA failure 100: no CUDA-capable device is detected',
    );
  });
});

describe('provider options', () => {
  const ctx = { modelPath: '/project/models/m.onnx', modelKey: '0123456789abcdef', env: machine() };

  it('passes CUDA only what the binding reads (deviceId) and reports the memory limit as not applied', () => {
    const c = planCandidate('cuda', model({ cuda: { device_id: 1, memory_limit_mb: 512 } }), ctx);
    expect(c.options.executionProviders).toEqual([{ name: 'cuda', deviceId: 1 }]);
    expect(c.notApplied).toEqual(['cuda.memory_limit_mb (gpu_mem_limit): the onnxruntime-node binding (1.30) passes only deviceId to this provider']);
    expect(c.notes.join('\n')).toMatch(/EXHAUSTIVE/);
    expect(c.source).toEqual({ kind: 'bytes' });
  });

  it('TensorRT: writes its engine model into the cache folder on the first start, loads it from there afterwards', () => {
    const m = model({ providers: ['tensorrt'], tensorrt: { engine_cache_dir: 'cache/trt', fp16: true } });
    const first = planCandidate('tensorrt', m, ctx);
    const ctxModel = '/project/cache/trt/m-0123456789abcdef_ctx.onnx';
    expect(first.options.executionProviders).toEqual([{ name: 'tensorrt', deviceId: 0 }]);
    expect(first.options.extra).toEqual({ ep: { context_enable: '1', context_file_path: ctxModel, context_embed_mode: '0' } });
    expect(first.source).toEqual({ kind: 'bytes' });
    expect(first.ensureDir).toBe('/project/cache/trt');
    expect(first.notApplied[0]).toMatch(/^tensorrt.fp16 \(trt_fp16_enable\): .*pilot model fp16/);
    const later = planCandidate('tensorrt', m, { ...ctx, env: machine({ files: [ctxModel] }) });
    expect(later.source).toEqual({ kind: 'file', path: ctxModel });
    expect(later.options.extra).toBeUndefined();
    expect(later.notes).toEqual([`TensorRT engine loaded from the cache: ${ctxModel}`]);
  });

  it('device outputs: gpu-buffer for WebGPU only; not applied for CUDA; never on CPU; off by default', () => {
    const on = model({ device_outputs: true });
    const webgpu = planCandidate('webgpu', on, ctx);
    expect(webgpu.deviceOutputs).toBe(true);
    expect(webgpu.options.preferredOutputLocation).toBe('gpu-buffer');
    const cuda = planCandidate('cuda', on, ctx);
    expect(cuda.options.preferredOutputLocation).toBeUndefined();
    expect(cuda.notApplied.join('\n')).toMatch(/device_outputs: .*WebGPU memory only/);
    const cpu = planCandidate('cpu', on, ctx);
    expect(cpu.options.preferredOutputLocation).toBeUndefined();
    expect(cpu.notApplied).toEqual([]);
    expect(planCandidate('webgpu', model(), ctx).options.preferredOutputLocation).toBeUndefined();
    expect(planCandidate('webgpu', on, { ...ctx, allowDeviceOutputs: false }).deviceOutputs).toBe(false);
    const host = withHostOutputs(webgpu, 'read-back failed');
    expect(host.options.preferredOutputLocation).toBeUndefined();
    expect(host.notApplied).toEqual(['device_outputs: read-back failed']);
  });
});

describe('choosing a provider', () => {
  it('skips each unavailable provider with one log line and runs on the next; never throws while one works', async () => {
    const lines: string[] = [];
    const opened: ProviderName[] = [];
    const selection = await selectProvider({
      order: ['tensorrt', 'cuda', 'webgpu', 'cpu'],
      modelPath: 'm.onnx',
      probe: (p) => (p === 'tensorrt' ? 'not installed' : undefined),
      open: async (p) => {
        opened.push(p);
        if (p === 'cuda') throw new Error('CUDA failure 100: no CUDA-capable device\nstack…');
        if (p === 'webgpu') throw new Error('first inference broke');
        return `session:${p}`;
      },
      explain: (_p, err) => (err as Error).message.split('\n')[0]!,
      log: (l) => lines.push(l),
    });
    expect(selection.value).toBe('session:cpu');
    expect(selection.active).toBe('cpu');
    expect(opened).toEqual(['cuda', 'webgpu', 'cpu']);
    expect(selection.attempts).toEqual([
      { provider: 'tensorrt', ok: false, reason: 'not installed' },
      { provider: 'cuda', ok: false, reason: 'CUDA failure 100: no CUDA-capable device' },
      { provider: 'webgpu', ok: false, reason: 'first inference broke' },
      { provider: 'cpu', ok: true, reason: '' },
    ]);
    expect(lines).toEqual([
      "pilot: execution provider 'tensorrt' unavailable for m.onnx: not installed",
      "pilot: execution provider 'cuda' unavailable for m.onnx: CUDA failure 100: no CUDA-capable device",
      "pilot: execution provider 'webgpu' unavailable for m.onnx: first inference broke",
    ]);
  });

  it('fails with E_NO_PROVIDER and every reason only when nothing opens', async () => {
    const failing = selectProvider({
      order: ['cuda'],
      modelPath: 'm.onnx',
      probe: () => 'missing',
      open: () => Promise.reject(new Error('unreachable')),
      explain: () => '',
      log: () => {},
    });
    await expect(failing).rejects.toThrow("E_NO_PROVIDER: no execution provider could load m.onnx: cuda: missing");
    await expect(failing).rejects.toBeInstanceOf(NoProviderError);
    await failing.catch((err: NoProviderError) => expect(err.attempts).toEqual([{ provider: 'cuda', ok: false, reason: 'missing' }]));
  });
});

describe('start-up report', () => {
  const startup: ProviderStartup = {
    modelPath: 'models/m.onnx',
    active: 'cpu',
    attempts: [
      { provider: 'cuda', ok: false, reason: 'not installed' },
      { provider: 'cpu', ok: true, reason: '' },
    ],
    cpuAppended: true,
    thread: 'main',
    warmup: warmupTiming(12.5, [1, 3, 2, 4]),
    outputs: 'host memory',
    notes: ['not applied: something'],
  };

  it('warm-up timing keeps the first inference apart from the steady runs', () => {
    expect(startup.warmup).toEqual({ firstInferenceMs: 12.5, runs: 4, p50Ms: 2, maxMs: 4 });
    expect(warmupTiming(3, [])).toEqual({ firstInferenceMs: 3, runs: 0, p50Ms: 0, maxMs: 0 });
  });

  it('names the provider that runs the model, why each other was skipped, and the first inference', () => {
    expect(startupLine(startup)).toBe('pilot: models/m.onnx runs on cpu (appended as the final fallback): first inference 12.500 ms, then p50 2.000 ms over 4 warm-up runs');
    expect(formatProviderReport(startup)).toEqual([
      'execution providers (main thread), in order:',
      '  cuda      skipped: not installed',
      '  cpu       runs the model (appended as the final fallback): first inference 12.500 ms; warm-up 4 runs p50 2.000 ms, max 4.000 ms',
      '  outputs   host memory',
      '  note      not applied: something',
    ]);
  });
});

describe('config', () => {
  it('keeps the GPU keys backward compatible and adds device_outputs (off by default)', () => {
    const m = model();
    expect(m.providers).toEqual(['cpu']);
    expect(m.device_outputs).toBe(false);
    expect(m.cuda).toEqual({ device_id: 0 });
    expect(m.tensorrt).toEqual({ engine_cache_dir: '/project/.cache/tensorrt', fp16: false });
    expect(model({ device_outputs: true, cuda: { device_id: 2, memory_limit_mb: 256 } }).device_outputs).toBe(true);
  });

  it('rejects bad values with the key', () => {
    expect(() => model({ device_outputs: 'yes' })).toThrow(/E_CONFIG: test: model.device_outputs: .*boolean/);
    expect(() => model({ providers: ['tpu'] })).toThrow(/model.providers.0/);
    expect(() => model({ cuda: { device_id: 0, conv_algo_search: 'HEURISTIC' } })).toThrow(/model.cuda: Unrecognized key/);
  });
});

/**
 * Execution providers: which to try, in what order, with which options, and the start-up report that
 * says which one runs the model and why each other one was skipped.
 *
 * ORT throws (instead of falling back) when a provider is unavailable, so the fallback is ours: CPU is
 * always the last candidate, each provider is first checked against what is installed (a missing
 * provider library is a one-line reason, not an ORT error dump), then tried, and each failure is
 * recorded as one line. Everything here is pure: the file system and the native binding are behind
 * `ProviderEnvironment` (see provider-environment.ts for the Node implementation).
 *
 * What onnxruntime-node's binding passes to the providers (checked against 1.30.0: its typings in
 * onnxruntime-common, the strings in bin/napi-v6/linux/x64/onnxruntime_binding.node and the binding's
 * session_options_helper.cc): `deviceId` for cuda and tensorrt, nothing else; for webgpu the options
 * preferredLayout, validationMode, enableRobustness, forceCpuNodeNames and the *BufferCacheMode keys (any
 * other key is an error); session config entries through `extra` (ORT's `ep.context_*` keys among them,
 * which TensorRT reads to write and reload its engine: the engine cache below); `preferredOutputLocation`.
 * Settings the binding cannot pass are reported as not applied instead of being sent and ignored.
 */
import { basename, join } from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import type { PilotConfig, ProviderName } from '../../core/config/schema.js';
import { PilotError } from '../../core/util/errors.js';

type ModelSettings = PilotConfig['model'];

export interface ProviderAttempt {
  readonly provider: ProviderName;
  readonly ok: boolean;
  /** Why it was skipped, one line; empty when it was chosen. */
  readonly reason: string;
}

/** What is installed, as far as choosing a provider goes. Implemented for Node in provider-environment.ts. */
export interface ProviderEnvironment {
  /** `linux/x64`, `linux/arm64`, `win32/x64`… */
  readonly platform: string;
  /** Folder holding onnxruntime_binding.node and libonnxruntime: ORT loads provider libraries from here. */
  readonly bindingDir: string;
  /** The providers this onnxruntime-node build was compiled with (`listSupportedBackends()`). */
  readonly backends: readonly { readonly name: string; readonly bundled: boolean }[];
  exists(path: string): boolean;
  /** Whether the dynamic loader would find a library by file name (LD_LIBRARY_PATH, ld.so.cache, system folders). */
  libraryVisible(fileName: string): boolean;
  /** Creates a folder and its parents (the TensorRT engine cache). */
  ensureDir(path: string): void;
}

/** Where ORT reads the model from: pilot's bytes, or a file (TensorRT's cached engine model). */
export type ModelSource = { readonly kind: 'bytes' } | { readonly kind: 'file'; readonly path: string };

/** One provider, ready to try: the session options, and what the report should say about it. */
export interface ProviderCandidate {
  readonly provider: ProviderName;
  readonly source: ModelSource;
  readonly options: InferenceSession.SessionOptions;
  /** True when the session asks ORT to keep outputs in device memory (`preferredOutputLocation`). */
  readonly deviceOutputs: boolean;
  /** Folder to create before the session (TensorRT writes its engine there). */
  readonly ensureDir?: string;
  /** TensorRT's engine model in the cache: read when present, written by the session otherwise. */
  readonly cacheFile?: string;
  /** Configured settings this provider does not get, each with the reason. */
  readonly notApplied: readonly string[];
  /** Facts for the report, e.g. where the TensorRT engine comes from. */
  readonly notes: readonly string[];
}

/** Warm-up timings: the first inference (allocation, kernel selection, engine build) apart from the rest. */
export interface WarmupTiming {
  readonly firstInferenceMs: number;
  /** Runs after the first one. */
  readonly runs: number;
  readonly p50Ms: number;
  readonly maxMs: number;
}

/** Everything the start-up report says; `Policy.startup`. */
export interface ProviderStartup {
  readonly modelPath: string;
  readonly active: ProviderName;
  /** One entry per provider tried or skipped, in order; the last is the one that runs. */
  readonly attempts: readonly ProviderAttempt[];
  /** CPU was not in the configured list and was added as the final fallback. */
  readonly cpuAppended: boolean;
  readonly thread: 'main' | 'worker';
  readonly warmup: WarmupTiming;
  /** Where the outputs live, e.g. `host, preallocated`. */
  readonly outputs: string;
  readonly notes: readonly string[];
}

export interface ProviderOrder {
  readonly order: readonly ProviderName[];
  readonly cpuAppended: boolean;
}

/** The configured order without duplicates, with CPU appended unless `strict` (benchmarks of one provider). */
export function providerOrder(requested: readonly ProviderName[], strict = false): ProviderOrder {
  const order = [...new Set(requested)];
  if (strict || order.includes('cpu')) return { order, cpuAppended: false };
  return { order: [...order, 'cpu'], cpuAppended: true };
}

const README_HINT = 'see README "Execution providers and GPUs"';

/** Shared libraries ORT needs beside the binding for each GPU provider (Linux names). */
const PROVIDER_LIBRARIES: Partial<Record<ProviderName, readonly string[]>> = {
  cuda: ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'],
  tensorrt: ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_tensorrt.so'],
};

/** What ORT's CUDA 12 providers load in turn; looked for only to explain a failure, never to skip. */
const SYSTEM_LIBRARIES: Partial<Record<ProviderName, readonly string[]>> = {
  cuda: ['libcudart.so.12', 'libcublas.so.12', 'libcublasLt.so.12', 'libcufft.so.11', 'libcudnn.so.9'],
  tensorrt: ['libcudart.so.12', 'libnvinfer.so.10', 'libnvonnxparser.so.10', 'libcudnn.so.9'],
};

/**
 * A reason to skip `provider` without asking ORT, or undefined to try it. Only certain absences count:
 * a provider this build was compiled without, a provider library missing beside the binding, and on
 * Linux a WebGPU without a Vulkan loader (asking Dawn then prints its own warning to stderr).
 */
export function probeProvider(provider: ProviderName, env: ProviderEnvironment): string | undefined {
  if (provider === 'cpu') return undefined;
  if (!env.backends.some((b) => b.name === provider)) {
    const hint = provider === 'webgpu' ? '' : env.platform === 'linux/arm64' ? ' (on Jetson, build onnxruntime with CUDA/TensorRT: ' + README_HINT + ')' : ` (${README_HINT})`;
    return `this onnxruntime-node build for ${env.platform} has no ${provider} provider (it has ${env.backends.map((b) => b.name).join(', ')})${hint}`;
  }
  const libraries = env.platform.startsWith('linux/') ? PROVIDER_LIBRARIES[provider] : undefined;
  const missing = (libraries ?? []).filter((lib) => !env.exists(join(env.bindingDir, lib)));
  if (missing.length > 0) {
    const fetch = env.platform === 'linux/x64' ? 'ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node, or copy them there' : 'copy them there from your onnxruntime build';
    return `${missing.join(', ')} not installed in ${env.bindingDir} (${fetch}; ${README_HINT})`;
  }
  if (provider === 'webgpu' && env.platform.startsWith('linux/') && !env.libraryVisible('libvulkan.so.1')) {
    return 'no Vulkan loader (libvulkan.so.1) on the library path: WebGPU runs on Vulkan on Linux (install libvulkan1 and the GPU driver\'s Vulkan ICD)';
  }
  return undefined;
}

/** ORT's error for a provider, as one line a person can act on. */
export function explainFailure(provider: ProviderName, message: string, env: ProviderEnvironment): string {
  let text = (message.split('\n').find((l) => l.trim().length > 0) ?? message).trim().replace(/^\[ONNXRuntimeError\] : \d+ : \w+ : /, '');
  // ORT_ENFORCE: "<file>:<line> <function> <condition> was false. <message>": keep the message.
  const enforced = /^\S+:\d+ .* was false\. (.+)$/.exec(text);
  if (enforced) text = enforced[1]!.trim();
  if (/Failed to load shared library/i.test(text) || /cannot open shared object/i.test(text)) {
    const missing = (SYSTEM_LIBRARIES[provider] ?? []).filter((lib) => !env.libraryVisible(lib));
    text = `ORT could not load the ${provider} provider library or a library it needs` + (missing.length ? ` (not found on the library path: ${missing.join(', ')})` : '') + ` (${README_HINT})`;
  } else if (provider === 'webgpu' && /adapter/i.test(text)) {
    text = `no WebGPU adapter: ${text.replace(/^Failed to get a WebGPU adapter: /, '')} (Dawn found no usable Vulkan GPU)`;
  }
  return text.slice(0, 300);
}

export interface CandidateContext {
  readonly modelPath: string;
  /** Short hash of the model bytes: names the TensorRT engine cache entry, so a new model rebuilds. */
  readonly modelKey: string;
  readonly env: Pick<ProviderEnvironment, 'exists'>;
  /** The worker thread always copies outputs into shared memory, so it never asks for device outputs. */
  readonly allowDeviceOutputs?: boolean;
}

/** Session options and report facts for one provider. */
export function planCandidate(provider: ProviderName, model: ModelSettings, ctx: CandidateContext): ProviderCandidate {
  const notApplied: string[] = [];
  const notes: string[] = [];
  const binding = 'the onnxruntime-node binding (1.30) passes only deviceId to this provider';
  const deviceOutputs = model.device_outputs && (ctx.allowDeviceOutputs ?? true) && provider === 'webgpu';
  if (model.device_outputs && provider !== 'webgpu' && provider !== 'cpu') {
    notApplied.push(`device_outputs: onnxruntime-node's 'gpu-buffer' outputs are WebGPU memory only; ORT copies ${provider} outputs into the host buffer`);
  }
  if (model.device_outputs && provider === 'webgpu' && ctx.allowDeviceOutputs === false) {
    notApplied.push('device_outputs: the inference worker copies outputs into shared memory');
  }
  let source: ModelSource = { kind: 'bytes' };
  let executionProvider: InferenceSession.ExecutionProviderConfig;
  let extra: Record<string, unknown> | undefined;
  let ensureDir: string | undefined;
  let cacheFile: string | undefined;
  switch (provider) {
    case 'tensorrt': {
      executionProvider = { name: 'tensorrt', deviceId: model.cuda.device_id };
      if (model.tensorrt.fp16) notApplied.push(`tensorrt.fp16 (trt_fp16_enable): ${binding}; run an FP16 model instead (pilot model fp16)`);
      // The binding cannot set trt_engine_cache_*, but ORT's session keys ep.context_* reach TensorRT:
      // with embed mode 0 it writes the engine file and a small "_ctx.onnx" model pointing at it, and
      // loading that model (from its path, so the engine resolves beside it) skips the engine build.
      const ctxModel = join(model.tensorrt.engine_cache_dir, `${basename(ctx.modelPath).replace(/\.onnx$/i, '')}-${ctx.modelKey}_ctx.onnx`);
      ensureDir = model.tensorrt.engine_cache_dir;
      cacheFile = ctxModel;
      if (ctx.env.exists(ctxModel)) {
        source = { kind: 'file', path: ctxModel };
        notes.push(`TensorRT engine loaded from the cache: ${ctxModel}`);
      } else {
        extra = { ep: { context_enable: '1', context_file_path: ctxModel, context_embed_mode: '0' } };
        notes.push(`TensorRT engine built now and cached for the next start: ${ctxModel}`);
      }
      break;
    }
    case 'cuda':
      executionProvider = { name: 'cuda', deviceId: model.cuda.device_id };
      if (model.cuda.memory_limit_mb) notApplied.push(`cuda.memory_limit_mb (gpu_mem_limit): ${binding}`);
      notes.push('cuDNN convolution algorithm search: EXHAUSTIVE (ORT\'s default; the binding cannot change it)');
      break;
    case 'webgpu':
      executionProvider = { name: 'webgpu' };
      break;
    case 'cpu':
      executionProvider = { name: 'cpu', useArena: true };
      break;
  }
  const options: InferenceSession.SessionOptions = {
    executionProviders: [executionProvider],
    intraOpNumThreads: model.intra_op_threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // ORT's own log repeats a provider failure over several lines; pilot logs one line instead.
    logSeverityLevel: provider === 'cpu' ? 2 : 4,
    ...(extra ? { extra } : {}),
    ...(deviceOutputs ? { preferredOutputLocation: 'gpu-buffer' as const } : {}),
  };
  return { provider, source, options, deviceOutputs, ...(ensureDir ? { ensureDir } : {}), ...(cacheFile ? { cacheFile } : {}), notApplied, notes };
}

/** The same candidate with outputs on the host (when device outputs turn out not to be readable). */
export function withHostOutputs(candidate: ProviderCandidate, why: string): ProviderCandidate {
  const { preferredOutputLocation: _dropped, ...options } = candidate.options;
  return { ...candidate, options, deviceOutputs: false, notApplied: [...candidate.notApplied, `device_outputs: ${why}`] };
}

/** One-line summary, e.g. `cpu (skipped tensorrt: …; cuda: …)`. */
export function describeProviders(active: ProviderName, attempts: readonly ProviderAttempt[]): string {
  const skipped = attempts.filter((a) => !a.ok).map((a) => `${a.provider}: ${a.reason}`);
  return skipped.length ? `${active} (skipped ${skipped.join('; ')})` : active;
}

export function logFailure(attempt: ProviderAttempt, modelPath: string, log: (line: string) => void): void {
  log(`pilot: execution provider '${attempt.provider}' unavailable for ${modelPath}: ${attempt.reason}`);
}

/** The start-up report's headline: which provider runs the model, and what the first inference cost. */
export function startupLine(s: ProviderStartup): string {
  const w = s.warmup;
  const steady = w.runs > 0 ? `, then p50 ${w.p50Ms.toFixed(3)} ms over ${w.runs} warm-up runs` : '';
  return (
    `pilot: ${s.modelPath} runs on ${s.active}${s.cpuAppended && s.active === 'cpu' ? ' (appended as the final fallback)' : ''}` +
    `${s.thread === 'worker' ? ' on a worker thread' : ''}: first inference ${w.firstInferenceMs.toFixed(3)} ms${steady}`
  );
}

/** The full report, for `pilot bench` and `pilot model inspect --ep`. */
export function formatProviderReport(s: ProviderStartup): string[] {
  const lines = [`execution providers (${s.thread === 'worker' ? 'worker thread' : 'main thread'}), in order:`];
  for (const a of s.attempts) {
    if (!a.ok) {
      lines.push(`  ${a.provider.padEnd(9)} skipped: ${a.reason}`);
      continue;
    }
    const w = s.warmup;
    lines.push(
      `  ${a.provider.padEnd(9)} runs the model${s.cpuAppended && a.provider === 'cpu' ? ' (appended as the final fallback)' : ''}: ` +
        `first inference ${w.firstInferenceMs.toFixed(3)} ms` +
        (w.runs > 0 ? `; warm-up ${w.runs} runs p50 ${w.p50Ms.toFixed(3)} ms, max ${w.maxMs.toFixed(3)} ms` : ''),
    );
  }
  lines.push(`  outputs   ${s.outputs}`);
  for (const n of s.notes) lines.push(`  note      ${n}`);
  return lines;
}

/** No provider could run the model; `attempts` holds each one's reason. */
export class NoProviderError extends PilotError {
  constructor(
    modelPath: string,
    readonly attempts: readonly ProviderAttempt[],
  ) {
    super('E_NO_PROVIDER', `no execution provider could load ${modelPath}: ${attempts.map((a) => `${a.provider}: ${a.reason}`).join('; ')}`);
  }
}

export function noProvider(modelPath: string, attempts: readonly ProviderAttempt[]): NoProviderError {
  return new NoProviderError(modelPath, attempts);
}

export function firstLine(text: string): string {
  return (text.split('\n').find((l) => l.trim().length > 0) ?? text).trim().slice(0, 300);
}

/** p50 and max of warm-up run times (ms), first inference apart. */
export function warmupTiming(firstInferenceMs: number, runMs: readonly number[]): WarmupTiming {
  if (runMs.length === 0) return { firstInferenceMs, runs: 0, p50Ms: 0, maxMs: 0 };
  const sorted = [...runMs].sort((a, b) => a - b);
  return { firstInferenceMs, runs: sorted.length, p50Ms: sorted[Math.ceil(sorted.length / 2) - 1]!, maxMs: sorted[sorted.length - 1]! };
}

export interface ProviderSelection<T> {
  readonly value: T;
  readonly active: ProviderName;
  readonly attempts: readonly ProviderAttempt[];
}

/**
 * Tries each provider in order: skipped when `probe` gives a reason, else `open` (which creates the
 * session and runs the first inference); the first that opens wins. Each failure is one log line and
 * never an exception; only when none opened does it throw (NoProviderError, E_NO_PROVIDER).
 */
export async function selectProvider<T>(args: {
  readonly order: readonly ProviderName[];
  readonly modelPath: string;
  readonly probe: (provider: ProviderName) => string | undefined;
  readonly open: (provider: ProviderName) => Promise<T>;
  readonly explain: (provider: ProviderName, err: unknown) => string;
  readonly log: (line: string) => void;
}): Promise<ProviderSelection<T>> {
  const attempts: ProviderAttempt[] = [];
  for (const provider of args.order) {
    const skip = args.probe(provider);
    if (skip !== undefined) {
      attempts.push({ provider, ok: false, reason: skip });
      logFailure(attempts.at(-1)!, args.modelPath, args.log);
      continue;
    }
    try {
      const value = await args.open(provider);
      attempts.push({ provider, ok: true, reason: '' });
      return { value, active: provider, attempts };
    } catch (err) {
      attempts.push({ provider, ok: false, reason: args.explain(provider, err) });
      logFailure(attempts.at(-1)!, args.modelPath, args.log);
    }
  }
  throw noProvider(args.modelPath, attempts);
}

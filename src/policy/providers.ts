/**
 * Execution-provider preference → ORT session options, one provider at a time. ORT throws (instead of
 * falling back) when a provider is unavailable, so the fallback is ours: try each, record why it failed.
 */
import type { InferenceSession } from 'onnxruntime-node';
import type { PilotConfig, ProviderName } from '../config/schema.js';
import { PilotError } from '../util/errors.js';

export interface ProviderAttempt {
  readonly provider: ProviderName;
  readonly ok: boolean;
  /** Why it was skipped; empty when it was chosen. */
  readonly reason: string;
}

export function providerOptions(provider: ProviderName, model: PilotConfig['model']): InferenceSession.ExecutionProviderConfig {
  switch (provider) {
    case 'tensorrt':
      return {
        name: 'tensorrt',
        deviceId: model.cuda.device_id,
        // Passed through to ORT's TensorRT provider options by name.
        trt_engine_cache_enable: true,
        trt_engine_cache_path: model.tensorrt.engine_cache_dir,
        trt_fp16_enable: model.tensorrt.fp16,
      } as InferenceSession.ExecutionProviderConfig;
    case 'cuda':
      return {
        name: 'cuda',
        deviceId: model.cuda.device_id,
        cudnn_conv_algo_search: 'EXHAUSTIVE',
        ...(model.cuda.memory_limit_mb ? { gpu_mem_limit: model.cuda.memory_limit_mb * 1024 * 1024 } : {}),
      } as InferenceSession.ExecutionProviderConfig;
    case 'webgpu':
      return { name: 'webgpu' };
    case 'cpu':
      return { name: 'cpu', useArena: true };
  }
}

/** One-line summary, e.g. `cpu (tensorrt: no CUDA libraries; cuda: ...)`. */
export function describeProviders(active: ProviderName, attempts: readonly ProviderAttempt[]): string {
  const skipped = attempts.filter((a) => !a.ok).map((a) => `${a.provider}: ${a.reason}`);
  return skipped.length ? `${active} (skipped ${skipped.join('; ')})` : active;
}

/** Session options for one provider attempt; the main thread and the inference worker use the same. */
export function sessionOptionsFor(provider: ProviderName, model: PilotConfig['model']): InferenceSession.SessionOptions {
  return {
    executionProviders: [providerOptions(provider, model)],
    intraOpNumThreads: model.intra_op_threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // ORT's own log repeats a provider failure over several lines; pilot logs one line instead.
    logSeverityLevel: provider === 'cpu' ? 2 : 4,
  };
}

export function logFailure(attempt: ProviderAttempt, modelPath: string, log: (line: string) => void): void {
  log(`pilot: execution provider '${attempt.provider}' unavailable for ${modelPath}: ${attempt.reason}`);
}

export function noProvider(modelPath: string, attempts: readonly ProviderAttempt[]): PilotError {
  return new PilotError('E_NO_PROVIDER', `no execution provider could load ${modelPath}: ${attempts.map((a) => `${a.provider}: ${a.reason}`).join('; ')}`);
}

export function firstLine(text: string): string {
  return (text.split('\n').find((l) => l.trim().length > 0) ?? text).trim().slice(0, 300);
}


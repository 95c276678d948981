/**
 * The policy a runtime config asks for: ONNX Runtime in this process (a chunked model always on the
 * worker thread, so the loop keeps publishing from the action queue while it computes), optionally
 * slowed down on purpose (tests, benchmarks), or a policy server in another process (`policy_server`).
 */
import type { PilotConfig } from '../../core/config/schema.js';
import { readModelContract } from './contract-file.js';
import { chunkOf, type ModelContract } from './contract.js';
import { DelayedPolicy } from './delayed-policy.js';
import { PolicySession, type Policy } from './policy-session.js';
import { RemotePolicy } from './remote-policy.js';

export interface CreatePolicyOptions {
  readonly log?: (line: string) => void;
  /** Every inference takes this much longer (ms), on purpose. Default 0. */
  readonly inferenceDelayMs?: number;
  /** Only the configured providers, without CPU appended. */
  readonly strictProviders?: boolean;
}

export async function createPolicy(config: Pick<PilotConfig, 'model' | 'policy_server'>, options: CreatePolicyOptions = {}): Promise<Policy> {
  const log = options.log ?? ((line: string) => console.warn(line));
  const delayMs = options.inferenceDelayMs ?? 0;
  if (config.policy_server) {
    const remote = await RemotePolicy.connect({ ...config.policy_server, expectModel: config.model.path, log });
    return delayMs > 0 ? new DelayedPolicy(remote, delayMs) : remote;
  }
  let model = config.model;
  const contract = model.inference_thread === 'main' ? peekContract(model.path) : undefined;
  if (model.inference_thread === 'main' && (delayMs > 0 || (contract && chunkOf(contract)))) {
    // The loop must not wait for the network: the worker thread computes while ticks go on.
    model = { ...model, inference_thread: 'worker' };
    log(`pilot: ${model.path}: ${delayMs > 0 ? 'inference delay' : 'chunked model'}: inference on a worker thread (model.inference_thread: main overridden)`);
  }
  const policy = await PolicySession.create({ model, log, ...(options.strictProviders ? { strictProviders: true } : {}) });
  return delayMs > 0 ? new DelayedPolicy(policy, delayMs) : policy;
}

/** The model's contract, or undefined when the file cannot be read or parsed (the loader then says why). */
export function peekContract(path: string): ModelContract | undefined {
  try {
    return readModelContract(path);
  } catch {
    return undefined;
  }
}

/**
 * The policy contract of the loop: what a tick needs from a network, whichever thread or process runs it.
 */
import type { ProviderName } from '../../core/config/schema.js';
import type { ModelContract } from './contract.js';
import type { ProviderAttempt, ProviderStartup } from './providers.js';

/** What the loop needs from a policy, whichever thread runs the network. */
export interface Policy {
  readonly contract: ModelContract;
  readonly modelPath: string;
  readonly activeProvider: ProviderName;
  readonly attempts: readonly ProviderAttempt[];
  readonly providerSummary: string;
  /** The start-up report: which provider runs the model, why the others were skipped, warm-up timings. */
  readonly startup: ProviderStartup;
  /** Preallocated input buffers by contract input name; the preprocessor writes into these. */
  readonly inputs: ReadonlyMap<string, Float32Array>;
  /** Preallocated output buffer (the contract's single output). */
  readonly output: Float32Array;
  /** True when `run` yields while the network computes, so a deadline timer can fire meanwhile. */
  readonly concurrent: boolean;
  run(): Promise<void>;
  dispose(): Promise<void>;
}

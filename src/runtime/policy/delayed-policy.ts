/**
 * A slow policy on purpose, for tests and benchmarks: every run takes `delayMs` longer than the network
 * (a timer after the inner run, so the loop thread stays free meanwhile, as with a large model on
 * another thread, process or machine). Stands in for a policy slower than the control period.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProviderName } from '../../core/config/schema.js';
import { PilotError } from '../../core/util/errors.js';
import { SampleWindow } from '../../core/util/sample-window.js';
import type { ModelContract } from './contract.js';
import type { Policy } from './policy-session.js';
import type { ProviderAttempt, ProviderStartup } from './providers.js';

export class DelayedPolicy implements Policy {
  readonly concurrent = true;
  /** Wall time of each whole run (network + delay), ms: what the loop waited for. */
  readonly runMs = new SampleWindow(65_536);

  constructor(
    readonly inner: Policy,
    readonly delayMs: number,
  ) {
    if (!(delayMs >= 0 && Number.isFinite(delayMs))) throw new PilotError('E_INFERENCE_DELAY', `inference delay must be a finite number ≥ 0 ms, got ${delayMs}`);
    if (!inner.concurrent) {
      throw new PilotError('E_INFERENCE_DELAY', `an inference delay needs a policy that runs off the loop thread (${inner.modelPath} runs on the main thread)`);
    }
  }

  get contract(): ModelContract {
    return this.inner.contract;
  }
  get modelPath(): string {
    return this.inner.modelPath;
  }
  get activeProvider(): ProviderName {
    return this.inner.activeProvider;
  }
  get attempts(): readonly ProviderAttempt[] {
    return this.inner.attempts;
  }
  get startup(): ProviderStartup {
    return this.inner.startup;
  }
  get providerSummary(): string {
    return `${this.inner.providerSummary}, +${this.delayMs} ms per inference on purpose`;
  }
  get inputs(): ReadonlyMap<string, Float32Array> {
    return this.inner.inputs;
  }
  get output(): Float32Array {
    return this.inner.output;
  }

  async run(): Promise<void> {
    // The inner policy takes its inputs before returning its promise; the delay comes after the network.
    const start = performance.now();
    await this.inner.run();
    await sleep(this.delayMs);
    this.runMs.push(performance.now() - start);
  }

  dispose(): Promise<void> {
    return this.inner.dispose();
  }
}

/**
 * The nan_policy fault: a Policy that runs the real one and then, while the fault is on, overwrites its
 * output with NaN, as a model with a NaN weight or an overflowing layer would. Everything else (inputs,
 * contract, provider report, disposal) is the wrapped policy's, so the runtime's preprocessing, decoder
 * and safety layer run unchanged; the safety layer must publish its fallback (reason `nonfinite`).
 */
import type { ProviderName } from '../../src/core/config/schema.js';
import type { ModelContract } from '../../src/runtime/index.js';
import type { Policy } from '../../src/runtime/index.js';
import type { ProviderAttempt, ProviderStartup } from '../../src/runtime/index.js';

export class NanPolicy implements Policy {
  /** Runs whose output was replaced. */
  injected = 0;
  readonly #inner: Policy;
  readonly #active: () => boolean;

  /** `active` is asked after each run (e.g. the fault injector's window check at the current sim time). */
  constructor(inner: Policy, active: () => boolean) {
    this.#inner = inner;
    this.#active = active;
  }

  get contract(): ModelContract {
    return this.#inner.contract;
  }
  get modelPath(): string {
    return this.#inner.modelPath;
  }
  get activeProvider(): ProviderName {
    return this.#inner.activeProvider;
  }
  get attempts(): readonly ProviderAttempt[] {
    return this.#inner.attempts;
  }
  get providerSummary(): string {
    return this.#inner.providerSummary;
  }
  get startup(): ProviderStartup {
    return this.#inner.startup;
  }
  get inputs(): ReadonlyMap<string, Float32Array> {
    return this.#inner.inputs;
  }
  get output(): Float32Array {
    return this.#inner.output;
  }
  get concurrent(): boolean {
    return this.#inner.concurrent;
  }

  async run(): Promise<void> {
    await this.#inner.run();
    if (!this.#active()) return;
    this.#inner.output.fill(Number.NaN);
    this.injected++;
  }

  dispose(): Promise<void> {
    return this.#inner.dispose();
  }
}

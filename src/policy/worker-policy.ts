/**
 * A policy whose network runs on a worker thread. `run` yields while the worker computes, so the
 * loop can publish a missed deadline's fallback on time. Inputs are double-buffered: the
 * preprocessor writes local arrays, `run` copies them into shared memory before signalling.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { PilotConfig, ProviderName } from '../config/schema.js';
import { packageRoot } from '../util/package-root.js';
import { PilotError } from '../util/errors.js';
import type { ModelContract } from './contract.js';
import type { Policy } from './policy-session.js';
import { describeProviders, logFailure, noProvider, sessionOptionsFor, type ProviderAttempt } from './providers.js';

const IDLE = 0;
const RUN = 1;
const DONE = 2;
const ERROR = 3;
const STOP = 4;

/** Node 20 has Atomics.waitAsync; TypeScript's ES2022 lib does not declare it. */
const waitAsync = (Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number): { async: boolean; value: Promise<string> | string };
}).waitAsync;

interface Slot {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly length: number;
}

type WorkerReply =
  | { type: 'ready'; attempts: ProviderAttempt[]; active: ProviderName }
  | { type: 'failed'; attempts: ProviderAttempt[] }
  | { type: 'error'; message: string };

export class WorkerPolicy implements Policy {
  readonly concurrent = true;
  readonly inputs: ReadonlyMap<string, Float32Array>;
  readonly output: Float32Array;
  readonly #state: Int32Array;
  readonly #copies: readonly { local: Float32Array; shared: Float32Array }[];
  #lastError = '';
  #dead = '';

  private constructor(
    readonly contract: ModelContract,
    readonly modelPath: string,
    readonly activeProvider: ProviderName,
    readonly attempts: readonly ProviderAttempt[],
    readonly worker: Worker,
    control: SharedArrayBuffer,
    shared: Float32Array,
    inputSlots: readonly Slot[],
    outputSlot: Slot,
  ) {
    this.#state = new Int32Array(control);
    const inputs = new Map<string, Float32Array>();
    this.#copies = inputSlots.map((slot) => {
      const local = new Float32Array(slot.length);
      inputs.set(slot.name, local);
      return { local, shared: shared.subarray(slot.offset, slot.offset + slot.length) };
    });
    this.inputs = inputs;
    this.output = shared.subarray(outputSlot.offset, outputSlot.offset + outputSlot.length);
    worker.on('message', (m: WorkerReply) => {
      if (m.type === 'error') this.#lastError = m.message;
    });
    worker.on('error', (err) => (this.#dead = `inference worker crashed: ${err.message}`));
    worker.on('exit', (code) => (this.#dead ||= `inference worker exited with code ${code}`));
  }

  static async create(bytes: Uint8Array, contract: ModelContract, model: PilotConfig['model'], log: (line: string) => void): Promise<WorkerPolicy> {
    let offset = 0;
    const slot = (name: string, shape: readonly number[]): Slot => {
      const length = shape.reduce((a, b) => a * b, 1);
      const s = { name, shape, offset, length };
      offset += length;
      return s;
    };
    const inputSlots = contract.inputs.map((i) => slot(i.name, i.shape));
    const out = contract.outputs[0]!;
    const outputSlot = slot(out.name, out.shape);
    const shared = new Float32Array(new SharedArrayBuffer(offset * 4));
    const control = new SharedArrayBuffer(4);
    const worker = new Worker(join(packageRoot(), 'src/policy/inference-worker.mjs'), {
      workerData: {
        bytes,
        candidates: model.providers.map((provider) => ({ provider, options: sessionOptionsFor(provider, model) })),
        logLevel: model.ort_log_level,
        inputs: inputSlots,
        output: outputSlot,
        shared: shared.buffer,
        control,
        warmupRuns: model.warmup_runs,
      },
    });
    const reply = await new Promise<WorkerReply>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', (err) => reject(new PilotError('E_INFERENCE_WORKER', `inference worker for ${model.path} failed to start: ${err.message}`)));
    });
    if (reply.type !== 'ready') {
      await worker.terminate();
      const attempts = reply.type === 'failed' ? reply.attempts : [];
      attempts.filter((a) => !a.ok).forEach((a) => logFailure(a, model.path, log));
      throw noProvider(model.path, attempts);
    }
    reply.attempts.filter((a) => !a.ok).forEach((a) => logFailure(a, model.path, log));
    return new WorkerPolicy(contract, model.path, reply.active, reply.attempts, worker, control, shared, inputSlots, outputSlot);
  }

  get providerSummary(): string {
    return `${describeProviders(this.activeProvider, this.attempts)} on a worker thread`;
  }

  async run(): Promise<void> {
    if (this.#dead) throw new PilotError('E_INFERENCE_WORKER', this.#dead);
    if (Atomics.load(this.#state, 0) !== IDLE) throw new PilotError('E_INFERENCE_BUSY', 'a run is already in flight');
    for (let i = 0; i < this.#copies.length; i++) this.#copies[i]!.shared.set(this.#copies[i]!.local);
    Atomics.store(this.#state, 0, RUN);
    Atomics.notify(this.#state, 0);
    const wait = waitAsync(this.#state, 0, RUN);
    if (wait.async) await wait.value;
    const result = Atomics.load(this.#state, 0);
    Atomics.store(this.#state, 0, IDLE);
    if (result !== DONE) throw new PilotError('E_INFERENCE', this.#lastError || `inference worker ended the run in state ${result}`);
  }

  async dispose(): Promise<void> {
    Atomics.store(this.#state, 0, STOP);
    Atomics.notify(this.#state, 0);
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, 2000).unref());
    await Promise.race([exited, timeout]);
    await this.worker.terminate();
  }
}

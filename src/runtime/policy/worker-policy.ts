/**
 * A policy whose network runs on a worker thread. `run` yields while the worker computes, so the
 * loop can publish a missed deadline's fallback on time. Inputs are double-buffered: the
 * preprocessor writes local arrays, `run` copies them into shared memory before signalling.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { PilotConfig, ProviderName } from '../../core/config/schema.js';
import { packageRoot } from '../../core/util/package-root.js';
import { PilotError } from '../../core/util/errors.js';
import type { ModelContract } from './contract.js';
import type { Policy } from './policy-session.js';
import {
  describeProviders,
  explainFailure,
  logFailure,
  noProvider,
  planCandidate,
  probeProvider,
  startupLine,
  warmupTiming,
  type ProviderAttempt,
  type ProviderCandidate,
  type ProviderEnvironment,
  type ProviderStartup,
} from './providers.js';

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

/** A provider the worker tried: `stage` says whether the session or the first inference failed. */
interface WorkerAttempt {
  readonly provider: ProviderName;
  readonly ok: boolean;
  readonly stage: 'session' | 'first';
  readonly message: string;
}

type WorkerReply =
  | { type: 'ready'; attempts: WorkerAttempt[]; active: ProviderName; firstInferenceMs: number; warmupMs: number[]; copyOutputs: boolean }
  | { type: 'failed'; attempts: WorkerAttempt[] }
  | { type: 'error'; message: string };

export interface WorkerPolicyOptions {
  readonly bytes: Uint8Array;
  readonly contract: ModelContract;
  readonly model: PilotConfig['model'];
  readonly log: (line: string) => void;
  readonly env: ProviderEnvironment;
  /** Providers to try, CPU already appended unless strict. */
  readonly order: readonly ProviderName[];
  readonly cpuAppended: boolean;
  /** Short hash of the model bytes (names the TensorRT engine cache entry). */
  readonly modelKey: string;
}

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
    readonly startup: ProviderStartup,
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

  static async create(options: WorkerPolicyOptions): Promise<WorkerPolicy> {
    const { contract, model, log, env } = options;
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
    // Providers ruled out by what is installed never reach the worker; the rest are planned here.
    const skipped = new Map<ProviderName, string>();
    const candidates: ProviderCandidate[] = [];
    for (const provider of options.order) {
      const reason = probeProvider(provider, env);
      if (reason !== undefined) skipped.set(provider, reason);
      else candidates.push(planCandidate(provider, model, { modelPath: model.path, modelKey: options.modelKey, env, allowDeviceOutputs: false }));
    }
    for (const c of candidates) if (c.ensureDir) env.ensureDir(c.ensureDir);
    const worker = new Worker(join(packageRoot(), 'src/runtime/policy/inference-worker.mjs'), {
      workerData: {
        bytes: options.bytes,
        candidates: candidates.map((c) => ({ provider: c.provider, options: c.options, path: c.source.kind === 'file' ? c.source.path : null })),
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
    const tried = new Map<ProviderName, WorkerAttempt>(reply.type === 'error' ? [] : reply.attempts.map((a) => [a.provider, a]));
    const attempts: ProviderAttempt[] = [];
    for (const provider of options.order) {
      const skip = skipped.get(provider);
      const a = tried.get(provider);
      if (skip !== undefined) attempts.push({ provider, ok: false, reason: skip });
      else if (a) attempts.push({ provider, ok: a.ok, reason: a.ok ? '' : (a.stage === 'first' ? 'first inference failed: ' : '') + explainFailure(provider, a.message, env) });
    }
    attempts.filter((a) => !a.ok).forEach((a) => logFailure(a, model.path, log));
    if (reply.type !== 'ready') {
      await worker.terminate();
      if (reply.type === 'error') throw new PilotError('E_INFERENCE_WORKER', `inference worker for ${model.path}: ${reply.message}`);
      throw noProvider(model.path, attempts);
    }
    const candidate = candidates.find((c) => c.provider === reply.active)!;
    const startup: ProviderStartup = {
      modelPath: model.path,
      active: reply.active,
      attempts,
      cpuAppended: options.cpuAppended,
      thread: 'worker',
      warmup: warmupTiming(reply.firstInferenceMs, reply.warmupMs),
      outputs: reply.copyOutputs
        ? 'host memory allocated by ORT each run, copied into shared memory for the loop thread'
        : 'preallocated host buffer on the worker, copied into shared memory for the loop thread',
      notes: [
        ...candidate.notes,
        ...(candidate.cacheFile && candidate.source.kind === 'bytes' && !env.exists(candidate.cacheFile)
          ? [`TensorRT did not write ${candidate.cacheFile}: the engine will be built again at the next start`]
          : []),
        ...candidate.notApplied.map((n) => `not applied: ${n}`),
      ],
    };
    log(startupLine(startup));
    return new WorkerPolicy(contract, model.path, startup, worker, control, shared, inputSlots, outputSlot);
  }

  get activeProvider(): ProviderName {
    return this.startup.active;
  }

  get attempts(): readonly ProviderAttempt[] {
    return this.startup.attempts;
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

/**
 * The session runner: loads the ONNX model with the first execution provider that works (CPU last),
 * checks the model contract against the graph, preallocates every input and output tensor, runs the
 * first inference as part of choosing the provider (a provider that loads but cannot run is skipped
 * too), and warms up. The first inference runs on a neutral input and a non-finite answer refuses the
 * model (model-check.ts). `run()` feeds the preallocated inputs and leaves the result in `output`.
 */
import { createHash } from 'node:crypto';
import * as ort from 'onnxruntime-node';
import { checkDeployable } from './eval-record.js';
import type { PilotConfig, ProviderName } from '../../core/config/schema.js';
import { readOnnxInfo, type OnnxInfo, type OnnxValueInfo } from '../../core/onnx/onnx-read.js';
import { PilotError } from '../../core/util/errors.js';
import { CONTRACT_METADATA_KEY, parseContract, type ModelContract } from './contract.js';
import { checkFiniteOutput, clearInputs, fillNeutralInputs } from './model-check.js';
import { nodeProviderEnvironment } from './provider-environment.js';
import {
  describeProviders,
  explainFailure,
  planCandidate,
  probeProvider,
  providerOrder,
  selectProvider,
  startupLine,
  warmupTiming,
  withHostOutputs,
  type ProviderAttempt,
  type ProviderCandidate,
  type ProviderEnvironment,
  type ProviderStartup,
} from './providers.js';
import type { Policy } from './policy.js';
import { WorkerPolicy } from './worker-policy.js';
import { readModelFile } from '../../core/onnx/model-file.js';

export interface PolicySessionOptions {
  readonly model: PilotConfig['model'];
  /** Log sink: one line per skipped provider, then the start-up headline. Defaults to console.warn. */
  readonly log?: (line: string) => void;
  /** Try only the configured providers, without CPU appended (a benchmark of one provider). */
  readonly strictProviders?: boolean;
  /** What is installed; tests pass a made-up machine. Defaults to this process's. */
  readonly environment?: ProviderEnvironment;
  /** Monotonic milliseconds for the warm-up timings. Defaults to performance.now. */
  readonly now?: () => number;
}

export type { Policy } from './policy.js';

/**
 * How the output reaches `output`: ORT writes into our tensor (`preallocated`); ORT returns a host
 * tensor we copy (`copy`, for builds that refuse preallocated outputs); or ORT returns a device tensor
 * (`device`, preferredOutputLocation 'gpu-buffer') that is read back into `output`.
 */
type OutputMode = 'preallocated' | 'copy' | 'device';

interface OpenContext {
  readonly bytes: Uint8Array;
  readonly contract: ModelContract;
  readonly modelPath: string;
  readonly env: ProviderEnvironment;
  readonly now: () => number;
}

/** The first inference failed: the provider loads the model but cannot run it. */
class FirstInferenceError extends Error {}
/** The device output could not be read back to the host. */
class DeviceReadbackError extends Error {}

export class PolicySession implements Policy {
  readonly concurrent = false;
  /** Preallocated input buffers by contract input name; the preprocessor writes into these. */
  readonly inputs: ReadonlyMap<string, Float32Array>;
  /** Preallocated output buffer (the contract's single output). */
  readonly output: Float32Array;
  readonly #feeds: Record<string, ort.Tensor>;
  readonly #fetches: Record<string, ort.Tensor>;
  readonly #outputName: string;
  #mode: OutputMode;
  /**
   * The start-up report; set once by create(), before the policy is handed out. A plain property (not
   * #private) so wrappers made with Object.create(policy) still read it through the prototype.
   */
  startup!: ProviderStartup;

  private constructor(
    readonly session: ort.InferenceSession,
    readonly contract: ModelContract,
    readonly modelPath: string,
    readonly candidate: ProviderCandidate,
  ) {
    const inputs = new Map<string, Float32Array>();
    this.#feeds = {};
    for (const input of contract.inputs) {
      const size = input.shape.reduce((a, b) => a * b, 1);
      const buffer = new Float32Array(size);
      inputs.set(input.name, buffer);
      this.#feeds[input.name] = new ort.Tensor('float32', buffer, input.shape);
    }
    this.inputs = inputs;
    const out = contract.outputs[0]!;
    this.#outputName = out.name;
    // All dimensions: a chunked output is [steps, fields] or [1, steps, fields].
    this.output = new Float32Array(out.shape.reduce((a, b) => a * b, 1));
    this.#fetches = { [out.name]: new ort.Tensor('float32', this.output, out.shape) };
    this.#mode = candidate.deviceOutputs ? 'device' : 'preallocated';
  }

  /** Load, pick a provider, check the contract, warm up. Every failure names the model file. */
  static async create(options: PolicySessionOptions): Promise<Policy> {
    const { model } = options;
    const log = options.log ?? ((line: string) => console.warn(line));
    const now = options.now ?? (() => performance.now());
    const bytes = readModelFile(model.path);
    // After the read: a missing file is "file not found", not "not evaluated".
    if (model.require_eval) checkDeployable(model.path);
    const info = readOnnxInfo(bytes, model.path);
    const contract = parseContract(info.metadata[CONTRACT_METADATA_KEY], model.path);
    checkContractAgainstGraph(contract, info, model.path);
    const env = options.environment ?? nodeProviderEnvironment();
    const { order, cpuAppended } = providerOrder(model.providers, options.strictProviders);
    const modelKey = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
    if (model.inference_thread === 'worker') {
      return checkWorkerPolicy(await WorkerPolicy.create({ bytes, contract, model, log, env, order, cpuAppended, modelKey }), model, log);
    }

    ort.env.logLevel = model.ort_log_level;
    const selection = await selectProvider({
      order,
      modelPath: model.path,
      probe: (provider) => probeProvider(provider, env),
      open: (provider) => PolicySession.#open(planCandidate(provider, model, { modelPath: model.path, modelKey, env }), { bytes, contract, modelPath: model.path, env, now }),
      explain: (provider, err) =>
        (err instanceof FirstInferenceError ? 'first inference failed: ' : '') + explainFailure(provider, (err as Error).message ?? String(err), env),
      log,
    });
    const { policy, firstInferenceMs } = selection.value;
    let nonFinite: string | undefined;
    const runs: number[] = [];
    try {
      // The first inference ran on the neutral input (#open): its output is still in `output`.
      nonFinite = checkFiniteOutput({ modelPath: model.path, contract, output: policy.output, provider: selection.active, allow: model.allow_nonfinite, log });
      for (let i = 1; i < model.warmup_runs; i++) {
        const start = now();
        await policy.run();
        runs.push(now() - start);
      }
    } catch (err) {
      await policy.dispose().catch(() => {});
      if (err instanceof PilotError) throw err;
      throw new PilotError('E_INFERENCE', `${model.path}: warm-up run ${runs.length + 2} failed on ${selection.active}: ${explainFailure(selection.active, (err as Error).message, env)}`);
    }
    clearInputs(policy.inputs);
    const candidate = policy.candidate;
    const cacheNote =
      candidate.cacheFile && candidate.source.kind === 'bytes' && !env.exists(candidate.cacheFile)
        ? [`TensorRT did not write ${candidate.cacheFile}: the engine will be built again at the next start`]
        : [];
    policy.startup = {
      modelPath: model.path,
      active: selection.active,
      attempts: selection.attempts,
      cpuAppended,
      thread: 'main',
      warmup: warmupTiming(firstInferenceMs, runs),
      outputs: describeOutputs(policy.#mode, selection.active),
      notes: [...candidate.notes, ...cacheNote, ...candidate.notApplied.map((n) => `not applied: ${n}`), ...(nonFinite ? [nonFinite] : [])],
    };
    log(startupLine(policy.startup));
    return policy;
  }

  /** Creates the session and runs the first inference; throws when either fails (the provider is skipped). */
  static async #open(candidate: ProviderCandidate, model: OpenContext): Promise<{ policy: PolicySession; firstInferenceMs: number }> {
    const { env, now } = model;
    if (candidate.ensureDir) env.ensureDir(candidate.ensureDir);
    // A file source is TensorRT's engine model: opened by path so the engine file resolves beside it.
    const session =
      candidate.source.kind === 'file'
        ? await ort.InferenceSession.create(candidate.source.path, candidate.options)
        : await ort.InferenceSession.create(model.bytes, candidate.options);
    const policy = new PolicySession(session, model.contract, model.modelPath, candidate);
    fillNeutralInputs(model.contract, policy.inputs);
    const start = now();
    try {
      await policy.#firstInference();
    } catch (err) {
      await session.release().catch(() => {});
      if (err instanceof DeviceReadbackError) {
        const hostOnly = withHostOutputs(candidate, `onnxruntime-node could not read the device output back (${(err.message || 'no reason').slice(0, 120)}), so ORT copies it to the host`);
        return PolicySession.#open(hostOnly, model);
      }
      throw err;
    }
    return { policy, firstInferenceMs: now() - start };
  }

  get activeProvider(): ProviderName {
    return this.startup.active;
  }

  get attempts(): readonly ProviderAttempt[] {
    return this.startup.attempts;
  }

  get providerSummary(): string {
    return describeProviders(this.activeProvider, this.attempts);
  }

  /** Run once on the current input buffers; the result is in `output` when the promise resolves. */
  run(): Promise<void> {
    return this.#run(this.#feeds);
  }

  /**
   * Run once on other buffers than `inputs` (one per contract input, its element count): the policy
   * server feeds a request's frames to the network without copying them. `inputs` are left as they are.
   */
  runOn(buffers: ReadonlyMap<string, Float32Array>): Promise<void> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const input of this.contract.inputs) {
      const buffer = buffers.get(input.name);
      if (!buffer || buffer.length !== this.inputs.get(input.name)!.length) {
        throw new PilotError('E_POLICY_SHAPE', `runOn: input '${input.name}' ${buffer ? `has ${buffer.length} elements, expected ${this.inputs.get(input.name)!.length}` : 'is missing'}`);
      }
      feeds[input.name] = new ort.Tensor('float32', buffer, input.shape);
    }
    return this.#run(feeds);
  }

  async #run(feeds: Record<string, ort.Tensor>): Promise<void> {
    switch (this.#mode) {
      case 'preallocated':
        await this.session.run(feeds, this.#fetches);
        return;
      case 'copy': {
        const result = await this.session.run(feeds);
        this.output.set(result[this.#outputName]!.data as Float32Array);
        return;
      }
      case 'device': {
        const result = await this.session.run(feeds);
        const tensor = result[this.#outputName]!;
        // Off the device only here, because the safety layer reads the command on the host.
        this.output.set((tensor.location === 'gpu-buffer' ? await tensor.getData(true) : tensor.data) as Float32Array);
        return;
      }
    }
  }

  /** The first run also settles how the output reaches `output`. */
  async #firstInference(): Promise<void> {
    if (this.#mode === 'device') {
      let tensor: ort.Tensor;
      try {
        tensor = (await this.session.run(this.#feeds))[this.#outputName]!;
      } catch (err) {
        throw new FirstInferenceError((err as Error).message);
      }
      if (tensor.location !== 'gpu-buffer') {
        this.output.set(tensor.data as Float32Array);
        return;
      }
      try {
        this.output.set((await tensor.getData(true)) as Float32Array);
      } catch (err) {
        throw new DeviceReadbackError((err as Error).message);
      }
      return;
    }
    try {
      await this.session.run(this.#feeds, this.#fetches);
      return;
    } catch {
      // This build/provider may refuse preallocated outputs: try once more letting ORT allocate.
    }
    try {
      await this.session.run(this.#feeds);
      this.#mode = 'copy';
      await this.run();
    } catch (err) {
      throw new FirstInferenceError((err as Error).message);
    }
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

/**
 * The worker runs its first inference on zeros and keeps the result to itself: one more run here, on
 * the neutral input, is the model check. A refused model's worker is stopped.
 */
async function checkWorkerPolicy(policy: WorkerPolicy, model: PilotConfig['model'], log: (line: string) => void): Promise<WorkerPolicy> {
  try {
    fillNeutralInputs(policy.contract, policy.inputs);
    try {
      await policy.run();
    } catch (err) {
      throw new PilotError('E_INFERENCE', `${model.path}: the check run on a neutral input failed on ${policy.activeProvider} (worker thread): ${(err as Error).message}`);
    }
    checkFiniteOutput({ modelPath: model.path, contract: policy.contract, output: policy.output, provider: `${policy.activeProvider} (worker thread)`, allow: model.allow_nonfinite, log });
    clearInputs(policy.inputs);
    return policy;
  } catch (err) {
    await policy.dispose().catch(() => {});
    throw err;
  }
}

function describeOutputs(mode: OutputMode, provider: ProviderName): string {
  switch (mode) {
    case 'preallocated':
      return provider === 'cpu'
        ? "host memory, preallocated: ORT writes into pilot's output buffer"
        : `preallocated host buffer: ORT copies the ${provider} output into it after each run`;
    case 'copy':
      return "host memory allocated by ORT each run, copied into pilot's buffer (this build refused preallocated outputs)";
    case 'device':
      return "device memory (gpu-buffer), read back into pilot's host buffer each run for the safety layer";
  }
}

/** The contract must describe the graph exactly: names, shapes (symbolic dims accept anything), float32. */
export function checkContractAgainstGraph(contract: ModelContract, info: OnnxInfo, source: string): void {
  const check = (kind: 'input' | 'output', name: string, shape: readonly number[], values: readonly OnnxValueInfo[]) => {
    const v = values.find((x) => x.name === name);
    if (!v) {
      throw new PilotError('E_MODEL_CONTRACT', `${source}: contract ${kind} '${name}' is not a graph ${kind} (graph has ${values.map((x) => x.name).join(', ')})`);
    }
    if (v.elemType !== 'float') {
      throw new PilotError('E_MODEL_CONTRACT', `${source}: ${kind} '${name}': expected float32 tensor, graph has ${v.elemType}`);
    }
    const matches = v.dims.length === shape.length && v.dims.every((d, i) => typeof d !== 'number' || d === shape[i]);
    if (!matches) {
      throw new PilotError('E_MODEL_SHAPE', `${source}: ${kind} '${name}': contract shape [${shape.join(',')}] ≠ graph shape [${v.dims.join(',')}]`);
    }
  };
  for (const input of contract.inputs) check('input', input.name, input.shape, info.inputs);
  for (const output of contract.outputs) check('output', output.name, output.shape, info.outputs);
  const covered = new Set(contract.inputs.map((i) => i.name));
  const missing = info.inputs.map((i) => i.name).filter((n) => !covered.has(n));
  if (missing.length) throw new PilotError('E_MODEL_CONTRACT', `${source}: graph inputs without a contract entry: ${missing.join(', ')}`);
}

/**
 * The session runner: loads the ONNX model with the first execution provider that works, checks the
 * model contract against the graph, preallocates every input and output tensor, and warms up.
 * `run()` feeds the preallocated inputs and leaves the result in the preallocated output.
 */
import { checkDeployable } from '../eval/eval-record.js';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import type { PilotConfig, ProviderName } from '../config/schema.js';
import { readOnnxInfo, type OnnxInfo, type OnnxValueInfo } from '../export/onnx-read.js';
import { PilotError } from '../util/errors.js';
import { CONTRACT_METADATA_KEY, parseContract, type ModelContract } from './contract.js';
import { describeProviders, firstLine, logFailure, noProvider, sessionOptionsFor, type ProviderAttempt } from './providers.js';
import { WorkerPolicy } from './worker-policy.js';

export interface PolicySessionOptions {
  readonly model: PilotConfig['model'];
  /** Log sink for provider fallbacks; defaults to console.warn. */
  readonly log?: (line: string) => void;
}

/** What the loop needs from a policy, whichever thread runs the network. */
export interface Policy {
  readonly contract: ModelContract;
  readonly modelPath: string;
  readonly activeProvider: ProviderName;
  readonly attempts: readonly ProviderAttempt[];
  readonly providerSummary: string;
  /** Preallocated input buffers by contract input name; the preprocessor writes into these. */
  readonly inputs: ReadonlyMap<string, Float32Array>;
  /** Preallocated output buffer (the contract's single output). */
  readonly output: Float32Array;
  /** True when `run` yields while the network computes, so a deadline timer can fire meanwhile. */
  readonly concurrent: boolean;
  run(): Promise<void>;
  dispose(): Promise<void>;
}

export class PolicySession implements Policy {
  readonly concurrent = false;
  /** Preallocated input buffers by contract input name; the preprocessor writes into these. */
  readonly inputs: ReadonlyMap<string, Float32Array>;
  /** Preallocated output buffer (the contract's single output). */
  readonly output: Float32Array;
  readonly #feeds: Record<string, ort.Tensor>;
  readonly #fetches: Record<string, ort.Tensor>;
  readonly #outputName: string;
  /** Whether ORT writes straight into our output tensor (preallocated output); otherwise we copy. */
  #preallocatedOutput = true;

  private constructor(
    readonly session: ort.InferenceSession,
    readonly contract: ModelContract,
    readonly modelPath: string,
    readonly activeProvider: ProviderName,
    readonly attempts: readonly ProviderAttempt[],
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
    this.output = new Float32Array(out.shape[0]! * out.shape[1]!);
    this.#fetches = { [out.name]: new ort.Tensor('float32', this.output, out.shape) };
  }

  /** Load, pick a provider, check the contract, warm up. Every failure names the model file. */
  static async create(options: PolicySessionOptions): Promise<Policy> {
    const { model } = options;
    const log = options.log ?? ((line: string) => console.warn(line));
    if (model.require_eval) checkDeployable(model.path);
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(model.path);
    } catch (err) {
      throw new PilotError('E_MODEL_FILE', `cannot read model ${model.path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const info = readOnnxInfo(bytes, model.path);
    const contract = parseContract(info.metadata[CONTRACT_METADATA_KEY], model.path);
    checkContractAgainstGraph(contract, info, model.path);
    if (model.inference_thread === 'worker') return WorkerPolicy.create(bytes, contract, model, log);

    ort.env.logLevel = model.ort_log_level;
    const attempts: ProviderAttempt[] = [];
    let session: ort.InferenceSession | undefined;
    let active: ProviderName | undefined;
    for (const provider of model.providers) {
      try {
        session = await ort.InferenceSession.create(bytes, sessionOptionsFor(provider, model));
        active = provider;
        attempts.push({ provider, ok: true, reason: '' });
        break;
      } catch (err) {
        attempts.push({ provider, ok: false, reason: firstLine((err as Error).message) });
        logFailure(attempts.at(-1)!, model.path, log);
      }
    }
    if (!session || !active) throw noProvider(model.path, attempts);
    const policy = new PolicySession(session, contract, model.path, active, attempts);
    await policy.warmUp(model.warmup_runs);
    return policy;
  }

  get providerSummary(): string {
    return describeProviders(this.activeProvider, this.attempts);
  }

  /** Run once on the current input buffers; the result is in `output` when the promise resolves. */
  async run(): Promise<void> {
    if (this.#preallocatedOutput) {
      await this.session.run(this.#feeds, this.#fetches);
      return;
    }
    const result = await this.session.run(this.#feeds);
    this.output.set(result[this.#outputName]!.data as Float32Array);
  }

  /** First runs pay for allocation and kernel selection: do them before the loop starts. */
  async warmUp(runs: number): Promise<void> {
    try {
      await this.session.run(this.#feeds, this.#fetches);
    } catch {
      // This build/provider does not accept preallocated outputs: copy instead.
      this.#preallocatedOutput = false;
    }
    for (let i = 1; i < runs; i++) await this.run();
  }

  async dispose(): Promise<void> {
    await this.session.release();
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

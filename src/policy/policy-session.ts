/**
 * The session runner: loads the ONNX model with the first execution provider that works, checks the
 * model contract against the graph, preallocates every input and output tensor, and warms up.
 * `run()` feeds the preallocated inputs and leaves the result in the preallocated output.
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import type { PilotConfig, ProviderName } from '../config/schema.js';
import { readOnnxInfo } from '../export/onnx-read.js';
import { PilotError } from '../util/errors.js';
import { CONTRACT_METADATA_KEY, parseContract, type ModelContract } from './contract.js';
import { describeProviders, providerOptions, type ProviderAttempt } from './providers.js';

export interface PolicySessionOptions {
  readonly model: PilotConfig['model'];
  /** Log sink for provider fallbacks; defaults to console.warn. */
  readonly log?: (line: string) => void;
}

export class PolicySession {
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
  static async create(options: PolicySessionOptions): Promise<PolicySession> {
    const { model } = options;
    const log = options.log ?? ((line: string) => console.warn(line));
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(model.path);
    } catch (err) {
      throw new PilotError('E_MODEL_FILE', `cannot read model ${model.path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const info = readOnnxInfo(bytes, model.path);
    const contract = parseContract(info.metadata[CONTRACT_METADATA_KEY], model.path);

    ort.env.logLevel = model.ort_log_level;
    const attempts: ProviderAttempt[] = [];
    let session: ort.InferenceSession | undefined;
    let active: ProviderName | undefined;
    for (const provider of model.providers) {
      try {
        session = await ort.InferenceSession.create(bytes, {
          executionProviders: [providerOptions(provider, model)],
          intraOpNumThreads: model.intra_op_threads,
          interOpNumThreads: 1,
          executionMode: 'sequential',
          graphOptimizationLevel: 'all',
          // ORT's own log repeats a provider failure over several lines; we log one line below.
          logSeverityLevel: provider === 'cpu' ? 2 : 4,
        });
        active = provider;
        attempts.push({ provider, ok: true, reason: '' });
        break;
      } catch (err) {
        const reason = firstLine((err as Error).message);
        attempts.push({ provider, ok: false, reason });
        log(`pilot: execution provider '${provider}' unavailable for ${model.path}: ${reason}`);
      }
    }
    if (!session || !active) {
      throw new PilotError(
        'E_NO_PROVIDER',
        `no execution provider could load ${model.path}: ${attempts.map((a) => `${a.provider}: ${a.reason}`).join('; ')}`,
      );
    }
    checkContractAgainstGraph(contract, session, model.path);
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

function firstLine(text: string): string {
  return (text.split('\n').find((l) => l.trim().length > 0) ?? text).trim().slice(0, 300);
}

/** The contract must describe the graph exactly: names, shapes (symbolic dims accept anything), float32. */
function checkContractAgainstGraph(contract: ModelContract, session: ort.InferenceSession, source: string): void {
  const check = (kind: 'input' | 'output', name: string, shape: readonly number[], meta: readonly ort.InferenceSession.ValueMetadata[]) => {
    const m = meta.find((v) => v.name === name);
    if (!m) {
      throw new PilotError('E_MODEL_CONTRACT', `${source}: contract ${kind} '${name}' is not a graph ${kind} (graph has ${meta.map((v) => v.name).join(', ')})`);
    }
    if (!m.isTensor || m.type !== 'float32') {
      throw new PilotError('E_MODEL_CONTRACT', `${source}: ${kind} '${name}': expected float32 tensor, graph has ${m.isTensor ? m.type : 'non-tensor'}`);
    }
    const graphShape = m.shape;
    const matches = graphShape.length === shape.length && graphShape.every((d, i) => typeof d !== 'number' || d === shape[i]);
    if (!matches) {
      throw new PilotError('E_MODEL_SHAPE', `${source}: ${kind} '${name}': contract shape [${shape.join(',')}] ≠ graph shape [${graphShape.join(',')}]`);
    }
  };
  for (const input of contract.inputs) check('input', input.name, input.shape, session.inputMetadata);
  for (const output of contract.outputs) check('output', output.name, output.shape, session.outputMetadata);
  const covered = new Set(contract.inputs.map((i) => i.name));
  const missing = session.inputNames.filter((n) => !covered.has(n));
  if (missing.length) throw new PilotError('E_MODEL_CONTRACT', `${source}: graph inputs without a contract entry: ${missing.join(', ')}`);
}

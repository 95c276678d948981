/**
 * `pilot serve`: a policy in its own process, answering `pilot.policy/1` requests (server-protocol.ts)
 * on a ZeroMQ ROUTER socket, one at a time. Loopback or ipc only unless allowed. A bad request gets an
 * error reply naming the tensor and what was wrong, never a crash; the server keeps serving.
 */
import { createHash, randomUUID } from 'node:crypto';
import { endianness } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import * as zmq from 'zeromq';
import { assertBindable } from '../../transport/endpoints.js';
import { PilotError } from '../../core/util/errors.js';
import { SampleWindow } from '../../core/util/sample-window.js';
import { PolicySession, type Policy } from './policy-session.js';
import {
  decodeHeader,
  encodeHeader,
  matchTensors,
  POLICY_PROTOCOL,
  readFloat32Frame,
  type ServerMessage,
  type TensorSpec,
} from './server-protocol.js';

const LITTLE_ENDIAN = endianness() === 'LE';

export interface PolicyServerOptions {
  readonly endpoint: string;
  readonly allowRemote?: boolean;
  /** How the user allows a non-loopback endpoint, named in E_NOT_LOOPBACK; default pilot serve's flag. */
  readonly allowRemoteSetting?: string;
  readonly policy: Policy;
  /** The model file's bytes, for the sha256 in the hello. */
  readonly modelBytes: Uint8Array;
  /** Added to every inference on purpose (ms): a slow server for tests and benchmarks. */
  readonly inferenceDelayMs?: number;
  readonly log?: (line: string) => void;
}

export interface PolicyServerStats {
  hellos: number;
  requests: number;
  /** Requests answered with an error (bad request, failed inference). */
  errors: number;
  /** Requests whose frames the network read in place (no copy into the policy's inputs). */
  inPlace: number;
}

export class PolicyServer {
  readonly serverId = randomUUID();
  readonly stats: PolicyServerStats = { hellos: 0, requests: 0, errors: 0, inPlace: 0 };
  /** Inference time per request (network + delay), ms. */
  readonly inferenceMs = new SampleWindow(65_536);
  readonly #socket: zmq.Router;
  readonly #o: PolicyServerOptions;
  readonly #inputs: readonly TensorSpec[];
  readonly #hello: Buffer;
  readonly #loop: Promise<void>;
  #closed = false;

  private constructor(socket: zmq.Router, options: PolicyServerOptions) {
    this.#socket = socket;
    this.#o = options;
    const { policy } = options;
    this.#inputs = policy.contract.inputs.map((i) => ({ name: i.name, shape: i.shape }));
    const hello: ServerMessage = {
      protocol: POLICY_PROTOCOL,
      type: 'hello',
      server: 'pilot serve',
      server_id: this.serverId,
      model_id: policy.contract.id,
      model_sha256: createHash('sha256').update(options.modelBytes).digest('hex'),
      contract: JSON.stringify(policy.contract),
      provider: policy.activeProvider,
    };
    this.#hello = encodeHeader(hello);
    this.#loop = this.#serve();
  }

  /** Binds `endpoint` (loopback/ipc unless allowRemote) and starts answering. */
  static async start(options: PolicyServerOptions): Promise<PolicyServer> {
    assertBindable(options.endpoint, options.allowRemote ?? false, options.allowRemoteSetting ?? '--allow-remote (pilot serve)');
    const socket = new zmq.Router({ linger: 0, sendHighWaterMark: 16, receiveHighWaterMark: 16 });
    try {
      await socket.bind(options.endpoint);
    } catch (err) {
      socket.close();
      throw new PilotError('E_POLICY_SERVER_BIND', `cannot listen on ${options.endpoint}: ${(err as Error).message}`);
    }
    return new PolicyServer(socket, options);
  }

  get endpoint(): string {
    return this.#socket.lastEndpoint ?? this.#o.endpoint;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#socket.close();
    await this.#loop;
  }

  async #serve(): Promise<void> {
    while (!this.#closed) {
      let frames: Buffer[];
      try {
        frames = await this.#socket.receive();
      } catch (err) {
        if (this.#closed || this.#socket.closed) return;
        this.#o.log?.(`pilot serve: receive failed: ${(err as Error).message}`);
        await sleep(10);
        continue;
      }
      const [identity, header, ...tensors] = frames;
      if (!identity) continue;
      const reply = await this.#answer(header, tensors);
      try {
        await this.#socket.send([identity, ...reply]);
      } catch (err) {
        if (this.#closed) return;
        this.#o.log?.(`pilot serve: reply not sent: ${(err as Error).message}`);
      }
    }
  }

  async #answer(headerFrame: Buffer | undefined, tensors: Buffer[]): Promise<Buffer[]> {
    let id: number | undefined;
    try {
      const header = decodeHeader(headerFrame, 'client');
      if (header.type === 'hello') {
        this.stats.hellos++;
        return [this.#hello];
      }
      if (header.type !== 'infer') throw new PilotError('E_POLICY_PROTOCOL', `unknown request type '${header.type}' (known: hello, infer)`);
      id = typeof header.id === 'number' ? header.id : undefined;
      if (id === undefined) throw new PilotError('E_POLICY_PROTOCOL', 'infer request without a numeric id');
      this.stats.requests++;
      return await this.#infer(id, header.inputs, tensors);
    } catch (err) {
      this.stats.errors++;
      const code = err instanceof PilotError ? err.code : 'E_INFERENCE';
      const message = (err as Error).message ?? String(err);
      if (this.stats.errors === 1) this.#o.log?.(`pilot serve: request refused: ${message}`);
      return [encodeHeader({ protocol: POLICY_PROTOCOL, type: 'error', ...(id !== undefined ? { id } : {}), code, message })];
    }
  }

  /**
   * The request's frames as the network's inputs without a copy (900 KiB for a 320×240 camera): for an
   * ONNX Runtime session in this process on a little-endian host when every frame is float32-aligned.
   */
  #directInputs(frames: readonly Buffer[]): Map<string, Float32Array> | undefined {
    if (!LITTLE_ENDIAN || !(this.#o.policy instanceof PolicySession) || frames.some((f) => f.byteOffset % 4 !== 0)) return undefined;
    return new Map(this.#inputs.map((spec, i) => [spec.name, new Float32Array(frames[i]!.buffer, frames[i]!.byteOffset, frames[i]!.length / 4)]));
  }

  async #infer(id: number, specs: unknown, tensors: Buffer[]): Promise<Buffer[]> {
    const { policy } = this.#o;
    const frames = matchTensors(`request ${id}`, specs, tensors, this.#inputs);
    const direct = this.#directInputs(frames);
    if (direct) this.stats.inPlace++;
    else this.#inputs.forEach((spec, i) => readFloat32Frame(frames[i]!, policy.inputs.get(spec.name)!));
    const start = performance.now();
    await (direct ? (policy as PolicySession).runOn(direct) : policy.run());
    if (this.#o.inferenceDelayMs) await sleep(this.#o.inferenceDelayMs);
    const inferenceMs = performance.now() - start;
    this.inferenceMs.push(inferenceMs);
    const out = policy.contract.outputs[0]!;
    // A copy: ZeroMQ may still read the frame after send() resolved, and the next run overwrites the output.
    const frame = Buffer.from(new Uint8Array(policy.output.buffer, policy.output.byteOffset, policy.output.byteLength));
    const reply: ServerMessage = {
      protocol: POLICY_PROTOCOL,
      type: 'result',
      id,
      server_id: this.serverId,
      inference_ms: inferenceMs,
      outputs: [{ name: out.name, shape: out.shape }],
    };
    return [encodeHeader(reply), frame];
  }
}

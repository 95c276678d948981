/**
 * A policy served by another process (`pilot serve`, or any server speaking `pilot.policy/1`): the
 * loop's side of the protocol on a ZeroMQ DEALER socket. At connect it asks for the server's hello:
 * protocol version and model contract (equal to the local model file's when there is one). Each `run`
 * copies the inputs (before returning its promise), sends them and waits for the reply, at most
 * `timeout_ms`: a timeout, an error reply or a lost server rejects the run (the loop counts it and falls
 * back). ZeroMQ reconnects by itself; requests are never queued while no server is connected
 * (`immediate`), and a reply from a restarted server (new server_id) is refused until a new hello
 * checked the version and the contract again. Replies to requests that timed out are dropped, counted.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as zmq from 'zeromq';
import { PROVIDER_NAMES, type ProviderName } from '../../core/config/schema.js';
import { readOnnxInfo } from '../../core/onnx/onnx-read.js';
import { PilotError } from '../../core/util/errors.js';
import { SampleWindow } from '../../core/util/sample-window.js';
import { CONTRACT_METADATA_KEY, parseContract, type ModelContract } from './contract.js';
import type { Policy } from './policy-session.js';
import type { ProviderAttempt, ProviderStartup } from './providers.js';
import {
  decodeHeader,
  encodeHeader,
  matchTensors,
  POLICY_PROTOCOL,
  POLICY_PROTOCOL_NAME,
  readFloat32Frame,
  type TensorSpec,
} from './server-protocol.js';

export interface RemotePolicyOptions {
  readonly endpoint: string;
  readonly timeout_ms: number;
  readonly connect_timeout_ms: number;
  readonly allow_remote: boolean;
  /** The config's model file: when it exists, the server must serve the same contract. */
  readonly expectModel?: string;
  readonly log?: (line: string) => void;
}

export interface RemotePolicyStats {
  requests: number;
  timeouts: number;
  /** Error replies and refused replies. */
  errors: number;
  /** Replies to requests that had already timed out: dropped. */
  lateReplies: number;
  /** Hellos after the first (the server restarted). */
  rehellos: number;
}

interface Hello {
  readonly serverId: string;
  readonly server: string;
  readonly modelId: string;
  readonly modelSha256: string;
  readonly provider: string;
  readonly contract: ModelContract;
}

type Waiter = { resolve: (frames: Buffer[]) => void; reject: (err: Error) => void };

export class RemotePolicy implements Policy {
  readonly concurrent = true;
  readonly stats: RemotePolicyStats = { requests: 0, timeouts: 0, errors: 0, lateReplies: 0, rehellos: 0 };
  /** Request sent → reply decoded, ms. */
  readonly roundTripMs = new SampleWindow(65_536);
  /** The server's own inference time per reply, ms. */
  readonly serverMs = new SampleWindow(65_536);
  /** Round trip minus the server's inference time, per reply: what the transport and server add, ms. */
  readonly addedMs = new SampleWindow(65_536);
  readonly inputs: ReadonlyMap<string, Float32Array>;
  readonly output: Float32Array;
  readonly startup: ProviderStartup;
  readonly #socket: zmq.Dealer;
  readonly #o: RemotePolicyOptions;
  readonly #specs: readonly TensorSpec[];
  readonly #outSpec: TensorSpec;
  readonly #loop: Promise<void>;
  #hello: Hello;
  #frames: Buffer[];
  /** Float32 views of #frames (host order: little-endian on every platform pilot runs on). */
  #frameViews: Float32Array[] = [];
  #inputList: Float32Array[] = [];
  /** A send may still hold the frames (a timeout): the next run copies into fresh ones. */
  #framesInUse = false;
  #nextId = 1;
  #waitingId = 0;
  #waiter: Waiter | undefined;
  #helloWaiter: Waiter | undefined;
  #needHello = false;
  #closed = false;

  private constructor(socket: zmq.Dealer, options: RemotePolicyOptions, hello: Hello, loop: Promise<void>, deliver: (r: (frames: Buffer[]) => void) => void) {
    this.#socket = socket;
    this.#o = options;
    this.#hello = hello;
    this.#loop = loop;
    deliver(this.#onReply);
    const contract = hello.contract;
    this.#specs = contract.inputs.map((i) => ({ name: i.name, shape: i.shape }));
    const out = contract.outputs[0]!;
    this.#outSpec = { name: out.name, shape: out.shape };
    this.inputs = new Map(contract.inputs.map((i) => [i.name, new Float32Array(i.shape.reduce((a, b) => a * b, 1))]));
    this.output = new Float32Array(out.shape.reduce((a, b) => a * b, 1));
    this.#inputList = this.#specs.map((s) => this.inputs.get(s.name)!);
    this.#frames = this.#allocateFrames();
    this.startup = {
      modelPath: this.modelPath,
      active: this.activeProvider,
      attempts: [],
      cpuAppended: false,
      thread: 'worker',
      warmup: { firstInferenceMs: 0, runs: 0, p50Ms: 0, maxMs: 0 },
      outputs: `float32 frames over ZeroMQ from ${options.endpoint}, copied into pilot's output buffer`,
      notes: [
        `policy server ${options.endpoint}: ${hello.server}, ${POLICY_PROTOCOL_NAME}, model ${hello.modelId} (sha256 ${hello.modelSha256.slice(0, 16)}…) on ${hello.provider}`,
      ],
    };
  }

  /** Connects, checks the server's protocol and contract; fails naming the endpoint and what differs. */
  static async connect(options: RemotePolicyOptions): Promise<RemotePolicy> {
    checkEndpoint(options.endpoint, options.allow_remote);
    const expected = options.expectModel && existsSync(options.expectModel) ? localContract(options.expectModel) : undefined;
    const socket = new zmq.Dealer({ linger: 0, immediate: true, sendHighWaterMark: 2, receiveHighWaterMark: 16, reconnectInterval: 100, reconnectMaxInterval: 1000 });
    socket.connect(options.endpoint);
    let onFrames: (frames: Buffer[]) => void = () => {};
    const loop = receiveLoop(socket, (frames) => onFrames(frames));
    try {
      const hello = await requestHello(socket, options, (w) => (onFrames = (frames) => w.resolve(frames)));
      if (expected) checkSameContract(expected, hello.contract, options);
      const policy = new RemotePolicy(socket, options, hello, loop, (r) => (onFrames = r));
      options.log?.(`pilot: policy server ${options.endpoint}: model ${hello.modelId} on ${hello.provider} (${POLICY_PROTOCOL_NAME})`);
      return policy;
    } catch (err) {
      socket.close();
      await loop;
      throw err;
    }
  }

  get contract(): ModelContract {
    return this.#hello.contract;
  }
  get modelPath(): string {
    return `${this.#o.endpoint} (${this.#hello.modelId})`;
  }
  get activeProvider(): ProviderName {
    const p = this.#hello.provider;
    return (PROVIDER_NAMES as readonly string[]).includes(p) ? (p as ProviderName) : 'cpu';
  }
  get attempts(): readonly ProviderAttempt[] {
    return [];
  }
  get providerSummary(): string {
    return `${this.#hello.provider} on policy server ${this.#o.endpoint}`;
  }

  /** Inputs are copied before the first await: frames arriving meanwhile do not mix in. */
  async run(): Promise<void> {
    if (this.#closed) throw new PilotError('E_POLICY_SERVER', `policy server client for ${this.#o.endpoint} is closed`);
    if (this.#waiter) throw new PilotError('E_INFERENCE_BUSY', 'a run is already in flight');
    if (this.#framesInUse) this.#frames = this.#allocateFrames();
    for (let i = 0; i < this.#frameViews.length; i++) this.#frameViews[i]!.set(this.#inputList[i]!);
    const id = this.#nextId++;
    const header = encodeHeader({ protocol: POLICY_PROTOCOL, type: 'infer', id, inputs: this.#specs });
    if (this.#needHello) await this.#rehello();
    this.stats.requests++;
    const start = performance.now();
    const reply = await this.#request(id, [header, ...this.#frames]);
    const rtt = performance.now() - start;
    try {
      this.#accept(id, reply, rtt);
    } catch (err) {
      this.stats.errors++;
      throw err;
    }
  }

  async dispose(): Promise<void> {
    this.#closed = true;
    this.#waiter?.reject(new PilotError('E_POLICY_SERVER', 'closed'));
    this.#socket.close();
    await this.#loop;
  }

  #allocateFrames(): Buffer[] {
    this.#framesInUse = false;
    const frames = this.#specs.map((s) => Buffer.alloc(4 * s.shape.reduce((a, b) => a * b, 1)));
    this.#frameViews = frames.map((f) => new Float32Array(f.buffer, f.byteOffset, f.length / 4));
    return frames;
  }

  #request(id: number, frames: Buffer[]): Promise<Buffer[]> {
    const timeoutMs = this.#o.timeout_ms;
    return new Promise<Buffer[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        this.#waitingId = 0;
        this.#framesInUse = true;
        this.stats.timeouts++;
        reject(new PilotError('E_POLICY_SERVER_TIMEOUT', `no reply from ${this.#o.endpoint} within ${timeoutMs} ms (request ${id})`));
      }, timeoutMs);
      this.#waitingId = id;
      this.#waiter = {
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      this.#socket.sendTimeout = timeoutMs;
      this.#socket.send(frames).catch((err: Error) => {
        if (this.#waitingId !== id) return;
        this.#framesInUse = true;
        const waiter = this.#waiter;
        this.#waiter = undefined;
        this.#waitingId = 0;
        waiter?.reject(new PilotError('E_POLICY_SERVER_TIMEOUT', `cannot send to ${this.#o.endpoint} (no server connected?): ${err.message}`));
      });
    });
  }

  readonly #onReply = (frames: Buffer[]): void => {
    let id: unknown;
    let type: unknown;
    try {
      const h = decodeHeader(frames[0], `policy server ${this.#o.endpoint}`);
      id = h.id;
      type = h.type;
    } catch (err) {
      // Not even a header we can read: the request in flight (if any) fails with the reason.
      const w = this.#waiter;
      this.#waiter = undefined;
      this.#waitingId = 0;
      w?.reject(err as Error);
      return;
    }
    if (type === 'hello' && this.#helloWaiter) return this.#helloWaiter.resolve(frames);
    if (typeof id !== 'number' || id !== this.#waitingId || !this.#waiter) {
      this.stats.lateReplies++;
      return;
    }
    const w = this.#waiter;
    this.#waiter = undefined;
    this.#waitingId = 0;
    w.resolve(frames);
  };

  #accept(id: number, frames: Buffer[], rttMs: number): void {
    const from = `policy server ${this.#o.endpoint}`;
    const h = decodeHeader(frames[0], from);
    if (h.type === 'error') throw new PilotError(String(h.code ?? 'E_POLICY_SERVER'), `${from} refused request ${id}: ${String(h.message)}`);
    if (h.type !== 'result') throw new PilotError('E_POLICY_PROTOCOL', `${from}: expected a result, got '${h.type}'`);
    if (h.server_id !== this.#hello.serverId) {
      this.#needHello = true;
      throw new PilotError('E_POLICY_SERVER_RESTARTED', `${from} restarted (server_id ${String(h.server_id)}): its model is checked again before the next request`);
    }
    const [frame] = matchTensors(`reply ${id} from ${from}`, h.outputs, frames.slice(1), [this.#outSpec]);
    readFloat32Frame(frame!, this.output);
    this.roundTripMs.push(rttMs);
    if (typeof h.inference_ms === 'number') {
      this.serverMs.push(h.inference_ms);
      this.addedMs.push(rttMs - h.inference_ms);
    }
  }

  /** Empties the timing windows (after a warm-up). */
  resetTimings(): void {
    this.roundTripMs.reset();
    this.serverMs.reset();
    this.addedMs.reset();
  }

  async #rehello(): Promise<void> {
    const hello = await requestHello(this.#socket, this.#o, (w) => (this.#helloWaiter = w)).finally(() => (this.#helloWaiter = undefined));
    checkSameContract(this.#hello.contract, hello.contract, this.#o);
    this.#hello = hello;
    this.#needHello = false;
    this.stats.rehellos++;
    this.#o.log?.(`pilot: policy server ${this.#o.endpoint} restarted; same protocol and contract (${hello.modelId}), continuing`);
  }
}

async function receiveLoop(socket: zmq.Dealer, onFrames: (frames: Buffer[]) => void): Promise<void> {
  while (!socket.closed) {
    try {
      onFrames(await socket.receive());
    } catch {
      if (socket.closed) return;
    }
  }
}

/** Sends a hello and waits for the reply (connect_timeout_ms); checks the version, parses the contract. */
async function requestHello(socket: zmq.Dealer, o: RemotePolicyOptions, setWaiter: (w: Waiter) => void): Promise<Hello> {
  const frames = await new Promise<Buffer[]>((resolve, reject) => {
    const fail = () => reject(new PilotError('E_POLICY_SERVER_TIMEOUT', `no hello from ${o.endpoint} within ${o.connect_timeout_ms} ms: is \`pilot serve\` running there?`));
    const timer = setTimeout(fail, o.connect_timeout_ms);
    setWaiter({ resolve: (f) => (clearTimeout(timer), resolve(f)), reject: (e) => (clearTimeout(timer), reject(e)) });
    socket.sendTimeout = o.connect_timeout_ms;
    socket.send(encodeHeader({ protocol: POLICY_PROTOCOL, type: 'hello', client: 'pilot' })).catch(() => {
      clearTimeout(timer);
      fail();
    });
  });
  const from = `policy server ${o.endpoint}`;
  const h = decodeHeader(frames[0], from);
  if (h.type === 'error') throw new PilotError(String(h.code ?? 'E_POLICY_SERVER'), `${from}: ${String(h.message)}`);
  if (h.type !== 'hello') throw new PilotError('E_POLICY_PROTOCOL', `${from}: expected a hello reply, got '${h.type}'`);
  const contract = parseContract(typeof h.contract === 'string' ? h.contract : undefined, `${from} hello`);
  return {
    serverId: String(h.server_id),
    server: String(h.server ?? 'unknown server'),
    modelId: String(h.model_id ?? contract.id),
    modelSha256: String(h.model_sha256 ?? ''),
    provider: String(h.provider ?? 'unknown'),
    contract,
  };
}

function localContract(path: string): ModelContract {
  return parseContract(readOnnxInfo(readFileSync(path), path).metadata[CONTRACT_METADATA_KEY], path);
}

function checkSameContract(expected: ModelContract, served: ModelContract, o: RemotePolicyOptions): void {
  if (canonical(expected) === canonical(served)) return;
  throw new PilotError(
    'E_POLICY_SERVER_MODEL',
    `policy server ${o.endpoint} serves model '${served.id}' whose contract differs from ${o.expectModel ?? 'the one first served'} ('${expected.id}'); serve the same model, or remove model.path's file to take the server's contract`,
  );
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}

/** Observations leave this machine only when allowed: tcp to a loopback address, or ipc. */
export function checkEndpoint(endpoint: string, allowRemote: boolean): void {
  const m = /^(tcp|ipc):\/\/(.+)$/.exec(endpoint);
  if (!m) throw new PilotError('E_POLICY_ENDPOINT', `policy server endpoint '${endpoint}' must be tcp://host:port or ipc://path`);
  if (allowRemote || m[1] === 'ipc') return;
  const host = m[2]!.startsWith('[') ? m[2]!.slice(1, m[2]!.indexOf(']')) : m[2]!.slice(0, m[2]!.lastIndexOf(':'));
  if (host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) return;
  throw new PilotError(
    'E_NOT_LOOPBACK',
    `refusing to send observations to '${endpoint}': not a loopback or ipc endpoint (set policy_server.allow_remote: true, or --allow-remote)`,
  );
}

/**
 * Embedded default transport: broker-less ZeroMQ, one endpoint per topic. The publisher binds (an ipc file
 * under `ipcDir` unless `endpoints` says otherwise), subscribers connect; processes find each other by
 * topic name alone.
 *
 * Nothing is lost silently: the publisher is an XPUB with `noDrop` and `sendTimeout = 0`, so a full peer
 * queue rejects with EAGAIN (counted in `sendDrops`) instead of discarding; subscribers count sequence
 * gaps. Trade-off of `noDrop`: one stalled subscriber makes sends fail for all subscribers of that topic.
 *
 * An ipc endpoint belongs to one live process (ownership.ts): advertise() takes `<endpoint>.lock` before
 * binding and fails with E_TOPIC_OWNED while another live process publishes the topic; close() removes
 * only this process's own socket files and locks.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import * as zmq from 'zeromq';
import { assertBindable, assertConnectable, defaultIpcDir, ensureIpcDir, IPC_DIR_ENV, ipcPathFor } from './endpoints.js';
import { EndpointLock } from './ownership.js';
import type { TransportErrorListener } from './stats-table.js';
import { deliver, TransportCore } from './transport-core.js';
import {
  SENSOR_QOS,
  TransportError,
  type MessageHandler,
  type Publisher,
  type QosKind,
  type QosProfile,
  type Subscription,
  type TopicStats,
  type Transport,
  type TypeName,
} from './transport.js';
import { DEFAULT_BULK_THRESHOLD_BYTES, decodeMessage, encodeMessage } from './wire.js';

export interface ZeroMqTransportOptions {
  /**
   * Directory for ipc endpoints; default `$PILOT_IPC_DIR`, else `${os.tmpdir()}/pilot-<uid>` (created;
   * the tmp default must be ours).
   */
  readonly ipcDir?: string | undefined;
  /**
   * How the user of this command sets `ipcDir` (e.g. `--ipc-dir <dir>`), named in the E_TOPIC_OWNED error
   * when a given ipcDir collides with another process's; without it the error names only the directory.
   */
  readonly ipcDirSetting?: string;
  /** Per-topic endpoint overrides, e.g. `{ '/cmd': 'tcp://127.0.0.1:5601' }`. */
  readonly endpoints?: Readonly<Record<string, string>>;
  /** Allow binding and connecting non-loopback tcp (and other network) endpoints; default false. */
  readonly allowRemote?: boolean;
  /** How the user of this command allows that (e.g. `zeromq.allow_remote: true in the bridge config`), named in E_NOT_LOOPBACK; default the runtime config's key. */
  readonly allowRemoteSetting?: string;
  /** ZeroMQ send and receive high-water marks (messages) per QoS kind; default sensor 2, reliable 1000. */
  readonly highWaterMark?: Partial<Record<QosKind, number>>;
  /** Typed arrays at least this large travel as separate zero-copy frames; default 1024. */
  readonly bulkThresholdBytes?: number;
  /** Caught handler exceptions, undecodable messages and failed sends; default: one warning per topic and kind. */
  readonly onError?: TransportErrorListener;
}

const DEFAULT_HWM: Record<QosKind, number> = { sensor: 2, reliable: 1000 };

export class ZeroMqTransport implements Transport {
  readonly name = 'zeromq';
  readonly ipcDir: string;
  readonly #options: ZeroMqTransportOptions;
  readonly #core: TransportCore<ZmqPublisher<unknown>>;
  readonly #subscriptions = new Set<ZmqSubscription>();

  constructor(options: ZeroMqTransportOptions = {}) {
    this.#options = options;
    this.ipcDir = options.ipcDir ?? defaultIpcDir();
    ensureIpcDir(this.ipcDir, options.ipcDir === undefined && !process.env[IPC_DIR_ENV]);
    this.#core = new TransportCore(this.name, options.onError);
  }

  /** The endpoint a topic's publisher binds and its subscribers connect to. */
  endpointFor(topic: string): string {
    const endpoints = this.#options.endpoints;
    if (endpoints && Object.hasOwn(endpoints, topic)) return endpoints[topic];
    return `ipc://${ipcPathFor(this.ipcDir, topic)}`;
  }

  advertise<T>(topic: string, type: TypeName, qos: QosProfile = SENSOR_QOS): Publisher<T> {
    this.#core.assertCanAdvertise(topic);
    const endpoint = this.endpointFor(topic);
    assertBindable(endpoint, this.#options.allowRemote ?? false, this.#options.allowRemoteSetting);
    for (const other of this.#core.publishers.values()) {
      if (other.endpoint === endpoint) throw new TransportError('E_TOPIC_TAKEN', `topic '${topic}' maps to '${endpoint}', already bound by '${other.topic}'`);
    }
    // An ipc path belongs to one live process: take its lock before libzmq unlinks whatever is there.
    const lock = endpoint.startsWith('ipc://') ? EndpointLock.acquire(endpoint.slice('ipc://'.length), topic, this.#howToRunBoth(topic)) : undefined;
    const socket = new zmq.XPublisher({ linger: 0, noDrop: true, sendTimeout: 0, sendHighWaterMark: this.#hwm(qos) });
    try {
      socket.bindSync(endpoint);
    } catch (error) {
      socket.close();
      lock?.release();
      throw new TransportError('E_BIND', `topic '${topic}' cannot bind '${endpoint}': ${(error as Error).message}`);
    }
    lock?.boundSocket();
    const publisher = new ZmqPublisher<T>(topic, type, endpoint, socket, qos, {
      stats: this.#core.stats.of(topic),
      onError: this.#core.onError,
      bulkThresholdBytes: this.#options.bulkThresholdBytes ?? DEFAULT_BULK_THRESHOLD_BYTES,
      onClose: () => {
        this.#core.publishers.delete(topic);
        lock?.release(); // our socket file and lock, never those of a process that took the path since
      },
    });
    this.#core.publishers.set(topic, publisher as ZmqPublisher<unknown>);
    return publisher;
  }

  subscribe<T>(topic: string, type: TypeName, handler: MessageHandler<T>, qos: QosProfile = SENSOR_QOS): Subscription {
    this.#core.assertOpen();
    const endpoint = this.endpointFor(topic);
    assertConnectable(endpoint, this.#options.allowRemote ?? false, this.#options.allowRemoteSetting);
    const socket = new zmq.Subscriber({
      linger: 0,
      receiveHighWaterMark: this.#hwm(qos),
      // Publishers come and go; rejoin quickly (local ipc connects are cheap) but back off when one is absent.
      reconnectInterval: 10,
      reconnectMaxInterval: 500,
    });
    socket.connect(endpoint);
    socket.subscribe(topic);
    const subscription = new ZmqSubscription(topic, type, handler as MessageHandler<unknown>, socket, this.#core.stats.of(topic), this.#core.onError, () =>
      this.#subscriptions.delete(subscription),
    );
    this.#subscriptions.add(subscription);
    return subscription;
  }

  stats(): ReadonlyMap<string, Readonly<TopicStats>> {
    return this.#core.stats.snapshot();
  }

  /** Closes every socket and removes the ipc files this transport bound; resolves when receive loops ended. */
  async close(): Promise<void> {
    this.#core.markClosed();
    const loops = [...this.#subscriptions].map((s) => s.closeAndWait());
    for (const p of [...this.#core.publishers.values()]) p.close();
    await Promise.all(loops);
  }

  /** The end of the E_TOPIC_OWNED line: a setting that exists for this transport's caller. */
  #howToRunBoth(topic: string): string {
    if (this.#options.endpoints && Object.hasOwn(this.#options.endpoints, topic)) {
      return `to run both, map '${topic}' to another endpoint in the second one's endpoints`;
    }
    if (this.#options.ipcDir === undefined) return `to run both, start the second one (and its peers) with ${IPC_DIR_ENV}=<another dir>`;
    const setting = this.#options.ipcDirSetting ? ` (${this.#options.ipcDirSetting})` : '';
    return `to run both, give the second one (and its peers) an ipc dir other than '${this.ipcDir}'${setting}`;
  }

  #hwm(qos: QosProfile): number {
    return this.#options.highWaterMark?.[qos.kind] ?? DEFAULT_HWM[qos.kind];
  }

}

interface PublisherContext {
  readonly stats: TopicStats;
  readonly onError: TransportErrorListener;
  readonly bulkThresholdBytes: number;
  readonly onClose: () => void;
}

/**
 * zeromq.js allows one send in progress per socket, so at most one message is in flight and at most
 * `depth` wait behind it (sensor: 1, the newest replaces the pending one; reliable: keep-last `depth`).
 */
class ZmqPublisher<T> implements Publisher<T> {
  readonly #pending: Buffer[][] = [];
  readonly #depth: number;
  #inFlight = false;
  #seq = 0;
  #closed = false;

  constructor(
    readonly topic: string,
    readonly type: TypeName,
    readonly endpoint: string,
    private readonly socket: zmq.XPublisher,
    qos: QosProfile,
    private readonly ctx: PublisherContext,
  ) {
    this.#depth = qos.kind === 'sensor' ? 1 : Math.max(1, qos.depth ?? 10);
  }

  publish(message: T): void {
    const { stats } = this.ctx;
    if (this.#closed) {
      stats.sendDrops++;
      return;
    }
    let frames: Buffer[];
    try {
      frames = encodeMessage({ topic: this.topic, type: this.type, seq: this.#seq++, sentAtMs: Date.now() }, message, this.ctx.bulkThresholdBytes);
    } catch (error) {
      stats.sendDrops++;
      this.ctx.onError(new TransportError('E_WIRE_ENCODE', `topic '${this.topic}': ${(error as Error).message}`), this.topic);
      return;
    }
    if (!this.#inFlight) {
      this.#send(frames);
      return;
    }
    if (this.#pending.length >= this.#depth) {
      this.#pending.shift();
      stats.sendDrops++;
    }
    this.#pending.push(frames);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.ctx.stats.sendDrops += this.#pending.length;
    this.#pending.length = 0;
    this.socket.close();
    this.ctx.onClose();
  }

  #send(frames: Buffer[], retried = false): void {
    this.#inFlight = true;
    let sending: Promise<void>;
    try {
      sending = this.socket.send(frames);
    } catch (error) {
      this.#failed(error);
      return;
    }
    sending.then(
      () => {
        this.ctx.stats.sent++;
        this.#next();
      },
      (error: unknown) => {
        // libzmq learns that the peer drained the pipe only when it processes its command queue, which
        // send() does at most about once a millisecond; reading `writable` (ZMQ_EVENTS) processes it now.
        // So one EAGAIN may be stale: retry once if the socket turns out writable after all.
        if (!retried && !this.#closed && isEagain(error) && this.socket.writable) this.#send(frames, true);
        else this.#failed(error);
      },
    );
  }

  #failed(error: unknown): void {
    this.ctx.stats.sendDrops++;
    // EAGAIN is the high-water mark (expected back-pressure, counted); anything else is worth a word.
    if (!this.#closed && !isEagain(error)) this.ctx.onError(error, this.topic);
    this.#next();
  }

  #next(): void {
    const frames = this.#closed ? undefined : this.#pending.shift();
    if (frames) this.#send(frames);
    else this.#inFlight = false;
  }
}

class ZmqSubscription implements Subscription {
  readonly #loop: Promise<void>;
  #lastSeq: number | undefined;
  #closed = false;

  constructor(
    readonly topic: string,
    readonly type: TypeName,
    private readonly handler: MessageHandler<unknown>,
    private readonly socket: zmq.Subscriber,
    private readonly stats: TopicStats,
    private readonly onError: TransportErrorListener,
    private readonly onClose: () => void,
  ) {
    this.#loop = this.#receiveLoop();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.socket.close();
    this.onClose();
  }

  async closeAndWait(): Promise<void> {
    this.close();
    await this.#loop;
  }

  /** Must never die on a bad message or a throwing handler: everything per message is caught and counted. */
  async #receiveLoop(): Promise<void> {
    while (!this.#closed) {
      let frames: Buffer[];
      try {
        frames = await this.socket.receive();
      } catch (error) {
        if (this.#closed || this.socket.closed) return;
        this.onError(error, this.topic);
        await sleep(10); // do not spin if the socket keeps failing
        continue;
      }
      this.#onFrames(frames);
    }
  }

  #onFrames(frames: Buffer[]): void {
    let decoded;
    try {
      decoded = decodeMessage(frames);
      if (decoded.topic !== this.topic) throw new TransportError('E_WIRE_DECODE', `expected topic '${this.topic}', got '${decoded.topic}'`);
      if (decoded.type !== this.type) throw new TransportError('E_TYPE_MISMATCH', `topic '${this.topic}' carries ${decoded.type}, subscriber expects ${this.type}`);
    } catch (error) {
      this.stats.decodeErrors++;
      this.onError(error, this.topic);
      return;
    }
    const { seq, sentAtMs } = decoded;
    // A smaller seq means the publisher restarted: a new stream, not a gap.
    if (this.#lastSeq !== undefined && seq > this.#lastSeq + 1) this.stats.receiveGaps += seq - this.#lastSeq - 1;
    this.#lastSeq = seq;
    deliver(this.handler, decoded.message, { seq, sentAtMs }, this.stats, this.onError, this.topic);
  }
}

function isEagain(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'EAGAIN';
}

/**
 * Records topics from any Transport into a BagWriter. Each message is encoded to CDR in the
 * subscription callback (so a publisher may reuse its buffers after publishing), stamped with the
 * receive time from an injectable clock, and queued; one drain loop writes the queue in order.
 *
 * The queue is bounded in messages and bytes. When it is full — the disk is slower than the
 * topics — new messages are dropped and counted per topic, never buffered without bound. When the
 * writer fails (disk full), recording stops, the subscriptions close, and the error is reported
 * through `onError` and `stats()`; what was written stays. Crash safety comes from the writer: a chunk
 * is written when full or `flushIntervalMs` after its first message, whichever comes first.
 */
import { CdrCodec } from '../../core/messages/cdr.js';
import { fullTypeName } from '../../core/messages/type-names.js';
import { SENSOR_QOS, type QosProfile, type ReceiveInfo, type Subscription, type Transport } from '../../transport/transport.js';
import { PilotError } from '../../core/util/errors.js';
import type { BagWriter } from './bag-writer.js';
import { BagError, errorText } from './errors.js';

export interface RecordTopic {
  readonly topic: string;
  /** ROS 2 type, e.g. `sensor_msgs/msg/Image`. */
  readonly type: string;
  /** Subscription QoS, also stored as the topic's offered_qos_profiles (default `sensor`). */
  readonly qos?: QosProfile;
  /** Full `ros2msg` schema text for a type pilot does not know. */
  readonly schemaText?: string;
}

export interface RecorderOptions {
  readonly transport: Transport;
  /** An open writer; the recorder declares the topics on it and closes it on stop(). */
  readonly writer: BagWriter;
  readonly topics: readonly RecordTopic[];
  /** Receive time in ns since the epoch (default: wall clock with sub-ms resolution). Inject for sim/replay. */
  readonly clock?: () => bigint;
  /** Queue bound in messages, besides the one being written (default 1024). */
  readonly maxQueueMessages?: number;
  /** Queue bound in bytes (default 256 MiB). */
  readonly maxQueueBytes?: number;
  /**
   * Sets the writer's flush interval: a chunk goes to the file at the latest this long after its first
   * message (0 = only when full). Default: the writer's own (BagWriter's default is 1000 ms), so a
   * SIGKILL loses at most about the last interval of messages.
   */
  readonly flushIntervalMs?: number;
  /** Called once when recording fails (a write error) and for each message that does not encode. */
  readonly onError?: (error: PilotError) => void;
}

export interface RecorderTopicStats {
  readonly type: string;
  /** Delivered by the transport. */
  received: number;
  /** In the bag. */
  written: number;
  /** Dropped because the queue was full. */
  dropped: number;
  /** Could not be encoded as CDR. */
  encodeErrors: number;
  /** CDR bytes written. */
  bytes: number;
}

export interface RecorderStats {
  readonly state: 'recording' | 'stopping' | 'stopped' | 'failed';
  readonly error?: PilotError;
  readonly topics: Readonly<Record<string, Readonly<RecorderTopicStats>>>;
  readonly received: number;
  readonly written: number;
  readonly dropped: number;
  readonly bytesWritten: number;
  readonly queuedMessages: number;
  readonly queuedBytes: number;
  /** The most bytes ever queued: how close recording came to dropping. */
  readonly peakQueuedBytes: number;
}

interface Pending {
  readonly topic: string;
  readonly data: Uint8Array;
  readonly logTimeNs: bigint;
  readonly publishTimeNs: bigint;
  readonly stats: RecorderTopicStats;
}

/** Wall time in ns since the epoch: Date.now() anchored once, advanced by the monotonic hrtime. */
export function wallClockNs(): () => bigint {
  const base = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
  return () => base + process.hrtime.bigint();
}

export class Recorder {
  readonly #writer: BagWriter;
  readonly #codec = new CdrCodec();
  readonly #clock: () => bigint;
  readonly #maxMessages: number;
  readonly #maxBytes: number;
  readonly #onError: ((error: PilotError) => void) | undefined;
  readonly #stats: Record<string, RecorderTopicStats> = {};
  readonly #subscriptions: Subscription[] = [];
  #queue: Pending[] = [];
  #head = 0;
  #queuedBytes = 0;
  #peakBytes = 0;
  #draining: Promise<void> | undefined;
  #state: RecorderStats['state'] = 'recording';
  #error: PilotError | undefined;
  #stopped: Promise<RecorderStats> | undefined;

  private constructor(options: RecorderOptions) {
    this.#writer = options.writer;
    this.#clock = options.clock ?? wallClockNs();
    this.#maxMessages = options.maxQueueMessages ?? 1024;
    this.#maxBytes = options.maxQueueBytes ?? 256 << 20;
    this.#onError = options.onError;
  }

  /** Declares the topics on the writer and subscribes. Unknown types (without schemaText) throw here. */
  static start(options: RecorderOptions): Recorder {
    if (options.flushIntervalMs !== undefined) options.writer.setFlushInterval(options.flushIntervalMs);
    const recorder = new Recorder(options);
    for (const t of options.topics) {
      const type = fullTypeName(t.type);
      if (t.schemaText !== undefined) recorder.#codec.addSchemaText(type, t.schemaText);
      options.writer.addTopic(t.topic, type, { qos: t.qos ?? SENSOR_QOS, ...(t.schemaText !== undefined ? { schemaText: t.schemaText } : {}) });
      recorder.#stats[t.topic] = { type, received: 0, written: 0, dropped: 0, encodeErrors: 0, bytes: 0 };
    }
    try {
      for (const t of options.topics) {
        const stats = recorder.#stats[t.topic]!;
        const handler = (message: unknown, info: ReceiveInfo): void => recorder.#receive(t.topic, stats, message, info);
        recorder.#subscriptions.push(options.transport.subscribe(t.topic, fullTypeName(t.type), handler, t.qos ?? SENSOR_QOS));
      }
    } catch (err) {
      for (const s of recorder.#subscriptions) s.close();
      throw err;
    }
    return recorder;
  }

  stats(): RecorderStats {
    let received = 0;
    let written = 0;
    let dropped = 0;
    let bytes = 0;
    const topics: Record<string, RecorderTopicStats> = {};
    for (const [name, s] of Object.entries(this.#stats)) {
      topics[name] = { ...s };
      received += s.received;
      written += s.written;
      dropped += s.dropped;
      bytes += s.bytes;
    }
    return {
      state: this.#state,
      ...(this.#error ? { error: this.#error } : {}),
      topics,
      received,
      written,
      dropped,
      bytesWritten: bytes,
      queuedMessages: this.#queue.length - this.#head,
      queuedBytes: this.#queuedBytes,
      peakQueuedBytes: this.#peakBytes,
    };
  }

  /** Unsubscribes, writes what is queued, closes the writer. Never rejects; safe to call twice. */
  stop(): Promise<RecorderStats> {
    return (this.#stopped ??= this.#stop());
  }

  async #stop(): Promise<RecorderStats> {
    this.#unsubscribe();
    if (this.#state === 'recording') this.#state = 'stopping';
    while (this.#draining) await this.#draining;
    const status = await this.#writer.close();
    if (this.#state !== 'failed') {
      if (status.state === 'failed' && status.error) this.#fail(status.error);
      else this.#state = 'stopped';
    }
    return this.stats();
  }

  #receive(topic: string, stats: RecorderTopicStats, message: unknown, info: ReceiveInfo): void {
    if (this.#state !== 'recording') return;
    const logTimeNs = this.#clock();
    stats.received++;
    const queued = this.#queue.length - this.#head;
    if (queued >= this.#maxMessages || this.#queuedBytes >= this.#maxBytes) {
      stats.dropped++;
      return;
    }
    let data: Uint8Array;
    try {
      data = this.#codec.encode(stats.type, message);
    } catch (err) {
      stats.encodeErrors++;
      this.#report(err instanceof PilotError ? err : new BagError('E_BAG_WRITE', `${topic}: ${errorText(err)}`, { topic }));
      return;
    }
    if (this.#queuedBytes + data.byteLength > this.#maxBytes && queued > 0) {
      stats.dropped++;
      return;
    }
    const publishTimeNs = Number.isFinite(info.sentAtMs) ? BigInt(Math.round(info.sentAtMs * 1e6)) : logTimeNs;
    this.#queue.push({ topic, data, logTimeNs, publishTimeNs, stats });
    this.#queuedBytes += data.byteLength;
    if (this.#queuedBytes > this.#peakBytes) this.#peakBytes = this.#queuedBytes;
    this.#draining ??= this.#drain();
  }

  async #drain(): Promise<void> {
    try {
      while (this.#head < this.#queue.length) {
        const item = this.#queue[this.#head]!;
        this.#queue[this.#head++] = undefined as unknown as Pending;
        if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
          this.#queue = this.#queue.slice(this.#head);
          this.#head = 0;
        }
        const ok = await this.#writer.write(item.topic, item.data, item.logTimeNs, item.publishTimeNs);
        this.#queuedBytes -= item.data.byteLength;
        if (!ok) {
          const error = this.#writer.status().error ?? new BagError('E_BAG_CLOSED', 'the bag writer was closed while recording');
          this.#fail(error);
          this.#queue = [];
          this.#head = 0;
          this.#queuedBytes = 0;
          return;
        }
        item.stats.written++;
        item.stats.bytes += item.data.byteLength;
      }
    } finally {
      this.#draining = undefined;
    }
  }

  #fail(error: PilotError): void {
    if (this.#state === 'failed') return;
    this.#state = 'failed';
    this.#error = error;
    this.#unsubscribe();
    this.#report(error);
  }

  #report(error: PilotError): void {
    try {
      this.#onError?.(error);
    } catch {
      // A throwing listener must not break recording.
    }
  }

  #unsubscribe(): void {
    for (const s of this.#subscriptions.splice(0)) s.close();
  }
}

/**
 * Writes a rosbag2 bag folder: `<name>_0.mcap, <name>_1.mcap …` (MCAP, profile `ros2`, schemas as
 * `ros2msg` full text, messages as `cdr`, channel metadata `offered_qos_profiles`) plus a
 * `metadata.yaml` that `ros2 bag info` / `ros2 bag play` read. Files split by size or duration.
 * A chunk goes to the file when full or once its oldest message has waited `flushIntervalMs` (1 s),
 * so a killed process leaves at most about that much unreadable (`pilot bag recover` indexes the rest).
 *
 * Writes are serialised inside, so callers may fire several without awaiting; but to bound memory,
 * await them (or use the Recorder, which keeps a bounded queue). A write error (disk full) never
 * rejects: the writer stops, keeps the finished chunks, writes metadata.yaml if it can, reports
 * through `onError` and `status()`, and resolves every later write with `false`.
 */
import { CdrCodec } from '../../core/messages/cdr.js';
import { MessageRegistry } from '../../core/messages/registry.js';
import { fullTypeName } from '../../core/messages/type-names.js';
import { SENSOR_QOS, type QosProfile } from '../../transport/transport.js';
import { chunkCompression, loadCompression, type ChunkCompression } from './compression.js';
import { BagError, errorText } from './errors.js';
import type { BagOutputFile, BagSink } from './io.js';
import { DEFAULT_CHUNK_SIZE_BYTES, McapFileWriter } from './mcap-file-writer.js';
import { METADATA_FILE, METADATA_VERSION, renderMetadataYaml, type BagMetadata } from './metadata.js';
import { offeredQosFor } from './qos.js';

export interface BagWriterOptions {
  /** Storage files are `<name>_<n>.mcap` (rosbag2 uses the folder name). Default `bag`. */
  readonly name?: string;
  /** Chunk compression: none (default, as rosbag2), lz4 or zstd. */
  readonly compression?: ChunkCompression | string;
  /** Default 1 MiB. Smaller chunks lose less on a crash, larger ones compress better. */
  readonly chunkSizeBytes?: number;
  /**
   * A chunk is also finished once its first message has waited this long (default 1000 ms), so a crash
   * (SIGKILL) loses at most about this much of slow topics, which would take minutes to fill a chunk.
   * 0 = only full chunks.
   */
  readonly flushIntervalMs?: number;
  /** Start a new file once the current one reaches this size (rosbag2 `max_bag_size`); 0 = never. */
  readonly maxBagSizeBytes?: number;
  /** Start a new file once the current one spans this many seconds (rosbag2 `max_bag_duration`); 0 = never. */
  readonly maxBagDurationS?: number;
  /** Where schema texts and encoders for known types come from (default: pilot's vendored types). */
  readonly registry?: MessageRegistry;
  /** MCAP header library string. */
  readonly library?: string;
  /** Called once when writing fails (disk full, I/O error). */
  readonly onError?: (error: BagError) => void;
}

export interface BagTopicOptions {
  /** Our QoS hint, stored as rosbag2 offered_qos_profiles (default `sensor`). */
  readonly qos?: QosProfile;
  /** A verbatim offered_qos_profiles YAML string (e.g. copied from another bag); overrides `qos`. */
  readonly offeredQosProfiles?: string;
  /** The full `ros2msg` schema text, for types pilot does not know (default: built from the registry). */
  readonly schemaText?: string;
}

export interface BagFileStatus {
  readonly path: string;
  readonly messageCount: number;
  /** Log time of the first and last message; 0n when empty. */
  readonly startNs: bigint;
  readonly endNs: bigint;
  readonly sizeBytes: number;
}

export interface BagTopicStatus {
  readonly name: string;
  readonly type: string;
  readonly messageCount: number;
}

export interface BagWriterStatus {
  readonly state: 'open' | 'closed' | 'failed';
  readonly error?: BagError;
  readonly messageCount: number;
  readonly bytesWritten: number;
  readonly files: readonly BagFileStatus[];
  readonly topics: readonly BagTopicStatus[];
}

interface TopicEntry {
  readonly name: string;
  readonly type: string;
  readonly offeredQos: string;
  readonly schemaText: string;
  messageCount: number;
  sequence: number;
}

interface OpenFile {
  readonly path: string;
  readonly output: BagOutputFile;
  readonly writer: McapFileWriter;
  /** topic → channel id in this file. */
  readonly channels: Map<string, number>;
  /** type → schema id in this file. */
  readonly schemas: Map<string, number>;
}

const encoder = new TextEncoder();

export const DEFAULT_FLUSH_INTERVAL_MS = 1000;

export class BagWriter {
  readonly #sink: BagSink;
  readonly #name: string;
  readonly #compression: ChunkCompression;
  readonly #chunkSize: number;
  readonly #maxSize: number;
  readonly #maxDurationNs: bigint;
  readonly #registry: MessageRegistry;
  readonly #codec: CdrCodec;
  readonly #library: string;
  readonly #onError: ((error: BagError) => void) | undefined;
  readonly #compress: (kind: ChunkCompression, data: Uint8Array) => Uint8Array;
  readonly #topics = new Map<string, TopicEntry>();
  readonly #closedFiles: BagFileStatus[] = [];
  #file: OpenFile | undefined;
  #fileIndex = 0;
  #state: 'open' | 'closed' | 'failed' = 'open';
  #error: BagError | undefined;
  #tail: Promise<unknown> = Promise.resolve();
  #flushIntervalMs: number;
  #flushTimer: NodeJS.Timeout | undefined;
  #messageCount = 0;
  #startNs = 0n;
  #endNs = 0n;

  private constructor(sink: BagSink, options: BagWriterOptions, compress: (kind: ChunkCompression, data: Uint8Array) => Uint8Array) {
    this.#sink = sink;
    this.#name = options.name ?? 'bag';
    this.#compression = chunkCompression(options.compression);
    this.#chunkSize = options.chunkSizeBytes ?? DEFAULT_CHUNK_SIZE_BYTES;
    this.#flushIntervalMs = options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
    this.#maxSize = options.maxBagSizeBytes ?? 0;
    this.#maxDurationNs = BigInt(Math.round((options.maxBagDurationS ?? 0) * 1e9));
    this.#registry = options.registry ?? MessageRegistry.builtin();
    this.#codec = new CdrCodec(this.#registry);
    this.#library = options.library ?? 'pilot';
    this.#onError = options.onError;
    this.#compress = compress;
  }

  /** Opens `<name>_0.mcap` and writes a first metadata.yaml. Bad options throw here. */
  static async create(sink: BagSink, options: BagWriterOptions = {}): Promise<BagWriter> {
    const compression = chunkCompression(options.compression);
    const numbers = [
      ['chunkSizeBytes', options.chunkSizeBytes],
      ['maxBagSizeBytes', options.maxBagSizeBytes],
      ['maxBagDurationS', options.maxBagDurationS],
      ['flushIntervalMs', options.flushIntervalMs],
    ] as const;
    for (const [key, value] of numbers) {
      if (value !== undefined && !(Number.isFinite(value) && value >= 0)) throw new BagError('E_BAG_WRITE', `${key} must be a number ≥ 0, got ${value}`);
    }
    if (options.name !== undefined && !/^[A-Za-z0-9_.\-]+$/.test(options.name)) {
      throw new BagError('E_BAG_WRITE', `bag name '${options.name}' must be a plain file name (letters, digits, _ . -)`);
    }
    const codecs = compression === 'none' ? undefined : await loadCompression();
    const writer = new BagWriter(sink, options, (kind, data) => codecs!.compress(kind, data));
    try {
      await writer.#openFile();
      await writer.#writeMetadata();
    } catch (err) {
      throw writer.#writeError(err);
    }
    return writer;
  }

  /**
   * Declares a topic. Its schema is the registry's rosbag2-style text for `type` unless
   * `schemaText` is given; an unknown type without one throws E_UNKNOWN_TYPE now.
   */
  addTopic(topic: string, type: string, options: BagTopicOptions = {}): void {
    const fullType = fullTypeName(type);
    const existing = this.#topics.get(topic);
    if (existing) {
      if (existing.type !== fullType) throw new BagError('E_BAG_TOPIC', `topic ${topic} is already ${existing.type}, cannot add it as ${fullType}`, { topic });
      return;
    }
    const schemaText = options.schemaText ?? this.#registry.schemaText(fullType);
    if (options.schemaText !== undefined) this.#codec.addSchemaText(fullType, options.schemaText);
    this.#topics.set(topic, {
      name: topic,
      type: fullType,
      offeredQos: options.offeredQosProfiles ?? offeredQosFor(options.qos ?? SENSOR_QOS),
      schemaText,
      messageCount: 0,
      sequence: 0,
    });
  }

  /** How long a message may wait in an unfinished chunk (ms; 0 = until the chunk is full). Applies from the next message on. */
  get flushIntervalMs(): number {
    return this.#flushIntervalMs;
  }

  setFlushInterval(ms: number): void {
    if (!(Number.isFinite(ms) && ms >= 0)) throw new BagError('E_BAG_WRITE', `flushIntervalMs must be a number ≥ 0, got ${ms}`);
    this.#flushIntervalMs = ms;
  }

  /** Hands the current chunk to the storage now (in order with the writes before it). False once failed or closed. */
  flush(): Promise<boolean> {
    const next = this.#tail.then(() => this.#flushChunk());
    this.#tail = next;
    return next;
  }

  /** Whether nothing has failed and close() has not been called. */
  get ok(): boolean {
    return this.#state === 'open';
  }

  /**
   * Writes serialised CDR bytes. Resolves true once the message is in the current chunk, false when
   * the writer has failed or closed. `data` must not change until the promise resolves.
   * An undeclared topic throws E_BAG_TOPIC synchronously.
   */
  write(topic: string, data: Uint8Array, logTimeNs: bigint, publishTimeNs: bigint = logTimeNs): Promise<boolean> {
    const entry = this.#topics.get(topic);
    if (!entry) throw new BagError('E_BAG_TOPIC', `topic ${topic} was not added (addTopic) before writing`, { topic });
    const next = this.#tail.then(() => this.#write(entry, data, logTimeNs, publishTimeNs));
    this.#tail = next;
    return next;
  }

  /** Encodes `message` as CDR with the topic's type (throws E_CDR_ENCODE synchronously) and writes it. */
  writeMessage(topic: string, message: unknown, logTimeNs: bigint, publishTimeNs: bigint = logTimeNs): Promise<boolean> {
    const entry = this.#topics.get(topic);
    if (!entry) throw new BagError('E_BAG_TOPIC', `topic ${topic} was not added (addTopic) before writing`, { topic });
    return this.write(topic, this.#codec.encode(entry.type, message), logTimeNs, publishTimeNs);
  }

  /** Finishes the current file (summary, footer), writes metadata.yaml. Never rejects. */
  close(): Promise<BagWriterStatus> {
    const next = this.#tail.then(async () => {
      this.#disarmFlush();
      if (this.#state !== 'open') return this.status();
      try {
        await this.#closeFile();
        this.#state = 'closed';
        await this.#writeMetadata();
      } catch (err) {
        await this.#fail(err);
      }
      return this.status();
    });
    this.#tail = next;
    return next;
  }

  status(): BagWriterStatus {
    const files = [...this.#closedFiles];
    if (this.#file) files.push(this.#fileStatus(this.#file));
    return {
      state: this.#state,
      ...(this.#error ? { error: this.#error } : {}),
      messageCount: this.#messageCount,
      bytesWritten: files.reduce((s, f) => s + f.sizeBytes, 0),
      files,
      topics: [...this.#topics.values()].map((t) => ({ name: t.name, type: t.type, messageCount: t.messageCount })),
    };
  }

  /** metadata.yaml content for the bag as written so far. */
  metadata(): BagMetadata {
    const { files } = this.status();
    return {
      version: METADATA_VERSION,
      storageIdentifier: 'mcap',
      relativeFilePaths: files.map((f) => f.path),
      durationNs: this.#messageCount > 0 ? this.#endNs - this.#startNs : 0n,
      startingTimeNs: this.#startNs,
      messageCount: this.#messageCount,
      topics: [...this.#topics.values()].map((t) => ({
        name: t.name,
        type: t.type,
        serializationFormat: 'cdr',
        offeredQosProfiles: t.offeredQos,
        messageCount: t.messageCount,
      })),
      compressionFormat: '',
      compressionMode: '',
      files: files.map((f) => ({ path: f.path, startingTimeNs: f.startNs, durationNs: f.endNs - f.startNs, messageCount: f.messageCount })),
    };
  }

  async #write(entry: TopicEntry, data: Uint8Array, logTimeNs: bigint, publishTimeNs: bigint): Promise<boolean> {
    if (this.#state !== 'open') return false;
    try {
      let file = this.#file!;
      if (this.#maxDurationNs > 0n && file.writer.messageCount > 0 && logTimeNs - file.writer.startTime >= this.#maxDurationNs) {
        file = await this.#split();
      }
      const channel = file.channels.get(entry.name) ?? this.#addChannel(file, entry);
      const flushing = file.writer.addMessage(channel, entry.sequence++, logTimeNs, publishTimeNs, data);
      entry.messageCount++;
      if (this.#messageCount === 0 || logTimeNs < this.#startNs) this.#startNs = logTimeNs;
      if (this.#messageCount === 0 || logTimeNs > this.#endNs) this.#endNs = logTimeNs;
      this.#messageCount++;
      if (flushing) await flushing;
      if (this.#maxSize > 0 && file.writer.sizeBytes >= this.#maxSize) await this.#split();
      this.#armFlush();
      return true;
    } catch (err) {
      await this.#fail(err);
      return false;
    }
  }

  /**
   * Arms the flush timer when the current chunk holds messages and no timer runs; disarms it when the
   * chunk was just finished. Unref'd: a pending flush does not keep the process alive (close() flushes).
   */
  #armFlush(): void {
    if (this.#flushIntervalMs <= 0 || !this.#file || this.#file.writer.pendingMessages === 0) {
      this.#disarmFlush();
      return;
    }
    if (this.#flushTimer) return;
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = undefined;
      void this.flush();
    }, this.#flushIntervalMs);
    this.#flushTimer.unref();
  }

  #disarmFlush(): void {
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
  }

  async #flushChunk(): Promise<boolean> {
    if (this.#state !== 'open') return false;
    try {
      if (this.#file && this.#file.writer.pendingMessages > 0) await this.#file.writer.flush();
      this.#armFlush();
      return true;
    } catch (err) {
      await this.#fail(err);
      return false;
    }
  }

  #addChannel(file: OpenFile, entry: TopicEntry): number {
    let schemaId = file.schemas.get(entry.type);
    if (schemaId === undefined) {
      schemaId = file.writer.addSchema(entry.type, 'ros2msg', encoder.encode(entry.schemaText));
      file.schemas.set(entry.type, schemaId);
    }
    const channel = file.writer.addChannel(entry.name, schemaId, 'cdr', new Map([['offered_qos_profiles', entry.offeredQos]]));
    file.channels.set(entry.name, channel);
    return channel;
  }

  async #openFile(): Promise<OpenFile> {
    const path = `${this.#name}_${this.#fileIndex++}.mcap`;
    const output = await this.#sink.createFile(path);
    const writer = new McapFileWriter(output, {
      chunkSizeBytes: this.#chunkSize,
      compression: this.#compression,
      compress: this.#compress,
      profile: 'ros2',
      library: this.#library,
    });
    const file: OpenFile = { path, output, writer, channels: new Map(), schemas: new Map() };
    this.#file = file;
    await writer.start();
    return file;
  }

  async #closeFile(): Promise<void> {
    const file = this.#file!;
    await file.writer.end();
    await file.output.close();
    this.#closedFiles.push(this.#fileStatus(file));
    this.#file = undefined;
  }

  async #split(): Promise<OpenFile> {
    await this.#closeFile();
    const file = await this.#openFile();
    await this.#writeMetadata();
    return file;
  }

  #fileStatus(file: OpenFile): BagFileStatus {
    return {
      path: file.path,
      messageCount: file.writer.messageCount,
      startNs: file.writer.startTime,
      endNs: file.writer.endTime,
      sizeBytes: file.writer.sizeBytes,
    };
  }

  async #writeMetadata(): Promise<void> {
    await this.#sink.replaceFile(METADATA_FILE, encoder.encode(renderMetadataYaml(this.metadata())));
  }

  #writeError(err: unknown): BagError {
    if (err instanceof BagError) return err;
    const code = (err as { code?: string }).code;
    const file = this.#file?.path ?? this.#closedFiles.at(-1)?.path;
    const where = file ? `${file} at offset ${this.#file ? this.#file.output.position() : '?'}` : 'bag';
    const hint = code === 'ENOSPC' ? ' (disk full)' : code === 'EDQUOT' ? ' (quota exceeded)' : '';
    return new BagError(
      'E_BAG_WRITE',
      `${where}: write failed${hint}: ${errorText(err)}; recording stopped with ${this.#messageCount} messages, ` +
        'the finished chunks are kept (`pilot bag recover <bag>` indexes a file left without its summary)',
      { ...(file ? { file } : {}), ...(this.#file ? { offset: this.#file.output.position() } : {}) },
      err,
    );
  }

  async #fail(err: unknown): Promise<void> {
    if (this.#state === 'failed') return;
    this.#disarmFlush();
    const error = this.#writeError(err);
    this.#state = 'failed';
    this.#error = error;
    if (this.#file) {
      this.#closedFiles.push(this.#fileStatus(this.#file));
      const output = this.#file.output;
      this.#file = undefined;
      await output.close().catch(() => undefined);
    }
    await this.#writeMetadata().catch(() => undefined);
    try {
      this.#onError?.(error);
    } catch {
      // A throwing listener must not turn a reported failure into an unhandled rejection.
    }
  }
}

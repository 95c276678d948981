/**
 * Writes one chunked MCAP file the way rosbag2's MCAP plugin lays it out: header (profile `ros2`),
 * then chunks holding schema, channel and message records, each chunk followed by its message
 * indexes, then DataEnd, summary and footer at `end()`.
 *
 * Crash safety: a chunk and its indexes are handed to the output as soon as the chunk is full (or
 * when the caller flushes it early: BagWriter does so on a timer), so a file cut short (SIGKILL, power
 * loss after the OS wrote it) keeps every finished chunk; recovery rebuilds the summary from them.
 * Nothing is buffered outside the current chunk.
 *
 * Not @mcap/core's McapWriter: it copies each message twice more (record builder, then a sliced
 * chunk buffer) and computes CRCs in JavaScript (~0.7 GB/s), which caps recording of camera images.
 */
import { McapRecordBuilder } from '@mcap/core';
import type { ChunkIndex, Statistics } from '@mcap/core';
import type { ChunkCompression } from './compression.js';
import { crc32 } from './crc.js';
import type { BagWritable } from './io.js';
import { ChunkBuffer, chunkRecordPrefix, type ChannelRecord, type SchemaRecord } from './mcap-records.js';
import { buildSummaryTail } from './mcap-summary.js';

export interface McapFileWriterOptions {
  /** A chunk is finished once its records reach this size (default 1 MiB). */
  readonly chunkSizeBytes?: number;
  readonly compression?: ChunkCompression;
  /** Compressor for `compression` (from loadCompression()); required unless compression is none. */
  readonly compress?: (kind: ChunkCompression, data: Uint8Array) => Uint8Array;
  readonly profile?: string;
  readonly library?: string;
}

export const DEFAULT_CHUNK_SIZE_BYTES = 1 << 20;

export class McapFileWriter {
  readonly #out: BagWritable;
  readonly #chunkSize: number;
  readonly #compression: ChunkCompression;
  readonly #compress: (kind: ChunkCompression, data: Uint8Array) => Uint8Array;
  readonly #profile: string;
  readonly #library: string;
  readonly #chunk: ChunkBuffer;
  readonly #schemas = new Map<number, SchemaRecord>();
  readonly #channels = new Map<number, ChannelRecord>();
  readonly #writtenSchemas = new Set<number>();
  readonly #writtenChannels = new Set<number>();
  readonly #chunkIndexes: ChunkIndex[] = [];
  readonly #channelCounts = new Map<number, bigint>();
  #dataCrc = 0;
  #messageCount = 0;
  #startTime = 0n;
  #endTime = 0n;
  #started = false;
  #ended = false;

  constructor(out: BagWritable, options: McapFileWriterOptions = {}) {
    const { chunkSizeBytes = DEFAULT_CHUNK_SIZE_BYTES, compression = 'none', compress, profile = 'ros2', library = 'pilot' } = options;
    if (compression !== 'none' && !compress) throw new Error(`McapFileWriter: compression '${compression}' needs a compress function`);
    this.#out = out;
    this.#chunkSize = chunkSizeBytes;
    this.#compression = compression;
    this.#compress = compress ?? ((_k, d) => d);
    this.#profile = profile;
    this.#library = library;
    this.#chunk = new ChunkBuffer(Math.min(chunkSizeBytes, 64 << 20) + 4096);
  }

  get messageCount(): number {
    return this.#messageCount;
  }

  /** Messages in the current chunk, not yet handed to the output. */
  get pendingMessages(): number {
    return this.#chunk.messageCount;
  }

  /** Log time of the first and last message (0n before any). */
  get startTime(): bigint {
    return this.#startTime;
  }

  get endTime(): bigint {
    return this.#endTime;
  }

  /** Bytes written to the output plus those waiting in the current chunk (uncompressed). */
  get sizeBytes(): number {
    return Number(this.#out.position()) + this.#chunk.length;
  }

  async start(): Promise<void> {
    if (this.#started) throw new Error('McapFileWriter: start() called twice');
    this.#started = true;
    const b = new McapRecordBuilder();
    b.writeMagic();
    b.writeHeader({ profile: this.#profile, library: this.#library });
    await this.#write(b.buffer);
  }

  /** Registers a schema; it is written into the chunk of the first message that uses it. */
  addSchema(name: string, encoding: string, data: Uint8Array): number {
    const id = this.#schemas.size + 1;
    this.#schemas.set(id, { id, name, encoding, data });
    return id;
  }

  /** Registers a channel (a topic); written with its first message. */
  addChannel(topic: string, schemaId: number, messageEncoding: string, metadata: ReadonlyMap<string, string>): number {
    const id = this.#channels.size;
    this.#channels.set(id, { id, schemaId, topic, messageEncoding, metadata });
    return id;
  }

  /** Appends one message; finishes (writes) the chunk when it is full. `data` is copied before this returns. */
  addMessage(channelId: number, sequence: number, logTime: bigint, publishTime: bigint, data: Uint8Array): Promise<void> | undefined {
    if (!this.#started || this.#ended) throw new Error('McapFileWriter: addMessage outside start()..end()');
    if (!this.#writtenChannels.has(channelId)) this.#introduce(channelId);
    this.#chunk.appendMessage(channelId, sequence, logTime, publishTime, data);
    if (this.#messageCount === 0 || logTime < this.#startTime) this.#startTime = logTime;
    if (this.#messageCount === 0 || logTime > this.#endTime) this.#endTime = logTime;
    this.#messageCount++;
    this.#channelCounts.set(channelId, (this.#channelCounts.get(channelId) ?? 0n) + 1n);
    return this.#chunk.length >= this.#chunkSize ? this.flush() : undefined;
  }

  #introduce(channelId: number): void {
    const channel = this.#channels.get(channelId);
    if (!channel) throw new Error(`McapFileWriter: unknown channel ${channelId}`);
    const b = new McapRecordBuilder();
    if (channel.schemaId !== 0 && !this.#writtenSchemas.has(channel.schemaId)) {
      const schema = this.#schemas.get(channel.schemaId);
      if (!schema) throw new Error(`McapFileWriter: channel ${channel.topic} has unknown schema ${channel.schemaId}`);
      b.writeSchema(schema);
      this.#writtenSchemas.add(schema.id);
    }
    b.writeChannel({ ...channel, metadata: new Map(channel.metadata) });
    this.#writtenChannels.add(channelId);
    this.#chunk.appendRecord(b.buffer);
  }

  /** Writes the current chunk and its message indexes (nothing when it holds no message). */
  async flush(): Promise<void> {
    const chunk = this.#chunk;
    if (chunk.messageCount === 0) return;
    const records = chunk.bytes;
    const uncompressedCrc = crc32(records);
    const compressed = this.#compression === 'none' ? records : this.#compress(this.#compression, records);
    const header = {
      messageStartTime: chunk.startTime,
      messageEndTime: chunk.endTime,
      uncompressedSize: BigInt(records.byteLength),
      uncompressedCrc,
      compression: this.#compression === 'none' ? '' : this.#compression,
    };
    const prefix = chunkRecordPrefix(header, compressed.byteLength);
    const chunkStartOffset = this.#out.position();
    const chunkLength = BigInt(prefix.byteLength + compressed.byteLength);
    const indexes = new McapRecordBuilder();
    const messageIndexOffsets = new Map<number, bigint>();
    const indexStart = chunkStartOffset + chunkLength;
    for (const [channelId, records] of chunk.index) {
      messageIndexOffsets.set(channelId, indexStart + BigInt(indexes.length));
      indexes.writeMessageIndex({ channelId, records });
    }
    const indexBytes = indexes.buffer;
    await this.#write(prefix);
    await this.#write(compressed);
    await this.#write(indexBytes);
    this.#chunkIndexes.push({
      ...header,
      chunkStartOffset,
      chunkLength,
      messageIndexOffsets,
      messageIndexLength: BigInt(indexBytes.byteLength),
      compressedSize: BigInt(compressed.byteLength),
    });
    chunk.reset();
  }

  /** Finishes the file: last chunk, DataEnd, summary, footer. The output is not closed. */
  async end(): Promise<void> {
    if (this.#ended) return;
    await this.flush();
    this.#ended = true;
    const statistics: Statistics = {
      messageCount: BigInt(this.#messageCount),
      schemaCount: this.#schemas.size,
      channelCount: this.#channels.size,
      attachmentCount: 0,
      metadataCount: 0,
      chunkCount: this.#chunkIndexes.length,
      messageStartTime: this.#startTime,
      messageEndTime: this.#endTime,
      channelMessageCounts: this.#channelCounts,
    };
    const tail = buildSummaryTail(this.#out.position(), this.#dataCrc, {
      schemas: [...this.#schemas.values()],
      channels: [...this.#channels.values()],
      statistics,
      chunkIndexes: this.#chunkIndexes,
    });
    await this.#out.write(tail);
  }

  async #write(bytes: Uint8Array): Promise<void> {
    this.#dataCrc = crc32(bytes, this.#dataCrc);
    await this.#out.write(bytes);
  }
}


/**
 * The MCAP records this layer reads and writes by hand, for speed and for positions: message data
 * stays a view into its chunk (no copy), every message knows its chunk and offset (for error
 * messages and recovery), and partial records are told apart from corrupt ones. Summary records are
 * built with @mcap/core's McapRecordBuilder.
 */
import { MCAP_MAGIC, Opcode } from '@mcap/core';

export { Opcode };

export const MAGIC = new Uint8Array(MCAP_MAGIC);
/** Opcode (1) + content length (8). */
export const RECORD_PREFIX = 9;

export interface SchemaRecord {
  readonly id: number;
  readonly name: string;
  readonly encoding: string;
  readonly data: Uint8Array;
}

export interface ChannelRecord {
  readonly id: number;
  readonly schemaId: number;
  readonly topic: string;
  readonly messageEncoding: string;
  readonly metadata: ReadonlyMap<string, string>;
}

export interface MessageRecord {
  readonly channelId: number;
  readonly sequence: number;
  readonly logTime: bigint;
  readonly publishTime: bigint;
  /** A view into the chunk (or record) bytes. */
  readonly data: Uint8Array;
  /** Offset of the record: inside the uncompressed chunk, or in the file for unchunked messages. */
  readonly offset: number;
}

export interface ChunkHeader {
  readonly messageStartTime: bigint;
  readonly messageEndTime: bigint;
  readonly uncompressedSize: bigint;
  readonly uncompressedCrc: number;
  readonly compression: string;
  /** The (compressed) records. */
  readonly records: Uint8Array;
}

const decoder = new TextDecoder();

/** Little-endian reads over a byte view; throws RangeError past the end. */
export class ByteReader {
  readonly view: DataView;
  offset: number;

  constructor(readonly bytes: Uint8Array, offset = 0) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.offset = offset;
  }

  get remaining(): number {
    return this.bytes.byteLength - this.offset;
  }

  u8(): number {
    return this.view.getUint8(this.offset++);
  }

  u16(): number {
    const v = this.view.getUint16(this.offset, true);
    this.offset += 2;
    return v;
  }

  u32(): number {
    const v = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return v;
  }

  u64(): bigint {
    const v = this.view.getBigUint64(this.offset, true);
    this.offset += 8;
    return v;
  }

  /** `length` bytes as a view. */
  take(length: number): Uint8Array {
    if (length < 0 || this.offset + length > this.bytes.byteLength) {
      throw new RangeError(`needs ${length} bytes at ${this.offset}, ${this.remaining} left`);
    }
    const v = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return v;
  }

  string(): string {
    return decoder.decode(this.take(this.u32()));
  }

  map(): Map<string, string> {
    const end = this.u32() + this.offset;
    const m = new Map<string, string>();
    while (this.offset < end) m.set(this.string(), this.string());
    if (this.offset !== end) throw new RangeError('map length does not match its entries');
    return m;
  }
}

export function parseSchema(content: Uint8Array): SchemaRecord {
  const r = new ByteReader(content);
  const id = r.u16();
  const name = r.string();
  const encoding = r.string();
  const data = r.take(r.u32());
  return { id, name, encoding, data };
}

export function parseChannel(content: Uint8Array): ChannelRecord {
  const r = new ByteReader(content);
  return { id: r.u16(), schemaId: r.u16(), topic: r.string(), messageEncoding: r.string(), metadata: r.map() };
}

/** Message record content; `offset` is where the record (its opcode) starts. */
export function parseMessage(content: Uint8Array, offset: number): MessageRecord {
  const v = new DataView(content.buffer, content.byteOffset, content.byteLength);
  if (content.byteLength < 22) throw new RangeError(`message record of ${content.byteLength} bytes is shorter than its 22-byte header`);
  return {
    channelId: v.getUint16(0, true),
    sequence: v.getUint32(2, true),
    logTime: v.getBigUint64(6, true),
    publishTime: v.getBigUint64(14, true),
    data: content.subarray(22),
    offset,
  };
}

export function parseChunkHeader(content: Uint8Array): ChunkHeader {
  const r = new ByteReader(content);
  const messageStartTime = r.u64();
  const messageEndTime = r.u64();
  const uncompressedSize = r.u64();
  const uncompressedCrc = r.u32();
  const compression = r.string();
  const length = r.u64();
  if (length > BigInt(r.remaining)) throw new RangeError(`chunk says ${length} bytes of records, record holds ${r.remaining}`);
  const records = r.take(Number(length));
  return { messageStartTime, messageEndTime, uncompressedSize, uncompressedCrc, compression, records };
}

/** Message index content: the channel and its (logTime, offset-in-chunk) entries. */
export function parseMessageIndex(content: Uint8Array): { channelId: number; entries: number } {
  const r = new ByteReader(content);
  const channelId = r.u16();
  const bytes = r.u32();
  if (bytes % 16 !== 0 || bytes > r.remaining) throw new RangeError('bad message index length');
  return { channelId, entries: bytes / 16 };
}

export type InnerRecord =
  | { readonly kind: 'schema'; readonly schema: SchemaRecord }
  | { readonly kind: 'channel'; readonly channel: ChannelRecord }
  | { readonly kind: 'message'; readonly message: MessageRecord }
  | { readonly kind: 'other'; readonly opcode: number };

/**
 * Walks the records of an uncompressed chunk. Throws RangeError (with the offset) on a record that
 * does not fit, so a corrupt chunk is reported rather than half-read silently.
 */
export function* chunkRecords(records: Uint8Array): Generator<InnerRecord> {
  const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
  let pos = 0;
  while (pos < records.byteLength) {
    if (pos + RECORD_PREFIX > records.byteLength) throw new RangeError(`record header at chunk offset ${pos} runs past the chunk end`);
    const opcode = view.getUint8(pos);
    const length = view.getBigUint64(pos + 1, true);
    const start = pos + RECORD_PREFIX;
    if (length > BigInt(records.byteLength - start)) {
      throw new RangeError(`record (opcode 0x${opcode.toString(16)}) at chunk offset ${pos} says ${length} bytes, chunk has ${records.byteLength - start} left`);
    }
    const content = records.subarray(start, start + Number(length));
    try {
      switch (opcode) {
        case Opcode.MESSAGE:
          yield { kind: 'message', message: parseMessage(content, pos) };
          break;
        case Opcode.SCHEMA:
          yield { kind: 'schema', schema: parseSchema(content) };
          break;
        case Opcode.CHANNEL:
          yield { kind: 'channel', channel: parseChannel(content) };
          break;
        default:
          yield { kind: 'other', opcode };
      }
    } catch (err) {
      if (err instanceof RangeError) throw new RangeError(`record (opcode 0x${opcode.toString(16)}) at chunk offset ${pos}: ${err.message}`);
      throw err;
    }
    pos = start + Number(length);
  }
}

/**
 * The records of one chunk being built: messages are copied once, straight into a reused buffer;
 * schema and channel records (rare) come pre-serialised.
 */
export class ChunkBuffer {
  #bytes: Uint8Array;
  #view: DataView;
  #length = 0;
  messageCount = 0;
  startTime = 0n;
  endTime = 0n;
  /** Per channel: [logTime, offset] pairs for the message index. */
  readonly index = new Map<number, [bigint, bigint][]>();

  constructor(initialBytes: number) {
    this.#bytes = new Uint8Array(Math.max(4096, initialBytes));
    this.#view = new DataView(this.#bytes.buffer);
  }

  get length(): number {
    return this.#length;
  }

  /** The records written so far (a view, valid until the next append or reset). */
  get bytes(): Uint8Array {
    return this.#bytes.subarray(0, this.#length);
  }

  #reserve(extra: number): void {
    const need = this.#length + extra;
    if (need <= this.#bytes.byteLength) return;
    let capacity = this.#bytes.byteLength * 2;
    while (capacity < need) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = grown;
    this.#view = new DataView(grown.buffer);
  }

  appendRecord(record: Uint8Array): void {
    this.#reserve(record.byteLength);
    this.#bytes.set(record, this.#length);
    this.#length += record.byteLength;
  }

  appendMessage(channelId: number, sequence: number, logTime: bigint, publishTime: bigint, data: Uint8Array): void {
    const contentLength = 22 + data.byteLength;
    this.#reserve(RECORD_PREFIX + contentLength);
    const offset = this.#length;
    const v = this.#view;
    v.setUint8(offset, Opcode.MESSAGE);
    v.setBigUint64(offset + 1, BigInt(contentLength), true);
    v.setUint16(offset + 9, channelId, true);
    v.setUint32(offset + 11, sequence >>> 0, true);
    v.setBigUint64(offset + 15, logTime, true);
    v.setBigUint64(offset + 23, publishTime, true);
    this.#bytes.set(data, offset + 31);
    this.#length = offset + 31 + data.byteLength;
    if (this.messageCount === 0 || logTime < this.startTime) this.startTime = logTime;
    if (this.messageCount === 0 || logTime > this.endTime) this.endTime = logTime;
    this.messageCount++;
    let entries = this.index.get(channelId);
    if (!entries) this.index.set(channelId, (entries = []));
    entries.push([logTime, BigInt(offset)]);
  }

  reset(): void {
    this.#length = 0;
    this.messageCount = 0;
    this.startTime = 0n;
    this.endTime = 0n;
    this.index.clear();
  }
}

/** The 9-byte prefix and fixed fields of a chunk record, up to (and including) the records length. */
export function chunkRecordPrefix(h: Omit<ChunkHeader, 'records'>, recordsLength: number): Uint8Array {
  const compression = new TextEncoder().encode(h.compression);
  const prefix = new Uint8Array(RECORD_PREFIX + 8 + 8 + 8 + 4 + 4 + compression.byteLength + 8);
  const v = new DataView(prefix.buffer);
  const contentLength = prefix.byteLength - RECORD_PREFIX + recordsLength;
  v.setUint8(0, Opcode.CHUNK);
  v.setBigUint64(1, BigInt(contentLength), true);
  let p = RECORD_PREFIX;
  v.setBigUint64(p, h.messageStartTime, true);
  v.setBigUint64((p += 8), h.messageEndTime, true);
  v.setBigUint64((p += 8), h.uncompressedSize, true);
  v.setUint32((p += 8), h.uncompressedCrc, true);
  v.setUint32((p += 4), compression.byteLength, true);
  prefix.set(compression, (p += 4));
  v.setBigUint64(p + compression.byteLength, BigInt(recordsLength), true);
  return prefix;
}

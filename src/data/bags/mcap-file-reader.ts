/**
 * Reads one MCAP file. With a summary (a file closed properly) McapIndexedReader reads it: schemas,
 * channels, statistics and chunk indexes, without touching the data. Without one (a recording cut
 * short, or a writer that wrote none) the file is scanned record by record once to find the same,
 * and the scan says exactly where a truncated file ends.
 *
 * Messages are then read chunk by chunk from the chunk list (index or scan) rather than with
 * McapIndexedReader.readMessages, which copies every message twice and checks CRCs in JavaScript:
 * that ran a 640×480 camera bag at ~50× real time against a bar of 100×. Here a message is a view
 * into its decompressed chunk, CRCs use Node's native crc32, and each message carries its chunk
 * offset for error messages. Chunks that overlap in time are merged, so the order is log time.
 */
import { McapIndexedReader } from '@mcap/core';
import type { CompressionCodecs } from './compression.js';
import { BagError, errorText } from './errors.js';
import type { BagReadable } from './io.js';
import { chunkRecords, MAGIC, parseChunkHeader, RECORD_PREFIX, type ChannelRecord, type InnerRecord, type MessageRecord, type SchemaRecord } from './mcap-records.js';
import { scanMcap, type Block } from './mcap-scan.js';
import { corrupt, decompressChunk, mcapFileInfo } from './mcap-walk.js';
import type { BagMessage, MessageQuery, StorageDefinition, StorageFileInfo, StorageReader } from './types.js';

export interface McapFileReaderOptions {
  readonly codecs: CompressionCodecs;
  /** Check chunk CRCs (default true). */
  readonly validateCrcs?: boolean;
}

const decoder = new TextDecoder();

export class McapFileReader implements StorageReader {
  readonly info: StorageFileInfo;
  readonly definitions: readonly StorageDefinition[];
  readonly #path: string;
  readonly #readable: BagReadable;
  readonly #codecs: CompressionCodecs;
  readonly #validateCrcs: boolean;
  readonly #channels: ReadonlyMap<number, ChannelRecord>;
  readonly #schemas: ReadonlyMap<number, SchemaRecord>;
  readonly #blocks: readonly Block[];
  readonly #endProblem: BagError | undefined;

  private constructor(args: {
    path: string;
    readable: BagReadable;
    options: McapFileReaderOptions;
    info: StorageFileInfo;
    channels: ReadonlyMap<number, ChannelRecord>;
    schemas: ReadonlyMap<number, SchemaRecord>;
    blocks: Block[];
    endProblem: BagError | undefined;
  }) {
    this.#path = args.path;
    this.#readable = args.readable;
    this.#codecs = args.options.codecs;
    this.#validateCrcs = args.options.validateCrcs ?? true;
    this.info = args.info;
    this.#channels = args.channels;
    this.#schemas = args.schemas;
    this.#blocks = args.blocks;
    this.#endProblem = args.endProblem;
    this.definitions = [...args.schemas.values()].map((s) => ({ type: s.name, encoding: s.encoding, text: decoder.decode(s.data) }));
  }

  /** Opens `path` (its name within the bag, for messages). Not an MCAP file → E_BAG_FORMAT. */
  static async open(path: string, readable: BagReadable, options: McapFileReaderOptions): Promise<McapFileReader> {
    const size = await readable.size();
    const head = await readable.read(0n, BigInt(MAGIC.length));
    const magicOk = head.length > 0 && head.every((b, i) => b === MAGIC[i]);
    if (!magicOk) {
      const shown = [...head].map((b) => b.toString(16).padStart(2, '0')).join(' ');
      throw new BagError('E_BAG_FORMAT', `${path}: not an MCAP file (starts with ${shown || 'nothing'}, expected 89 4d 43 41 50 30 0d 0a)`, { file: path, offset: 0 });
    }
    if (head.length < MAGIC.length) {
      throw new BagError('E_BAG_TRUNCATED', `${path}: file ends at offset ${size} inside the MCAP magic; no data`, { file: path, offset: size });
    }
    let indexed: McapIndexedReader | undefined;
    try {
      indexed = await McapIndexedReader.Initialize({ readable });
    } catch {
      indexed = undefined;
    }
    if (indexed && (indexed.chunkIndexes.length > 0 || (indexed.statistics?.messageCount ?? 0n) === 0n)) {
      return McapFileReader.#fromIndex(path, readable, options, size, indexed);
    }
    const scan = await scanMcap(path, readable, options, size);
    return new McapFileReader({ path, readable, options, ...scan });
  }

  static async #fromIndex(path: string, readable: BagReadable, options: McapFileReaderOptions, size: bigint, r: McapIndexedReader): Promise<McapFileReader> {
    const channels = new Map<number, ChannelRecord>();
    for (const c of r.channelsById.values()) channels.set(c.id, c);
    const schemas = new Map<number, SchemaRecord>();
    for (const s of r.schemasById.values()) schemas.set(s.id, s);
    const blocks: Block[] = r.chunkIndexes.map((c) => ({
      kind: 'chunk',
      offset: c.chunkStartOffset,
      length: c.chunkLength,
      startTime: c.messageStartTime,
      endTime: c.messageEndTime,
      channels: new Set(c.messageIndexOffsets.keys()),
    }));
    let counts: Map<number, bigint>;
    if (r.statistics) {
      counts = r.statistics.channelMessageCounts;
    } else {
      counts = await countFromMessageIndexes(readable, r);
    }
    let start: bigint | undefined;
    let end: bigint | undefined;
    for (const c of r.chunkIndexes) {
      if (start === undefined || c.messageStartTime < start) start = c.messageStartTime;
      if (end === undefined || c.messageEndTime > end) end = c.messageEndTime;
    }
    if (r.statistics && r.statistics.messageCount > 0n) {
      start = r.statistics.messageStartTime;
      end = r.statistics.messageEndTime;
    }
    const info = mcapFileInfo({
      path,
      size,
      channels,
      schemas,
      counts,
      start,
      end,
      indexed: true,
      compression: r.chunkIndexes.map((c) => c.compression),
      chunkCount: r.chunkIndexes.length,
      problems: [],
      library: `${r.header.library} (profile ${r.header.profile || 'none'})`,
    });
    return new McapFileReader({ path, readable, options, info, channels, schemas, blocks, endProblem: undefined });
  }

  async *messages(query: MessageQuery = {}): AsyncGenerator<BagMessage> {
    const { topics, startNs, endNs, onError, reuseBuffers = false } = query;
    let wanted: Set<number> | undefined;
    if (topics) {
      wanted = new Set();
      for (const c of this.#channels.values()) if (topics.includes(c.topic)) wanted.add(c.id);
    }
    const report = (err: BagError): void => {
      if (!onError) throw err;
      onError(err);
    };
    const blocks = this.#blocks
      .filter((b) => (startNs === undefined || b.endTime >= startNs) && (endNs === undefined || b.startTime <= endNs))
      .filter((b) => !wanted || !b.channels || [...b.channels].some((c) => wanted!.has(c)))
      .slice()
      .sort((a, b) => (a.startTime < b.startTime ? -1 : a.startTime > b.startTime ? 1 : a.offset < b.offset ? -1 : 1));
    const bytes = new BlockBytes(this.#path, this.#readable, blocks);
    let i = 0;
    while (i < blocks.length) {
      // Blocks whose time ranges overlap are merged; usually each chunk stands alone.
      let j = i + 1;
      let clusterEnd = blocks[i]!.endTime;
      while (j < blocks.length && blocks[j]!.startTime <= clusterEnd) {
        if (blocks[j]!.endTime > clusterEnd) clusterEnd = blocks[j]!.endTime;
        j++;
      }
      const batch: BagMessage[] = [];
      let sorted = true;
      for (let k = i; k < j; k++) {
        const block = blocks[k]!;
        let loaded: BagMessage[];
        try {
          if (block.error) throw block.error;
          // A reused buffer only when this block's messages are all yielded before the next read.
          loaded = this.#parse(block, await bytes.get(k, reuseBuffers && j - i === 1), wanted, startNs, endNs);
        } catch (err) {
          report(err instanceof BagError ? err : corrupt(this.#path, block.offset, errorText(err)));
          continue;
        }
        for (const m of loaded) {
          if (sorted && batch.length > 0 && m.logTimeNs < batch[batch.length - 1]!.logTimeNs) sorted = false;
          batch.push(m);
        }
      }
      // Array.prototype.sort is stable: equal log times keep file order.
      if (!sorted) batch.sort((a, b) => (a.logTimeNs < b.logTimeNs ? -1 : a.logTimeNs > b.logTimeNs ? 1 : 0));
      yield* batch;
      i = j;
    }
    if (this.#endProblem) report(this.#endProblem);
  }

  async close(): Promise<void> {
    // The readable is owned by whoever opened it.
  }

  #parse(block: Block, bytes: Uint8Array, wanted: Set<number> | undefined, startNs: bigint | undefined, endNs: bigint | undefined): BagMessage[] {
    let records: Uint8Array;
    if (block.kind === 'chunk') {
      let header;
      try {
        header = parseChunkHeader(bytes.subarray(RECORD_PREFIX));
      } catch (err) {
        throw corrupt(this.#path, block.offset, `chunk header does not parse: ${errorText(err)}`);
      }
      records = decompressChunk(this.#path, block.offset, header, this.#codecs, this.#validateCrcs);
    } else {
      records = bytes;
    }
    const out: BagMessage[] = [];
    let walked: InnerRecord[];
    try {
      walked = [...chunkRecords(records)];
    } catch (err) {
      throw corrupt(this.#path, block.offset, errorText(err));
    }
    for (const rec of walked) {
      if (rec.kind !== 'message') continue;
      const m: MessageRecord = rec.message;
      if (wanted && !wanted.has(m.channelId)) continue;
      if ((startNs !== undefined && m.logTime < startNs) || (endNs !== undefined && m.logTime > endNs)) continue;
      const channel = this.#channels.get(m.channelId);
      if (!channel) {
        throw corrupt(this.#path, block.offset, `message at chunk offset ${m.offset} is on channel ${m.channelId}, which no channel record defines`);
      }
      const schema = this.#schemas.get(channel.schemaId);
      out.push({
        topic: channel.topic,
        type: schema?.name ?? '',
        logTimeNs: m.logTime,
        publishTimeNs: m.publishTime,
        sequence: m.sequence,
        data: m.data,
        file: this.#path,
        ...(block.kind === 'chunk' ? { offset: block.offset, chunkOffset: m.offset } : { offset: block.offset + BigInt(m.offset) }),
      });
    }
    return out;
  }
}

/** Bytes read ahead per read: several chunks at once, fewer round trips to the file system. */
const READ_AHEAD_BYTES = 8 << 20;

/**
 * Reads the blocks of one iteration in order, a window of consecutive blocks per read, into a fresh
 * buffer or (reuse) one scratch buffer that the next window overwrites.
 */
class BlockBytes {
  #window: Uint8Array | undefined;
  #start = 0n;
  #end = 0n;
  #scratch: Uint8Array | undefined;

  constructor(
    readonly path: string,
    readonly readable: BagReadable,
    readonly blocks: readonly Block[],
  ) {}

  async get(index: number, reuse: boolean): Promise<Uint8Array> {
    const block = this.blocks[index]!;
    const blockEnd = block.offset + block.length;
    if (!this.#window || block.offset < this.#start || blockEnd > this.#end) {
      // Extend the read over the following blocks while they come next in the file.
      let end = blockEnd;
      for (let j = index + 1; j < this.blocks.length; j++) {
        const next = this.blocks[j]!;
        const nextEnd = next.offset + next.length;
        if (next.offset < end || nextEnd - block.offset > BigInt(READ_AHEAD_BYTES) || next.error) break;
        end = nextEnd;
      }
      const length = Number(end - block.offset);
      if (reuse && this.readable.readInto) {
        if (!this.#scratch || this.#scratch.byteLength < length) this.#scratch = new Uint8Array(Math.max(length, READ_AHEAD_BYTES));
        const got = await this.readable.readInto(block.offset, this.#scratch.subarray(0, length));
        this.#window = this.#scratch.subarray(0, got);
      } else {
        this.#window = await this.readable.read(block.offset, BigInt(length));
      }
      this.#start = block.offset;
      this.#end = block.offset + BigInt(this.#window.byteLength);
    }
    const from = Number(block.offset - this.#start);
    const bytes = this.#window.subarray(from, from + Number(block.length));
    if (BigInt(bytes.byteLength) < block.length) {
      throw new BagError('E_BAG_TRUNCATED', `${this.path}: ${block.kind} at offset ${block.offset} needs ${block.length} bytes, file has ${bytes.byteLength} there`, {
        file: this.path,
        offset: block.offset,
      });
    }
    return bytes;
  }
}

async function countFromMessageIndexes(readable: BagReadable, r: McapIndexedReader): Promise<Map<number, bigint>> {
  const counts = new Map<number, bigint>();
  for (const chunk of r.chunkIndexes) {
    for (const [channelId, offset] of chunk.messageIndexOffsets) {
      const head = await readable.read(offset, BigInt(RECORD_PREFIX + 2 + 4));
      const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
      const entries = BigInt(dv.getUint32(RECORD_PREFIX + 2, true) / 16);
      counts.set(channelId, (counts.get(channelId) ?? 0n) + entries);
    }
  }
  return counts;
}

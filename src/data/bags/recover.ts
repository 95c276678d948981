/**
 * Recovery of an MCAP file left without its summary (the recorder was killed, the disk filled up):
 * walk the records from the start, keep every complete and valid chunk, and plan the bytes that
 * make the file whole again: cut the partial record at the end, add the message indexes of the last
 * chunk if they were cut, then DataEnd, summary (schemas, channels, statistics, chunk indexes) and
 * footer. The data already on disk is never rewritten, only the tail. Pure: the caller applies the
 * plan (node-io.ts to a file, `applyRecovery` to bytes in memory).
 */
import { McapRecordBuilder } from '@mcap/core';
import type { ChunkIndex, Statistics } from '@mcap/core';
import type { CompressionCodecs } from './compression.js';
import { BagError, errorText } from './errors.js';
import type { BagReadable } from './io.js';
import {
  chunkRecords,
  MAGIC,
  Opcode,
  parseChannel,
  parseChunkHeader,
  parseMessageIndex,
  parseSchema,
  RECORD_PREFIX,
  type ChannelRecord,
  type SchemaRecord,
} from './mcap-records.js';
import { buildSummaryTail } from './mcap-summary.js';
import { decompressChunk, MessageTally, opcodeName, walkRecords, type WalkedRecord } from './mcap-walk.js';

export interface McapRecoveryReport {
  readonly file: string;
  /** `intact`: nothing to do. `recovered`: the plan makes it whole. */
  readonly status: 'intact' | 'recovered';
  readonly messageCount: number;
  readonly chunkCount: number;
  /** Messages per topic in the recovered file. */
  readonly topics: ReadonlyMap<string, number>;
  /** Log time of the first and last recovered message. */
  readonly startNs: bigint | undefined;
  readonly endNs: bigint | undefined;
  /** Where the readable data stops, and why (truncated record, garbage). Undefined when the data section ended cleanly. */
  readonly stoppedAt: bigint | undefined;
  readonly reason: string | undefined;
  /** Bytes cut from the end of the file. */
  readonly droppedBytes: bigint;
  /** Complete chunks that could not be used (CRC, compression), left in place but not indexed. */
  readonly skippedChunks: readonly { readonly offset: bigint; readonly reason: string }[];
}

export interface McapRecoveryPlan {
  readonly report: McapRecoveryReport;
  /** Keep the file's first `keepBytes` bytes… */
  readonly keepBytes: bigint;
  /** …and append these. Empty when intact. */
  readonly tail: Uint8Array;
}

interface PendingChunk {
  readonly index: Omit<ChunkIndex, 'messageIndexOffsets' | 'messageIndexLength'>;
  readonly entries: Map<number, [bigint, bigint][]>;
  readonly end: bigint;
  readonly found: Map<number, bigint>;
  foundEnd: bigint;
}

/**
 * Plans the recovery of `file`. Throws E_BAG_FORMAT when it is not MCAP at all. A file that already
 * has a valid summary is reported `intact` (the caller checks that with McapIndexedReader first).
 */
export async function planMcapRecovery(file: string, readable: BagReadable, codecs: CompressionCodecs): Promise<McapRecoveryPlan> {
  const size = await readable.size();
  const head = await readable.read(0n, BigInt(MAGIC.length) + BigInt(RECORD_PREFIX));
  if (head.length < MAGIC.length || !MAGIC.every((b, i) => head[i] === b)) {
    throw new BagError('E_BAG_FORMAT', `${file}: not an MCAP file (no MCAP magic at offset 0)`, { file, offset: 0 });
  }
  if (head.length < MAGIC.length + RECORD_PREFIX || head[MAGIC.length] !== Opcode.HEADER) {
    throw new BagError('E_BAG_TRUNCATED', `${file}: no header record after the magic; nothing to recover`, { file, offset: MAGIC.length });
  }
  const walk = new RecoveryWalk(file, readable, codecs);
  await walk.run(size);
  return walk.plan(size);
}

/** One pass over the records: what is kept, what is indexed, and where the readable data stops. */
class RecoveryWalk {
  readonly #schemas = new Map<number, SchemaRecord>();
  readonly #channels = new Map<number, ChannelRecord>();
  readonly #tally = new MessageTally();
  readonly #chunkIndexes: ChunkIndex[] = [];
  readonly #skipped: { offset: bigint; reason: string }[] = [];
  /** The last chunk, while its message indexes are being found. */
  #pending: PendingChunk | undefined;
  /** The last chunk, whose message indexes were cut: written anew in the tail. */
  #regenerate: PendingChunk | undefined;
  #keepEnd = BigInt(MAGIC.length);
  #stoppedAt: bigint | undefined;
  #reason: string | undefined;

  constructor(
    readonly file: string,
    readonly readable: BagReadable,
    readonly codecs: CompressionCodecs,
  ) {}

  async run(size: bigint): Promise<void> {
    let dataEnd: bigint | undefined;
    for await (const r of walkRecords(this.readable, size)) {
      if (r.kind === 'cut') {
        this.#stop(r.offset, `file ends inside a record header (${r.remaining} of ${RECORD_PREFIX} bytes)`);
        break;
      }
      if (r.opcode === 0 || r.total > r.remaining) {
        this.#stop(
          r.offset,
          r.opcode === 0
            ? 'zero bytes where a record should start (space the OS allocated but never wrote)'
            : `file ends inside a ${opcodeName(r.opcode)} record (it needs ${r.total} bytes, ${r.remaining} are left)`,
        );
        break;
      }
      if (r.opcode !== Opcode.MESSAGE_INDEX) this.#settle(false);
      try {
        const content = await this.readable.read(r.offset + BigInt(RECORD_PREFIX), r.length);
        if (r.opcode === Opcode.DATA_END) {
          dataEnd = r.offset;
          break;
        }
        this.#record(r, content);
      } catch (err) {
        this.#stop(r.offset, `${opcodeName(r.opcode)} record does not parse: ${errorText(err)}`);
        break;
      }
      if (r.opcode !== Opcode.MESSAGE_INDEX && r.opcode !== Opcode.CHUNK) this.#keepEnd = r.end;
    }
    this.#settle(dataEnd === undefined);
    if (dataEnd !== undefined) this.#keepEnd = dataEnd;
  }

  /** Keep the bytes up to the last good record; append the missing message indexes and the summary. */
  plan(size: bigint): McapRecoveryPlan {
    const tail = this.#tail();
    const topics = new Map<string, number>();
    for (const [id, n] of this.#tally.counts) {
      const topic = this.#channels.get(id)?.topic ?? `(channel ${id})`;
      topics.set(topic, (topics.get(topic) ?? 0) + Number(n));
    }
    const tally = this.#tally;
    return {
      keepBytes: this.#keepEnd,
      tail,
      report: {
        file: this.file,
        status: 'recovered',
        messageCount: tally.messages,
        chunkCount: this.#chunkIndexes.length,
        topics,
        startNs: tally.start,
        endNs: tally.end,
        stoppedAt: this.#stoppedAt,
        reason: this.#reason,
        droppedBytes: size - this.#keepEnd,
        skippedChunks: this.#skipped,
      },
    };
  }

  #stop(offset: bigint, reason: string): void {
    this.#stoppedAt = offset;
    this.#reason = reason;
  }

  /** One record that fits and whose content was read. Attachments, metadata, stray index records: kept as they are, not indexed. */
  #record(r: WalkedRecord, content: Uint8Array): void {
    switch (r.opcode) {
      case Opcode.SCHEMA: {
        const s = parseSchema(content);
        if (!this.#schemas.has(s.id)) this.#schemas.set(s.id, s);
        break;
      }
      case Opcode.CHANNEL: {
        const c = parseChannel(content);
        if (!this.#channels.has(c.id)) this.#channels.set(c.id, c);
        break;
      }
      case Opcode.MESSAGE: {
        const dv = new DataView(content.buffer, content.byteOffset, content.byteLength);
        this.#tally.seen(dv.getUint16(0, true), dv.getBigUint64(6, true));
        break;
      }
      case Opcode.CHUNK:
        this.#chunk(r, content);
        break;
      case Opcode.MESSAGE_INDEX: {
        const { channelId } = parseMessageIndex(content);
        const pending = this.#pending;
        if (pending && pending.foundEnd === r.offset) {
          pending.found.set(channelId, r.offset);
          pending.foundEnd = r.end;
        }
        break;
      }
    }
  }

  /** A chunk whose records all read is kept and waits for its message indexes; else it is skipped (left in place). */
  #chunk(r: WalkedRecord, content: Uint8Array): void {
    const { file, codecs } = this;
    const offset = r.offset;
    this.#keepEnd = r.end;
    let header;
    let records: Uint8Array;
    try {
      header = parseChunkHeader(content);
      records = decompressChunk(file, offset, header, codecs, true);
    } catch (err) {
      this.#skipped.push({ offset, reason: errorText(err).replace(`${file}: chunk at offset ${offset}: `, '') });
      return;
    }
    const entries = new Map<number, [bigint, bigint][]>();
    const chunkSchemas: SchemaRecord[] = [];
    const chunkChannels: ChannelRecord[] = [];
    const chunkMessages: [number, bigint][] = [];
    try {
      for (const rec of chunkRecords(records)) {
        if (rec.kind === 'schema') chunkSchemas.push(rec.schema);
        else if (rec.kind === 'channel') chunkChannels.push(rec.channel);
        else if (rec.kind === 'message') {
          let list = entries.get(rec.message.channelId);
          if (!list) entries.set(rec.message.channelId, (list = []));
          list.push([rec.message.logTime, BigInt(rec.message.offset)]);
          chunkMessages.push([rec.message.channelId, rec.message.logTime]);
        }
      }
    } catch (err) {
      this.#skipped.push({ offset, reason: `a record inside does not parse: ${errorText(err)}` });
      return;
    }
    for (const s of chunkSchemas) if (!this.#schemas.has(s.id)) this.#schemas.set(s.id, s);
    for (const c of chunkChannels) if (!this.#channels.has(c.id)) this.#channels.set(c.id, c);
    for (const [c, t] of chunkMessages) this.#tally.seen(c, t);
    this.#pending = {
      index: {
        messageStartTime: header.messageStartTime,
        messageEndTime: header.messageEndTime,
        chunkStartOffset: offset,
        chunkLength: r.total,
        compression: header.compression,
        compressedSize: BigInt(header.records.byteLength),
        uncompressedSize: header.uncompressedSize,
      },
      entries,
      end: r.end,
      found: new Map(),
      foundEnd: r.end,
    };
  }

  /** Closes the index group of the previous chunk: complete → indexed in place; else not indexable. */
  #settle(atEof: boolean): void {
    const p = this.#pending;
    if (!p) return;
    this.#pending = undefined;
    const complete = [...p.entries.keys()].every((c) => p.found.has(c));
    if (complete) {
      this.#chunkIndexes.push({ ...p.index, messageIndexOffsets: p.found, messageIndexLength: p.foundEnd - p.end });
      this.#keepEnd = p.foundEnd;
    } else if (atEof) {
      // The last chunk lost (some of) its message indexes: cut them and write them anew.
      this.#regenerate = p;
      this.#keepEnd = p.end;
    } else {
      this.#skipped.push({ offset: p.index.chunkStartOffset, reason: 'its message indexes are missing' });
      this.#keepEnd = p.foundEnd;
    }
  }

  /** The bytes to append: the regenerated message indexes of the last chunk, then DataEnd, summary and footer. */
  #tail(): Uint8Array {
    const b = new McapRecordBuilder();
    const r = this.#regenerate;
    if (r) {
      const offsets = new Map<number, bigint>();
      for (const [channelId, records] of r.entries) {
        offsets.set(channelId, r.end + BigInt(b.length));
        b.writeMessageIndex({ channelId, records });
      }
      this.#chunkIndexes.push({ ...r.index, messageIndexOffsets: offsets, messageIndexLength: BigInt(b.length) });
    }
    const indexBytes = b.buffer;
    const tally = this.#tally;
    const statistics: Statistics = {
      messageCount: BigInt(tally.messages),
      schemaCount: this.#schemas.size,
      channelCount: this.#channels.size,
      attachmentCount: 0,
      metadataCount: 0,
      chunkCount: this.#chunkIndexes.length,
      messageStartTime: tally.start ?? 0n,
      messageEndTime: tally.end ?? 0n,
      channelMessageCounts: tally.counts,
    };
    const dataEnd = this.#keepEnd + BigInt(indexBytes.byteLength);
    const summary = buildSummaryTail(dataEnd, 0, { schemas: [...this.#schemas.values()], channels: [...this.#channels.values()], statistics, chunkIndexes: this.#chunkIndexes });
    const tail = new Uint8Array(indexBytes.byteLength + summary.byteLength);
    tail.set(indexBytes, 0);
    tail.set(summary, indexBytes.byteLength);
    return tail;
  }
}

/** Applies a plan to file bytes in memory. */
export function applyRecovery(bytes: Uint8Array, plan: McapRecoveryPlan): Uint8Array {
  const keep = Number(plan.keepBytes);
  const out = new Uint8Array(keep + plan.tail.byteLength);
  out.set(bytes.subarray(0, keep), 0);
  out.set(plan.tail, keep);
  return out;
}

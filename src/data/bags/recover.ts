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
import { decompressChunk, opcodeName } from './mcap-file-reader.js';
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
  const schemas = new Map<number, SchemaRecord>();
  const channels = new Map<number, ChannelRecord>();
  const counts = new Map<number, bigint>();
  const chunkIndexes: ChunkIndex[] = [];
  const skipped: { offset: bigint; reason: string }[] = [];
  let start: bigint | undefined;
  let end: bigint | undefined;
  let messages = 0;
  let pending: PendingChunk | undefined;
  let keepEnd = BigInt(MAGIC.length);
  let regenerate: PendingChunk | undefined;
  let stoppedAt: bigint | undefined;
  let reason: string | undefined;
  let dataEndSeen = false;

  const seen = (channelId: number, logTime: bigint): void => {
    counts.set(channelId, (counts.get(channelId) ?? 0n) + 1n);
    if (start === undefined || logTime < start) start = logTime;
    if (end === undefined || logTime > end) end = logTime;
    messages++;
  };
  /** Closes the index group of the previous chunk: complete → indexed in place; else not indexable. */
  const settle = (atEof: boolean): void => {
    if (!pending) return;
    const p = pending;
    pending = undefined;
    const complete = [...p.entries.keys()].every((c) => p.found.has(c));
    if (complete) {
      chunkIndexes.push({ ...p.index, messageIndexOffsets: p.found, messageIndexLength: p.foundEnd - p.end });
      keepEnd = p.foundEnd;
    } else if (atEof) {
      // The last chunk lost (some of) its message indexes: cut them and write them anew.
      regenerate = p;
      keepEnd = p.end;
    } else {
      skipped.push({ offset: p.index.chunkStartOffset, reason: 'its message indexes are missing' });
      keepEnd = p.foundEnd;
    }
  };

  let offset = BigInt(MAGIC.length);
  walk: while (offset < size) {
    const remaining = size - offset;
    if (remaining < BigInt(RECORD_PREFIX)) {
      stoppedAt = offset;
      reason = `file ends inside a record header (${remaining} of ${RECORD_PREFIX} bytes)`;
      break;
    }
    const prefix = await readable.read(offset, BigInt(RECORD_PREFIX));
    const pv = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
    const opcode = pv.getUint8(0);
    const length = pv.getBigUint64(1, true);
    const total = BigInt(RECORD_PREFIX) + length;
    if (opcode === 0 || total > remaining) {
      stoppedAt = offset;
      reason =
        opcode === 0
          ? 'zero bytes where a record should start (space the OS allocated but never wrote)'
          : `file ends inside a ${opcodeName(opcode)} record (it needs ${total} bytes, ${remaining} are left)`;
      break;
    }
    const recordEnd = offset + total;
    if (opcode !== Opcode.MESSAGE_INDEX) settle(false);
    let content: Uint8Array;
    try {
      content = await readable.read(offset + BigInt(RECORD_PREFIX), length);
      switch (opcode) {
        case Opcode.HEADER:
          break;
        case Opcode.SCHEMA: {
          const s = parseSchema(content);
          if (!schemas.has(s.id)) schemas.set(s.id, s);
          break;
        }
        case Opcode.CHANNEL: {
          const c = parseChannel(content);
          if (!channels.has(c.id)) channels.set(c.id, c);
          break;
        }
        case Opcode.MESSAGE: {
          const dv = new DataView(content.buffer, content.byteOffset, content.byteLength);
          seen(dv.getUint16(0, true), dv.getBigUint64(6, true));
          break;
        }
        case Opcode.CHUNK: {
          let header;
          let records: Uint8Array;
          try {
            header = parseChunkHeader(content);
            records = decompressChunk(file, offset, header, codecs, true);
          } catch (err) {
            skipped.push({ offset, reason: errorText(err).replace(`${file}: chunk at offset ${offset}: `, '') });
            keepEnd = recordEnd;
            break;
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
            skipped.push({ offset, reason: `a record inside does not parse: ${errorText(err)}` });
            keepEnd = recordEnd;
            break;
          }
          for (const s of chunkSchemas) if (!schemas.has(s.id)) schemas.set(s.id, s);
          for (const c of chunkChannels) if (!channels.has(c.id)) channels.set(c.id, c);
          for (const [c, t] of chunkMessages) seen(c, t);
          pending = {
            index: {
              messageStartTime: header.messageStartTime,
              messageEndTime: header.messageEndTime,
              chunkStartOffset: offset,
              chunkLength: total,
              compression: header.compression,
              compressedSize: BigInt(header.records.byteLength),
              uncompressedSize: header.uncompressedSize,
            },
            entries,
            end: recordEnd,
            found: new Map(),
            foundEnd: recordEnd,
          };
          keepEnd = recordEnd;
          break;
        }
        case Opcode.MESSAGE_INDEX: {
          const { channelId } = parseMessageIndex(content);
          if (pending && pending.foundEnd === offset) {
            pending.found.set(channelId, offset);
            pending.foundEnd = recordEnd;
          }
          break;
        }
        case Opcode.DATA_END:
          dataEndSeen = true;
          break walk;
        default:
          // Attachments, metadata, stray index records: kept as they are, not indexed.
          break;
      }
    } catch (err) {
      stoppedAt = offset;
      reason = `${opcodeName(opcode)} record does not parse: ${errorText(err)}`;
      break;
    }
    if (opcode !== Opcode.MESSAGE_INDEX && opcode !== Opcode.CHUNK) keepEnd = recordEnd;
    offset = recordEnd;
  }
  settle(!dataEndSeen);
  if (dataEndSeen) keepEnd = offset;

  const b = new McapRecordBuilder();
  if (regenerate) {
    const r = regenerate;
    const offsets = new Map<number, bigint>();
    for (const [channelId, records] of r.entries) {
      offsets.set(channelId, r.end + BigInt(b.length));
      b.writeMessageIndex({ channelId, records });
    }
    chunkIndexes.push({ ...r.index, messageIndexOffsets: offsets, messageIndexLength: BigInt(b.length) });
  }
  const indexBytes = b.buffer;
  const statistics: Statistics = {
    messageCount: BigInt(messages),
    schemaCount: schemas.size,
    channelCount: channels.size,
    attachmentCount: 0,
    metadataCount: 0,
    chunkCount: chunkIndexes.length,
    messageStartTime: start ?? 0n,
    messageEndTime: end ?? 0n,
    channelMessageCounts: counts,
  };
  const dataEnd = keepEnd + BigInt(indexBytes.byteLength);
  const summary = buildSummaryTail(dataEnd, 0, { schemas: [...schemas.values()], channels: [...channels.values()], statistics, chunkIndexes });
  const tail = new Uint8Array(indexBytes.byteLength + summary.byteLength);
  tail.set(indexBytes, 0);
  tail.set(summary, indexBytes.byteLength);
  const topics = new Map<string, number>();
  for (const [id, n] of counts) {
    const topic = channels.get(id)?.topic ?? `(channel ${id})`;
    topics.set(topic, (topics.get(topic) ?? 0) + Number(n));
  }
  return {
    keepBytes: keepEnd,
    tail,
    report: {
      file,
      status: 'recovered',
      messageCount: messages,
      chunkCount: chunkIndexes.length,
      topics,
      startNs: start,
      endNs: end,
      stoppedAt,
      reason,
      droppedBytes: size - keepEnd,
      skippedChunks: skipped,
    },
  };
}

/** Applies a plan to file bytes in memory. */
export function applyRecovery(bytes: Uint8Array, plan: McapRecoveryPlan): Uint8Array {
  const keep = Number(plan.keepBytes);
  const out = new Uint8Array(keep + plan.tail.byteLength);
  out.set(bytes.subarray(0, keep), 0);
  out.set(plan.tail, keep);
  return out;
}

/**
 * The end of an MCAP file: DataEnd, the summary section (schemas, channels, statistics, chunk
 * indexes), summary offsets, footer and magic. Shared by the writer's close and by recovery, which
 * rebuilds it for a file cut short by a crash.
 */
import { McapRecordBuilder, Opcode } from '@mcap/core';
import type { ChunkIndex, Statistics, SummaryOffset } from '@mcap/core';
import { crc32 } from './crc.js';
import type { ChannelRecord, SchemaRecord } from './mcap-records.js';

export interface SummaryContent {
  readonly schemas: readonly SchemaRecord[];
  readonly channels: readonly ChannelRecord[];
  readonly statistics: Statistics;
  readonly chunkIndexes: readonly ChunkIndex[];
}

/**
 * The bytes from DataEnd to the trailing magic, for a file whose data section ends at
 * `dataEndOffset`. `dataSectionCrc` 0 means "not computed" (allowed by the spec).
 */
export function buildSummaryTail(dataEndOffset: bigint, dataSectionCrc: number, content: SummaryContent): Uint8Array {
  const b = new McapRecordBuilder();
  b.writeDataEnd({ dataSectionCrc });
  const summaryStartInBuffer = b.length;
  const summaryStart = dataEndOffset + BigInt(summaryStartInBuffer);
  const offsets: SummaryOffset[] = [];
  const group = (opcode: Opcode, write: () => void): void => {
    const start = b.length;
    write();
    if (b.length > start) {
      offsets.push({ groupOpcode: opcode, groupStart: dataEndOffset + BigInt(start), groupLength: BigInt(b.length - start) });
    }
  };
  group(Opcode.SCHEMA, () => content.schemas.forEach((s) => b.writeSchema(s)));
  group(Opcode.CHANNEL, () => content.channels.forEach((c) => b.writeChannel({ ...c, metadata: new Map(c.metadata) })));
  group(Opcode.STATISTICS, () => b.writeStatistics(content.statistics));
  group(Opcode.CHUNK_INDEX, () => content.chunkIndexes.forEach((c) => b.writeChunkIndex(c)));
  const summaryOffsetStart = dataEndOffset + BigInt(b.length);
  for (const o of offsets) b.writeSummaryOffset(o);
  const summaryEnd = b.length;
  // The footer CRC covers the summary section, the summary offsets and the footer up to the CRC.
  const footerPrefix = new Uint8Array(1 + 8 + 8 + 8);
  const fv = new DataView(footerPrefix.buffer);
  fv.setUint8(0, Opcode.FOOTER);
  fv.setBigUint64(1, 20n, true);
  fv.setBigUint64(9, summaryStart, true);
  fv.setBigUint64(17, summaryOffsetStart, true);
  const bytesSoFar = b.buffer;
  const summaryCrc = crc32(footerPrefix, crc32(bytesSoFar.subarray(summaryStartInBuffer, summaryEnd)));
  b.writeFooter({ summaryStart, summaryOffsetStart, summaryCrc });
  b.writeMagic();
  return b.buffer;
}

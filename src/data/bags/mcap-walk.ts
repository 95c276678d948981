/**
 * What reading an MCAP file record by record needs, shared by the scan of a file without a summary
 * (mcap-scan.ts) and the recovery planner (recover.ts): the walk over the record prefixes, the
 * chunk decompression with its CRC check, the message tally, and the file info built from them.
 */
import type { CompressionCodecs } from './compression.js';
import { crc32 } from './crc.js';
import { BagError, errorText } from './errors.js';
import type { BagReadable } from './io.js';
import { MAGIC, Opcode, RECORD_PREFIX, parseChunkHeader, type ChannelRecord, type SchemaRecord } from './mcap-records.js';
import type { StorageFileInfo, StorageTopic } from './types.js';

const OPCODE_NAMES: Record<number, string> = {
  [Opcode.HEADER]: 'header',
  [Opcode.FOOTER]: 'footer',
  [Opcode.SCHEMA]: 'schema',
  [Opcode.CHANNEL]: 'channel',
  [Opcode.MESSAGE]: 'message',
  [Opcode.CHUNK]: 'chunk',
  [Opcode.MESSAGE_INDEX]: 'message index',
  [Opcode.CHUNK_INDEX]: 'chunk index',
  [Opcode.ATTACHMENT]: 'attachment',
  [Opcode.ATTACHMENT_INDEX]: 'attachment index',
  [Opcode.STATISTICS]: 'statistics',
  [Opcode.METADATA]: 'metadata',
  [Opcode.METADATA_INDEX]: 'metadata index',
  [Opcode.SUMMARY_OFFSET]: 'summary offset',
  [Opcode.DATA_END]: 'data end',
};

export function opcodeName(opcode: number): string {
  return OPCODE_NAMES[opcode] ?? `unknown (0x${opcode.toString(16)})`;
}

/** One record's place in the file, from its prefix. It fits in the file when `total` ≤ `remaining`. */
export interface WalkedRecord {
  readonly kind: 'record';
  readonly offset: bigint;
  readonly opcode: number;
  /** Content bytes (after the prefix). */
  readonly length: bigint;
  /** Prefix and content. */
  readonly total: bigint;
  /** offset + total. */
  readonly end: bigint;
  /** Bytes left in the file from `offset`. */
  readonly remaining: bigint;
}

/** The file ends inside a record prefix at `offset`. */
export interface CutPrefix {
  readonly kind: 'cut';
  readonly offset: bigint;
  readonly remaining: bigint;
}

/**
 * The records of an MCAP file from just after the magic, in file order, each read from its prefix
 * (the content is the caller's to read); a CutPrefix ends the walk where no whole prefix is left.
 * The walk goes on past a record that does not fit: the caller stops there.
 */
export async function* walkRecords(readable: BagReadable, size: bigint): AsyncGenerator<WalkedRecord | CutPrefix> {
  let offset = BigInt(MAGIC.length);
  while (offset < size) {
    const remaining = size - offset;
    if (remaining < BigInt(RECORD_PREFIX)) {
      yield { kind: 'cut', offset, remaining };
      return;
    }
    const prefix = await readable.read(offset, BigInt(RECORD_PREFIX));
    const pv = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
    const opcode = pv.getUint8(0);
    const length = pv.getBigUint64(1, true);
    const total = BigInt(RECORD_PREFIX) + length;
    yield { kind: 'record', offset, opcode, length, total, end: offset + total, remaining };
    offset += total;
  }
}

/** Messages seen per channel, and the first and last log time. */
export class MessageTally {
  readonly counts = new Map<number, bigint>();
  start: bigint | undefined;
  end: bigint | undefined;
  messages = 0;

  seen(channelId: number, logTime: bigint): void {
    this.counts.set(channelId, (this.counts.get(channelId) ?? 0n) + 1n);
    if (this.start === undefined || logTime < this.start) this.start = logTime;
    if (this.end === undefined || logTime > this.end) this.end = logTime;
    this.messages++;
  }
}

export function corrupt(path: string, offset: bigint, why: string): BagError {
  return new BagError('E_BAG_CORRUPT', `${path}: chunk at offset ${offset}: ${why}`, { file: path, offset });
}

/** Decompresses and CRC-checks a chunk's records. */
export function decompressChunk(
  path: string,
  offset: bigint,
  header: ReturnType<typeof parseChunkHeader>,
  codecs: CompressionCodecs,
  validateCrc: boolean,
): Uint8Array {
  let records = header.records;
  if (header.compression !== '') {
    const decompress = codecs.decompressor(header.compression);
    if (!decompress) {
      throw new BagError(
        'E_BAG_COMPRESSION',
        `${path}: chunk at offset ${offset} uses compression '${header.compression}', which pilot cannot decompress (supported: ${codecs.decompressible.join(', ')}, or none)`,
        { file: path, offset },
      );
    }
    try {
      records = decompress(header.records, header.uncompressedSize);
    } catch (err) {
      throw corrupt(path, offset, `${header.compression} data does not decompress: ${errorText(err)}`);
    }
    if (BigInt(records.byteLength) !== header.uncompressedSize) {
      throw corrupt(path, offset, `decompressed to ${records.byteLength} bytes, header says ${header.uncompressedSize}`);
    }
  }
  if (validateCrc && header.uncompressedCrc !== 0) {
    const crc = crc32(records);
    if (crc !== header.uncompressedCrc) {
      throw corrupt(path, offset, `CRC ${crc.toString(16)} does not match ${header.uncompressedCrc.toString(16)} (data damaged)`);
    }
  }
  return records;
}

/** An MCAP file's info, from its channels, schemas and message counts (start and end only when it holds messages). */
export function mcapFileInfo(f: {
  readonly path: string;
  readonly size: bigint;
  readonly channels: ReadonlyMap<number, ChannelRecord>;
  readonly schemas: ReadonlyMap<number, SchemaRecord>;
  readonly counts: ReadonlyMap<number, bigint>;
  readonly start: bigint | undefined;
  readonly end: bigint | undefined;
  readonly indexed: boolean;
  readonly compression: Iterable<string>;
  readonly chunkCount: number;
  readonly problems: readonly BagError[];
  readonly library: string;
}): StorageFileInfo {
  const messageCount = Number([...f.counts.values()].reduce((a, b) => a + b, 0n));
  return {
    path: f.path,
    storage: 'mcap',
    sizeBytes: Number(f.size),
    messageCount,
    startNs: messageCount > 0 ? f.start : undefined,
    endNs: messageCount > 0 ? f.end : undefined,
    indexed: f.indexed,
    compression: [...new Set(f.compression)].sort(),
    chunkCount: f.chunkCount,
    topics: topicsOf(f.channels, f.schemas, f.counts),
    problems: f.problems,
    library: f.library,
  };
}

function topicsOf(channels: ReadonlyMap<number, ChannelRecord>, schemas: ReadonlyMap<number, SchemaRecord>, counts: ReadonlyMap<number, bigint>): StorageTopic[] {
  return [...channels.values()].map((c) => ({
    name: c.topic,
    type: schemas.get(c.schemaId)?.name ?? '',
    serializationFormat: c.messageEncoding,
    offeredQosProfiles: c.metadata.get('offered_qos_profiles') ?? '',
    messageCount: Number(counts.get(c.id) ?? 0n),
  }));
}

/**
 * The streaming fallback for an MCAP file without a summary (a recording cut short, or a writer that
 * wrote none): one pass over the records finds the schemas, channels, message counts and the blocks
 * to read messages from, and stops where the file is cut short, saying exactly where.
 */
import type { CompressionCodecs } from './compression.js';
import { BagError, errorText } from './errors.js';
import type { BagReadable } from './io.js';
import { chunkRecords, Opcode, parseChannel, parseChunkHeader, parseSchema, RECORD_PREFIX, type ChannelRecord, type SchemaRecord } from './mcap-records.js';
import { corrupt, decompressChunk, mcapFileInfo, MessageTally, opcodeName, walkRecords, type WalkedRecord } from './mcap-walk.js';
import type { StorageFileInfo } from './types.js';

/** A run of records to read together: one chunk, or consecutive unchunked message records. */
export interface Block {
  readonly kind: 'chunk' | 'records';
  readonly offset: bigint;
  readonly length: bigint;
  readonly startTime: bigint;
  readonly endTime: bigint;
  /** Channels in the block when known (from the chunk index). */
  readonly channels?: ReadonlySet<number>;
  /** Found unreadable during the scan; reported when iteration reaches it. */
  readonly error?: BagError;
}

/** What the scan found. */
export interface McapScan {
  readonly info: StorageFileInfo;
  readonly channels: ReadonlyMap<number, ChannelRecord>;
  readonly schemas: ReadonlyMap<number, SchemaRecord>;
  readonly blocks: Block[];
  /** Where and why the readable data stops before the end of the file. */
  readonly endProblem: BagError | undefined;
}

const decoder = new TextDecoder();

/** One pass over the records of `path`, stopping where the file is cut short. */
export async function scanMcap(path: string, readable: BagReadable, options: { codecs: CompressionCodecs; validateCrcs?: boolean }, size: bigint): Promise<McapScan> {
  const scan = new Scanner(path, readable, options);
  let endProblem: BagError | undefined;
  for await (const r of walkRecords(readable, size)) {
    if (r.kind === 'cut') {
      endProblem = truncated(path, r.offset, 'record header', BigInt(RECORD_PREFIX), r.remaining, scan.tally.messages);
      break;
    }
    if (r.total > r.remaining) {
      endProblem = truncated(path, r.offset, `${opcodeName(r.opcode)} record`, r.total, r.remaining, scan.tally.messages);
      break;
    }
    try {
      if (!(await scan.record(r))) break;
    } catch (err) {
      // A record that fits in the file but does not parse: the rest cannot be trusted in sync.
      endProblem = err instanceof BagError ? err : corrupt(path, r.offset, `${opcodeName(r.opcode)} record does not parse: ${errorText(err)}`);
      break;
    }
  }
  return scan.result(size, endProblem);
}

class Scanner {
  readonly channels = new Map<number, ChannelRecord>();
  readonly schemas = new Map<number, SchemaRecord>();
  readonly tally = new MessageTally();
  readonly #blocks: Block[] = [];
  readonly #problems: BagError[] = [];
  readonly #compressions = new Set<string>();
  #library = '';
  #chunkCount = 0;
  #run: { offset: bigint; length: bigint; startTime: bigint; endTime: bigint } | undefined;

  constructor(
    readonly path: string,
    readonly readable: BagReadable,
    readonly options: { codecs: CompressionCodecs; validateCrcs?: boolean },
  ) {}

  /** Takes one record that fits in the file; false at the end of the data section. */
  async record(r: WalkedRecord): Promise<boolean> {
    const readContent = (): Promise<Uint8Array> => this.readable.read(r.offset + BigInt(RECORD_PREFIX), r.length);
    switch (r.opcode) {
      case Opcode.HEADER:
        this.#header(await readContent());
        break;
      case Opcode.SCHEMA: {
        const s = parseSchema(await readContent());
        this.schemas.set(s.id, s);
        break;
      }
      case Opcode.CHANNEL: {
        const c = parseChannel(await readContent());
        this.channels.set(c.id, c);
        break;
      }
      case Opcode.MESSAGE:
        this.#message(r, await readContent());
        break;
      case Opcode.CHUNK:
        this.#closeRun();
        this.#chunkCount++;
        this.#chunk(r, await readContent());
        break;
      case Opcode.DATA_END:
      case Opcode.FOOTER:
        return false;
      default:
        // Message indexes, attachments, metadata and unknown records carry no messages.
        this.#closeRun();
    }
    return true;
  }

  result(size: bigint, endProblem: BagError | undefined): McapScan {
    this.#closeRun();
    if (endProblem) this.#problems.push(endProblem);
    const { path, channels, schemas, tally } = this;
    const info = mcapFileInfo({
      path,
      size,
      channels,
      schemas,
      counts: tally.counts,
      start: tally.start,
      end: tally.end,
      indexed: false,
      compression: this.#compressions,
      chunkCount: this.#chunkCount,
      problems: this.#problems,
      library: this.#library,
    });
    return { info, channels, schemas, blocks: this.#blocks, endProblem };
  }

  #header(content: Uint8Array): void {
    const dv = new DataView(content.buffer, content.byteOffset, content.byteLength);
    const profileLength = dv.getUint32(0, true);
    const profile = decoder.decode(content.subarray(4, 4 + profileLength));
    const libraryLength = dv.getUint32(4 + profileLength, true);
    this.#library = `${decoder.decode(content.subarray(8 + profileLength, 8 + profileLength + libraryLength))} (profile ${profile || 'none'})`;
  }

  /** An unchunked message: it extends the run of records it follows, or starts one. */
  #message(r: WalkedRecord, content: Uint8Array): void {
    const dv = new DataView(content.buffer, content.byteOffset, content.byteLength);
    const logTime = dv.getBigUint64(6, true);
    this.tally.seen(dv.getUint16(0, true), logTime);
    const run = this.#run;
    if (run && run.offset + run.length === r.offset) {
      run.length += r.total;
      if (logTime < run.startTime) run.startTime = logTime;
      if (logTime > run.endTime) run.endTime = logTime;
    } else {
      this.#closeRun();
      this.#run = { offset: r.offset, length: r.total, startTime: logTime, endTime: logTime };
    }
  }

  /** A chunk: its schemas, channels and messages counted; one that does not read is a block with its error. */
  #chunk(r: WalkedRecord, content: Uint8Array): void {
    const { path, options } = this;
    let header;
    try {
      header = parseChunkHeader(content);
    } catch (err) {
      throw corrupt(path, r.offset, `chunk header does not parse: ${errorText(err)}`);
    }
    this.#compressions.add(header.compression);
    let error: BagError | undefined;
    try {
      const records = decompressChunk(path, r.offset, header, options.codecs, options.validateCrcs ?? true);
      for (const rec of chunkRecords(records)) {
        if (rec.kind === 'schema') this.schemas.set(rec.schema.id, rec.schema);
        else if (rec.kind === 'channel') this.channels.set(rec.channel.id, rec.channel);
        else if (rec.kind === 'message') this.tally.seen(rec.message.channelId, rec.message.logTime);
      }
    } catch (err) {
      error = err instanceof BagError ? err : corrupt(path, r.offset, errorText(err));
      this.#problems.push(error);
    }
    this.#blocks.push({ kind: 'chunk', offset: r.offset, length: r.total, startTime: header.messageStartTime, endTime: header.messageEndTime, ...(error ? { error } : {}) });
  }

  #closeRun(): void {
    if (this.#run) this.#blocks.push({ kind: 'records', ...this.#run });
    this.#run = undefined;
  }
}

function truncated(path: string, offset: bigint, what: string, needs: bigint, left: bigint, messages: number): BagError {
  return new BagError(
    'E_BAG_TRUNCATED',
    `${path}: file ends inside a ${what} at offset ${offset} (it needs ${needs} bytes, ${left} are left); ` +
      `the ${messages} messages before it are readable; \`pilot bag recover\` makes the file whole`,
    { file: path, offset },
  );
}

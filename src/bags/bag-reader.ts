/**
 * Reads a rosbag2 bag: a folder with metadata.yaml and split storage files (MCAP or sqlite3), or
 * one storage file. Messages come in log-time order across the split files; `decode()` uses the
 * bag's own message definitions (MCAP schemas, db3 `message_definitions`), so types pilot has never
 * seen decode too, and falls back to pilot's vendored definitions for older db3 files that carry
 * none.
 */
import { CdrCodec } from '../messages/cdr.js';
import { MessageRegistry } from '../messages/registry.js';
import { fullTypeName } from '../messages/type-names.js';
import { loadCompression, zstdDecompress, type CompressionCodecs } from './compression.js';
import { Db3FileReader } from './db3-file-reader.js';
import { BagError, errorText } from './errors.js';
import { MemoryReadable, readAll, type BagReadable, type BagSource } from './io.js';
import { MAGIC } from './mcap-records.js';
import { McapFileReader } from './mcap-file-reader.js';
import { METADATA_FILE, parseMetadataYaml, type BagMetadata } from './metadata.js';
import type { BagMessage, DecodedBagMessage, MessageQuery, StorageFileInfo, StorageId, StorageReader } from './types.js';

export interface BagReaderOptions {
  /** Definitions for types the bag does not define (default pilot's vendored types; null for none). */
  readonly registry?: MessageRegistry | null;
  /** Called with each warning as it is found (they are also in `warnings`). */
  readonly warn?: (message: string) => void;
  /** Check MCAP chunk CRCs (default true). */
  readonly validateCrcs?: boolean;
}

/** Where decode() gets a type's definition. */
export type DefinitionSource = 'bag' | 'registry' | 'none';

export interface BagTopicInfo {
  readonly name: string;
  readonly type: string;
  readonly serializationFormat: string;
  readonly offeredQosProfiles: string;
  readonly messageCount: number;
  /** Average messages per second over the bag's duration; undefined for a bag shorter than a tick. */
  readonly rateHz: number | undefined;
  readonly definition: DefinitionSource;
}

export interface BagInfo {
  readonly path: string;
  readonly storage: StorageId;
  readonly files: readonly StorageFileInfo[];
  readonly sizeBytes: number;
  readonly messageCount: number;
  readonly startNs: bigint | undefined;
  readonly endNs: bigint | undefined;
  readonly durationNs: bigint;
  readonly topics: readonly BagTopicInfo[];
  /** `none`, `zstd (chunks)`, `zstd (file)`, `zstd (message)`… */
  readonly compression: string;
  readonly metadata: BagMetadata | undefined;
  readonly warnings: readonly string[];
}

const STORAGE_FILE = /\.(mcap|db3)(\.zstd)?$/;
const SQLITE_MAGIC = new TextEncoder().encode('SQLite format 3\0');

/** Sorts `x_2.mcap` after `x_10.mcap`'s predecessors: by the split index, then by name. */
function splitIndex(name: string): number {
  const m = /_(\d+)\.(?:mcap|db3)(?:\.zstd)?$/.exec(name);
  return m ? Number(m[1]) : Number.MAX_SAFE_INTEGER;
}

interface OpenedFile {
  readonly reader: StorageReader;
  readonly close: () => Promise<void>;
}

export class BagReader {
  readonly path: string;
  readonly storage: StorageId;
  readonly metadata: BagMetadata | undefined;
  readonly warnings: readonly string[];
  readonly files: readonly StorageFileInfo[];
  readonly #files: readonly OpenedFile[];
  readonly #codec: CdrCodec;
  readonly #codecs: CompressionCodecs;
  readonly #registry: MessageRegistry | null;
  readonly #topics: readonly BagTopicInfo[];
  readonly #formats: ReadonlyMap<string, string>;
  readonly #schemaErrors: ReadonlyMap<string, string>;
  readonly #messageCompression: boolean;

  private constructor(args: {
    path: string;
    storage: StorageId;
    metadata: BagMetadata | undefined;
    warnings: string[];
    files: OpenedFile[];
    codec: CdrCodec;
    codecs: CompressionCodecs;
    registry: MessageRegistry | null;
    topics: BagTopicInfo[];
    schemaErrors: Map<string, string>;
    messageCompression: boolean;
  }) {
    this.path = args.path;
    this.storage = args.storage;
    this.metadata = args.metadata;
    this.warnings = args.warnings;
    this.#files = args.files;
    this.files = args.files.map((f) => f.reader.info);
    this.#codec = args.codec;
    this.#codecs = args.codecs;
    this.#registry = args.registry;
    this.#topics = args.topics;
    this.#formats = new Map(args.topics.map((t) => [t.name, t.serializationFormat]));
    this.#schemaErrors = args.schemaErrors;
    this.#messageCompression = args.messageCompression;
  }

  static async open(source: BagSource, options: BagReaderOptions = {}): Promise<BagReader> {
    const warnings: string[] = [];
    const warn = (message: string): void => {
      warnings.push(message);
      options.warn?.(message);
    };
    const registry = options.registry === undefined ? MessageRegistry.builtin() : options.registry;
    const codecs = await loadCompression();
    const names = await source.list();

    let metadata: BagMetadata | undefined;
    if (!source.singleFile && names.includes(METADATA_FILE)) {
      const readable = await source.open(METADATA_FILE);
      try {
        metadata = parseMetadataYaml(new TextDecoder().decode(await readAll(readable)), `${source.path}/${METADATA_FILE}`);
      } catch (err) {
        warn(`${errorText(err)}; reading the storage files in the folder instead`);
      } finally {
        await readable.close?.();
      }
    }
    const format = metadata?.compressionFormat ?? '';
    const mode = (metadata?.compressionMode ?? '').toLowerCase();
    if (format !== '' && format !== 'zstd') {
      throw new BagError('E_BAG_COMPRESSION', `${source.path}/${METADATA_FILE}: compression_format '${format}' is not supported (rosbag2 writes zstd)`, { file: METADATA_FILE });
    }
    if (format !== '' && mode !== 'file' && mode !== 'message') {
      throw new BagError('E_BAG_COMPRESSION', `${source.path}/${METADATA_FILE}: compression_mode '${metadata!.compressionMode}' is not supported (expected file or message)`, { file: METADATA_FILE });
    }

    const storageFiles = names.filter((n) => STORAGE_FILE.test(n) || (source.singleFile ?? false));
    let fileNames: string[];
    if (metadata) {
      fileNames = [];
      for (const listed of metadata.relativeFilePaths) {
        // Foxy wrote paths with the bag folder in front; later distros the bare name.
        const name = names.includes(listed) ? listed : listed.split('/').pop()!;
        if (names.includes(name)) fileNames.push(name);
        else warn(`${source.path}: metadata.yaml lists ${listed}, which is missing`);
      }
      const extra = storageFiles.filter((n) => !fileNames.includes(n));
      if (extra.length > 0) {
        warn(`${source.path}: ${extra.join(', ')} ${extra.length === 1 ? 'is' : 'are'} not in metadata.yaml (a recording cut short before it was rewritten?); reading ${extra.length === 1 ? 'it' : 'them'} too`);
        fileNames.push(...extra);
      }
    } else {
      fileNames = [...storageFiles].sort((a, b) => splitIndex(a) - splitIndex(b) || a.localeCompare(b));
      if (!source.singleFile) {
        warn(
          fileNames.length > 0
            ? `${source.path}: no usable metadata.yaml; reading the ${fileNames.length} storage file(s) in the folder: ${fileNames.join(', ')}`
            : `${source.path}: no metadata.yaml`,
        );
      }
    }
    if (fileNames.length === 0) {
      throw new BagError('E_BAG_NOT_FOUND', `${source.path}: no storage files (.mcap or .db3) to read`);
    }

    const files: OpenedFile[] = [];
    try {
      for (const name of fileNames) {
        const readable = await source.open(name);
        const closeReadable = async (): Promise<void> => {
          await readable.close?.();
        };
        try {
          files.push(await openStorageFile(name, readable, codecs, options.validateCrcs ?? true, closeReadable, mode === 'file' || name.endsWith('.zstd')));
        } catch (err) {
          await closeReadable();
          throw err;
        }
      }
    } catch (err) {
      await Promise.all(files.map((f) => f.close()));
      throw err;
    }
    for (const f of files) for (const p of f.reader.info.problems) warn(p.message);

    const storage: StorageId = (metadata?.storageIdentifier === 'sqlite3' || metadata?.storageIdentifier === 'mcap' ? metadata.storageIdentifier : undefined) ?? files[0]!.reader.info.storage;

    // The bag's own definitions first; the registry after.
    const codec = new CdrCodec(registry);
    const fromBag = new Set<string>();
    const schemaErrors = new Map<string, string>();
    for (const f of files) {
      for (const def of f.reader.definitions) {
        let type: string;
        try {
          type = fullTypeName(def.type);
        } catch {
          warn(`${f.reader.info.path}: message definition for '${def.type}' is not a ROS type name; ignored`);
          continue;
        }
        if (fromBag.has(type) || def.text === '') continue;
        if (def.encoding !== 'ros2msg') {
          warn(`${f.reader.info.path}: ${type} is defined as ${def.encoding || '(no encoding)'}, which pilot cannot parse (only ros2msg)`);
          continue;
        }
        try {
          codec.addSchemaText(type, def.text);
          fromBag.add(type);
          schemaErrors.delete(type);
        } catch (err) {
          schemaErrors.set(type, `${f.reader.info.path}: the bag's definition of ${type} does not parse: ${errorText(err)}`);
        }
      }
    }

    // Topics: merged over the files, in order of first appearance; metadata-only topics keep count 0.
    const merged = new Map<string, { name: string; type: string; serializationFormat: string; offeredQosProfiles: string; messageCount: number }>();
    for (const f of files) {
      for (const t of f.reader.info.topics) {
        const prev = merged.get(t.name);
        if (!prev) merged.set(t.name, { ...t });
        else {
          if (prev.type !== t.type) warn(`${f.reader.info.path}: topic ${t.name} is ${t.type} here but ${prev.type} in an earlier file`);
          prev.messageCount += t.messageCount;
        }
      }
    }
    for (const t of metadata?.topics ?? []) {
      if (!merged.has(t.name)) merged.set(t.name, { name: t.name, type: t.type, serializationFormat: t.serializationFormat, offeredQosProfiles: t.offeredQosProfiles, messageCount: 0 });
      else if (merged.get(t.name)!.offeredQosProfiles === '') merged.get(t.name)!.offeredQosProfiles = t.offeredQosProfiles;
    }
    let start: bigint | undefined;
    let end: bigint | undefined;
    let count = 0;
    for (const f of files) {
      const i = f.reader.info;
      count += i.messageCount;
      if (i.startNs !== undefined && (start === undefined || i.startNs < start)) start = i.startNs;
      if (i.endNs !== undefined && (end === undefined || i.endNs > end)) end = i.endNs;
    }
    const durationS = start !== undefined && end !== undefined ? Number(end - start) / 1e9 : 0;
    const topics: BagTopicInfo[] = [...merged.values()].map((t) => {
      let definition: DefinitionSource;
      try {
        const type = fullTypeName(t.type);
        definition = fromBag.has(type) ? 'bag' : registry?.has(type) ? 'registry' : 'none';
        if (schemaErrors.has(type)) {
          warn(`${schemaErrors.get(type)}; ${definition === 'registry' ? "using pilot's vendored definition" : `messages on ${t.name} cannot be decoded`}`);
        } else if (definition === 'registry' && (storage === 'mcap' || fromBag.size > 0)) {
          warn(`${t.name}: the bag has no definition of ${type}; using pilot's vendored one`);
        } else if (definition === 'none' && t.messageCount > 0) {
          warn(`${t.name}: type ${type} has no definition in the bag${storage === 'sqlite3' ? ' (sqlite3 bags before Jazzy store none)' : ''} and is not one of pilot's types; its messages cannot be decoded`);
        }
      } catch {
        definition = 'none';
        warn(`${t.name}: '${t.type}' is not a ROS 2 type name; its messages cannot be decoded`);
      }
      return { ...t, rateHz: durationS > 0 ? t.messageCount / durationS : undefined, definition };
    });
    if (metadata && metadata.messageCount !== count) {
      warn(
        `${source.path}: metadata.yaml counts ${metadata.messageCount} messages but the files hold ${count}` +
          (metadata.messageCount < count ? ' (a recording cut short before metadata.yaml was rewritten? `pilot bag recover` rewrites it)' : ''),
      );
    }
    return new BagReader({
      path: source.path,
      storage,
      metadata,
      warnings,
      files,
      codec,
      codecs,
      registry,
      topics,
      schemaErrors,
      messageCompression: format === 'zstd' && mode === 'message',
    });
  }

  topics(): readonly BagTopicInfo[] {
    return this.#topics;
  }

  info(): BagInfo {
    let start: bigint | undefined;
    let end: bigint | undefined;
    for (const f of this.files) {
      if (f.startNs !== undefined && (start === undefined || f.startNs < start)) start = f.startNs;
      if (f.endNs !== undefined && (end === undefined || f.endNs > end)) end = f.endNs;
    }
    const m = this.metadata;
    let compression: string;
    if (m && m.compressionFormat !== '') compression = `${m.compressionFormat} (${m.compressionMode.toLowerCase()})`;
    else {
      const chunk = [...new Set(this.files.flatMap((f) => f.compression))].filter((c) => c !== '');
      compression = chunk.length === 0 ? 'none' : `${chunk.join(', ')} (chunks)`;
    }
    return {
      path: this.path,
      storage: this.storage,
      files: this.files,
      sizeBytes: this.files.reduce((s, f) => s + f.sizeBytes, 0),
      messageCount: this.files.reduce((s, f) => s + f.messageCount, 0),
      startNs: start,
      endNs: end,
      durationNs: start !== undefined && end !== undefined ? end - start : 0n,
      topics: this.#topics,
      compression,
      metadata: m,
      warnings: this.warnings,
    };
  }

  /** Messages in log-time order across all files (ties: file order). */
  async *messages(query: MessageQuery = {}): AsyncGenerator<BagMessage> {
    const unpack = this.#messageCompression ? (m: BagMessage): BagMessage => this.#decompressMessage(m, query) : undefined;
    if (this.#files.length === 1) {
      for await (const m of this.#files[0]!.reader.messages(query)) {
        const u = unpack ? unpack(m) : m;
        if (u.data !== EMPTY) yield u;
      }
      return;
    }
    const iterators = this.#files.map((f) => f.reader.messages(query));
    const heads: (BagMessage | undefined)[] = [];
    try {
      for (const it of iterators) heads.push((await it.next()).value ?? undefined);
      for (;;) {
        let best = -1;
        for (let i = 0; i < heads.length; i++) {
          const h = heads[i];
          if (h !== undefined && (best < 0 || h.logTimeNs < heads[best]!.logTimeNs)) best = i;
        }
        if (best < 0) return;
        const m = heads[best]!;
        const u = unpack ? unpack(m) : m;
        if (u.data !== EMPTY) yield u;
        // Advance only after the consumer is done with `m`: with reuseBuffers the next read overwrites it.
        heads[best] = (await iterators[best]!.next()).value ?? undefined;
      }
    } finally {
      await Promise.all(iterators.map((it) => it.return(undefined)));
    }
  }

  /**
   * Decodes a message with the bag's definition of its type (or pilot's). Typed arrays in the
   * result (e.g. Image.data) are views into `msg.data`. Throws E_BAG_DECODE naming the file, topic
   * and offset; E_BAG_UNKNOWN_TYPE / E_BAG_SCHEMA when there is no usable definition.
   */
  decode<T = unknown>(msg: BagMessage): T {
    const where = `${msg.file}: topic ${msg.topic} (${msg.type || 'no type'}), message at ${position(msg)}`;
    const loc = { file: msg.file, offset: msg.offset, topic: msg.topic };
    const format = this.#formats.get(msg.topic) ?? 'cdr';
    if (format !== 'cdr') throw new BagError('E_BAG_FORMAT', `${where}: serialization format '${format}' is not cdr`, loc);
    let type: string;
    try {
      type = fullTypeName(msg.type);
    } catch {
      throw new BagError('E_BAG_UNKNOWN_TYPE', `${where}: '${msg.type}' is not a ROS 2 type name`, loc);
    }
    if (!this.#codec.knows(type)) {
      const schemaError = this.#schemaErrors.get(type);
      if (schemaError) throw new BagError('E_BAG_SCHEMA', `${where}: ${schemaError}`, loc);
      throw new BagError(
        'E_BAG_UNKNOWN_TYPE',
        `${where}: ${type} has no definition in the bag${this.storage === 'sqlite3' ? ' (sqlite3 bags before Jazzy store none)' : ''}` +
          `${this.#registry ? " and is not one of pilot's types" : ''}`,
        loc,
      );
    }
    try {
      return this.#codec.decode<T>(type, msg.data, { copy: false });
    } catch (err) {
      throw new BagError('E_BAG_DECODE', `${where}: ${errorText(err)}`, loc, err);
    }
  }

  /**
   * Messages with their decoded value. A message that does not decode throws, or with `onError`
   * is reported and skipped.
   */
  async *decoded<T = unknown>(query: MessageQuery = {}): AsyncGenerator<DecodedBagMessage<T>> {
    for await (const m of this.messages(query)) {
      let message: T;
      try {
        message = this.decode<T>(m);
      } catch (err) {
        if (!query.onError || !(err instanceof BagError)) throw err;
        query.onError(err);
        continue;
      }
      yield { ...m, message };
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.#files.map((f) => f.close()));
  }

  #decompressMessage(m: BagMessage, query: MessageQuery): BagMessage {
    try {
      return { ...m, data: zstdDecompress(this.#codecs, m.data, `${m.file}: topic ${m.topic}, message at ${position(m)}`) };
    } catch (err) {
      if (!query.onError || !(err instanceof BagError)) throw err;
      query.onError(err);
      return { ...m, data: EMPTY };
    }
  }
}

/** Marks a message to drop after a reported per-message decompression error. */
const EMPTY = new Uint8Array(0);

/** `offset 1234 (+56 in the chunk)` or `row 17`. */
export function position(msg: BagMessage): string {
  if (msg.chunkOffset !== undefined) return `offset ${msg.offset} (+${msg.chunkOffset} in the chunk)`;
  return msg.file.includes('.db3') ? `row ${msg.offset}` : `offset ${msg.offset}`;
}

async function openStorageFile(
  name: string,
  readable: BagReadable,
  codecs: CompressionCodecs,
  validateCrcs: boolean,
  close: () => Promise<void>,
  zstdFile: boolean,
): Promise<OpenedFile> {
  let input: BagReadable = readable;
  let bytes: Uint8Array | undefined;
  if (zstdFile) {
    bytes = zstdDecompress(codecs, await readAll(readable), name);
    input = new MemoryReadable(bytes);
  }
  // By extension; a file named otherwise (a single file given directly) by its first bytes.
  const base = name.replace(/\.zstd$/, '');
  let storage: StorageId | undefined = base.endsWith('.mcap') ? 'mcap' : base.endsWith('.db3') ? 'sqlite3' : undefined;
  if (!storage) {
    const head = await input.read(0n, 16n);
    if (MAGIC.every((b, i) => head[i] === b)) storage = 'mcap';
    else if (SQLITE_MAGIC.every((b, i) => head[i] === b)) storage = 'sqlite3';
  }
  if (storage === 'mcap') return { reader: await McapFileReader.open(name, input, { codecs, validateCrcs }), close };
  if (storage === 'sqlite3') {
    const reader = await Db3FileReader.open(name, bytes ?? (await readAll(input)));
    return {
      reader,
      close: async () => {
        await reader.close();
        await close();
      },
    };
  }
  throw new BagError('E_BAG_FORMAT', `${name}: neither MCAP nor sqlite3 (by name or first bytes)`, { file: name });
}

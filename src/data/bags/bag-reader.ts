/**
 * Reads a rosbag2 bag: a folder with metadata.yaml and split storage files (MCAP or sqlite3), or
 * one storage file. Messages come in log-time order across the split files. `decode()` takes each
 * type's definition from, in order: the bag itself (MCAP schemas, db3 `message_definitions`; an
 * empty `ros2msg` definition is a message without fields; service events come as their .srv text),
 * pilot's vendored definitions, then the standard definitions of the bag's ROS distro from
 * @foxglove/rosmsg-msgs-common (metadata.yaml `ros_distro`, the db3 `schema` table, else the
 * `distro` option, else humble), so sqlite3 bags from before Jazzy, which store none, decode too.
 */
import { CdrCodec } from '../../core/messages/cdr.js';
import { interfaceBaseType } from '../../core/messages/interface-schema.js';
import { parseSchema } from '../../core/messages/parse-schema.js';
import { MessageRegistry } from '../../core/messages/registry.js';
import { DEFAULT_ROS_DISTRO, ROS_DISTROS, standardDistroFor, type RosDistro } from '../../core/messages/ros-distro.js';
import { fullTypeName, INTERFACE_TYPE_NAME } from '../../core/messages/type-names.js';
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
  /**
   * The ROS distro whose standard definitions decode types neither the bag nor `registry` defines,
   * when the bag names none itself (metadata.yaml `ros_distro`, the db3 `schema` table win);
   * default humble, with a warning. null: no standard definitions.
   */
  readonly distro?: RosDistro | null;
  /** Called with each warning as it is found (they are also in `warnings`). */
  readonly warn?: (message: string) => void;
  /** Check MCAP chunk CRCs (default true). */
  readonly validateCrcs?: boolean;
}

/** Where decode() gets a type's definition: the bag, pilot's vendored types, the distro's standard ones. */
export type DefinitionSource = 'bag' | 'registry' | 'distro' | 'none';

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
  /** The distro whose standard definitions decode some topic (`definition: 'distro'`); undefined when none do. */
  readonly distro: RosDistro | undefined;
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

type Warn = (message: string) => void;

/** A topic merged over the storage files and metadata.yaml, before its definition is resolved. */
interface MergedTopic {
  name: string;
  type: string;
  serializationFormat: string;
  offeredQosProfiles: string;
  messageCount: number;
}

/** How the topics' types are defined: the codec to decode with and what pilot tells about it. */
interface ResolvedDefinitions {
  readonly codec: CdrCodec;
  readonly sources: ReadonlyMap<string, DefinitionSource>;
  /** Full `ros2msg` texts the bag itself defines, by type. */
  readonly bagTexts: ReadonlyMap<string, string>;
  readonly schemaErrors: ReadonlyMap<string, string>;
  /** The distro of the standard definitions consulted (for messages), used or not; undefined when none were. */
  readonly consulted: RosDistro | undefined;
}

/** What `BagReader.decodeOrSkip` returns for a message that did not decode and was reported. */
export const SKIPPED: unique symbol = Symbol('skipped');

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
  /** Topic types from the files or metadata.yaml, for messages on MCAP channels without a schema. */
  readonly #types: ReadonlyMap<string, string>;
  readonly #schemaErrors: ReadonlyMap<string, string>;
  readonly #bagTexts: ReadonlyMap<string, string>;
  readonly #consulted: RosDistro | undefined;
  readonly #messageCompression: boolean;

  private constructor(args: {
    path: string;
    storage: StorageId;
    metadata: BagMetadata | undefined;
    warnings: string[];
    files: OpenedFile[];
    codecs: CompressionCodecs;
    registry: MessageRegistry | null;
    topics: BagTopicInfo[];
    definitions: ResolvedDefinitions;
    messageCompression: boolean;
  }) {
    this.path = args.path;
    this.storage = args.storage;
    this.metadata = args.metadata;
    this.warnings = args.warnings;
    this.#files = args.files;
    this.files = args.files.map((f) => f.reader.info);
    this.#codec = args.definitions.codec;
    this.#codecs = args.codecs;
    this.#registry = args.registry;
    this.#topics = args.topics;
    this.#formats = new Map(args.topics.map((t) => [t.name, t.serializationFormat]));
    this.#types = new Map(args.topics.filter((t) => t.type !== '').map((t) => [t.name, t.type]));
    this.#schemaErrors = args.definitions.schemaErrors;
    this.#bagTexts = args.definitions.bagTexts;
    this.#consulted = args.definitions.consulted;
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
    const metadata = await readMetadata(source, names, warn);
    const format = metadata?.compressionFormat ?? '';
    const mode = (metadata?.compressionMode ?? '').toLowerCase();
    if (format !== '' && format !== 'zstd') {
      throw new BagError('E_BAG_COMPRESSION', `${source.path}/${METADATA_FILE}: compression_format '${format}' is not supported (rosbag2 writes zstd)`, { file: METADATA_FILE });
    }
    if (format !== '' && mode !== 'file' && mode !== 'message') {
      throw new BagError('E_BAG_COMPRESSION', `${source.path}/${METADATA_FILE}: compression_mode '${metadata!.compressionMode}' is not supported (expected file or message)`, { file: METADATA_FILE });
    }
    const fileNames = storageFileNames(source, names, metadata, warn);
    const files = await openFiles(source, fileNames, codecs, options.validateCrcs ?? true, mode === 'file');
    for (const f of files) for (const p of f.reader.info.problems) warn(p.message);
    const storage: StorageId = (metadata?.storageIdentifier === 'sqlite3' || metadata?.storageIdentifier === 'mcap' ? metadata.storageIdentifier : undefined) ?? files[0]!.reader.info.storage;

    const merged = mergeTopics(files, metadata, warn);
    const definitions = resolveDefinitions(merged, files, metadata, storage, registry, options.distro, warn);
    const { startNs, endNs, count } = timeRange(files);
    const durationS = startNs !== undefined && endNs !== undefined ? Number(endNs - startNs) / 1e9 : 0;
    const topics: BagTopicInfo[] = merged.map((t) => ({
      ...t,
      rateHz: durationS > 0 ? t.messageCount / durationS : undefined,
      definition: definitions.sources.get(t.name) ?? 'none',
    }));
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
      codecs,
      registry,
      topics,
      definitions,
      messageCompression: format === 'zstd' && mode === 'message',
    });
  }

  topics(): readonly BagTopicInfo[] {
    return this.#topics;
  }

  /** The full `ros2msg` text of `type` as the bag defines it; undefined when it defines none. */
  definitionText(type: string): string | undefined {
    return this.#bagTexts.get(type) ?? (INTERFACE_TYPE_NAME.test(type) ? this.#bagTexts.get(fullTypeName(type)) : undefined);
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
      distro: this.#topics.some((t) => t.definition === 'distro') ? this.#consulted : undefined,
      warnings: this.warnings,
    };
  }

  /** Messages in log-time order across all files (ties: file order). */
  async *messages(query: MessageQuery = {}): AsyncGenerator<BagMessage> {
    const unpack = this.#messageCompression ? (m: BagMessage): BagMessage => this.#decompressMessage(m, query) : undefined;
    if (this.#files.length === 1) {
      for await (const m of this.#files[0]!.reader.messages(query)) {
        const u = unpack ? unpack(m) : m;
        if (u.data !== EMPTY) yield this.#typed(u);
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
        if (u.data !== EMPTY) yield this.#typed(u);
        // Advance only after the consumer is done with `m`: with reuseBuffers the next read overwrites it.
        heads[best] = (await iterators[best]!.next()).value ?? undefined;
      }
    } finally {
      await Promise.all(iterators.map((it) => it.return(undefined)));
    }
  }

  /**
   * Decodes a message with the bag's definition of its type (or pilot's, or the distro's standard
   * one). Typed arrays in the result (e.g. Image.data) are views into `msg.data`. Throws E_BAG_DECODE
   * naming the file, topic and offset; E_BAG_UNKNOWN_TYPE / E_BAG_SCHEMA when there is no usable
   * definition.
   */
  decode<T = unknown>(msg: BagMessage): T {
    const typeName = msg.type || this.#types.get(msg.topic) || '';
    const where = `${msg.file}: topic ${msg.topic} (${typeName || 'no type'}), message at ${position(msg)}`;
    const loc = { file: msg.file, offset: msg.offset, topic: msg.topic };
    const format = this.#formats.get(msg.topic) ?? 'cdr';
    if (format !== 'cdr') throw new BagError('E_BAG_FORMAT', `${where}: serialization format '${format}' is not cdr`, loc);
    if (typeName === '') {
      throw new BagError('E_BAG_UNKNOWN_TYPE', `${where}: the topic has no type (an MCAP channel without a schema, and no metadata.yaml naming its type)`, loc);
    }
    let type: string;
    try {
      type = fullTypeName(typeName);
    } catch {
      throw new BagError('E_BAG_UNKNOWN_TYPE', `${where}: '${typeName}' is not a ROS 2 type name`, loc);
    }
    if (!this.#codec.knows(type)) {
      const schemaError = this.#schemaErrors.get(type);
      if (schemaError) throw new BagError('E_BAG_SCHEMA', `${where}: ${schemaError}`, loc);
      throw new BagError('E_BAG_UNKNOWN_TYPE', `${where}: ${type} ${this.#missing()}`, loc);
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
      const message = this.decodeOrSkip<T>(m, query.onError);
      if (message !== SKIPPED) yield { ...m, message };
    }
  }

  /** `decode`, except that with `onError` a message that does not decode is reported and SKIPPED returned. */
  decodeOrSkip<T = unknown>(msg: BagMessage, onError: ((err: BagError) => void) | undefined): T | typeof SKIPPED {
    try {
      return this.decode<T>(msg);
    } catch (err) {
      if (!onError || !(err instanceof BagError)) throw err;
      onError(err);
      return SKIPPED;
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.#files.map((f) => f.close()));
  }

  /** Where a type without a definition was looked for, after "X ". */
  #missing(): string {
    const sqlite = this.storage === 'sqlite3' ? ' (sqlite3 bags before Jazzy store none)' : '';
    return `has no definition in the bag${sqlite}${notIn(this.#registry !== null, this.#consulted)}`;
  }

  /** A message on an MCAP channel without a schema gets its topic's type from metadata.yaml. */
  #typed(m: BagMessage): BagMessage {
    if (m.type !== '') return m;
    const type = this.#types.get(m.topic);
    return type === undefined ? m : { ...m, type };
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

/** ` and is not one of pilot's types or in the standard humble definitions`, for what was looked in. */
function notIn(registry: boolean, distro: RosDistro | undefined): string {
  const places = [...(registry ? ["one of pilot's types"] : []), ...(distro ? [`in the standard ${distro} definitions`] : [])];
  return places.length ? ` and is not ${places.join(' or ')}` : '';
}

async function readMetadata(source: BagSource, names: readonly string[], warn: Warn): Promise<BagMetadata | undefined> {
  if (source.singleFile || !names.includes(METADATA_FILE)) return undefined;
  const readable = await source.open(METADATA_FILE);
  try {
    return parseMetadataYaml(new TextDecoder().decode(await readAll(readable)), `${source.path}/${METADATA_FILE}`);
  } catch (err) {
    warn(`${errorText(err)}; reading the storage files in the folder instead`);
    return undefined;
  } finally {
    await readable.close?.();
  }
}

/** The storage files to read, in order: metadata.yaml's list plus any it misses, else the folder's by split index. */
function storageFileNames(source: BagSource, names: readonly string[], metadata: BagMetadata | undefined, warn: Warn): string[] {
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
  return fileNames;
}

/** Opens every storage file; on a failure closes those already open. `zstdFiles`: compression_mode file. */
async function openFiles(source: BagSource, fileNames: readonly string[], codecs: CompressionCodecs, validateCrcs: boolean, zstdFiles: boolean): Promise<OpenedFile[]> {
  const files: OpenedFile[] = [];
  try {
    for (const name of fileNames) {
      const readable = await source.open(name);
      const closeReadable = async (): Promise<void> => {
        await readable.close?.();
      };
      try {
        files.push(await openStorageFile(name, readable, codecs, validateCrcs, closeReadable, zstdFiles || name.endsWith('.zstd')));
      } catch (err) {
        await closeReadable();
        throw err;
      }
    }
  } catch (err) {
    await Promise.all(files.map((f) => f.close()));
    throw err;
  }
  return files;
}

/**
 * Topics merged over the files, in order of first appearance; metadata-only topics keep count 0. A
 * channel without a schema (MCAP schema id 0) takes its type from metadata.yaml.
 */
function mergeTopics(files: readonly OpenedFile[], metadata: BagMetadata | undefined, warn: Warn): MergedTopic[] {
  const merged = new Map<string, MergedTopic>();
  for (const f of files) {
    for (const t of f.reader.info.topics) {
      const prev = merged.get(t.name);
      if (!prev) merged.set(t.name, { ...t });
      else {
        if (prev.type === '') prev.type = t.type;
        else if (t.type !== '' && prev.type !== t.type) warn(`${f.reader.info.path}: topic ${t.name} is ${t.type} here but ${prev.type} in an earlier file`);
        prev.messageCount += t.messageCount;
      }
    }
  }
  for (const t of metadata?.topics ?? []) {
    const prev = merged.get(t.name);
    if (!prev) merged.set(t.name, { name: t.name, type: t.type, serializationFormat: t.serializationFormat, offeredQosProfiles: t.offeredQosProfiles, messageCount: 0 });
    else {
      if (prev.offeredQosProfiles === '') prev.offeredQosProfiles = t.offeredQosProfiles;
      if (prev.type === '') prev.type = t.type;
    }
  }
  return [...merged.values()];
}

function timeRange(files: readonly OpenedFile[]): { startNs: bigint | undefined; endNs: bigint | undefined; count: number } {
  let startNs: bigint | undefined;
  let endNs: bigint | undefined;
  let count = 0;
  for (const f of files) {
    const i = f.reader.info;
    count += i.messageCount;
    if (i.startNs !== undefined && (startNs === undefined || i.startNs < startNs)) startNs = i.startNs;
    if (i.endNs !== undefined && (endNs === undefined || i.endNs > endNs)) endNs = i.endNs;
  }
  return { startNs, endNs, count };
}

/** One `ros2msg` definition text found in a storage file. */
interface BagText {
  readonly text: string;
  readonly file: string;
}

/**
 * The bag's `ros2msg` definitions by full type name, in file order. An empty text is a message
 * without fields; an empty definition of another encoding ('' from Humble's MCAP plugin, 'unknown'
 * from later rosbag2) is rosbag2 saying it had none, and is skipped.
 */
function bagTexts(files: readonly OpenedFile[], warn: Warn): Map<string, BagText[]> {
  const texts = new Map<string, BagText[]>();
  const warned = new Set<string>();
  for (const f of files) {
    const file = f.reader.info.path;
    for (const def of f.reader.definitions) {
      let type: string;
      try {
        type = fullTypeName(def.type);
      } catch {
        if (def.type !== '') warn(`${file}: message definition for '${def.type}' is not a ROS type name; ignored`);
        continue;
      }
      if (def.encoding !== 'ros2msg') {
        if (def.text !== '' && !warned.has(type)) warn(`${file}: ${type} is defined as ${def.encoding || '(no encoding)'}, which pilot cannot parse (only ros2msg)`);
        warned.add(type);
        continue;
      }
      texts.set(type, [...(texts.get(type) ?? []), { text: def.text, file }]);
    }
  }
  return texts;
}

/** The first of `texts` that parses as `type`, or the first error naming the file. */
function parseFirst(type: string, texts: readonly BagText[]): { text: string } | { error: string } {
  let error: string | undefined;
  for (const t of texts) {
    try {
      parseSchema(type, t.text);
      return { text: t.text };
    } catch (err) {
      error ??= `${t.file}: the bag's definition of ${type} does not parse: ${errorText(err)}`;
    }
  }
  return { error: error! };
}

/** The standard definitions chosen for a bag, and why (a note when assumed or approximated). */
interface StandardChoice {
  readonly distro: RosDistro;
  readonly registry: MessageRegistry;
  readonly note: string | undefined;
}

/** The distros the bag names: metadata.yaml `ros_distro`, then each db3's `schema.ros_distro`. */
function declaredDistros(files: readonly OpenedFile[], metadata: BagMetadata | undefined): { name: string; where: string }[] {
  const out: { name: string; where: string }[] = [];
  if (metadata?.rosDistro) out.push({ name: metadata.rosDistro, where: `${METADATA_FILE} ros_distro` });
  for (const f of files) {
    if (f.reader instanceof Db3FileReader && f.reader.rosDistro) out.push({ name: f.reader.rosDistro, where: `${f.reader.info.path} schema table` });
  }
  return out;
}

/**
 * The distro for the standard definitions: the first the bag names that pilot knows, else the
 * option, else humble; `note` says when it was assumed, approximated or overrides the option.
 */
export function chooseDistro(declared: readonly { name: string; where: string }[], option: RosDistro | undefined): { distro: RosDistro; note: string | undefined } {
  const unknown: string[] = [];
  for (const d of declared) {
    const std = standardDistroFor(d.name);
    if (!std) {
      unknown.push(`${d.where} names '${d.name}', which pilot has no standard definitions for`);
      continue;
    }
    const notes = [
      ...(std.exact ? [] : [`${d.where} names ${d.name}; using the nearest set, ${std.distro}'s`]),
      ...(option !== undefined && option !== std.distro ? [`--distro ${option} is ignored: ${d.where} names ${d.name}`] : []),
    ];
    return { distro: std.distro, note: notes.length ? notes.join('; ') : undefined };
  }
  const others = ROS_DISTROS.filter((d) => d !== DEFAULT_ROS_DISTRO).join('|');
  if (option !== undefined) return { distro: option, note: unknown.length ? `${unknown.join('; ')}; using ${option} (--distro)` : undefined };
  const why = unknown.length ? unknown.join('; ') : 'the bag names no ROS distro';
  return { distro: DEFAULT_ROS_DISTRO, note: `${why}; assuming ${DEFAULT_ROS_DISTRO} (--distro ${others} if it was recorded on another)` };
}

/** The standard definitions, chosen and loaded on first `get()`; undefined when turned off (`distro: null`) or missing. */
interface LazyStandard {
  get(): StandardChoice | undefined;
  /** The choice if `get()` was called, without making one. */
  chosen(): StandardChoice | undefined;
}

function standardDefinitions(files: readonly OpenedFile[], metadata: BagMetadata | undefined, option: RosDistro | null | undefined, warn: Warn): LazyStandard {
  let choice: StandardChoice | null | undefined = option === null ? null : undefined;
  return {
    get: () => {
      if (choice === undefined) {
        const { distro, note } = chooseDistro(declaredDistros(files, metadata), option ?? undefined);
        try {
          choice = { distro, note, registry: MessageRegistry.standard(distro) };
        } catch (err) {
          warn(`the standard ${distro} definitions cannot be loaded: ${errorText(err)}`);
          choice = null;
        }
      }
      return choice ?? undefined;
    },
    chosen: () => choice ?? undefined,
  };
}

/** The full type name of a topic, or undefined (with a warning) when it has none pilot can use. */
function topicType(t: MergedTopic, warn: Warn): string | undefined {
  try {
    return fullTypeName(t.type);
  } catch {
    if (t.type === '') warn(`${t.name}: no type (an MCAP channel without a schema, and no metadata.yaml naming one); its messages cannot be decoded`);
    else warn(`${t.name}: '${t.type}' is not a ROS 2 type name; its messages cannot be decoded`);
    return undefined;
  }
}

/**
 * Where each topic's type is defined: the bag (its own type, or for a service event the service's
 * .srv text), pilot's registry, the distro's standard set. Warns about topics that fall back or
 * cannot be decoded; builds the codec.
 */
function resolveDefinitions(
  topics: readonly MergedTopic[],
  files: readonly OpenedFile[],
  metadata: BagMetadata | undefined,
  storage: StorageId,
  registry: MessageRegistry | null,
  distroOption: RosDistro | null | undefined,
  warn: Warn,
): ResolvedDefinitions {
  const texts = bagTexts(files, warn);
  const fromBag = new Map<string, string>();
  const schemaErrors = new Map<string, string>();
  const inBag = (type: string): boolean => {
    if (!fromBag.has(type) && !schemaErrors.has(type)) {
      const base = interfaceBaseType(type);
      const found = texts.get(type) ?? (base === undefined ? undefined : texts.get(base));
      const parsed = found ? parseFirst(type, found) : undefined;
      if (parsed && 'text' in parsed) fromBag.set(type, parsed.text);
      if (parsed && 'error' in parsed) schemaErrors.set(type, parsed.error);
    }
    return fromBag.has(type);
  };
  const standard = standardDefinitions(files, metadata, distroOption, warn);
  const sources = new Map<string, DefinitionSource>();
  const byDistro: string[] = [];
  const fallbackNoted = storage === 'mcap' || texts.size > 0;
  for (const t of topics) {
    const type = topicType(t, warn);
    const source: DefinitionSource =
      type === undefined ? 'none' : inBag(type) ? 'bag' : registry?.has(type) ? 'registry' : standard.get()?.registry.has(type) ? 'distro' : 'none';
    sources.set(t.name, source);
    if (source === 'distro' && t.messageCount > 0) byDistro.push(t.name);
    if (type === undefined) continue;
    const using = source === 'registry' ? "pilot's vendored one" : `the standard ${standard.chosen()?.distro ?? ''} one`;
    if (schemaErrors.has(type)) {
      warn(`${schemaErrors.get(type)}; ${source === 'none' ? `messages on ${t.name} cannot be decoded` : `using ${using}`}`);
    } else if ((source === 'registry' || source === 'distro') && fallbackNoted) {
      warn(`${t.name}: the bag has no definition of ${type}; using ${using}`);
    } else if (source === 'none' && t.messageCount > 0) {
      const sqlite = storage === 'sqlite3' ? ' (sqlite3 bags before Jazzy store none)' : '';
      warn(`${t.name}: type ${type} has no definition in the bag${sqlite}${notIn(registry !== null, standard.chosen()?.distro)}; its messages cannot be decoded`);
    }
  }
  const std = standard.chosen();
  if (std?.note && byDistro.length > 0) warn(`${std.note}: the standard ${std.distro} definitions decode ${byDistro.join(', ')}`);
  const useStd = std !== undefined && [...sources.values()].includes('distro');
  const codec = new CdrCodec(useStd ? (registry ? MessageRegistry.layered(registry, std.registry) : std.registry) : registry);
  // The bag's other definitions too: a topic whose type changed between split files decodes in each.
  for (const type of texts.keys()) inBag(type);
  for (const [type, text] of fromBag) codec.addSchemaText(type, text);
  return { codec, sources, bagTexts: fromBag, schemaErrors, consulted: standard.chosen()?.distro };
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

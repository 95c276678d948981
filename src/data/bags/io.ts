/**
 * Bag I/O behind small interfaces, after @mcap/core's IReadable / IWritable: the readers, writer and
 * recovery work on these, so they run in memory in tests; Node file handles live in node-io.ts.
 */

/** Random-access input: one storage file. Same shape as @mcap/core's IReadable. */
export interface BagReadable {
  size(): Promise<bigint>;
  /** Exactly `length` bytes from `offset` (fewer only at the end of the file), in a buffer of its own. */
  read(offset: bigint, length: bigint): Promise<Uint8Array>;
  /**
   * Optional: reads into `target` (its whole length, fewer at the end of the file) and returns the
   * bytes read. Lets a reader reuse one buffer instead of faulting in fresh pages for every chunk.
   */
  readInto?(offset: bigint, target: Uint8Array): Promise<number>;
}

/** Append-only output. Same shape as @mcap/core's IWritable. */
export interface BagWritable {
  /** Resolves when the bytes are handed to the storage (the OS for files); rejects on a write error. */
  write(bytes: Uint8Array): Promise<void>;
  /** Bytes written so far. */
  position(): bigint;
}

/** A storage file being written; `close()` releases it. */
export interface BagOutputFile extends BagWritable {
  close(): Promise<void>;
}

/** Where a bag is written: a folder of storage files plus metadata.yaml. */
export interface BagSink {
  /** Creates a new, empty file; an existing one is an error. */
  createFile(name: string): Promise<BagOutputFile>;
  /** Writes a whole small file, replacing any old one atomically (metadata.yaml). */
  replaceFile(name: string, bytes: Uint8Array): Promise<void>;
}

/** Where a bag is read from: its folder (or a single storage file). */
export interface BagSource {
  /** A name for messages: the folder or file path. */
  readonly path: string;
  /** True when the bag is one storage file given directly (no folder, no metadata.yaml expected). */
  readonly singleFile?: boolean;
  /** File names in the bag folder (not recursive). */
  list(): Promise<string[]>;
  open(name: string): Promise<BagReadable & { close?(): Promise<void> }>;
}

/** Reads a whole (small) file. */
export async function readAll(readable: BagReadable): Promise<Uint8Array> {
  return readable.read(0n, await readable.size());
}

/** A readable over bytes in memory. */
export class MemoryReadable implements BagReadable {
  constructor(readonly bytes: Uint8Array) {}

  async size(): Promise<bigint> {
    return BigInt(this.bytes.byteLength);
  }

  async read(offset: bigint, length: bigint): Promise<Uint8Array> {
    const start = Number(offset);
    return this.bytes.subarray(start, Math.min(this.bytes.byteLength, start + Number(length)));
  }

  async readInto(offset: bigint, target: Uint8Array): Promise<number> {
    const part = await this.read(offset, BigInt(target.byteLength));
    target.set(part);
    return part.byteLength;
  }
}

/** A growable in-memory file. */
export class MemoryWritable implements BagOutputFile {
  #buffer = new Uint8Array(1 << 16);
  #length = 0;
  closed = false;

  async write(bytes: Uint8Array): Promise<void> {
    if (this.closed) throw new Error('write after close');
    if (this.#length + bytes.byteLength > this.#buffer.byteLength) {
      let capacity = this.#buffer.byteLength * 2;
      while (capacity < this.#length + bytes.byteLength) capacity *= 2;
      const grown = new Uint8Array(capacity);
      grown.set(this.#buffer.subarray(0, this.#length));
      this.#buffer = grown;
    }
    this.#buffer.set(bytes, this.#length);
    this.#length += bytes.byteLength;
  }

  position(): bigint {
    return BigInt(this.#length);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** The bytes written so far (a view). */
  get bytes(): Uint8Array {
    return this.#buffer.subarray(0, this.#length);
  }
}

/** A bag folder in memory: both a sink and a source. Tests truncate or corrupt `files` directly. */
export class MemoryBagFolder implements BagSink, BagSource {
  readonly files = new Map<string, Uint8Array | MemoryWritable>();

  constructor(readonly path = 'memory-bag') {}

  async createFile(name: string): Promise<BagOutputFile> {
    if (this.files.has(name)) throw new Error(`${name} exists`);
    const file = new MemoryWritable();
    this.files.set(name, file);
    return file;
  }

  async replaceFile(name: string, bytes: Uint8Array): Promise<void> {
    this.files.set(name, bytes.slice());
  }

  async list(): Promise<string[]> {
    return [...this.files.keys()].sort();
  }

  async open(name: string): Promise<BagReadable> {
    const bytes = this.bytes(name);
    if (bytes === undefined) throw new Error(`ENOENT: ${name}`);
    return new MemoryReadable(bytes);
  }

  /** The current content of a file. */
  bytes(name: string): Uint8Array | undefined {
    const f = this.files.get(name);
    return f instanceof MemoryWritable ? f.bytes : f;
  }

  text(name: string): string | undefined {
    const b = this.bytes(name);
    return b === undefined ? undefined : new TextDecoder().decode(b);
  }
}

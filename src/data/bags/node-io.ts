/**
 * Node file-system adapters for the bag interfaces in io.ts, and the entry points that take paths:
 * openBag, createBagWriter, recoverBag. Everything else in src/data/bags works on the interfaces.
 */
import { constants as fsConstants } from 'node:fs';
import { mkdir, open, readdir, rename, stat, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { McapIndexedReader } from '@mcap/core';
import { BagReader, type BagInfo, type BagReaderOptions } from './bag-reader.js';
import { BagWriter, type BagWriterOptions } from './bag-writer.js';
import { loadCompression, type CompressionCodecs } from './compression.js';
import { BagError, errorText } from './errors.js';
import type { BagOutputFile, BagReadable, BagSink, BagSource } from './io.js';
import { METADATA_FILE, METADATA_VERSION, renderMetadataYaml, type BagMetadata } from './metadata.js';
import { planMcapRecovery, type McapRecoveryReport } from './recover.js';

/** Random-access reads from a file; every read returns a new buffer (message views stay valid). */
export class FileReadable implements BagReadable {
  private constructor(readonly path: string, readonly handle: FileHandle, readonly bytes: bigint) {}

  static async open(path: string): Promise<FileReadable> {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      return new FileReadable(path, handle, BigInt(size));
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async size(): Promise<bigint> {
    return this.bytes;
  }

  async read(offset: bigint, length: bigint): Promise<Uint8Array> {
    // A corrupt record can claim gigabytes: never allocate past the end of the file.
    const left = offset < this.bytes ? this.bytes - offset : 0n;
    const n = Number(length < left ? length : left);
    const buf = new Uint8Array(Buffer.allocUnsafeSlow(n).buffer, 0, n);
    const got = await this.readInto(offset, buf);
    return got === n ? buf : buf.subarray(0, got);
  }

  async readInto(offset: bigint, target: Uint8Array): Promise<number> {
    let got = 0;
    while (got < target.byteLength) {
      // fs reads take an int32 length: read in pieces under 1 GiB.
      const { bytesRead } = await this.handle.read(target, got, Math.min(target.byteLength - got, READ_PIECE_BYTES), Number(offset) + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** Appends to a new file (never an existing one). Each write goes to the OS before it resolves. */
export class FileWritable implements BagOutputFile {
  #position = 0;

  private constructor(readonly path: string, readonly handle: FileHandle) {}

  static async create(path: string): Promise<FileWritable> {
    return new FileWritable(path, await open(path, 'wx'));
  }

  async write(bytes: Uint8Array): Promise<void> {
    let done = 0;
    while (done < bytes.byteLength) {
      const { bytesWritten } = await this.handle.write(bytes, done, bytes.byteLength - done, this.#position + done);
      done += bytesWritten;
    }
    this.#position += bytes.byteLength;
  }

  position(): bigint {
    return BigInt(this.#position);
  }

  /** Flushes to disk (a finished file survives power loss) and closes. */
  async close(): Promise<void> {
    try {
      await this.handle.datasync();
    } finally {
      await this.handle.close();
    }
  }
}

/** A bag folder on disk being written. */
export class DirectoryBagSink implements BagSink {
  constructor(readonly dir: string) {}

  createFile(name: string): Promise<BagOutputFile> {
    return FileWritable.create(join(this.dir, name));
  }

  /** Writes `<name>.tmp`, syncs it, renames over `name`: a crash leaves the old or the new file. */
  async replaceFile(name: string, bytes: Uint8Array): Promise<void> {
    const tmp = join(this.dir, `${name}.tmp`);
    const handle = await open(tmp, 'w');
    try {
      await handle.write(bytes, 0, bytes.byteLength, 0);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(tmp, join(this.dir, name));
  }
}

/** A bag on disk: a folder, or one storage file. */
export class PathBagSource implements BagSource {
  private constructor(readonly path: string, readonly singleFile: boolean) {}

  static async of(path: string): Promise<PathBagSource> {
    let s;
    try {
      s = await stat(path);
    } catch (err) {
      throw new BagError('E_BAG_NOT_FOUND', `${path}: no such bag folder or file (${errorText(err)})`);
    }
    return new PathBagSource(path, !s.isDirectory());
  }

  async list(): Promise<string[]> {
    if (this.singleFile) return [basename(this.path)];
    const entries = await readdir(this.path, { withFileTypes: true });
    return entries.filter((e) => e.isFile()).map((e) => e.name).sort();
  }

  open(name: string): Promise<FileReadable> {
    return FileReadable.open(this.singleFile ? this.path : join(this.path, name));
  }
}

/** Opens a bag folder or a single .mcap / .db3 file. */
const READ_PIECE_BYTES = 1 << 30;

export async function openBag(path: string, options: BagReaderOptions = {}): Promise<BagReader> {
  return BagReader.open(await PathBagSource.of(path), options);
}

/**
 * Creates the bag folder `dir` (it must not exist, or be empty) and a writer whose files are named
 * after it, as rosbag2 does: `<dir>/<basename>_0.mcap`.
 */
export async function createBagWriter(dir: string, options: BagWriterOptions = {}): Promise<BagWriter> {
  try {
    const entries = await readdir(dir);
    if (entries.length > 0) throw new BagError('E_BAG_EXISTS', `${dir}: the output folder exists and is not empty`);
  } catch (err) {
    if (err instanceof BagError) throw err;
    if ((err as { code?: string }).code !== 'ENOENT') throw new BagError('E_BAG_WRITE', `${dir}: ${errorText(err)}`);
    await mkdir(dir, { recursive: true });
  }
  const name = options.name ?? (basename(dir).replace(/[^A-Za-z0-9_.\-]/g, '_') || 'bag');
  return BagWriter.create(new DirectoryBagSink(dir), { ...options, name });
}

export interface BagRecoveryResult {
  readonly path: string;
  /** One entry per MCAP file: intact or recovered (with what was kept and where it stopped). */
  readonly files: readonly McapRecoveryReport[];
  /** metadata.yaml written afresh from the files (folders only). */
  readonly metadataWritten: boolean;
  readonly metadata: BagMetadata | undefined;
}

/**
 * Makes a bag readable by rosbag2 again after a crash: every MCAP file without a valid summary gets
 * one rebuilt from its complete chunks (the partial record at the end is cut), and a folder gets a
 * fresh metadata.yaml with the real counts. Works on a folder or a single .mcap file.
 */
export async function recoverBag(path: string): Promise<BagRecoveryResult> {
  const source = await PathBagSource.of(path);
  const names = (await source.list()).filter((n) => source.singleFile || /\.(mcap|db3)$/.test(n));
  const mcaps = names.filter((n) => source.singleFile || n.endsWith('.mcap'));
  if (names.length === 0) throw new BagError('E_BAG_NOT_FOUND', `${path}: no .mcap or .db3 files to recover`);
  const codecs = await loadCompression();
  const reports: McapRecoveryReport[] = [];
  for (const name of mcaps) reports.push(await recoverMcapFile(name, source.singleFile ? path : join(path, name), codecs));
  if (source.singleFile) return { path, files: reports, metadataWritten: false, metadata: undefined };

  // metadata.yaml from what the files hold now (the old one, if any, may predate the crash).
  const reader = await BagReader.open(source, {});
  const metadata = metadataOf(reader.info());
  await reader.close();
  await new DirectoryBagSink(path).replaceFile(METADATA_FILE, new TextEncoder().encode(renderMetadataYaml(metadata)));
  return { path, files: reports, metadataWritten: true, metadata };
}

/** One MCAP file: reported intact when it has a valid summary, else made whole in place. */
async function recoverMcapFile(name: string, filePath: string, codecs: CompressionCodecs): Promise<McapRecoveryReport> {
  const readable = await FileReadable.open(filePath);
  let intact = false;
  try {
    await McapIndexedReader.Initialize({ readable });
    intact = true;
  } catch {
    intact = false;
  }
  if (intact) {
    await readable.close();
    return intactReport(name, filePath);
  }
  let plan;
  try {
    plan = await planMcapRecovery(name, readable, codecs);
  } finally {
    await readable.close();
  }
  const handle = await open(filePath, fsConstants.O_RDWR);
  try {
    await handle.truncate(Number(plan.keepBytes));
    await handle.write(plan.tail, 0, plan.tail.byteLength, Number(plan.keepBytes));
    await handle.datasync();
  } finally {
    await handle.close();
  }
  return plan.report;
}

async function intactReport(name: string, filePath: string): Promise<McapRecoveryReport> {
  const reader = await openBag(filePath);
  const info = reader.info();
  await reader.close();
  return {
    file: name,
    status: 'intact',
    messageCount: info.messageCount,
    chunkCount: info.files[0]?.chunkCount ?? 0,
    topics: new Map(info.topics.map((t) => [t.name, t.messageCount])),
    startNs: info.startNs,
    endNs: info.endNs,
    stoppedAt: undefined,
    reason: undefined,
    droppedBytes: 0n,
    skippedChunks: [],
  };
}

/** metadata.yaml's content for a bag as read. */
function metadataOf(info: BagInfo): BagMetadata {
  return {
    version: METADATA_VERSION,
    storageIdentifier: info.storage,
    relativeFilePaths: info.files.map((f) => f.path),
    durationNs: info.durationNs,
    startingTimeNs: info.startNs ?? 0n,
    messageCount: info.messageCount,
    topics: info.topics.map((t) => ({
      name: t.name,
      type: t.type,
      serializationFormat: t.serializationFormat,
      offeredQosProfiles: t.offeredQosProfiles,
      messageCount: t.messageCount,
    })),
    compressionFormat: info.metadata?.compressionFormat ?? '',
    compressionMode: info.metadata?.compressionMode ?? '',
    files: info.files.map((f) => ({
      path: f.path,
      startingTimeNs: f.startNs ?? 0n,
      durationNs: f.startNs !== undefined && f.endNs !== undefined ? f.endNs - f.startNs : 0n,
      messageCount: f.messageCount,
    })),
  };
}

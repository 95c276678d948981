/**
 * Chunk and file compression. Decompression comes from @mcap/support (lz4, zstd, bz2 in
 * WebAssembly), compression from @foxglove/wasm-zstd and lz4.ts. The WebAssembly modules load
 * asynchronously, so `loadCompression()` is awaited once before use.
 */
import { loadDecompressHandlers } from '@mcap/support';
import { BagError } from './errors.js';
import { lz4CompressFrame } from './lz4.js';

/** Chunk compressions the writer produces, as named in MCAP chunk records ('' is none). */
export const CHUNK_COMPRESSIONS = ['none', 'lz4', 'zstd'] as const;
export type ChunkCompression = (typeof CHUNK_COMPRESSIONS)[number];

/** Validates a compression name from options or the command line. */
export function chunkCompression(value: string | undefined): ChunkCompression {
  if (value === undefined || value === '') return 'none';
  if ((CHUNK_COMPRESSIONS as readonly string[]).includes(value)) return value as ChunkCompression;
  throw new BagError('E_BAG_COMPRESSION', `unknown compression '${value}' (supported: ${CHUNK_COMPRESSIONS.join(', ')})`);
}

export type Decompress = (data: Uint8Array, uncompressedSize: bigint) => Uint8Array;

export interface CompressionCodecs {
  /** Compresses with `kind`; 'none' returns the input. */
  compress(kind: ChunkCompression, data: Uint8Array): Uint8Array;
  /** A decompressor by MCAP name (`lz4`, `zstd`, `bz2`), or undefined when unsupported. */
  decompressor(name: string): Decompress | undefined;
  /** Names `decompressor` accepts. */
  readonly decompressible: readonly string[];
}

interface ZstdModule {
  isLoaded: Promise<boolean>;
  compress(buffer: Uint8Array, level?: number): Uint8Array;
  decompress(buffer: Uint8Array, size: number): Uint8Array;
}

let loading: Promise<CompressionCodecs> | undefined;

/** The codecs, loaded once per process. */
export function loadCompression(): Promise<CompressionCodecs> {
  return (loading ??= load());
}

/** zstd level for chunks: 1 is fast (hundreds of MB/s) and still shrinks images well. */
const ZSTD_LEVEL = 1;

async function load(): Promise<CompressionCodecs> {
  const [handlers, zstdImport] = await Promise.all([loadDecompressHandlers(), import('@foxglove/wasm-zstd')]);
  const zstd = ((zstdImport as { default?: ZstdModule }).default ?? zstdImport) as ZstdModule;
  await zstd.isLoaded;
  const decompressible = Object.keys(handlers).sort();
  return {
    compress(kind, data) {
      switch (kind) {
        case 'none':
          return data;
        case 'lz4':
          return lz4CompressFrame(data);
        case 'zstd':
          return new Uint8Array(zstd.compress(data, ZSTD_LEVEL));
      }
    },
    decompressor(name) {
      const handler = handlers[name];
      return handler ? (data, size) => handler(data, size) : undefined;
    },
    decompressible,
  };
}

/**
 * The decompressed size stored in a zstd frame header (rosbag2's file and message compression
 * writes it), or undefined when the frame does not carry one.
 */
export function zstdContentSize(bytes: Uint8Array): number | undefined {
  if (bytes.length < 6 || bytes[0] !== 0x28 || bytes[1] !== 0xb5 || bytes[2] !== 0x2f || bytes[3] !== 0xfd) return undefined;
  const fhd = bytes[4]!;
  const fcsFlag = fhd >> 6;
  const singleSegment = (fhd >> 5) & 1;
  const dictIdFlag = fhd & 3;
  let pos = 5 + (singleSegment ? 0 : 1) + [0, 1, 2, 4][dictIdFlag]!;
  const size = [singleSegment ? 1 : 0, 2, 4, 8][fcsFlag]!;
  if (size === 0 || bytes.length < pos + size) return undefined;
  let value = 0;
  for (let i = size - 1; i >= 0; i--) value = value * 256 + bytes[pos + i]!;
  if (size === 2) value += 256;
  pos += size;
  return value;
}

/** Decompresses one zstd frame (a rosbag2 `.zstd` file or message), naming `what` in errors. */
export function zstdDecompress(codecs: CompressionCodecs, bytes: Uint8Array, what: string): Uint8Array {
  const size = zstdContentSize(bytes);
  if (size === undefined) {
    throw new BagError('E_BAG_COMPRESSION', `${what}: not a zstd frame with a content size (first bytes ${[...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ')})`);
  }
  const decompress = codecs.decompressor('zstd')!;
  try {
    return decompress(bytes, BigInt(size));
  } catch (err) {
    throw new BagError('E_BAG_CORRUPT', `${what}: zstd data does not decompress: ${(err as Error).message}`, {}, err);
  }
}

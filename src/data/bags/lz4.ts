/**
 * LZ4 frame compression (the format MCAP's `lz4` chunks use: LZ4F frames). @foxglove/wasm-lz4 only
 * decompresses, so this is a small greedy LZ4 block compressor in TypeScript (one hash probe per
 * position, skip acceleration on incompressible data) wrapped in a frame with independent 4 MiB
 * blocks, no checksums and no content size. Ratio is below the reference lz4 (no match search
 * chains), speed is a few hundred MB/s, and the output is valid for any LZ4 decoder.
 */

const MAGIC = 0x184d2204;
/** FLG: version 01, block independence. BD: 4 MiB maximum block size. */
const FLG = 0x60;
const BD = 0x70;
const BLOCK_MAX = 4 << 20;
const MIN_MATCH = 4;
const LAST_LITERALS = 5;
const MF_LIMIT = 12;
const MAX_OFFSET = 65535;
const HASH_BITS = 16;
const UNCOMPRESSED_FLAG = 0x80000000;

const PRIME1 = 2654435761;
const PRIME2 = 2246822519;
const PRIME3 = 3266489917;
const PRIME5 = 374761393;

function rotl(x: number, r: number): number {
  return ((x << r) | (x >>> (32 - r))) >>> 0;
}

/** xxHash32 of a few bytes (< 16), as the frame header checksum needs. */
export function xxh32Small(bytes: Uint8Array, seed = 0): number {
  let h = (seed + PRIME5 + bytes.length) >>> 0;
  for (const b of bytes) h = Math.imul(rotl((h + Math.imul(b, PRIME5)) >>> 0, 11), PRIME1) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, PRIME2) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, PRIME3) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

function read32(src: Uint8Array, i: number): number {
  return (src[i]! | (src[i + 1]! << 8) | (src[i + 2]! << 16) | (src[i + 3]! << 24)) | 0;
}

function writeLength(dst: Uint8Array, pos: number, n: number): number {
  while (n >= 255) {
    dst[pos++] = 255;
    n -= 255;
  }
  dst[pos++] = n;
  return pos;
}

/** Compresses src[start, end) as one LZ4 block into dst at `pos`; returns the new position. */
function compressBlock(src: Uint8Array, start: number, end: number, dst: Uint8Array, pos: number, table: Int32Array): number {
  let anchor = start;
  let ip = start;
  const matchLimit = end - LAST_LITERALS;
  const mfLimit = end - MF_LIMIT;
  table.fill(-1);
  let misses = 0;
  while (ip < mfLimit) {
    const seq = read32(src, ip);
    const h = Math.imul(seq, PRIME1) >>> (32 - HASH_BITS);
    const ref = table[h]!;
    table[h] = ip;
    if (ref < start || ip - ref > MAX_OFFSET || read32(src, ref) !== seq) {
      // Skip faster through data that does not compress (as lz4's acceleration does).
      ip += 1 + (misses++ >> 6);
      continue;
    }
    misses = 0;
    let len = MIN_MATCH;
    while (ip + len < matchLimit && src[ref + len] === src[ip + len]) len++;
    // Sequence: token, literal length, literals, offset, match length.
    const litLen = ip - anchor;
    const tokenPos = pos++;
    if (litLen >= 15) pos = writeLength(dst, pos, litLen - 15);
    dst.set(src.subarray(anchor, ip), pos);
    pos += litLen;
    const offset = ip - ref;
    dst[pos++] = offset & 0xff;
    dst[pos++] = offset >>> 8;
    const ml = len - MIN_MATCH;
    if (ml >= 15) pos = writeLength(dst, pos, ml - 15);
    dst[tokenPos] = (Math.min(litLen, 15) << 4) | Math.min(ml, 15);
    ip += len;
    anchor = ip;
    if (ip - 2 < mfLimit && ip - 2 >= start) table[Math.imul(read32(src, ip - 2), PRIME1) >>> (32 - HASH_BITS)] = ip - 2;
  }
  const litLen = end - anchor;
  const tokenPos = pos++;
  if (litLen >= 15) pos = writeLength(dst, pos, litLen - 15);
  dst[tokenPos] = Math.min(litLen, 15) << 4;
  dst.set(src.subarray(anchor, end), pos);
  return pos + litLen;
}

let scratchTable: Int32Array | undefined;

/** `src` as one LZ4 frame. */
export function lz4CompressFrame(src: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(src.length / BLOCK_MAX));
  // Worst case per block: the data plus its length bytes, stored uncompressed at most.
  const dst = new Uint8Array(7 + blocks * 4 + src.length + Math.ceil(src.length / 255) + 16 * blocks + 4);
  const view = new DataView(dst.buffer);
  view.setUint32(0, MAGIC, true);
  dst[4] = FLG;
  dst[5] = BD;
  dst[6] = (xxh32Small(dst.subarray(4, 6)) >>> 8) & 0xff;
  let pos = 7;
  const table = (scratchTable ??= new Int32Array(1 << HASH_BITS));
  for (let start = 0; start < src.length; start += BLOCK_MAX) {
    const end = Math.min(src.length, start + BLOCK_MAX);
    const sizePos = pos;
    pos += 4;
    const compressedEnd = end - start > MF_LIMIT ? compressBlock(src, start, end, dst, pos, table) : Infinity;
    if (compressedEnd - pos < end - start) {
      view.setUint32(sizePos, compressedEnd - pos, true);
      pos = compressedEnd;
    } else {
      view.setUint32(sizePos, (UNCOMPRESSED_FLAG | (end - start)) >>> 0, true);
      dst.set(src.subarray(start, end), pos);
      pos += end - start;
    }
  }
  view.setUint32(pos, 0, true);
  return dst.subarray(0, pos + 4);
}

/**
 * ZeroMQ wire format: multipart frames `[topic, header, ...bulk]`.
 *
 * `header` is msgpack of `{ type, seq, sentAtMs, bulk, body }`, where `body` is the message with its large
 * typed arrays removed and `bulk[i] = { path, kind }` says where frame `2 + i` goes back and as which
 * typed array. Bulk frames are views over the caller's memory on send and over the received Buffer on
 * receive, so an image is never copied in JS. Byte order is the host's (little-endian everywhere we run).
 */
import { Packr } from 'msgpackr';
import { TransportError } from './transport.js';

/** Typed arrays at least this large travel as their own frame. */
export const DEFAULT_BULK_THRESHOLD_BYTES = 1024;
/** How deep into nested plain objects we look for bulk fields (Image.data is depth 0). */
const MAX_BULK_DEPTH = 3;

// Default msgpackr options turn Float32Array etc. into garbage Buffers; moreTypes keeps them typed.
const packr = new Packr({ moreTypes: true, useRecords: false });

type TypedArray =
  | Uint8Array | Uint8ClampedArray | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array
  | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

interface TypedArrayCtor {
  readonly BYTES_PER_ELEMENT: number;
  new (length: number): TypedArray;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): TypedArray;
}

const KINDS: Readonly<Record<string, TypedArrayCtor>> = {
  Uint8Array, Uint8ClampedArray, Int8Array, Uint16Array, Int16Array, Uint32Array, Int32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array,
};

export interface WireHeader {
  readonly topic: string;
  readonly type: string;
  readonly seq: number;
  readonly sentAtMs: number;
}

export interface WireMessage extends WireHeader {
  readonly message: unknown;
}

interface BulkEntry {
  path: string[];
  kind: string;
}

/**
 * Frames for one message. The message is not modified; bulk frames alias its typed arrays, so the caller
 * must not mutate them until the send completed.
 */
export function encodeMessage(header: WireHeader, message: unknown, bulkThresholdBytes = DEFAULT_BULK_THRESHOLD_BYTES): Buffer[] {
  const bulk: BulkEntry[] = [];
  const views: Buffer[] = [];
  const body = isPlainObject(message) ? extractBulk(message, [], bulk, views, bulkThresholdBytes, 0) : message;
  const head = packr.pack({ type: header.type, seq: header.seq, sentAtMs: header.sentAtMs, bulk, body });
  return [Buffer.from(header.topic, 'utf8'), head, ...views];
}

/** Inverse of {@link encodeMessage}; throws TransportError `E_WIRE_DECODE` on anything malformed. */
export function decodeMessage(frames: readonly Buffer[]): WireMessage {
  const topic = frames.length > 0 ? frames[0].toString('utf8') : '';
  const fail = (why: string): never => {
    throw new TransportError('E_WIRE_DECODE', `topic '${topic}': ${why}`);
  };
  if (frames.length < 2) fail(`expected at least 2 frames, got ${frames.length}`);
  let head: unknown;
  try {
    head = packr.unpack(frames[1]);
  } catch (e) {
    fail(`bad header: ${(e as Error).message}`);
  }
  if (!isPlainObject(head)) return fail('header is not a map');
  const { type, seq, sentAtMs, bulk, body } = head;
  if (typeof type !== 'string' || typeof seq !== 'number' || typeof sentAtMs !== 'number' || !Array.isArray(bulk)) {
    fail('header lacks type, seq, sentAtMs or bulk');
  }
  const entries = bulk as unknown[];
  if (entries.length !== frames.length - 2) fail(`header names ${entries.length} bulk frames, got ${frames.length - 2}`);
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    if (!isPlainObject(entry) || !Array.isArray(entry.path) || entry.path.length === 0 || typeof entry.kind !== 'string') {
      fail(`bad bulk entry ${i}`);
    }
    const { path, kind } = entry as unknown as BulkEntry;
    const Ctor = Object.hasOwn(KINDS, kind) ? KINDS[kind] : undefined;
    if (!Ctor) return fail(`unknown bulk kind '${kind}'`);
    const view = typedView(Ctor, frames[2 + i]);
    if (!view) return fail(`bulk frame ${i} (${frames[2 + i].byteLength} bytes) is not a whole number of ${kind} elements`);
    if (!placeAt(body, path, view)) fail(`bulk path '${path.join('.')}' does not fit the body`);
  }
  return { topic, type: type as string, seq: seq as number, sentAtMs: sentAtMs as number, message: body };
}

/** Copy-on-write removal of large typed arrays; only containers on a bulk path are shallow-copied. */
function extractBulk(
  obj: Record<string, unknown>,
  prefix: string[],
  bulk: BulkEntry[],
  views: Buffer[],
  threshold: number,
  depth: number,
): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(obj)) {
    const value = obj[key];
    if (ArrayBuffer.isView(value) && !(value instanceof DataView) && value.byteLength >= threshold) {
      const kind = (value as TypedArray)[Symbol.toStringTag]; // Buffer reports 'Uint8Array'
      if (!Object.hasOwn(KINDS, kind)) continue;
      copy ??= { ...obj };
      delete copy[key];
      bulk.push({ path: [...prefix, key], kind });
      views.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength)); // a view, not a copy
    } else if (depth < MAX_BULK_DEPTH && isPlainObject(value)) {
      const inner = extractBulk(value, [...prefix, key], bulk, views, threshold, depth + 1);
      if (inner !== value) {
        copy ??= { ...obj };
        copy[key] = inner;
      }
    }
  }
  return copy ?? obj;
}

/** A view over the frame when its offset is aligned for the element type, else an aligned copy. */
function typedView(Ctor: TypedArrayCtor, frame: Buffer): TypedArray | undefined {
  const size = Ctor.BYTES_PER_ELEMENT;
  if (frame.byteLength % size !== 0) return undefined;
  const length = frame.byteLength / size;
  if (frame.byteOffset % size === 0) return new Ctor(frame.buffer, frame.byteOffset, length);
  const copy = new Ctor(length);
  new Uint8Array(copy.buffer, copy.byteOffset, copy.byteLength).set(frame);
  return copy;
}

function placeAt(body: unknown, path: unknown[], view: TypedArray): boolean {
  let node = body;
  for (let i = 0; i < path.length; i++) {
    const key = path[i];
    if (!isPlainObject(node) || typeof key !== 'string' || key === '__proto__') return false;
    if (i === path.length - 1) {
      node[key] = view;
      return true;
    }
    node = Object.hasOwn(node, key) ? node[key] : undefined;
  }
  return false;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

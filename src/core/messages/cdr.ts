import { MessageReader, MessageWriter } from '@foxglove/rosmsg2-serialization';
import { MessageError } from './errors.js';
import { parseSchema, type MessageDefinition } from './parse-schema.js';
import { MessageRegistry } from './registry.js';
import { StringGuard } from './string-guard.js';
import { fullTypeName } from './type-names.js';
import type { KnownTypeName, MessageTypeMap } from './types.js';

interface TypeCodec {
  readonly reader: MessageReader;
  readonly writer: MessageWriter;
  readonly guard: StringGuard;
}

export interface DecodeOptions {
  /**
   * Decode from a private copy of `bytes` (default true). The reader returns uint8/float arrays
   * as views into its input, so without the copy `Image.data` aliases the caller's buffer and
   * changes when a transport reuses it.
   */
  copy?: boolean;
}

/**
 * CDR (ROS 2 wire format, little-endian with the 4-byte encapsulation header) via
 * @foxglove/rosmsg2-serialization. One reader and writer per type, built on first use.
 * Definitions come from schema texts added with addSchemaText (a bag's embedded schemas), then
 * from the registry.
 */
export class CdrCodec {
  readonly #registry: MessageRegistry | null;
  readonly #schemas = new Map<string, MessageDefinition[]>();
  readonly #codecs = new Map<string, TypeCodec>();

  /** `registry`: where definitions of types without an added schema come from; null for none. */
  constructor(registry: MessageRegistry | null = MessageRegistry.builtin()) {
    this.#registry = registry;
  }

  /** A codec for one type defined by a full `ros2msg` schema text, e.g. from an MCAP channel. */
  static fromSchemaText(typeName: string, text: string): CdrCodec {
    return new CdrCodec(null).addSchemaText(typeName, text);
  }

  /** Defines (or redefines) `typeName` from a full `ros2msg` schema text; parse errors throw now. */
  addSchemaText(typeName: string, text: string): this {
    const key = fullTypeName(typeName);
    this.#schemas.set(key, parseSchema(typeName, text));
    this.#codecs.delete(key);
    return this;
  }

  /** Whether this codec can encode and decode `typeName`. */
  knows(typeName: string): boolean {
    try {
      return this.#schemas.has(fullTypeName(typeName)) || (this.#registry?.has(typeName) ?? false);
    } catch {
      return false;
    }
  }

  encode<K extends KnownTypeName>(typeName: K, msg: MessageTypeMap[K]): Uint8Array;
  encode(typeName: string, msg: unknown): Uint8Array;
  encode(typeName: string, msg: unknown): Uint8Array {
    const codec = this.#codec(typeName);
    const bad = codec.guard.check(msg);
    if (bad !== undefined) {
      throw new MessageError('E_CDR_ENCODE', `${typeName}: field ${bad} holds non-ASCII text, which the CDR writer truncates`);
    }
    try {
      return codec.writer.writeMessage(msg);
    } catch (err) {
      throw new MessageError('E_CDR_ENCODE', `${typeName}: ${(err as Error).message}`, err);
    }
  }

  decode<K extends KnownTypeName>(typeName: K, bytes: Uint8Array, options?: DecodeOptions): MessageTypeMap[K];
  decode<T = unknown>(typeName: string, bytes: Uint8Array, options?: DecodeOptions): T;
  decode(typeName: string, bytes: Uint8Array, options: DecodeOptions = {}): unknown {
    const { reader } = this.#codec(typeName);
    // new Uint8Array(x) copies (Buffer#slice would not).
    const input = options.copy === false ? bytes : new Uint8Array(bytes);
    const fail = (why: string, cause?: unknown): MessageError =>
      new MessageError('E_CDR_DECODE', `${typeName}: cannot decode ${bytes.byteLength} bytes: ${why}`, cause);
    let msg: unknown;
    try {
      msg = reader.readMessage(input);
    } catch (err) {
      throw fail((err as Error).message, err);
    }
    // Array reads are bounded by the whole ArrayBuffer, not the view: a truncated slice of a
    // larger buffer (Node's pooled Buffers) can read past its end without throwing.
    if (reader.lastReadByteLength() > bytes.byteLength) {
      throw fail(`message needs ${reader.lastReadByteLength()} bytes (truncated)`);
    }
    return msg;
  }

  #codec(typeName: string): TypeCodec {
    const key = fullTypeName(typeName);
    let codec = this.#codecs.get(key);
    if (codec === undefined) {
      const defs = this.#schemas.get(key) ?? this.#registry?.definitionsFor(typeName);
      if (defs === undefined) {
        throw new MessageError('E_UNKNOWN_TYPE', `unknown message type '${typeName}'; known: ${this.#known().join(', ')}`);
      }
      codec = { reader: new MessageReader(defs), writer: new MessageWriter(defs), guard: new StringGuard(defs) };
      this.#codecs.set(key, codec);
    }
    return codec;
  }

  #known(): string[] {
    return [...new Set([...this.#schemas.keys(), ...(this.#registry?.types() ?? [])])].sort();
  }
}

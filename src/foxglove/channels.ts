/**
 * The live view's channels: one per topic, each with its schema and how its messages are encoded.
 * ROS 2 topics go out as they are on the wire (`cdr`, with the rosbag2-style `ros2msg` schema text
 * from pilot's message definitions, or a bag's own); pilot's per-tick timeline and the Foxglove scene
 * and transforms as `json` with a JSON schema. A message is encoded only when a viewer can take it.
 */
import { CdrCodec } from '../core/messages/cdr.js';
import { MessageRegistry } from '../core/messages/registry.js';
import { TICK_TIMELINE_TYPE } from '../core/messages/tick-timeline.js';
import { fullTypeName } from '../core/messages/type-names.js';
import { TICK_TIMELINE_JSON_SCHEMA, type JsonChannelSchema } from './json-schemas.js';
import type { LiveServer } from './live-server.js';

export interface LiveChannel {
  readonly id: number;
  readonly topic: string;
  /** The ROS 2 type (`sensor_msgs/msg/Image`) or JSON schema name (`foxglove.SceneUpdate`). */
  readonly type: string;
  readonly encoding: 'cdr' | 'json';
  readonly encode: (message: unknown) => Uint8Array;
}

export interface ChannelRegistryOptions {
  /** Where definitions of ROS types come from (default pilot's vendored ones). */
  readonly registry?: MessageRegistry;
  /** Called for a message that does not encode (it is skipped and counted). */
  readonly onEncodeError?: (topic: string, error: Error) => void;
}

const utf8 = new TextEncoder();

export function encodeJson(message: unknown): Uint8Array {
  return utf8.encode(JSON.stringify(message));
}

export class ChannelRegistry {
  readonly #server: LiveServer;
  readonly #registry: MessageRegistry;
  readonly #codec: CdrCodec;
  readonly #byTopic = new Map<string, LiveChannel>();
  readonly #onEncodeError: ((topic: string, error: Error) => void) | undefined;
  encodeErrors = 0;

  constructor(server: LiveServer, options: ChannelRegistryOptions = {}) {
    this.#server = server;
    this.#registry = options.registry ?? MessageRegistry.builtin();
    this.#codec = new CdrCodec(this.#registry);
    this.#onEncodeError = options.onEncodeError;
  }

  /**
   * The channel of a ROS 2 topic, advertised on first call (the same channel after). `schemaText`: the
   * full `ros2msg` text for a type pilot's definitions lack. The timeline type becomes a json channel.
   * Throws E_UNKNOWN_TYPE for a type with no definition.
   */
  ros(topic: string, type: string, schemaText?: string): LiveChannel {
    const existing = this.#byTopic.get(topic);
    if (existing) return existing;
    const full = fullTypeName(type);
    if (full === TICK_TIMELINE_TYPE) return this.json(topic, TICK_TIMELINE_JSON_SCHEMA);
    const schema = schemaText ?? this.#registry.schemaText(full);
    if (schemaText !== undefined) this.#codec.addSchemaText(full, schemaText);
    const codec = this.#codec;
    return this.#add(topic, full, 'cdr', { topic, encoding: 'cdr', schemaName: full, schema, schemaEncoding: 'ros2msg' }, (m) => codec.encode(full, m));
  }

  /** The channel of a json topic with `schema`, advertised on first call. */
  json(topic: string, schema: JsonChannelSchema): LiveChannel {
    const existing = this.#byTopic.get(topic);
    if (existing) return existing;
    const spec = { topic, encoding: 'json', schemaName: schema.name, schema: JSON.stringify(schema.schema), schemaEncoding: 'jsonschema' };
    return this.#add(topic, schema.name, 'json', spec, encodeJson);
  }

  get(topic: string): LiveChannel | undefined {
    return this.#byTopic.get(topic);
  }

  channels(): LiveChannel[] {
    return [...this.#byTopic.values()];
  }

  /** Encodes and sends `message` when a viewer can take it; false when nobody could (nothing encoded). */
  publish(channel: LiveChannel, message: unknown, logTimeNs: bigint): boolean {
    if (!this.#server.wants(channel.id)) return false;
    let data: Uint8Array;
    try {
      data = channel.encode(message);
    } catch (err) {
      this.encodeErrors++;
      this.#onEncodeError?.(channel.topic, err as Error);
      return false;
    }
    this.#server.send(channel.id, logTimeNs, data);
    return true;
  }

  #add(topic: string, type: string, encoding: LiveChannel['encoding'], spec: Parameters<LiveServer['addChannel']>[0], encode: LiveChannel['encode']): LiveChannel {
    const channel: LiveChannel = { id: this.#server.addChannel(spec), topic, type, encoding, encode };
    this.#byTopic.set(topic, channel);
    return channel;
  }
}

/**
 * The Foxglove live view of one pilot process: a LiveServer, its channels and its clock, with the
 * taps each command attaches — a Transport (run, sim, drive, bench), messages as a replay writes them
 * (replay), messages as a player publishes them (bag play) — and a summary of what viewers got and
 * missed for the end of the run.
 */
import { MessageRegistry } from '../core/messages/registry.js';
import { fullTypeName } from '../core/messages/type-names.js';
import type { Transport } from '../transport/transport.js';
import { ChannelRegistry, type LiveChannel } from './channels.js';
import type { JsonChannelSchema } from './json-schemas.js';
import { LiveClock } from './live-clock.js';
import { LiveServer, type LiveServerOptions, type LiveServerStats } from './live-server.js';
import { TransportTap, type TapTopic } from './transport-tap.js';

export interface LiveViewOptions extends LiveServerOptions {
  /** Definitions of ROS types (default pilot's vendored ones). */
  readonly registry?: MessageRegistry;
  /** Notes: a message that did not encode, a topic that cannot be shown. */
  readonly log?: (line: string) => void;
}

/** What a replay hands the live view: each topic once, then every message with its bag time. */
export interface MessageTap {
  addTopic(topic: string, type: string, schemaText?: string): void;
  message(topic: string, message: unknown, logTimeNs: bigint): void;
}

export class LiveView {
  readonly server: LiveServer;
  readonly channels: ChannelRegistry;
  readonly clock: LiveClock;
  readonly #taps: TransportTap[] = [];
  readonly #log: (line: string) => void;
  readonly #noted = new Set<string>();

  private constructor(server: LiveServer, options: LiveViewOptions) {
    this.server = server;
    this.#log = options.log ?? (() => {});
    this.clock = new LiveClock((ns) => server.broadcastTime(ns));
    this.channels = new ChannelRegistry(server, {
      ...(options.registry ? { registry: options.registry } : {}),
      onEncodeError: (topic, err) => this.#noteOnce(`encode:${topic}`, `foxglove: ${topic}: not shown: ${err.message}`),
    });
  }

  static async start(options: LiveViewOptions = {}): Promise<LiveView> {
    return new LiveView(await LiveServer.start(options), options);
  }

  get url(): string {
    return this.server.url;
  }

  /** Shows `topics` of `transport` (subscribed while a viewer watches them). */
  tapTransport(transport: Transport, topics: readonly TapTopic[]): void {
    this.#taps.push(TransportTap.attach(transport, topics, this.channels, this.server, this.clock));
  }

  /** A json channel (scene, transforms). */
  json(topic: string, schema: JsonChannelSchema): LiveChannel {
    return this.channels.json(topic, schema);
  }

  /** Sends `message` on `channel` if a viewer can take it, stamped now (sim time once set). */
  publish(channel: LiveChannel, message: unknown, logTimeNs: bigint = this.clock.nowNs()): boolean {
    return this.channels.publish(channel, message, logTimeNs);
  }

  /** As publish, but the message is built only when a viewer can take it (scene, transforms). */
  publishBuilt(channel: LiveChannel, build: () => unknown, logTimeNs: bigint = this.clock.nowNs()): boolean {
    return this.server.wants(channel.id) && this.channels.publish(channel, build(), logTimeNs);
  }

  /** A tap that declares topics and receives messages with their own (bag) times, which become the live view's time. */
  messageTap(): MessageTap {
    return {
      addTopic: (topic, type, schemaText) => void this.#declare(topic, type, schemaText),
      message: (topic, message, logTimeNs) => {
        this.clock.setNs(logTimeNs);
        const channel = this.channels.get(topic);
        if (channel) this.channels.publish(channel, message, logTimeNs);
      },
    };
  }

  stats(): LiveServerStats {
    return this.server.stats();
  }

  /** One line for the end of a run: viewers, messages sent and dropped (the topics that dropped). */
  summary(): string {
    const s = this.server.stats();
    const dropping = s.channels.filter((c) => c.dropped > 0).map((c) => `${c.topic} ${c.dropped}`);
    return (
      `foxglove: ${s.connections} viewer connection${s.connections === 1 ? '' : 's'}, ${s.sent} messages sent (${(s.bytes / 1e6).toFixed(1)} MB), ` +
      `${s.dropped} dropped for slow viewers${dropping.length > 0 ? ` (${dropping.join(', ')})` : ''}` +
      (this.channels.encodeErrors > 0 ? `, ${this.channels.encodeErrors} not encodable` : '')
    );
  }

  /** Stops the taps and the server; returns the summary. */
  async close(): Promise<string> {
    for (const t of this.#taps) t.close();
    const summary = this.summary();
    await this.server.close();
    return summary;
  }

  /** Advertises a ROS topic; a type without a definition is noted and left out. */
  #declare(topic: string, type: string, schemaText?: string): LiveChannel | undefined {
    try {
      return this.channels.ros(topic, type, schemaText);
    } catch (err) {
      this.#noteOnce(`type:${topic}`, `foxglove: ${topic} (${fullTypeName(type)}) not shown: ${(err as Error).message}`);
      return undefined;
    }
  }

  #noteOnce(key: string, line: string): void {
    if (this.#noted.has(key)) return;
    this.#noted.add(key);
    this.#log(line);
  }
}

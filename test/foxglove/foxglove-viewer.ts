/**
 * A viewer for the tests, built only from code nobody here wrote: `@foxglove/ws-protocol`'s
 * FoxgloveClient over the `ws` WebSocket, decoding each message with the schema its channel
 * advertised — ros2msg schemas parsed by @foxglove/rosmsg and CDR read by
 * @foxglove/rosmsg2-serialization, JSON schemas compiled by ajv and checked on every JSON message.
 */
import { parse as parseMsgDefinition } from '@foxglove/rosmsg';
import { MessageReader } from '@foxglove/rosmsg2-serialization';
import wsProtocol, { type Channel, type MessageData } from '@foxglove/ws-protocol';
import { Ajv } from 'ajv';
import WebSocket from 'ws';

const { FoxgloveClient } = wsProtocol;

export interface Received {
  readonly topic: string;
  readonly schemaName: string;
  readonly logTimeNs: bigint;
  readonly message: unknown;
}

type Decoder = (bytes: Uint8Array) => unknown;

export class FoxgloveViewer {
  readonly channels = new Map<number, Channel>();
  readonly received: Received[] = [];
  readonly errors: string[] = [];
  readonly #client: InstanceType<typeof FoxgloveClient>;
  readonly #ws: WebSocket;
  readonly #decoders = new Map<number, Decoder>();
  readonly #subscriptions = new Map<number, Channel>();
  readonly #ajv = new Ajv({ strict: false, allErrors: true });
  /** Subscribe to every channel advertised (now and later) whose topic passes. */
  #wanted: ((topic: string) => boolean) | undefined;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    this.#client = new FoxgloveClient({ ws: ws as unknown as ConstructorParameters<typeof FoxgloveClient>[0]['ws'] });
    this.#client.on('advertise', (channels) => {
      for (const c of channels) {
        this.channels.set(c.id, c);
        if (this.#wanted?.(c.topic)) this.subscribe(c.topic);
      }
    });
    this.#client.on('message', (event) => this.#onMessage(event));
    this.#client.on('error', (err) => this.errors.push(err.message));
  }

  /** Connects offering `subprotocol`; resolves once the connection is open and the server has said hello. */
  static async connect(url: string, subprotocol: string): Promise<FoxgloveViewer> {
    const ws = new WebSocket(url, [subprotocol]);
    const viewer = new FoxgloveViewer(ws);
    await new Promise<void>((resolve, reject) => {
      viewer.#client.on('serverInfo', () => resolve());
      ws.once('error', reject);
      ws.once('close', (code, reason) => reject(new Error(`closed ${code} ${reason.toString()}`)));
    });
    return viewer;
  }

  get protocol(): string {
    return this.#ws.protocol;
  }

  /** The underlying socket (tests pause it to play a slow viewer). */
  get socket(): WebSocket {
    return this.#ws;
  }

  /** Subscribes to every advertised channel whose topic passes `filter`, now and when advertised later. */
  subscribeAll(filter: (topic: string) => boolean = () => true): void {
    this.#wanted = filter;
    for (const c of this.channels.values()) if (filter(c.topic)) this.subscribe(c.topic);
  }

  subscribe(topic: string): void {
    const channel = [...this.channels.values()].find((c) => c.topic === topic);
    if (!channel) throw new Error(`no channel ${topic} advertised (have ${[...this.channels.values()].map((c) => c.topic).join(', ')})`);
    if ([...this.#subscriptions.values()].includes(channel)) return;
    this.#decoders.set(channel.id, this.#decoder(channel));
    this.#subscriptions.set(this.#client.subscribe(channel.id), channel);
  }

  on(topic: string): Received[] {
    return this.received.filter((r) => r.topic === topic);
  }

  /** Resolves once `ready()` holds, checked as messages arrive; rejects after `timeoutMs`. */
  async until(ready: () => boolean, timeoutMs = 20_000): Promise<void> {
    const giveUp = Date.now() + timeoutMs;
    while (!ready()) {
      if (Date.now() > giveUp) throw new Error(`viewer: gave up waiting; received ${this.#counts()}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  close(): void {
    this.#client.close();
  }

  #decoder(channel: Channel): Decoder {
    if (channel.encoding === 'cdr' && channel.schemaEncoding === 'ros2msg') {
      const reader = new MessageReader(parseMsgDefinition(channel.schema, { ros2: true }));
      return (bytes) => reader.readMessage(bytes);
    }
    if (channel.encoding === 'json' && channel.schemaEncoding === 'jsonschema') {
      const validate = this.#ajv.compile(JSON.parse(channel.schema) as object);
      return (bytes) => {
        const message = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
        if (!validate(message)) throw new Error(`${channel.topic}: does not match ${channel.schemaName}: ${this.#ajv.errorsText(validate.errors)}`);
        return message;
      };
    }
    throw new Error(`${channel.topic}: unexpected encoding ${channel.encoding} / ${channel.schemaEncoding ?? 'none'}`);
  }

  #onMessage(event: MessageData): void {
    const channel = this.#subscriptions.get(event.subscriptionId);
    if (!channel) return;
    const bytes = new Uint8Array(event.data.buffer, event.data.byteOffset, event.data.byteLength);
    try {
      const message = this.#decoders.get(channel.id)!(bytes);
      this.received.push({ topic: channel.topic, schemaName: channel.schemaName, logTimeNs: event.timestamp, message });
    } catch (err) {
      this.errors.push((err as Error).message);
    }
  }

  #counts(): string {
    const counts = new Map<string, number>();
    for (const r of this.received) counts.set(r.topic, (counts.get(r.topic) ?? 0) + 1);
    return [...counts].map(([t, n]) => `${t} ${n}`).join(', ') || 'nothing';
  }
}

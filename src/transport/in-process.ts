/**
 * Synchronous in-process transport: `publish()` calls every matching handler before it returns, so tests
 * and the single-process simulator are deterministic. Messages are passed by reference (no copy):
 * handlers must not mutate them.
 */
import type { TransportErrorListener } from './stats-table.js';
import { deliver, TransportCore } from './transport-core.js';
import { SENSOR_QOS, TransportError, type MessageHandler, type Publisher, type QosProfile, type Subscription, type TopicStats, type Transport, type TypeName } from './transport.js';

export interface InProcessTransportOptions {
  /** Caught handler exceptions and type mismatches; default: one process warning per topic and kind. */
  readonly onError?: TransportErrorListener;
}

interface Sink {
  readonly type: TypeName;
  readonly handler: MessageHandler<unknown>;
}

export class InProcessTransport implements Transport {
  readonly name = 'inprocess';
  readonly #core: TransportCore<Publisher>;
  /** Replaced, never mutated, so a delivery loop is unaffected by (un)subscribes from inside a handler. */
  readonly #sinks = new Map<string, readonly Sink[]>();

  constructor(options: InProcessTransportOptions = {}) {
    this.#core = new TransportCore(this.name, options.onError);
  }

  advertise<T>(topic: string, type: TypeName, _qos: QosProfile = SENSOR_QOS): Publisher<T> {
    this.#core.assertCanAdvertise(topic);
    const stats = this.#core.stats.of(topic);
    let seq = 0;
    let closed = false;
    const publisher: Publisher<T> = {
      topic,
      type,
      publish: (message: T): void => {
        if (closed || this.#core.closed) {
          stats.sendDrops++;
          return;
        }
        const info = { seq: seq++, sentAtMs: Date.now() };
        stats.sent++;
        for (const sink of this.#sinks.get(topic) ?? []) this.#deliver(topic, type, sink, message, info, stats);
      },
      close: (): void => {
        if (closed) return;
        closed = true;
        this.#core.forget(topic, publisher as Publisher);
      },
    };
    this.#core.publishers.set(topic, publisher as Publisher);
    return publisher;
  }

  subscribe<T>(topic: string, type: TypeName, handler: MessageHandler<T>, _qos: QosProfile = SENSOR_QOS): Subscription {
    this.#core.assertOpen();
    this.#core.stats.of(topic);
    const sink: Sink = { type, handler: handler as MessageHandler<unknown> };
    this.#sinks.set(topic, [...(this.#sinks.get(topic) ?? []), sink]);
    let closed = false;
    return {
      topic,
      type,
      close: (): void => {
        if (closed) return;
        closed = true;
        const rest = (this.#sinks.get(topic) ?? []).filter((s) => s !== sink);
        if (rest.length > 0) this.#sinks.set(topic, rest);
        else this.#sinks.delete(topic);
      },
    };
  }

  stats(): ReadonlyMap<string, Readonly<TopicStats>> {
    return this.#core.stats.snapshot();
  }

  async close(): Promise<void> {
    this.#core.markClosed();
    this.#core.publishers.clear();
    this.#sinks.clear();
  }

  #deliver(topic: string, type: TypeName, sink: Sink, message: unknown, info: { seq: number; sentAtMs: number }, stats: TopicStats): void {
    if (sink.type !== type) {
      // Same outcome as on the wire: the subscriber cannot use a message of another type.
      stats.decodeErrors++;
      this.#core.onError(new TransportError('E_TYPE_MISMATCH', `topic '${topic}' carries ${type}, subscriber expects ${sink.type}`), topic);
      return;
    }
    deliver(sink.handler, message, info, stats, this.#core.onError, topic);
  }
}

/**
 * What every transport (in-process, ZeroMQ, ROS 2) does the same way: per-topic counters, the error
 * listener, at most one publisher per topic, the closed state, and handing a message to a
 * subscriber's handler. A transport holds a TransportCore and adds only its own delivery.
 */
import { StatsTable, warnOncePerTopic, type TransportErrorListener } from './stats-table.js';
import { TransportError, type MessageHandler, type ReceiveInfo, type TopicStats } from './transport.js';

export class TransportCore<P> {
  /** Live counters per topic (`stats.of(topic)`), and their snapshot for `Transport.stats()`. */
  readonly stats = new StatsTable();
  readonly onError: TransportErrorListener;
  /** This transport's publishers by topic: one per topic. */
  readonly publishers = new Map<string, P>();
  readonly #transportName: string;
  #closed = false;

  /** `onError` default: one process warning per topic and error kind, naming the transport. */
  constructor(transportName: string, onError: TransportErrorListener | undefined) {
    this.#transportName = transportName;
    this.onError = onError ?? warnOncePerTopic(transportName);
  }

  get closed(): boolean {
    return this.#closed;
  }

  markClosed(): void {
    this.#closed = true;
  }

  assertOpen(): void {
    if (this.#closed) throw new TransportError('E_CLOSED', `${this.#transportName} transport is closed`);
  }

  /** Before advertising `topic`: the transport is open and has no publisher on it yet. */
  assertCanAdvertise(topic: string): void {
    this.assertOpen();
    if (this.publishers.has(topic)) throw new TransportError('E_TOPIC_TAKEN', `topic '${topic}' already has a publisher in this transport`);
  }

  /** Forgets `publisher` when it still is the one for `topic` (a publisher closing itself). */
  forget(topic: string, publisher: P): void {
    if (this.publishers.get(topic) === publisher) this.publishers.delete(topic);
  }
}

/**
 * Hands a message that arrived to a subscriber's handler: counted in `received`; a handler that
 * throws is counted in `handlerErrors` and reported, never passed on to the transport.
 */
export function deliver<T>(
  handler: MessageHandler<T>,
  message: T,
  info: ReceiveInfo,
  stats: TopicStats,
  onError: TransportErrorListener,
  topic: string,
): void {
  stats.received++;
  try {
    handler(message, info);
  } catch (error) {
    stats.handlerErrors++;
    onError(error, topic);
  }
}

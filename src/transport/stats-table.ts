/** Per-topic counters and error reporting shared by the transports. */
import { emptyTopicStats, type TopicStats } from './transport.js';

/** Called for caught handler exceptions and undecodable messages; the counters are the source of truth. */
export type TransportErrorListener = (error: unknown, topic: string) => void;

export class StatsTable {
  readonly #byTopic = new Map<string, TopicStats>();

  /** Live counters for a topic (created on first use). */
  of(topic: string): TopicStats {
    let stats = this.#byTopic.get(topic);
    if (!stats) {
      stats = emptyTopicStats();
      this.#byTopic.set(topic, stats);
    }
    return stats;
  }

  snapshot(): ReadonlyMap<string, Readonly<TopicStats>> {
    return new Map([...this.#byTopic].map(([topic, s]) => [topic, { ...s }]));
  }
}

/** Default listener: one warning per topic and error kind, so a throwing handler at 1 kHz cannot flood the log. */
export function warnOncePerTopic(transportName: string): TransportErrorListener {
  const seen = new Set<string>();
  return (error, topic) => {
    const kind = (error as { code?: unknown } | null)?.code ?? (error as Error | null)?.name ?? 'error';
    const key = `${topic}\0${String(kind)}`;
    if (seen.has(key)) return;
    seen.add(key);
    process.emitWarning(`${transportName} transport, topic '${topic}': ${String((error as Error)?.message ?? error)} (counted; further ones on this topic are not logged)`);
  };
}

/**
 * The replay's output bag: the inputs as the runtime saw them, the recorded commands, and per model
 * the predicted commands, diagnostics and timeline. A topic the writer refuses is left out (noted);
 * writes are awaited in batches (`flush`), which fails when the writer stopped accepting messages.
 */
import type { BagWriter } from '../bags/bag-writer.js';
import type { ReplayTap } from './replay-types.js';
import { PilotError } from '../../core/util/errors.js';
import { RELIABLE_QOS, SENSOR_QOS } from '../../transport/transport.js';

export class ReplayOutput {
  /** Messages handed to the writer. */
  messages = 0;
  /** Topics added (and not stopped), in the order added. */
  readonly topics = new Set<string>();
  readonly #bag: BagWriter | undefined;
  readonly #notes: string[];
  readonly #tap: ReplayTap | undefined;
  readonly #pending: Promise<boolean>[] = [];

  /** `notes`: where a topic left out or stopped is said. */
  constructor(bag: BagWriter | undefined, notes: string[], tap?: ReplayTap) {
    this.#bag = bag;
    this.#notes = notes;
    this.#tap = tap;
  }

  addTopic(topic: string, type: string, extra: { schemaText?: string; reliable?: boolean } = {}): boolean {
    this.#tap?.addTopic(topic, type, extra.schemaText);
    if (!this.#bag) return false;
    try {
      this.#bag.addTopic(topic, type, { qos: extra.reliable ? RELIABLE_QOS : SENSOR_QOS, ...(extra.schemaText ? { schemaText: extra.schemaText } : {}) });
      this.topics.add(topic);
      return true;
    } catch (err) {
      this.#notes.push(`output bag: ${topic} left out: ${(err as Error).message}`);
      return false;
    }
  }

  write(topic: string, message: unknown, logNs: bigint): void {
    this.#tap?.message(topic, message, logNs);
    if (!this.#bag || !this.topics.has(topic)) return;
    try {
      this.#pending.push(this.#bag.writeMessage(topic, message, logNs));
      this.messages++;
    } catch (err) {
      this.topics.delete(topic);
      this.#notes.push(`output bag: ${topic} stopped: ${(err as Error).message}`);
    }
  }

  async flush(): Promise<void> {
    if (this.#pending.length === 0) return;
    const results = await Promise.all(this.#pending.splice(0));
    if (results.includes(false)) {
      const err = this.#bag?.status().error;
      throw err ?? new PilotError('E_REPLAY_OUTPUT', 'the output bag stopped accepting messages');
    }
  }

  /** What the result reports: null without an output bag. */
  summary(): { messages: number; topics: string[] } | null {
    return this.#bag ? { messages: this.messages, topics: [...this.topics] } : null;
  }
}

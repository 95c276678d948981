/**
 * Fixed-capacity queue ordered by delivery time, for messages held back by injected latency.
 * A ring of preallocated slots: push and pop never allocate, and a full queue refuses the new
 * message and counts it instead of growing. Equal delivery times keep push order.
 *
 * The queue holds references: give it messages it may keep (copies, or objects from a pool),
 * never a sensor's reused message.
 */
import { PilotError } from '../../src/core/util/errors.js';

export class DelayQueue<T> {
  readonly capacity: number;
  /** Pushes refused because the queue was full. */
  overflows = 0;
  readonly #items: (T | undefined)[];
  readonly #atMs: Float64Array;
  #head = 0;
  #count = 0;

  constructor(capacity: number) {
    if (!(Number.isInteger(capacity) && capacity >= 1)) {
      throw new PilotError('E_SIM_CONFIG', `DelayQueue: capacity: expected integer ≥ 1 (got ${capacity})`);
    }
    this.capacity = capacity;
    this.#items = new Array<T | undefined>(capacity).fill(undefined);
    this.#atMs = new Float64Array(capacity);
  }

  get size(): number {
    return this.#count;
  }

  /** Delivery time of the next message, Infinity when empty. */
  get nextDeliverAtMs(): number {
    return this.#count > 0 ? this.#atMs[this.#head]! : Infinity;
  }

  /** Queue `item` for `deliverAtMs`; false (and counted) when full. */
  push(item: T, deliverAtMs: number): boolean {
    if (!Number.isFinite(deliverAtMs)) throw new PilotError('E_SIM_STEP', `DelayQueue.push: deliverAtMs must be finite (got ${deliverAtMs})`);
    if (this.#count === this.capacity) {
      this.overflows++;
      return false;
    }
    // Insertion from the tail: usually zero moves, as delivery times mostly arrive in order.
    const cap = this.capacity;
    let i = this.#count;
    while (i > 0) {
      const prev = (this.#head + i - 1) % cap;
      if (this.#atMs[prev]! <= deliverAtMs) break;
      const slot = (this.#head + i) % cap;
      this.#atMs[slot] = this.#atMs[prev]!;
      this.#items[slot] = this.#items[prev];
      i--;
    }
    const slot = (this.#head + i) % cap;
    this.#atMs[slot] = deliverAtMs;
    this.#items[slot] = item;
    this.#count++;
    return true;
  }

  /** The next message due at `nowMs` (deliverAtMs ≤ nowMs), or undefined. Call until undefined. */
  popDue(nowMs: number): T | undefined {
    if (this.#count === 0 || this.#atMs[this.#head]! > nowMs) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined; // let the message be collected
    this.#head = (this.#head + 1) % this.capacity;
    this.#count--;
    return item;
  }

  clear(): void {
    for (let i = 0; i < this.#count; i++) this.#items[(this.#head + i) % this.capacity] = undefined;
    this.#head = 0;
    this.#count = 0;
  }
}

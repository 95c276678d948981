/**
 * Fixed-capacity window of the most recent samples with percentiles.
 * `push` allocates nothing (hot path); `percentile` sorts into a preallocated scratch (reporting path).
 */
export class SampleWindow {
  readonly #values: Float64Array;
  readonly #scratch: Float64Array;
  #next = 0;
  #count = 0;
  #sortedValid = false;
  #max = -Infinity;
  #total = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new RangeError(`SampleWindow capacity must be a positive integer, got ${capacity}`);
    this.#values = new Float64Array(capacity);
    this.#scratch = new Float64Array(capacity);
  }

  push(value: number): void {
    this.#values[this.#next] = value;
    this.#next = this.#next + 1 === this.capacity ? 0 : this.#next + 1;
    if (this.#count < this.capacity) this.#count++;
    if (value > this.#max) this.#max = value;
    this.#total++;
    this.#sortedValid = false;
  }

  /** Samples currently held (≤ capacity). */
  get size(): number {
    return this.#count;
  }

  /** Samples ever pushed. */
  get total(): number {
    return this.#total;
  }

  /** Largest sample ever pushed (not only the window). */
  get maxEver(): number {
    return this.#count === 0 ? NaN : this.#max;
  }

  /** Nearest-rank percentile over the window, p in [0, 100]. NaN when empty. */
  percentile(p: number): number {
    if (this.#count === 0) return NaN;
    if (!this.#sortedValid) {
      const view = this.#scratch.subarray(0, this.#count);
      view.set(this.#values.subarray(0, this.#count));
      view.sort();
      this.#sortedValid = true;
    }
    const rank = Math.min(this.#count - 1, Math.max(0, Math.ceil((p / 100) * this.#count) - 1));
    return this.#scratch[rank]!;
  }

  mean(): number {
    if (this.#count === 0) return NaN;
    let sum = 0;
    for (let i = 0; i < this.#count; i++) sum += this.#values[i]!;
    return sum / this.#count;
  }

  /** Forget every sample, the maximum included (a benchmark's warm-up); allocates nothing. */
  reset(): void {
    this.#next = 0;
    this.#count = 0;
    this.#total = 0;
    this.#max = -Infinity;
    this.#sortedValid = false;
  }
}

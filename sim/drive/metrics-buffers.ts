/**
 * Append-only records in typed arrays, one Float64Array per named column, that double when full:
 * recording n rows costs O(log n) allocations in all.
 *
 * The caller asks for a row index (a small integer) and writes the columns itself. That is on
 * purpose: V8 boxes a double passed to a call it does not inline, so a `push(value)` per step
 * would allocate after all.
 */
export class RecordBuffer<K extends string> {
  /** The columns; replaced (not resized) when the buffer grows, so re-read them after `next()`. */
  readonly columns: Record<K, Float64Array>;
  readonly #names: readonly K[];
  #capacity: number;
  #length = 0;

  constructor(names: readonly K[], initialCapacity: number) {
    if (!Number.isInteger(initialCapacity) || initialCapacity <= 0) {
      throw new RangeError(`record buffer capacity must be a positive integer, got ${initialCapacity}`);
    }
    this.#names = names;
    this.#capacity = initialCapacity;
    const columns = {} as Record<K, Float64Array>;
    for (const name of names) columns[name] = new Float64Array(initialCapacity);
    this.columns = columns;
  }

  get length(): number {
    return this.#length;
  }

  get capacity(): number {
    return this.#capacity;
  }

  /** The index of a new row (write its values into the columns there), growing when full. */
  next(): number {
    if (this.#length === this.#capacity) this.#grow();
    return this.#length++;
  }

  /** A column's rows so far, copied into a plain array (reporting path). */
  toArray(name: K): number[] {
    return Array.from(this.columns[name].subarray(0, this.#length));
  }

  #grow(): void {
    this.#capacity *= 2;
    for (const name of this.#names) {
      const grown = new Float64Array(this.#capacity);
      grown.set(this.columns[name]);
      this.columns[name] = grown;
    }
  }
}

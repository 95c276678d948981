/** What a reader in recovery mode skipped: a count, and the first few reasons in words. */
export class SkipLog {
  count = 0;
  readonly notes: string[] = [];
  readonly #maxNotes: number;

  constructor(maxNotes = 20) {
    this.#maxNotes = maxNotes;
  }

  add(note: string): void {
    this.count++;
    if (this.notes.length < this.#maxNotes) this.notes.push(note);
  }
}

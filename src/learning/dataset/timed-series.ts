/**
 * Timed vectors of one bag (commands; an arm's joint states), each usable or rejected with a reason,
 * and the lookup every label uses: the entry in force at a time — the latest at or before it, if it
 * is not too old and was not rejected.
 */

/** ms as `1.234 s`. */
export function fmtMs(ms: number): string {
  return `${(ms / 1000).toFixed(3)} s`;
}

/** Index of the last element ≤ x in ascending `a`, or -1. */
export function lastAtOrBefore(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** The series in time order: times ascending, and the entry index of each. */
export interface SortedSeries {
  readonly times: number[];
  readonly order: number[];
}

export class TimedSeries {
  times: number[] = [];
  values = new Float64Array(64);
  /** '' when usable, else why not. */
  problems: string[] = [];
  bad = 0;
  firstProblem = '';
  /** The latest time pushed (NaN times aside). */
  maxMs = -Infinity;

  /** `n`: values per entry. */
  constructor(readonly n: number) {}

  /** Room for one more vector; returns its offset. */
  slot(): number {
    const at = this.times.length * this.n;
    if (at + this.n > this.values.length) {
      const v = new Float64Array(Math.max(2 * this.values.length, at + this.n));
      v.set(this.values);
      this.values = v;
    }
    return at;
  }

  /** Adds the entry written at `slot()`; `problem`: '' or why it cannot be used. */
  push(tMs: number, problem: string): void {
    if (problem) {
      this.bad++;
      this.firstProblem ||= `${fmtMs(tMs)}: ${problem}`;
    }
    this.times.push(tMs);
    this.problems.push(problem);
    if (tMs > this.maxMs) this.maxMs = tMs;
  }

  /** Times ascending and the entry index of each (log order is time order already; a stable sort keeps ties in order). */
  sorted(): SortedSeries {
    const order = this.times.map((_, i) => i).sort((a, b) => this.times[a]! - this.times[b]! || a - b);
    return { times: order.map((i) => this.times[i]!), order };
  }

  /** The entry in force at `at`: its index, or `none` before the first, `stale` when older than `maxAgeMs`, `bad` when rejected. */
  at(sorted: SortedSeries, at: number, maxAgeMs: number): number | 'none' | 'stale' | 'bad' {
    const pos = lastAtOrBefore(sorted.times, at);
    if (pos < 0) return 'none';
    if (at - sorted.times[pos]! > maxAgeMs) return 'stale';
    const i = sorted.order[pos]!;
    return this.problems[i] ? 'bad' : i;
  }
}

export type CommandSkipReason = 'no_command' | 'stale_command' | 'bad_command';

const COMMAND_SKIPS = { none: 'no_command', stale: 'stale_command', bad: 'bad_command' } as const;

/** The command labelling a frame at `tMs`: the one in force at tMs + latencyMs, not older than maxGapMs; its index or why none. */
export function commandInForce(commands: TimedSeries, sorted: SortedSeries, tMs: number, latencyMs: number, maxGapMs: number): number | CommandSkipReason {
  const found = commands.at(sorted, tMs + latencyMs, maxGapMs);
  return typeof found === 'number' ? found : COMMAND_SKIPS[found];
}

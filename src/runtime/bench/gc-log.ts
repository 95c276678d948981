/**
 * Garbage collections during a benchmark (perf_hooks 'gc' entries), kept as start/duration pairs on
 * the performance.now() timeline, so a late tick can be told how much GC overlapped it.
 */
import { PerformanceObserver } from 'node:perf_hooks';

export interface GcSummary {
  count: number;
  totalMs: number;
  maxMs: number;
  /** Young-generation collections (scavenges) among them. */
  minor: number;
}

const MINOR_GC_KIND = 1; // perf_hooks.constants.NODE_PERFORMANCE_GC_MINOR

export class GcLog {
  readonly #startMs: Float64Array;
  readonly #durationMs: Float64Array;
  readonly #kind: Uint8Array;
  #count = 0;
  #observer: PerformanceObserver | undefined;

  constructor(readonly capacity = 65_536) {
    this.#startMs = new Float64Array(capacity);
    this.#durationMs = new Float64Array(capacity);
    this.#kind = new Uint8Array(capacity);
  }

  start(): void {
    this.#observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) this.add(e.startTime, e.duration, ((e as { detail?: { kind?: number } }).detail?.kind ?? 0));
    });
    this.#observer.observe({ entryTypes: ['gc'] });
  }

  stop(): void {
    this.#observer?.disconnect();
    this.#observer = undefined;
  }

  add(startMs: number, durationMs: number, kind: number): void {
    if (this.#count >= this.capacity) return;
    this.#startMs[this.#count] = startMs;
    this.#durationMs[this.#count] = durationMs;
    this.#kind[this.#count] = kind;
    this.#count++;
  }

  /** GC time inside [fromMs, toMs]. */
  overlapMs(fromMs: number, toMs: number): number {
    let sum = 0;
    for (let i = 0; i < this.#count; i++) {
      const s = this.#startMs[i]!;
      const e = s + this.#durationMs[i]!;
      if (e > fromMs && s < toMs) sum += Math.min(e, toMs) - Math.max(s, fromMs);
    }
    return sum;
  }

  /** Collections that started inside [fromMs, toMs]. */
  summary(fromMs = -Infinity, toMs = Infinity): GcSummary {
    const out: GcSummary = { count: 0, totalMs: 0, maxMs: 0, minor: 0 };
    for (let i = 0; i < this.#count; i++) {
      const s = this.#startMs[i]!;
      if (s < fromMs || s > toMs) continue;
      const d = this.#durationMs[i]!;
      out.count++;
      out.totalMs += d;
      if (d > out.maxMs) out.maxMs = d;
      if (this.#kind[i] === MINOR_GC_KIND) out.minor++;
    }
    return out;
  }
}
